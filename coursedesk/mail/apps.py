from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "coursedesk.mail"
    label = "mail"
