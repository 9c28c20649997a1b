"""Creator pages for course emails, under /desk/courses/<id>/…"""

from django.urls import path

from coursedesk.mail import views

app_name = "mail"
urlpatterns = [
    path("emails/", views.outbox, name="outbox"),
    path("<int:course_id>/welcome-email/", views.welcome_email, name="welcome_email"),
    path("<int:course_id>/welcome-email/preview/", views.welcome_email_preview, name="welcome_email_preview"),
]
