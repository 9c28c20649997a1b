"""Enrolments: revoke, grant again, change the expiration."""

from __future__ import annotations

from ninja import Router, Schema
from pydantic import Field

from coursedesk.api.fields import Moment
from coursedesk.api.schemas import EnrolmentOut, ErrorOut, owned
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.customers import services
from coursedesk.customers.models import Enrolment

router = Router(tags=["enrolments"])
SOURCE = AuditSource.API


class ExpirationPatch(Schema):
    # Required, and null means lifetime access. The format hint helps clients and schema-driven tests
    # that read only the top level of a property.
    expires_at: Moment | None = Field(
        ...,
        description="When access ends (with a timezone), or null for lifetime access.",
        json_schema_extra={"format": "date-time"},
    )


def _enrolment(request, enrolment_id: str) -> Enrolment:
    return owned(
        Enrolment.objects.for_creator(request.auth).select_related("course", "customer"), enrolment_id
    )


def _fresh(enrolment: Enrolment) -> Enrolment:
    return Enrolment.objects.select_related("course").get(pk=enrolment.pk)


@router.post(
    "/{enrolment_id}/revoke",
    response={200: EnrolmentOut, 409: ErrorOut},
    summary="Take access away at once (payments untouched)",
)
def enrolment_revoke(request, enrolment_id: str):
    enrolment = _enrolment(request, enrolment_id)
    services.enrolment_revoke(enrolment=enrolment, actor=Actor.creator(request.auth), source=SOURCE)
    return _fresh(enrolment)


@router.post(
    "/{enrolment_id}/grant",
    response={200: EnrolmentOut, 409: ErrorOut},
    summary="Grant access again, exactly as before the revoke",
)
def enrolment_grant(request, enrolment_id: str):
    enrolment = _enrolment(request, enrolment_id)
    services.enrolment_restore(enrolment=enrolment, actor=Actor.creator(request.auth), source=SOURCE)
    return _fresh(enrolment)


@router.patch(
    "/{enrolment_id}",
    response={200: EnrolmentOut, 422: ErrorOut},
    summary="Set the expiration, or null for lifetime access",
)
def enrolment_patch(request, enrolment_id: str, body: ExpirationPatch):
    enrolment = _enrolment(request, enrolment_id)
    services.enrolment_expiration_set(
        enrolment=enrolment, expires_at=body.expires_at, actor=Actor.creator(request.auth), source=SOURCE
    )
    return _fresh(enrolment)
