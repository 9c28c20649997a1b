"""Creator pages of the customer desk: activity and search, profile and its actions, Teach, links, CSV.

Every page starts from the signed-in creator's data; another creator's object is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from coursedesk.accounts.access import creator_required
from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.catalog.links import checkout_url, course_links, sales_url
from coursedesk.catalog.models import Course
from coursedesk.core.display import display_current
from coursedesk.core.errors import DomainError
from coursedesk.core.pagination import InvalidCursor, keyset_page
from coursedesk.core.replica import replica_reads
from coursedesk.customers.models import Customer
from coursedesk.customers.selectors import course_students, customer_search_with_near_matches
from coursedesk.desk.actions import ACTIONS
from coursedesk.usecases.profile import customer_profile, profile_customer
from coursedesk.usecases.student_view import student_view_begin
from coursedesk.usecases.students_csv import students_csv_response

ACTIVITY_PAGE = 50
LINK_LABELS = [
    ("login_url", "Login"),
    ("password_reset_url", "Password reset"),
    ("billing_url", "Billing (update card)"),
    ("cancel_url", "Cancel recurring payments"),
]
SEARCH_LIMIT = 20


@creator_required
@require_GET
@replica_reads()
def activity(request):
    query = request.GET.get("q", "").strip()
    search = (
        customer_search_with_near_matches(creator=request.creator, query=query, limit=SEARCH_LIMIT)
        if query
        else None
    )
    if request.htmx and request.htmx.target == "search-results":
        return render(request, "desk/_search_results.html", {"search": search, "query": query})
    events = (
        AuditEvent.objects.for_creator(request.creator)
        .filter(customer__isnull=False)
        .select_related("customer")
    )
    try:
        page = keyset_page(
            events,
            time_field="occurred_at",
            cursor=request.GET.get("after"),
            before=request.GET.get("before"),
            limit=ACTIVITY_PAGE,
        )
    except InvalidCursor as error:
        raise Http404("No such page of activity.") from error
    return render(
        request,
        "desk/activity.html",
        {
            "nav": "activity",
            "search": search,
            "query": query,
            "page": page,
            "first_page": page.previous_cursor is None,
        },
    )


def _profile_context(request, customer, **extra):
    profile = customer_profile(customer=customer)
    return {"nav": "activity", "profile": profile, "customer": customer, **extra}


@creator_required
@require_GET
def customer_detail(request, customer_id):
    customer = profile_customer(creator=request.creator, customer_id=customer_id)
    display_current().currencies_known((customer.creator_currencies or 0) > 1)
    context = _profile_context(
        request, customer, offer_welcome_email=request.GET.get("offer") == "welcome-email"
    )
    if request.htmx and request.htmx.target == "profile":
        return render(request, "desk/_profile.html", context)
    return render(request, "desk/profile.html", context)


@creator_required
def customer_action(request, action_name, **object_id):
    """GET: the action's form, or its confirmation when there is nothing to choose.

    POST without `confirmed`: check the choices, then ask for confirmation with the sentence.
    POST with `confirmed=yes`: do it; the profile comes back with the outcome (htmx) or the
    browser is sent back to it (plain form).
    """
    action = ACTIONS.get(action_name)
    if action is None:
        raise Http404("No such action.")
    (pk,) = object_id.values()
    obj = action.lookup(request.creator, pk)
    customer = action.customer_of(obj)
    url = reverse(f"desk:{action.name}", args=[obj.pk])

    query = request.GET.copy()
    query.pop("change", None)  # asks for the form instead of the defaults' confirmation
    data = request.POST if request.method == "POST" else (query or None)
    form = action.form(obj, data)
    nothing_to_choose = not [field for field in form if not field.is_hidden]
    defaults_first = action.confirm_defaults and "change" not in request.GET
    if form.is_bound is False and (nothing_to_choose or defaults_first):
        form = action.form(obj, {})
    refused_at_the_end = False
    confirmed = request.method == "POST" and request.POST.get("confirmed") == "yes"
    if form.is_bound and form.is_valid():
        try:
            action.check(obj, form.cleaned_data)
        except DomainError as error:
            _refusal_to_form(form, action, error)
    if confirmed and form.is_valid():
        try:
            done = action.perform(obj, form.cleaned_data, Actor.creator(request.creator))
        except DomainError as error:
            # A race or a rule only the service sees: the dialog stays, with what was typed.
            _refusal_to_form(form, action, error)
            refused_at_the_end = True
        else:
            return _after_action(
                request, customer, message=done.message, offer_welcome_email=done.offer_welcome_email
            )

    stage = "confirm" if form.is_bound and form.is_valid() else "form"
    context = {
        "nav": "activity",
        "action": action,
        "object": obj,
        "customer": customer,
        "form": form,
        "stage": stage,
        "title": action.title_for(obj),
        "change_url": f"{url}?change=1" if action.confirm_defaults else "",
        "url": url,
        "sentence": action.sentence(obj, form.cleaned_data) if stage == "confirm" else "",
        "profile_url": reverse("desk:customer", args=[customer.pk]),
    }
    template = "desk/_action.html" if request.htmx else "desk/action.html"
    response = render(request, template, context)
    if request.htmx and (refused_at_the_end or (confirmed and stage == "form")):
        response["HX-Retarget"] = "#dialog"
        response["HX-Reswap"] = "innerHTML"
    return response


def _refusal_to_form(form, action, error: DomainError) -> None:
    """Puts a service's refusal next to the field it is about (or above the form)."""
    field = action.error_fields.get(error.code)
    form.add_error(field if field in form.fields else None, error.message)


