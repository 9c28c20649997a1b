"""The PostgreSQL backend (coursedesk/core/postgresql): a kept connection's health is checked
without a round trip, and a connection the server ended is still replaced before a request uses it.

Requests here go through Django's WSGI handler as a server calls it, so request_started and
request_finished do what they do in production (the test client leaves out their connection
handling)."""

import contextlib
import time
from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.test import RequestFactory

from coursedesk.core.postgresql import base

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


@contextlib.contextmanager
def statements_sent():
    """Every statement sent to the server while it runs (psycopg's connections send theirs
    through a cursor too, as its pool's check does), as a list filled in as they go."""
    with mock.patch.object(
        psycopg.Cursor, "execute", autospec=True, side_effect=psycopg.Cursor.execute
    ) as execute:
        sent = []
        yield sent
        sent.extend(str(call.args[1]) for call in execute.call_args_list)


def serve(path: str, cookie: str) -> tuple[str, list[str]]:
    """GET `path` as a WSGI server would; the status and every statement sent to the server."""
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET", HTTP_COOKIE=cookie)
    statuses = []
    with statements_sent() as sent:
        body = WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(body)
        body.close()
    return statuses[0], sent


@pytest.fixture
def signed_in(client, creator):
    client.force_login(creator)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_postgresql_runs_on_the_backend_with_health_checks():
    assert isinstance(connections["default"], base.DatabaseWrapper)
    assert connections["default"].settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_kept_healthy_connection_is_used_without_a_select_1(signed_in):
    status, _ = serve("/desk/", signed_in)  # opens (or keeps) the connection
    assert status.startswith("200")
    kept = connection.connection

    status, sent = serve("/desk/", signed_in)

    assert status.startswith("200")
    assert connection.connection is kept
    assert sent and "SELECT 1" not in [query.strip() for query in sent]


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(signed_in):
    assert serve("/desk/", signed_in)[0].startswith("200")
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    finally:
        other.close()
    deadline = time.monotonic() + 5
    while base.idle_and_quiet(connection.connection) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not base.idle_and_quiet(connection.connection)  # the server's last words wait on the socket

    status, _ = serve("/desk/", signed_in)

    assert status.startswith("200")
    assert connection.connection.info.backend_pid != pid


def test_a_connection_in_a_transaction_gets_django_s_own_check():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.connection.execute("BEGIN")
    try:
        assert not base.idle_and_quiet(connection.connection)
    finally:
        connection.connection.execute("ROLLBACK")
    assert base.idle_and_quiet(connection.connection)


@pytest.fixture
def pooled():
    """A connection of the test database through psycopg's pool, as DATABASE_POOL configures it."""
    settings_dict = {
        **connection.settings_dict,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            **connection.settings_dict["OPTIONS"],
            "pool": {"min_size": 1, "max_size": 1, "timeout": 10},
        },
    }
    # Its own wrapper under the default alias (the test run allows that alias alone); the pool is
    # kept per alias, and the default connection of the tests has none.
    wrapper = base.DatabaseWrapper(settings_dict, alias="default")
    yield wrapper
    wrapper.close()
    wrapper.close_pool()


def _backend_pid(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_pool_hands_out_a_quiet_connection_without_a_query(pooled):
    assert pooled.pool._check is base.pool_check
    _backend_pid(pooled)
    kept = pooled.connection
    pooled.close()  # back to the pool

    with statements_sent() as sent:
        pooled.ensure_connection()

    assert pooled.connection is kept
    assert sent == []


def test_the_pool_replaces_a_connection_the_server_ended(pooled):
    pid = _backend_pid(pooled)
    dead = pooled.connection
    pooled.close()  # back to the pool, then ended by the server
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    deadline = time.monotonic() + 5
    while base.idle_and_quiet(dead) and time.monotonic() < deadline:
        time.sleep(0.01)

    assert _backend_pid(pooled) != pid  # a working connection, not the ended one
