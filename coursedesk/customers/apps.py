from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "coursedesk.customers"
    label = "customers"