def _after_action(request, customer, *, message="", error="", offer_welcome_email=False):
    if request.htmx:
        customer.refresh_from_db()
        context = _profile_context(
            request, customer, notice=message, error=error, offer_welcome_email=offer_welcome_email
        )
        response = render(request, "desk/_profile.html", context)
        response["HX-Retarget"] = "#profile"
        response["HX-Reswap"] = "outerHTML show:window:top"
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    url = reverse("desk:customer", args=[customer.pk])
    return redirect(f"{url}?offer=welcome-email" if offer_welcome_email else url)


@creator_required
@require_GET
@replica_reads()
def teach(request):
    courses = course_students(courses=list(Course.objects.for_creator(request.creator)))
    return render(request, "desk/teach.html", {"nav": "teach", "courses": courses})


@creator_required
@require_GET
def links(request):
    courses = Course.objects.for_creator(request.creator).prefetch_related("payment_pages")
    return render(
        request,
        "desk/links.html",
        {"nav": "links", "courses": [(course, _link_rows(course)) for course in courses]},
    )


@dataclass(frozen=True)
class LinkRow:
    label: str
    id: str
    url: str


def _link_rows(course) -> list[LinkRow]:
    links = course_links(course)
    rows = [LinkRow(label, f"link-{course.pk}-{key}", links[key]) for key, label in LINK_LABELS]
    if course.published and course.archived_at is None:
        rows.insert(0, LinkRow("Sales page", f"link-{course.pk}-sales_url", sales_url(course)))
    for page in course.payment_pages.all():
        if page.active:
            label = f"Checkout: {page.name} ({page.describe_price()})"
            rows.append(LinkRow(label, f"link-{course.pk}-checkout-{page.pk}", checkout_url(page)))
    return rows


@creator_required
@require_GET
@replica_reads()
def students_csv(request, course_id):
    course = get_object_or_404(Course.objects.for_creator(request.creator), pk=course_id)
    return students_csv_response(course=course)


@creator_required
@require_POST
def student_view(request, customer_id, course_id):
    """Opens the course's student pages as this customer sees them: read only, on the timeline."""
    customer = get_object_or_404(Customer.objects.for_creator(request.creator), pk=customer_id)
    course = get_object_or_404(Course.objects.for_creator(request.creator), pk=course_id)
    student_view_begin(
        session=request.session,
        user=request.user,
        customer=customer,
        course=course,
        actor=Actor.creator(request.creator),
    )
    return redirect("classroom:course", course_slug=course.slug)
