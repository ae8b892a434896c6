"""Issue 10, finding 11: a hostile (or broken) server cannot hang, exhaust or disarm the client.

- a ``$next`` link back to the same or an earlier page, or paging that never ends, stops with a
  clear error (cycle detection and a cap on pages per listing);
- a body over the response size cap, a gzip/deflate bomb included, is refused while it is read,
  with memory bounded by the cap rather than by what the server sends;
- a token endpoint answering 200 with a body that is not a token response keeps the raw answer
  (which holds the rotated refresh token) beside the token store, 0600, and says where.

Every server here is an ``httpx.MockTransport``; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import stat
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from sage_accounting import _paging
from sage_accounting.connection import PROFILE
from sageflow._errors import AuthenticationError, ResponseLimitError
from sageflow._http import (
    AsyncClient,
    Client,
    Connection,
    ConnectionSettings,
    FileTokenStore,
    MemoryTokenStore,
    OAuthClient,
    TokenManager,
    TokenSet,
)
from sageflow._http._client import DEFAULT_MAX_RESPONSE_BYTES
from sageflow._values import HTTPRequest

API = "https://api.accounting.sage.com/v3.1"
TOKEN_URL = "https://oauth.accounting.sage.com/token"
OLD_REFRESH = "RT-old-spent-already-0001"
NEW_REFRESH = "RT-rotated-only-live-copy-0002"
NEW_ACCESS = "AT-fresh-access-token-0003"
NOW = 1_800_000_000.0


def _page(items: int, next_link: str | None, page: int = 1) -> dict[str, Any]:
    return {
        "$total": 10**6,
        "$page": page,
        "$next": next_link,
        "$back": None,
        "$itemsPerPage": items,
        "$items": [
            {"id": f"c{page}-{n}", "displayed_as": "x", "$path": "/x"} for n in range(items)
        ],
    }


class Pages:
    """A list endpoint whose ``$next`` is chosen by ``link(page_number)``."""

    def __init__(self, link: Any) -> None:
        self.link = link
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        number = int(request.url.params.get("page", "1"))
        return httpx.Response(200, json=_page(2, self.link(number), number))


def _client(handler: Any, **options: Any) -> Client:
    connection = Connection.with_token(API, "token-for-hostile-tests", PROFILE)
    return Client(connection, transport=httpx.MockTransport(handler), **options)


def _fetch_all(handler: Any) -> dict[str, Any]:
    with _client(handler) as client:
        return client.call("sage_accounting/listContacts", {"fetchAll": True})


# -- $next cycles and endless paging ---------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "requests"),
    [
        pytest.param(lambda n: "/contacts?page=1&items_per_page=200", 1, id="same-page"),
        pytest.param(lambda n: f"/contacts?page={n}&items_per_page=200", 1, id="itself"),
        pytest.param(
            lambda n: f"/contacts?page={n + 1 if n < 3 else 2}&items_per_page=200",
            3,
            id="back-to-an-earlier-page",
        ),
        pytest.param(
            lambda n: f"/v3.1/contacts?items_per_page=200&page={n + 1 if n < 4 else 1}",
            4,
            id="back-to-the-first-page",
        ),
    ],
)
def test_a_next_link_back_to_a_fetched_page_stops_with_a_clear_error(
    link: Any, requests: int
) -> None:
    pages = Pages(link)
    with pytest.raises(ResponseLimitError, match=r"points back to a page already fetched"):
        _fetch_all(pages)
    assert len(pages.requests) == requests


def test_a_next_link_without_page_numbers_that_repeats_is_caught() -> None:
    # Cursor-style links carry no page number: the exact link seen before is the cycle.
    cursors = {"": "/contacts?cursor=b", "b": "/contacts?cursor=c", "c": "/contacts?cursor=b"}
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor", "")
        sent.append(cursor)
        return httpx.Response(200, json=_page(1, cursors[cursor]))

    with pytest.raises(ResponseLimitError, match="already fetched"):
        _fetch_all(handler)
    assert sent == ["", "b", "c"]


def test_endless_paging_stops_at_the_page_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _paging.MAX_PAGES_PER_LISTING == 10_000  # the documented policy
    monkeypatch.setattr(_paging, "MAX_PAGES_PER_LISTING", 40)  # the same rule, 40 requests
    pages = Pages(lambda n: f"/contacts?page={n + 1}&items_per_page=200")
    with pytest.raises(ResponseLimitError, match=r"still has a \$next link after 40 pages"):
        _fetch_all(pages)
    assert len(pages.requests) == 40


def test_honest_paging_still_reads_every_page() -> None:
    pages = Pages(lambda n: f"/contacts?page={n + 1}&items_per_page=200" if n < 5 else None)
    out = _fetch_all(pages)
    assert out["pagesFetched"] == 5
    assert len(out["items"]) == 10


# -- response size cap ------------------------------------------------------------------------


def _bomb(size: int, coding: str) -> bytes:
    """``size`` zero bytes compressed (about 1,000:1), built without holding ``size`` bytes."""
    if coding == "gzip":
        packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    elif coding == "deflate":
        packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS)
    else:  # raw deflate, which httpx (and so the layer) also accepts as "deflate"
        packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    parts = [packer.compress(block) for _ in range(size >> 20)]
    return b"".join(parts) + packer.flush()


def _serving(body: bytes, coding: str | None) -> Any:
    headers = {"content-type": "application/json"}
    if coding:
        headers["content-encoding"] = "deflate" if coding == "raw-deflate" else coding
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        # A stream, as from a socket: httpx would otherwise decode it before the client sees it.
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

    handler.calls = calls  # type: ignore[attr-defined]
    return handler


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
def test_a_decompression_bomb_is_refused_within_the_cap(coding: str) -> None:
    bomb = _bomb(256 << 20, coding)  # 256 MiB of zeros in ~250 KB
    assert len(bomb) < 1 << 20
    handler = _serving(bomb, coding)
    tracemalloc.start()
    try:
        with _client(handler) as client, pytest.raises(ResponseLimitError) as raised:
            client.send(HTTPRequest("GET", "/contacts"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "64" in str(raised.value)  # the limit is named (64 MiB = 67,108,864 bytes)
    assert "67,108,864-byte limit" in str(raised.value)
    # Memory follows the cap, not the 256 MiB the server tried to make us hold.
    assert peak < DEFAULT_MAX_RESPONSE_BYTES + (16 << 20)
    assert handler.calls == [1]  # refused, not retried


def test_the_cap_is_configurable_and_exact() -> None:
    body = b"x" * 1000
    with _client(_serving(body, None), max_response_bytes=1000) as client:
        assert client.send(HTTPRequest("GET", "/contacts")).content == body
    with (
        _client(_serving(body, None), max_response_bytes=999) as client,
        pytest.raises(ResponseLimitError, match="999-byte limit"),
    ):
        client.send(HTTPRequest("GET", "/contacts"))
    packed = gzip.compress(body)
    with _client(_serving(packed, "gzip"), max_response_bytes=1000) as client:
        assert client.send(HTTPRequest("GET", "/contacts")).content == body
    with (
        _client(_serving(packed, "gzip"), max_response_bytes=999) as client,
        pytest.raises(ResponseLimitError),
    ):
        client.send(HTTPRequest("GET", "/contacts"))


def test_an_honest_compressed_page_reads_as_before() -> None:
    page = json.dumps(_page(200, None)).encode()
    with _client(_serving(gzip.compress(page), "gzip")) as client:
        response = client.send(HTTPRequest("GET", "/contacts"))
    assert response.json() == _page(200, None)


def test_the_async_client_has_the_same_cap() -> None:
    bomb = _bomb(32 << 20, "gzip")
    connection = Connection.with_token(API, "token-for-hostile-tests", PROFILE)

    async def go() -> None:
        transport = httpx.MockTransport(_serving(bomb, "gzip"))
        async with AsyncClient(connection, transport=transport, max_response_bytes=1 << 20) as c:
            await c.send(HTTPRequest("GET", "/contacts"))

    with pytest.raises(ResponseLimitError, match="1,048,576-byte limit"):
        asyncio.run(go())


# -- a token endpoint answering 200 with something that is not a token response -----------


def _oauth_client() -> OAuthClient:
    return OAuthClient(
        client_id="hostile-client",
        client_secret=SecretStr("hostile-client-secret-0004"),
        token_url=TOKEN_URL,
        authorize_url="https://www.sageone.com/oauth2/auth/central?filter=apiv3.1",
    )


UNREADABLE = [
    pytest.param(
        f"access_token={NEW_ACCESS}&refresh_token={NEW_REFRESH}".encode(), id="form-not-json"
    ),
    pytest.param(
        json.dumps(
            {"access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": "soon"}
        ).encode(),
        id="expires-in-soon",
    ),
    pytest.param(
        json.dumps(
            {"access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": float("inf")}
        ).encode(),
        id="expires-in-infinity",
    ),
    pytest.param(json.dumps([{"refresh_token": NEW_REFRESH}]).encode(), id="json-array"),
    pytest.param(
        json.dumps({"refresh_token": NEW_REFRESH, "access_token": 5}).encode(),
        id="access-token-not-a-string",
    ),
]


def _token_server(answer: bytes) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            return httpx.Response(200, content=answer, headers={"content-type": "application/json"})
        return httpx.Response(200, json=_page(0, None))

    return handler


@pytest.mark.parametrize("answer", UNREADABLE)
def test_an_unreadable_refresh_answer_is_kept_raw_beside_the_token_file(
    answer: bytes, tmp_path: Path
) -> None:
    store = FileTokenStore(tmp_path / "tokens" / "default.json")
    store.save(TokenSet("AT-expired", OLD_REFRESH, expires_at=NOW - 10))
    before = store.path.read_bytes()
    connection = Connection(
        settings=ConnectionSettings(api_base=API, oauth=_oauth_client()),
        profile=PROFILE,
        tokens=TokenManager(_oauth_client(), store, clock=lambda: NOW),
    )
    with (
        Client(connection, transport=httpx.MockTransport(_token_server(answer))) as client,
        pytest.raises(AuthenticationError) as raised,
    ):
        client.call("sage_accounting/listContacts", {})
    message = str(raised.value)
    kept = [p for p in store.path.parent.iterdir() if ".unreadable-" in p.name]
    assert len(kept) == 1
    assert kept[0].name.startswith("default.json.unreadable-")
    assert kept[0].read_bytes() == answer  # the rotated refresh token is not lost
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert str(kept[0]) in message  # the error says where it is
    assert "answered 200 but" in message
    assert NEW_REFRESH not in message
    assert NEW_ACCESS not in message
    assert json.dumps(raised.value.to_dict()).count(NEW_REFRESH) == 0
    assert store.path.read_bytes() == before  # the store itself is untouched, not truncated


def test_a_host_store_keeps_the_unreadable_answer_too() -> None:
    answer = b"<html>token service maintenance</html>" + NEW_REFRESH.encode()
    store = MemoryTokenStore(TokenSet("AT-expired", OLD_REFRESH, expires_at=NOW - 10))
    connection = Connection(
        settings=ConnectionSettings(api_base=API, oauth=_oauth_client()),
        profile=PROFILE,
        tokens=TokenManager(_oauth_client(), store, clock=lambda: NOW),
    )
    with (
        Client(connection, transport=httpx.MockTransport(_token_server(answer))) as client,
        pytest.raises(AuthenticationError, match=r"MemoryTokenStore.unreadable\[0\]"),
    ):
        client.call("sage_accounting/listContacts", {})
    assert store.unreadable == [answer]


def test_a_readable_refresh_answer_is_still_used() -> None:
    answer = json.dumps(
        {"access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH, "expires_in": "300"}
    ).encode()
    store = MemoryTokenStore(TokenSet("AT-expired", OLD_REFRESH, expires_at=NOW - 10))
    connection = Connection(
        settings=ConnectionSettings(api_base=API, oauth=_oauth_client()),
        profile=PROFILE,
        tokens=TokenManager(_oauth_client(), store, clock=lambda: NOW),
    )
    with Client(connection, transport=httpx.MockTransport(_token_server(answer))) as client:
        client.call("sage_accounting/listContacts", {})
    assert store.tokens is not None
    assert store.tokens.refresh_token == NEW_REFRESH
    assert store.tokens.expires_at == NOW + 300
    assert store.unreadable == []
