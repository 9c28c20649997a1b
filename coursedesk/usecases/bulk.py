"""Bulk actions: one action (grant, revoke, set or remove an expiration, resend a welcome email, add
or remove a tag) applied to a selection of customers or a whole segment.

First a dry run: how many customers, and the consequence sentence for three of them. Then a
background job (django-tasks): each customer's change is its own call of the usual audited service,
in its own savepoint, so a refusal (already revoked, not enrolled) is reported and the job goes on.
Customers are handled in batches, each batch in one transaction with the job's position, so a
stopped or interrupted job resumes after the last customer committed and does nobody twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import models, transaction
from django_tasks import task

from coursedesk.audit.services import Actor
from coursedesk.core import clock
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.customers import services as customer_services
from coursedesk.customers.models import BulkAction, Customer, Enrolment
from coursedesk.integrations.recording import public_events_batched
from coursedesk.mail.services import welcome_email_queue
from coursedesk.usecases.course_access import course_access_give
from coursedesk.usecases.customer_list import CustomerFilters, Segment, customers_in
from coursedesk.usecases.imports import IMPORT, import_row

logger = logging.getLogger(__name__)
SAMPLE = 3
MAX_CUSTOMERS = 200_000


class BulkRefused(DomainError):
    """A bulk action that cannot be carried out as asked (no course for an action that needs one, no
    customer chosen, a tag that is not one): 409, like every refusal of a rule the API's schema
    cannot state, with its own code and a sentence."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message, code=code, status=409)


class BulkKind(models.TextChoices):
    GRANT = "grant", "Give access to a course"
    REVOKE = "revoke", "Revoke access to a course"
    SET_EXPIRATION = "set_expiration", "Set or remove an expiration"
    RESEND_WELCOME_EMAIL = "resend_welcome_email", "Resend the welcome email"
    ADD_TAG = "add_tag", "Add a tag"
    REMOVE_TAG = "remove_tag", "Remove a tag"


NEEDS_COURSE = {BulkKind.GRANT, BulkKind.REVOKE, BulkKind.SET_EXPIRATION, BulkKind.RESEND_WELCOME_EMAIL}
NEEDS_TAG = {BulkKind.ADD_TAG, BulkKind.REMOVE_TAG}


@dataclass(frozen=True)
class BulkRequest:
    """What to do, checked: the kind, its course (one of the creator's) and its parameters."""

    kind: BulkKind
    course: object = None
    expires_at: dt.datetime | None = None
    tag: str = ""
    send_welcome_email: bool = False

    def params(self) -> dict:
        return {
            "expires_at": clock.iso(self.expires_at),
            "tag": self.tag,
            "send_welcome_email": self.send_welcome_email,
        }

    @classmethod
    def from_job(cls, job: BulkAction) -> BulkRequest:
        expires = job.params.get("expires_at")
        return cls(
            kind=BulkKind(job.action),
            course=job.course,
            expires_at=dt.datetime.fromisoformat(expires) if expires else None,
            tag=job.params.get("tag", ""),
            send_welcome_email=bool(job.params.get("send_welcome_email")),
        )


def bulk_request(
    *, kind: str, course=None, expires_at=None, tag: str = "", send_welcome_email: bool = False
) -> BulkRequest:
    """Checks what the action needs before anyone is touched (InvalidValue with a sentence)."""
    try:
        kind = BulkKind(kind)
    except ValueError as error:
        choices = ", ".join(BulkKind.values)
        raise InvalidValue(
            f"There is no bulk action “{kind}”; pick one of {choices}.", code="invalid_action"
        ) from error
    if kind in NEEDS_COURSE and course is None:
        raise BulkRefused(f"“{kind.label}” needs a course.", code="course_required")
    if kind in NEEDS_TAG:
        try:
            tag = customer_services.tag_clean(tag)
        except DomainError as error:
            raise BulkRefused(error.message, code=error.code) from error
    if kind == BulkKind.SET_EXPIRATION or (kind == BulkKind.GRANT and expires_at is not None):
        customer_services.expiration_check(expires_at)
    return BulkRequest(
        kind=kind,
        course=course if kind in NEEDS_COURSE else None,
        expires_at=expires_at,
        tag=tag,
        send_welcome_email=send_welcome_email,
    )


