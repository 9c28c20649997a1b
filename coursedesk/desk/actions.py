"""The profile's actions (SPEC §5.3): each finds its object within the creator's data, asks for
confirmation with a sentence stating the consequences, then calls one service.

An action is a form (what the creator chooses), a sentence (what will happen) and a call to a
service (which checks the rules, writes the audit event and schedules emails).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.shortcuts import get_object_or_404
from django.utils import timezone

from coursedesk.accounts.roles import Permission
from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing.models import Payment, Subscription
from coursedesk.billing.refunds import payment_refund, payment_refund_check
from coursedesk.billing.selectors import ending_words, payments_with_refund_amounts
from coursedesk.billing.subscriptions import (
    pause_next_payment_at,
    subscription_cancel,
    subscription_card_update_link_check,
    subscription_card_update_link_send,
    subscription_pause,
    subscription_resume,
    subscription_uncancel,
)
from coursedesk.catalog.models import Course
from coursedesk.core import clock
from coursedesk.core.display import day, money_text
from coursedesk.core.errors import DomainError
from coursedesk.core.money import Money
from coursedesk.core.validators import validate_one_line
from coursedesk.customers import services as customer_services
from coursedesk.customers.models import Customer, CustomerNote, Enrolment
from coursedesk.customers.selectors import customer_near_matches
from coursedesk.mail.services import email_suppression_active, email_suppression_clear, welcome_email_queue
from coursedesk.usecases.course_access import course_access_give
from coursedesk.usecases.merge import customers_merge, merge_preview
from coursedesk.usecases.password_reset import password_reset_send

SOURCE = AuditSource.DESK

# Support's customer care and refunds (up to their limit, checked by the refund service); every
# other action changes things and needs the `write` permission (owners and admins).
ACTION_PERMISSIONS = {
    **{
        name: Permission.CUSTOMER_CARE
        for name in (
            "customer_edit",
            "welcome_email",
            "password_reset",
            "grant_course",
            "enrolment_revoke",
            "enrolment_grant",
            "enrolment_expiration",
            "note_add",
        )
    },
    "payment_refund": Permission.REFUND,
}


def when(moment: dt.datetime | None) -> str:
    return day(moment) if moment else "never"


def subscription_words(subscription: Subscription) -> str:
    every = {"month": "monthly", "year": "yearly"}.get(subscription.interval, subscription.interval)
    kind = "payment plan" if subscription.installments_total else "subscription"
    return f"the {money_text(subscription.money)} {every} {kind} to {subscription.course.title}"


def person(customer: Customer) -> str:
    return customer.full_name or customer.email


def payment_words(payment: Payment) -> str:
    """How a dialog names a payment: "the $19.00 payment of 7 Nov 2026 for Python for Data Analysis"."""
    return f"the {money_text(payment.money)} payment of {day(payment.paid_at)} for {payment.course.title}"


# --- Forms -------------------------------------------------------------------------------------


class CourseForm(forms.Form):
    """Picks one of the customer's courses (hidden when the button already names it)."""

    course = forms.ModelChoiceField(queryset=Course.objects.none(), label="Course")

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.for_creator(customer.creator).filter(
            enrolments__customer=customer
        )


class CustomerEditForm(forms.Form):
    first_name = forms.CharField(max_length=100, required=False, validators=[validate_one_line])
    last_name = forms.CharField(max_length=100, required=False, validators=[validate_one_line])
    email = forms.EmailField(max_length=254)
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=True),
        label="New password",
        help_text="Leave empty to keep the current password.",
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        kwargs.setdefault(
            "initial",
            {"first_name": customer.first_name, "last_name": customer.last_name, "email": customer.email},
        )
        super().__init__(*args, **kwargs)


class GrantCourseForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.none(), label="Course")
    expires_on = forms.DateField(
        required=False,
        label="Access until (empty for lifetime)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    send_welcome_email = forms.BooleanField(
        required=False, initial=True, label="Send the course's welcome email"
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.for_creator(customer.creator).exclude(
            enrolments__customer=customer
        )


class ExpirationForm(forms.Form):
    expires_on = forms.DateField(
        required=False,
        label="Access until (empty for lifetime)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, enrolment: Enrolment, **kwargs):
        if enrolment.expires_at:
            kwargs.setdefault("initial", {"expires_on": enrolment.expires_at.date()})
        super().__init__(*args, **kwargs)


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note", max_length=CustomerNote.MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)


class MergeForm(forms.Form):
    duplicate_email = forms.EmailField(
        label="Email of the duplicate",
        max_length=254,
        help_text="The other record of this person; everything of it moves here, its email stays an alias.",
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        self.customer = customer
        super().__init__(*args, **kwargs)
        # The near-match finder's suggestions: customers a typo away, or with the name the email spells.
        near = [
            other.email
            for other in customer_near_matches(creator=customer.creator, email=customer.email)
            if other.pk != customer.pk and other.merged_into_id is None
        ]
        if near:
            self.fields["duplicate_email"].help_text = "Perhaps: " + ", ".join(near[:5]) + "."
            if not self.is_bound:
                self.initial.setdefault("duplicate_email", near[0])

    def clean_duplicate_email(self):
        email = self.cleaned_data["duplicate_email"]
        duplicate = (
            Customer.objects.for_creator(self.customer.creator)
            .with_email(email)
            .exclude(pk=self.customer.pk)
            .first()
        )
        if duplicate is None:
            raise forms.ValidationError(f"No other customer of yours has the email {email}.")
        self.duplicate = duplicate
        return email


class TagsForm(forms.Form):
    tags = forms.CharField(
        label="Tags",
        required=False,
        max_length=1000,
        help_text="Separate tags with commas, e.g. vip, cohort 3. Empty removes every tag.",
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        kwargs.setdefault("initial", {"tags": ", ".join(customer.tag_names)})
        super().__init__(*args, **kwargs)

    def clean_tags(self):
        names = [name for name in self.cleaned_data["tags"].split(",") if name.strip()]
        try:
            return customer_services.tags_clean(names)
        except DomainError as error:
            raise forms.ValidationError(error.message) from error


class RefundForm(forms.Form):
    amount = forms.CharField(
        required=False, label="Amount to refund", help_text="Empty refunds all that is left."
    )
    reason = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, payment: Payment, **kwargs):
        self.payment = payment
        kwargs.setdefault(
            "initial",
            {"amount": Money(payment.refundable_amount, payment.currency).format_number().replace(",", "")},
        )
        super().__init__(*args, **kwargs)

    def clean_amount(self):
        text = (self.cleaned_data.get("amount") or "").strip()
        if not text:
            return None
        try:
            money = Money.from_decimal(Decimal(text.replace(",", "")), self.payment.currency)
        except (InvalidOperation, ValueError) as error:
            raise forms.ValidationError("Enter an amount such as 20 or 20.50.") from error
        if money.amount <= 0:
            raise forms.ValidationError("Enter an amount above zero.")
        return money.amount


class PauseForm(forms.Form):
    resume_on = forms.DateField(
        label="Take the next payment on", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, subscription: Subscription, **kwargs):
        super().__init__(*args, **kwargs)

    def clean_resume_on(self):
        day = self.cleaned_data["resume_on"]
        if day <= clock.today():
            raise forms.ValidationError("Pick a date after today.")
        return day


class NoChoiceForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.pop("customer", None)
        kwargs.pop("enrolment", None)
        kwargs.pop("payment", None)
        kwargs.pop("subscription", None)
        super().__init__(*args, **kwargs)


# --- Actions -----------------------------------------------------------------------------------


@dataclass
class Done:
    message: str
    offer_welcome_email: bool = False


class Action:
    name = ""
    title = ""
    button = "Confirm"
    danger = False
    form_class: type[forms.Form] = NoChoiceForm
    form_object = ""  # the keyword the form takes the object as

    @property
    def permission(self) -> str:
        """What a team member's role needs to open and do the action (accounts.roles)."""
        return ACTION_PERMISSIONS.get(self.name, Permission.WRITE)

    def lookup(self, creator, pk):
        raise NotImplementedError

    def title_for(self, obj) -> str:
        """The dialog's title, naming what the action acts on."""
        return self.title

    def customer_of(self, obj) -> Customer:
        return obj.customer

    def form(self, obj, data=None):
        kwargs = {self.form_object: obj} if self.form_object else {}
        return self.form_class(data, **kwargs)

    # Whether the dialog opens on the confirmation of the form's defaults (one click less), with a
    # way to change them; the label of that way.
    confirm_defaults = ""
    # Which form field a refusal belongs next to, by its code; others stand above the form.
    error_fields: dict[str, str] = {}

    def check(self, obj, values: dict) -> None:
        """Asks the service's own checks before the confirmation (raises DomainError), so the
        confirmation states only what can happen. The service checks again when it runs."""

    def sentence(self, obj, values: dict) -> str:
        raise NotImplementedError

    def perform(self, obj, values: dict, actor: Actor) -> Done:
        raise NotImplementedError


class CustomerAction(Action):
    """An action on the customer itself (the profile's header buttons)."""

    form_object = "customer"

    def lookup(self, creator, pk):
        return get_object_or_404(Customer.objects.for_creator(creator), pk=pk)

    def customer_of(self, obj):
        return obj


class CustomerEdit(CustomerAction):
    name, title, button = "customer_edit", "Edit details", "Save changes"

    def title_for(self, customer):
        return f"Edit the details of {customer.full_name or customer.email}"

    form_class = CustomerEditForm
    error_fields = {"invalid_email": "email", "email_taken": "email", "weak_password": "password"}

    def check(self, customer, values):
        customer_services.customer_update_check(
            customer=customer, email=values["email"], password=values.get("password") or None
        )

    def sentence(self, customer, values):
        parts = []
        name = f"{values['first_name']} {values['last_name']}".strip()
        if name != customer.full_name:
            parts.append(f"rename {customer.full_name or 'this customer'} to {name or '(no name)'}")
        if values["email"].strip() != customer.email:
            parts.append(f"change the email from {customer.email} to {values['email']}")
        if values.get("password"):
            parts.append("set a new password (it is not recorded anywhere)")
        if not parts:
            return "Nothing changes."
        what = "; ".join(parts)
        return (
            f"{what[0].upper()}{what[1:]}. They sign in with the new details from now on; "
            "access, payments and subscriptions stay as they are."
        )

    def perform(self, customer, values, actor):
        old_email = customer.email
        customer_services.customer_update(
            customer=customer,
            first_name=values["first_name"],
            last_name=values["last_name"],
            email=values["email"],
            password=values.get("password") or None,
            actor=actor,
            source=SOURCE,
        )
        customer.refresh_from_db()
        changed_sign_in = old_email != customer.email or bool(values.get("password"))
        return Done("Details saved.", offer_welcome_email=changed_sign_in)


class WelcomeEmail(CustomerAction):
    name, title, button = "welcome_email", "Resend welcome email", "Send welcome email"

    def title_for(self, customer):
        return f"Resend the welcome email to {customer.email}"

    form_class = CourseForm

    def sentence(self, customer, values):
        return (
            f"Send the current welcome email of {values['course'].title}, with its sign-in link, "
            f"to {customer.email}. Nothing else changes."
        )

    def perform(self, customer, values, actor):
        welcome_email_queue(customer=customer, course=values["course"], actor=actor, source=SOURCE)
        return Done(f"Welcome email queued for {customer.email}.")


class PasswordReset(CustomerAction):
    name, title, button = "password_reset", "Send password reset link", "Send reset link"

    def title_for(self, customer):
        return f"Send a password reset link to {customer.email}"

    form_class = CourseForm

    def sentence(self, customer, values):
        return (
            f"Email {customer.email} a link to set a new password for {values['course'].title}. "
            "The link works once, for 24 hours; the current password keeps working until it is used."
        )

    def perform(self, customer, values, actor):
        password_reset_send(customer=customer, course=values["course"], actor=actor, source=SOURCE)
        return Done(f"Password reset link sent to {customer.email}.")


class EmailRetry(CustomerAction):
    name, title, button = "email_retry", "Try emails again", "Try again"

    def title_for(self, customer):
        return f"Try emails to {customer.email} again"

    def sentence(self, customer, values):
        suppression = email_suppression_active(customer)
        why = suppression.explanation().removeprefix("Not sent: ") if suppression else "It is not stopped."
        return (
            f"Emails to {customer.email} are stopped: {why} Send them again from now on? If the address "
            "still does not work, the next email bounces and they are stopped again."
        )

    def perform(self, customer, values, actor):
        cleared = email_suppression_clear(
            creator=customer.creator, address=customer.email, customer=customer, actor=actor, source=SOURCE
        )
        if not cleared:
            return Done(f"Emails to {customer.email} were not stopped; nothing changed.")
        return Done(
            f"Emails to {customer.email} are sent again. Resend what they missed, such as the welcome email."
        )


class ErasureRequest(CustomerAction):
    name, title, button, danger = "erasure_request", "Request erasure", "Request erasure", True

    def title_for(self, customer):
        return f"Request erasure of {person(customer)}'s personal data"

    def sentence(self, customer, values):
        return (
            f"Pass on {person(customer)}'s request to erase their personal data. An operator confirms it; "
            "then their name, email and password are blanked everywhere, while payments, refunds and "
            "subscriptions stay, anonymised, so your records of money still add up. "
            "Nothing changes until then."
        )

    def perform(self, customer, values, actor):
        customer_services.customer_erasure_request(customer=customer, actor=actor, source=SOURCE)
        return Done("Erasure requested. An operator confirms it.")


class NoteAdd(CustomerAction):
    name, title, button = "note_add", "Add a note", "Add note"
    form_class = NoteForm
    error_fields = {"invalid_note": "body"}

    def title_for(self, customer):
        return f"Add a note about {person(customer)}"

    def sentence(self, customer, values):
        return (
            f"Add this note to {person(customer)}'s profile, signed with your name and dated now. "
            "Your team sees it; the customer never does. Notes stay as written."
        )

    def perform(self, customer, values, actor):
        customer_services.note_add(customer=customer, body=values["body"], actor=actor, source=SOURCE)
        return Done("Note added.")


class TagsEdit(CustomerAction):
    name, title, button = "tags_edit", "Edit tags", "Save tags"
    form_class = TagsForm
    error_fields = {"invalid_tag": "tags"}

    def title_for(self, customer):
        return f"Edit the tags of {person(customer)}"

    def sentence(self, customer, values):
        old = {name.lower(): name for name in customer.tag_names}
        new = {name.lower(): name for name in values["tags"]}
        added = [name for key, name in new.items() if key not in old]
        removed = [name for key, name in old.items() if key not in new]
        parts = []
        if added:
            parts.append("add " + ", ".join(f"“{name}”" for name in added))
        if removed:
            parts.append("remove " + ", ".join(f"“{name}”" for name in removed))
        if not parts:
            return "Nothing changes."
        what = " and ".join(parts)
        return f"{what[0].upper()}{what[1:]} on {person(customer)}. Nothing else changes."

    def perform(self, customer, values, actor):
        customer_services.customer_tags_set(
            customer=customer, tags=values["tags"], actor=actor, source=SOURCE
        )
        return Done("Tags saved.")


class CustomerMerge(CustomerAction):
    name, title, button, danger = "customer_merge", "Merge a duplicate", "Merge", True
    form_class = MergeForm

    def title_for(self, customer):
        return f"Merge a duplicate into {person(customer)}"

    def _duplicate(self, customer, values):
        email = values["duplicate_email"]
        return Customer.objects.for_creator(customer.creator).with_email(email).exclude(pk=customer.pk).get()

    def check(self, customer, values):
        merge_preview(survivor=customer, duplicate=self._duplicate(customer, values))

    def sentence(self, customer, values):
        preview = merge_preview(survivor=customer, duplicate=self._duplicate(customer, values))
        return (
            f"Move everything of {preview.duplicate.email} to {person(customer)} ({customer.email}): "
            + "; ".join(preview.lines())
            + f". {preview.duplicate.email} stays as an alias: signing in and searching with it find "
            f"{person(customer)}. The duplicate is kept, marked merged; this cannot be undone."
        )

    def perform(self, customer, values, actor):
        duplicate = self._duplicate(customer, values)
        customers_merge(survivor=customer, duplicate=duplicate, actor=actor, source=SOURCE)
        return Done(f"{duplicate.email} merged into this customer.")


class GrantCourse(CustomerAction):
    name, title, button = "grant_course", "Give access to a course", "Give access"

    def title_for(self, customer):
        return f"Give {customer.full_name or customer.email} access to a course"

    form_class = GrantCourseForm

    def sentence(self, customer, values):
        until = f"until {day(values['expires_on'])}" if values.get("expires_on") else "for life"
        email = (
            f" and email them the welcome email at {customer.email}"
            if values.get("send_welcome_email")
            else ""
        )
        return (
            f"Give {customer.full_name or customer.email} access to {values['course'].title} {until}"
            f"{email}. Nothing is charged."
        )

    def perform(self, customer, values, actor):
        expires_on = values.get("expires_on")
        given = course_access_give(
            creator=customer.creator,
            course=values["course"],
            email=customer.email,
            expires_at=clock.start_of_day(expires_on) if expires_on else None,
            send_welcome_email=bool(values.get("send_welcome_email")),
            actor=actor,
            source=SOURCE,
        )
        if not given.given_now:
            return Done(f"{customer.email} already has access to {values['course'].title}; nothing changed.")
        return Done(f"Access to {values['course'].title} given.")


class EnrolmentAction(Action):
    def lookup(self, creator, pk):
        return get_object_or_404(
            Enrolment.objects.for_creator(creator).select_related("course", "customer"), pk=pk
        )


class EnrolmentRevoke(EnrolmentAction):
    name, title, button, danger = "enrolment_revoke", "Revoke access", "Revoke access", True

    def title_for(self, enrolment):
        return f"Revoke access to {enrolment.course.title} for {person(enrolment.customer)}"

    def sentence(self, enrolment, values):
        return (
            f"{enrolment.customer.full_name or enrolment.customer.email} loses access to "
            f"{enrolment.course.title} at once and leaves its student count; the CSV export lists "
            "them as Revoked. Nothing is refunded and any subscription keeps running. "
            "You can grant access again later."
        )

    def perform(self, enrolment, values, actor):
        customer_services.enrolment_revoke(enrolment=enrolment, actor=actor, source=SOURCE)
        return Done(f"Access to {enrolment.course.title} revoked.")


class EnrolmentGrant(EnrolmentAction):
    name, title, button = "enrolment_grant", "Grant access", "Grant access"

    def title_for(self, enrolment):
        return f"Grant access to {enrolment.course.title} for {person(enrolment.customer)}"

    def sentence(self, enrolment, values):
        expiry = f"until {when(enrolment.expires_at)}" if enrolment.expires_at else "for life"
        return (
            f"{enrolment.customer.full_name or enrolment.customer.email} gets access to "
            f"{enrolment.course.title} again, exactly as before ({expiry}). Nothing is charged."
        )

    def perform(self, enrolment, values, actor):
        customer_services.enrolment_restore(enrolment=enrolment, actor=actor, source=SOURCE)
        return Done(f"Access to {enrolment.course.title} granted again.")


class EnrolmentExpiration(EnrolmentAction):
    name, title, button = "enrolment_expiration", "Set expiration", "Set expiration"
    form_class, form_object = ExpirationForm, "enrolment"

    def title_for(self, enrolment):
        return f"Set expiration of access to {enrolment.course.title} for {person(enrolment.customer)}"

    def sentence(self, enrolment, values):
        until = values.get("expires_on")
        midnight = f"00:00 {timezone.get_current_timezone_name()}"
        new = f"ends on {day(until)} ({midnight})" if until else "never ends (lifetime access)"
        past = (
            " Because that date has passed, access ends at once." if until and until <= clock.today() else ""
        )
        return (
            f"Access to {enrolment.course.title} {new}; it was {when(enrolment.expires_at)}. "
            f"Payments are not touched.{past}"
        )

    def perform(self, enrolment, values, actor):
        until = values.get("expires_on")
        customer_services.enrolment_expiration_set(
            enrolment=enrolment,
            expires_at=clock.start_of_day(until) if until else None,
            actor=actor,
            source=SOURCE,
        )
        return Done("Expiration saved." if until else "Expiration removed: lifetime access.")


class PaymentRefund(Action):
    name, title, button, danger = "payment_refund", "Refund", "Refund", True
    form_class, form_object = RefundForm, "payment"
    error_fields = {
        "refund_exceeds_refundable": "amount",
        "invalid_amount": "amount",
        "forbidden_for_role": "amount",
    }
    confirm_defaults = "Refund a part instead"

    def title_for(self, payment):
        return f"Refund {payment_words(payment)}"

    def check(self, payment, values):
        payment_refund_check(
            payment=payment, amount=values.get("amount"), actor=Actor.creator(payment.customer.creator)
        )

    def lookup(self, creator, pk):
        return get_object_or_404(
            payments_with_refund_amounts(
                Payment.objects.for_creator(creator).select_related("course", "customer", "subscription")
            ),
            pk=pk,
        )

    def sentence(self, payment, values):
        amount = values.get("amount") or payment.refundable_amount
        refund = money_text(Money(amount, payment.currency))
        sentence = f"Refund {refund} of {payment_words(payment)}"
        if payment.refunded_amount:
            left = money_text(Money(payment.refundable_amount, payment.currency))
            sentence += f" ({left} left to refund)"
        sentence += ". Access stays."
        subscription = payment.subscription
        if subscription is not None and subscription.status not in ("canceled", "completed"):
            sentence += " The subscription continues."
        return sentence

    def perform(self, payment, values, actor):
        refund = payment_refund(
            payment=payment,
            amount=values.get("amount"),
            reason=values.get("reason") or "",
            actor=actor,
            source=SOURCE,
        )
        return Done(f"Refund of {money_text(refund.money)} started.")


class SubscriptionAction(Action):
    def lookup(self, creator, pk):
        return get_object_or_404(
            Subscription.objects.for_creator(creator).select_related("course", "customer"), pk=pk
        )


class SubscriptionCardUpdateLink(SubscriptionAction):
    name, title, button = "subscription_card_update_link", "Send card-update link", "Send link"

    def title_for(self, subscription):
        return f"Send {person(subscription.customer)} the link to update their card"

    def check(self, subscription, values):
        subscription_card_update_link_check(subscription)

    def sentence(self, subscription, values):
        return (
            f"Email {subscription.customer.email} the billing page of {subscription.course.title}, where a "
            f"new card for {subscription_words(subscription)} is saved and tried at once. Nothing is charged "
            "until they save it."
        )

    def perform(self, subscription, values, actor):
        subscription_card_update_link_send(subscription=subscription, actor=actor, source=SOURCE)
        return Done(f"Card-update link sent to {subscription.customer.email}.")


class CancelForm(forms.Form):
    when = forms.ChoiceField(
        choices=[("now", "Now"), ("period_end", "At the end of the paid period")],
        widget=forms.RadioSelect,
        initial="now",
        required=False,  # not chosen: now, as before there was a choice
        label="Stop the payments",
    )

    def __init__(self, *args, subscription: Subscription, **kwargs):
        super().__init__(*args, **kwargs)
        if subscription.status != Subscription.Status.ACTIVE or subscription.next_payment_at is None:
            self.fields["when"].choices = [("now", "Now")]
        else:
            day = timezone.localdate(subscription.next_payment_at)
            self.fields["when"].choices = [
                ("now", "Now"),
                ("period_end", f"At the end of the paid period ({day:%Y-%m-%d})"),
            ]


class SubscriptionCancel(SubscriptionAction):
    name, title, button, danger = "subscription_cancel", "Cancel subscription", "Cancel subscription", True
    form_class, form_object = CancelForm, "subscription"

    def title_for(self, subscription):
        return f"Cancel {subscription_words(subscription)}"

    def sentence(self, subscription, values):
        at_period_end = values.get("when") == "period_end"
        undo = "It can be undone until then." if at_period_end else "This cannot be undone."
        return (
            f"Cancel {subscription_words(subscription)}. "
            f"{ending_words(subscription, at_period_end=at_period_end, access_ends=False)} {undo}"
        )

    def perform(self, subscription, values, actor):
        at_period_end = values.get("when") == "period_end"
        subscription = subscription_cancel(
            subscription=subscription, at_period_end=at_period_end, actor=actor, source=SOURCE
        )
        if at_period_end:
            return Done(f"Subscription ends on {timezone.localdate(subscription.next_payment_at):%Y-%m-%d}.")
        return Done("Subscription canceled.")


class SubscriptionUncancel(SubscriptionAction):
    name, title, button = "subscription_uncancel", "Keep subscription", "Keep subscription"

    def sentence(self, subscription, values):
        day = timezone.localdate(subscription.next_payment_at) if subscription.next_payment_at else None
        return f"Keep {subscription_words(subscription)}: it no longer ends" + (
            f", and the next payment is taken on {day:%Y-%m-%d}." if day else "."
        )

    def perform(self, subscription, values, actor):
        subscription_uncancel(subscription=subscription, actor=actor, source=SOURCE)
        return Done("The subscription continues.")


class SubscriptionPause(SubscriptionAction):
    name, title, button = "subscription_pause", "Pause subscription", "Pause"
    form_class, form_object = PauseForm, "subscription"

    def title_for(self, subscription):
        return f"Pause {subscription_words(subscription)}"

    def sentence(self, subscription, values):
        resume_on = values["resume_on"]
        next_payment_at = pause_next_payment_at(subscription, resume_on=resume_on)
        cycle = (
            " (Stripe keeps the billing cycle: that is its first billing date from then on)"
            if next_payment_at.date() != resume_on
            else ""
        )
        return (
            f"Pause {subscription_words(subscription)} until {day(resume_on)}: no payment before then, "
            f"the next one is taken on {day(next_payment_at)}{cycle}. Access stays and nothing is refunded. "
            "You can resume it earlier."
        )

    def perform(self, subscription, values, actor):
        subscription_pause(
            subscription=subscription, resume_on=values["resume_on"], actor=actor, source=SOURCE
        )
        return Done(f"Subscription paused until {day(values['resume_on'])}.")


class SubscriptionResume(SubscriptionAction):
    name, title, button = "subscription_resume", "Resume subscription", "Resume"

    def title_for(self, subscription):
        return f"Resume {subscription_words(subscription)}"

    def sentence(self, subscription, values):
        return (
            f"Resume {subscription_words(subscription)} now: payments start again on its usual "
            "schedule. Access stays."
        )

    def perform(self, subscription, values, actor):
        subscription_resume(subscription=subscription, actor=actor, source=SOURCE)
        return Done("Subscription resumed.")


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        CustomerEdit(),
        WelcomeEmail(),
        PasswordReset(),
        GrantCourse(),
        EmailRetry(),
        ErasureRequest(),
        NoteAdd(),
        TagsEdit(),
        CustomerMerge(),
        EnrolmentRevoke(),
        EnrolmentGrant(),
        EnrolmentExpiration(),
        PaymentRefund(),
        SubscriptionCancel(),
        SubscriptionUncancel(),
        SubscriptionPause(),
        SubscriptionResume(),
        SubscriptionCardUpdateLink(),
    )
}
