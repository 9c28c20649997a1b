"""The timeline in templates: {{ event|event_sentence }}, {{ event|event_actor }} and
{% for line in event|event_changes %}, read from audit.describe."""

from django import template

from coursedesk.audit import describe

register = template.Library()
register.filter("event_sentence", describe.event_sentence)
register.filter("event_changes", describe.event_changes)
register.filter("event_actor", describe.event_actor)
