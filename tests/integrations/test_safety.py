"""No server-side request forgery: with the development setting off, webhooks only go over https to
public addresses. Every address a name resolves to is checked when an endpoint is saved and at each
send, the connection goes to the address that was checked, and redirects are never followed.

No test here lets a request leave the machine: `no_connections` makes any socket connection fail
the test, so a check that let a private address through could not reach it either.
"""

from __future__ import annotations

import socket

import pytest

from coursedesk.audit.services import Actor
from coursedesk.core.errors import InvalidValue
from coursedesk.integrations.deliveries import webhook_endpoint_test_send
from coursedesk.integrations.endpoints import webhook_endpoint_create
from coursedesk.integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from coursedesk.integrations.safety import webhook_url_check

PUBLIC = "93.184.215.14"


@pytest.fixture
def production(settings):
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False


@pytest.fixture
def no_connections(monkeypatch):
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.fixture
def dns(monkeypatch):
    """Host names resolve to the addresses a test sets, one answer per lookup in turn."""
    answers: dict[str, list[list[str]]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        turns = answers[host]
        addresses = turns.pop(0) if len(turns) > 1 else turns[0]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 443))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://127.8.9.10:8443/hooks",
        "https://10.0.0.7/hooks",
        "https://10.255.1.2/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://[fe80::1]/hooks",
        "https://192.168.1.1/hooks",
        "https://172.16.0.1/hooks",
        "https://100.64.0.1/hooks",
        "https://0.0.0.0/hooks",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(production, no_connections, url):
    with pytest.raises(InvalidValue) as refused:
        webhook_url_check(url)

    assert refused.value.code == "webhook_url_private"
    assert refused.value.status == 422
    assert no_connections == []


@pytest.mark.parametrize(
    "addresses", [["127.0.0.1"], ["10.1.2.3"], ["169.254.0.9"], ["::1"], [PUBLIC, "10.0.0.1"]]
)
def test_a_name_resolving_to_any_private_address_is_refused(production, no_connections, dns, addresses):
    dns["hooks.example.com"] = [addresses]

    with pytest.raises(InvalidValue) as refused:
        webhook_url_check("https://hooks.example.com/in")

    assert refused.value.code == "webhook_url_private"
    assert no_connections == []


def test_localhost_is_refused(production, no_connections):
    with pytest.raises(InvalidValue):
        webhook_url_check("https://localhost:8443/hooks")


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.com/in", "invalid_webhook_url"),
        ("ftp://hooks.example.com/in", "invalid_webhook_url"),
        ("https://user:pass@hooks.example.com/in", "invalid_webhook_url"),
        ("not a url", "invalid_webhook_url"),
        ("https://hooks.example.com:99999/in", "invalid_webhook_url"),
    ],
)
def test_only_https_urls_in_production(production, no_connections, dns, url, code):
    dns["hooks.example.com"] = [[PUBLIC]]
    with pytest.raises(InvalidValue) as refused:
        webhook_url_check(url)
    assert refused.value.code == code


def test_a_public_name_is_accepted(production, no_connections, dns):
    dns["hooks.example.com"] = [[PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]]

    assert webhook_url_check("https://hooks.example.com/in") == "https://hooks.example.com/in"
    assert no_connections == []


def test_the_development_setting_allows_loopback_and_http(settings):
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True

    assert webhook_url_check("http://127.0.0.1:8000/hooks") == "http://127.0.0.1:8000/hooks"


def test_creating_an_endpoint_on_a_private_address_changes_nothing(creator, production, no_connections):
    with pytest.raises(InvalidValue):
        webhook_endpoint_create(
            creator=creator,
            url="https://10.0.0.7/hooks",
            events=["enrolment.revoked"],
            actor=Actor.creator(creator),
            source="api",
        )
    assert WebhookEndpoint.objects.count() == 0


def _endpoint_saved_while_public(creator, dns):
    dns["hooks.example.com"] = [[PUBLIC]]
    endpoint, _ = webhook_endpoint_create(
        creator=creator,
        url="https://hooks.example.com/in",
        events=["enrolment.revoked"],
        actor=Actor.creator(creator),
        source="api",
    )
    return endpoint


def test_at_send_time_a_name_now_pointing_inside_is_refused(
    creator, production, no_connections, dns, django_capture_on_commit_callbacks
):
    endpoint = _endpoint_saved_while_public(creator, dns)
    dns["hooks.example.com"] = [["10.0.0.7"]]  # the name now points at the internal network

    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_test_send(endpoint=endpoint)

    attempt = WebhookAttempt.objects.get()
    assert (attempt.response_status, attempt.succeeded) == (None, False)
    assert "private, loopback or link-local address (10.0.0.7)" in attempt.error
    assert WebhookDelivery.objects.get().status == "pending"  # retried later, refused again
    assert no_connections == []


def test_an_answer_that_changes_between_check_and_connection_is_refused(
    creator, production, no_connections, dns, django_capture_on_commit_callbacks
):
    # the check sees a public address, the connection's own lookup gets loopback (DNS rebinding)
    endpoint = _endpoint_saved_while_public(creator, dns)
    dns["hooks.example.com"] = [[PUBLIC], ["127.0.0.1"]]

    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_test_send(endpoint=endpoint)

    attempt = WebhookAttempt.objects.get()
    assert (
        attempt.error
        == "Refused: https://hooks.example.com/in resolved to 127.0.0.1, which is not a public address."
    )
    assert no_connections == []


def test_redirects_are_not_followed(creator, receiver, django_capture_on_commit_callbacks):
    endpoint, _ = webhook_endpoint_create(
        creator=creator,
        url=receiver.url,
        events=["enrolment.revoked"],
        actor=Actor.creator(creator),
        source="api",
    )
    elsewhere = receiver.url.replace("/hooks", "/elsewhere")
    receiver.answer_with(302, headers={"Location": elsewhere})

    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_test_send(endpoint=endpoint)

    assert [request["path"] for request in receiver.requests] == ["/hooks"]
    attempt = WebhookAttempt.objects.get()
    assert (attempt.response_status, attempt.succeeded, attempt.error) == (
        302,
        False,
        "Redirects are not followed: give the final URL.",
    )
