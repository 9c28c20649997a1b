"""The pages' Jinja2 templates (coursedesk/jinja2/): each compiles, and none names a method without
calling it. Django's templates call methods by themselves; Jinja2 writes a method written without
parentheses as "<bound method …>", and a condition on one is always true. Writing one on a page
raises (config/templates.py); this finds them in conditions and loops too, before any page is
rendered."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from functools import cache
from pathlib import Path

import jinja2
from django.conf import settings
from django.db.models import Model
from django.forms import BaseForm, BoundField
from django.template import engines

import coursedesk
from config.templates import environment

TEMPLATE_DIRS = [
    Path(settings.BASE_DIR) / "coursedesk" / "jinja2",
    Path(settings.BASE_DIR) / "bench" / "jinja2",
]


def _templates() -> list[Path]:
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*") if path.is_file())


@cache
def _method_names() -> frozenset[str]:
    """The names that are methods of CourseDesk's classes (models, forms, dataclasses, with Django's
    own) and never a field, a property or a plain attribute of any of them. A name that is both (a
    method of one class and a field of another) is left to reading."""
    classes = {BoundField, BaseForm, Model}
    for module_info in pkgutil.walk_packages(coursedesk.__path__, "coursedesk."):
        if ".migrations" in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        classes.update(
            value
            for value in vars(module).values()
            if inspect.isclass(value) and value.__module__ == module.__name__
        )
    methods, attributes = set(), set()
    for cls in classes:
        if issubclass(cls, Model) and hasattr(cls, "_meta") and not cls._meta.abstract:
            attributes.update(field.name for field in cls._meta.get_fields())
            attributes.update(field.attname for field in cls._meta.concrete_fields)
        for klass in cls.__mro__:
            if klass is object or not klass.__module__.startswith(("coursedesk", "django")):
                continue
            attributes.update(getattr(klass, "__annotations__", {}))
            for name, value in vars(klass).items():
                (methods if inspect.isfunction(value) else attributes).add(name)
    return frozenset(name for name in methods - attributes - NOT_METHODS_HERE if not name.startswith("_"))


# Method names that the templates read as something else: a form's field (`export_form.format`).
NOT_METHODS_HERE = {"format"}

# An attribute read inside {{ }} or {% %}: .name not followed by "(".
_EXPRESSION = re.compile(r"{{.*?}}|{%.*?%}", re.S)
_ATTRIBUTE = re.compile(r"(?<!\bloop)\.([A-Za-z_]\w*)\b(?!\s*\()")
_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")


def test_every_page_template_compiles():
    env = environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIRS))
    for path in _templates():
        folder = next(folder for folder in TEMPLATE_DIRS if folder in path.parents)
        env.get_template(str(path.relative_to(folder)))


def test_no_template_names_a_method_without_calling_it():
    methods = _method_names()
    found = []
    for path in _templates():
        text = path.read_text()
        for expression in _EXPRESSION.findall(text):
            for name in _ATTRIBUTE.findall(_STRING.sub("''", expression)):
                if name in methods:
                    found.append(f"{path.name}: .{name} in {expression.strip()[:100]}")
    assert found == []


def test_a_method_written_without_its_call_is_an_error_not_text():
    template = engines["jinja2"].from_string("{{ customer.get_full_name }}")

    class Customer:
        def get_full_name(self):
            return "Ada"

    try:
        template.render({"customer": Customer()})
    except TypeError as error:
        assert "without being called" in str(error)
    else:
        raise AssertionError("a method was written as text")


def test_a_filter_given_a_missing_value_writes_what_django_would():
    template = engines["jinja2"].from_string(
        '{{ enrolment.ends_at|day("never") }}|{{ enrolment.ends_at|date("Y") }}'
    )
    assert template.render({"enrolment": None}) == "never|"
