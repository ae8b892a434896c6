"""Helpers for the trigger component tests: drive a poll by hand, or through the HTTP layer
against the in-process sandbox, with hooks between requests and a request count."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from email.utils import format_datetime
from typing import Any

import httpx

from sage_accounting.sandbox import DEV_TOKEN, Clock, Sandbox
from sageflow._component import Trigger
from sageflow._http import AsyncClient, Connection
from sageflow._http._config import sandbox_limiter
from sageflow._registry import get_component
from sageflow._triggers import Event, PollResult, apoll
from sageflow._values import HTTPRequest, HTTPResponse

# --- pure: a poll driven by a function that answers each request ---------------------------


def trigger(key: str) -> Trigger:
    found = get_component(f"sage_accounting/{key}")
    assert isinstance(found, Trigger)
    return found


def drive(
    key: str,
    inputs: Mapping[str, Any],
    cursor: Mapping[str, Any] | None,
    answer: Callable[[HTTPRequest], HTTPResponse],
    since: datetime | None = None,
) -> tuple[dict[str, Any], list[HTTPRequest]]:
    """One poll's output and the requests it made, answered by ``answer`` (no I/O at all)."""
    plan = trigger(key).start_poll(inputs, cursor, since)
    sent: list[HTTPRequest] = []
    try:
        request = next(plan)
        while True:
            sent.append(request)
            request = plan.send(answer(request))
    except StopIteration as done:
        return done.value, sent


def page(
    items: list[dict[str, Any]],
    *,
    date: datetime | None,
    total: int | None = None,
    next_link: str | None = None,
) -> HTTPResponse:
    """One page of a Sage list, with a ``Date`` header unless ``date`` is None."""
    headers = {"date": format_datetime(date, usegmt=True)} if date is not None else {}
    body = {
        "$total": len(items) if total is None else total,
        "$page": 1,
        "$next": next_link,
        "$back": None,
        "$itemsPerPage": 200,
        "$items": items,
    }
    return HTTPResponse.from_json(200, body, headers)


def record(ident: str, created: str, updated: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "displayed_as": ident,
        "$path": f"/contacts/{ident}",
        "created_at": created,
        "updated_at": updated or created,
        **extra,
    }


def tombstone(ident: str, at: str, resource: str = "contacts") -> dict[str, Any]:
    return {"id": ident, "$path": f"/{resource}/{ident}", "deleted_at": at}


# --- through the HTTP layer, against the sandbox --------------------------------------------


class Hooked(httpx.AsyncBaseTransport):
    """The sandbox's async transport, counting requests and running ``hooks[n]`` (if any)
    just after answering the n-th request (1-based): a change made *between* two pages."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.inner = sandbox.async_transport()
        self.sent: list[httpx.Request] = []
        self.hooks: dict[int, Callable[[], None]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.sent.append(request)
        hook = self.hooks.pop(len(self.sent), None)
        if hook is not None:
            hook()
        return response


class Sage:
    """A manual-clock sandbox, a caller for it, and the ways tests change its records."""

    def __init__(self, start: datetime | None = None) -> None:
        self.sandbox = Sandbox(clock=Clock.manual(start) if start else Clock.manual())
        self.transport = Hooked(self.sandbox)
        self.caller = AsyncClient(
            Connection.with_token(self.sandbox.api_base, self.sandbox.access_token),
            transport=self.transport,
            limiter=sandbox_limiter(),
        )

    # changes, straight into the sandbox (no HTTP: set-up is not what is measured)
    def call(self, method: str, path: str, body: Any = None, query: str = "") -> Any:
        reply = self.sandbox.handle(
            method,
            "/v3.1" + path,
            query,
            {"authorization": f"Bearer {DEV_TOKEN}", "content-type": "application/json"},
            json.dumps(body).encode() if body is not None else b"",
        )
        assert reply.status < 300, (reply.status, reply.body[:300])
        return json.loads(reply.body) if reply.body else None

    def create_contact(self, name: str, kind: str = "CUSTOMER") -> str:
        body = {"contact": {"name": name, "contact_type_ids": [kind]}}
        return str(self.call("POST", "/contacts", body)["id"])

    def rename(self, ident: str, name: str) -> None:
        self.call("PUT", f"/contacts/{ident}", {"contact": {"name": name}})

    def new_invoice(self, *, draft: bool = False, reference: str = "ACME001") -> str:
        """A sales invoice for a seeded customer, issued (UNPAID) or a draft."""
        found = self.call("GET", "/contacts", query=f"search={reference}&attributes=reference")
        contact = next(i["id"] for i in found["$items"] if i["reference"] == reference)
        accounts = self.call(
            "GET", "/ledger_accounts", query="attributes=nominal_code&items_per_page=200"
        )
        sales = next(i["id"] for i in accounts["$items"] if i["nominal_code"] == 4000)
        body: dict[str, Any] = {
            "contact_id": contact,
            "date": "2026-01-05",
            "invoice_lines": [
                {
                    "description": "Joinery",
                    "ledger_account_id": sales,
                    "quantity": "1",
                    "unit_price": "100.00",
                    "tax_rate_id": "GB_STANDARD",
                    "tax_amount": "20.00",
                }
            ],
        }
        if draft:
            body["status_id"] = "DRAFT"
        return str(self.call("POST", "/sales_invoices", {"sales_invoice": body})["id"])

    def delete(self, resource: str, ident: str) -> None:
        # An issued sales invoice is voided, which needs a reason ([G-inv]); others ignore it.
        self.call("DELETE", f"/{resource}/{ident}", query="void_reason=Raised+in+error")

    def records_of(self, ids: list[str], resource: str = "contacts") -> list[dict[str, Any]]:
        wanted = set(ids)
        return [r for r in self.sandbox.records(resource) if r["id"] in wanted]

    def advance(self, seconds: float) -> None:
        self.sandbox.advance(seconds)

    def requests(self) -> int:
        return len(self.transport.sent)

    def poll(
        self,
        key: str,
        cursor: Mapping[str, Any] | None,
        inputs: Mapping[str, Any] | None = None,
        since: datetime | date | None = None,
    ) -> PollResult:
        return asyncio.run(
            apoll(
                f"sage_accounting/{key}",
                inputs or {},
                cursor,
                since=since,
                caller=self.caller,
            )
        )

    def settle(
        self,
        key: str,
        cursor: Mapping[str, Any] | None,
        inputs: Mapping[str, Any] | None = None,
        polls: int = 5,
    ) -> tuple[list[Event], dict[str, Any]]:
        """``polls`` polls a minute apart (past the trigger's overlap window): every event
        they delivered, in order, and the last cursor."""
        events: list[Event] = []
        for _ in range(polls):
            self.advance(60)
            result = self.poll(key, cursor, inputs)
            events += result.events
            cursor = result.cursor
        assert cursor is not None
        return events, dict(cursor)
