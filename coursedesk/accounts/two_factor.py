"""Two-factor sign-in for creators and team members: a TOTP authenticator app (django-otp's TOTP
device, shown as a QR code made with segno) and ten one-time recovery codes (django-otp's static
device). Turning it off and making new recovery codes need the password or a current code."""

from __future__ import annotations

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from coursedesk.accounts.models import Creator
from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType, AuditSource
from coursedesk.core.errors import DomainError

RECOVERY_CODES = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def two_factor_enabled(person: Creator) -> bool:
    return TOTPDevice.objects.filter(user=person, confirmed=True).exists()


def authenticator_pending(person: Creator) -> TOTPDevice:
    """The authenticator being set up (not yet confirmed): made once, shown until confirmed."""
    device = TOTPDevice.objects.filter(user=person, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=person, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def authenticator_qr_svg(device: TOTPDevice) -> str:
    import segno  # noqa: PLC0415 (only the set-up page draws it)

    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, title="Scan with your authenticator app"
    )


def _audit(person: Creator, type: AuditEventType) -> None:
    audit_record(
        creator=person,
        type=type,
        actor=Actor.member(person=person, role="owner", membership_id=None),
        source=AuditSource.SETTINGS,
        data={"subject": person.email},
    )


def _new_recovery_codes(person: Creator) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=person, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_enable(*, person: Creator, code: str) -> list[str]:
    """Confirms the pending authenticator with a code it shows; returns the ten recovery codes."""
    with transaction.atomic():
        Creator.objects.select_for_update().filter(pk=person.pk).first()
        if two_factor_enabled(person):
            raise DomainError("Two-factor sign-in is already on.", code="two_factor_on")
        device = TOTPDevice.objects.filter(user=person, confirmed=False).first()
        if device is None or not device.verify_token((code or "").strip().replace(" ", "")):
            raise DomainError(
                "That code is not the one your app shows now. Type the six digits it shows.",
                code="invalid_code",
            )
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(person)
        _audit(person, AuditEventType.TWO_FACTOR_ENABLED)
    return codes


def two_factor_verify(*, person: Creator, code: str) -> bool:
    """At sign-in: a code of the authenticator, or one recovery code (which then stops working)."""
    code = (code or "").strip().replace(" ", "").lower()
    if not code:
        return False
    with transaction.atomic():
        for device in TOTPDevice.objects.filter(user=person, confirmed=True):
            if code.isdigit() and device.verify_token(code):
                return True
        for device in StaticDevice.objects.filter(user=person, confirmed=True):
            if device.verify_token(code):
                return True
    return False


def _proof_valid(person: Creator, password_or_code: str) -> None:
    secret = password_or_code or ""
    if secret and person.check_password(secret):
        return
    if two_factor_verify(person=person, code=secret):
        return
    raise DomainError("Enter your password or a current code to confirm.", code="proof_required")


def two_factor_disable(*, person: Creator, password_or_code: str) -> None:
    _proof_valid(person, password_or_code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=person).delete()
        StaticDevice.objects.filter(user=person).delete()
        _audit(person, AuditEventType.TWO_FACTOR_DISABLED)


def recovery_codes_regenerate(*, person: Creator, password_or_code: str) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    if not two_factor_enabled(person):
        raise DomainError("Turn two-factor sign-in on first.", code="two_factor_off")
    _proof_valid(person, password_or_code)
    with transaction.atomic():
        codes = _new_recovery_codes(person)
        _audit(person, AuditEventType.TWO_FACTOR_RECOVERY_CODES_REGENERATED)
    return codes
