"""What the timeline can record: every event type with its sentence, and every source of a change.

A type's label is the sentence a creator reads on the timeline; `{course}`, `{amount}` and `{subject}`
are filled in from the event's data (see `audit.describe`). `audit_record` refuses any other type
or source, so a new kind of event cannot reach the timeline without its sentence.
"""

from __future__ import annotations

from django.db import models


class AuditEventType(models.TextChoices):
    CUSTOMER_CREATED = "customer.created", "Became a customer"
    CUSTOMER_UPDATED = "customer.updated", "Details changed"
    CUSTOMER_SIGNED_IN = "customer.signed_in", "Signed in"
    CUSTOMER_ERASED = "customer.erased", "Personal data erased on request"
    CUSTOMER_ERASURE_REQUESTED = "customer.erasure_requested", "Erasure of personal data requested"
    CUSTOMER_PASSWORD_RESET = "customer.password_reset", "Set a new password"
    CUSTOMER_NOTE_ADDED = "customer.note_added", "Note added"
    CUSTOMER_MERGED = "customer.merged", "Merged with the duplicate {subject}"
    CUSTOMER_MERGED_AWAY = "customer.merged_away", "Merged into {subject}"
    CUSTOMER_TAGS_CHANGED = "customer.tags_changed", "Tags changed"
    CUSTOMER_PASSWORD_RESET_REQUESTED = (
        "customer.password_reset_requested",
        "Password reset link sent for {course}",
    )
    CUSTOMER_VIEWED_AS_STUDENT = "customer.viewed_as_student", "{course} viewed as this student sees it"

    ENROLMENT_GRANTED = "enrolment.granted", "Was given access to {course}"
    ENROLMENT_REVOKED = "enrolment.revoked", "Access to {course} revoked"
    ENROLMENT_RESTORED = "enrolment.restored", "Access to {course} granted again"
    ENROLMENT_EXPIRATION_CHANGED = "enrolment.expiration_changed", "Expiration of {course} changed"
    ENROLMENT_EXPIRED = "enrolment.expired", "Access to {course} expired"
    ENROLMENT_RENEWED = "enrolment.renewed", "Access to {course} renewed"

    PAYMENT_SUCCEEDED = "payment.succeeded", "Paid {amount} for {course}"
    PAYMENT_FAILED = "payment.failed", "A payment of {amount} for {course} failed"
    PAYMENT_REFUNDED = "payment.refunded", "Refunded {amount} of {course}"
    PAYMENT_REFUND_FAILED = "payment.refund_failed", "A refund of {amount} for {course} failed"
    # The gateway reported refunds beyond what was paid: what fits is recorded, this is the rest.
    PAYMENT_REFUND_OVER_REPORTED = (
        "payment.refund_over_reported",
        "The gateway reported {amount} more refunded for {course} than was paid: review it there",
    )

    SUBSCRIPTION_CREATED = "subscription.created", "Subscribed to {course}"
    SUBSCRIPTION_CANCELED = "subscription.canceled", "Subscription to {course} canceled"
    SUBSCRIPTION_CANCEL_SCHEDULED = (
        "subscription.cancel_scheduled",
        "Subscription to {course} set to end when its paid period ends",
    )
    SUBSCRIPTION_CANCEL_UNDONE = (
        "subscription.cancel_undone",
        "Subscription to {course} continues: its cancel was undone",
    )
    SUBSCRIPTION_PAUSED = "subscription.paused", "Subscription to {course} paused"
    SUBSCRIPTION_RESUMED = "subscription.resumed", "Subscription to {course} resumed"
    SUBSCRIPTION_PAST_DUE = "subscription.past_due", "Subscription to {course} is past due"
    SUBSCRIPTION_RECOVERED = "subscription.recovered", "Subscription to {course} is paid up again"
    SUBSCRIPTION_COMPLETED = "subscription.completed", "Payment plan for {course} completed"
    SUBSCRIPTION_CARD_UPDATED = "subscription.card_updated", "Card for {course} updated"
    SUBSCRIPTION_CARD_UPDATE_LINK_SENT = (
        "subscription.card_update_link_sent",
        "Link to update the card for {course} sent",
    )
    # The last retry of a failed payment failed too; the creator's final action follows.
    SUBSCRIPTION_RETRIES_EXHAUSTED = (
        "subscription.retries_exhausted",
        "Every retry of the payment for {course} failed",
    )

    EMAIL_QUEUED = "email.queued", "Email queued: {subject}"
    EMAIL_SENT = "email.sent", "Email sent: {subject}"
    EMAIL_FAILED = "email.failed", "Email failed: {subject}"
    EMAIL_SUPPRESSED = "email.suppressed", "Email not sent, the address is undeliverable: {subject}"
    EMAIL_BOUNCED = "email.bounced", "Email bounced: {subject}"
    EMAIL_COMPLAINED = "email.complained", "Email marked as spam: {subject}"
    EMAIL_SUPPRESSION_CLEARED = (
        "email.suppression_cleared",
        "Emails to an undeliverable address allowed again",
    )

    COURSE_CREATED = "course.created", "Course {course} created"
    COURSE_UPDATED = "course.updated", "Course {course} edited"
    COURSE_PUBLISHED = "course.published", "Course {course} published"
    COURSE_UNPUBLISHED = "course.unpublished", "Course {course} unpublished; new checkouts closed"
    COURSE_ARCHIVED = "course.archived", "Course {course} archived"
    COURSE_DELETED = "course.deleted", "Draft course {course} deleted"
    COURSE_SECTION_ADDED = "course.section_added", "Section added to {course}"
    COURSE_OUTLINE_CHANGED = "course.outline_changed", "Sections or lesson order of {course} changed"
    COURSE_LESSON_ADDED = "course.lesson_added", "Lesson added to {course}"
    COURSE_LESSON_UPDATED = "course.lesson_updated", "Lesson of {course} edited"
    COURSE_LESSON_DELETED = "course.lesson_deleted", "Lesson of {course} deleted"
    PAYMENT_PAGE_CREATED = "payment_page.created", "Payment page added to {course}"
    PAYMENT_PAGE_UPDATED = "payment_page.updated", "Payment page of {course} changed"
    PAYMENT_PAGE_DELETED = "payment_page.deleted", "Payment page of {course} deleted"
    LESSON_COMPLETED = "lesson.completed", "Completed {subject} in {course}"
    LESSON_UNCOMPLETED = "lesson.uncompleted", "Marked {subject} in {course} as not complete"
    COUPON_CREATED = "coupon.created", "Coupon {subject} created"
    COUPON_UPDATED = "coupon.updated", "Coupon {subject} changed"
    COURSE_WELCOME_EMAIL_UPDATED = "course.welcome_email_updated", "Welcome email of {course} edited"
    GATEWAY_ACCOUNT_UPDATED = "gateway_account.updated", "Payment settings changed"
    # Failed payments, reminders, the student's own cancel and the business details on receipts.
    PAYMENT_POLICY_UPDATED = "payment_policy.updated", "Payment policy changed"

    WEBHOOK_ENDPOINT_CREATED = "webhook_endpoint.created", "Webhook endpoint added"
    WEBHOOK_ENDPOINT_UPDATED = "webhook_endpoint.updated", "Webhook endpoint changed"
    WEBHOOK_ENDPOINT_DELETED = "webhook_endpoint.deleted", "Webhook endpoint removed"
    WEBHOOK_ENDPOINT_SECRET_ROTATED = "webhook_endpoint.secret_rotated", "Webhook signing secret rotated"
    WEBHOOK_ENDPOINT_DISABLED = (
        "webhook_endpoint.disabled",
        "Webhook endpoint disabled after 3 days of failed deliveries",
    )

    TEAM_MEMBER_INVITED = "team.member_invited", "Team member invited: {subject}"
    TEAM_INVITATION_CANCELED = "team.invitation_canceled", "Team invitation canceled: {subject}"
    TEAM_MEMBER_JOINED = "team.member_joined", "Joined the team: {subject}"
    TEAM_MEMBER_ROLE_CHANGED = "team.member_role_changed", "Team member's role changed: {subject}"
    TEAM_MEMBER_REFUND_LIMIT_CHANGED = (
        "team.member_refund_limit_changed",
        "Team member's refund limit changed: {subject}",
    )
    TEAM_MEMBER_REMOVED = "team.member_removed", "Removed from the team: {subject}"
    TEAM_TWO_FACTOR_REQUIREMENT_CHANGED = (
        "team.two_factor_requirement_changed",
        "Two-factor sign-in requirement for the team changed",
    )
    TWO_FACTOR_ENABLED = "account.two_factor_enabled", "Two-factor sign-in turned on: {subject}"
    TWO_FACTOR_DISABLED = "account.two_factor_disabled", "Two-factor sign-in turned off: {subject}"
    TWO_FACTOR_RECOVERY_CODES_REGENERATED = (
        "account.recovery_codes_regenerated",
        "New recovery codes made: {subject}",
    )
    API_TOKEN_CREATED = "account.api_token_created", "API token created: {subject}"
    API_TOKEN_REVOKED = "account.api_token_revoked", "API token revoked: {subject}"


class AuditSource(models.TextChoices):
    """Where a change came from: which page, program or process asked for it."""

    DESK = "desk", "Customer desk"
    API = "api", "API"
    STUDENT = "student", "Student pages"
    CHECKOUT = "checkout", "Checkout"
    STRIPE = "stripe", "Stripe webhook"
    STRIPE_SYNC = "stripe_sync", "Stripe reconciliation"
    RENEWAL = "renewal", "Renewal run"
    IMPORT = "import", "Import"
    COMMAND = "command", "Operator command"
    OUTBOX = "outbox", "Outbox"
    EMAIL_PROVIDER = "email_provider", "Email provider"
    SCHEDULER = "scheduler", "Scheduler"
    WEBHOOKS = "webhooks", "Outbound webhooks"
    SEED = "seed", "Demo data"
    SETTINGS = "settings", "Settings"
