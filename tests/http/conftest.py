"""Fixtures for the HTTP layer tests."""

from __future__ import annotations

import pytest
from httpkit import Clock

from sageflow._http import Limiter, LimitSettings
from sageflow._http import _client as client_module


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def _unshared_unlimited_limiter(monkeypatch: pytest.MonkeyPatch) -> None:
    # The process-wide limiter would pace these tests at Sage's real 15 requests/s (with real
    # sleeps) and carry its bucket from one test to the next; tests of the limits build their own.
    unlimited = LimitSettings(requests_per_day=10**12, burst=10**9)
    monkeypatch.setattr(client_module, "shared_limiter", lambda key: Limiter(unlimited))
