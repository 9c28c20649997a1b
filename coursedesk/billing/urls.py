from django.urls import path

from coursedesk.billing import views

app_name = "billing"
urlpatterns = [
    path("payments/settings/", views.settings_page, name="settings"),
    path("buy/<int:page_id>/", views.checkout, name="checkout"),
]
