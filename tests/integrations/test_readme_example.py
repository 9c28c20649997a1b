"""The README's consumer example, run as written against a real delivery (Flask stood in by the
little of it the example uses): it accepts what CourseDesk signs and refuses anything altered."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest
from standardwebhooks import WebhookVerificationError

from coursedesk.audit.services import Actor
from coursedesk.customers import services as customer_services

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    section = README.read_text().split("## Integrations", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return code


class Request:
    body, headers = b"", {}

    def get_data(self):
        return self.body


@pytest.fixture
def flask_stand_in(monkeypatch):
    module = types.ModuleType("flask")
    module.request = Request()
    routes = {}

    class Flask:
        def __init__(self, name):
            pass

        def post(self, path):
            def register(view):
                routes[path] = view
                return view

            return register

    module.Flask = Flask
    monkeypatch.setitem(sys.modules, "flask", module)
    return module, routes


def test_the_readme_consumer_verifies_a_delivery(
    creator, enrolment, endpoint, secret, receiver, flask_stand_in, capsys, django_capture_on_commit_callbacks
):
    code = readme_example()
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.enrolment_revoke(enrolment=enrolment, actor=Actor.creator(creator), source="desk")
    [delivery] = receiver.requests
    flask, routes = flask_stand_in
    exec(code.replace("whsec_...", secret), {"__name__": "consumer"})
    view = routes["/coursedesk"]

    flask.request.body, flask.request.headers = delivery["body"].encode(), delivery["headers"]
    assert view() == ("", 204)
    assert "enrolment.revoked" in capsys.readouterr().out

    flask.request.body = delivery["body"].replace("revoked", "active").encode()
    with pytest.raises(WebhookVerificationError):
        view()
