"""Drives a pack component's pure handler with canned responses: no network, no sandbox."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from sage_accounting import PACK
from sage_accounting.connection import PROFILE
from sage_accounting.sandbox import DEV_TOKEN, Sandbox
from sageflow import HTTPRequest, HTTPResponse
from sageflow._http import Client, Connection, RetryPolicy


def page(items: list[dict[str, Any]], next_link: str | None = None, n: int = 1) -> HTTPResponse:
    """A Sage list envelope as a response."""
    return HTTPResponse.from_json(
        200,
        {
            "$total": len(items),
            "$page": n,
            "$next": next_link,
            "$back": None,
            "$itemsPerPage": 20,
            "$items": items,
        },
    )


def run(
    key: str,
    inputs: Mapping[str, Any],
    responses: Sequence[HTTPResponse] = (),
) -> tuple[list[HTTPRequest], dict[str, Any]]:
    """Run ``key`` on ``inputs``; answer each request with the next response.

    Once ``responses`` run out, an empty Sage list answers: it satisfies list, get and write
    handlers alike, for tests that only look at the requests. A tax rate GET (an invoice write
    working out its lines' VAT) is answered with that rate at 20%, GB's standard rate.

    Returns every request sent and the output.
    """
    action = PACK.get(key).start(inputs)
    queue = list(responses)
    sent = [next(action)]
    while True:
        reply = queue.pop(0) if queue else _default_reply(sent[-1])
        try:
            sent.append(action.send(reply))
        except StopIteration as done:
            return sent, done.value


def _default_reply(request: HTTPRequest) -> HTTPResponse:
    if request.method == "GET" and request.path.startswith("/tax_rates/"):
        rate_id = request.path.rsplit("/", 1)[-1]
        return HTTPResponse.from_json(200, {"id": rate_id, "percentage": "20.0"})
    return page([])


def first(key: str, inputs: Mapping[str, Any]) -> HTTPRequest:
    """The first request ``key`` builds for ``inputs``."""
    return run(key, inputs)[0][0]


def suite_conftest() -> ModuleType:
    """``tests/conftest.py`` (load_sample, spec_operation), loaded by path.

    Other test folders have a ``conftest.py`` outside a package too, so the bare name
    ``conftest`` may resolve to theirs in a full run; a path cannot.
    """
    return by_path("sageflow_suite_conftest", "conftest.py")


def by_path(name: str, relative: str) -> ModuleType:
    """The test helper module at ``tests/<relative>``, loaded once under ``name``."""
    if name not in sys.modules:
        path = Path(__file__).resolve().parent.parent / relative
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def load_sample(name: str) -> Any:
    """A recorded Sage response from ../shared (skips with the reason when it is absent)."""
    return suite_conftest().load_sample(name)


def layer_client(sandbox: Sandbox, transport: httpx.BaseTransport | None = None) -> Client:
    """The HTTP layer on ``sandbox`` (or on ``transport``, a sandbox that drops answers...),
    with the pack's profile, no real sleeping and no jitter: what exactly-once tests drive."""
    return Client(
        Connection.with_token(sandbox.api_base, DEV_TOKEN, PROFILE),
        transport=transport or sandbox.transport(),
        sleep=lambda _seconds: None,
        retry=RetryPolicy(random=lambda: 0.0),
    )


def dropping_first_post(sandbox: Sandbox) -> tuple[httpx.MockTransport, list[int]]:
    """``sandbox``, losing its answer to the first POST after handling it (a connection cut
    after the commit), and the count of POSTs it saw."""
    inner = sandbox.transport()
    posts = [0]

    def handle(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        if request.method == "POST":
            posts[0] += 1
            if posts[0] == 1:
                response.read()
                raise httpx.ReadError("connection dropped after commit", request=request)
        return response

    return httpx.MockTransport(handle), posts
