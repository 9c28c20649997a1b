"""The display (time zone, date format, currency codes) of a creator, set for each request: desk pages
read it from the signed-in creator, student pages from their course's creator."""

from __future__ import annotations

from coursedesk.accounts.access import acting_resolve
from coursedesk.catalog.models import PaymentPage
from coursedesk.core.display import Display, display_use


def creator_sells_in_several_currencies(creator) -> bool:
    """Whether the creator's payment pages ask for more than one currency (a small table, one query)."""
    return PaymentPage.objects.filter(course__creator=creator).values("currency").distinct().count() > 1


def display_for_creator(creator) -> Display:
    return Display(
        date_format=creator.date_format,
        time_zone=creator.time_zone,
        several_currencies=lambda: creator_sells_in_several_currencies(creator),
    )


class CreatorDisplayMiddleware:
    """Signed-in creators and their team members see the zone and format of the account they act for;
    the display is cleared after each request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(user, "date_format"):
            display_use(display_for_creator(acting_resolve(request).account))
        try:
            return self.get_response(request)
        finally:
            display_use(None)
