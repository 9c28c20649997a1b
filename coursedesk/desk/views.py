"""Creator pages of the customer desk: activity and search, profile and its actions, Teach, links, CSV.

Every page starts from the signed-in creator's data; another creator's object is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from coursedesk.accounts.access import creator_required
from coursedesk.accounts.roles import Permission
from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.models import Receipt
from coursedesk.catalog.links import checkout_url, course_links, sales_url
from coursedesk.catalog.models import Course
from coursedesk.core.display import display_current
from coursedesk.core.errors import DomainError
from coursedesk.core.pagination import InvalidCursor, keyset_page
from coursedesk.core.replica import replica_reads
from coursedesk.customers.models import Customer, Tag
from coursedesk.customers.selectors import course_students, customer_search_with_near_matches
from coursedesk.desk.actions import ACTIONS
from coursedesk.desk.bulk import BulkForm
from coursedesk.desk.rendered import profile_html
from coursedesk.usecases.customer_list import CustomerFilters, Segment, customer_list_page, customer_rows
from coursedesk.usecases.payments_csv import payments_csv_response
from coursedesk.usecases.personal_data import customer_personal_data, personal_data_filename
from coursedesk.usecases.profile import customer_profile, profile_open
from coursedesk.usecases.receipts import receipt_filename, receipt_html, receipt_pdf
from coursedesk.usecases.student_view import student_view_begin
from coursedesk.usecases.students_csv import students_csv_response

ACTIVITY_PAGE = 50
CUSTOMERS_PAGE = 50
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
    # Each found customer with their courses and status, so two people of the same name differ.
    search_rows = customer_rows(search.customers) if search else []
    if request.htmx and request.htmx.target == "search-results":
        return render(
            request,
            "desk/_search_results.html",
            {"search": search, "query": query, "search_rows": search_rows},
        )
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
            "search_rows": search_rows,
            "query": query,
            "page": page,
            "first_page": page.previous_cursor is None,
        },
    )


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label="Name or email", required=False, max_length=200)
    course = forms.ModelChoiceField(queryset=Course.objects.none(), required=False, empty_label="Any course")
    tag = forms.CharField(label="Tag", required=False, max_length=Tag.MAX_LENGTH)
    bought_from = forms.DateField(
        label="Bought from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    bought_to = forms.DateField(label="to", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, creator, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.for_creator(creator)


@dataclass(frozen=True)
class SegmentLink:
    value: str
    label: str
    count: int
    url: str
    current: bool


def _list_url(query: QueryDict, **changes) -> str:
    query = query.copy()
    for key in ("after", "before", *changes):
        query.pop(key, None)
    for key, value in changes.items():
        if value:
            query[key] = value
    text = query.urlencode()
    return f"{reverse('desk:customers')}?{text}" if text else reverse("desk:customers")


@creator_required
@require_GET
@replica_reads()
def customers(request):
    """Every customer, by segment (each with its count), filtered by course and purchase dates,
    searched by name or email; newest first, in keyset pages."""
    form = CustomerFilterForm(request.creator, request.GET)
    context = {"nav": "customers", "form": form, "listing": None}
    try:
        segment = Segment(request.GET.get("segment") or Segment.ALL)
    except ValueError as error:
        raise Http404("No such segment.") from error
    if form.is_valid():
        data = form.cleaned_data
        try:
            filters = CustomerFilters(
                query=data["q"].strip(),
                course=data["course"],
                tag=data["tag"].strip(),
                bought_from=data["bought_from"],
                bought_to=data["bought_to"],
            )
            listing = customer_list_page(
                creator=request.creator,
                segment=segment,
                filters=filters,
                cursor=request.GET.get("after"),
                before=request.GET.get("before"),
                limit=CUSTOMERS_PAGE,
            )
        except InvalidCursor as error:
            raise Http404("No such page of customers.") from error
        except DomainError as error:
            form.add_error("bought_from", error.message)
        else:
            context["listing"] = listing
            context["bulk_form"] = BulkForm(request.creator)
            context["segment_count"] = listing.counts[segment.value]
            context["segments"] = [
                SegmentLink(
                    choice.value,
                    choice.label,
                    listing.counts[choice.value],
                    _list_url(request.GET, segment="" if choice == Segment.ALL else choice.value),
                    choice == segment,
                )
                for choice in Segment
            ]
            page = listing.page
            context["newer_url"] = (
                _list_url(request.GET, before=page.previous_cursor) if page.previous_cursor else ""
            )
            context["older_url"] = _list_url(request.GET, after=page.next_cursor) if page.next_cursor else ""
    return render(request, "desk/customers.html", context)


def _profile_html(request, customer, **extra):
    """The profile's part of the page (desk/_profile.html), which htmx swaps in after an action."""
    return profile_html(request, customer_profile(customer=customer), **extra)


