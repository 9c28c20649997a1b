"""The public checkout page of a payment page, and the page a buyer returns to after paying."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from coursedesk.audit.services import Actor
from coursedesk.audit.types import AuditSource
from coursedesk.billing.checkout import (
    checkout_complete_hosted,
    checkout_free,
    checkout_pay_with_card,
    checkout_start_hosted,
)
from coursedesk.billing.gateways import gateway_account, gateway_named
from coursedesk.billing.gateways.base import GatewayError
from coursedesk.billing.models import CheckoutSession, Gateway
from coursedesk.catalog.coupons import Quote, coupon_quote
from coursedesk.catalog.links import course_links
from coursedesk.catalog.models import PaymentPage
from coursedesk.classroom.auth import current_student, student_login
from coursedesk.classroom.forms import CheckoutForm, CheckoutWithCardForm
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer
from coursedesk.customers.services import customer_login_record

# Checkouts this browser started, by session id, with the password hash the buyer proved (the one they
# chose as a new customer, or an existing customer's that they typed): on a paid return, the buyer is
# signed in only if the account still has that password.
PROOF_KEY = "checkout_proofs"
NOTICE_KEY = "notice"


def _page_on_sale(page_id: int) -> PaymentPage:
    page = get_object_or_404(PaymentPage.objects.select_related("course__creator"), pk=page_id, active=True)
    if not page.course.published:
        raise Http404("This course is not on sale.")
    return page


@require_http_methods(["GET", "POST"])
def checkout(request, page_id: int):
    """The buyer's form; with `?session_id=` it is the page they return to after paying."""
    page = _page_on_sale(page_id)
    if request.method == "GET" and "session_id" in request.GET:
        return _checkout_done(request, page)
    account = gateway_account(page.course.creator)
    takes_card_here = account.takes_cards_here and not page.is_free
    form_class = CheckoutWithCardForm if takes_card_here else CheckoutForm
    error = ""
    # A code comes from the form, or from the sales page's link (?coupon=).
    code = (request.POST.get("coupon") if request.method == "POST" else request.GET.get("coupon")) or ""
    quote, coupon_error = _quoted(page, code)
    if request.method == "POST" and "apply" in request.POST:
        # "Apply" shows the price with the code; nothing is paid until the buyer pays.
        kept = {key: request.POST.get(key, "") for key in ("first_name", "last_name", "email", "coupon")}
        form = form_class(initial=kept, page=page)
    else:
        form = form_class(request.POST or None, page=page, initial={"coupon": code})
    if request.method == "POST" and "apply" not in request.POST and form.is_valid() and not coupon_error:
        details = {key: form.cleaned_data[key] for key in ("email", "first_name", "last_name", "password")}
        details["intent_key"] = form.cleaned_data["intent"]
        if not page.is_free:
            details["coupon_code"] = form.cleaned_data["coupon"]
        try:
            if page.is_free:
                session = checkout_free(page=page, **details)
                _remember_proof(request, session, details["password"])
                return _to_outcome(page, session)
            if takes_card_here:
                session = checkout_pay_with_card(
                    page=page, card_number=form.cleaned_data["card_number"], **details
                )
                _remember_proof(request, session, details["password"])
                return _to_outcome(page, session)
            done = settings.SITE_URL + page.get_absolute_url()
            session, url = checkout_start_hosted(
                page=page,
                success_url=done + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=settings.SITE_URL + page.get_absolute_url(),
                **details,
            )
            _remember_proof(request, session, details["password"])
            # No address: this purchase intent was paid already, so the buyer sees its outcome.
            return redirect(url) if url else _to_outcome(page, session)
        except DomainError as refused:
            error = refused.message
    return render(
        request,
        "classroom/checkout.html",
        {
            "page": page,
            "course": page.course,
            "form": form,
            "error": error,
            "coupon_error": coupon_error,
            "quote": quote,
            "is_test_mode": account.is_test_mode,
            "takes_card_here": takes_card_here,
        },
        status=422 if error or (coupon_error and request.method == "POST") else 200,
    )


