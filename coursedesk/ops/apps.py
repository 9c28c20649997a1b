from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "coursedesk.ops"
    label = "ops"
