import datetime as dt

import pytest

from coursedesk.core import clock


def test_a_fixed_clock_moves_only_when_told(frozen_now):
    assert clock.now() == frozen_now
    clock.advance(dt.timedelta(hours=24))
    assert clock.now() == frozen_now + dt.timedelta(hours=24)


def test_the_clock_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        clock.set_now(dt.datetime(2026, 1, 1))


def test_frozen_restores_the_previous_time(frozen_now):
    with clock.frozen(frozen_now - dt.timedelta(days=3)):
        assert clock.now() == frozen_now - dt.timedelta(days=3)
    assert clock.now() == frozen_now
