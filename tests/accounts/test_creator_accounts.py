import pytest
from django.core import mail
from django.urls import reverse

from coursedesk.accounts.models import Creator
from tests.factories import TEST_PASSWORD


def test_the_front_door_answers_for_everyone(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_sign_up_creates_a_creator_and_signs_them_in(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "display_name": "Nora's Pottery",
            "email": "Nora@Example.com",
            "password": "glaze-and-kiln-2026",
        },
    )
    assert response.status_code == 302
    creator = Creator.objects.get()
    assert creator.email == "nora@example.com"
    assert creator.password.startswith("argon2$")
    assert client.get(reverse("desk:activity")).status_code == 200


def test_sign_up_refuses_a_taken_email(client, creator):
    response = client.post(
        reverse("accounts:signup"),
        {
            "display_name": "Copy",
            "email": "MAYA@example.com",
            "password": "glaze-and-kiln-2026",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Creator.objects.count() == 1


def test_sign_in_and_out(client, creator):
    response = client.post(
        reverse("accounts:login"), {"username": "maya@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("desk:activity")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("desk:activity")).status_code == 302


def test_creator_pages_need_a_sign_in(client, db):
    response = client.get(reverse("desk:activity"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_sign_in_is_throttled_after_five_failures(client, creator):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "maya@example.com", "password": "nope"})
    response = client.post(
        reverse("accounts:login"), {"username": "maya@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_forgotten_password_sends_a_link_that_sets_a_new_password(client, creator, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post(reverse("accounts:password_reset"), {"email": "maya@example.com"})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    response = client.post(
        response.redirect_chain[-1][0],
        {
            "new_password1": "a-brand-new-passphrase",
            "new_password2": "a-brand-new-passphrase",
        },
    )
    assert response.status_code == 302
    creator.refresh_from_db()
    assert creator.check_password("a-brand-new-passphrase")


def test_forgotten_password_for_an_unknown_address_looks_the_same(client, db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_pages_send_security_headers(client, db, path):
    response = client.get(path)
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
