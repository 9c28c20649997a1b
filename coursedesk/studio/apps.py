from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "coursedesk.studio"
    label = "studio"