def selection_ids(*, creator, customer_ids=None, segment: str | None = None) -> list[int]:
    """The chosen customers' ids, newest first: given ids (each must be the creator's, else
    `not_found`) or a whole segment; never both, never neither."""
    if (customer_ids is None) == (segment is None):
        raise BulkRefused("Choose customers or a segment (one of the two).", code="invalid_selection")
    if segment is not None:
        try:
            chosen = Segment(segment)
        except ValueError as error:
            raise InvalidValue(f"There is no segment “{segment}”.", code="invalid_segment") from error
        ids = list(
            customers_in(creator=creator, segment=chosen, filters=CustomerFilters())
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)[: MAX_CUSTOMERS + 1]
        )
    else:
        wanted = list(dict.fromkeys(int(pk) for pk in customer_ids))
        found = set(
            Customer.objects.for_creator(creator)
            .filter(pk__in=wanted, merged_into__isnull=True)
            .values_list("pk", flat=True)
        )
        if len(found) != len(wanted):
            raise DomainError("Some of these customers do not exist.", code="not_found", status=404)
        ids = wanted
    if not ids:
        raise BulkRefused("No customer is in this selection.", code="empty_selection")
    if len(ids) > MAX_CUSTOMERS:
        raise BulkRefused(f"A bulk action handles at most {MAX_CUSTOMERS:,} customers.", code="too_many")
    return ids


def _who(customer: Customer) -> str:
    return f"{customer.full_name} ({customer.email})" if customer.full_name else customer.email


def consequence(request: BulkRequest, customer: Customer) -> str:
    """What the action does to this customer, or why it will be refused."""
    course = request.course
    enrolment = Enrolment.objects.filter(customer=customer, course=course).first() if course else None
    who = _who(customer)
    if request.kind == BulkKind.GRANT:
        if enrolment is not None and enrolment.revoked_at is None:
            return f"{who} already has access to {course.title}: nothing changes."
        until = f"until {clock.iso(request.expires_at)[:10]}" if request.expires_at else "for life"
        if enrolment is not None:
            return f"{who} gets access to {course.title} again, as before it was revoked."
        email = " and gets the welcome email" if request.send_welcome_email else ""
        return f"{who} gets access to {course.title} {until}{email}."
    if (
        request.kind in (BulkKind.REVOKE, BulkKind.SET_EXPIRATION, BulkKind.RESEND_WELCOME_EMAIL)
        and enrolment is None
    ):
        return f"{who} is not enrolled in {course.title}: refused, nothing changes."
    if request.kind == BulkKind.REVOKE:
        if enrolment.revoked_at is not None:
            return f"{who} has no access to {course.title} already: refused, nothing changes."
        return f"{who} loses access to {course.title} at once."
    if request.kind == BulkKind.SET_EXPIRATION:
        if request.expires_at is None:
            return f"{who} keeps {course.title} for life (no expiration)."
        return f"{who}'s access to {course.title} ends on {clock.iso(request.expires_at)[:10]}."
    if request.kind == BulkKind.RESEND_WELCOME_EMAIL:
        return f"{who} gets the welcome email of {course.title} again."
    has = request.tag.lower() in {name.lower() for name in customer.tag_names}
    if request.kind == BulkKind.ADD_TAG:
        return (
            f"{who} is tagged “{request.tag}” already: nothing changes."
            if has
            else f"{who} gets the tag “{request.tag}”."
        )
    return (
        f"{who} loses the tag “{request.tag}”."
        if has
        else f"{who} is not tagged “{request.tag}”: nothing changes."
    )


@dataclass
class DryRun:
    total: int
    sample: list[str]


def bulk_dry_run(*, creator, request: BulkRequest, ids: list[int]) -> DryRun:
    customers = Customer.objects.for_creator(creator).in_bulk(ids[:SAMPLE])
    return DryRun(total=len(ids), sample=[consequence(request, customers[pk]) for pk in ids[:SAMPLE]])


