"""The desk's bulk actions: choose customers on the Customer list (or a whole segment), read the dry
run (how many, and what happens to three of them), start the job, and watch its progress update in
place; stop it, resume it."""

from __future__ import annotations

import contextlib

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coursedesk.accounts.access import creator_required
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.catalog.models import Course
from coursedesk.core import clock
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import BulkAction, Tag
from coursedesk.usecases.bulk import (
    BulkKind,
    Segment,
    bulk_action_resume,
    bulk_action_start,
    bulk_action_stop,
    bulk_dry_run,
    bulk_request,
    selection_ids,
)
from coursedesk.usecases.imports import import_preview, import_start


class BulkForm(forms.Form):
    action = forms.ChoiceField(label="Action", choices=BulkKind.choices)
    course = forms.ModelChoiceField(queryset=Course.objects.none(), required=False, label="Course")
    expires_on = forms.DateField(
        required=False,
        label="Access until (empty: lifetime)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    tag = forms.CharField(required=False, max_length=Tag.MAX_LENGTH, label="Tag")
    send_welcome_email = forms.BooleanField(required=False, label="Send the welcome email (grant)")
    scope = forms.ChoiceField(
        choices=[("selected", "The customers ticked above"), ("segment", "Everyone in this segment")],
        widget=forms.RadioSelect,
        initial="selected",
        label="Apply to",
    )
    segment = forms.ChoiceField(choices=Segment.choices, required=False, widget=forms.HiddenInput)

    def __init__(self, creator, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.for_creator(creator)


def _checked(request, form):
    """The request and the customers' ids the form asks for (DomainError with a sentence)."""
    data = form.cleaned_data
    expires_at = clock.start_of_day(data["expires_on"]) if data["expires_on"] else None
    checked = bulk_request(
        kind=data["action"],
        course=data["course"],
        expires_at=expires_at,
        tag=data["tag"],
        send_welcome_email=data["send_welcome_email"],
    )
    if data["scope"] == "segment":
        ids = selection_ids(creator=request.creator, segment=data["segment"] or Segment.ALL.value)
    else:
        ids = selection_ids(creator=request.creator, customer_ids=request.POST.getlist("customer_ids"))
    return checked, ids


@creator_required
@require_POST
def bulk_new(request):
    """POST without `confirmed`: the dry run. With `confirmed=yes`: the job starts."""
    form = BulkForm(request.creator, request.POST)
    context = {"nav": "customers", "form": form, "customer_ids": request.POST.getlist("customer_ids")}
    if form.is_valid():
        try:
            checked, ids = _checked(request, form)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if request.POST.get("confirmed") == "yes":
                job = bulk_action_start(
                    creator=request.creator,
                    request=checked,
                    ids=ids,
                    actor=Actor.creator(request.creator),
                    source=AuditSource.DESK,
                )
                return redirect("desk:bulk_action", bulk_action_id=job.pk)
            context["dry_run"] = bulk_dry_run(creator=request.creator, request=checked, ids=ids)
            context["action_label"] = BulkKind(form.cleaned_data["action"]).label
    return render(request, "desk/bulk_new.html", context)


def _job(request, bulk_action_id) -> BulkAction:
    return get_object_or_404(BulkAction.objects.for_creator(request.creator), pk=bulk_action_id)


@creator_required
def bulk_action(request, bulk_action_id):
    """The job's progress; htmx polls the progress part while the job runs."""
    job = _job(request, bulk_action_id)
    if request.method != "GET":
        raise Http404("Use the job's buttons.")
    label = BulkKind(job.action).label if job.action in BulkKind.values else "Import students"
    context = {"nav": "customers", "job": job, "label": label}
    if request.htmx:
        return render(request, "desk/_bulk_progress.html", context)
    return render(request, "desk/bulk_action.html", context)


@creator_required
def bulk_action_control(request, bulk_action_id, verb):
    """POST: stop or resume the job; GET goes back to the job's page."""
    job = _job(request, bulk_action_id)
    if request.method == "POST":
        # A job that already moved on: the page shows it as it is now, with the buttons that apply.
        with contextlib.suppress(DomainError):
            (bulk_action_stop if verb == "stop" else bulk_action_resume)(job=job)
    return redirect(reverse("desk:bulk_action", args=[job.pk]))


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        required=False,
        help_text="Columns: email, first_name, last_name and optionally expires_at (YYYY-MM-DD).",
    )
    csv_text = forms.CharField(required=False, widget=forms.HiddenInput)
    send_welcome_email = forms.BooleanField(required=False, label="Send each new student the welcome email")


@creator_required
def course_import(request, course_id):
    """GET: the upload. POST: the preview (new and existing customers, errors by line); POST with
    `confirmed=yes`: the import starts as a background job."""
    course = get_object_or_404(Course.objects.for_creator(request.creator), pk=course_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"nav": "teach", "course": course, "form": form, "preview": None}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8-sig") if upload else form.cleaned_data["csv_text"]
        except UnicodeDecodeError:
            form.add_error("file", "The file must be a CSV saved as UTF-8 text.")
            text = None
        if text is not None and not text.strip():
            form.add_error("file", "Choose a CSV file.")
        elif text is not None:
            try:
                preview = import_preview(creator=request.creator, text=text)
                if request.POST.get("confirmed") == "yes":
                    job = import_start(
                        creator=request.creator,
                        course=course,
                        preview=preview,
                        send_welcome_email=form.cleaned_data["send_welcome_email"],
                        actor=Actor.creator(request.creator),
                        source=AuditSource.DESK,
                    )
                    return redirect("desk:bulk_action", bulk_action_id=job.pk)
            except DomainError as error:
                form.add_error("file", error.message)
            else:
                context.update(preview=preview, csv_text=text)
    return render(request, "desk/course_import.html", context)
