from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "coursedesk.accounts"
    label = "accounts"
