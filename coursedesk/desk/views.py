"""Creator pages of the customer desk."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from coursedesk.audit.models import AuditEvent
from coursedesk.catalog.models import Course


@login_required
def activity(request):
    events = (
        AuditEvent.objects.for_creator(request.user)
        .filter(customer__isnull=False)
        .select_related("customer")
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "desk/activity.html", {"nav": "activity", "page": page})


@login_required
def teach(request):
    courses = Course.objects.for_creator(request.user)
    return render(request, "desk/teach.html", {"nav": "teach", "courses": courses})


@login_required
def links(request):
    courses = Course.objects.for_creator(request.user).prefetch_related("payment_pages")
    return render(request, "desk/links.html", {"nav": "links", "courses": courses})
