"""What creators sell: courses, their lessons, payment pages and welcome emails."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from coursedesk.catalog.sanitize import sanitize_html
from coursedesk.core import clock
from coursedesk.core.models import CreatorScopedQuerySet
from coursedesk.core.money import Money

currency_validator = RegexValidator(r"^[a-z]{3}$", "Use a lower-case ISO 4217 code such as usd.")

DEFAULT_WELCOME_SUBJECT = "Welcome to {{ course_title }}"
DEFAULT_WELCOME_BODY = (
    "Hi {{ first_name }},\n\n"
    "Welcome to {{ course_title }}! You can sign in here:\n{{ login_url }}\n\n"
    "Forgot your password? Set a new one here:\n{{ password_reset_url }}\n\n"
    "See you inside,\n{{ creator_name }}"
)


class CourseQuerySet(CreatorScopedQuerySet):
    creator_path = "creator"


class Course(models.Model):
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, help_text="Used in the student URLs.")
    description = models.TextField(blank=True)
    thumbnail = models.ImageField(upload_to="thumbnails/", blank=True)
    published = models.BooleanField(default=False)
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a course with students is retired instead of deleted."
    )
    contact_email = models.EmailField(help_text="Shown to students who need help.")
    welcome_email_subject = models.CharField(max_length=200, default=DEFAULT_WELCOME_SUBJECT)
    welcome_email_body = models.TextField(default=DEFAULT_WELCOME_BODY)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("classroom:course", kwargs={"course_slug": self.slug})


class SectionQuerySet(CreatorScopedQuerySet):
    creator_path = "course__creator"


class Section(models.Model):
    """A module of a course: a titled group of its lessons, in order."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField()

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ["course", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class LessonQuerySet(CreatorScopedQuerySet):
    creator_path = "course__creator"


class Lesson(models.Model):
    """`position` is the lesson's place in the whole course (sections in order, then lessons in order);
    the student URLs use it."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, null=True, blank=True, related_name="lessons"
    )
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body_markdown = models.TextField(
        blank=True, help_text="What the creator writes; rendered into body_html."
    )
    body_html = models.TextField(blank=True, help_text="Sanitised rich text.")
    video_url = models.URLField(max_length=500, blank=True, help_text="From the allowlist of video hosts.")
    available_after_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Drip: opens this many days after the student's enrolment."
    )
    free_preview = models.BooleanField(default=False, help_text="Anyone may open it from the sales page.")

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["course", "position"]
        constraints = [models.UniqueConstraint(fields=["course", "position"], name="lesson_position_unique")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.body_html = sanitize_html(self.body_html)
        super().save(*args, **kwargs)


def lesson_file_path(instance: LessonFile, filename: str) -> str:
    # A random folder per file: the stored name says nothing, and the application serves it only to
    # the course's students (config/urls.py refuses this folder under /media/).
    return f"{LESSON_FILES_DIR}/{instance.lesson.course_id}/{secrets.token_hex(16)}/{filename}"


LESSON_FILES_DIR = "lesson-files"


class LessonFileQuerySet(CreatorScopedQuerySet):
    creator_path = "lesson__course__creator"


class LessonFile(models.Model):
    """A download attached to a lesson, for the course's students only."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=lesson_file_path, max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=clock.now)

    objects = LessonFileQuerySet.as_manager()

    class Meta:
        ordering = ["lesson", "pk"]

    def __str__(self) -> str:
        return self.name


class PaymentPageQuerySet(CreatorScopedQuerySet):
    creator_path = "course__creator"


class PaymentPage(models.Model):
    """An offer of one course: one-time, subscription (until canceled), payment plan, or free."""

    class Kind(models.TextChoices):
        ONE_TIME = "one_time", "One-time payment"
        SUBSCRIPTION = "subscription", "Subscription"
        PAYMENT_PLAN = "payment_plan", "Payment plan"
        FREE = "free", "Free"

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="payment_pages")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.PositiveIntegerField(
        validators=[MinValueValidator(0)], help_text="Per payment, in the currency's minor unit; 0 when free."
    )
    currency = models.CharField(max_length=3, default="usd", validators=[currency_validator])
    interval = models.CharField(max_length=10, choices=Interval.choices, blank=True)
    installments = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Payment plans: how many payments in all."
    )
    access_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Access length in days from purchase; empty for lifetime."
    )
    trial_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Subscriptions: days free before the first charge."
    )
    active = models.BooleanField(default=True)
    gateway_product_id = models.CharField(max_length=255, blank=True)
    gateway_price_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    objects = PaymentPageQuerySet.as_manager()

    class Meta:
        ordering = ["course", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="free", amount=0) | (~Q(kind="free") & Q(amount__gt=0)),
                name="payment_page_amount_positive_unless_free",
            ),
            models.CheckConstraint(
                condition=Q(trial_days__isnull=True) | Q(kind="subscription", trial_days__gt=0),
                name="payment_page_trial_only_for_subscriptions",
            ),
            models.CheckConstraint(
                condition=Q(access_days__isnull=True) | Q(access_days__gt=0),
                name="payment_page_access_days_positive",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["one_time", "free"], interval="", installments__isnull=True)
                    | Q(kind="subscription", interval__in=["month", "year"], installments__isnull=True)
                    | Q(kind="payment_plan", interval__in=["month", "year"], installments__gte=2)
                ),
                name="payment_page_kind_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.title}: {self.name}"

    @property
    def price(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def is_recurring(self) -> bool:
        return self.kind in (self.Kind.SUBSCRIPTION, self.Kind.PAYMENT_PLAN)

    @property
    def is_free(self) -> bool:
        return self.kind == self.Kind.FREE

    def describe_price(self) -> str:
        per = {"month": "month", "year": "year"}.get(self.interval, "")
        if self.kind == self.Kind.FREE:
            return "Free"
        if self.kind == self.Kind.ONE_TIME:
            return self.price.format()
        if self.kind == self.Kind.SUBSCRIPTION and self.trial_days:
            return f"{self.price.format()} / {per} after a {self.trial_days}-day free trial"
        if self.kind == self.Kind.SUBSCRIPTION:
            return f"{self.price.format()} / {per}"
        return f"{self.installments} × {self.price.format()} / {per}"

    def get_absolute_url(self) -> str:
        return reverse("classroom:checkout", kwargs={"page_id": self.pk})


class CouponQuerySet(CreatorScopedQuerySet):
    creator_path = "creator"


class Coupon(models.Model):
    """A code a buyer types at checkout for a lower price: a percentage or an amount off.

    Limited to some of the creator's payment pages (none chosen: all of them), optionally to an end
    date and a number of uses. On a subscription it lowers the first payment only or every payment.
    `times_redeemed` is counted under the coupon's row lock, so the last use sells once.
    """

    class Duration(models.TextChoices):
        ONCE = "once", "First payment only"
        FOREVER = "forever", "Every payment"

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coupons")
    code = models.CharField(max_length=40, help_text="Stored in capitals; buyers may type it in any case.")
    percent_off = models.PositiveSmallIntegerField(null=True, blank=True)
    amount_off = models.PositiveIntegerField(
        null=True, blank=True, help_text="In the currency's minor unit, like every stored amount."
    )
    currency = models.CharField(max_length=3, blank=True, help_text="The currency of amount_off.")
    duration = models.CharField(max_length=10, choices=Duration.choices, default=Duration.ONCE)
    expires_at = models.DateTimeField(null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    times_redeemed = models.PositiveIntegerField(default=0)
    payment_pages = models.ManyToManyField(
        PaymentPage, blank=True, related_name="coupons", help_text="The pages it is limited to, if limited."
    )
    # Kept apart from the pages themselves: a coupon limited to a page that is later deleted stays
    # limited (to nothing), never becomes valid on every page.
    limited_to_pages = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    gateway_coupon_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    objects = CouponQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["creator", "code"], name="coupon_code_unique_per_creator"),
            models.CheckConstraint(
                condition=(
                    Q(percent_off__gte=1, percent_off__lte=99, amount_off__isnull=True, currency="")
                    | (Q(percent_off__isnull=True, amount_off__gt=0) & ~Q(currency=""))
                ),
                name="coupon_percent_or_amount",
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True) | Q(max_redemptions__gt=0),
                name="coupon_max_redemptions_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def describe(self) -> str:
        if self.percent_off:
            off = f"{self.percent_off}% off"
        else:
            off = f"{Money(self.amount_off, self.currency).format()} off"
        return off if self.duration == self.Duration.ONCE else f"{off} every payment"

    def discount_on(self, amount: int) -> int:
        """What the coupon takes off a price of `amount` (same currency), never more than the price.
        A percentage rounds half up to the currency's minor unit."""
        if self.percent_off:
            return min(amount, (amount * self.percent_off + 50) // 100)
        return min(amount, self.amount_off or 0)
