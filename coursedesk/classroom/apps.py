from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "coursedesk.classroom"
    label = "classroom"
