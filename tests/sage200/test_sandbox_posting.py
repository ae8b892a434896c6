"""Posting to the Sage 200 sandbox: documents become posted transactions found by urn, totals
must add up, balances and outstanding values move, and refused posts change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sage200.sandbox import Clock, Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    simulator = Sandbox(clock=Clock.manual())
    yield simulator
    simulator.close()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sandbox.transport(), base_url=sandbox.api_base, headers=sandbox.headers()
    ) as http:
        yield http


def _id(sandbox: Sandbox, collection: str, /, **values: Any) -> int:
    record = sandbox.company().find(collection, **values)
    assert record is not None, (collection, values)
    return int(record["id"])


def _one(client: httpx.Client, path: str, flt: str) -> dict[str, Any]:
    response = client.get(path, params={"$filter": flt})
    assert response.status_code == 200, response.text
    rows = response.json()
    assert len(rows) == 1, rows
    return dict(rows[0])


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> int:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    urn = response.json()["urn"]
    assert isinstance(urn, str)
    assert urn.isdigit()
    return int(urn)


def _state(sandbox: Sandbox) -> dict[str, Any]:
    return {
        name: [dict(record) for record in sandbox.records(name)]
        for name in (
            "customers",
            "suppliers",
            "banks",
            "sales_posted_transactions",
            "purchase_posted_transactions",
            "bank_posted_transactions",
            "nominal_transaction_enquiry_views",
        )
    }


def test_an_invoice_is_a_posted_transaction_found_by_urn(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    customer = _id(sandbox, "customers", reference="BRI001")
    standard = _id(sandbox, "tax_codes", code=1)
    zero = _id(sandbox, "tax_codes", code=0)
    sandbox.advance(3600)
    urn = _post(
        client,
        "/sales_invoices",
        {
            "customer_id": customer,
            "transaction_date": "2026-01-05T00:00:00",
            "reference": "INV-0100",
            "document_goods_value": 150.00,
            "document_tax_value": 20.00,
            "tax_analysis_items": [
                {"id": standard, "goods_amount": 100.00, "tax_amount": 20.00},
                {"id": zero, "goods_amount": 50.00, "tax_amount": 0},
            ],
            "nominal_analysis_items": [
                {"code": "4000", "cost_centre": "SAL", "department": "UK", "value": 100},
                {"code": "4010", "value": 50, "narrative": "Books"},
            ],
        },
    )
    # [S200 sales]: no invoice entity to read back, only the posted transaction.
    assert client.get("/sales_invoices").status_code == 405
    posted = _one(client, "/sales_posted_transactions", f"urn eq {urn}")
    assert posted["trader_transaction_type"] == "TradingAccountEntryTypeInvoice"
    assert posted["customer_id"] == customer
    assert posted["reference"] == "INV-0100"
    assert _money(posted["document_gross_value"]) == Decimal("170.00")
    assert _money(posted["document_outstanding_value"]) == Decimal("170.00")
    assert [item["code"] for item in posted["tax_analysis_items"]] == [1, 0]
    assert [(item["code"], item["cost_centre"]) for item in posted["nominal_analysis_items"]] == [
        ("4000", "SAL"),
        ("4010", ""),
    ]
    # Due date: the customer's 30 payment days.
    assert posted["due_date"].startswith("2026-02-04")
    account = client.get(f"/customers/{customer}").json()
    assert _money(account["balance"]) == Decimal("170.00")
    assert account["date_time_updated"] == "2026-01-05T10:00:00.000Z"
    # Double entry: the urn's nominal rows balance, and the debtors control takes the gross.
    rows = client.get(
        "/nominal_transaction_enquiry_views", params={"$filter": f"urn eq {urn}"}
    ).json()
    assert sum(_money(row["debit"]) - _money(row["credit"]) for row in rows) == 0
    debtors = _id(sandbox, "nominal_codes", reference="1100")
    assert [_money(row["debit"]) for row in rows if row["nominal_code_id"] == debtors] == [
        Decimal("170.00")
    ]
    by_customer = client.get(f"/customers/{customer}/sales_posted_transactions").json()
    assert [row["urn"] for row in by_customer] == [urn]


def test_defaults_come_from_the_customer(sandbox: Sandbox, client: httpx.Client) -> None:
    customer = _id(sandbox, "customers", reference="DUN001")
    urn = _post(
        client,
        "/sales_invoices",
        {"customer_id": customer, "document_goods_value": 80, "document_tax_value": 16},
    )
    posted = _one(client, "/sales_posted_transactions", f"urn eq {urn}")
    assert [item["code"] for item in posted["tax_analysis_items"]] == [1]
    assert _money(posted["tax_analysis_items"][0]["tax_amount"]) == Decimal("16.00")
    assert [item["code"] for item in posted["nominal_analysis_items"]] == ["4000"]
    assert posted["transaction_date"].startswith("2026-01-05")


BAD_DOCUMENTS = [
    pytest.param(
        {"tax_analysis_items": [{"id": 999999, "goods_amount": 100, "tax_amount": 20}]},
        "tax code 999999 does not exist",
        id="unknown-tax-code",
    ),
    pytest.param(
        {"tax_analysis_items": [{"id": "STANDARD", "goods_amount": 100, "tax_amount": 20}]},
        "'tax_analysis_items[0].id' is not a valid integer",
        id="tax-code-not-an-id",
    ),
    pytest.param({"reference": 42}, "'reference' is not a string", id="reference-number"),
    pytest.param({"settled_immediately": "yes"}, "not a boolean", id="bool-text"),
    pytest.param({"nominal_analysis_items": {"code": "4000"}}, "not an array", id="not-array"),
    pytest.param({"nominal_analysis_items": ["4000"]}, "[0]' is not an object", id="item-text"),
    pytest.param(
        {"tax_analysis_items": [{"id": "$standard", "goods_amount": 90, "tax_amount": 20}]},
        "goods_amount values add up to 90.00, not the document_goods_value of 100.00",
        id="tax-goods-do-not-add-up",
    ),
    pytest.param(
        {"tax_analysis_items": [{"id": "$standard", "goods_amount": 100, "tax_amount": 19.99}]},
        "tax_amount values add up to 19.99",
        id="tax-does-not-add-up",
    ),
    pytest.param(
        {
            "tax_analysis_items": [
                {"id": "$standard", "goods_amount": 50, "tax_amount": 10},
                {"id": "$standard", "goods_amount": 50, "tax_amount": 10},
            ]
        },
        "appears twice",
        id="tax-code-twice",
    ),
    pytest.param(
        {"nominal_analysis_items": [{"code": "4000", "value": 99.99}]},
        "nominal analysis values add up to 99.99",
        id="nominal-does-not-add-up",
    ),
    pytest.param(
        {"nominal_analysis_items": [{"code": "4000", "value": 50}, {"code": "4010"}]},
        "value is required when there are several items",
        id="nominal-value-missing",
    ),
    pytest.param(
        {"nominal_analysis_items": [{"code": "9999", "value": 100}]},
        "nominal code 9999// does not exist",
        id="unknown-nominal",
    ),
    pytest.param(
        {"nominal_analysis_items": [{"code": "4000", "cost_centre": "ADM", "value": 100}]},
        "nominal code 4000/ADM/ does not exist",
        id="wrong-cost-centre",
    ),
    pytest.param({"document_goods_value": 100.001}, "more than 2 decimal places", id="3dp"),
    pytest.param({"document_goods_value": -100}, "cannot be negative", id="negative"),
    pytest.param({"document_goods_value": 10**13}, "out of range", id="too-large"),
    pytest.param({"document_goods_value": "lots"}, "not a valid number", id="not-a-number"),
    pytest.param({"document_goods_value": 0, "document_tax_value": 0}, "no value", id="zero"),
    pytest.param({"transaction_date": "2031-01-01"}, "not in a financial year", id="no-period"),
    pytest.param({"transaction_date": "05/01/2026"}, "not a valid date", id="bad-date"),
    pytest.param({"reference": "R" * 21}, "at most 20 characters", id="long-reference"),
    pytest.param({"customer_id": 424242}, "customer 424242 does not exist", id="no-customer"),
    pytest.param({"customer_id": None}, "customer None does not exist", id="null-customer"),
    pytest.param({"tax_analysis_items": []}, "non-empty array", id="empty-tax"),
]


@pytest.mark.parametrize(("change", "message"), BAD_DOCUMENTS)
def test_refused_documents_change_nothing(
    sandbox: Sandbox, client: httpx.Client, change: dict[str, Any], message: str
) -> None:
    standard = _id(sandbox, "tax_codes", code=1)
    body: dict[str, Any] = {
        "customer_id": _id(sandbox, "customers", reference="BRI001"),
        "document_goods_value": 100,
        "document_tax_value": 20,
        **change,
    }
    for item in body.get("tax_analysis_items", []):
        if item["id"] == "$standard":
            item["id"] = standard
    before = _state(sandbox)
    response = client.post("/sales_invoices", json=body)
    assert response.status_code == 400
    assert message in response.json()["Message"]
    assert _state(sandbox) == before


def test_credit_notes_and_purchases(sandbox: Sandbox, client: httpx.Client) -> None:
    customer = _id(sandbox, "customers", reference="FIF001")
    supplier = _id(sandbox, "suppliers", reference="TEL001")
    _post(
        client,
        "/sales_invoices",
        {"customer_id": customer, "document_goods_value": 500, "document_tax_value": 100},
    )
    credit = _post(
        client,
        "/sales_credit_notes",
        {"customer_id": customer, "document_goods_value": 50, "document_tax_value": 10},
    )
    posted = _one(client, "/sales_posted_transactions", f"urn eq {credit}")
    assert posted["trader_transaction_type"] == "TradingAccountEntryTypeCreditNote"
    assert _money(client.get(f"/customers/{customer}").json()["balance"]) == Decimal("540.00")
    bill = _post(
        client,
        "/purchase_invoices",
        {
            "supplier_id": supplier,
            "document_goods_value": 40,
            "document_tax_value": 8,
            "nominal_analysis_items": [{"code": "7500", "cost_centre": "ADM", "value": 40}],
        },
    )
    _post(
        client,
        "/purchase_credit_notes",
        {"supplier_id": supplier, "document_goods_value": 10, "document_tax_value": 2},
    )
    assert _money(client.get(f"/suppliers/{supplier}").json()["balance"]) == Decimal("36.00")
    bill_row = _one(client, "/purchase_posted_transactions", f"urn eq {bill}")
    assert bill_row["supplier_id"] == supplier
    rows = client.get("/nominal_transaction_enquiry_views", params={"$filter": f"urn eq {bill}"})
    creditors = _id(sandbox, "nominal_codes", reference="2100")
    assert [
        _money(row["credit"]) for row in rows.json() if row["nominal_code_id"] == creditors
    ] == [Decimal("48.00")]
    nested = client.get(f"/suppliers/{supplier}/purchase_posted_transactions").json()
    assert len(nested) == 2


def test_receipt_and_allocation_settle_an_invoice(sandbox: Sandbox, client: httpx.Client) -> None:
    customer = _id(sandbox, "customers", reference="EXE001")
    bank = _id(sandbox, "banks", code="1200")
    bank_before = _money(client.get(f"/banks/{bank}").json()["balance"])
    invoice = _post(
        client,
        "/sales_invoices",
        {"customer_id": customer, "document_goods_value": 100, "document_tax_value": 20},
    )
    receipt = _post(
        client,
        "/sales_receipts",
        {"customer_id": customer, "bank_id": bank, "cheque_value": 120, "reference": "BACS"},
    )
    account = client.get(f"/customers/{customer}").json()
    assert _money(account["balance"]) == 0
    assert _money(client.get(f"/banks/{bank}").json()["balance"]) == bank_before + 120
    invoice_row = _one(client, "/sales_posted_transactions", f"urn eq {invoice}")
    receipt_row = _one(client, "/sales_posted_transactions", f"urn eq {receipt}")
    assert _money(receipt_row["document_outstanding_value"]) == Decimal("120.00")
    too_much = client.post(
        "/sales_allocations",
        json={
            "customer_id": customer,
            "allocation_lines": [
                {"posted_tran_id": invoice_row["id"], "value_to_allocate": 130},
                {"posted_tran_id": receipt_row["id"], "value_to_allocate": -130},
            ],
        },
    )
    assert too_much.status_code == 400
    assert "outstanding value of 120.00" in too_much.json()["Message"]
    unbalanced = client.post(
        "/sales_allocations",
        json={
            "customer_id": customer,
            "allocation_lines": [
                {"posted_tran_id": invoice_row["id"], "value_to_allocate": 100},
                {"posted_tran_id": receipt_row["id"], "value_to_allocate": -50},
            ],
        },
    )
    assert unbalanced.status_code == 400
    assert "does not balance" in unbalanced.json()["Message"]
    partial = client.post(
        "/sales_allocations",
        json={
            "customer_id": customer,
            "allocation_date": "2026-01-05",
            "allocation_lines": [
                {"posted_tran_id": invoice_row["id"], "value_to_allocate": 70},
                {"posted_tran_id": receipt_row["id"], "value_to_allocate": -70},
            ],
        },
    )
    assert partial.status_code == 200, partial.text
    assert [line["value_to_allocate"] for line in partial.json()["allocation_lines"]] == [70, -70]
    half = _one(client, "/sales_posted_transactions", f"urn eq {invoice}")
    assert _money(half["document_outstanding_value"]) == Decimal("50.00")
    assert half["full_settlement_date"] is None
    rest = client.post(
        "/sales_allocations",
        json={
            "customer_id": customer,
            "allocation_lines": [
                {"posted_tran_id": invoice_row["id"], "value_to_allocate": 50},
                {"posted_tran_id": receipt_row["id"], "value_to_allocate": 50},
            ],
        },
    )
    assert rest.status_code == 200, rest.text
    paid = _one(client, "/sales_posted_transactions", f"urn eq {invoice}")
    assert _money(paid["document_outstanding_value"]) == 0
    assert _money(paid["document_allocated_value"]) == Decimal("120.00")
    assert paid["full_settlement_date"].startswith("2026-01-05")
    assert len(paid["allocation_history_items"]) == 2
    unpaid = client.get(
        "/sales_posted_transactions",
        params={"$filter": f"customer_id eq {customer} and document_outstanding_value gt 0"},
    )
    assert unpaid.json() == []


def test_allocations_stay_within_one_customer(sandbox: Sandbox, client: httpx.Client) -> None:
    theirs = _one(client, "/sales_posted_transactions", "reference eq 'INV0002'")
    mine = _id(sandbox, "customers", reference="BRI001")
    response = client.post(
        "/sales_allocations",
        json={
            "customer_id": mine,
            "allocation_lines": [
                {"posted_tran_id": theirs["id"], "value_to_allocate": 1},
                {"posted_tran_id": theirs["id"], "value_to_allocate": -1},
            ],
        },
    )
    assert response.status_code == 400
    assert "is not one of customer BRI001's" in response.json()["Message"]


def test_purchase_payment_moves_supplier_and_bank(sandbox: Sandbox, client: httpx.Client) -> None:
    supplier = _id(sandbox, "suppliers", reference="OFF001")
    bank = _id(sandbox, "banks", code="1200")
    before = _money(client.get(f"/banks/{bank}").json()["balance"])
    urn = _post(
        client,
        "/purchase_payments",
        {"supplier_id": supplier, "bank_id": bank, "cheque_value": 300},
    )
    assert _money(client.get(f"/suppliers/{supplier}").json()["balance"]) == 0
    assert _money(client.get(f"/banks/{bank}").json()["balance"]) == before - 300
    entry = _one(client, "/bank_posted_transactions", f"urn eq {urn}")
    assert _money(entry["cheque_value"]) == Decimal("-300.00")
    assert client.get(f"/banks/{bank}/bank_posted_transactions").status_code == 200


def test_bank_payment_and_receipt(sandbox: Sandbox, client: httpx.Client) -> None:
    bank = _id(sandbox, "banks", code="1200")
    standard = _id(sandbox, "tax_codes", code=1)
    before = _money(client.get(f"/banks/{bank}").json()["balance"])
    paid = _post(
        client,
        "/bank_payment",
        {
            "bank_id": bank,
            "reference": "CHG",
            "cheque_value": 12,
            "nominal_analysis_items": [
                {"code": "7900", "goods_value": 10, "tax_value": 2, "tax_code_id": standard}
            ],
        },
    )
    _post(
        client,
        "/bank_receipt",
        {"bank_id": bank, "nominal_analysis_items": [{"code": "4010", "gross_value": 30}]},
    )
    assert _money(client.get(f"/banks/{bank}").json()["balance"]) == before - 12 + 30
    rows = client.get("/nominal_transaction_enquiry_views", params={"$filter": f"urn eq {paid}"})
    assert {row["source"] for row in rows.json()} == {"CB"}
    assert sum(_money(r["debit"]) - _money(r["credit"]) for r in rows.json()) == 0
    wrong = client.post(
        "/bank_payment",
        json={
            "bank_id": bank,
            "cheque_value": 13,
            "nominal_analysis_items": [{"code": "7900", "goods_value": 10, "tax_value": 2}],
        },
    )
    assert wrong.status_code == 400
    assert "gross total of 12.00" in wrong.json()["Message"]
    mismatch = client.post(
        "/bank_receipt",
        json={
            "bank_id": bank,
            "nominal_analysis_items": [
                {"code": "4010", "goods_value": 10, "tax_value": 2, "gross_value": 13}
            ],
        },
    )
    assert mismatch.status_code == 400


def test_nominal_balances_follow_postings(sandbox: Sandbox, client: httpx.Client) -> None:
    rows = client.get("/nominal_codes", params={"$select": "balance_year_to_date"}).json()
    assert sum(_money(row["balance_year_to_date"]) for row in rows) == 0
    sales = _id(sandbox, "nominal_codes", reference="4010")
    enquiry = client.get(f"/nominal_codes/{sales}/nominal_transaction_enquiry_views").json()
    assert [(_money(row["credit"]), row["source"]) for row in enquiry] == [
        (Decimal("400.00"), "SL")
    ]
    account = client.get(f"/nominal_codes/{sales}").json()
    assert _money(account["credit_balance_year_to_date"]) == Decimal("400.00")


def test_strict_mode_names_an_unsimulated_field(sandbox: Sandbox, client: httpx.Client) -> None:
    customer = _id(sandbox, "customers", reference="BRI001")
    body = {
        "customer_id": customer,
        "document_goods_value": 10,
        "nominal_analysis_items": [{"code": "4000", "value": 10, "colour": "red"}],
    }
    response = client.post("/sales_invoices", json=body)
    assert response.status_code == 400
    assert "'nominal_analysis_items[0].colour' is not simulated" in response.json()["Message"]
    lenient = Sandbox(clock=Clock.manual(), strict=False)
    with httpx.Client(
        transport=lenient.transport(), base_url=lenient.api_base, headers=lenient.headers()
    ) as http:
        assert http.post("/sales_invoices", json=body).status_code == 200
    lenient.close()


def test_created_status_switch() -> None:
    simulator = Sandbox(clock=Clock.manual(), created_status=201)
    with httpx.Client(
        transport=simulator.transport(), base_url=simulator.api_base, headers=simulator.headers()
    ) as http:
        created = http.post("/cost_centres", json={"code": "NEW", "name": "New"})
        assert created.status_code == 201
        assert http.delete(f"/cost_centres/{created.json()['id']}").status_code == 204
        validated = http.post("/transaction_date_validation", json={"date": "2026-01-05"})
        assert validated.status_code == 200
    simulator.close()


def test_transaction_date_validation(client: httpx.Client) -> None:
    def check(day: str) -> str:
        response = client.post(
            "/transaction_date_validation", json={"date": day, "ledger_type": "LedgerTypeSales"}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["classification"])

    assert check("2026-01-20").endswith("Valid")
    assert check("2026-03-01").endswith("Warning")
    assert check("2030-01-01").endswith("Invalid")
    bad = client.post("/transaction_date_validation", json={"ledger_type": "Moon"})
    assert bad.status_code == 400


def test_large_amounts_come_back_exactly(sandbox: Sandbox, client: httpx.Client) -> None:
    customer = _id(sandbox, "customers", reference="BRI001")
    urn = _post(
        client,
        "/sales_invoices",
        {"customer_id": customer, "document_goods_value": "9999999999999.99"},
    )
    response = client.get("/sales_posted_transactions", params={"$filter": f"urn eq {urn}"})
    row = json.loads(response.text, parse_float=Decimal)[0]
    assert row["document_gross_value"] == Decimal("9999999999999.99")


def test_settled_immediately_and_settlement_discount(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    customer = _id(sandbox, "customers", reference="DUN001")
    bank = _id(sandbox, "banks", code="1200")
    cash_sale = _post(
        client,
        "/sales_invoices",
        {
            "customer_id": customer,
            "document_goods_value": 50,
            "document_tax_value": 10,
            "settled_immediately": True,
        },
    )
    row = _one(client, "/sales_posted_transactions", f"urn eq {cash_sale}")
    assert _money(row["document_outstanding_value"]) == 0
    assert row["full_settlement_date"] is not None
    assert _money(client.get(f"/customers/{customer}").json()["balance"]) == 0
    invoice = _post(
        client,
        "/sales_invoices",
        {"customer_id": customer, "document_goods_value": 100, "document_tax_value": 20},
    )
    receipt = _post(
        client,
        "/sales_receipts",
        {
            "customer_id": customer,
            "bank_id": bank,
            "cheque_value": 115,
            "settlement_discount_value": 5,
            "reference": "CHQ 77",
        },
    )
    assert _money(client.get(f"/customers/{customer}").json()["balance"]) == 0
    discount = _one(
        client,
        "/sales_posted_transactions",
        "trader_transaction_type eq 'TradingAccountEntryTypeDiscount'",
    )
    assert discount["urn"] != receipt
    assert _money(discount["document_gross_value"]) == Decimal("5.00")
    invoice_row = _one(client, "/sales_posted_transactions", f"urn eq {invoice}")
    receipt_row = _one(client, "/sales_posted_transactions", f"urn eq {receipt}")
    settled = client.post(
        "/sales_allocations",
        json={
            "customer_id": customer,
            "allocation_lines": [
                {"posted_tran_id": invoice_row["id"], "value_to_allocate": 120},
                {"posted_tran_id": receipt_row["id"], "value_to_allocate": -115},
                {"posted_tran_id": discount["id"], "value_to_allocate": -5},
            ],
        },
    )
    assert settled.status_code == 200, settled.text
    assert (
        _one(client, "/sales_posted_transactions", f"urn eq {invoice}")[
            "document_outstanding_value"
        ]
        == 0
    )
    allowed = _id(sandbox, "nominal_codes", reference="4900")
    assert _money(client.get(f"/nominal_codes/{allowed}").json()["balance_year_to_date"]) == 5


def test_foreign_currency_accounts_post_base_values(sandbox: Sandbox, client: httpx.Client) -> None:
    euro = _id(sandbox, "currencies", name="Euro")
    bank = _id(sandbox, "banks", code="1200")
    created = client.post(
        "/customers", json={"reference": "PAR001", "name": "Paris Import SARL", "currency_id": euro}
    )
    assert created.status_code == 200, created.text
    customer = created.json()["id"]
    bank_before = _money(client.get(f"/banks/{bank}").json()["balance"])
    urn = _post(
        client,
        "/sales_invoices",
        {"customer_id": customer, "document_goods_value": 116, "document_tax_value": 0},
    )
    row = _one(client, "/sales_posted_transactions", f"urn eq {urn}")
    assert _money(row["exchange_rate"]) == Decimal("1.16")
    assert _money(row["base_gross_value"]) == Decimal("100.00")
    assert _money(row["nominal_analysis_items"][0]["base_value"]) == Decimal("100.00")
    rows = client.get("/nominal_transaction_enquiry_views", params={"$filter": f"urn eq {urn}"})
    assert sum(_money(r["debit"]) for r in rows.json()) == Decimal("100.00")
    assert _money(client.get(f"/customers/{customer}").json()["balance"]) == Decimal("116.00")
    receipt = _post(
        client,
        "/sales_receipts",
        {"customer_id": customer, "bank_id": bank, "cheque_value": 58, "exchange_rate": 1.45},
    )
    assert _money(client.get(f"/banks/{bank}").json()["balance"]) == bank_before + 40
    assert (
        _money(_one(client, "/sales_posted_transactions", f"urn eq {receipt}")["base_gross_value"])
        == 40
    )
    home = _id(sandbox, "customers", reference="BRI001")
    for bad, message in (
        (1.1, "base currency is 1, not 1.1"),
        ("1.1234567", "6 decimal places"),
        (0, "positive"),
    ):
        refused = client.post(
            "/sales_invoices",
            json={"customer_id": home, "document_goods_value": 1, "exchange_rate": bad},
        )
        assert refused.status_code == 400
        assert message in refused.json()["Message"]


def test_bank_entry_narrative_describes_the_entry(sandbox: Sandbox, client: httpx.Client) -> None:
    bank = _id(sandbox, "banks", code="1200")
    urn = _post(
        client,
        "/bank_payment",
        {
            "bank_id": bank,
            "reference": "DD 0402",
            "narrative": "Office supplies",
            "nominal_analysis_items": [{"code": "7500", "goods_value": 50}],
        },
    )
    entry = _one(client, "/bank_posted_transactions", f"urn eq {urn}")
    assert entry["entry_description"] == "Office supplies"
