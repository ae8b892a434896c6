"""What goes on the wire: headers, idempotency keys, X-Business, the Caller protocol."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Generator
from typing import Any

import httpx
import pytest
from httpkit import ACCESS, API, body, token_connection
from pydantic import BaseModel

from sage_accounting.connection import idempotency_id
from sageflow import Caller, CallOptions, HTTPRequest, HTTPResponse, Inputs, NotFoundError
from sageflow._component import Component
from sageflow._http import USER_AGENT, AsyncClient, Client
from sageflow._version import __version__


class _In(Inputs):
    name: str


class _Out(BaseModel):
    ids: list[str]


def _two_writes(inputs: _In) -> Generator[HTTPRequest, HTTPResponse, dict[str, Any]]:
    found = yield HTTPRequest("GET", "/contacts", query={"search": inputs.name})
    first = yield HTTPRequest("POST", "/contacts", json={"contact": {"name": inputs.name}})
    second = yield HTTPRequest("POST", "/contact_persons", json={"contact_person": {"name": "A"}})
    return {"ids": [str(found.status), first.json()["id"], second.json()["id"]]}


TWO_WRITES = Component(
    pack="sage_accounting",
    key="testTwoWrites",
    title="t",
    description="t",
    inputs=_In,
    output=_Out,
    handler=_two_writes,
    connection="sage_accounting",
    example_input={},
    example_output={},
)


def recorder() -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": f"id{len(seen)}"}, headers={"X-Business": "b1"})

    return httpx.MockTransport(handler), seen


def test_headers_on_a_read() -> None:
    transport, seen = recorder()
    with Client(token_connection("b1"), transport=transport) as client:
        client.send(HTTPRequest("GET", "/contacts", query={"ids": ["a", "b"], "x": True}))
    (request,) = seen
    assert str(request.url) == f"{API}/contacts?ids=a&ids=b&x=true"
    assert request.headers["user-agent"] == USER_AGENT == f"sageflow/{__version__}"
    assert request.headers["accept"] == "application/json"
    assert request.headers["authorization"] == f"Bearer {ACCESS}"
    assert request.headers["x-business"] == "b1"
    assert "x-idempotency-key" not in request.headers


def test_binary_downloads_accept_octet_stream() -> None:
    transport, seen = recorder()
    with Client(token_connection(), transport=transport) as client:
        client.send(HTTPRequest("GET", "/attachments/1/file", response_type="binary"))
    assert seen[0].headers["accept"] == "application/octet-stream"
    assert "x-business" not in seen[0].headers


def test_default_timeout_is_thirty_seconds() -> None:
    with Client(token_connection()) as client:
        assert client.http.timeout.read == 30.0
        assert client.http.timeout.connect == 30.0


def _ids(requests: list[httpx.Request]) -> list[str | None]:
    """Each request's body ``idempotency_id`` (inside its one wrapper), or None."""
    found: list[str | None] = []
    for request in requests:
        sent = body(request)
        inner = next(iter(sent.values())) if isinstance(sent, dict) and len(sent) == 1 else {}
        found.append(inner.get("idempotency_id") if isinstance(inner, dict) else None)
    return found


def test_writes_get_one_key_each_derived_from_the_callers() -> None:
    transport, seen = recorder()
    with Client(token_connection(), transport=transport) as client:
        out = client.call(TWO_WRITES, {"name": "Acme"}, CallOptions(idempotency_key="run/s1/0"))
    assert out == {"ids": ["200", "id2", "id3"]}
    # Sage's mechanism: a 32-hex idempotency_id inside the wrapper, one per write of the call;
    # the header Sage ignores on these resources is not sent.
    assert _ids(seen) == [None, idempotency_id("run/s1/0"), idempotency_id("run/s1/0:2")]
    assert all(len(i) == 32 and i == i.lower() for i in _ids(seen)[1:] if i)
    assert not any("x-idempotency-key" in r.headers for r in seen)
    assert body(seen[1]) == {"contact": {"name": "Acme", "idempotency_id": _ids(seen)[1]}}


def test_writes_without_a_callers_key_get_a_fresh_id() -> None:
    transport, seen = recorder()
    with Client(token_connection(), transport=transport) as client:
        client.call(TWO_WRITES, {"name": "Acme"})
    keys = _ids(seen[1:])
    assert len(set(keys)) == 2
    assert all(k is not None and int(k, 16) >= 0 and len(k) == 32 for k in keys)


@pytest.mark.parametrize(
    ("path", "json", "header", "keyed"),
    [
        pytest.param("/draft_tax_returns", {"draft_tax_return": {}}, True, False, id="tax-header"),
        pytest.param(
            "/tax_returns/obligation_periods", {"x": {}}, True, False, id="obligations-header"
        ),
        pytest.param("/attachments", {"attachment": {"file": "x"}}, False, False, id="unlisted"),
        pytest.param("/sales_invoices", {"sales_invoice": {}}, False, True, id="listed"),
    ],
)
def test_the_key_goes_only_where_sage_documents_it(
    path: str, json: Any, header: bool, keyed: bool
) -> None:
    transport, seen = recorder()
    with Client(token_connection(), transport=transport) as client:
        client.send(HTTPRequest("POST", path, json=json), CallOptions(idempotency_key="k"))
    (request,) = seen
    if header:
        assert request.headers["x-idempotency-key"] == str(uuid.UUID(hex=idempotency_id("k")))
    else:
        assert "x-idempotency-key" not in request.headers
    assert (_ids(seen) == [idempotency_id("k")]) is keyed


def test_business_per_call_and_mismatch_warning(caplog: pytest.LogCaptureFixture) -> None:
    transport, seen = recorder()
    with Client(token_connection("b1"), transport=transport) as client:
        client.send(HTTPRequest("GET", "/contacts"))
        assert not caplog.records
        client.send(HTTPRequest("GET", "/contacts"), CallOptions(business_id="b9"))
    assert seen[1].headers["x-business"] == "b9"
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "b9" in caplog.text
    assert "b1" in caplog.text


def test_async_client_is_a_caller() -> None:
    transport, seen = recorder()

    async def run(caller: Caller) -> dict[str, Any]:
        return await caller.acall(TWO_WRITES, {"name": "Acme"}, CallOptions(idempotency_key="k"))

    async def main() -> dict[str, Any]:
        async with AsyncClient(token_connection(), transport=transport) as client:
            return await run(client)

    assert asyncio.run(main())["ids"] == ["200", "id2", "id3"]
    assert _ids(seen)[2] == idempotency_id("k:2")


def test_call_by_reference_raises_the_packs_typed_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            404, json=[{"$severity": "error", "$dataCode": "RECORD_NOT_FOUND", "$message": "no"}]
        )

    transport = httpx.MockTransport(handler)
    with (
        Client(token_connection(), transport=transport) as client,
        pytest.raises(NotFoundError, match="RECORD_NOT_FOUND"),
    ):
        client.call("sage_accounting/getContact", {"contactId": "nope"})


def test_multipart_and_form_bodies() -> None:
    from sageflow import UploadFile

    transport, seen = recorder()
    with Client(token_connection(), transport=transport) as client:
        client.send(
            HTTPRequest(
                "POST",
                "/attachments",
                form={"kind": "x"},
                files=[UploadFile("file", "a.pdf", b"%PDF", "application/pdf")],
            )
        )
        client.send(HTTPRequest("PUT", "/x", form={"a": "1"}))
    assert seen[0].headers["content-type"].startswith("multipart/form-data")
    assert b"%PDF" in seen[0].read()
    assert seen[1].content == b"a=1"
