"""Courses made by creators: addresses, publishing rules, archive instead of delete, thumbnails."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.catalog.models import Course, PaymentPage
from coursedesk.catalog.services import (
    course_archive,
    course_create,
    course_delete,
    course_publish,
    course_unpublish,
    course_update,
)
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Enrolment
from tests.catalog.conftest import image_upload
from tests.factories import make_course, make_customer, make_enrolment, make_page


def create(creator, **fields):
    fields.setdefault("title", "Watercolor Basics")
    return course_create(creator=creator, actor=Actor.creator(creator), source="desk", **fields)


def audit_types(creator):
    return list(AuditEvent.objects.filter(creator=creator).order_by("pk").values_list("type", flat=True))


def test_a_new_course_is_a_draft_with_an_address_made_from_its_title(creator, frozen_now):
    course = create(creator, title="  Zoë's   Watercolor Basics! ", description="Paint with light.")

    assert (course.title, course.slug, course.published) == (
        "Zoë's Watercolor Basics!",
        "zoes-watercolor-basics",
        False,
    )
    assert course.contact_email == "maya@example.com"  # the creator's own address until they choose one
    event = AuditEvent.objects.get(creator=creator)
    assert (event.type, event.customer_id, event.actor_label, event.source) == (
        "course.created",
        None,
        "maya@example.com",
        "desk",
    )
    assert event.data == {
        "course": "Zoë's Watercolor Basics!",
        "course_id": course.pk,
        "slug": "zoes-watercolor-basics",
    }


def test_a_title_whose_address_is_taken_gets_the_next_free_one(creator, other_creator):
    make_course(other_creator, title="Painting", slug="painting")
    make_course(creator, title="Painting again", slug="painting-2")

    course = create(creator, title="Painting")

    assert course.slug == "painting-3"


def test_a_chosen_address_that_is_taken_is_refused_and_nothing_is_created(creator, other_creator):
    make_course(other_creator, title="Rival", slug="watercolor")

    with pytest.raises(DomainError) as refused:
        create(creator, title="Mine", slug="Watercolor")

    assert (refused.value.code, refused.value.status) == ("slug_taken", 409)
    assert refused.value.message == "The address “watercolor” is taken by another course. Choose another one."
    assert Course.objects.filter(creator=creator).count() == 0
    assert audit_types(creator) == []


@pytest.mark.parametrize("slug", ["two words", "ünïcode", "-edge", "a--b", "x" * 81])
def test_an_address_that_cannot_be_a_url_is_refused(creator, slug):
    with pytest.raises(DomainError) as refused:
        create(creator, slug=slug)

    assert (refused.value.code, refused.value.status) == ("invalid_slug", 422)
    assert Course.objects.count() == 0


def test_an_empty_title_is_refused(creator):
    with pytest.raises(DomainError) as refused:
        create(creator, title="   ")

    assert refused.value.message == "Give the course a title."
    assert Course.objects.count() == 0


def test_editing_records_each_changed_field(creator, course):
    course_update(
        course=course,
        title="Watercolor Foundations",  # unchanged
        slug="watercolor-foundations",
        contact_email="help@maya.example",
        actor=Actor.creator(creator),
        source="api",
    )

    course.refresh_from_db()
    assert (course.slug, course.contact_email) == ("watercolor-foundations", "help@maya.example")
    event = AuditEvent.objects.get(creator=creator)
    assert event.type == "course.updated"
    assert event.data == {
        "course": "Watercolor Foundations",
        "course_id": course.pk,
        "slug": {"old": "watercolor", "new": "watercolor-foundations"},
        "contact_email": {"old": "help@example.com", "new": "help@maya.example"},
    }


def test_changing_to_a_taken_address_is_refused_and_changes_nothing(creator, course):
    make_course(creator, title="Other", slug="oils")

    with pytest.raises(DomainError) as refused:
        course_update(
            course=course, title="New title", slug="oils", actor=Actor.creator(creator), source="desk"
        )

    assert refused.value.code == "slug_taken"
    course.refresh_from_db()
    assert (course.title, course.slug) == ("Watercolor Foundations", "watercolor")
    assert audit_types(creator) == []


def test_publishing_without_a_lesson_or_a_payment_page_says_what_is_missing(creator):
    course = create(creator)

    with pytest.raises(DomainError) as refused:
        course_publish(course=course, actor=Actor.creator(creator), source="desk")

    assert (refused.value.code, refused.value.status) == ("course_not_ready", 409)
    assert refused.value.message == "Before publishing, add a lesson and an active payment page."
    course.refresh_from_db()
    assert course.published is False
    assert audit_types(creator) == ["course.created"]


def test_an_inactive_payment_page_does_not_count_for_publishing(creator):
    course = make_course(creator, published=False)  # has one lesson
    make_page(course, "one_time", active=False)

    with pytest.raises(DomainError) as refused:
        course_publish(course=course, actor=Actor.creator(creator), source="desk")

    assert refused.value.message == "Before publishing, add an active payment page."
    assert Course.objects.get(pk=course.pk).published is False


def test_a_course_with_a_lesson_and_an_active_page_is_published(creator):
    course = make_course(creator, published=False)
    make_page(course, "one_time")

    course_publish(course=course, actor=Actor.creator(creator), source="desk")

    assert Course.objects.get(pk=course.pk).published is True
    assert audit_types(creator) == ["course.published"]


def test_unpublishing_keeps_the_students_access(creator, course, customer):
    enrolment = make_enrolment(customer, course)

    course_unpublish(course=course, actor=Actor.creator(creator), source="desk")

    course.refresh_from_db()
    assert course.published is False
    assert Enrolment.objects.get(pk=enrolment.pk).status == "active"
    assert audit_types(creator) == ["course.unpublished"]


def test_a_course_with_students_is_not_deleted_but_can_be_archived(creator, course, customer):
    make_enrolment(customer, course)
    course_unpublish(course=course, actor=Actor.creator(creator), source="desk")

    with pytest.raises(DomainError) as refused:
        course_delete(course=course, actor=Actor.creator(creator), source="desk")

    assert refused.value.code == "course_has_students"
    assert Course.objects.filter(pk=course.pk).exists()
    assert audit_types(creator) == ["course.unpublished"]

    course_archive(course=course, actor=Actor.creator(creator), source="desk")

    course.refresh_from_db()
    assert course.archived_at is not None
    assert Enrolment.objects.get(customer=customer).status == "active"
    assert audit_types(creator) == ["course.unpublished", "course.archived"]


def test_a_revoked_student_still_keeps_the_course_from_being_deleted(creator, customer, frozen_now):
    course = make_course(creator, published=False)
    make_enrolment(customer, course, revoked_at=frozen_now)

    with pytest.raises(DomainError):
        course_delete(course=course, actor=Actor.creator(creator), source="desk")

    assert Course.objects.filter(pk=course.pk).exists()


def test_an_empty_draft_is_deleted_with_its_lessons_and_pages(creator):
    course = make_course(creator, published=False)
    make_page(course, "one_time")

    course_delete(course=course, actor=Actor.creator(creator), source="desk")

    assert not Course.objects.filter(pk=course.pk).exists()
    assert PaymentPage.objects.count() == 0
    assert audit_types(creator) == ["course.deleted"]


def test_a_published_course_must_be_unpublished_before_it_is_deleted(creator, course):
    with pytest.raises(DomainError) as refused:
        course_delete(course=course, actor=Actor.creator(creator), source="desk")

    assert refused.value.message == "Unpublish the course before deleting it."
    assert Course.objects.filter(pk=course.pk).exists()


# --- Thumbnails ----------------------------------------------------------------------------------


def test_a_thumbnail_is_resized_and_stored_under_an_unguessable_name(creator, media_root):
    course = create(creator, thumbnail=image_upload(size=(2560, 1440)))

    name = course.thumbnail.name
    assert name.startswith(f"thumbnails/{course.pk}-") and name.endswith(".jpg")
    assert len(name) == len(f"thumbnails/{course.pk}-") + 16 + 4
    with Image.open(media_root / name) as stored:
        assert (stored.format, stored.size) == ("JPEG", (1280, 720))


def test_a_transparent_image_stays_a_png(creator, media_root, course):
    course_update(
        course=course,
        thumbnail=image_upload(size=(640, 360), mode="RGBA"),
        actor=Actor.creator(creator),
        source="desk",
    )

    course.refresh_from_db()
    with Image.open(media_root / course.thumbnail.name) as stored:
        assert (stored.format, stored.size) == ("PNG", (640, 360))
    assert AuditEvent.objects.get(creator=creator).data["thumbnail"] == {
        "old": None,
        "new": course.thumbnail.name,
    }


def test_a_file_that_is_not_an_image_is_refused_and_no_course_is_created(creator, media_root):
    upload = SimpleUploadedFile("cover.png", b"<svg onload=alert(1)></svg>", content_type="image/png")

    with pytest.raises(DomainError) as refused:
        create(creator, thumbnail=upload)

    assert (refused.value.code, refused.value.message) == (
        "thumbnail_not_an_image",
        "Upload a JPEG, PNG, WebP or GIF image.",
    )
    assert Course.objects.count() == 0
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


def test_an_image_in_another_format_is_refused(creator, course):
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50)).save(buffer, "BMP")

    with pytest.raises(DomainError) as refused:
        course_update(
            course=course,
            title="Changed",
            thumbnail=SimpleUploadedFile("a.bmp", buffer.getvalue()),
            actor=Actor.creator(creator),
            source="desk",
        )

    assert refused.value.code == "thumbnail_not_an_image"
    course.refresh_from_db()
    assert (course.title, course.thumbnail.name) == ("Watercolor Foundations", "")


def test_an_image_over_5_mb_is_refused(creator, course):
    upload = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024), content_type="image/png")

    with pytest.raises(DomainError) as refused:
        course_update(course=course, thumbnail=upload, actor=Actor.creator(creator), source="desk")

    assert refused.value.message == "The image is larger than 5 MB. Choose a smaller one."
    assert Course.objects.get(pk=course.pk).thumbnail.name == ""
    assert audit_types(creator) == []


def test_a_new_customer_of_another_creator_is_irrelevant_to_deleting(creator, other_creator):
    course = make_course(creator, published=False)
    make_enrolment(make_customer(other_creator), make_course(other_creator))

    course_delete(course=course, actor=Actor.creator(creator), source="desk")

    assert not Course.objects.filter(pk=course.pk).exists()
