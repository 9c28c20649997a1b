from django.urls import path

from coursedesk.billing import views, webhooks

app_name = "billing"
urlpatterns = [
    path("payments/settings/", views.settings_page, name="settings"),
    path("buy/<int:page_id>/", views.checkout, name="checkout"),
    path("webhooks/stripe/<str:endpoint_id>/", webhooks.stripe_inbox, name="stripe_webhook"),
]
