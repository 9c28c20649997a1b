"""The pieces of make bench that are not timings: the bare page, the admin peer's search, the chart."""

import xml.etree.ElementTree as ElementTree

import pytest
from django.urls import reverse

from bench.chart import COLOURS, chart
from bench.urls import BARE_PAGE_PATH
from coursedesk.accounts.models import Creator
from tests.factories import make_customer


@pytest.fixture
def bench_urls(settings):
    from bench import settings as bench_settings

    settings.ROOT_URLCONF = bench_settings.ROOT_URLCONF
    # the bench's page folder, on the test settings' engine (which reports what it renders)
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": bench_settings.TEMPLATES[0]["DIRS"]},
        *settings.TEMPLATES[1:],
    ]


def test_the_bare_page_is_a_signed_in_template_page(bench_urls, creator_client):
    response = creator_client.get(BARE_PAGE_PATH)
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["bench/bare_page.html"]
    assert b"maya@example.com" in response.content  # the desk's header (base.html), as on every desk page


def test_the_bare_page_sends_strangers_to_sign_in(bench_urls, client, creator):
    response = client.get(BARE_PAGE_PATH)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_admin_searches_a_creators_customers_by_name_and_email(client, creator, other_creator):
    """The peer of the benchmark: the admin changelist filtered to one creator, searched with q."""
    admin = Creator.objects.create_superuser(email="admin@example.com", password="a long admin password")
    client.force_login(admin)
    zoe = make_customer(creator, email="zoe@example.com", first_name="Zoë", last_name="Okafor")
    sam = make_customer(creator, email="sam.okafor@example.com", first_name="Sam", last_name="Lee")
    make_customer(creator, email="kim@example.com", first_name="Kim", last_name="Park")
    make_customer(other_creator, email="okafor@rival.com", first_name="Ada", last_name="Okafor")
    url = reverse("admin:customers_customer_changelist")

    found = {
        term: {
            c.pk
            for c in client.get(url, {"creator__id__exact": creator.pk, "q": term}).context["cl"].result_list
        }
        for term in ("okafor", "Zoë", "lee", "zoe@example")
    }

    assert found == {"okafor": {zoe.pk, sam.pk}, "Zoë": {zoe.pk}, "lee": {sam.pk}, "zoe@example": {zoe.pk}}


def result(database="sqlite", figures=None):
    return {
        "format": 2,
        "database": database,
        "customers": 20000,
        "date": "2026-12-01",
        "machine": {"cpus": 2, "load_at_start": [0.5, 0.4, 0.3]},
        "load_at_measure_start": [0.7, 0.4, 0.3],
        "figures": figures
        or [
            {
                "figure": "met",
                "value": 4.0,
                "unit": "ms",
                "limit": 5,
                "limit_name": "target",
                "ratio": 0.8,
                "threshold": 5,
                "target": "≤ 5 ms",
                "met": True,
                "note": "",
            },
            {
                "figure": "missed <&>",
                "value": 30000,
                "unit": "rows/s",
                "limit": 60000,
                "limit_name": "raw limit",
                "ratio": 0.5,
                "threshold": 48000,
                "target": "≥ 0.8× raw limit",
                "met": False,
                "note": "",
            },
            {
                "figure": "reference",
                "value": 1.0,
                "unit": "ms",
                "limit": None,
                "ratio": None,
                "threshold": None,
                "target": "(reference)",
                "met": None,
                "note": "",
            },
            {
                "figure": "later",
                "value": None,
                "unit": "",
                "target": "≤ 20 ms",
                "met": None,
                "note": "not built yet",
            },
        ],
    }


def test_the_chart_draws_each_figure_beside_its_limit():
    svg = chart([result("sqlite"), result("postgres")])

    root = ElementTree.fromstring(svg)  # well-formed, names escaped
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    fills = [r.get("fill") for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert texts.count("missed <&>") == 2
    assert "SQLite — 20,000 customers — 2026-12-01 — 2 CPUs, load average 0.7 when measured" in texts
    assert "30,000 rows/s vs 60,000 rows/s" in texts
    assert "0.50× ✗ · raw limit" in texts
    assert texts.count("not built yet") == 2
    # Per database: a met, a missed and a reference bar, and two limit bars.
    assert fills.count(COLOURS[True]) == fills.count(COLOURS[False]) == fills.count(COLOURS[None]) == 2
