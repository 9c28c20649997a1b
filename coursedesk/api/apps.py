from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "coursedesk.api"
    label = "api"
