from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "coursedesk.mail"
    label = "mail"

    def ready(self):
        # anymail hands provider tracking reports over only through its signal.
        from coursedesk.mail import tracking  # noqa: PLC0415  (models are loaded only now)

        tracking.connect()
