"""Making what creators sell: courses and their publishing rules, from the studio and the API.

Every change is one audited transaction on the locked course; a refusal says what to do instead and
changes nothing.
"""

from __future__ import annotations

import io
import re
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from PIL import Image, ImageOps, UnidentifiedImageError

from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType
from coursedesk.catalog.models import Course
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = Course._meta.get_field("slug").max_length
TITLE_MAX = Course._meta.get_field("title").max_length
DESCRIPTION_MAX = 5000
THUMBNAIL_MAX_BYTES = 5 * 1024 * 1024
THUMBNAIL_MAX_PIXELS = 40_000_000  # larger images are refused before decoding (decompression bombs)
THUMBNAIL_SIZE = (1280, 720)
THUMBNAIL_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
EDITABLE_FIELDS = ("title", "slug", "description", "contact_email")


# --- Checks on what the creator typed ------------------------------------------------------------


def _title_clean(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidValue("Give the course a title.", code="title_missing")
    if len(title) > TITLE_MAX:
        raise InvalidValue(f"Keep the title under {TITLE_MAX} characters.", code="title_too_long")
    return title


def _slug_clean(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug) or len(slug) > SLUG_MAX:
        raise InvalidValue(
            f"The address may use lower-case letters, digits and single hyphens (at most {SLUG_MAX} "
            "characters), e.g. watercolor-basics.",
            code="invalid_slug",
        )
    return slug


def _email_clean(email: str, *, fallback: str) -> str:
    email = (email or "").strip() or fallback
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidValue("Enter a valid contact email for students.", code="invalid_email") from error
    return email


def _description_clean(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise InvalidValue(
            f"Keep the description under {DESCRIPTION_MAX} characters.", code="description_too_long"
        )
    return description


def _slug_taken_error(slug: str) -> DomainError:
    return DomainError(
        f"The address “{slug}” is taken by another course. Choose another one.", code="slug_taken"
    )


def course_slug_suggest(*, title: str) -> str:
    """A free address made from the title: "Watercolor Basics" → watercolor-basics (then -2, -3…)."""
    base = slugify(title)[:SLUG_MAX].strip("-") or "course"
    slug, n = base, 1
    while Course.objects.filter(slug=slug).exists():
        n += 1
        suffix = f"-{n}"
        slug = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
    return slug


def _audit(course: Course, type: AuditEventType, actor: Actor, source: str, **data) -> None:
    audit_record(
        creator=course.creator,
        type=type,
        actor=actor,
        source=source,
        subject=course,
        data={"course": course.title, "course_id": course.pk, **data},
    )


# --- Courses -------------------------------------------------------------------------------------


def course_create(
    *,
    creator,
    title: str,
    slug: str = "",
    description: str = "",
    contact_email: str = "",
    thumbnail=None,
    actor: Actor,
    source: str,
) -> Course:
    """A new draft course. Without a slug, one is made from the title; a slug that is taken is refused.
    A thumbnail upload is checked first: a refused image creates nothing."""
    title = _title_clean(title)
    image = _thumbnail_image(thumbnail) if thumbnail else None
    chosen = bool((slug or "").strip())
    slug = _slug_clean(slug) if chosen else course_slug_suggest(title=title)
    description = _description_clean(description)
    contact_email = _email_clean(contact_email, fallback=creator.email)
    if chosen and Course.objects.filter(slug=slug).exists():
        raise _slug_taken_error(slug)
    try:
        with transaction.atomic():
            course = Course.objects.create(
                creator=creator,
                title=title,
                slug=slug,
                description=description,
                contact_email=contact_email,
                published=False,
                created_at=clock.now(),
            )
            if image:
                _thumbnail_store(course, image)
                course.save(update_fields=["thumbnail"])
            _audit(course, AuditEventType.COURSE_CREATED, actor, source, slug=slug)
    except IntegrityError as error:  # another course took the address in between
        raise _slug_taken_error(slug) from error
    return course


def course_update(*, course: Course, actor: Actor, source: str, thumbnail=None, **changes) -> Course:
    """Changes any of title, slug, description, contact email and thumbnail, together or not at all.
    Nothing given: nothing changes."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"course_update cannot change {', '.join(sorted(unknown))}")
    cleaners = {
        "title": _title_clean,
        "slug": _slug_clean,
        "description": _description_clean,
        "contact_email": lambda value: _email_clean(value, fallback=""),
    }
    cleaned = {field: cleaners[field](value) for field, value in changes.items() if value is not None}
    image = _thumbnail_image(thumbnail) if thumbnail else None
    try:
        with transaction.atomic():
            locked = Course.objects.select_for_update().get(pk=course.pk)
            data = {}
            for field, value in cleaned.items():
                if getattr(locked, field) != value:
                    data[field] = change(getattr(locked, field), value)
                    setattr(locked, field, value)
            if image:
                old = locked.thumbnail.name
                _thumbnail_store(locked, image)
                data["thumbnail"] = change(old or None, locked.thumbnail.name)
            if not data:
                return locked
            if "slug" in data and Course.objects.filter(slug=locked.slug).exclude(pk=locked.pk).exists():
                raise _slug_taken_error(locked.slug)
            locked.save(update_fields=[*data, "updated_at"])
            _audit(locked, AuditEventType.COURSE_UPDATED, actor, source, **data)
    except IntegrityError as error:
        raise _slug_taken_error(cleaned["slug"]) from error
    return locked


def course_edit(
    *, course: Course, published: bool | None = None, actor: Actor, source: str, **changes
) -> Course:
    """Changes the course's details and publishes or unpublishes it, all or nothing: a refused
    publish (not ready, archived) leaves the details as they were. `published` None: unchanged."""
    if published is not None and not isinstance(published, bool):
        raise InvalidValue("Published is true or false.", code="invalid_published")
    with transaction.atomic():
        course = course_update(course=course, actor=actor, source=source, **changes)
        if published is True:
            course = course_publish(course=course, actor=actor, source=source)
        elif published is False:
            course = course_unpublish(course=course, actor=actor, source=source)
    return course


def course_publish_missing(*, course: Course) -> list[str]:
    """What the course still needs before it can be sold, as the creator reads it; empty when ready."""
    missing = []
    if not course.lessons.exists():
        missing.append("a lesson")
    if not course.payment_pages.filter(active=True).exists():
        missing.append("an active payment page")
    return missing


def course_publish(*, course: Course, actor: Actor, source: str) -> Course:
    """Opens the course's sales page and checkouts. It needs a lesson and an active payment page."""
    with transaction.atomic():
        locked = Course.objects.select_for_update().get(pk=course.pk)
        if locked.published:
            return locked
        if locked.archived_at is not None:
            raise DomainError(
                "This course is archived. Restore it before publishing it.", code="course_archived"
            )
        missing = course_publish_missing(course=locked)
        if missing:
            raise DomainError(
                f"Before publishing, add {' and '.join(missing)}.", code="course_not_ready", status=409
            )
        locked.published = True
        locked.save(update_fields=["published", "updated_at"])
        _audit(locked, AuditEventType.COURSE_PUBLISHED, actor, source)
    return locked


def course_unpublish(*, course: Course, actor: Actor, source: str) -> Course:
    """Closes new checkouts and the sales page; students who have access keep it."""
    with transaction.atomic():
        locked = Course.objects.select_for_update().get(pk=course.pk)
        if not locked.published:
            return locked
        locked.published = False
        locked.save(update_fields=["published", "updated_at"])
        _audit(locked, AuditEventType.COURSE_UNPUBLISHED, actor, source)
    return locked


def course_has_students(*, course: Course) -> bool:
    """Anyone who ever had access or paid (revoked and expired students count: they have a history)."""
    return course.enrolments.exists() or course.payments.exists()


def course_archive(*, course: Course, actor: Actor, source: str) -> Course:
    """Retires a course: unpublished and out of the course list; its students keep their access."""
    with transaction.atomic():
        locked = Course.objects.select_for_update().get(pk=course.pk)
        if locked.archived_at is not None:
            return locked
        was_published = locked.published
        locked.published = False
        locked.archived_at = clock.now()
        locked.save(update_fields=["published", "archived_at", "updated_at"])
        _audit(locked, AuditEventType.COURSE_ARCHIVED, actor, source, published=change(was_published, False))
    return locked


def course_delete(*, course: Course, actor: Actor, source: str) -> None:
    """Deletes a draft that nobody has bought or been given; a course with students is archived instead."""
    with transaction.atomic():
        locked = Course.objects.select_for_update().get(pk=course.pk)
        if locked.published:
            raise DomainError("Unpublish the course before deleting it.", code="course_published")
        if course_has_students(course=locked):
            raise DomainError(
                "This course has students, so it cannot be deleted. Archive it instead: its students "
                "keep their access.",
                code="course_has_students",
            )
        if locked.payment_pages.filter(checkout_sessions__isnull=False).exists():
            raise DomainError(
                "Buyers have started checkouts of this course. Archive it instead.", code="course_has_sales"
            )
        _audit(locked, AuditEventType.COURSE_DELETED, actor, source, slug=locked.slug)
        thumbnail = locked.thumbnail.name
        locked.payment_pages.all().delete()
        locked.delete()
        if thumbnail:
            storage = Course._meta.get_field("thumbnail").storage
            transaction.on_commit(lambda: storage.delete(thumbnail))


# --- Thumbnails ----------------------------------------------------------------------------------


def _thumbnail_image(upload) -> tuple[bytes, str]:
    """The upload as a resized JPEG or PNG; anything that is not an image is refused."""
    size = getattr(upload, "size", None)
    if size is not None and size > THUMBNAIL_MAX_BYTES:
        raise InvalidValue("The image is larger than 5 MB. Choose a smaller one.", code="thumbnail_too_large")
    raw = upload.read(THUMBNAIL_MAX_BYTES + 1)
    if len(raw) > THUMBNAIL_MAX_BYTES:
        raise InvalidValue("The image is larger than 5 MB. Choose a smaller one.", code="thumbnail_too_large")
    refused = InvalidValue("Upload a JPEG, PNG, WebP or GIF image.", code="thumbnail_not_an_image")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in THUMBNAIL_FORMATS:
                raise refused
            if probe.width * probe.height > THUMBNAIL_MAX_PIXELS:
                raise InvalidValue("The image has too many pixels.", code="thumbnail_too_large")
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            image.seek(0)
            image = ImageOps.exif_transpose(image)
            keeps_transparency = image.mode in ("RGBA", "LA", "P") and "transparency" in image.info
            image = image.convert("RGBA" if keeps_transparency or image.mode == "RGBA" else "RGB")
            image.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if image.mode == "RGBA":
                image.save(out, "PNG", optimize=True)
                return out.getvalue(), "png"
            image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
            return out.getvalue(), "jpg"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise refused from error


def _thumbnail_store(course: Course, image: tuple[bytes, str]) -> None:
    """Stores the image under a name nobody guesses; the old file goes once the change commits."""
    content, extension = image
    storage = Course._meta.get_field("thumbnail").storage
    old = course.thumbnail.name
    course.thumbnail.save(f"{course.pk}-{secrets.token_hex(8)}.{extension}", ContentFile(content), save=False)
    if old:
        transaction.on_commit(lambda: storage.delete(old))
