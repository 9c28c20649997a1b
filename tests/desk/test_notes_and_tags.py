"""Notes and tags from the profile: the dialog says what happens, the profile shows the result, the
timeline records it, a refusal keeps what was typed next to its field."""

from django.urls import reverse

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.customers import services
from coursedesk.customers.models import Customer, CustomerNote
from tests.desk.test_actions import HTMX, url
from tests.factories import make_customer


def test_adding_a_note_states_who_signs_it_then_shows_it_on_the_profile(creator_client, customer, frozen_now):
    confirm = creator_client.post(
        url("note_add", customer), {"body": "Prefers email over calls."}, headers=HTMX
    )

    assert "Add this note to Zoë Okafor&#39;s profile, signed with your name and dated now." in (
        confirm.content.decode()
    )
    assert CustomerNote.objects.count() == 0

    done = creator_client.post(
        url("note_add", customer), {"body": "Prefers email over calls.", "confirmed": "yes"}, follow=True
    )
    html = done.content.decode()

    note = CustomerNote.objects.get()
    assert (note.body, note.author_label) == ("Prefers email over calls.", "maya@example.com")
    assert f'id="note-{note.pk}"' in html
    assert "maya@example.com · 21 Nov 2026, 10:00 UTC" in html
    assert "Note added" in html  # the timeline


def test_an_empty_note_is_refused_next_to_the_field(creator_client, customer):
    response = creator_client.post(url("note_add", customer), {"body": "", "confirmed": "yes"}, headers=HTMX)

    assert "This field is required." in response.content.decode()
    assert CustomerNote.objects.count() == 0


def test_editing_tags_names_what_is_added_and_removed(creator_client, creator, customer):
    services.customer_tags_set(
        customer=customer, tags=["vip", "beta"], actor=Actor.creator(creator), source="desk"
    )

    confirm = creator_client.post(url("tags_edit", customer), {"tags": "VIP, cohort 3"}, headers=HTMX)

    assert "Add “cohort 3” and remove “beta” on Zoë Okafor. Nothing else changes." in confirm.content.decode()

    creator_client.post(url("tags_edit", customer), {"tags": "VIP, cohort 3", "confirmed": "yes"})

    assert Customer.objects.get(pk=customer.pk).tag_names == ["cohort 3", "vip"]
    html = creator_client.get(reverse("desk:customer", args=[customer.pk])).content.decode()
    assert f'href="{reverse("desk:customers")}?tag=cohort%203">cohort 3</a>' in html
    assert "tags: beta, vip → cohort 3, vip" in html


def test_a_bad_tag_is_refused_next_to_the_field_keeping_what_was_typed(creator_client, customer):
    typed = "vip, " + "x" * 41
    response = creator_client.post(
        url("tags_edit", customer), {"tags": typed, "confirmed": "yes"}, headers=HTMX
    )
    html = response.content.decode()

    assert "A tag holds at most 40 characters" in html
    assert f'value="{typed}"' in html
    assert Customer.objects.get(pk=customer.pk).tag_names == []
    assert AuditEvent.objects.count() == 0


def test_the_list_filters_by_tag(creator_client, creator, customer):
    other = make_customer(creator, email="untagged@example.com")
    services.customer_tags_set(customer=customer, tags=["VIP"], actor=Actor.creator(creator), source="desk")

    html = creator_client.get(reverse("desk:customers"), {"tag": "vip"}).content.decode()

    assert customer.email in html
    assert other.email not in html
