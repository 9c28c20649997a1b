from django.urls import path

from coursedesk.desk import bulk, payment_settings, team, views, webhooks

app_name = "desk"

# Each action has its own address; one view serves them all (see desk/actions.py). The parameter
# names say which object an id names.
ACTION_PATHS = [
    ("customers/<int:customer_id>/edit/", "customer_edit"),
    ("customers/<int:customer_id>/welcome-email/", "welcome_email"),
    ("customers/<int:customer_id>/password-reset/", "password_reset"),
    ("customers/<int:customer_id>/grant-course/", "grant_course"),
    ("customers/<int:customer_id>/email-retry/", "email_retry"),
    ("customers/<int:customer_id>/request-erasure/", "erasure_request"),
    ("customers/<int:customer_id>/notes/new/", "note_add"),
    ("customers/<int:customer_id>/tags/", "tags_edit"),
    ("customers/<int:customer_id>/merge/", "customer_merge"),
    ("enrolments/<int:enrolment_id>/revoke/", "enrolment_revoke"),
    ("enrolments/<int:enrolment_id>/grant/", "enrolment_grant"),
    ("enrolments/<int:enrolment_id>/expiration/", "enrolment_expiration"),
    ("payments/<int:payment_id>/refund/", "payment_refund"),
    ("subscriptions/<int:subscription_id>/cancel/", "subscription_cancel"),
    ("subscriptions/<int:subscription_id>/pause/", "subscription_pause"),
    ("subscriptions/<int:subscription_id>/resume/", "subscription_resume"),
    ("subscriptions/<int:subscription_id>/uncancel/", "subscription_uncancel"),
    ("subscriptions/<int:subscription_id>/card-update-link/", "subscription_card_update_link"),
]

urlpatterns = [
    path("desk/", views.activity, name="activity"),
    path("desk/customers/", views.customers, name="customers"),
    path("desk/bulk-actions/new/", bulk.bulk_new, name="bulk_new"),
    path("desk/bulk-actions/<int:bulk_action_id>/", bulk.bulk_action, name="bulk_action"),
    path(
        "desk/bulk-actions/<int:bulk_action_id>/stop/",
        bulk.bulk_action_control,
        {"verb": "stop"},
        name="bulk_action_stop",
    ),
    path(
        "desk/bulk-actions/<int:bulk_action_id>/resume/",
        bulk.bulk_action_control,
        {"verb": "resume"},
        name="bulk_action_resume",
    ),
    path("desk/customers/<int:customer_id>/", views.customer_detail, name="customer"),
    path(
        "desk/customers/<int:customer_id>/receipts/<int:receipt_id>/",
        views.customer_receipt,
        name="customer_receipt",
    ),
    path(
        "desk/customers/<int:customer_id>/receipts/<int:receipt_id>/pdf/",
        views.customer_receipt_pdf,
        name="customer_receipt_pdf",
    ),
    path(
        "desk/customers/<int:customer_id>/personal-data.json", views.customer_export, name="customer_export"
    ),
    path(
        "desk/customers/<int:customer_id>/view-as/<int:course_id>/",
        views.student_view,
        name="student_view",
    ),
    path("desk/teach/", views.teach, name="teach"),
    path("desk/links/", views.links, name="links"),
    path("desk/courses/<int:course_id>/students.csv", views.students_csv, name="students_csv"),
    path("desk/payments.csv", views.payments_csv, name="payments_csv"),
    path("desk/courses/<int:course_id>/import/", bulk.course_import, name="course_import"),
    *[
        path(f"desk/{route}", views.customer_action, {"action_name": name}, name=name)
        for route, name in ACTION_PATHS
    ],
    path("payments/settings/", payment_settings.settings_page, name="payment_settings"),
    path("payments/policy/", payment_settings.policy_page, name="payment_policy"),
    path("desk/settings/webhooks/", webhooks.webhooks, name="webhooks"),
    path(
        "desk/settings/webhooks/<int:webhook_endpoint_id>/change/",
        webhooks.webhook_change,
        name="webhook_change",
    ),
    path(
        "desk/settings/webhooks/<int:webhook_endpoint_id>/delete/",
        webhooks.webhook_delete,
        name="webhook_delete",
    ),
    path(
        "desk/settings/webhooks/<int:webhook_endpoint_id>/rotate-secret/",
        webhooks.webhook_rotate,
        name="webhook_rotate",
    ),
    path(
        "desk/settings/webhooks/<int:webhook_endpoint_id>/test/", webhooks.webhook_test, name="webhook_test"
    ),
    path(
        "desk/settings/webhooks/<int:webhook_endpoint_id>/redeliver-failed/",
        webhooks.webhook_redeliver_failed,
        name="webhook_redeliver_failed",
    ),
    path(
        "desk/settings/webhook-deliveries/<int:webhook_delivery_id>/redeliver/",
        webhooks.webhook_delivery_redeliver,
        name="webhook_delivery_redeliver",
    ),
    path("desk/settings/audit-log/", webhooks.audit_log_download, name="audit_log"),
    path("desk/settings/team/", team.team, name="team"),
    path(
        "desk/settings/team/<int:membership_id>/change/", team.team_member_change, name="team_member_change"
    ),
    path(
        "desk/settings/team/<int:membership_id>/remove/", team.team_member_remove, name="team_member_remove"
    ),
    path(
        "desk/settings/team/invitations/<int:invitation_id>/cancel/",
        team.team_invitation_cancel,
        name="team_invitation_cancel",
    ),
    path("desk/settings/team/two-factor/", team.team_two_factor, name="team_two_factor"),
    path("team/join/<str:key>/", team.team_join, name="team_join"),
    path("desk/switch-account/", team.account_switch, name="account_switch"),
]
