"""The studio's forms: what a creator types. The rules that check it live in the catalog's services."""

from __future__ import annotations

from django import forms

from coursedesk.catalog.services import DESCRIPTION_MAX, SLUG_MAX, THUMBNAIL_MAX_BYTES, TITLE_MAX


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
