"""Top-level URL map. The desk (/desk/, /payments/), the buyer and student pages (/buy/, /c/) and
billing's webhook inbox (/webhooks/) write their full paths in their own URL modules."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

urlpatterns = [
    path("", include("coursedesk.core.urls")),
    path("", include("coursedesk.ops.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("coursedesk.accounts.urls")),
    path("desk/courses/", include("coursedesk.mail.urls")),
    path("", include("coursedesk.desk.urls")),
    path("", include("coursedesk.studio.urls")),
    path("", include("coursedesk.classroom.urls")),
    path("", include("coursedesk.billing.urls")),
    path("api/v1/", include("coursedesk.api.urls")),
    # Email providers' tracking webhooks (delivered, bounced, complained, opened): mail.tracking.
    path("anymail/", include("coursedesk.mail.tracking_urls")),
    path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
]
