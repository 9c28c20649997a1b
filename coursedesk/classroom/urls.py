"""Pages for buyers and students: checkout at /buy/<page>/, and everything under a course at /c/<slug>/."""

from django.urls import path

from coursedesk.classroom import billing_views, checkout_views, views

app_name = "classroom"
urlpatterns = [
    path("buy/<int:page_id>/", checkout_views.checkout, name="checkout"),
    path("c/<slug:course_slug>/", views.course, name="course"),
    path("c/<slug:course_slug>/login/", views.login, name="login"),
    path("c/<slug:course_slug>/logout/", views.logout, name="logout"),
    path("c/<slug:course_slug>/password-reset/", views.password_reset, name="password_reset"),
    path(
        "c/<slug:course_slug>/password-reset/<str:token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("c/<slug:course_slug>/lessons/<int:position>/", views.lesson, name="lesson"),
    path("c/<slug:course_slug>/files/<int:lesson_file_id>/", views.lesson_file, name="lesson_file"),
    path("c/<slug:course_slug>/billing/", billing_views.billing, name="billing"),
    path("c/<slug:course_slug>/cancel/", billing_views.cancel, name="cancel"),
    path("c/<slug:course_slug>/view-as/stop/", views.student_view_stop, name="student_view_stop"),
]
