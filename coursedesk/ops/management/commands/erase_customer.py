"""manage.py erase_customer <customer-id> --confirm — erase personal data on a customer's request."""

from django.core.management.base import BaseCommand, CommandError

from coursedesk.audit.services import Actor
from coursedesk.core.errors import DomainError
from coursedesk.customers.models import Customer
from coursedesk.usecases.erasure import customer_erase


class Command(BaseCommand):
    help = (
        "Erases a customer's name, email and password everywhere CourseDesk keeps them. "
        "Payments, refunds and subscriptions stay, anonymised, so the creator's books still add up."
    )

    def add_arguments(self, parser):
        parser.add_argument("customer_id", type=int)
        parser.add_argument("--confirm", action="store_true", help="Required: erasure cannot be undone.")
        parser.add_argument("--reason", default="", help="e.g. the request's reference")
        parser.add_argument("--operator", default="operator", help="Who asked for it, for the timeline.")

    def handle(self, *args, customer_id, confirm, reason, operator, **options):
        customer = Customer.objects.filter(pk=customer_id).select_related("creator").first()
        if customer is None:
            raise CommandError(f"No customer with id {customer_id}.")
        if not confirm:
            raise CommandError(
                f"This erases {customer.email} (customer of {customer.creator.email}) for good. "
                "Run again with --confirm."
            )
        try:
            customer_erase(customer=customer, actor=Actor.operator(operator), reason=reason)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"Customer {customer_id} erased."))
