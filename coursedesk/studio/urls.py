"""The creator studio's pages, under /studio/."""

from django.urls import path

from coursedesk.studio import views

app_name = "studio"
urlpatterns = [
    path("studio/", views.home, name="home"),
    path("studio/courses/new/", views.course_new, name="course_new"),
    path("studio/courses/<int:course_id>/", views.course_detail, name="course"),
    path("studio/courses/<int:course_id>/publish/", views.course_publish_view, name="course_publish"),
    path("studio/courses/<int:course_id>/unpublish/", views.course_unpublish_view, name="course_unpublish"),
    path("studio/courses/<int:course_id>/archive/", views.course_archive_view, name="course_archive"),
    path("studio/courses/<int:course_id>/delete/", views.course_delete_view, name="course_delete"),
]
