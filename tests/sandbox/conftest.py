"""Fixtures for the sandbox tests: a fresh sandbox on a manual clock, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandboxkit import make_client

from sage_accounting.sandbox import Clock, Sandbox


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(clock=Clock.manual())


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with make_client(sandbox) as http:
        yield http
