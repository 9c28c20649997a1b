from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "coursedesk.billing"
    label = "billing"
