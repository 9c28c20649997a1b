from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "coursedesk.catalog"
    label = "catalog"
