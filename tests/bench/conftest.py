"""The API client of the contract tests: the benchmark compares against the API's CSV export."""

from tests.api.conftest import api  # noqa: F401
