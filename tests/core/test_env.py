import pytest

from config.env import email_settings


def test_console_is_the_default():
    assert email_settings("console:")["EMAIL_BACKEND"].endswith("console.EmailBackend")


def test_smtp_with_starttls_and_credentials():
    settings = email_settings("smtp+tls://mailer%40example.com:p%40ss@smtp.example.com:2525")
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert settings["EMAIL_HOST"] == "smtp.example.com"
    assert settings["EMAIL_PORT"] == 2525
    assert settings["EMAIL_HOST_USER"] == "mailer@example.com"
    assert settings["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert settings["EMAIL_USE_TLS"] is True
    assert settings["EMAIL_USE_SSL"] is False


def test_plain_smtp_defaults_to_port_25():
    settings = email_settings("smtp://127.0.0.1")
    assert settings["EMAIL_PORT"] == 25
    assert settings["EMAIL_USE_TLS"] is False


def test_an_email_service_provider_through_anymail():
    settings = email_settings("postmark://server-token@")
    assert settings["EMAIL_BACKEND"] == "anymail.backends.postmark.EmailBackend"
    assert settings["ANYMAIL"] == {"POSTMARK_SERVER_TOKEN": "server-token"}


def test_an_unknown_scheme_is_a_clear_error():
    with pytest.raises(ValueError, match="not understood"):
        email_settings("pigeon://loft")
