"""Money records: gateway settings, payments, refunds, subscriptions, checkouts, webhooks."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from coursedesk.core import clock
from coursedesk.core.crypto import EncryptedTextField
from coursedesk.core.models import CreatorScopedQuerySet
from coursedesk.core.money import Money


class Gateway(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox (test mode)"
    STRIPE = "stripe", "Stripe"


def new_webhook_endpoint_id() -> str:
    return secrets.token_urlsafe(16)


class GatewayAccount(models.Model):
    """A creator's payment settings: which gateway, and their own Stripe keys (encrypted)."""

    creator = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gateway_account"
    )
    gateway = models.CharField(max_length=20, choices=Gateway.choices, default=Gateway.SANDBOX)
    stripe_publishable_key = models.CharField(max_length=255, blank=True)
    stripe_secret_key = EncryptedTextField(blank=True)
    stripe_webhook_secret = EncryptedTextField(blank=True)
    webhook_endpoint_id = models.CharField(max_length=64, unique=True, default=new_webhook_endpoint_id)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.creator}: {self.get_gateway_display()}"

    @property
    def is_test_mode(self) -> bool:
        """True when the gateway chosen now moves no real money."""
        return self.gateway == Gateway.SANDBOX or self.has_stripe_test_keys

    @property
    def takes_cards_here(self) -> bool:
        """True when buyers type their card into CourseDesk's checkout (the sandbox); Stripe takes
        it on its own page."""
        return self.gateway == Gateway.SANDBOX

    @property
    def has_stripe_test_keys(self) -> bool:
        return self.stripe_secret_key.startswith(("sk_test_", "rk_test_"))


class PaymentQuerySet(CreatorScopedQuerySet):
    creator_path = "customer__creator"


