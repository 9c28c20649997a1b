"""id_url(): the profile's addresses, put together from an address reversed once, are the ones
Django's reverse() gives."""

import pytest
from django.template import engines
from django.urls import NoReverseMatch, get_script_prefix, reverse, set_script_prefix

from coursedesk.core.addresses import id_url


@pytest.mark.parametrize(
    "name, args",
    [
        ("desk:payment_refund", (7,)),
        ("desk:payment_refund", (0,)),
        ("desk:enrolment_grant", (123456789,)),
        ("desk:student_view", (12, 34)),
        ("desk:customer_receipt", (5, 5)),
        ("desk:customers", ()),
    ],
)
def test_the_address_is_the_reversed_one(name, args):
    assert id_url(name, *args) == reverse(name, args=args)


def test_another_script_prefix_gets_its_own_addresses():
    before = get_script_prefix()
    assert id_url("desk:payment_refund", 7) == reverse("desk:payment_refund", args=[7])
    set_script_prefix("/school/")
    try:
        assert id_url("desk:payment_refund", 8) == reverse("desk:payment_refund", args=[8])
        assert id_url("desk:payment_refund", 8).startswith("/school/")
    finally:
        set_script_prefix(before)
    assert id_url("desk:payment_refund", 9) == reverse("desk:payment_refund", args=[9])


def test_an_id_given_as_text_is_reversed_as_the_url_tag_would():
    assert id_url("desk:payment_refund", "12") == reverse("desk:payment_refund", args=["12"])


@pytest.mark.parametrize("arg", [-1, True])
def test_what_is_not_an_id_is_refused_as_the_url_tag_would(arg):
    with pytest.raises(NoReverseMatch):
        reverse("desk:payment_refund", args=[arg])
    with pytest.raises(NoReverseMatch):
        id_url("desk:payment_refund", arg)


def test_the_function_in_a_page_template():
    template = engines["jinja2"].from_string(
        "{% set link = id_url('desk:student_view', 3, 4) %}<a href='{{ link }}'>"
    )
    assert template.render({}) == f"<a href='{reverse('desk:student_view', args=[3, 4])}'>"


def test_a_pages_id_url_keeps_the_prefix_it_was_made_under():
    from coursedesk.core.addresses import id_url_here

    before = get_script_prefix()
    set_script_prefix("/school/")
    try:
        page_id_url = id_url_here()
        expected = reverse("desk:student_view", args=[3, 4])
    finally:
        set_script_prefix(before)
    assert expected.startswith("/school/")
    assert page_id_url("desk:student_view", 3, 4) == expected
    assert page_id_url("desk:payment_refund", "12") == reverse("desk:payment_refund", args=["12"])
    with pytest.raises(NoReverseMatch):
        page_id_url("desk:payment_refund", -1)


def test_a_page_rendered_for_a_request_has_its_own_id_url(rf):
    request = rf.get("/")
    template = engines["jinja2"].from_string("{{ id_url('desk:payment_refund', 5) }}")
    assert template.render({}, request) == reverse("desk:payment_refund", args=[5])


@pytest.mark.parametrize("prefix", ["/school/", "/my school/", "/é/"])
def test_a_prefix_is_written_as_reverse_writes_it(prefix):
    before = get_script_prefix()
    set_script_prefix(prefix)
    try:
        for args in [(8,), ()]:
            name = "desk:payment_refund" if args else "desk:customers"
            assert id_url(name, *args) == reverse(name, args=args)
    finally:
        set_script_prefix(before)
    assert id_url("desk:payment_refund", 9) == reverse("desk:payment_refund", args=[9])
