"""Stripe's webhook inbox (being built)."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def stripe_inbox(request, endpoint_id: str):
    return HttpResponse(status=404)
