"""Merging a duplicate customer into the one that stays (the survivor).

One transaction moves the duplicate's enrolments, payments (with their refunds), subscriptions,
emails, notes and tags to the survivor; the survivor keeps the duplicate's address as an alias that
sign-in and search still find; both timelines record it. The duplicate is kept, marked merged and
pointing at the survivor: records of money keep their history, nothing is deleted.

A course both are enrolled in keeps the survivor's enrolment, given the more generous access of the
two (not revoked when either had access, the later expiration or none); the duplicate's enrolment in
it is revoked, so nobody counts twice. Two running subscriptions to one course would charge one
person twice: that merge is refused until one is canceled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType
from coursedesk.billing.models import CheckoutSession, Payment, Subscription
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.customers import services as customer_services
from coursedesk.customers.models import Customer, CustomerNote, CustomerTag, Enrolment, EnrolmentStatus
from coursedesk.mail.models import OutboundEmail

RUNNING = (Subscription.Status.ACTIVE, Subscription.Status.PAUSED, Subscription.Status.PAST_DUE)


class MergeConflict(DomainError):
    def __init__(self, message: str):
        super().__init__(message, code="merge_conflict", status=409)


@dataclass
class MergePreview:
    """What a merge moves, counted, with the sentences a creator reads before confirming."""

    survivor: Customer
    duplicate: Customer
    enrolments: list[str] = field(default_factory=list)  # course titles that move
    shared_courses: list[str] = field(default_factory=list)  # in both: the survivor's enrolment stays
    payments: int = 0
    subscriptions: int = 0
    emails: int = 0
    notes: int = 0
    tags: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        def count(number, word):
            return f"{number} {word}{'' if number == 1 else 's'}"

        lines = []
        if self.enrolments:
            lines.append("Access to " + ", ".join(self.enrolments))
        if self.shared_courses:
            lines.append(
                "In both: " + ", ".join(self.shared_courses) + " (the more generous access is kept, once)"
            )
        lines += [
            count(self.payments, "payment") + " with their refunds",
            count(self.subscriptions, "subscription"),
            count(self.emails, "email"),
            count(self.notes, "note"),
        ]
        if self.tags:
            lines.append("Tags " + ", ".join(self.tags))
        return lines


def _check(survivor: Customer, duplicate: Customer) -> None:
    if survivor.pk == duplicate.pk:
        raise MergeConflict("A customer cannot be merged with themselves.")
    if survivor.creator_id != duplicate.creator_id:  # callers look both up among one creator's
        raise MergeConflict("These customers belong to different accounts.")
    for customer in (survivor, duplicate):
        if customer.merged_into_id is not None:
            raise MergeConflict(f"{customer.email} was already merged into another customer.")
        if customer.erased_at is not None:
            raise MergeConflict(
                f"The personal data of customer {customer.pk} was erased; it cannot be merged."
            )
    running = Subscription.objects.filter(status__in=RUNNING)
    both = (
        running.filter(customer=survivor, course__in=running.filter(customer=duplicate).values("course"))
        .select_related("course")
        .first()
    )
    if both is not None:
        raise MergeConflict(
            f"Both customers have an active subscription to {both.course.title}: cancel one of them "
            "first, so that nobody pays twice for one course."
        )


def merge_preview(*, survivor: Customer, duplicate: Customer) -> MergePreview:
    """What `customers_merge` would move; refuses (MergeConflict) what it would refuse."""
    _check(survivor, duplicate)
    survivor_courses = set(Enrolment.objects.filter(customer=survivor).values_list("course_id", flat=True))
    preview = MergePreview(survivor=survivor, duplicate=duplicate)
    for enrolment in (
        Enrolment.objects.filter(customer=duplicate).select_related("course").order_by("course__title")
    ):
        (preview.shared_courses if enrolment.course_id in survivor_courses else preview.enrolments).append(
            enrolment.course.title
        )
    preview.payments = Payment.objects.filter(customer=duplicate).count()
    preview.subscriptions = Subscription.objects.filter(customer=duplicate).count()
    preview.emails = OutboundEmail.objects.filter(customer=duplicate).count()
    preview.notes = CustomerNote.objects.filter(customer=duplicate).count()
    preview.tags = [
        tag for tag in duplicate.tag_names if tag.lower() not in {t.lower() for t in survivor.tag_names}
    ]
    return preview


def _more_generous(*, keep: Enrolment, other: Enrolment, actor: Actor, source: str) -> None:
    """Gives `keep` at least the access `other` gives, through the enrolment services (audited)."""
    other_active = other.status == EnrolmentStatus.ACTIVE
    if keep.revoked_at is not None and other.revoked_at is None:
        customer_services.enrolment_restore(enrolment=keep, actor=actor, source=source)
        keep.refresh_from_db()
    if other_active and keep.expires_at is not None:
        later = None if other.expires_at is None else max(other.expires_at, keep.expires_at)
        if later != keep.expires_at:
            customer_services.enrolment_expiration_set(
                enrolment=keep, expires_at=later, actor=actor, source=source
            )


def customers_merge(*, survivor: Customer, duplicate: Customer, actor: Actor, source: str) -> Customer:
    """Moves everything of `duplicate` to `survivor` in one transaction (see the module's words)."""
    with transaction.atomic():
        first, second = sorted([survivor.pk, duplicate.pk])  # one lock order, whoever merges whom
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[first, second])}
        survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
        _check(survivor, duplicate)
        preview = merge_preview(survivor=survivor, duplicate=duplicate)

        kept = {e.course_id: e for e in Enrolment.objects.select_for_update().filter(customer=survivor)}
        for enrolment in Enrolment.objects.select_for_update().filter(customer=duplicate):
            if enrolment.course_id in kept:
                _more_generous(keep=kept[enrolment.course_id], other=enrolment, actor=actor, source=source)
                if enrolment.revoked_at is None:
                    customer_services.enrolment_revoke(
                        enrolment=enrolment, actor=actor, source=source, reason="merged into another customer"
                    )
            else:
                Enrolment.objects.filter(pk=enrolment.pk).update(customer=survivor)
        Payment.objects.filter(customer=duplicate).update(customer=survivor)
        Subscription.objects.filter(customer=duplicate).update(customer=survivor)
        OutboundEmail.objects.filter(customer=duplicate).update(customer=survivor)
        CustomerNote.objects.filter(customer=duplicate).update(customer=survivor)
        CheckoutSession.objects.filter(customer=duplicate).update(customer=survivor)
        duplicate.reset_tokens.all().delete()  # a reset link opens the survivor's account from now on

        have = set(CustomerTag.objects.filter(customer=survivor).values_list("tag_id", flat=True))
        CustomerTag.objects.bulk_create(
            [
                CustomerTag(customer=survivor, tag_id=tag_id)
                for tag_id in CustomerTag.objects.filter(customer=duplicate).values_list("tag_id", flat=True)
                if tag_id not in have
            ]
        )
        survivor.tag_names = sorted({*survivor.tag_names, *preview.tags}, key=str.lower)
        aliases = [duplicate.email, *duplicate.email_aliases]
        survivor.email_aliases = [
            *survivor.email_aliases,
            *(a for a in aliases if a not in survivor.email_aliases),
        ]
        if not survivor.gateway_customer_id and duplicate.gateway_customer_id:
            survivor.gateway_customer_id = duplicate.gateway_customer_id
        if duplicate.last_login_at and (
            not survivor.last_login_at or duplicate.last_login_at > survivor.last_login_at
        ):
            survivor.last_login_at = duplicate.last_login_at
        survivor.save(update_fields=["tag_names", "email_aliases", "gateway_customer_id", "last_login_at"])
        # Customers merged into the duplicate before now point at the survivor too.
        Customer.objects.filter(merged_into=duplicate).update(merged_into=survivor)
        duplicate.merged_into = survivor
        duplicate.merged_at = clock.now()
        duplicate.save(update_fields=["merged_into", "merged_at"])

        moved = {
            "enrolments": len(preview.enrolments),
            "shared_courses": len(preview.shared_courses),
            "payments": preview.payments,
            "subscriptions": preview.subscriptions,
            "emails": preview.emails,
            "notes": preview.notes,
        }
        audit_record(
            creator=survivor.creator,
            customer=survivor,
            type=AuditEventType.CUSTOMER_MERGED,
            actor=actor,
            source=source,
            subject=survivor,
            data={"subject": duplicate.email, "duplicate_id": duplicate.pk, "moved": moved},
        )
        audit_record(
            creator=survivor.creator,
            customer=duplicate,
            type=AuditEventType.CUSTOMER_MERGED_AWAY,
            actor=actor,
            source=source,
            subject=duplicate,
            data={"subject": survivor.email, "survivor_id": survivor.pk},
        )
    return survivor