class Payment(models.Model):
    """One charge: a one-time payment or one instalment of a subscription."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Failed"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="payments")
    course = models.ForeignKey("catalog.Course", on_delete=models.PROTECT, related_name="payments")
    payment_page = models.ForeignKey(
        "catalog.PaymentPage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
    )
    subscription = models.ForeignKey(
        "billing.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    # What a coupon took off the price: `amount` is what was charged, `amount + discount` the price.
    discount = models.PositiveIntegerField(default=0)
    coupon = models.ForeignKey(
        "catalog.Coupon", on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    gateway_payment_id = models.CharField(max_length=255, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    paid_at = models.DateTimeField(default=clock.now)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["gateway", "gateway_payment_id"],
                condition=~Q(gateway_payment_id=""),
                name="payment_gateway_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["customer", "-paid_at"], name="payment_customer_newest")]

    def __str__(self) -> str:
        return f"{self.money} {self.get_status_display()} ({self.customer_id})"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def discount_money(self) -> Money:
        return Money(self.discount, self.currency)

    @property
    def full_price(self) -> Money:
        return Money(self.amount + self.discount, self.currency)


class RefundQuerySet(CreatorScopedQuerySet):
    creator_path = "payment__customer__creator"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Refunded"
        FAILED = "failed", "Failed"

    # Pending refunds count against what is left, so two refunds can never pass each other
    # (billing/selectors.py sums them).
    COUNTED_STATUSES = (Status.PENDING, Status.SUCCEEDED)

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, default="desk")
    gateway_refund_id = models.CharField(max_length=255, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    objects = RefundQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["gateway_refund_id"],
                condition=~Q(gateway_refund_id=""),
                name="refund_gateway_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"refund of {self.money} on payment {self.payment_id}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class SubscriptionQuerySet(CreatorScopedQuerySet):
    creator_path = "customer__creator"


class Subscription(models.Model):
    """Recurring payments: monthly or yearly until canceled, or N payments of a plan."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        PAST_DUE = "past_due", "Past due"
        CANCELED = "canceled", "Canceled"
        COMPLETED = "completed", "Completed"

    # Which status may follow which; services refuse any other move.
    TRANSITIONS = {
        Status.ACTIVE: {Status.PAUSED, Status.PAST_DUE, Status.CANCELED, Status.COMPLETED},
        Status.PAUSED: {Status.ACTIVE, Status.CANCELED},
        Status.PAST_DUE: {Status.ACTIVE, Status.CANCELED, Status.PAUSED},
        Status.CANCELED: set(),
        Status.COMPLETED: set(),
    }

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="subscriptions")
    course = models.ForeignKey("catalog.Course", on_delete=models.PROTECT, related_name="subscriptions")
    payment_page = models.ForeignKey(
        "catalog.PaymentPage", on_delete=models.PROTECT, related_name="subscriptions"
    )
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=10, choices=[("month", "Monthly"), ("year", "Yearly")])
    installments_total = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Payment plans only: payments in all."
    )
    # A coupon's discount on each payment while it applies: `discount_payments_left` payments more
    # (None: every payment). `amount` stays the full price.
    discount = models.PositiveIntegerField(default=0)
    discount_payments_left = models.PositiveSmallIntegerField(null=True, blank=True)
    coupon = models.ForeignKey(
        "catalog.Coupon", on_delete=models.SET_NULL, null=True, blank=True, related_name="subscriptions"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField(default=clock.now)
    next_payment_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateField(null=True, blank=True)
    # The due date a pause replaced, so an early resume can return to it.
    next_payment_before_pause_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Failed payments (dunning): when the first unpaid attempt failed, when the next retry is due
    # and how many retries are left; all empty while nothing is unpaid.
    past_due_since = models.DateTimeField(null=True, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    retries_left = models.PositiveSmallIntegerField(null=True, blank=True)
    # Canceled by the creator or the student "at the end of the paid period": no further charge,
    # and the status becomes canceled at next_payment_at.
    cancel_at_period_end = models.BooleanField(default=False)
    # The student canceled it themselves: their access ends with it (SPEC §6).
    canceled_by_customer = models.BooleanField(default=False)
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    gateway_subscription_id = models.CharField(max_length=255, blank=True)
    gateway_payment_method_id = models.CharField(max_length=255, blank=True)
    card_brand = models.CharField(max_length=30, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="subscription_amount_positive"),
            models.UniqueConstraint(
                fields=["gateway", "gateway_subscription_id"],
                condition=~Q(gateway_subscription_id=""),
                name="subscription_gateway_id_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_payment_at"],
                condition=Q(status__in=["active", "paused"]),
                name="subscription_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.money} / {self.interval} ({self.get_status_display()})"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def next_discount(self) -> int:
        """What the coupon takes off the next payment (0 once it no longer applies)."""
        if not self.discount or self.discount_payments_left == 0:
            return 0
        return min(self.discount, self.amount - 1)

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]


def default_retry_days() -> list[int]:
    return [3, 5, 7]


class PaymentPolicy(models.Model):
    """What a creator decided about money over time: failed payments (dunning), expiry reminders,
    when a student's own cancel takes effect, and the business details printed on receipts."""

    class FinalAction(models.TextChoices):
        KEEP_PAST_DUE = "keep_past_due", "Keep the subscription past due"
        CANCEL = "cancel", "Cancel the subscription"
        CANCEL_AND_REVOKE = "cancel_and_revoke", "Cancel the subscription and revoke access"

    creator = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_policy"
    )
    # Days after the first failed attempt on which the payment is tried again, increasing.
    retry_days = models.JSONField(default=default_retry_days)
    final_action = models.CharField(
        max_length=20, choices=FinalAction.choices, default=FinalAction.KEEP_PAST_DUE
    )
    access_while_past_due = models.BooleanField(default=True)
    # Days before an expiration that the reminder goes; None: no reminders.
    expiry_reminder_days = models.PositiveSmallIntegerField(null=True, blank=True, default=7)
    # A student's own cancel: at once (False, revoking access then) or at the end of the paid period.
    customer_cancel_at_period_end = models.BooleanField(default=False)
    business_name = models.CharField(max_length=200, blank=True)
    business_address = models.TextField(max_length=1000, blank=True)
    tax_id = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"payment policy of {self.creator}"


