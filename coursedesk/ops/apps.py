from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "coursedesk.ops"
    label = "ops"
    verbose_name = "Operations: health, metrics and logs"

    def ready(self):
        from coursedesk.ops import metrics  # noqa: PLC0415 - it imports models, ready only now

        metrics.install()
        from coursedesk.ops import checks  # noqa: F401, PLC0415 - registers the data checks
