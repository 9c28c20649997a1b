"""The creator's customer activity feed, newest first."""

from __future__ import annotations

from ninja import Query, Router
from ninja.decorators import decorate_view

from coursedesk.api.pagination import PageParams, paginated, reject_unknown_parameters
from coursedesk.api.schemas import EventList
from coursedesk.audit.models import AuditEvent
from coursedesk.core.replica import replica_reads

router = Router(tags=["activity"])


@router.get("", response=EventList, summary="Customer activity, newest first")
@decorate_view(replica_reads())
def activity_list(request, page: Query[PageParams]):
    reject_unknown_parameters(request)
    events = AuditEvent.objects.for_creator(request.auth).filter(customer__isnull=False)
    return paginated(events, params=page, time_field="occurred_at")
