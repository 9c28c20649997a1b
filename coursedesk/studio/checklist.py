"""The first-run checklist on the studio's home: the steps from a new account to a first sale."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from coursedesk.billing.models import GatewayAccount
from coursedesk.catalog.links import checkout_url
from coursedesk.catalog.models import Course, Lesson, PaymentPage
from coursedesk.customers.models import Enrolment


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    help: str
    done: bool
    url: str
    action: str


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]
    checkout_link: str  # the first active payment page of a published course, or ""

    @property
    def done(self) -> bool:
        return all(step.done for step in self.steps)

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)


def studio_checklist(*, creator) -> Checklist:
    courses = Course.objects.for_creator(creator).filter(archived_at__isnull=True)
    first = courses.order_by("created_at", "pk").first()
    course_url = reverse("studio:course", args=[first.pk]) if first else reverse("studio:course_new")
    lessons = Lesson.objects.for_creator(creator).exists()
    pages = PaymentPage.objects.for_creator(creator)
    on_sale = (
        pages.filter(active=True, course__published=True, course__archived_at__isnull=True)
        .order_by("pk")
        .first()
    )
    sold = Enrolment.objects.filter(course__creator=creator).exists()
    steps = [
        Step(
            "payments",
            "Choose how you take payments",
            "Connect Stripe, or stay on the sandbox to try everything with test cards.",
            GatewayAccount.objects.filter(creator=creator).exists(),
            reverse("desk:payment_settings"),
            "Payment settings",
        ),
        Step(
            "course",
            "Create a course",
            "A title is enough to start; it stays a draft until you publish it.",
            first is not None,
            reverse("studio:course_new"),
            "New course",
        ),
        Step(
            "lesson",
            "Add a lesson",
            "Write it in Markdown, add a video or a file.",
            lessons,
            course_url,
            "Add lessons",
        ),
        Step(
            "payment_page",
            "Add a payment page",
            "One-time, subscription, payment plan or free.",
            pages.exists(),
            course_url,
            "Add a price",
        ),
        Step(
            "publish",
            "Publish the course",
            "Its sales page and checkout open to buyers.",
            courses.filter(published=True).exists(),
            course_url,
            "Publish",
        ),
        Step(
            "share",
            "Copy the checkout link",
            "Send it to your audience; this step is done with your first student.",
            sold,
            course_url,
            "Copy the link",
        ),
    ]
    return Checklist(steps=steps, checkout_link=checkout_url(on_sale) if on_sale else "")
