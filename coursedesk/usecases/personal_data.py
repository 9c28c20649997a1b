"""A customer's personal data, all of it, as one JSON document: the right of access and of
portability. The desk's download and the API's export are this one document.

Objects are in the API's shapes (the same encoder), so a program reads them like any API answer;
notes, email bodies and the timeline are added because they are about the person too.
"""

from __future__ import annotations

import json

from ninja.responses import NinjaJSONEncoder

from coursedesk.audit.describe import event_sentence
from coursedesk.billing.models import Refund, Subscription
from coursedesk.core import clock
from coursedesk.customers.models import Customer, CustomerNote, Enrolment
from coursedesk.customers.selectors import customer_timeline
from coursedesk.integrations.shapes import (
    CustomerOut,
    EmailOut,
    EnrolmentOut,
    PaymentOut,
    RefundOut,
    SubscriptionOut,
    as_api_json,
)
from coursedesk.mail.models import OutboundEmail
from coursedesk.usecases.profile import customer_payments

FORMAT = "coursedesk.personal_data.v1"


def _iso(moment) -> str | None:
    return json.loads(json.dumps(moment, cls=NinjaJSONEncoder)) if moment is not None else None


def customer_personal_data(*, customer: Customer) -> dict:
    """Everything CourseDesk holds about `customer`, newest first in each list."""
    enrolments = (
        Enrolment.objects.filter(customer=customer).select_related("course").order_by("-granted_at", "-pk")
    )
    refunds = Refund.objects.filter(payment__customer=customer).order_by("-created_at", "-pk")
    subscriptions = Subscription.objects.filter(customer=customer).order_by("-started_at", "-pk")
    emails = OutboundEmail.objects.filter(customer=customer).order_by("-created_at", "-pk")
    notes = CustomerNote.objects.filter(customer=customer).order_by("-created_at", "-pk")
    return {
        "format": FORMAT,
        "exported_at": _iso(clock.now()),
        "customer": {
            **as_api_json(CustomerOut, customer),
            "email_aliases": list(customer.email_aliases),
            "merged_into_id": str(customer.merged_into_id) if customer.merged_into_id else None,
            "erased_at": _iso(customer.erased_at),
        },
        "enrolments": [
            {**as_api_json(EnrolmentOut, enrolment), "source": enrolment.source} for enrolment in enrolments
        ],
        "payments": [
            {**as_api_json(PaymentOut, payment), "course_title": payment.course.title}
            for payment in customer_payments(customer=customer)
        ],
        "refunds": [as_api_json(RefundOut, refund) for refund in refunds],
        "subscriptions": [as_api_json(SubscriptionOut, subscription) for subscription in subscriptions],
        "emails": [{**as_api_json(EmailOut, email), "text_body": email.text_body} for email in emails],
        "notes": [
            {
                "id": str(note.pk),
                "body": note.body,
                "author": note.author_label,
                "created_at": _iso(note.created_at),
            }
            for note in notes
        ],
        "timeline": [
            {
                "type": event.type,
                "occurred_at": _iso(event.occurred_at),
                "summary": event_sentence(event),
                "actor": event.actor_label,
                "source": event.source,
            }
            for event in customer_timeline(customer=customer)
        ],
    }


def personal_data_filename(customer: Customer) -> str:
    return f"customer-{customer.pk}-personal-data.json"
