"""Where webhooks may go: https only, and never to a private, loopback or link-local address (no
server-side request forgery), unless OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS is on (development and
tests; `make run` turns it on).

Every address a host name resolves to is checked, when an endpoint is saved and again at each send.
The request itself goes through requests-hardened, which resolves the name once more, refuses a
private answer and connects to the very address it checked (certificate and SNI still for the host
name), so a DNS answer that changes between the check and the connection cannot slip through.
Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from requests_hardened import Config, Manager

from coursedesk.core.errors import InvalidValue

URL_MAX = 2000
TIMEOUT_SECONDS = 10
USER_AGENT = "CourseDesk-Webhooks/1"


def private_networks_allowed() -> bool:
    return bool(getattr(settings, "OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False))


def _address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is link-local
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _addresses(host: str, port: int) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise InvalidValue(f"{host} cannot be found (DNS).", code="webhook_url_unresolvable") from error
    return sorted({answer[4][0] for answer in answers})


def webhook_url_check(url: str) -> str:
    """The URL if a webhook may be sent there now; InvalidValue (422) with the reason otherwise."""
    url = (url or "").strip()
    if not url or len(url) > URL_MAX:
        raise InvalidValue(f"Give a URL of at most {URL_MAX} characters.", code="invalid_webhook_url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidValue(f"“{url}” is not a valid URL.", code="invalid_webhook_url") from error
    allowed_schemes = {"https", "http"} if private_networks_allowed() else {"https"}
    if parts.scheme not in allowed_schemes or not parts.hostname:
        raise InvalidValue("Webhook URLs start with https:// and name a host.", code="invalid_webhook_url")
    if parts.username or parts.password:
        raise InvalidValue(
            "Leave passwords out of webhook URLs: check the signature instead.", code="invalid_webhook_url"
        )
    if private_networks_allowed():
        return url
    port = port or (443 if parts.scheme == "https" else 80)
    refused = [address for address in _addresses(parts.hostname, port) if not _address_is_public(address)]
    if refused:
        raise InvalidValue(
            f"{parts.hostname} points to a private, loopback or link-local address ({', '.join(refused)}); "
            "webhooks only go to public addresses.",
            code="webhook_url_private",
        )
    return url


def webhook_session_manager() -> Manager:
    """requests with the address filter (unless private networks are allowed), no redirects, and
    the 10-second limit for connecting and for each read."""
    return Manager(
        Config(
            ip_filter_enable=not private_networks_allowed(),
            ip_filter_allow_loopback_ips=False,
            never_redirect=True,
            default_timeout=(TIMEOUT_SECONDS, TIMEOUT_SECONDS),
            user_agent_override=USER_AGENT,
        )
    )
