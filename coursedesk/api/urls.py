from django.urls import path

from coursedesk.api.main import api

urlpatterns = [path("", api.urls)]
