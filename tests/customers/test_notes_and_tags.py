"""Notes (signed, dated, on the timeline) and tags (one per name whatever its case, searchable,
on the timeline with old and new values). A refusal changes nothing."""

import pytest

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.core.errors import DomainError, InvalidValue
from coursedesk.customers import services
from coursedesk.customers.models import Customer, CustomerNote, CustomerTag, Tag
from coursedesk.customers.selectors import customer_search
from coursedesk.usecases.erasure import customer_erase
from tests.factories import make_customer


def test_a_note_is_signed_by_the_actor_dated_and_on_the_timeline(creator, customer, frozen_now):
    note = services.note_add(
        customer=customer,
        body="  Asked for an invoice\nwith VAT.  ",
        actor=Actor.creator(creator),
        source="desk",
    )

    assert (note.body, note.author_label, note.author_creator_id, note.created_at) == (
        "Asked for an invoice\nwith VAT.",
        "maya@example.com",
        creator.pk,
        frozen_now,
    )
    event = AuditEvent.objects.get(type="customer.note_added")
    assert (event.customer_id, event.actor_label, event.data) == (
        customer.pk,
        "maya@example.com",
        {"note_id": note.pk},
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   ", "Write something in the note."),
        ("x" * 5001, "A note holds at most 5,000 characters; this one has 5,001."),
        ("bell\x07", "A note cannot hold control characters (line breaks and tabs are fine)."),
    ],
)
def test_a_bad_note_is_refused_and_writes_nothing(creator, customer, body, message):
    with pytest.raises(InvalidValue) as refusal:
        services.note_add(customer=customer, body=body, actor=Actor.creator(creator), source="desk")

    assert refusal.value.message == message
    assert CustomerNote.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_tags_are_set_once_per_name_keeping_the_creators_spelling(creator, customer, other_creator):
    # given the creator already has the tag "VIP", and another creator a tag "beta"
    Tag.objects.create(creator=creator, name="VIP")
    Tag.objects.create(creator=other_creator, name="beta")

    customer = services.customer_tags_set(
        customer=customer,
        tags=["vip", " cohort   3 ", "Beta", "VIP"],
        actor=Actor.creator(creator),
        source="api",
    )

    assert customer.tag_names == ["Beta", "cohort 3", "VIP"]
    tagged = CustomerTag.objects.filter(customer=customer).values_list("tag__name", flat=True)
    assert sorted(tagged, key=str.lower) == [
        "Beta",
        "cohort 3",
        "VIP",
    ]
    assert Tag.objects.for_creator(creator).count() == 3
    event = AuditEvent.objects.get(type="customer.tags_changed")
    assert event.data == {"tags": {"old": None, "new": "Beta, cohort 3, VIP"}}


def test_setting_the_same_tags_again_records_nothing(creator, customer):
    services.customer_tags_set(customer=customer, tags=["vip"], actor=Actor.creator(creator), source="api")
    services.customer_tags_set(customer=customer, tags=["VIP"], actor=Actor.creator(creator), source="api")

    assert AuditEvent.objects.filter(type="customer.tags_changed").count() == 1


def test_removing_every_tag_is_recorded_with_the_old_tags(creator, customer):
    services.customer_tags_set(
        customer=customer, tags=["vip", "beta"], actor=Actor.creator(creator), source="api"
    )

    customer = services.customer_tags_set(
        customer=customer, tags=[], actor=Actor.creator(creator), source="api"
    )

    assert customer.tag_names == []
    assert CustomerTag.objects.count() == 0
    last = AuditEvent.objects.filter(type="customer.tags_changed").order_by("-pk").first()
    assert last.data == {"tags": {"old": "beta, vip", "new": None}}


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ([""], "A tag cannot be empty."),
        (["x" * 41], f"A tag holds at most 40 characters: “{'x' * 41}” is longer."),
        (["a,b"], "A tag cannot hold a comma or a control character: “a,b”."),
        ([f"t{n}" for n in range(21)], "A customer can have at most 20 tags."),
    ],
)
def test_bad_tags_are_refused_and_change_nothing(creator, customer, tags, message):
    services.customer_tags_set(customer=customer, tags=["kept"], actor=Actor.creator(creator), source="api")
    before = AuditEvent.objects.count()

    with pytest.raises(InvalidValue) as refusal:
        services.customer_tags_set(customer=customer, tags=tags, actor=Actor.creator(creator), source="api")

    assert refusal.value.message == message
    assert Customer.objects.get(pk=customer.pk).tag_names == ["kept"]
    assert AuditEvent.objects.count() == before


def test_search_finds_customers_by_their_tags(creator, customer):
    other = make_customer(creator, email="other@example.com")
    services.customer_tags_set(
        customer=customer, tags=["Cohort Three"], actor=Actor.creator(creator), source="api"
    )

    assert list(customer_search(creator=creator, query="cohort three")) == [customer]
    assert other not in customer_search(creator=creator, query="cohort")


def test_one_tag_added_or_removed_refuses_what_is_already_so(creator, customer):
    actor = Actor.creator(creator)
    services.customer_tag_add(customer=customer, tag="vip", actor=actor, source="desk")

    with pytest.raises(DomainError) as present:
        services.customer_tag_add(customer=customer, tag="VIP", actor=actor, source="desk")
    services.customer_tag_remove(customer=customer, tag="Vip", actor=actor, source="desk")
    with pytest.raises(DomainError) as absent:
        services.customer_tag_remove(customer=customer, tag="vip", actor=actor, source="desk")

    assert (present.value.code, present.value.message) == (
        "tag_present",
        "This customer is already tagged “VIP”.",
    )
    assert (absent.value.code, absent.value.message) == ("tag_absent", "This customer is not tagged “vip”.")
    assert Customer.objects.get(pk=customer.pk).tag_names == []
    assert AuditEvent.objects.filter(type="customer.tags_changed").count() == 2


def test_erasure_blanks_the_notes(creator, customer):
    services.note_add(
        customer=customer, body="Lives at 1 Main St.", actor=Actor.creator(creator), source="desk"
    )

    customer_erase(customer=customer, actor=Actor.operator())

    assert list(CustomerNote.objects.values_list("body", flat=True)) == ["[erased]"]
