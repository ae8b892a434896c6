"""Sage 200 has no idempotency mechanism: a posting or account whose outcome is unknown is
found again by its marker (second_reference) or its unique reference, never made twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sage200 import PACK
from sage200._markers import BANK, CUSTOMER, SALES
from sage200.connection import PROFILE
from sage200.sandbox import DEFAULT_START, Clock
from sageflow import CallOptions, HTTPRequest, HTTPResponse
from sageflow._execute import write_key
from sageflow._http import Client, Connection, RetryPolicy
from sageflow._markers import marker_text

INVOICE = {
    "customerId": 27825,
    "transactionDate": "2026-03-31",
    "reference": "INV-M1",
    "nominalAnalysis": [{"nominalAccount": "4000", "value": "100.00"}],
    "taxAnalysis": [{"taxCodeId": 1729, "goodsAmount": "100.00", "taxAmount": "20.00"}],
}


def test_where_the_marker_goes() -> None:
    post = HTTPRequest("POST", "/sales_invoices", json={"customer_id": 1})
    marked = SALES.mark(post, "k")
    assert marked is not None
    assert marked.json == {"customer_id": 1, "second_reference": marker_text("k")}
    own = HTTPRequest("POST", "/sales_invoices", json={"customer_id": 1, "second_reference": "PO"})
    assert SALES.mark(own, "k") is None  # the caller's value is never overwritten
    account = HTTPRequest("POST", "/customers", json={"reference": "A1", "name": "A"})
    assert CUSTOMER.mark(account, "k") is account  # its unique reference is the marker


def test_find_filters_by_marker_and_account_and_rebuilds_the_answer() -> None:
    marked = BANK.mark(HTTPRequest("POST", "/bank_receipt", json={"bank_id": 7}), "k")
    assert marked is not None
    look = BANK.find(marked, "k")
    query = next(look)
    assert (query.path, dict(query.query)) == (
        "/bank_posted_transactions",
        {"$filter": f"second_reference eq '{marker_text('k')}' and bank_id eq 7", "$top": 1},
    )
    with pytest.raises(StopIteration) as done:
        look.send(HTTPResponse.from_json(200, [{"id": 3, "urn": 41}]))
    assert done.value.value.json() == {"urn": "41"}
    # Another key's marker is not looked for.
    assert next(BANK.find(marked, "other"), None) is None


def _sandbox_client(drop: Callable[[httpx.Request], bool]) -> tuple[Any, Client]:
    assert PACK.sandbox_factory is not None
    sandbox = PACK.sandbox_factory(clock=Clock.manual(DEFAULT_START))
    inner = sandbox.transport()

    def handle(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        if drop(request):
            response.read()
            raise httpx.ReadError("connection dropped after commit", request=request)
        return response

    connection = Connection.with_token(
        sandbox.api_base, sandbox.access_token, PROFILE, headers=sandbox.connection_headers
    )
    client = Client(
        connection,
        transport=httpx.MockTransport(handle),
        sleep=lambda _seconds: None,
        retry=RetryPolicy(random=lambda: 0.0),
    )
    return sandbox, client


def _first_post() -> Callable[[httpx.Request], bool]:
    posts = 0

    def drop(request: httpx.Request) -> bool:
        nonlocal posts
        posts += request.method == "POST"
        return request.method == "POST" and posts == 1

    return drop


def test_a_dropped_invoice_posting_is_adopted_not_posted_twice() -> None:
    sandbox, client = _sandbox_client(_first_post())
    with client:
        out = client.call(PACK.get("postSalesInvoice"), INVOICE, CallOptions("k-drop"))
    posted = [t for t in sandbox.records("sales_posted_transactions") if t["reference"] == "INV-M1"]
    assert len(posted) == 1
    assert str(posted[0]["urn"]) == out["urn"]
    # The posting is the call's first write: its marker derives from that write's key.
    assert posted[0]["second_reference"] == marker_text(write_key("k-drop", 1))


def test_a_dropped_customer_create_is_adopted_by_its_reference() -> None:
    sandbox, client = _sandbox_client(_first_post())
    with client:
        out = client.call(
            PACK.get("createCustomer"),
            {"reference": "DROP01", "name": "Dropped Ltd"},
            CallOptions("k-cust"),
        )
    made = [c for c in sandbox.records("customers") if c["reference"] == "DROP01"]
    assert [c["id"] for c in made] == [out["id"]]


def test_a_resumed_posting_is_found_not_repeated() -> None:
    sandbox, client = _sandbox_client(lambda request: False)
    with client:
        first = client.call(
            PACK.get("postSalesReceipt"),
            {
                "customerId": 27825,
                "bankId": 3301,
                "chequeValue": "50.00",
                "transactionDate": "2026-04-15",
            },
            CallOptions("k-res"),
        )
        again = client.call(
            PACK.get("postSalesReceipt"),
            {
                "customerId": 27825,
                "bankId": 3301,
                "chequeValue": "50.00",
                "transactionDate": "2026-04-15",
            },
            CallOptions("k-res", outcome_unknown=True),
        )
    assert again == first
    receipts = [
        t for t in sandbox.records("sales_posted_transactions") if t.get("urn") == int(first["urn"])
    ]
    assert len(receipts) == 1
