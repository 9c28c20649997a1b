from django.urls import path

from coursedesk.desk import views

app_name = "desk"
urlpatterns = [
    path("", views.activity, name="activity"),
    path("teach/", views.teach, name="teach"),
    path("links/", views.links, name="links"),
]
