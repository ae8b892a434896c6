"""Fixtures of the Temporal tests: one dev server for the session, sandboxes served over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("temporalio", reason="the temporal extra is not installed")

from sageflow._temporal._devserver import DevServer, DevServerError, start_dev_server
from sageflow._temporal._sandbox import ServedSandbox, start_served_sandbox


@pytest.fixture(scope="session")
def temporal_dev_server() -> Iterator[DevServer]:
    """The session's Temporal dev server (in memory, 127.0.0.1, a free port), stopped after.

    Skipped, with the reason, only when the ``temporal`` binary is absent or cannot start.
    """
    try:
        server = start_dev_server()
    except DevServerError as error:
        pytest.skip(f"no Temporal dev server: {error}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def temporal_server(temporal_dev_server: DevServer) -> str:
    """The dev server's address, ``127.0.0.1:PORT`` (``Client.connect(temporal_server)``)."""
    return temporal_dev_server.address


@pytest.fixture
def task_queue(request: pytest.FixtureRequest) -> str:
    """A task queue of this test's own, so tests sharing the server never steal each other's
    tasks."""
    return "test-" + request.node.name.replace("[", "-").replace("]", "")[:80]


@pytest.fixture
def serve_sandbox() -> Iterator[Callable[..., ServedSandbox]]:
    """``serve_sandbox(packs=("sage_accounting",), **factory_options)``: one sandbox served over
    HTTP on a free port from a thread, for every worker of a test (in-process or subprocess, via
    ``served.env``); stopped at the end of the test. In memory, fresh per call."""
    started: list[ServedSandbox] = []

    def serve(packs: tuple[str, ...] = ("sage_accounting",), **options: Any) -> ServedSandbox:
        served = start_served_sandbox(packs, options=options)
        started.append(served)
        return served

    yield serve
    for served in started:
        served.stop()


@pytest.fixture
def served_sandbox(serve_sandbox: Callable[..., ServedSandbox]) -> ServedSandbox:
    """The Sage Accounting sandbox served over HTTP with its defaults (idempotency on)."""
    return serve_sandbox()
