from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coursedesk.core"
    label = "core"
