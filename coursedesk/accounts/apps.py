from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "coursedesk.accounts"
    label = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in  # noqa: PLC0415 (apps are loaded now)

        from coursedesk.accounts.access import remember_teams  # noqa: PLC0415 (models are loaded now)

        # Whether the header offers to switch accounts is known once per session, not on every page.
        user_logged_in.connect(remember_teams, dispatch_uid="coursedesk_remember_teams")
