from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "coursedesk.desk"
    label = "desk"
