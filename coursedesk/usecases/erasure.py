"""An operator's erasure of a customer's personal data, on the customer's request.

The customer row, enrolments and money records stay (a creator's books must still add up), but the
name, email, password and every copy of them in the outbox, checkouts, timeline and public events
are blanked.
"""

from __future__ import annotations

from django.db import transaction

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.billing.models import CheckoutSession
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer, CustomerNote
from coursedesk.integrations.events import public_events_redact
from coursedesk.mail.models import EmailSuppression, OutboundEmail


def customer_erase(*, customer: Customer, actor: Actor, reason: str = "") -> Customer:
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.erased_at is not None:
            raise DomainError("This customer's personal data was erased already.", code="already_erased")
        personal = {
            customer.email: "[erased]",
            customer.full_name: "[erased]",
            customer.first_name: "[erased]",
            customer.last_name: "[erased]",
            **dict.fromkeys(customer.email_aliases, "[erased]"),
        }
        personal = {value: mask for value, mask in personal.items() if value and len(value) >= 2}
        AuditEvent.objects.filter(customer=customer)._redact_personal_data(replacements=personal)
        public_events_redact(customer=customer, replacements=personal)
        OutboundEmail.objects.filter(customer=customer).update(
            to=f"erased-{customer.pk}@erased.invalid",
            subject="[erased]",
            text_body="",
            html_body="",
            delivery_detail="",
        )
        EmailSuppression.objects.for_creator(customer.creator).for_address(customer.email).delete()
        CheckoutSession.objects.filter(
            payment_page__course__creator_id=customer.creator_id, email__iexact=customer.email
        ).update(email=f"erased-{customer.pk}@erased.invalid", first_name="", last_name="", password_hash="")
        customer.reset_tokens.all().delete()
        CustomerNote.objects.filter(customer=customer).update(body="[erased]")
        customer.first_name = ""
        customer.last_name = ""
        customer.email = f"erased-{customer.pk}@erased.invalid"
        customer.password = ""
        customer.email_aliases = []
        customer.erased_at = clock.now()
        customer.save()
        audit_record(
            creator=customer.creator,
            customer=customer,
            type=AuditEventType.CUSTOMER_ERASED,
            actor=actor,
            source=AuditSource.COMMAND,
            subject=customer,
            data={"reason": reason} if reason else {},
        )
    return customer
