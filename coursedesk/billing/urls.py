from django.urls import path

from coursedesk.billing import webhooks

app_name = "billing"
urlpatterns = [
    path("webhooks/stripe/<str:endpoint_id>/", webhooks.stripe_inbox, name="stripe_webhook"),
]
