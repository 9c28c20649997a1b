"""Two-factor sign-in: an authenticator app (TOTP) and ten one-time recovery codes, asked for after
the password; turning it off or making new codes needs the password or a code; an owner can require
it for the whole team."""

from __future__ import annotations

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from coursedesk.accounts.access import ACTING_FOR_SESSION_KEY
from coursedesk.accounts.models import Membership
from coursedesk.accounts.two_factor import (
    authenticator_pending,
    authenticator_qr_svg,
    recovery_codes_regenerate,
    two_factor_disable,
    two_factor_enable,
    two_factor_enabled,
    two_factor_verify,
)
from coursedesk.audit.models import AuditEvent
from coursedesk.core.errors import DomainError
from tests.factories import TEST_PASSWORD, make_creator


def code_of(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def turned_on(person) -> list[str]:
    device = authenticator_pending(person)
    return two_factor_enable(person=person, code=code_of(device))


def test_setting_up_shows_a_qr_code_of_the_authenticator_link(creator):
    device = authenticator_pending(creator)

    svg = authenticator_qr_svg(device)

    assert svg.startswith("<svg")
    assert device.config_url.startswith("otpauth://totp/maya%40example.com?secret=")
    assert authenticator_pending(creator) == device  # the same key until it is confirmed
    assert not two_factor_enabled(creator)


def test_a_wrong_code_does_not_turn_it_on(creator):
    authenticator_pending(creator)

    with pytest.raises(DomainError, match="That code is not the one your app shows now"):
        two_factor_enable(person=creator, code="000000x")

    assert not two_factor_enabled(creator)
    assert not AuditEvent.objects.exists()


def test_the_right_code_turns_it_on_with_ten_recovery_codes(creator):
    codes = turned_on(creator)

    assert two_factor_enabled(creator)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(codes)
    event = AuditEvent.objects.get(type="account.two_factor_enabled")
    assert (event.creator_id, event.actor_label) == (creator.pk, "maya@example.com")


def test_a_recovery_code_works_once(creator):
    codes = turned_on(creator)

    assert two_factor_verify(person=creator, code=codes[3].upper())
    assert not two_factor_verify(person=creator, code=codes[3])
    assert StaticToken.objects.count() == 9


def test_turning_it_off_needs_the_password_or_a_code(creator):
    turned_on(creator)

    with pytest.raises(DomainError, match="Enter your password or a current code"):
        two_factor_disable(person=creator, password_or_code="wrong password")
    assert two_factor_enabled(creator)

    two_factor_disable(person=creator, password_or_code=TEST_PASSWORD)
    assert not two_factor_enabled(creator)
    assert not StaticToken.objects.exists()
    assert AuditEvent.objects.filter(type="account.two_factor_disabled").count() == 1


def test_new_recovery_codes_replace_the_old_ones(creator):
    old = turned_on(creator)

    with pytest.raises(DomainError):
        recovery_codes_regenerate(person=creator, password_or_code="")
    new = recovery_codes_regenerate(person=creator, password_or_code=old[0])

    assert len(new) == 10
    assert not set(old) & set(StaticToken.objects.values_list("token", flat=True))
    assert not two_factor_verify(person=creator, code=old[1])
    time.sleep(1.1)  # django-otp slows down guesses after a failure
    assert two_factor_verify(person=creator, code=new[1])


@pytest.fixture
def with_device(creator):
    """An authenticator confirmed earlier, and recovery codes."""
    device = TOTPDevice.objects.create(user=creator, name="authenticator", confirmed=True)
    static = creator.staticdevice_set.create(name="recovery codes", confirmed=True)
    static.token_set.create(token="abcd2345")
    return device


def test_sign_in_asks_for_the_code_after_the_password(client, creator, with_device):
    response = client.post("/accounts/login/", {"username": "maya@example.com", "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/"
    assert client.get("/desk/").status_code == 302  # not signed in yet

    wrong = client.post("/accounts/login/code/", {"code": "123456"})
    assert wrong.status_code == 200
    assert "That code does not work" in wrong.content.decode()
    assert client.get("/desk/")["Location"].startswith("/accounts/login/")

    time.sleep(1.1)  # django-otp slows down guesses after a failure
    right = client.post("/accounts/login/code/", {"code": code_of(with_device)})
    assert right.status_code == 302
    assert client.get("/desk/").status_code == 200


def test_sign_in_with_a_recovery_code(client, creator, with_device):
    client.post("/accounts/login/", {"username": "maya@example.com", "password": TEST_PASSWORD})

    response = client.post("/accounts/login/code/", {"code": "ABCD 2345"})

    assert response.status_code == 302
    assert client.get("/desk/").status_code == 200
    assert not StaticToken.objects.exists()


def test_the_code_step_without_the_password_step_goes_back_to_sign_in(client, creator, with_device):
    response = client.post("/accounts/login/code/", {"code": code_of(with_device)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_without_two_factor_the_password_signs_in(client, creator):
    response = client.post("/accounts/login/", {"username": "maya@example.com", "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert client.get("/desk/").status_code == 200


def test_a_team_that_requires_it_sends_members_without_it_to_set_it_up(client, creator, frozen_now):
    creator.team_requires_two_factor = True
    creator.save()
    sam = make_creator(email="sam@helpers.example")
    Membership.objects.create(account=creator, person=sam, role="support")
    client.force_login(sam)
    session = client.session
    session[ACTING_FOR_SESSION_KEY] = creator.pk
    session.save()

    refused = client.get("/desk/")
    assert refused.status_code == 302
    assert refused["Location"] == "/accounts/settings/two-factor/"

    setup = client.get("/accounts/settings/two-factor/")
    assert setup.status_code == 200
    assert "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=sam, confirmed=False)
    enabled = client.post("/accounts/settings/two-factor/", {"action": "enable", "code": code_of(device)})
    assert enabled.status_code == 200
    assert enabled.content.decode().count("<li>") >= 10

    assert client.get("/desk/").status_code == 200


def test_guessing_codes_is_stopped_after_five_failures(client, creator, with_device, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's own slowing down, off to count ours
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    client.post("/accounts/login/", {"username": "maya@example.com", "password": TEST_PASSWORD})
    for guess in range(5):
        client.post("/accounts/login/code/", {"code": f"00000{guess}"})

    response = client.post("/accounts/login/code/", {"code": code_of(with_device)})

    assert response.status_code == 200
    assert "Too many failed sign-in attempts from here." in response.content.decode()
    assert client.get("/desk/").status_code == 302


def test_a_session_from_before_the_requirement_confirms_with_a_code(client, creator, with_device):
    creator.team_requires_two_factor = True
    creator.save()
    client.force_login(creator)  # signed in without the code step

    assert client.get("/desk/")["Location"] == "/accounts/settings/two-factor/"
    page = client.get("/accounts/settings/two-factor/").content.decode()
    assert "Confirm with a code" in page
    client.post("/accounts/settings/two-factor/", {"action": "verify", "code": code_of(with_device)})

    assert client.get("/desk/").status_code == 200
