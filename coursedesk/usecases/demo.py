"""Demo data: one creator, three courses and about 60 customers in every state the desk knows.

Customer and access changes go through the services, so the timeline reads as if a creator and
their buyers had used CourseDesk for a year. Every payment is a sandbox (test-mode) payment.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.db import transaction

from coursedesk.accounts.models import Creator
from coursedesk.audit.services import Actor, audit_record, change
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.billing.dunning import payment_policy_update
from coursedesk.billing.models import Gateway, GatewayAccount, Payment, Refund, Subscription
from coursedesk.billing.payments import payment_record
from coursedesk.billing.receipts import receipt_issue
from coursedesk.billing.selectors import payment_refund_amounts
from coursedesk.catalog.coupons import coupon_create
from coursedesk.catalog.lessons import markdown_render
from coursedesk.catalog.models import Coupon, Course, Lesson, PaymentPage, Section
from coursedesk.core import clock
from coursedesk.core.text import ascii_fold
from coursedesk.customers.models import Customer, LessonProgress
from coursedesk.customers.services import (
    customer_create,
    enrolment_expiration_set,
    enrolment_grant,
    enrolment_revoke,
)

DEMO_EMAIL = "demo@coursedesk.test"
DEMO_PASSWORD = "coursedesk-demo"
STUDENT_PASSWORD = "student-demo"

COURSES = [
    {
        "slug": "watercolor-foundations",
        "title": "Watercolor Foundations",
        "description": "Loose, luminous watercolors in eight short lessons.",
        "lessons": [
            (
                "Your palette and paper",
                "<p>Three pigments are enough. We start with <strong>ultramarine</strong>, quinacridone rose and hansa yellow.</p>",
            ),
            (
                "Washes that dry flat",
                "<p>Tilt the board, load the brush, keep a bead moving down the page.</p>",
            ),
            ("Wet-in-wet skies", "<p>Drop colour into a damp sky and let the water do the blending.</p>"),
        ],
        "pages": [
            {"name": "Lifetime access", "kind": "one_time", "amount": 4900},
            {"name": "One year of access", "kind": "one_time", "amount": 2900, "access_days": 365},
        ],
    },
    {
        "slug": "python-data-analysis",
        "title": "Python for Data Analysis",
        "description": "From spreadsheets to pandas: clean, explore and chart real data.",
        "lessons": [
            ("Setting up", "<p>Install Python and open your first notebook.</p>"),
            ("DataFrames", "<p>Load a CSV with <code>pandas.read_csv</code> and look around.</p>"),
            ("Grouping and charts", "<p><code>groupby</code>, then a bar chart that tells the story.</p>"),
            ("Cleaning messy data", "<p>Missing values, typos and dates in five formats.</p>"),
        ],
        "pages": [
            {"name": "Monthly membership", "kind": "subscription", "amount": 1900, "interval": "month"},
        ],
    },
    {
        "slug": "launch-your-online-business",
        "title": "Launch Your Online Business",
        "description": "Validate, build and launch a small online business in 30 days.",
        "lessons": [
            ("Find the problem", "<p>Talk to ten people before you build anything.</p>"),
            ("Your first offer", "<p>Price it, write the page, ask for the sale.</p>"),
            ("Launch week", "<p>A day-by-day plan for launch week.</p>"),
        ],
        "pages": [
            {"name": "Pay in full", "kind": "one_time", "amount": 24900},
            {
                "name": "3 monthly payments",
                "kind": "payment_plan",
                "amount": 8900,
                "interval": "month",
                "installments": 3,
            },
        ],
    },
]

FIRST_NAMES = [
    "Zoë",
    "José",
    "Łukasz",
    "Søren",
    "Chloé",
    "Ana María",
    "Mei",
    "Oliver",
    "Amara",
    "Noah",
    "Ingrid",
    "Rafael",
    "Aisha",
    "Liam",
    "Björn",
    "Priya",
    "Hugo",
    "Fatima",
    "Kenji",
    "Elena",
    "Mateo",
    "Sofia",
    "Arjun",
    "Nora",
    "Émile",
    "Yara",
    "Tomás",
    "Leila",
    "Finn",
    "Ines",
]
LAST_NAMES = [
    "Okafor",
    "García",
    "Nowak",
    "Andersen",
    "Dubois",
    "López",
    "Chen",
    "Smith",
    "Mensah",
    "Müller",
    "Johansson",
    "Silva",
    "Khan",
    "O'Brien",
    "Lindqvist",
    "Patel",
    "Moreau",
    "Haddad",
    "Tanaka",
    "Rossi",
    "Fernández",
    "Bianchi",
    "Sharma",
    "Kowalski",
    "Lefèvre",
    "Nasser",
    "Pereira",
    "Karimi",
    "Murphy",
    "Costa",
]

DEMO_ACTOR_SOURCE = AuditSource.SEED

# Watercolor Foundations as written in the studio: (section, Markdown, other fields) per lesson.
STUDIO_LESSONS = [
    (
        1,
        "Three pigments are enough. We start with **ultramarine**, quinacridone rose and hansa yellow.\n\n"
        "- a 300 g cold-press paper\n- a size 10 round brush\n- two jars of water",
        {"free_preview": True},
    ),
    (
        1,
        "Tilt the board, load the brush, keep a bead moving down the page.",
        {"video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
    ),
    (2, "Drop colour into a damp sky and let the water do the blending.", {}),
]
DRIPPED_LESSON = "## Layer by layer\n\nLet each glaze dry before the next: warm at the horizon, cool above."


def _ascii(text: str) -> str:
    plain = ascii_fold(text)
    return "".join(ch for ch in plain if ch.isalnum() or ch == " ").replace(" ", ".")


def _sandbox_payment(
    *, customer, page, subscription=None, at, status=Payment.Status.SUCCEEDED, failure_message="", coupon=None
) -> Payment:
    """A payment as the checkout (or a renewal) records it; callers freeze the clock at `at`."""
    discount = coupon.discount_on(page.amount) if coupon is not None else 0
    return payment_record(
        customer=customer,
        course=page.course,
        payment_page=page,
        subscription=subscription,
        amount=page.amount - discount,
        discount=discount,
        coupon=coupon,
        currency=page.currency,
        gateway=Gateway.SANDBOX,
        reference=f"sbx_pay_{customer.pk}_{page.pk}_{int(at.timestamp())}",
        succeeded=status == Payment.Status.SUCCEEDED,
        failure_message=failure_message,
        details={"renewal": True} if subscription is not None else {"payment_page": page.name},
        actor=Actor.gateway("sandbox"),
        source=AuditSource.CHECKOUT if subscription is None else AuditSource.RENEWAL,
    )


def _sandbox_refund(*, payment, amount, at, creator, reason="") -> Refund:
    before = payment_refund_amounts(payment=payment)
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        currency=payment.currency,
        status=Refund.Status.SUCCEEDED,
        reason=reason,
        source=AuditSource.DESK,
        gateway_refund_id=f"sbx_re_{payment.pk}_{int(at.timestamp())}",
        created_at=at,
    )
    receipt = receipt_issue(payment=payment, refund=refund)
    audit_record(
        creator=creator,
        customer=payment.customer,
        type=AuditEventType.PAYMENT_REFUNDED,
        actor=Actor.creator(creator),
        source=AuditSource.DESK,
        subject=payment,
        data={
            "refund_id": refund.pk,
            "amount": amount,
            "currency": payment.currency,
            "refunded_total": change(
                before.refunded.amount, payment_refund_amounts(payment=payment).refunded.amount
            ),
            **({"reason": reason} if reason else {}),
            "receipt_number": receipt.number,
        },
    )
    return refund


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month, day=day)


class DemoSeeder:
    def __init__(self, *, now: dt.datetime, seed: int = 7):
        self.now = now
        self.random = random.Random(seed)
        self.customers: list[Customer] = []
        self.student_password_hash = make_password(STUDENT_PASSWORD)

    def at(self, days_ago: float) -> dt.datetime:
        return self.now - dt.timedelta(days=days_ago)

    def run(self) -> Creator:
        creator = Creator.objects.create_user(
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            display_name="Maya Lindqvist Studio",
            first_name="Maya",
            last_name="Lindqvist",
        )
        GatewayAccount.objects.create(creator=creator, gateway=Gateway.SANDBOX)
        self.creator = creator
        self.actor = Actor.creator(creator)
        # The business details every receipt carries.
        payment_policy_update(
            creator=creator,
            actor=self.actor,
            source=AuditSource.SEED,
            business_name="Maya Lindqvist Studio AB",
            business_address="Sveavägen 12\n111 57 Stockholm\nSweden",
            tax_id="SE556677889901",
        )
        self.pages = {}
        for spec in COURSES:
            course = Course.objects.create(
                creator=creator,
                slug=spec["slug"],
                title=spec["title"],
                description=spec["description"],
                published=True,
                contact_email="help@maya-studio.test",
                created_at=self.at(420),
            )
            for position, (title, body) in enumerate(spec["lessons"], start=1):
                Lesson.objects.create(course=course, position=position, title=title, body_html=body)
            for page_spec in spec["pages"]:
                page = PaymentPage.objects.create(course=course, currency="usd", **page_spec)
                self.pages[(spec["slug"], page_spec["name"])] = page
        self._studio()
        self._customers()
        self._progress()
        return creator

    def _studio(self) -> None:
        """What a creator builds in the studio: Watercolor Foundations in two sections, its lessons
        in Markdown (one a free preview, one with a video, one dripped a week after enrolment), and
        a coupon."""
        course = Course.objects.get(creator=self.creator, slug="watercolor-foundations")
        basics = Section.objects.create(course=course, title="Getting started", position=1)
        painting = Section.objects.create(course=course, title="Painting", position=2)
        lessons = list(course.lessons.order_by("position"))
        for lesson, (section, markdown, extra) in zip(lessons, STUDIO_LESSONS, strict=True):
            lesson.section = basics if section == 1 else painting
            lesson.body_markdown = markdown
            lesson.body_html = markdown_render(markdown)
            for field, value in extra.items():
                setattr(lesson, field, value)
            lesson.save()
        Lesson.objects.create(
            course=course,
            section=painting,
            position=len(lessons) + 1,
            title="Sunsets in layers",
            body_markdown=DRIPPED_LESSON,
            body_html=markdown_render(DRIPPED_LESSON),
            available_after_days=7,
        )
        with self.as_creator(30):
            self.coupon = coupon_create(
                creator=self.creator,
                code="SPRING20",
                percent_off=20,
                max_redemptions=100,
                expires_at=self.at(-60),
                payment_pages=[self.pages[("watercolor-foundations", "Lifetime access")]],
                actor=self.actor,
                source=AuditSource.DESK,
            )

    def _progress(self) -> None:
        """Students at every stage of Watercolor Foundations: not started, halfway, done."""
        course = Course.objects.get(creator=self.creator, slug="watercolor-foundations")
        lessons = list(course.lessons.order_by("position"))
        enrolments = course.enrolments.filter(revoked_at__isnull=True).order_by("pk")
        for n, enrolment in enumerate(enrolments):
            done = lessons[: n % (len(lessons) + 1)]
            LessonProgress.objects.bulk_create(
                LessonProgress(customer_id=enrolment.customer_id, lesson=lesson, completed_at=self.at(1))
                for lesson in done
            )

    def customer(
        self,
        index: int,
        days_ago: float,
        *,
        email: str | None = None,
        first: str | None = None,
        last: str | None = None,
    ) -> Customer:
        first = first or FIRST_NAMES[index % len(FIRST_NAMES)]
        last = last or LAST_NAMES[(index * 7) % len(LAST_NAMES)]
        email = email or f"{_ascii(first)}.{_ascii(last)}{index}@example.com"
        with clock.frozen(self.at(days_ago)):
            customer = customer_create(
                creator=self.creator,
                email=email,
                first_name=first,
                last_name=last,
                actor=Actor.buyer(email),
                source=AuditSource.CHECKOUT,
            )
        # One Argon2 hash serves every demo student: hashing 60 times would take seconds.
        customer.created_at = self.at(days_ago)
        customer.password = self.student_password_hash
        Customer.objects.filter(pk=customer.pk).update(
            created_at=customer.created_at, password=customer.password
        )
        self.customers.append(customer)
        return customer

    def buy(self, customer, page, days_ago: float):
        moment = self.at(days_ago)
        with clock.frozen(moment):
            expires = moment + dt.timedelta(days=page.access_days) if page.access_days else None
            enrolment = enrolment_grant(
                customer=customer,
                course=page.course,
                actor=Actor.system(),
                source=AuditSource.CHECKOUT,
                expires_at=expires,
                payment_page=page,
                enrolment_source="checkout",
            )
            if page.kind == PaymentPage.Kind.ONE_TIME:
                payment = _sandbox_payment(customer=customer, page=page, at=moment)
                return enrolment, payment, None
            subscription = Subscription.objects.create(
                customer=customer,
                course=page.course,
                payment_page=page,
                amount=page.amount,
                currency=page.currency,
                interval=page.interval,
                installments_total=page.installments,
                started_at=moment,
                gateway=Gateway.SANDBOX,
                gateway_subscription_id=f"sbx_sub_{customer.pk}_{page.pk}",
                # A sandbox test card on file, so renewals go through while `make run` runs.
                gateway_payment_method_id=f"sbx_pm_ok_4242_demo{customer.pk}",
                card_brand="visa",
                card_last4="4242",
            )
            audit_record(
                creator=self.creator,
                customer=customer,
                type=AuditEventType.SUBSCRIPTION_CREATED,
                actor=Actor.system(),
                source=AuditSource.CHECKOUT,
                subject=subscription,
                data={
                    "amount": page.amount,
                    "currency": page.currency,
                    "interval": page.interval,
                    **({"installments": page.installments} if page.installments else {}),
                },
            )
        payment = None
        charge_at = moment
        paid = 0
        while charge_at <= self.now:
            if page.installments and paid >= page.installments:
                break
            with clock.frozen(charge_at):
                payment = _sandbox_payment(
                    customer=customer, page=page, subscription=subscription, at=charge_at
                )
            paid += 1
            charge_at = _add_months(charge_at, 1 if page.interval == "month" else 12)
        subscription.next_payment_at = charge_at
        if page.installments and paid >= page.installments:
            subscription.status = Subscription.Status.COMPLETED
            subscription.completed_at = payment.paid_at
            subscription.next_payment_at = None
            with clock.frozen(payment.paid_at):
                audit_record(
                    creator=self.creator,
                    customer=customer,
                    type=AuditEventType.SUBSCRIPTION_COMPLETED,
                    actor=Actor.system(),
                    source=AuditSource.RENEWAL,
                    subject=subscription,
                    data={"status": change("active", "completed")},
                )
        subscription.save()
        return enrolment, payment, subscription

    def as_creator(self, days_ago: float):
        return clock.frozen(self.at(days_ago))

    def _customers(self) -> None:
        lifetime = self.pages[("watercolor-foundations", "Lifetime access")]
        yearly = self.pages[("watercolor-foundations", "One year of access")]
        monthly = self.pages[("python-data-analysis", "Monthly membership")]
        full = self.pages[("launch-your-online-business", "Pay in full")]
        plan = self.pages[("launch-your-online-business", "3 monthly payments")]
        index = 0

        def next_customer(days_ago, **kwargs):
            nonlocal index
            index += 1
            return self.customer(index, days_ago, **kwargs)

        # Lifetime buyers of a one-time page, some with a second course.
        for n in range(14):
            customer = next_customer(400 - n * 25)
            self.buy(customer, lifetime, 400 - n * 25)
            if n % 4 == 0:
                self.buy(customer, full, 300 - n * 20)
        # One year of access: some still running, some expired.
        for n in range(8):
            days = 500 - n * 50
            customer = next_customer(days)
            self.buy(customer, yearly, days)
        # Monthly members: active, paused, canceled, past due.
        members = []
        for n in range(14):
            days = 200 - n * 12
            customer = next_customer(days)
            _, _, subscription = self.buy(customer, monthly, days)
            members.append((customer, subscription))
        for customer, subscription in members[:3]:
            with self.as_creator(5):
                subscription.status = Subscription.Status.PAUSED
                subscription.paused_until = (self.now + dt.timedelta(days=20)).date()
                old_next = subscription.next_payment_at
                subscription.next_payment_at = self.now + dt.timedelta(days=20)
                subscription.save()
                audit_record(
                    creator=self.creator,
                    customer=customer,
                    type=AuditEventType.SUBSCRIPTION_PAUSED,
                    actor=self.actor,
                    source=AuditSource.DESK,
                    subject=subscription,
                    data={
                        "status": change("active", "paused"),
                        "next_payment_at": change(
                            clock.iso(old_next), clock.iso(subscription.next_payment_at)
                        ),
                    },
                )
        for customer, subscription in members[3:6]:
            with self.as_creator(9):
                subscription.status = Subscription.Status.CANCELED
                subscription.canceled_at = clock.now()
                old_next = subscription.next_payment_at
                subscription.next_payment_at = None
                subscription.save()
                audit_record(
                    creator=self.creator,
                    customer=customer,
                    type=AuditEventType.SUBSCRIPTION_CANCELED,
                    actor=self.actor,
                    source=AuditSource.DESK,
                    subject=subscription,
                    data={
                        "status": change("active", "canceled"),
                        "next_payment_at": change(clock.iso(old_next), None),
                    },
                )
        for customer, subscription in members[6:8]:
            failed_at = self.at(2)
            with clock.frozen(failed_at):
                _sandbox_payment(
                    customer=customer,
                    page=monthly,
                    subscription=subscription,
                    at=failed_at,
                    status=Payment.Status.FAILED,
                    failure_message="Your card was declined.",
                )
                subscription.status = Subscription.Status.PAST_DUE
                # Due when it failed; the default policy retries 3, 5 and 7 days after the failure.
                subscription.next_payment_at = failed_at
                subscription.past_due_since = failed_at
                subscription.next_retry_at = failed_at + dt.timedelta(days=3)
                subscription.retries_left = 3
                subscription.card_last4 = "0341"
                subscription.gateway_payment_method_id = f"sbx_pm_fails_0341_demo{customer.pk}"
                subscription.save()
                audit_record(
                    creator=self.creator,
                    customer=customer,
                    type=AuditEventType.SUBSCRIPTION_PAST_DUE,
                    actor=Actor.gateway("sandbox"),
                    source=AuditSource.RENEWAL,
                    subject=subscription,
                    data={
                        "status": change("active", "past_due"),
                        "retries_left": 3,
                        "retry_at": clock.iso(subscription.next_retry_at),
                    },
                )
        # Payment plans: completed (access stays) and in progress.
        for n in range(6):
            days = 150 - n * 22
            customer = next_customer(days)
            self.buy(customer, plan, days)
        # Refunds: partial and full.
        for n in range(6):
            customer = next_customer(90 - n * 9)
            _, payment, _ = self.buy(customer, full, 90 - n * 9)
            with self.as_creator(80 - n * 9):
                if n % 2 == 0:
                    _sandbox_refund(
                        payment=payment,
                        amount=5000,
                        at=clock.now(),
                        creator=self.creator,
                        reason="Goodwill: late start",
                    )
                else:
                    _sandbox_refund(
                        payment=payment,
                        amount=payment.amount,
                        at=clock.now(),
                        creator=self.creator,
                        reason="Asked within 14 days",
                    )
        # Revoked access.
        for n in range(5):
            customer = next_customer(120 - n * 10)
            enrolment, _, _ = self.buy(customer, lifetime, 120 - n * 10)
            with self.as_creator(60 - n * 10):
                enrolment_revoke(
                    enrolment=enrolment, actor=self.actor, source=AuditSource.DESK, reason="Chargeback opened"
                )
        # Granted by hand, lifetime and with a set expiration that has passed.
        for n in range(4):
            customer = next_customer(45 - n * 5)
            with self.as_creator(45 - n * 5):
                enrolment = enrolment_grant(
                    customer=customer, course=lifetime.course, actor=self.actor, source=AuditSource.DESK
                )
            if n % 2:
                # One ended three days ago; one ends in five days, so its reminder is due.
                with self.as_creator(30):
                    enrolment_expiration_set(
                        enrolment=enrolment,
                        expires_at=self.at(3 if n == 1 else -5),
                        actor=self.actor,
                        source=AuditSource.DESK,
                    )
        # One person, two accounts: a typo in the second address.
        first = next_customer(70, first="Jessica", last="Tran", email="jessica.tran@gmail.com")
        self.buy(first, monthly, 70)
        second = next_customer(12, first="Jessica", last="Tran", email="jessica.tran@gmial.com")
        self.buy(second, lifetime, 12)
        # Bought with the coupon: the payment records what it took off.
        with_coupon = next_customer(6, first="Rosa", last="Almeida", email="rosa.almeida@example.com")
        with clock.frozen(self.at(6)):
            enrolment_grant(
                customer=with_coupon,
                course=lifetime.course,
                actor=Actor.system(),
                source=AuditSource.CHECKOUT,
                payment_page=lifetime,
                enrolment_source="checkout",
            )
            _sandbox_payment(customer=with_coupon, page=lifetime, at=self.at(6), coupon=self.coupon)
        Coupon.objects.filter(pk=self.coupon.pk).update(times_redeemed=1)
        # Names that must render as text, never as markup or formulas.
        odd = next_customer(
            8, first="<script>alert(1)</script>", last='=HYPERLINK("x")', email="curious.tester@example.com"
        )
        self.buy(odd, lifetime, 8)


def seed_demo() -> tuple[Creator, bool]:
    """Creates the demo once. Returns (creator, created); a second call changes nothing."""
    existing = Creator.objects.filter(email=DEMO_EMAIL).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        creator = DemoSeeder(now=clock.now().replace(microsecond=0)).run()
    return creator, True
