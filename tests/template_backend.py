"""The pages' Jinja2 engine as the test client sees Django's own: each page rendered is reported
with its context, so that `response.context["listing"]` and `response.templates` work as they do for
Django's templates (which Django instruments itself). Used by the test settings only."""

from __future__ import annotations

from django.template.backends.jinja2 import Jinja2, Template
from django.test.signals import template_rendered


class ReportedTemplate(Template):
    @property
    def name(self) -> str:
        return self.template.name

    def render(self, context=None, request=None):
        html = super().render(context, request)
        template_rendered.send(sender=self, template=self, context=context or {})
        return html


class ReportingJinja2(Jinja2):
    def get_template(self, template_name):
        template = super().get_template(template_name)
        return ReportedTemplate(template.template, self)
