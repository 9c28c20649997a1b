"""Every event the code can write has a type from AuditEventType, and every type has its sentence."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from coursedesk.audit.describe import event_sentence
from coursedesk.audit.models import AuditEvent
from coursedesk.audit.services import Actor, audit_record
from coursedesk.audit.types import AuditEventType, AuditSource

CODE = Path(__file__).resolve().parents[2] / "coursedesk"
# Calls that write an audit event, and the argument that carries its type.
WRITERS = {"audit_record": ("type", None), "subscription_status_move": ("type", 2), "_audit": ("type", 1)}


def _type_arguments():
    """(place, expression) of the type argument of every call that writes an event."""
    for path in CODE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in WRITERS:
                continue
            keyword, position = WRITERS[name]
            argument = next((k.value for k in node.keywords if k.arg == keyword), None)
            if argument is None and position is not None and len(node.args) > position:
                argument = node.args[position]
            if argument is not None:
                yield f"{path.relative_to(CODE.parent)}:{node.lineno}", argument


def test_the_code_writes_only_declared_types():
    places = list(_type_arguments())
    assert len(places) > 20  # the scan finds the writers (a renamed writer would empty it)
    for place, argument in places:
        choices = [argument.body, argument.orelse] if isinstance(argument, ast.IfExp) else [argument]
        for choice in choices:
            if isinstance(choice, ast.Name):  # a parameter passed on, e.g. `type=type`
                continue
            assert isinstance(choice, ast.Attribute), f"{place}: write AuditEventType.<NAME>, not a literal"
            assert isinstance(choice.value, ast.Name) and choice.value.id == "AuditEventType", place
            assert choice.attr in AuditEventType.names, f"{place}: AuditEventType has no {choice.attr}"


@pytest.mark.parametrize("event_type", list(AuditEventType))
def test_every_type_has_a_sentence(event_type):
    event = AuditEvent(
        type=event_type.value,
        data={"course": "Watercolor", "amount": 1900, "currency": "usd", "subject": "Welcome"},
    )
    sentence = event_sentence(event)
    assert sentence == event_type.label.format(course="Watercolor", amount="$19.00", subject="Welcome")
    assert event_type.value not in sentence


def test_an_unknown_type_or_source_is_refused_and_nothing_is_stored(creator, customer):
    with pytest.raises(ValueError):
        audit_record(
            creator=creator,
            customer=customer,
            type="password_reset.requested",
            actor=Actor.system(),
            source="desk",
        )
    with pytest.raises(ValueError):
        audit_record(
            creator=creator,
            customer=customer,
            type=AuditEventType.CUSTOMER_UPDATED,
            actor=Actor.system(),
            source="renewals",
        )
    assert AuditEvent.objects.count() == 0


def test_sources_are_the_declared_ones(creator, customer):
    event = audit_record(
        creator=creator,
        customer=customer,
        type=AuditEventType.CUSTOMER_UPDATED,
        actor=Actor.system(),
        source=AuditSource.RENEWAL,
    )
    assert AuditEvent.objects.get(pk=event.pk).source == "renewal"
