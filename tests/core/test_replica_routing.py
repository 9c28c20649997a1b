"""Read routing: heavy reads on the replica when it has caught up, everything else on the primary.

These run on the ordinary suite with a stand-in replica status; tests/cluster proves the same rules on
a real PostgreSQL streaming replica.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from coursedesk.core import replica
from coursedesk.core.replica import (
    PRIMARY,
    REPLICA,
    ReadYourWritesMiddleware,
    ReplicaRouter,
    ReplicaStatus,
    current_read_alias,
    lsn_to_int,
    replica_choice,
    replica_reads,
)
from tests.factories import make_creator


def status(replayed="0/3000000", lag=0.0):
    return ReplicaStatus(lsn_to_int(replayed), lag, False, time.monotonic())


@pytest.fixture
def a_replica(monkeypatch, settings):
    """A configured replica whose position the test sets with `a_replica.position = '0/...'`."""

    class StandIn:
        position = "0/3000000"
        lag = 0.0
        down = False
        asked = 0

    stand_in = StandIn()

    def query():
        stand_in.asked += 1
        if stand_in.down:
            from django.db import OperationalError

            raise OperationalError("connection refused")
        return status(stand_in.position, stand_in.lag)

    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    monkeypatch.setattr(replica, "replica_status_query", query)
    settings.DATABASE_REPLICA_MAX_LAG = 30
    replica.replica_status_forget()
    yield stand_in
    replica.replica_status_forget()


def test_wal_positions_order_like_the_wal():
    assert lsn_to_int("0/16B3748") < lsn_to_int("0/16B3749") < lsn_to_int("1/0") < lsn_to_int("16/B374D848")
    assert lsn_to_int("1/0") == 1 << 32
    assert lsn_to_int(None) is None


@pytest.mark.parametrize(
    ("replica_status", "needed", "expected"),
    [
        (None, None, PRIMARY),  # down
        (status(lag=31.0), None, PRIMARY),  # lagging past the limit
        (status(lag=29.0), None, REPLICA),
        (status("0/3000000"), lsn_to_int("0/3000001"), PRIMARY),  # has not replayed the reader's write
        (status("0/3000001"), lsn_to_int("0/3000001"), REPLICA),
        (status(), -1, PRIMARY),  # the reader's position is unknown (cache down)
        (ReplicaStatus(None, 0.0, False, 0.0), None, PRIMARY),  # not in recovery: not a replica
    ],
)
def test_replica_choice(replica_status, needed, expected):
    assert replica_choice(status=replica_status, needed=needed, max_lag=30) == expected


def test_without_a_replica_every_read_is_on_the_primary():
    with replica_reads():
        assert current_read_alias() == PRIMARY
    assert ReplicaRouter().db_for_read(None) == PRIMARY


def test_reads_inside_the_block_go_to_the_replica_and_writes_never(a_replica):
    router = ReplicaRouter()
    assert router.db_for_read(None) == PRIMARY
    with replica_reads():
        assert router.db_for_read(None) == REPLICA
        assert router.db_for_write(None) == PRIMARY
    assert router.db_for_read(None) == PRIMARY
    assert router.allow_migrate(REPLICA, "customers") is False
    assert router.allow_migrate(PRIMARY, "customers") is True


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_stay_on_the_primary(a_replica):
    # Services read under their locks inside a transaction: those reads decide writes.
    with replica_reads():
        with transaction.atomic():
            assert current_read_alias() == PRIMARY
        assert current_read_alias() == REPLICA


def test_a_replica_that_is_down_is_skipped_then_asked_again(a_replica, monkeypatch):
    a_replica.down = True
    with replica_reads():
        assert current_read_alias() == PRIMARY
    asked = a_replica.asked
    with replica_reads():  # not asked again at once: no connection attempt on every request
        assert current_read_alias() == PRIMARY
    assert a_replica.asked == asked
    a_replica.down = False
    monkeypatch.setattr(replica, "DOWN_RETRY_AFTER", 0.0)
    with replica_reads():
        assert current_read_alias() == REPLICA


def test_a_lagging_replica_is_skipped(a_replica):
    a_replica.lag = 45.0
    with replica_reads():
        assert current_read_alias() == PRIMARY


def test_a_view_decorator_keeps_a_streamed_response_on_the_replica(a_replica):
    seen = []

    def rows():
        for n in range(2):
            seen.append(current_read_alias())
            yield f"{n}\n"

    @replica_reads()
    def csv_view(request):
        seen.append(current_read_alias())
        return StreamingHttpResponse(rows())

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    response = csv_view(request)
    assert current_read_alias() == PRIMARY  # the view returned: its block ended
    assert b"".join(response.streaming_content) == b"0\n1\n"
    assert seen == [REPLICA, REPLICA, REPLICA]
    assert current_read_alias() == PRIMARY


def test_a_view_that_raises_leaves_reads_on_the_primary(a_replica):
    @replica_reads()
    def broken(request):
        raise ValueError("boom")

    with pytest.raises(ValueError):
        broken(RequestFactory().get("/"))
    assert current_read_alias() == PRIMARY


@pytest.mark.django_db
def test_a_creator_reads_their_own_write_from_the_primary_until_the_replica_replays_it(
    a_replica, monkeypatch
):
    # Given a creator who just wrote at WAL position 0/5000000, and a replica at 0/3000000
    maya, other = make_creator(), make_creator()
    monkeypatch.setattr(replica, "primary_wal_position", lambda: lsn_to_int("0/5000000"))
    middleware = ReadYourWritesMiddleware(lambda request: HttpResponse())
    write = RequestFactory().post("/desk/enrolments/1/revoke/")
    write.user = maya
    middleware(write)

    def reader(user):
        request = RequestFactory().get("/desk/")
        request.user = user
        return request

    # Then her next page reads the primary; another creator still reads the replica
    assert replica.read_alias_for(reader(maya)) == PRIMARY
    assert replica.read_alias_for(reader(other)) == REPLICA
    # And once the replica has replayed her write, her reads go back to it
    a_replica.position = "0/5000000"
    replica.replica_status_forget()
    assert replica.read_alias_for(reader(maya)) == REPLICA


@pytest.mark.django_db
def test_reads_record_no_write_position(a_replica, monkeypatch):
    maya = make_creator()
    calls = []
    monkeypatch.setattr(replica, "primary_wal_position", lambda: calls.append(1) or 1)
    request = RequestFactory().get("/desk/")
    request.user = maya
    ReadYourWritesMiddleware(lambda request: HttpResponse())(request)
    assert calls == []
    assert replica.write_position_needed(request) is None


def test_the_api_token_owner_is_the_reader(a_replica):
    class Owner:
        pk = 7

    request = RequestFactory().get("/api/v1/customers")
    request.auth = Owner()
    replica.write_position_record(request, 99)
    assert replica.write_position_needed(request) == 99


def test_an_api_block_decides_only_once_its_reader_is_known(a_replica, monkeypatch):
    # An API request authenticates inside the view: the token lookup reads the primary, and the
    # choice is made at the first read after it, with the token owner's last write in mind.
    class Owner:
        pk = 8

    request = RequestFactory().get("/api/v1/customers")
    replica.write_position_record(_as_owner(Owner()), lsn_to_int("0/9000000"))
    seen = []

    @replica_reads()
    def api_view(request):
        seen.append(current_read_alias())  # the token lookup
        request.auth = Owner()
        seen.append(current_read_alias())  # the view's own reads
        return HttpResponse()

    api_view(request)
    assert seen == [PRIMARY, PRIMARY]  # the replica (0/3000000) has not replayed 0/9000000
    a_replica.position = "0/9000000"
    replica.replica_status_forget()
    seen.clear()
    api_view(RequestFactory().get("/api/v1/customers"))
    assert seen == [PRIMARY, REPLICA]


def _as_owner(owner):
    request = RequestFactory().post("/api/v1/enrolments/1/revoke")
    request.auth = owner
    return request


@pytest.fixture
def routed(a_replica, monkeypatch):
    """Records where each read would go, and serves it from the one test database."""
    seen = []

    def record():
        alias = replica._reads_on.get().alias_now() if replica._reads_on.get() is not None else PRIMARY
        seen.append(alias)
        return PRIMARY

    monkeypatch.setattr(replica, "current_read_alias", record)
    return seen


HEAVY_READS = [
    "/desk/",
    "/desk/?q=zoe",
    "/desk/teach/",
    "/desk/courses/{course}/students.csv",
    "/api/v1/customers?q=zoe",
    "/api/v1/customers",
    "/api/v1/activity",
    "/api/v1/courses",
    "/api/v1/courses/{course}/students.csv",
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", HEAVY_READS)
def test_heavy_reads_go_to_the_replica(path, routed, client, creator, course, customer):
    from coursedesk.accounts.models import ApiToken

    _, key = ApiToken.issue(creator=creator)
    client.force_login(creator)
    routed.clear()
    response = client.get(path.format(course=course.pk), headers={"Authorization": f"Bearer {key}"})
    if response.streaming:
        b"".join(response.streaming_content)
    assert response.status_code == 200
    assert REPLICA in routed


@pytest.mark.django_db(transaction=True)
def test_a_profile_and_a_write_read_the_primary(routed, client, creator, customer):
    client.force_login(creator)
    routed.clear()
    assert client.get(f"/desk/customers/{customer.pk}/").status_code == 200
    assert client.post(f"/desk/customers/{customer.pk}/edit/", {"first_name": "Z"}).status_code in (200, 302)
    assert REPLICA not in routed
