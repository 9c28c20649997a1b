from django.urls import path

from coursedesk.desk import views

app_name = "desk"

# Each action has its own address; one view serves them all (see desk/actions.py).
ACTION_PATHS = [
    ("customers/<int:pk>/edit/", "customer_edit"),
    ("customers/<int:pk>/welcome-email/", "welcome_email"),
    ("customers/<int:pk>/password-reset/", "password_reset"),
    ("customers/<int:pk>/grant-course/", "grant_course"),
    ("enrolments/<int:pk>/revoke/", "enrolment_revoke"),
    ("enrolments/<int:pk>/grant/", "enrolment_grant"),
    ("enrolments/<int:pk>/expiration/", "enrolment_expiration"),
    ("payments/<int:pk>/refund/", "payment_refund"),
    ("subscriptions/<int:pk>/cancel/", "subscription_cancel"),
    ("subscriptions/<int:pk>/pause/", "subscription_pause"),
    ("subscriptions/<int:pk>/resume/", "subscription_resume"),
]

urlpatterns = [
    path("", views.activity, name="activity"),
    path("customers/<int:pk>/", views.customer_detail, name="customer"),
    path("teach/", views.teach, name="teach"),
    path("links/", views.links, name="links"),
    path("courses/<int:pk>/students.csv", views.students_csv, name="students_csv"),
    *[
        path(route, views.customer_action, {"action_name": name}, name=name)
        for route, name in ACTION_PATHS
    ],
]