def _quoted(page: PaymentPage, code: str) -> tuple[Quote, str]:
    """The price the buyer pays with the code they typed (and no refusal), or the page's own price
    and the reason the code does not apply."""
    if not code.strip() or page.is_free:
        return coupon_quote(page=page, code=""), ""
    try:
        return coupon_quote(page=page, code=code), ""
    except DomainError as refused:
        return coupon_quote(page=page, code=""), refused.message


def _remember_proof(request, session: CheckoutSession, password: str) -> None:
    """Notes that this browser knows the password of the checkout's account: the one a new customer
    chose (the session holds its hash until fulfilment), or an existing customer's, typed correctly.
    A buyer who gave no password (an existing student) is not signed in by buying."""
    if not password:
        return
    customer = session.customer or (
        Customer.objects.for_creator(session.payment_page.course.creator).with_email(session.email).first()
    )
    if customer is not None and customer.password and customer.check_password(password):
        proven = customer.password
    elif customer is None and session.password_hash:
        proven = session.password_hash
    else:
        return
    proofs = dict(request.student_session.get(PROOF_KEY, {}))
    proofs = dict(list(proofs.items())[-4:])  # a few recent checkouts are enough
    proofs[str(session.pk)] = proven
    request.student_session[PROOF_KEY] = proofs


def _signed_in_after_paying(request, page: PaymentPage, session: CheckoutSession) -> bool:
    """Signs the buyer in after a completed checkout when this browser proved the account's password."""
    customer = session.customer
    if customer is None or session.status != CheckoutSession.Status.COMPLETED:
        return False
    course = page.course
    signed_in = current_student(request, course)
    if signed_in is not None and signed_in.pk == customer.pk:
        return True
    proofs = dict(request.student_session.get(PROOF_KEY, {}))
    proven = proofs.pop(str(session.pk), None)
    customer.refresh_from_db(fields=["password"])
    if not proven or proven != customer.password:
        return False
    request.student_session[PROOF_KEY] = proofs
    student_login(request, customer)
    customer_login_record(customer=customer, course=course)
    return True


def _to_outcome(page: PaymentPage, session: CheckoutSession):
    return redirect(f"{page.get_absolute_url()}?session_id={session.gateway_session_id}")


def _checkout_done(request, page: PaymentPage):
    """Where the buyer lands after paying. For a hosted checkout, this fulfils it if the webhook has not."""
    reference = request.GET.get("session_id", "")
    session = (
        CheckoutSession.objects.filter(payment_page=page, gateway_session_id=reference)
        .exclude(gateway_session_id="")
        .first()
    )
    if session is None:
        raise Http404("No such checkout.")
    if session.gateway == Gateway.STRIPE and session.status != CheckoutSession.Status.COMPLETED:
        creator = page.course.creator
        try:
            hosted = gateway_named(Gateway.STRIPE, creator=creator).hosted_checkout_retrieve(
                checkout_reference=reference
            )
            session = (
                checkout_complete_hosted(
                    creator=creator,
                    hosted=hosted,
                    actor=Actor.buyer(session.email),
                    source=AuditSource.CHECKOUT,
                )
                or session
            )
        except (GatewayError, DomainError):
            messages.warning(request, "We are still confirming your payment; this page will show it shortly.")
    completed = session.status == CheckoutSession.Status.COMPLETED
    if completed and _signed_in_after_paying(request, page, session):
        request.student_session[NOTICE_KEY] = (
            f"You're in! {page.course.title} is yours; we have emailed you a welcome message."
        )
        return redirect("classroom:course", course_slug=page.course.slug)
    return render(
        request,
        "classroom/checkout_done.html",
        {
            "page": page,
            "course": page.course,
            "session": session,
            "links": course_links(page.course),
            "is_test_mode": gateway_account(page.course.creator).is_test_mode,
            "completed": completed,
        },
    )
