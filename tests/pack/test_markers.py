"""Markers: a create whose outcome is unknown is looked for, then adopted, never made twice.

The sandbox runs with ``idempotency=False`` here (``sageflow sandbox serve --no-idempotency``):
what a client meets past Sage's 7 days or on a resource Sage does not list, so only the marker
can prevent a duplicate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sage_accounting import _markers
from sage_accounting._markers import CONTACT, INVOICE, LEDGER_ACCOUNT, marker_text
from sage_accounting.connection import PROFILE
from sage_accounting.sandbox import DEV_TOKEN, Clock, Sandbox
from sageflow import CallOptions, HTTPRequest, HTTPResponse
from sageflow._errors import OutcomeUnknownError
from sageflow._http import Client, Connection, RetryPolicy

NEW_CONTACT = {"name": "Marker Ltd", "contactTypeIds": ["CUSTOMER"]}


def _body(request: HTTPRequest) -> dict[str, Any]:
    ((_, inner),) = request.json.items()
    return dict(inner)


def test_the_marker_is_short_upper_case_and_derived_from_the_key() -> None:
    one = marker_text("sageflow-r1-make[0]")
    assert re.fullmatch(r"[0-9A-Z]{8}", one)
    assert one == marker_text("sageflow-r1-make[0]")
    assert one != marker_text("sageflow-r1-make[1]")


@pytest.mark.parametrize(
    ("marker", "wire", "carried_by"),
    [
        pytest.param(CONTACT, {"name": "A"}, "reference", id="contact-reference"),
        pytest.param(CONTACT, {"name": "A", "reference": "MINE"}, None, id="contact-own-reference"),
        pytest.param(INVOICE, {"contact_id": "c"}, "reference", id="invoice-reference"),
        pytest.param(INVOICE, {"reference": "PO-1"}, "notes", id="invoice-notes"),
        pytest.param(LEDGER_ACCOUNT, {"name": "X", "nominal_code": 4080}, None, id="ledger-code"),
    ],
)
def test_where_the_marker_goes(
    marker: _markers.Marker, wire: dict[str, Any], carried_by: str | None
) -> None:
    request = HTTPRequest("POST", "/things", json={"thing": wire})
    marked = marker.mark(request, "k")
    assert marked is not None
    if carried_by is None:
        assert marked is request  # the caller's unique value is the marker: nothing is added
    else:
        assert _body(marked) == {**wire, carried_by: marker_text("k")}


def test_no_marker_when_every_field_is_the_callers() -> None:
    request = HTTPRequest("POST", "/x", json={"sales_invoice": {"reference": "R", "notes": "N"}})
    assert INVOICE.mark(request, "k") is None
    assert CONTACT.mark(HTTPRequest("PUT", "/x", json={"contact": {}}), "k") is None


def test_find_searches_then_fetches_the_exact_match() -> None:
    marked = INVOICE.mark(HTTPRequest("POST", "/sales_invoices", json={"sales_invoice": {}}), "k")
    assert marked is not None
    wanted = marker_text("k")
    look = INVOICE.find(marked, "k")
    search = next(look)
    assert (search.method, search.path) == ("GET", "/sales_invoices")
    assert search.query["search"] == wanted
    # Sage's search is a substring match: only the exact marker is adopted.
    near = {"id": "near", "reference": wanted + "X"}
    exact = {"id": "i9", "reference": wanted.lower()}
    fetch = look.send(HTTPResponse.from_json(200, {"$items": [near, exact]}))
    assert (fetch.method, fetch.path) == ("GET", "/sales_invoices/i9")
    with pytest.raises(StopIteration) as done:
        look.send(HTTPResponse.from_json(200, {"id": "i9", "total_amount": "12.00"}))
    adopted = done.value.value
    assert adopted.status == 201
    assert adopted.json() == {"id": "i9", "total_amount": "12.00"}


def _dropping(sandbox: Sandbox, drop: Callable[[httpx.Request], bool]) -> httpx.MockTransport:
    """The sandbox in-process, losing the answer of every request ``drop`` picks *after* the
    sandbox handled it (a connection cut after commit)."""
    inner = sandbox.transport()

    def handle(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        if drop(request):
            response.read()
            raise httpx.ReadError("connection dropped after commit", request=request)
        return response

    return httpx.MockTransport(handle)


def _client(transport: httpx.BaseTransport, sandbox: Sandbox) -> Client:
    return Client(
        Connection.with_token(sandbox.api_base, DEV_TOKEN, PROFILE),
        transport=transport,
        sleep=lambda _seconds: None,
        retry=RetryPolicy(random=lambda: 0.0),
    )


def _named(sandbox: Sandbox, name: str) -> list[dict[str, Any]]:
    return [c for c in sandbox.records("contacts") if c["name"] == name]


def test_a_dropped_create_is_adopted_not_repeated() -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=False)
    posts = 0

    def first_post(request: httpx.Request) -> bool:
        nonlocal posts
        posts += request.method == "POST"
        return request.method == "POST" and posts == 1

    with _client(_dropping(sandbox, first_post), sandbox) as client:
        out = client.call("sage_accounting/createContact", NEW_CONTACT, CallOptions("k-drop"))
    (made,) = _named(sandbox, "Marker Ltd")
    assert out["id"] == made["id"]
    assert made["reference"] == marker_text("k-drop")
    assert posts == 1  # found by its marker: never sent again


def test_a_create_that_never_arrived_is_sent_after_the_look() -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=False)
    inner = sandbox.transport()
    posts = 0

    def handle(request: httpx.Request) -> httpx.Response:
        nonlocal posts
        if request.method == "POST":
            posts += 1
            if posts == 1:  # lost on the way: the sandbox never saw it
                raise httpx.WriteError("broken pipe", request=request)
        return inner.handle_request(request)

    with _client(httpx.MockTransport(handle), sandbox) as client:
        out = client.call("sage_accounting/createContact", NEW_CONTACT, CallOptions("k-lost"))
    assert [c["id"] for c in _named(sandbox, "Marker Ltd")] == [out["id"]]
    assert posts == 2


def test_an_unknown_outcome_from_a_previous_run_is_adopted() -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=False)
    with _client(sandbox.transport(), sandbox) as client:
        first = client.call("sage_accounting/createContact", NEW_CONTACT, CallOptions("k-res"))
        # A resume of that step: the engine says its outcome is unknown.
        again = client.call(
            "sage_accounting/createContact",
            NEW_CONTACT,
            CallOptions("k-res", outcome_unknown=True),
        )
        # Without the flag (and without Sage's mechanism) the same call writes a second one:
        # what the flag is for.
        other = client.call("sage_accounting/createContact", NEW_CONTACT, CallOptions("k-other"))
    assert again == first
    assert {c["id"] for c in _named(sandbox, "Marker Ltd")} == {first["id"], other["id"]}


def test_an_invoice_with_its_own_reference_is_found_by_its_notes() -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=False)
    with httpx.Client(
        transport=sandbox.transport(),
        base_url=sandbox.api_base + "/",
        headers={"Authorization": f"Bearer {DEV_TOKEN}"},
    ) as plain:
        customer = plain.get("contacts", params={"contact_type_id": "CUSTOMER"}).json()["$items"][0]
        ledgers = plain.get(
            "ledger_accounts", params={"attributes": "nominal_code", "items_per_page": 200}
        ).json()["$items"]
    ledger = next(item["id"] for item in ledgers if int(item["nominal_code"]) == 4010)
    invoice = {
        "contactId": customer["id"],
        "date": "2026-01-05",
        "reference": "PO-77",
        "invoiceLines": [
            {
                "description": "Work",
                "ledgerAccountId": ledger,
                "quantity": 1,
                "unitPrice": "10.00",
                "taxRateId": "GB_STANDARD",
            }
        ],
    }
    with _client(sandbox.transport(), sandbox) as client:
        first = client.call("sage_accounting/createSalesInvoice", invoice, CallOptions("k-inv"))
        again = client.call(
            "sage_accounting/createSalesInvoice",
            invoice,
            CallOptions("k-inv", outcome_unknown=True),
        )
    assert again["id"] == first["id"]
    assert first["reference"] == "PO-77"
    assert first["notes"] == marker_text("k-inv")
    assert [
        i["id"] for i in sandbox.records("sales_invoices") if i.get("reference") == "PO-77"
    ] == [first["id"]]


def test_the_layer_hands_back_an_unknown_outcome_of_a_reconciled_write() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("dropped", request=request)

    sandbox = Sandbox(clock=Clock.manual())
    request = HTTPRequest("POST", "/contacts", json={"contact": {"name": "X"}}, reconciled=True)
    with (
        _client(httpx.MockTransport(handle), sandbox) as client,
        pytest.raises(OutcomeUnknownError),
    ):
        client.send(request, CallOptions("k"))


def test_a_ledger_account_is_found_by_its_nominal_code() -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=False)
    account = {
        "ledgerAccountTypeId": "SALES",
        "includedInChart": True,
        "name": "Marker Income",
        "displayName": "Marker Income",
        "nominalCode": 4093,
        "taxRateId": "GB_STANDARD",
    }
    with _client(sandbox.transport(), sandbox) as client:
        first = client.call("sage_accounting/createLedgerAccount", account, CallOptions("k-la"))
        again = client.call(
            "sage_accounting/createLedgerAccount",
            account,
            CallOptions("k-la", outcome_unknown=True),
        )
    assert again["id"] == first["id"]
    made = [a for a in sandbox.records("ledger_accounts") if a.get("nominal_code") == 4093]
    assert [a["id"] for a in made] == [first["id"]]
