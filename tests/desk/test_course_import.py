"""Importing students from the desk: upload, preview (new, existing, errors by line), then a
background job; the same file twice enrols nobody twice."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coursedesk.customers.models import BulkAction, Customer, Enrolment
from tests.factories import make_course

CSV = "\n".join(
    [
        "email,first_name,last_name",
        "zoe@example.com,Zoë,Okafor",
        "new@example.com,New,Person",
        "broken,Bad,Row",
        "",
    ]
).encode()


def url(course):
    return reverse("desk:course_import", args=[course.pk])


def test_teach_links_to_the_import(creator_client, course):
    assert f'href="{url(course)}"' in creator_client.get(reverse("desk:teach")).content.decode()


def test_upload_previews_then_imports_in_the_background(
    creator_client, customer, course, frozen_now, django_capture_on_commit_callbacks
):
    preview = creator_client.post(url(course), {"file": SimpleUploadedFile("students.csv", CSV, "text/csv")})
    html = preview.content.decode()

    assert "3 rows: 1 new customer, 1 existing, 1 with an error." in html
    assert "Line 4: “broken” is not a valid email address." in html
    assert Customer.objects.count() == 1

    text = preview.context["csv_text"]
    for _ in range(2):  # the same file twice
        with django_capture_on_commit_callbacks(execute=True):
            started = creator_client.post(url(course), {"csv_text": text, "confirmed": "yes"})

    jobs = list(BulkAction.objects.order_by("pk"))
    assert started["Location"] == reverse("desk:bulk_action", args=[jobs[-1].pk])
    assert [(job.action, job.status, job.total, job.done) for job in jobs] == [
        ("import", "done", 2, 2),
        ("import", "done", 2, 2),
    ]
    assert Enrolment.objects.filter(course=course).count() == 2
    page = creator_client.get(started["Location"]).content.decode()
    assert "Import students" in page
    assert "2 of 2 handled" in page


def test_a_file_without_an_email_column_is_explained_next_to_the_field(creator_client, course):
    response = creator_client.post(
        url(course), {"file": SimpleUploadedFile("x.csv", b"name\nZoe\n", "text/csv")}
    )

    assert 'id="id_file-errors"' in response.content.decode()
    assert "The CSV needs a header row with at least an “email” column" in response.content.decode()
    assert BulkAction.objects.count() == 0


def test_another_creators_course_is_404(creator_client, other_creator):
    theirs = make_course(other_creator, title="Rival", slug="rival")

    assert creator_client.get(url(theirs)).status_code == 404
