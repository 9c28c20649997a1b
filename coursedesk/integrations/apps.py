from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "coursedesk.integrations"
    label = "integrations"

    def ready(self):
        # The audit layer cannot import this one (layers); it calls back for every event it writes,
        # inside the same transaction, so a public event exists exactly when its audit event does.
        from coursedesk.audit.services import audit_follow  # noqa: PLC0415  (apps are loaded now)
        from coursedesk.integrations.recording import public_event_record  # noqa: PLC0415

        audit_follow(public_event_record)
