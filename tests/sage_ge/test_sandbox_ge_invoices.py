"""The Chift sandbox's invoices: an invoice is posted as an entry in its sales or purchase
journal under Sage GE's rules; Chift's invoice error codes; reading by id and by type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sage_ge.sandbox import DEV_TOKEN, Clock, Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(clock=Clock.manual())  # 2026-01-05: 2024 closed, 2025 and 2026 open
    yield box
    box.close()


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sandbox.transport(),
        base_url=sandbox.api_base,
        headers={"authorization": f"Bearer {DEV_TOKEN}"},
    ) as client:
        yield client


def invoice(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "invoice_type": "customer_invoice",
        "invoice_number": "F2026-0001",
        "currency": "EUR",
        "untaxed_amount": 150,
        "tax_amount": 25,
        "total": 175,
        "invoice_date": "2026-01-04",
        "due_date": "2026-02-03",
        "partner_id": "CDUPONT",
        "reference": "Commande 12",
        "lines": [
            {"unit_price": 50, "quantity": 2, "untaxed_amount": 100, "tax_rate": 20,
             "tax_amount": 20, "total": 120, "account_number": "706000", "tax_code": "20",
             "description": "Prestation"},
            {"unit_price": 50, "quantity": 1, "untaxed_amount": 50, "tax_rate": 10,
             "tax_amount": 5, "total": 55, "account_number": "707000", "tax_code": "10",
             "description": "Marchandise"},
        ],
    }  # fmt: skip
    body.update(changes)
    return body


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code
    assert body["status"] == "error"


def test_customer_invoice_is_posted_in_ve(sandbox: Sandbox, http: httpx.Client) -> None:
    made = http.post("/invoices", json=invoice())
    assert made.status_code == 200, made.text
    created = made.json()
    assert (created["journal_id"], created["total"], created["status"]) == ("1", 175.0, "posted")
    assert [line["account_number"] for line in created["lines"]] == ["706000", "707000"]
    [entry] = sandbox.records("entries")
    assert entry["name"] == "F2026-0001"
    sides = [
        (i["account_number"], i["partner_id"], i["debit"], i["credit"]) for i in entry["items"]
    ]
    assert sides == [
        ("411000", "CDUPONT", 175.0, 0.0),
        ("706000", None, 0.0, 100.0),
        ("445710", None, 0.0, 20.0),
        ("707000", None, 0.0, 50.0),
        ("445710", None, 0.0, 5.0),
    ]
    got = http.get(f"/invoices/{created['id']}")
    assert got.json()["lines"] == []  # include_invoice_lines defaults to false
    full = http.get(f"/invoices/{created['id']}", params={"include_invoice_lines": "true"})
    assert full.json()["lines"] == created["lines"]
    refused(http.get("/invoices/INV999999"), 404, "ERROR_INVOICE_NOT_FOUND")


def test_supplier_invoice_and_refund_sides(sandbox: Sandbox, http: httpx.Client) -> None:
    bill = invoice(
        invoice_type="supplier_invoice", partner_id="FORANGE", invoice_number="ORA-1",
        untaxed_amount=100, tax_amount=20, total=120,
        lines=[{"untaxed_amount": 100, "tax_amount": 20, "account_number": "626000",
                "tax_code": "20"}],
    )  # fmt: skip
    assert http.post("/invoices", json=bill).json()["journal_id"] == "2"
    refund = invoice(
        invoice_type="customer_refund", invoice_number="AV-1", untaxed_amount=10,
        tax_amount=2, total=12,
        lines=[{"untaxed_amount": 10, "tax_amount": 2, "account_number": "706000"}],
    )  # fmt: skip
    assert http.post("/invoices", json=refund).status_code == 200
    purchase, credit = sandbox.records("entries")
    assert [(i["account_number"], i["debit"], i["credit"]) for i in purchase["items"]] == [
        ("401000", 0.0, 120.0),
        ("626000", 100.0, 0.0),
        ("445660", 20.0, 0.0),
    ]
    assert [(i["account_number"], i["debit"], i["credit"]) for i in credit["items"]] == [
        ("411000", 0.0, 12.0),
        ("706000", 10.0, 0.0),
        ("445710", 2.0, 0.0),
    ]


def test_list_by_type(http: httpx.Client) -> None:
    http.post("/invoices", json=invoice())
    http.post("/invoices", json=invoice(invoice_number="F2026-0002", invoice_date="2025-12-20"))
    listed = http.get("/invoices/type/customer_invoice").json()
    assert [i["invoice_number"] for i in listed["items"]] == ["F2026-0001", "F2026-0002"]
    assert listed["total"] == 2
    january = http.get("/invoices/type/customer_invoice", params={"date_from": "2026-01-01"})
    assert [i["invoice_number"] for i in january.json()["items"]] == ["F2026-0001"]
    assert http.get("/invoices/type/supplier_invoice").json()["total"] == 0
    assert (
        http.get("/invoices/type/customer_invoice", params={"journal_ids": "2"}).json()["items"]
        == []
    )
    assert http.get("/invoices/type/receipt").status_code == 422


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (invoice(lines=[]), 400, "ERROR_NO_INVOICE_LINE"),
        (invoice(untaxed_amount=0), 400, "ERROR_ZERO_INVOICE"),
        (invoice(journal_id="2"), 400, "ERROR_JOURNAL_NOT_GOOD_SCOPE"),
        (invoice(journal_id="99"), 404, "ERROR_JOURNAL_NOT_FOUND"),
        (invoice(invoice_date="2024-03-01"), 400, "ERROR_BOOKYEAR_NOT_FOUND"),
        (invoice(total=180), 422, "ERROR_ENTRY_NOT_BALANCED"),
        (invoice(partner_id="CNOBODY"), 404, "ERROR_PARTNER_NOT_FOUND"),
        (invoice(currency="GBP"), 404, "ERROR_CURRENCY_NOT_FOUND"),
    ],
)
def test_refusals(
    sandbox: Sandbox, http: httpx.Client, body: dict[str, Any], status: int, code: str
) -> None:
    refused(http.post("/invoices", json=body), status, code)
    assert sandbox.records("invoices") == []
    assert sandbox.records("entries") == []


def test_invoice_number_used_once_per_journal_kind(sandbox: Sandbox, http: httpx.Client) -> None:
    assert http.post("/invoices", json=invoice()).status_code == 200
    refused(http.post("/invoices", json=invoice()), 409, "ERROR_INVOICE_NUMBER_ALREADY_USED")
    refund = invoice(invoice_type="customer_refund")
    refused(http.post("/invoices", json=refund), 409, "ERROR_INVOICE_NUMBER_ALREADY_USED")
    bill = invoice(invoice_type="supplier_invoice", partner_id="FORANGE")
    assert http.post("/invoices", json=bill).status_code == 200  # another journal's numbering
    assert len(sandbox.records("invoices")) == 2


def test_idempotent_invoice_create(sandbox: Sandbox, http: httpx.Client) -> None:
    key = {"x-chift-client-requestid": "invoice-once"}
    first = http.post("/invoices", json=invoice(), headers=key)
    second = http.post("/invoices", json=invoice(), headers=key)
    assert first.json() == second.json()
    assert len(sandbox.records("invoices")) == 1
    assert len(sandbox.records("entries")) == 1


def test_invoice_body_fields_are_checked(http: httpx.Client) -> None:
    extra = http.post("/invoices", json=invoice(colour="red"))
    assert extra.status_code == 422
    assert extra.json()["detail"][0]["loc"] == ["body", "colour"]
    bad_line = invoice(lines=[{"untaxed_amount": 1, "tax_amount": 0}])
    missing = http.post("/invoices", json=bad_line)
    assert missing.json()["detail"][0]["loc"] == ["body", "lines.0.account_number"]
