"""The studio's forms: what a creator types. The rules that check it live in the catalog's services."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy

from coursedesk.catalog.lessons import BODY_MAX, DRIP_MAX_DAYS
from coursedesk.catalog.services import DESCRIPTION_MAX, SLUG_MAX, THUMBNAIL_MAX_BYTES, TITLE_MAX
from coursedesk.catalog.video import ALLOWED_DESCRIPTION


class CourseForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    slug = forms.CharField(
        label="Address",
        max_length=SLUG_MAX,
        required=False,
        help_text="Used in the course's links, e.g. /c/watercolor-basics/. "
        "Leave empty to make it from the title.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=DESCRIPTION_MAX,
        required=False,
        help_text="Shown on the sales page.",
    )
    contact_email = forms.EmailField(
        required=False, help_text="Shown to students who need help. Empty: your account's email."
    )
    thumbnail = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
        help_text=f"JPEG, PNG, WebP or GIF, up to {THUMBNAIL_MAX_BYTES // (1024 * 1024)} MB; "
        "resized to at most 1280×720.",
    )


class SectionForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, label="Section title")


class LessonForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    section = forms.ChoiceField(required=False, choices=[])
    body_markdown = forms.CharField(
        label="Lesson text (Markdown)",
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(
            attrs={
                "rows": 14,
                "hx-post": reverse_lazy("studio:markdown_preview"),
                "hx-trigger": "input changed delay:400ms, load",
                "hx-target": "#markdown-preview",
                "hx-swap": "innerHTML",
            }
        ),
        help_text="**bold**, _italic_, # headings, - lists, [links](https://…). The preview below shows "
        "what students see.",
    )
    video_url = forms.CharField(
        label="Video address",
        required=False,
        max_length=500,
        help_text=f"{ALLOWED_DESCRIPTION[0].upper()}{ALLOWED_DESCRIPTION[1:]}.",
    )
    available_after_days = forms.IntegerField(
        label="Available after (days)",
        required=False,
        min_value=0,
        max_value=DRIP_MAX_DAYS,
        help_text="Drip: the lesson opens this many days after each student's enrolment. Empty: at once.",
    )
    free_preview = forms.BooleanField(
        label="Free preview", required=False, help_text="Anyone can open it from the sales page."
    )
    file = forms.FileField(
        label="Add a downloadable file",
        required=False,
        help_text="Up to 200 MB; only students can download it.",
    )

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", "No section"), *[(str(s.pk), s.title) for s in sections]]