class CheckoutSession(models.Model):
    """A buyer's checkout in progress; fulfilled once, whichever of webhook or return is first.

    One per purchase intent: the checkout form carries a key made when it was shown, and a form sent
    twice (two clicks, two tabs' worth of retries) finds the same session instead of paying again.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    payment_page = models.ForeignKey(
        "catalog.PaymentPage", on_delete=models.PROTECT, related_name="checkout_sessions"
    )
    email = models.EmailField()
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    password_hash = models.CharField(max_length=255, blank=True)
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    gateway_session_id = models.CharField(max_length=255, blank=True)
    # The purchase intent's key (from the checkout form); "" for sessions made before there was one.
    intent_key = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    # The coupon the buyer applied and what it takes off the first payment.
    coupon = models.ForeignKey(
        "catalog.Coupon", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    discount = models.PositiveIntegerField(default=0)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "gateway_session_id"],
                condition=~Q(gateway_session_id=""),
                name="checkout_gateway_id_unique",
            ),
            models.UniqueConstraint(
                fields=["payment_page", "intent_key"],
                condition=~Q(intent_key=""),
                name="checkout_once_per_intent",
            ),
        ]

    def __str__(self) -> str:
        return f"checkout {self.pk} for {self.email} ({self.status})"


class WebhookEvent(models.Model):
    """The inbox: every signed event is stored before it is processed, once per event id."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhook_events"
    )
    gateway = models.CharField(max_length=20, choices=Gateway.choices, default=Gateway.STRIPE)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=clock.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} ({self.status})"


def new_receipt_key() -> str:
    return secrets.token_urlsafe(24)


class ReceiptCounter(models.Model):
    """The last receipt number a creator issued. Its row is locked while a number is taken, in the
    same transaction as the payment or refund the receipt is for: numbers never repeat and, since a
    rolled-back transaction takes its number back, never skip."""

    creator = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="receipt_counter"
    )
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"receipt counter of {self.creator}: {self.last_number}"


class ReceiptQuerySet(CreatorScopedQuerySet):
    creator_path = "creator"


class Receipt(models.Model):
    """The receipt of one successful payment, or of one refund, numbered per creator from 1.

    The seller's business details are copied when it is issued: a receipt says what was true then,
    whatever the creator's settings say later.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Receipt"
        REFUND = "refund", "Refund receipt"

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="receipts")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="receipts")
    refund = models.OneToOneField(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="receipt"
    )
    # The money this receipt is for: the payment's amount, or the refund's.
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    # What a discount took off the price before the payment (minor units); 0 without one.
    discount_amount = models.PositiveIntegerField(default=0)
    issued_at = models.DateTimeField(default=clock.now)
    business_name = models.CharField(max_length=200, blank=True)
    business_address = models.TextField(max_length=1000, blank=True)
    tax_id = models.CharField(max_length=100, blank=True)
    # The receipt's address for the customer (emails, billing page): long and random, never guessed.
    access_key = models.CharField(max_length=64, unique=True, default=new_receipt_key)

    objects = ReceiptQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["creator", "number"], name="receipt_number_once_per_creator"),
            models.UniqueConstraint(
                fields=["payment"], condition=Q(kind="payment"), name="receipt_once_per_payment"
            ),
            models.CheckConstraint(
                condition=(Q(kind="payment", refund__isnull=True) | Q(kind="refund", refund__isnull=False)),
                name="receipt_refund_matches_kind",
            ),
            models.CheckConstraint(condition=Q(number__gt=0), name="receipt_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} No. {self.number} ({self.money})"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def discount(self) -> Money | None:
        return Money(self.discount_amount, self.currency) if self.discount_amount else None


class CsvSummary(models.Model):
    """What the students CSV shows of one customer's money and progress in one course, written as
    the export writes it. PostgreSQL keeps it with triggers (billing/csv_summary.py); nothing in
    Python writes it, and on SQLite it stays empty."""

    course_id = models.BigIntegerField()
    customer_id = models.BigIntegerField()
    paid = models.TextField()
    refunded = models.TextField()
    currency = models.TextField(null=True)
    subscription = models.TextField(null=True)
    receipt_numbers = models.TextField(null=True)
    lessons_done = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course_id", "customer_id"], name="csv_summary_once_per_pair")
        ]

    def __str__(self) -> str:
        return f"course {self.course_id}, customer {self.customer_id}"
