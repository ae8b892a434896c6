"""SSRF: every attempt to point rawRequest (or any request value) off the API is refused, and
nothing at all reaches the network: through the HTTP client, the component, and a flow."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from sage_accounting.connection import PROFILE
from sageflow import HTTPRequest, arun_flow, load_flow
from sageflow._errors import InputValidationError, UnsafeRequestError
from sageflow._http import AsyncClient, Connection

API = "https://api.accounting.sage.com/v3.1"

CORPUS = [
    "https://evil.example/x",
    "HTTPS://evil.example",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://127.0.0.1:22/",
    "http://[::1]/",
    "https://api.accounting.sage.com.evil.example/v3.1/x",
    "https://api.accounting.sage.com@evil.example/",
    "//evil.example/x",
    "///evil.example/x",
    "//127.0.0.1",
    "\\\\evil.example\\x",
    "/\\evil.example",
    "\\/evil",
    "/contacts@evil.example",
    "/contacts#@evil",
    "/%2e%2e/%2e%2e/admin",
    "/.%2e/x",
    "/contacts%2f..%2f..%2fadmin",
    "/%2F%2Fevil",
    "/%252e%252e/admin",
    "/contacts/%252F",
    "/contacts%5c..",
    "/contacts%40evil.example",
    "/contacts%3a//evil",
    "/contacts%00",
    "/../admin",
    "/contacts/../../v1/admin",
    "/a/b/../../..",
    "../contacts",
    "%2e%2e/x",
    "/contacts\r\nHost: evil.example",
    "/contacts\n",
    "/contacts\x00.evil",
    "/contacts\t",
    "/\x7f",
    "/contacts\x85",
    " //evil.example",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/plain,hi",
    "gopher://evil.example:70/_",
    "evil.example:443/x",
    "/contacts\u2028evil",
    "/contacts\u200b/x",
    "/\uff0f\uff0fevil.example",
    "/contacts\uff0e\uff0e/x",
    "/\u2215evil.example",
    "/contacts/\u2025/x",
    "",
]
HEADER_ATTACKS = [
    {"Authorization": "Bearer stolen-elsewhere"},
    {"Host": "evil.example"},
    {"Cookie": "session=1"},
    {"Proxy-Authorization": "Basic eDp5"},
]


class Recorder:
    """A transport that records whatever would have gone on the wire (nothing, we hope)."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            return httpx.Response(200, json={})

        return httpx.MockTransport(handle)


def caller(recorder: Recorder) -> AsyncClient:
    return AsyncClient(
        Connection.with_token(API, "ssrf-test-token-0123456789", PROFILE),
        transport=recorder.transport(),
    )


def test_the_corpus_is_large() -> None:
    assert len(CORPUS) >= 40
    assert len(set(CORPUS)) == len(CORPUS)


@pytest.mark.parametrize("url", CORPUS)
def test_the_http_client_refuses_and_sends_nothing(url: str) -> None:
    recorder = Recorder()

    async def go() -> None:
        async with caller(recorder) as client:
            await client.send(HTTPRequest("GET", url))

    with pytest.raises(UnsafeRequestError):
        asyncio.run(go())
    assert recorder.sent == []


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("url", CORPUS)
def test_raw_request_refuses_and_sends_nothing(url: str, method: str) -> None:
    recorder = Recorder()

    async def go() -> None:
        async with caller(recorder) as client:
            await client.acall("sage_accounting/rawRequest", {"method": method, "url": url})

    with pytest.raises((InputValidationError, UnsafeRequestError)) as refused:
        asyncio.run(go())
    if isinstance(refused.value, InputValidationError):
        assert [p.path for p in refused.value.problems] == ["$.url"]
    assert recorder.sent == []


@pytest.mark.parametrize("headers", HEADER_ATTACKS, ids=lambda h: next(iter(h)))
def test_raw_request_may_not_set_credential_or_host_headers(headers: dict[str, str]) -> None:
    recorder = Recorder()

    async def go() -> None:
        async with caller(recorder) as client:
            inputs = {"method": "GET", "url": "/contacts", "headers": headers}
            await client.acall("sage_accounting/rawRequest", inputs)

    with pytest.raises((InputValidationError, UnsafeRequestError)):
        asyncio.run(go())
    assert recorder.sent == []


def test_urls_computed_at_run_time_by_a_flow_are_refused_too(tmp_path: Path) -> None:
    # Literal URLs are refused when the flow loads; these arrive as inputs, past that check.
    flow = load_flow(
        "ssrf.sageflow.yaml",
        text="""\
name: ssrf
inputs:
  urls: {type: array}
steps:
  - id: raw
    for_each: ${{ inputs.urls }}
    on_error: continue
    retry: {max_attempts: 3, on: [any]}
    uses: sage_accounting/rawRequest
    with: {method: GET, url: "${{ item }}"}
""",
    )
    recorder = Recorder()
    result = asyncio.run(
        arun_flow(flow, {"urls": CORPUS}, caller=caller(recorder), journal=tmp_path / "runs.db")
    )
    items: list[dict[str, Any]] = result.steps["raw"].items or []
    assert len(items) == len(CORPUS)
    assert {i["status"] for i in items} == {"failed"}
    kinds = {i["error"]["type"] for i in items}
    assert kinds <= {"InputValidationError", "UnsafeRequestError"}, kinds
    assert recorder.sent == []
