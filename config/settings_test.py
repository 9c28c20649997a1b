"""Settings of the test suite: the real settings, with the background tasks run in-process at commit,
a per-process cache, static files served from their folders (no collectstatic before a test run), and
webhooks allowed to loopback as in development.

Tests that need another value change it with pytest-django's `settings` fixture.
"""

from config.settings import *  # noqa: F403
from config.settings import STATIC_ROOT, STORAGES, TEMPLATES

TASKS_BACKEND = "immediate"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Webhook receivers of the tests listen on loopback; the SSRF tests turn this off.
OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
# An account under attack is slowed down by a delay at sign-in; tests need no real wait.
SIGNIN_ACCOUNT_DELAY_SECONDS = 0
# The pages' engine reports what it renders to the test client (response.context, .templates).
# Its name stays "jinja2" (engines["jinja2"]), which Django would otherwise take from the module's.
TEMPLATES = [
    {**TEMPLATES[0], "BACKEND": "tests.template_backend.ReportingJinja2"},
    *TEMPLATES[1:],
]
