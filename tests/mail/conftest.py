"""Fixtures for the mail tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # Request throttling counts live in the (process-wide) cache.
    cache.clear()
    yield
    cache.clear()