def bulk_action_start(
    *, creator, request: BulkRequest, ids: list[int], actor: Actor, source: str
) -> BulkAction:
    """Makes the job with its fixed selection and queues it after the commit."""
    with transaction.atomic():
        job = BulkAction.objects.create(
            creator=creator,
            action=request.kind.value,
            course=request.course,
            params=request.params(),
            customer_ids=ids,
            total=len(ids),
            actor_kind=actor.kind,
            actor_label=actor.label,
            actor_creator_id=actor.creator_id,
            source=source,
        )
        job_id = job.pk
        transaction.on_commit(lambda: bulk_action_run.enqueue(job_id))
    return job


def bulk_action_stop(*, job: BulkAction) -> BulkAction:
    """Stops a queued or running job after the customer it is handling."""
    with transaction.atomic():
        job = BulkAction.objects.select_for_update().get(pk=job.pk)
        if job.status not in (BulkAction.Status.QUEUED, BulkAction.Status.RUNNING):
            raise DomainError(
                f"This job is {job.get_status_display().lower()}; only a running one can stop.",
                code="job_not_running",
            )
        job.status = BulkAction.Status.STOPPED
        job.save(update_fields=["status"])
    return job


def bulk_action_resume(*, job: BulkAction) -> BulkAction:
    """Queues a job again: it goes on after the last customer it handled. A job whose worker was
    killed still reads "running": it resumes too, and even if the old worker were still alive the
    two would share the work, since each step takes the job's row lock and moves its position."""
    with transaction.atomic():
        job = BulkAction.objects.select_for_update().get(pk=job.pk)
        if job.status == BulkAction.Status.DONE:
            raise DomainError(
                "This job is done; there is nothing left to resume.",
                code="job_done",
            )
        job.status = BulkAction.Status.QUEUED
        job.save(update_fields=["status"])
        job_id = job.pk
        transaction.on_commit(lambda: bulk_action_run.enqueue(job_id))
    return job


def _apply(request: BulkRequest, customer: Customer, actor: Actor, source: str, *, enrolment=None) -> None:
    """One customer's change through the usual service; a refusal raises DomainError. `enrolment`:
    the customer's enrolment in the course, read with the batch (None: they have none)."""
    course = request.course
    if request.kind == BulkKind.GRANT:
        given = course_access_give(
            creator=customer.creator,
            course=course,
            email=customer.email,
            customer=customer,
            expires_at=request.expires_at,
            send_welcome_email=request.send_welcome_email,
            actor=actor,
            source=source,
        )
        if not given.given_now:
            raise DomainError(f"Already has access to {course.title}.", code="already_active")
        return
    if request.kind in NEEDS_TAG:
        change = (
            customer_services.customer_tag_add
            if request.kind == BulkKind.ADD_TAG
            else customer_services.customer_tag_remove
        )
        change(customer=customer, tag=request.tag, actor=actor, source=source)
        return
    if request.kind == BulkKind.RESEND_WELCOME_EMAIL:
        welcome_email_queue(customer=customer, course=course, enrolment=enrolment, actor=actor, source=source)
        return
    if enrolment is None:
        raise DomainError(f"Not enrolled in {course.title}.", code="not_enrolled")
    if request.kind == BulkKind.REVOKE:
        customer_services.enrolment_revoke(enrolment=enrolment, actor=actor, source=source)
    else:
        customer_services.enrolment_expiration_set(
            enrolment=enrolment, expires_at=request.expires_at, actor=actor, source=source
        )


# Customers handled per transaction. Each is still its own call of the usual service, in its own
# savepoint (a refusal undoes that customer's change only); the job's position moves in the same
# transaction, so a worker killed mid-batch loses that batch's changes and its position together,
# and the job resumes after the last committed customer. Twenty, because every savepoint that writes
# is a subtransaction of the batch's transaction, and past 64 of them PostgreSQL's snapshots of every
# other session (checkouts, the desk) must look them up in pg_subtrans, which slows the whole
# database; a customer's change takes two or three.
BATCH = 20


