"""Reads CourseDesk's settings from the environment (12-factor), with local defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def env_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_key_from(var_directory: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into var/ for local use."""
    value = os.environ.get("SECRET_KEY", "").strip()
    if value:
        return value
    key_file = var_directory / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_directory.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    key_file.write_text(value)
    key_file.chmod(0o600)
    return value


# Email-service providers reached through django-anymail: scheme -> (backend, settings prefix).
ANYMAIL_PROVIDERS = {
    "amazonses": ("anymail.backends.amazon_ses.EmailBackend", None),
    "brevo": ("anymail.backends.brevo.EmailBackend", "BREVO"),
    "mailgun": ("anymail.backends.mailgun.EmailBackend", "MAILGUN"),
    "mailjet": ("anymail.backends.mailjet.EmailBackend", "MAILJET"),
    "mandrill": ("anymail.backends.mandrill.EmailBackend", "MANDRILL"),
    "postmark": ("anymail.backends.postmark.EmailBackend", "POSTMARK"),
    "resend": ("anymail.backends.resend.EmailBackend", "RESEND"),
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", "SENDGRID"),
    "sparkpost": ("anymail.backends.sparkpost.EmailBackend", "SPARKPOST"),
}

API_KEY_NAMES = {"MAILGUN": "API_KEY", "POSTMARK": "SERVER_TOKEN"}


def email_settings(url: str) -> dict:
    """Turns EMAIL_URL into Django email settings.

    console:                         print messages (the local default)
    locmem:                          keep them in memory (tests)
    file:///path/to/folder           one file per message
    smtp://user:pass@host:port       plain SMTP
    smtp+tls://user:pass@host:port   SMTP with STARTTLS
    smtps://user:pass@host:port      SMTP over TLS
    postmark://TOKEN@ (and the other providers in ANYMAIL_PROVIDERS)
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"console", ""}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parts.path),
        }
    if scheme in {"smtp", "smtp+tls", "smtps"}:
        if not parts.hostname:
            raise ValueError(f"EMAIL_URL {url!r} needs a host, e.g. smtp://mail.example.com:587")
        default_port = {"smtp": 25, "smtp+tls": 587, "smtps": 465}[scheme]
        query = parse_qs(parts.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": parts.port or default_port,
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": scheme == "smtp+tls",
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_TIMEOUT": int(query.get("timeout", ["20"])[0]),
        }
    if scheme in ANYMAIL_PROVIDERS:
        backend, prefix = ANYMAIL_PROVIDERS[scheme]
        anymail: dict[str, str] = {}
        key = unquote(parts.username or parts.password or "")
        if prefix and key:
            anymail[f"{prefix}_{API_KEY_NAMES.get(prefix, 'API_KEY')}"] = key
        for name, values in parse_qs(parts.query).items():
            anymail[name.upper()] = values[0]
        return {"EMAIL_BACKEND": backend, "ANYMAIL": anymail}
    raise ValueError(
        f"EMAIL_URL scheme {scheme!r} is not understood; use console:, smtp://, smtp+tls://, "
        f"smtps://, file:// or one of {', '.join(sorted(ANYMAIL_PROVIDERS))}"
    )
