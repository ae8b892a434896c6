"""The hot path builds requests itself: it must send exactly what httpx's build_request would."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from httpkit import ACCESS, API, token_connection

from sage_accounting.connection import PROFILE
from sageflow import CallOptions, HTTPRequest, UnsafeRequestError
from sageflow._http import AsyncClient, Client


def _recorder() -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "x"}, headers={"Set-Cookie": "session=abc"})

    return httpx.MockTransport(handler), seen


def _expected(request: HTTPRequest, key: str | None) -> httpx.Request:
    """What plain httpx builds for the same request, the reference the fast path must match
    (with the key attached where the pack's profile puts it: a body field or a header)."""
    if key is not None:
        request, _ = PROFILE.idempotency(request, key)
    headers = {"User-Agent": "sageflow", "Accept": "application/json", "X-Business": "b1"}
    headers.update(request.headers)
    headers["Authorization"] = f"Bearer {ACCESS}"
    with httpx.Client() as plain:
        return plain.build_request(
            request.method,
            API + request.path,
            params=tuple(request.query_pairs()) or None,
            json=request.json,
            headers=headers,
        )


CASES = [
    pytest.param(
        HTTPRequest("GET", "/contacts", query={"search": "A B", "x": True}), None, id="get"
    ),
    pytest.param(HTTPRequest("POST", "/contacts", json={"contact": {"name": "é"}}), "k", id="post"),
    pytest.param(HTTPRequest("GET", "/contacts/c1"), None, id="get-no-query"),
    pytest.param(
        HTTPRequest("POST", "/draft_tax_returns", json={"draft_tax_return": {}}), "k", id="tax"
    ),
    pytest.param(HTTPRequest("POST", "/sales_invoices/i1/release"), "k", id="post-no-body"),
    pytest.param(HTTPRequest("DELETE", "/contacts/c1"), "k", id="delete"),
    pytest.param(HTTPRequest("PUT", "/x", json=[1, "ü", None, 2.5]), "k", id="put-list"),
    pytest.param(
        HTTPRequest("PUT", "/contacts/c1", json={"a": 1}, headers={"accept-encoding": "identity"}),
        "k",
        id="header-override",
    ),
]


@pytest.mark.parametrize(("request_value", "key"), CASES)
def test_sync_requests_match_httpx_build_request(
    request_value: HTTPRequest, key: str | None
) -> None:
    transport, seen = _recorder()
    with Client(token_connection("b1"), transport=transport) as client:
        client.send(request_value, CallOptions(idempotency_key="k"))
    want = _expected(request_value, key)
    (got,) = seen
    assert (got.method, got.url, got.content) == (want.method, want.url, want.content)
    agent = got.headers["user-agent"].encode()
    assert got.headers.raw == [(k, v.replace(b"sageflow", agent)) for k, v in want.headers.raw]
    assert got.extensions["timeout"] == httpx.Timeout(30.0).as_dict()


def test_async_requests_match_sync() -> None:
    sync_transport, sync_seen = _recorder()
    async_transport, async_seen = _recorder()
    request = HTTPRequest("POST", "/contacts", json={"contact": {"name": "x"}}, timeout=5)
    with Client(token_connection("b1"), transport=sync_transport) as client:
        client.send(request, CallOptions(idempotency_key="k"))

    async def go() -> None:
        async with AsyncClient(token_connection("b1"), transport=async_transport) as client:
            await client.send(request, CallOptions(idempotency_key="k"))

    asyncio.run(go())
    (a,), (b,) = sync_seen, async_seen
    assert (a.url, a.headers.raw, a.content) == (b.url, b.headers.raw, b.content)
    assert a.extensions["timeout"] == b.extensions["timeout"] == httpx.Timeout(5).as_dict()


def test_cookies_from_the_api_are_never_replayed() -> None:
    # The layer authenticates with a bearer token and refuses a Cookie header from handlers;
    # a Set-Cookie from the API is not kept either (and not parsed: that costs per response).
    transport, seen = _recorder()
    with Client(token_connection(), transport=transport) as client:
        client.send(HTTPRequest("GET", "/contacts"))
        client.send(HTTPRequest("GET", "/contacts"))
        assert not client.http.cookies
    assert all("cookie" not in r.headers for r in seen)


def test_a_cached_path_is_still_checked_every_time_it_is_new() -> None:
    transport, seen = _recorder()
    with Client(token_connection(), transport=transport) as client:
        client.send(HTTPRequest("GET", "/contacts"))
        for bad in ("//evil.example/x", "/a/../../x", "/%2e%2e/x"):
            with pytest.raises(UnsafeRequestError):
                client.send(HTTPRequest("GET", bad))
        client.send(HTTPRequest("GET", "/contacts"))
    assert [str(r.url) for r in seen] == [f"{API}/contacts", f"{API}/contacts"]


def test_a_body_json_cannot_encode_fails_as_httpx_would() -> None:
    transport, seen = _recorder()
    with (
        Client(token_connection(), transport=transport) as client,
        pytest.raises(ValueError, match="JSON"),
    ):
        client.send(HTTPRequest("POST", "/contacts", json={"amount": float("nan")}))
    with pytest.raises(ValueError, match="JSON"):
        httpx.Request("POST", API, json={"amount": float("nan")})
    assert seen == []
