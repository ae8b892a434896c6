"""Fixtures for the HTTP layer tests."""

from __future__ import annotations

import pytest
from httpkit import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()
