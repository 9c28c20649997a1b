"""Settings → Webhooks: the creator's endpoints with their recent deliveries (add, change, turn on or
off, remove, rotate the secret, send a test event, redeliver one delivery or every failed one since
a date), and the audit log download. Every change goes through integrations' services."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from coursedesk.accounts.access import creator_required
from coursedesk.audit.export import audit_export_response
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.integrations import deliveries, endpoints
from coursedesk.integrations.events import EVENT_TYPES
from coursedesk.integrations.models import WebhookDelivery, WebhookEndpoint

SOURCE = AuditSource.DESK
RECENT_DELIVERIES = 10


class EndpointForm(forms.Form):
    url = forms.CharField(
        max_length=2000, label="URL", widget=forms.URLInput(attrs={"placeholder": "https://"})
    )
    events = forms.MultipleChoiceField(
        choices=[(event, event) for event in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        label="Events to send",
    )
    description = forms.CharField(max_length=200, required=False)


class EndpointChangeForm(EndpointForm):
    enabled = forms.BooleanField(required=False, label="On")


class RedeliverSinceForm(forms.Form):
    since = forms.DateField(label="Failed since", widget=forms.DateInput(attrs={"type": "date"}))


class AuditExportForm(forms.Form):
    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("jsonl", "JSON Lines")], initial="csv")


def _endpoint(request, webhook_endpoint_id: int) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint.objects.for_creator(request.creator), pk=webhook_endpoint_id)


def _page(request, *, form=None, status=200, **extra):
    rows = []
    for endpoint in WebhookEndpoint.objects.for_creator(request.creator):
        recent = endpoint.deliveries.select_related("event").order_by("-created_at", "-pk")[
            :RECENT_DELIVERIES
        ]
        change_form = EndpointChangeForm(
            initial={
                "url": endpoint.url,
                "events": endpoint.events,
                "description": endpoint.description,
                "enabled": endpoint.enabled,
            },
            prefix=f"endpoint-{endpoint.pk}",
        )
        rows.append((endpoint, list(recent), change_form))
    context = {
        "nav": "settings",
        "rows": rows,
        "form": form or EndpointForm(),
        "since_form": RedeliverSinceForm(initial={"since": clock.today() - dt.timedelta(days=7)}),
        "export_form": AuditExportForm(
            initial={"start": clock.today() - dt.timedelta(days=30), "end": clock.today()}
        ),
        **extra,
    }
    return render(request, "desk/webhooks.html", context, status=status)


@creator_required
@require_http_methods(["GET", "POST"])
def webhooks(request):
    if request.method == "GET":
        return _page(request)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint, secret = endpoints.webhook_endpoint_create(
                creator=request.creator,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                actor=Actor.creator(request.creator),
                source=SOURCE,
            )
        except DomainError as refused:
            form.add_error("url" if "url" in refused.code else None, refused.message)
        else:
            return _page(request, new_secret=secret, secret_endpoint=endpoint)
    return _page(request, form=form, status=422)


@creator_required
@require_http_methods(["GET", "POST"])
def webhook_change(request, webhook_endpoint_id: int):
    endpoint = _endpoint(request, webhook_endpoint_id)
    if request.method != "POST":  # an action's address opened in the browser: the page
        return redirect("desk:webhooks")
    form = EndpointChangeForm(request.POST, prefix=f"endpoint-{endpoint.pk}")
    if not form.is_valid():
        messages.error(request, "Give a URL and at least one event type.")
        return redirect("desk:webhooks")
    try:
        endpoints.webhook_endpoint_update(
            endpoint=endpoint, actor=Actor.creator(request.creator), source=SOURCE, **form.cleaned_data
        )
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Endpoint saved.")
    return redirect("desk:webhooks")


@creator_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request, webhook_endpoint_id: int):
    endpoint = _endpoint(request, webhook_endpoint_id)
    if request.method != "POST":  # an action's address opened in the browser: the page
        return redirect("desk:webhooks")
    endpoints.webhook_endpoint_delete(endpoint=endpoint, actor=Actor.creator(request.creator), source=SOURCE)
    messages.success(request, f"Endpoint {endpoint.url} removed. Nothing more is sent to it.")
    return redirect("desk:webhooks")


@creator_required
@require_http_methods(["GET", "POST"])
def webhook_rotate(request, webhook_endpoint_id: int):
    endpoint = _endpoint(request, webhook_endpoint_id)
    if request.method != "POST":  # an action's address opened in the browser: the page
        return redirect("desk:webhooks")
    secret = endpoints.webhook_endpoint_secret_rotate(
        endpoint=endpoint, actor=Actor.creator(request.creator), source=SOURCE
    )
    return _page(request, new_secret=secret, secret_endpoint=endpoint, rotated=True)


@creator_required
@require_http_methods(["GET", "POST"])
def webhook_test(request, webhook_endpoint_id: int):
    endpoint = _endpoint(request, webhook_endpoint_id)
    if request.method != "POST":  # an action's address opened in the browser: the page
        return redirect("desk:webhooks")
    try:
        deliveries.webhook_endpoint_test_send(endpoint=endpoint)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"Test event sent to {endpoint.url}; its delivery is listed below.")
    return redirect("desk:webhooks")


@creator_required
@require_http_methods(["GET", "POST"])
def webhook_redeliver_failed(request, webhook_endpoint_id: int):
    endpoint = _endpoint(request, webhook_endpoint_id)
    if request.method != "POST":  # an action's address opened in the browser: the page
        return redirect("desk:webhooks")
    form = RedeliverSinceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a date.")
        return redirect("desk:webhooks")
    try:
        count = deliveries.webhook_deliveries_redeliver_failed(
            endpoint=endpoint, since=clock.start_of_day(form.cleaned_data["since"])
        )
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"{count} failed deliveries sent again.")
    return redirect("desk:webhooks")


@creator_required
@require_http_methods(["GET", "POST"])
def webhook_delivery_redeliver(request, webhook_delivery_id: int):
    delivery = get_object_or_404(WebhookDelivery.objects.for_creator(request.creator), pk=webhook_delivery_id)
    if request.method != "POST":
        return redirect("desk:webhooks")
    try:
        deliveries.webhook_delivery_redeliver(delivery=delivery)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Delivery sent again.")
    return redirect("desk:webhooks")


@creator_required
@require_GET
def audit_log_download(request):
    form = AuditExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Choose the dates as YYYY-MM-DD.")
        return redirect("desk:webhooks")
    try:
        return audit_export_response(
            creator=request.creator,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            format=form.cleaned_data["format"],
        )
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("desk:webhooks")
