"""The pack through the real HTTP layer against the embedded Sage 200 sandbox: the calls a flow
makes, end to end, with the headers the no-account fallback sends."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sage200 import PACK
from sage200.connection import PROFILE
from sage200.sandbox import DEFAULT_START, Clock
from sageflow._errors import APIError
from sageflow._http import Client, Connection


@pytest.fixture
def client() -> Iterator[Client]:
    assert PACK.sandbox_factory is not None
    sandbox = PACK.sandbox_factory(clock=Clock.manual(DEFAULT_START))
    connection = Connection.with_token(
        sandbox.api_base, sandbox.access_token, PROFILE, headers=sandbox.connection_headers
    )
    with Client(connection, transport=httpx.MockTransport(sandbox.transport().handle_request)) as c:
        yield c
    sandbox.close()


def call(client: Client, key: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return client.call(PACK.get(key), inputs)


def _first(client: Client, key: str, **inputs: Any) -> dict[str, Any]:
    return call(client, key, {"top": 1, **inputs})["items"][0]


def test_invoice_a_new_customer_and_read_it_back_by_urn(client: Client) -> None:
    customer = call(client, "createCustomer", {"reference": "OBR001", "name": "O'Brien & Sons"})
    assert call(client, "findCustomer", {"name": "O'Brien & Sons"})["items"] == [customer]
    standard = _first(
        client, "listTaxCodes", filter=[{"field": "tax_rate", "operator": "eq", "value": 20}]
    )["id"]
    posted = call(
        client,
        "postSalesInvoice",
        {
            "customerId": customer["id"],
            "transactionDate": "2026-01-20",
            "reference": "INV-9",
            "nominalAnalysis": [
                {"nominalAccount": "4000", "value": "100.00", "narrative": "Goods"}
            ],
            "taxAnalysis": [{"taxCodeId": standard, "goodsAmount": "100.00", "taxAmount": "20.00"}],
        },
    )
    (transaction,) = call(client, "findSalesPostedTransaction", {"urn": posted["urn"]})["items"]
    assert transaction["customer_id"] == customer["id"]
    assert transaction["reference"] == "INV-9"
    # Amounts are exact decimal strings (sage200._wire.shape), never floats.
    assert (transaction["document_goods_value"], transaction["document_tax_value"]) == (
        "100.0",
        "20.0",
    )
    assert call(
        client, "getSalesPostedTransaction", {"salesPostedTransactionId": transaction["id"]}
    )["urn"] == int(posted["urn"])

    bank = _first(client, "listBanks")["id"]
    receipt = call(
        client,
        "postSalesReceipt",
        {
            "customerId": customer["id"],
            "bankId": bank,
            "chequeValue": "120.00",
            "transactionDate": "2026-01-25",
        },
    )
    (paid,) = call(client, "findSalesPostedTransaction", {"urn": receipt["urn"]})["items"]
    call(
        client,
        "allocateSalesTransactions",
        {
            "customerId": customer["id"],
            "allocationLines": [
                {"postedTransactionId": transaction["id"], "valueToAllocate": "120.00"},
                {"postedTransactionId": paid["id"], "valueToAllocate": "-120.00"},
            ],
        },
    )
    settled = call(
        client, "getSalesPostedTransaction", {"salesPostedTransactionId": transaction["id"]}
    )
    assert Decimal(settled["document_outstanding_value"]) == 0
    # An account with transactions cannot be deleted; Sage's message comes through whole.
    with pytest.raises(APIError, match="has transactions"):
        call(client, "deleteCustomer", {"customerId": customer["id"]})


def test_fetch_all_pages_through_the_sandbox(client: Client) -> None:
    every = call(client, "listCustomers", {"top": 5000})["items"]
    paged = call(client, "listCustomers", {"fetchAll": True, "top": 2, "select": ["id", "name"]})
    assert [c["id"] for c in paged["items"]] == sorted(c["id"] for c in every)
    assert paged["pagesFetched"] == len(every) // 2 + 1
    assert set(paged["items"][0]) == {"id", "name"}


def test_a_quote_in_a_filter_value_matches_it_literally(client: Client) -> None:
    names = [c["name"] for c in call(client, "listCustomers", {})["items"]]
    with_quote = [n for n in names if "'" in n]
    found = call(
        client,
        "listCustomers",
        {"filter": [{"field": "name", "operator": "contains", "value": "O'Brien"}]},
    )
    assert [c["name"] for c in found["items"]] == with_quote
    hostile = call(
        client,
        "listCustomers",
        {"filter": [{"field": "name", "operator": "eq", "value": "x' or 1 eq 1 or name eq 'y"}]},
    )
    assert hostile["items"] == []


def test_bank_entries_dates_and_nominal_enquiry(client: Client) -> None:
    bank = _first(client, "listBanks")["id"]
    tax = _first(client, "listTaxCodes")["id"]
    receipt = call(
        client,
        "postBankReceipt",
        {
            "bankId": bank,
            "transactionDate": "2026-01-22",
            "reference": "INT-01",
            "lines": [
                {"nominalAccount": "4000", "goodsValue": "10.00", "taxCodeId": tax, "taxValue": "0"}
            ],
        },
    )
    assert int(receipt["urn"]) > 0
    ok = call(
        client, "validateTransactionDate", {"date": "2026-01-22", "ledgerType": "LedgerTypeSales"}
    )
    bad = call(
        client, "validateTransactionDate", {"date": "2020-01-22", "ledgerType": "LedgerTypeSales"}
    )
    assert ok["classification"] != bad["classification"]
    postings = call(client, "listNominalTransactions", {"since": "2026-01-22"})["items"]
    assert "INT-01" in {p["reference"] for p in postings}
