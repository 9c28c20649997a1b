"""The Customer list page: segments with their counts, filters, pages, and rows that tell two
customers of the same name apart."""

import datetime as dt

from django.urls import reverse

from tests.factories import make_course, make_customer, make_enrolment

URL = reverse("desk:customers")


def test_the_menu_links_to_the_list(creator_client):
    response = creator_client.get(reverse("desk:activity"))

    assert f'href="{URL}"' in response.content.decode()


def test_each_segment_shows_its_count_and_the_current_one_is_marked(
    creator_client, creator, course, frozen_now
):
    # given two customers in the course, one revoked, and one who never signed in
    kept = make_customer(creator, first_name="Liam", last_name="García", last_login_at=frozen_now)
    make_enrolment(kept, course)
    gone = make_customer(creator, first_name="Liam", last_name="García", email="liam2@example.com")
    make_enrolment(gone, course, revoked_at=frozen_now)

    response = creator_client.get(URL, {"segment": "revoked"})
    html = response.content.decode()

    assert response.status_code == 200
    assert 'data-segment="all">All <span class="count">2</span>' in html
    assert 'data-segment="active">Active <span class="count">1</span>' in html
    assert 'data-segment="revoked">Revoked <span class="count">1</span>' in html
    assert 'data-segment="never_signed_in">Never signed in <span class="count">1</span>' in html
    assert 'aria-current="page" data-segment="revoked"' in html
    # the two Liam Garcías differ by their course's status
    assert "liam2@example.com" in html
    assert kept.email not in html
    assert 'Watercolor Foundations <span class="pill revoked">Revoked</span>' in html


def test_the_course_filter_keeps_the_segment_links_and_lists_that_course_only(
    creator_client, creator, course, frozen_now
):
    ink = make_course(creator, title="Ink Sketching", slug="ink")
    make_enrolment(make_customer(creator, email="water@example.com"), course)
    make_enrolment(make_customer(creator, email="ink@example.com"), ink)

    html = creator_client.get(URL, {"course": ink.pk}).content.decode()

    assert "ink@example.com" in html
    assert "water@example.com" not in html
    assert f'href="{URL}?course={ink.pk}&amp;segment=active"' in html


def test_another_creators_course_is_refused_and_shows_nobody(creator_client, customer, other_creator):
    theirs = make_course(other_creator, title="Rival course", slug="rival")

    response = creator_client.get(URL, {"course": theirs.pk})
    html = response.content.decode()

    assert response.status_code == 200
    assert "Select a valid choice." in html
    assert customer.email not in html
    assert "Rival course" not in html


def test_dates_in_the_wrong_order_are_explained_next_to_the_field(creator_client, customer):
    response = creator_client.get(URL, {"bought_from": "2026-11-02", "bought_to": "2026-11-01"})
    html = response.content.decode()

    assert 'id="id_bought_from-errors"' in html
    assert "The first date of “bought between” comes after the second one." in html
    assert customer.email not in html


def test_pages_link_older_and_newer_keeping_the_filters(creator_client, creator, course, frozen_now):
    for n in range(51):
        customer = make_customer(creator, email=f"s{n:02}@example.com")
        type(customer).objects.filter(pk=customer.pk).update(created_at=frozen_now - dt.timedelta(minutes=n))

    first = creator_client.get(URL, {"q": "example"})
    older = first.context["older_url"]
    second = creator_client.get(older)

    assert "q=example" in older
    assert [row.customer.email for row in second.context["listing"].rows] == ["s50@example.com"]
    newer = creator_client.get(second.context["newer_url"])
    assert newer.context["listing"].rows[0].customer.email == "s00@example.com"


def test_a_cursor_not_given_out_is_404(creator_client, customer):
    assert creator_client.get(URL, {"after": "not-a-cursor"}).status_code == 404


def test_the_page_reads_a_fixed_number_of_queries(
    creator_client, creator, course, frozen_now, django_assert_num_queries
):
    for n in range(20):
        make_enrolment(make_customer(creator, email=f"s{n}@example.com"), course)

    # the session with its creator, the page, the counts, enrolments, past-due subscriptions, the
    # course choices of the filters and of the bulk action
    with django_assert_num_queries(7):
        response = creator_client.get(URL)

    assert len(response.context["listing"].rows) == 20


def test_search_results_on_the_activity_page_carry_courses_and_status(
    creator_client, creator, course, frozen_now
):
    make_enrolment(
        make_customer(creator, first_name="Liam", last_name="García"), course, revoked_at=frozen_now
    )

    html = creator_client.get(reverse("desk:activity"), {"q": "liam"}).content.decode()

    assert 'Watercolor Foundations <span class="pill revoked">Revoked</span>' in html
