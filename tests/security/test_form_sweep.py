"""Every page and form, fed hostile input by Hypothesis: no server error, ever, and a refusal stores
nothing.

Each route is opened by whoever may open it (the owner for creator pages, a signed-in student for
student pages, anyone for public ones). Its form fields are read from the page itself, and every
field name any page uses is tried on every route as well, so an action that only takes POST (and new
routes) are swept too. Values are text with control characters, huge strings, extreme or impossible
dates, numbers that are not finite, wrong kinds of values, and empty ones. The API is swept from its
OpenAPI schema in test_api_fuzz.py.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursedesk.audit.models import AuditEvent
from coursedesk.mail.models import OutboundEmail
from tests.security.routes import all_routes
from tests.security.test_routes import sign_in_student

ROUTES = [r for r in all_routes() if r.name != "accounts:logout" and not r.name.endswith(":logout")]
FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.IGNORECASE)
NOT_SENT = {"csrfmiddlewaretoken"}

# Field names used across the pages (and the API's bodies): tried on every route.
VOCABULARY = [
    "q",
    "after",
    "before",
    "status",
    "segment",
    "tag",
    "course",
    "course_id",
    "customer_id",
    "email",
    "first_name",
    "last_name",
    "display_name",
    "password",
    "password1",
    "password2",
    "new_password1",
    "new_password2",
    "amount",
    "reason",
    "expires_at",
    "resume_on",
    "title",
    "slug",
    "description",
    "contact_email",
    "published",
    "price",
    "currency",
    "interval",
    "installments",
    "access_days",
    "trial_days",
    "body_markdown",
    "video_url",
    "position",
    "available_after_days",
    "free_preview",
    "code",
    "coupon",
    "url",
    "events",
    "name",
    "note",
    "tags",
    "time_zone",
    "date_format",
    "next",
    "session_id",
    "token",
    "send_welcome_email",
    "when",
    "at_period_end",
    "file",
    "thumbnail",
    "kind",
    "active",
    "retry_days",
    "final_action",
]

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),  # any characters, control ones included
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),  # only control characters
    st.builds(
        lambda c, n: c * n, st.sampled_from(["a", "é", "\x00", "𝔘", "<", "'"]), st.integers(300, 120_000)
    ),
)
HOSTILE_VALUE = st.one_of(
    HOSTILE_TEXT,
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1",
            "2147483648",
            "99999999999999999999999",
            "1e999999",
            "Infinity",
            "-Infinity",
            "NaN",
            "1,299.50",
            "0.001",
            "-0.00",
            "49.999",
            "true",
            "null",
            "[1,2]",
            "{}",
            "9999-12-31",
            "9999-12-31T23:00:00-02:00",
            "0001-01-01T00:30:00+01:00",
            "1969-12-31",
            "2026-02-30",
            "2026-13-01",
            "31/12/2026",
            "a@b",
            "@",
            "x" * 300 + "@example.com",
            "zoe@example.com",
            "javascript:alert(1)",
            "http://127.0.0.1:1/",
            "../../etc/passwd",
            "1 OR 1=1",
            "%00",
            "Creator B\r\nBcc: x@y",
            '=HYPERLINK("http://x")',
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


def _server_error(status: int) -> bool:
    # 503 is a deliberate answer: an email provider's tracking webhook that is not configured.
    return status >= 500 and status != 503


def _fields(html: str) -> list[str]:
    return sorted({name for name in FIELD.findall(html) if name not in NOT_SENT})


def _client_for(route, client, mine):
    if route.is_creator:
        client.force_login(mine.creator)
    elif route.is_student and not route.is_public:
        sign_in_student(client, mine.customer)
    return client


def _counts(mine) -> tuple[int, int]:
    return (
        AuditEvent.objects.filter(creator=mine.creator).count(),
        OutboundEmail.objects.filter(creator=mine.creator).count(),
    )


def _form(fields: list[str]):
    own = st.fixed_dictionaries({name: HOSTILE_VALUE for name in fields}) if fields else st.just({})
    extra = st.dictionaries(st.sampled_from(VOCABULARY), HOSTILE_VALUE, max_size=4)
    return st.tuples(own, extra).map(lambda pair: {**pair[1], **pair[0]})


SWEEP = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("route", ROUTES, ids=[r.name or r.route for r in ROUTES])
def test_hostile_input_never_gives_a_server_error_and_a_refusal_stores_nothing(client, mine, route):
    client = _client_for(route, client, mine)
    url = route.url(mine.url_values())
    page = client.get(url)
    assert not _server_error(page.status_code), url
    html = page.content.decode("utf-8", "replace") if not page.streaming else ""
    fields = _fields(html) if page.status_code == 200 else []

    @SWEEP
    @given(query=_form([]), form=_form(fields), htmx=st.booleans())
    def sweep(query, form, htmx):
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        answer = client.get(url, query, **headers)
        assert not _server_error(answer.status_code), (url, query)

        before = _counts(mine)
        answer = client.post(url, form, **headers)
        assert not _server_error(answer.status_code), (url, form)
        if answer.status_code >= 400 and answer.status_code != 404:
            assert _counts(mine) == before, (url, form, answer.status_code)

    sweep()
