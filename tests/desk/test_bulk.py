"""Bulk actions from the Customer list: tick customers (or take the segment), read the dry run,
start, watch the progress, stop and resume."""

from django.urls import reverse

from coursedesk.audit.models import AuditEvent
from coursedesk.customers.models import BulkAction, Customer, Enrolment
from tests.factories import make_customer, make_enrolment

NEW = reverse("desk:bulk_new")


def test_the_list_offers_a_checkbox_per_customer_and_the_bulk_form(creator_client, customer):
    html = creator_client.get(reverse("desk:customers")).content.decode()

    assert f'name="customer_ids" value="{customer.pk}" form="bulk-form"' in html
    assert f'action="{NEW}" id="bulk-form"' in html


def test_ticked_customers_dry_run_then_job(
    creator_client, creator, course, frozen_now, django_capture_on_commit_callbacks
):
    ann = make_customer(creator, email="ann@example.com", first_name="Ann", last_name="Lee")
    bob = make_customer(creator, email="bob@example.com", first_name="Bob", last_name="Ray")
    for person in (ann, bob):
        make_enrolment(person, course)
    values = {"action": "revoke", "course": course.pk, "scope": "selected", "customer_ids": [ann.pk, bob.pk]}

    dry = creator_client.post(NEW, values)
    html = dry.content.decode()

    assert 'id="dry-run-total">2 customers</strong>' in html
    assert "Ann Lee (ann@example.com) loses access to Watercolor Foundations at once." in html
    assert AuditEvent.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        started = creator_client.post(NEW, {**values, "confirmed": "yes"})

    job = BulkAction.objects.get()
    assert started.status_code == 302
    assert started["Location"] == reverse("desk:bulk_action", args=[job.pk])
    assert Enrolment.objects.filter(revoked_at__isnull=False).count() == 2
    page = creator_client.get(started["Location"]).content.decode()
    assert "2 of 2 handled: 2 changed, 0 refused" in page
    assert "hx-trigger" not in page  # done: nothing left to poll


def test_a_whole_segment_and_a_refusal_reported(
    creator_client, creator, course, frozen_now, django_capture_on_commit_callbacks
):
    make_customer(creator, email="a@example.com")
    make_customer(creator, email="b@example.com")
    values = {"action": "add_tag", "tag": "spring", "scope": "segment", "segment": "all", "confirmed": "yes"}

    with django_capture_on_commit_callbacks(execute=True):
        creator_client.post(NEW, values)
    with django_capture_on_commit_callbacks(execute=True):
        second = creator_client.post(NEW, values)

    page = creator_client.get(second["Location"]).content.decode()
    assert "2 of 2 handled: 0 changed, 2 refused" in page
    assert "This customer is already tagged “spring”." in page
    assert list(Customer.objects.values_list("tag_names", flat=True)) == [["spring"], ["spring"]]


def test_a_running_job_polls_and_can_be_stopped_then_resumed(
    creator_client, creator, frozen_now, django_capture_on_commit_callbacks
):
    people = [make_customer(creator, email=f"s{n}@example.com") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=False):  # queued; no worker ran it yet
        creator_client.post(
            NEW,
            {
                "action": "add_tag",
                "tag": "vip",
                "scope": "selected",
                "customer_ids": [p.pk for p in people],
                "confirmed": "yes",
            },
        )
    job = BulkAction.objects.get()
    url = reverse("desk:bulk_action", args=[job.pk])

    polling = creator_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert f'hx-get="{url}" hx-trigger="every 1s"' in polling
    assert 'id="bulk-stop"' in polling

    creator_client.post(reverse("desk:bulk_action_stop", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "stopped"
    assert 'id="bulk-resume"' in creator_client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        creator_client.post(reverse("desk:bulk_action_resume", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 3)


def test_nothing_ticked_is_explained(creator_client, customer):
    response = creator_client.post(NEW, {"action": "add_tag", "tag": "x", "scope": "selected"})

    assert response.status_code == 200
    assert "No customer is in this selection." in response.content.decode()
    assert BulkAction.objects.count() == 0


def test_another_creators_customer_or_job_is_404(creator_client, other_creator, customer):
    theirs = make_customer(other_creator, email="theirs@example.com")
    job = BulkAction.objects.create(
        creator=other_creator, action="add_tag", actor_kind="creator", actor_label="x", source="desk"
    )

    response = creator_client.post(
        NEW, {"action": "add_tag", "tag": "x", "scope": "selected", "customer_ids": [customer.pk, theirs.pk]}
    )
    assert "Some of these customers do not exist." in response.content.decode()
    assert creator_client.get(reverse("desk:bulk_action", args=[job.pk])).status_code == 404
    assert creator_client.post(reverse("desk:bulk_action_stop", args=[job.pk])).status_code == 404
