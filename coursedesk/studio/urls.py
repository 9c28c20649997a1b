"""The creator studio's pages, under /studio/."""

from django.urls import path

from coursedesk.studio import coupon_views, lesson_views, payment_page_views, views

app_name = "studio"
urlpatterns = [
    path("studio/", views.home, name="home"),
    path("studio/courses/new/", views.course_new, name="course_new"),
    path("studio/courses/<int:course_id>/", views.course_detail, name="course"),
    path("studio/courses/<int:course_id>/publish/", views.course_publish_view, name="course_publish"),
    path("studio/courses/<int:course_id>/unpublish/", views.course_unpublish_view, name="course_unpublish"),
    path("studio/courses/<int:course_id>/archive/", views.course_archive_view, name="course_archive"),
    path("studio/courses/<int:course_id>/delete/", views.course_delete_view, name="course_delete"),
    path("studio/courses/<int:course_id>/sections/", lesson_views.section_new, name="section_new"),
    path("studio/sections/<int:section_id>/", lesson_views.section_change, name="section"),
    path("studio/sections/<int:section_id>/delete/", lesson_views.section_remove, name="section_delete"),
    path("studio/courses/<int:course_id>/lessons/new/", lesson_views.lesson_new, name="lesson_new"),
    path("studio/courses/<int:course_id>/outline/", lesson_views.outline_save, name="outline"),
    path("studio/lessons/<int:lesson_id>/", lesson_views.lesson_edit, name="lesson"),
    path("studio/lessons/<int:lesson_id>/move/", lesson_views.lesson_move_view, name="lesson_move"),
    path("studio/lessons/<int:lesson_id>/delete/", lesson_views.lesson_remove, name="lesson_delete"),
    path(
        "studio/lesson-files/<int:lesson_file_id>/delete/",
        lesson_views.lesson_file_remove,
        name="lesson_file_delete",
    ),
    path(
        "studio/courses/<int:course_id>/payment-pages/new/",
        payment_page_views.payment_page_new,
        name="payment_page_new",
    ),
    path(
        "studio/payment-pages/<int:payment_page_id>/",
        payment_page_views.payment_page_edit,
        name="payment_page",
    ),
    path(
        "studio/payment-pages/<int:payment_page_id>/delete/",
        payment_page_views.payment_page_remove,
        name="payment_page_delete",
    ),
    path("studio/coupons/", coupon_views.coupons, name="coupons"),
    path("studio/coupons/<int:coupon_id>/active/", coupon_views.coupon_active, name="coupon_active"),
    path("studio/markdown-preview/", lesson_views.markdown_preview, name="markdown_preview"),
]
