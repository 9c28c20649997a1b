import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from coursedesk.accounts.models import ApiToken, Creator
from coursedesk.audit.models import AuditEvent
from coursedesk.billing.models import Payment, Receipt, Refund, Subscription
from coursedesk.billing.selectors import payment_refund_amounts
from coursedesk.catalog.models import Coupon
from coursedesk.core import clock
from coursedesk.customers.models import Customer, Enrolment, LessonProgress
from coursedesk.usecases.demo import DEMO_EMAIL, seed_demo

ROOT = Path(__file__).resolve().parents[2]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_creator_with_a_password(db):
    output = run("create_creator", "New@Example.com", "--password", "pottery-wheel-77")
    creator = Creator.objects.get()
    assert creator.email == "new@example.com"
    assert creator.check_password("pottery-wheel-77")
    assert "Created creator new@example.com" in output


def test_create_creator_generates_and_prints_a_password(db):
    output = run("create_creator", "gen@example.com")
    password = output.split("Password: ")[1].strip()
    assert Creator.objects.get().check_password(password)


def test_create_creator_refuses_a_duplicate_and_a_weak_password(creator):
    with pytest.raises(CommandError, match="already exists"):
        run("create_creator", "MAYA@example.com", "--password", "pottery-wheel-77")
    with pytest.raises(CommandError, match="too common"):
        run("create_creator", "weak@example.com", "--password", "password")
    assert Creator.objects.count() == 1


def test_create_api_token_prints_a_working_token(creator, client):
    key = run("create_api_token", "maya@example.com").strip()
    assert key.startswith("cd_")
    token = ApiToken.objects.get()
    assert token.key_hash != key and key not in token.key_hash
    response = client.get("/api/v1/courses", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert client.get("/api/v1/courses", headers={"Authorization": "Bearer cd_wrong"}).status_code == 401


def test_create_api_token_makes_a_read_token_when_asked(creator, client):
    key = run("create_api_token", "maya@example.com", "--scope", "read").strip()

    assert ApiToken.objects.get().scope == "read"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).json()["scopes"] == ["read"]


def test_create_api_token_for_an_unknown_creator(db):
    with pytest.raises(CommandError, match="No creator"):
        run("create_api_token", "ghost@example.com")


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Creator, Customer, Enrolment, Payment, Refund, Receipt, Subscription, AuditEvent)
    }


def test_seed_demo_covers_every_state_and_is_idempotent(db):
    creator, created = seed_demo()
    assert created
    first = counts()
    _, created_again = seed_demo()
    assert not created_again
    assert counts() == first

    assert creator.email == DEMO_EMAIL
    assert 55 <= Customer.objects.for_creator(creator).count() <= 65
    assert creator.courses.count() == 3
    statuses = {e.status for e in Enrolment.objects.for_creator(creator)}
    assert statuses == {"active", "revoked", "expired"}
    assert Enrolment.objects.filter(expires_at__isnull=True, revoked_at__isnull=True).exists()
    sub_statuses = set(Subscription.objects.values_list("status", flat=True))
    assert {"active", "paused", "canceled", "past_due", "completed"} <= sub_statuses
    refunded = [p for p in Payment.objects.filter(refunds__isnull=False).distinct()]
    assert any(payment_refund_amounts(payment=p).refundable.amount == 0 for p in refunded)
    assert any(0 < payment_refund_amounts(payment=p).refundable.amount < p.amount for p in refunded)
    assert set(Payment.objects.values_list("gateway", flat=True)) == {"sandbox"}
    pages = {page.kind for course in creator.courses.all() for page in course.payment_pages.all()}
    assert pages == {"one_time", "subscription", "payment_plan"}
    assert creator.courses.filter(payment_pages__access_days=365).exists()
    assert Customer.objects.filter(email__startswith="jessica.tran@").count() == 2
    # money over time: past-due customers with retries left, and access that ends within a week
    past_due = Subscription.objects.filter(status="past_due")
    assert past_due.exists() and all(s.retries_left == 3 and s.next_retry_at for s in past_due)
    soon = clock.now() + dt.timedelta(days=7)
    assert Enrolment.objects.filter(
        revoked_at__isnull=True, expires_at__gt=clock.now(), expires_at__lte=soon
    ).exists()
    # receipts: one for every payment taken and every refund, numbered 1 to N, with the business
    receipts = Receipt.objects.filter(creator=creator)
    taken = Payment.objects.filter(status="succeeded").count()
    assert receipts.filter(kind="payment").count() == taken
    assert receipts.filter(kind="refund").count() == Refund.objects.filter(status="succeeded").count() > 0
    assert sorted(receipts.values_list("number", flat=True)) == list(range(1, receipts.count() + 1))
    assert set(receipts.values_list("business_name", "tax_id")) == {
        ("Maya Lindqvist Studio AB", "SE556677889901")
    }
    # the studio: a published course in sections, with a free preview, a video and a dripped lesson
    course = creator.courses.get(slug="watercolor-foundations")
    assert course.published
    assert [
        (
            lesson.section.title,
            lesson.title,
            lesson.free_preview,
            bool(lesson.video_url),
            lesson.available_after_days,
        )
        for lesson in course.lessons.order_by("position")
    ] == [
        ("Getting started", "Your palette and paper", True, False, None),
        ("Getting started", "Washes that dry flat", False, True, None),
        ("Painting", "Wet-in-wet skies", False, False, None),
        ("Painting", "Sunsets in layers", False, False, 7),
    ]
    assert "<strong>ultramarine</strong>" in course.lessons.get(position=1).body_html
    # a coupon, used once, and the payment that used it
    coupon = Coupon.objects.get(creator=creator)
    assert (coupon.code, coupon.percent_off, coupon.times_redeemed) == ("SPRING20", 20, 1)
    assert list(Payment.objects.filter(coupon=coupon).values_list("amount", "discount")) == [(3920, 980)]
    # progress at every stage: none, some and all of the course's four lessons
    done = {
        LessonProgress.objects.filter(customer=enrolment.customer, lesson__course=course).count()
        for enrolment in course.enrolments.all()
    }
    assert {0, 2, 4} <= done


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 30 + "production-secret-key-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "courses.example.com",
        "SITE_URL": "https://courses.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    # Browser tests allow sync database calls inside Playwright's event loop; production does not.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_subscriptions_renew_with_their_test_card(db):
    from coursedesk.billing.renewals import renewals_run
    from coursedesk.core import clock

    seed_demo()
    active = Subscription.objects.filter(status="active", installments_total__isnull=True)
    due = max(s.next_payment_at for s in active)
    payments_before = Payment.objects.filter(status="succeeded").count()

    clock.set_now(due + dt.timedelta(minutes=1))
    renewals_run()

    assert set(active.values_list("status", flat=True)) == {"active"}
    assert Payment.objects.filter(status="succeeded").count() > payments_before
    assert not Payment.objects.filter(status="failed", failure_message__icontains="no card").exists()
