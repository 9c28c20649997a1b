"""Payment settings and public checkout pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from coursedesk.billing.models import GatewayAccount
from coursedesk.catalog.models import PaymentPage


@login_required
def settings_page(request):
    account, _ = GatewayAccount.objects.get_or_create(creator=request.user)
    return render(request, "billing/settings.html", {"nav": "payments", "account": account})


def checkout(request, page_id: int):
    page = get_object_or_404(PaymentPage.objects.select_related("course"), pk=page_id, active=True)
    return render(request, "billing/checkout.html", {"page": page, "course": page.course})
