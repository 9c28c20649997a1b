"""Top-level URL map. The desk (/desk/, /payments/), the buyer and student pages (/buy/, /c/) and
billing's webhook inbox (/webhooks/) write their full paths in their own URL modules."""

import posixpath

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import include, path
from django.views.static import serve

from coursedesk.catalog.models import LESSON_FILES_DIR


def public_media(request, path):
    """Thumbnails and other public uploads. Lesson files are never served here: the student pages
    hand them only to the course's students (classroom.views.lesson_file)."""
    normalized = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
    if normalized.split("/", 1)[0] == LESSON_FILES_DIR or normalized.startswith(".."):
        raise Http404("Not found.")
    return serve(request, normalized, document_root=settings.MEDIA_ROOT)


def admin_sign_in(request, extra_context=None):
    """Operators sign in through CourseDesk's own sign-in, with its second factor, never the admin's
    own form (which would skip it)."""
    return redirect_to_login(request.GET.get("next") or "/admin/")


admin.site.login = admin_sign_in

# A refusal of a team member's role: a page, or the desk dialog's own message (core.views).
handler403 = "coursedesk.core.views.permission_denied"

urlpatterns = [
    # First: every pattern tried before the API's is work on each API call, and its prefix is its
    # own, so no page's address changes.
    path("api/v1/", include("coursedesk.api.urls")),
    path("", include("coursedesk.core.urls")),
    path("", include("coursedesk.ops.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("coursedesk.accounts.urls")),
    path("desk/courses/", include("coursedesk.mail.urls")),
    path("", include("coursedesk.desk.urls")),
    path("", include("coursedesk.studio.urls")),
    path("", include("coursedesk.classroom.urls")),
    path("", include("coursedesk.billing.urls")),
    # Email providers' tracking webhooks (delivered, bounced, complained, opened): mail.tracking.
    path("anymail/", include("coursedesk.mail.tracking_urls")),
    path("media/<path:path>", public_media),
]
