"""Access that ends: the reminder before an expiration, and the payment page that renews it.

A renewal is a checkout of the same payment page (checkout.checkout_fulfil extends access from the
current expiration); this module finds that page and tells the student about it in time.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F

from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing.emails import email_date, payment_email_queue
from coursedesk.billing.models import PaymentPolicy
from coursedesk.catalog.links import checkout_url
from coursedesk.catalog.models import PaymentPage
from coursedesk.core import clock
from coursedesk.customers.models import Enrolment
from coursedesk.mail.models import OutboundEmail

# The policy allows reminders at most this many days ahead, so no query looks further.
LONGEST_NOTICE = dt.timedelta(days=90)
REMINDER_BATCH = 500


def renewal_page_of(enrolment: Enrolment) -> PaymentPage | None:
    """The payment page that renews this access: the page it was bought with while it is still on
    sale, else the course's first active page that sells time-limited access, else None."""
    page = enrolment.payment_page
    if page is not None and page.active and page.course_id == enrolment.course_id:
        return page
    return (
        PaymentPage.objects.filter(course_id=enrolment.course_id, active=True, access_days__isnull=False)
        .exclude(kind__in=["subscription", "payment_plan"])
        .order_by("pk")
        .first()
    )


def _reminder_windows() -> tuple[dict[int, int | None], int]:
    """Each creator with a saved policy → their reminder days (None: off); and the default."""
    saved = dict(PaymentPolicy.objects.values_list("creator_id", "expiry_reminder_days"))
    return saved, PaymentPolicy._meta.get_field("expiry_reminder_days").default


def expiry_reminders_send(*, limit: int = REMINDER_BATCH) -> int:
    """Sends each due reminder once: access that ends within the creator's notice (7 days unless they
    chose otherwise; none when they turned reminders off), not revoked, not reminded for this date.
    Returns how many went. The scheduler runs it every minute."""
    now = clock.now()
    windows, default = _reminder_windows()
    candidates = (
        Enrolment.objects.filter(
            revoked_at__isnull=True, expires_at__gt=now, expires_at__lte=now + LONGEST_NOTICE
        )
        .exclude(expiry_reminded_for=F("expires_at"))
        .select_related("course")
        .order_by("expires_at", "pk")
    )
    sent = 0
    for enrolment in candidates.iterator(chunk_size=REMINDER_BATCH):
        days = windows.get(enrolment.course.creator_id, default)
        if days is None or enrolment.expires_at > now + dt.timedelta(days=days):
            continue
        if expiry_reminder_send(enrolment=enrolment, notice_days=days):
            sent += 1
            if sent >= limit:
                break
    return sent


def expiry_reminder_send(*, enrolment: Enrolment, notice_days: int) -> bool:
    """Queues the reminder for the enrolment's current expiration unless it went already; True if
    it went now. Audited through the outbox (email.queued on the customer's timeline)."""
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("customer__creator", "course", "payment_page")
            .get(pk=enrolment.pk)
        )
        now = clock.now()
        if (
            enrolment.revoked_at is not None
            or enrolment.expires_at is None
            or enrolment.expires_at <= now
            or enrolment.expires_at > now + dt.timedelta(days=notice_days)
            or enrolment.expiry_reminded_for == enrolment.expires_at
        ):
            return False
        course = enrolment.course
        page = renewal_page_of(enrolment)
        lines = [f"Your access to {course.title} ends on {email_date(enrolment.expires_at)}."]
        if page is not None:
            lines.append(
                f"To keep learning, renew it here ({page.price.format()}); the new period starts when "
                f"the current one ends, so you lose no days: {checkout_url(page)}"
            )
        if course.contact_email:
            lines.append(f"Questions? Write to {course.contact_email}.")
        payment_email_queue(
            customer=enrolment.customer,
            course=course,
            kind=OutboundEmail.Kind.EXPIRY_REMINDER,
            subject=f"Your access to {course.title} ends on {email_date(enrolment.expires_at)}",
            lines=lines,
            test_mode=False,
            actor=Actor.system(),
            source=AuditSource.SCHEDULER,
        )
        enrolment.expiry_reminded_for = enrolment.expires_at
        enrolment.save(update_fields=["expiry_reminded_for"])
    return True
