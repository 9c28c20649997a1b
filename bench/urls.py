"""CourseDesk's URLs plus the bare page: a template page behind the same middleware, session and
sign-in as the desk, extending the desk's base template, reading nothing else. Its speed is the most
any desk page can reach on this stack."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from config.urls import urlpatterns as coursedesk_urlpatterns

BARE_PAGE_PATH = "/bench/bare-page/"


@login_required
@require_GET
def bare_page(request):
    return render(request, "bench/bare_page.html")


urlpatterns = [path(BARE_PAGE_PATH.lstrip("/"), bare_page, name="bench_bare_page"), *coursedesk_urlpatterns]