@dataclass(frozen=True)
class _Job:
    """What a job's steps share and never changes, read once per run rather than once per step."""

    pk: int
    creator: object
    course: object
    actor: Actor
    source: str
    action: str
    request: BulkRequest | None  # None for an import
    rows: list[dict]  # an import's rows
    customer_ids: list[int]  # a bulk action's customers
    send_welcome_email: bool

    @classmethod
    def read(cls, job_id: int) -> _Job:
        job = BulkAction.objects.select_related("creator", "course__creator").get(pk=job_id)
        is_import = job.action == IMPORT
        return cls(
            pk=job.pk,
            creator=job.creator,
            course=job.course,
            actor=Actor(job.actor_kind, job.actor_label, job.actor_creator_id),
            source=job.source,
            action=job.action,
            request=None if is_import else BulkRequest.from_job(job),
            rows=job.params["rows"] if is_import else [],
            customer_ids=[] if is_import else list(job.customer_ids),
            send_welcome_email=bool(job.params.get("send_welcome_email")),
        )


def _batch_handlers(plan: _Job, start: int, end: int):
    """(who, change) for each customer of the batch: what a refusal names, and the change itself.
    The batch's customers (and enrolments, for actions on one) are read in one query each."""
    if plan.action == IMPORT:
        for row in plan.rows[start:end]:

            def give(row=row):
                import_row(
                    creator=plan.creator,
                    course=plan.course,
                    row=row,
                    send_welcome_email=plan.send_welcome_email,
                    actor=plan.actor,
                    source=plan.source,
                )

            yield {"customer_id": "", "line": row["line"]}, give
        return
    ids = plan.customer_ids[start:end]
    customers = Customer.objects.for_creator(plan.creator).in_bulk(ids)
    enrolments = {}
    request = plan.request
    if request.kind in NEEDS_COURSE and request.kind != BulkKind.GRANT:
        enrolments = {
            enrolment.customer_id: enrolment
            for enrolment in Enrolment.objects.filter(course=request.course, customer_id__in=ids)
        }
    for customer_id in ids:

        def change(customer_id=customer_id):
            customer = customers.get(customer_id)
            if customer is None:
                raise DomainError("This customer no longer exists.", code="not_found")
            customer.creator = plan.creator  # the job's creator, whose customer it is
            _apply(request, customer, plan.actor, plan.source, enrolment=enrolments.get(customer_id))

        yield {"customer_id": str(customer_id)}, change


def _step(plan: _Job, limit: int) -> bool:
    with transaction.atomic(), public_events_batched():
        job = (
            BulkAction.objects.select_for_update()
            .only("status", "total", "position", "done", "failed", "errors", "finished_at")
            .get(pk=plan.pk)
        )
        if job.status == BulkAction.Status.STOPPED:
            return False
        if job.position >= job.total:
            if job.status != BulkAction.Status.DONE:
                job.status = BulkAction.Status.DONE
                job.finished_at = clock.now()
                job.save(update_fields=["status", "finished_at"])
            return False
        end = min(job.position + limit, job.total)
        errors = list(job.errors)
        for who, change in _batch_handlers(plan, job.position, end):
            try:
                with transaction.atomic():
                    change()
            except DomainError as error:
                job.failed += 1
                if len(errors) < BulkAction.MAX_ERRORS:
                    errors.append({**who, "code": error.code, "message": error.message})
            else:
                job.done += 1
        job.errors = errors
        job.position = end
        job.status = BulkAction.Status.RUNNING
        job.save(update_fields=["position", "done", "failed", "errors", "status"])
    return True


def bulk_action_step(*, job_id: int, limit: int = BATCH) -> bool:
    """Handles the job's next customers (at most `limit`); False when there is nothing left to do
    (done or stopped). The changes, the position and the counts commit together, under the job's
    row lock, so two workers of one job would never do a customer twice."""
    return _step(_Job.read(job_id), limit)


@task()
def bulk_action_run(job_id: int) -> str:
    """Runs the job from where it is until it is done or stopped. A failure that is not a refusal
    (the database went away) stops the job where it was, to be resumed."""
    try:
        plan = _Job.read(job_id)
        while _step(plan, BATCH):
            pass
    except Exception:
        logger.exception("bulk action %s failed; stopped, to be resumed", job_id)
        BulkAction.objects.filter(
            pk=job_id, status__in=[BulkAction.Status.QUEUED, BulkAction.Status.RUNNING]
        ).update(status=BulkAction.Status.STOPPED)
        raise
    return BulkAction.objects.get(pk=job_id).status
