import io

import pytest
from django.core.management import CommandError, call_command

from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor
from coursedesk.billing.models import Payment
from coursedesk.customers.models import Customer, Enrolment
from coursedesk.customers.services import customer_create, enrolment_grant
from coursedesk.mail.models import OutboundEmail


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str):
        path = tmp_path / "students.csv"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


class TestImportStudents:
    def test_grants_the_course_and_creates_new_customers(self, creator, course, customer, csv_file):
        path = csv_file(
            "email,first_name,last_name,expires_at\n"
            "ZOE@example.com,Zoë,Okafor,\n"
            "new.person@example.com,New,Person,2027-01-31\n"
        )
        output = run("import_students", "maya@example.com", "watercolor", path)
        assert "Imported 2 students into Watercolor Foundations (1 new customers)" in output
        assert Customer.objects.for_creator(creator).count() == 2
        new = Customer.objects.get(email="new.person@example.com")
        enrolment = Enrolment.objects.get(customer=new, course=course)
        assert enrolment.expires_at.isoformat() == "2027-01-31T00:00:00+00:00"
        assert enrolment.source == "import"
        assert Enrolment.objects.get(customer=customer).expires_at is None

    def test_the_welcome_email_goes_only_to_people_given_access_now(
        self, creator, course, customer, csv_file
    ):
        # given Zoë already has access
        enrolment_grant(customer=customer, course=course, actor=Actor.system(), source="desk")
        path = csv_file("email,first_name,last_name\nzoe@example.com,Zoë,Okafor\nana@example.com,Ana,Ruiz\n")

        run("import_students", "maya@example.com", "watercolor", path, "--send-welcome-email")

        # then only the new student gets the welcome email
        assert list(OutboundEmail.objects.values_list("kind", "to")) == [("welcome", "ana@example.com")]

    def test_a_bad_row_imports_nothing_and_says_which(self, creator, course, csv_file):
        path = csv_file("email,first_name,last_name\nok@example.com,Ok,Person\nnot-an-email,Bad,Row\n")
        with pytest.raises(CommandError, match=r"line 3: “not-an-email” is not a valid email address\."):
            run("import_students", "maya@example.com", "watercolor", path)
        assert not Customer.objects.exists()
        assert not AuditEvent.objects.exists()

    def test_another_creators_course_is_not_found(self, creator, other_creator, csv_file):
        from tests.factories import make_course

        make_course(other_creator, slug="theirs")
        path = csv_file("email\na@example.com\n")
        with pytest.raises(CommandError, match="no course with the slug theirs"):
            run("import_students", "maya@example.com", "theirs", path)
        assert not Customer.objects.exists()


class TestEraseCustomer:
    def test_needs_confirmation(self, customer):
        with pytest.raises(CommandError, match="--confirm"):
            run("erase_customer", str(customer.pk))
        customer.refresh_from_db()
        assert customer.erased_at is None
        assert customer.email == "zoe@example.com"

    def test_erases_personal_data_everywhere_and_keeps_the_money(self, creator, course):
        customer = customer_create(
            creator=creator,
            email="erase.me@example.com",
            first_name="Erin",
            last_name="Eraseme",
            password="a long passphrase",
            actor=Actor.buyer("erase.me@example.com"),
            source="checkout",
        )
        enrolment_grant(customer=customer, course=course, actor=Actor.system(), source="checkout")
        Payment.objects.create(
            customer=customer,
            course=course,
            amount=4900,
            currency="usd",
            status="succeeded",
            gateway="sandbox",
        )
        OutboundEmail.objects.create(
            creator=creator,
            customer=customer,
            kind="welcome",
            to=customer.email,
            subject="Welcome Erin",
            text_body="Hi Erin",
        )

        output = run("erase_customer", str(customer.pk), "--confirm", "--reason", "request #12")

        assert f"Customer {customer.pk} erased." in output
        customer.refresh_from_db()
        assert customer.erased_at is not None
        assert (customer.first_name, customer.last_name, customer.password) == ("", "", "")
        assert customer.email == f"erased-{customer.pk}@erased.invalid"
        assert "erin" not in customer.search_text
        assert Payment.objects.get(customer=customer).amount == 4900
        email = OutboundEmail.objects.get(customer=customer)
        assert "erase.me" not in email.to and "Erin" not in email.text_body + email.subject
        every_event = str(list(AuditEvent.objects.filter(customer=customer).values_list("data", flat=True)))
        assert "erase.me@example.com" not in every_event
        assert "Eraseme" not in every_event
        last = AuditEvent.objects.filter(customer=customer).first()
        assert (last.type, last.actor_kind, last.data) == (
            "customer.erased",
            "operator",
            {"reason": "request #12"},
        )

    def test_erasing_twice_is_refused(self, customer):
        run("erase_customer", str(customer.pk), "--confirm")
        with pytest.raises(CommandError, match="erased already"):
            run("erase_customer", str(customer.pk), "--confirm")