@creator_required
@require_GET
def customer_detail(request, customer_id):
    profile = profile_open(creator=request.creator, customer_id=customer_id)
    customer = profile.customer
    display_current().currencies_known((customer.creator_currencies or 0) > 1)
    html = profile_html(request, profile, offer_welcome_email=request.GET.get("offer") == "welcome-email")
    if request.htmx and request.htmx.target == "profile":
        return HttpResponse(html)
    return render(
        request, "desk/profile.html", {"nav": "activity", "customer": customer, "profile_html": html}
    )


@creator_required
@require_GET
def customer_export(request, customer_id):
    """The customer's personal data as a JSON file, for their request of access or portability."""
    customer = get_object_or_404(Customer.objects.for_creator(request.creator), pk=customer_id)
    response = JsonResponse(customer_personal_data(customer=customer), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{personal_data_filename(customer)}"'
    return response


def action_permission(request, action_name, **object_id):
    action = ACTIONS.get(action_name)
    return action.permission if action is not None else None


@creator_required(permission=action_permission)
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
        response = HttpResponse(
            _profile_html(
                request, customer, notice=message, error=error, offer_welcome_email=offer_welcome_email
            )
        )
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
    return render(
        request,
        "desk/teach.html",
        {"nav": "teach", "courses": courses, "payments_form": PaymentsExportForm()},
    )


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


def _customer_receipt(request, customer_id: int, receipt_id: int) -> Receipt:
    return get_object_or_404(
        Receipt.objects.for_creator(request.creator).select_related(
            "creator", "payment__customer", "payment__course", "payment__payment_page"
        ),
        pk=receipt_id,
        payment__customer_id=customer_id,
    )


@creator_required
@require_GET
@never_cache
def customer_receipt(request, customer_id, receipt_id):
    """A receipt as the customer reads it, with its PDF and the receipts of its refunds."""
    receipt = _customer_receipt(request, customer_id, receipt_id)
    pdf_url = reverse("desk:customer_receipt_pdf", args=[customer_id, receipt.pk])
    return HttpResponse(
        receipt_html(
            receipt,
            pdf_url=pdf_url,
            receipt_url=lambda other: reverse("desk:customer_receipt", args=[customer_id, other.pk]),
        )
    )


@creator_required
@require_GET
@never_cache
def customer_receipt_pdf(request, customer_id, receipt_id):
    receipt = _customer_receipt(request, customer_id, receipt_id)
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipt_filename(receipt)}"'
    return response


class PaymentsExportForm(forms.Form):
    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))


@creator_required
@require_GET
def payments_csv(request):
    """Every payment and refund of the chosen days, for bookkeeping (no dates: everything so far)."""
    form = PaymentsExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Choose the dates as YYYY-MM-DD.")
        return redirect("desk:teach")
    try:
        return payments_csv_response(
            creator=request.creator, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
        )
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("desk:teach")


@creator_required(permission=Permission.CUSTOMER_CARE)
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
