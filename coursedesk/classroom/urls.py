"""Student URLs, under each course: /c/<course-slug>/…

Billing and cancel pages are payment flows and live in the billing app; they are routed here so that
every student URL shares one prefix and one namespace.
"""

from django.urls import path

from coursedesk.billing import student_views
from coursedesk.classroom import views

app_name = "classroom"
urlpatterns = [
    path("<slug:course_slug>/", views.course, name="course"),
    path("<slug:course_slug>/login/", views.login, name="login"),
    path("<slug:course_slug>/logout/", views.logout, name="logout"),
    path("<slug:course_slug>/password-reset/", views.password_reset, name="password_reset"),
    path(
        "<slug:course_slug>/password-reset/<str:token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("<slug:course_slug>/lessons/<int:position>/", views.lesson, name="lesson"),
    path("<slug:course_slug>/billing/", student_views.billing, name="billing"),
    path("<slug:course_slug>/cancel/", student_views.cancel, name="cancel"),
]
