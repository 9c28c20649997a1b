from django.contrib import admin

from coursedesk.catalog.models import Course, Lesson, PaymentPage


class LessonInline(admin.StackedInline):
    model = Lesson
    extra = 0


class PaymentPageInline(admin.TabularInline):
    model = PaymentPage
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "creator", "published", "created_at"]
    list_filter = ["published"]
    search_fields = ["title", "slug", "creator__email"]
    list_select_related = ["creator"]
    inlines = [LessonInline, PaymentPageInline]


@admin.register(PaymentPage)
class PaymentPageAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "course",
        "kind",
        "amount",
        "currency",
        "interval",
        "installments",
        "access_days",
        "active",
    ]
    list_filter = ["kind", "active"]
    list_select_related = ["course"]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "position"]
    list_select_related = ["course"]
