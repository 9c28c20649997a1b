from django.urls import path

from coursedesk.classroom import views

app_name = "classroom"
urlpatterns = [
    path("<slug:course_slug>/", views.course, name="course"),
]
