"""Posting to the ledgers: the bodies Sage 200 gets, and the totals refused before sending."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from kit200 import drive

from sage200 import PACK
from sage200._wire import moment, number
from sageflow import InputValidationError

LINES = [
    {"nominalAccount": "4000", "value": "1000.00", "narrative": "Consulting", "costCentre": "LON"},
    {"nominalAccount": "4010", "value": "250.10"},
]
TAX = [
    {"taxCodeId": 1729, "goodsAmount": "1000.00", "taxAmount": "200.00"},
    {"taxCodeId": 1730, "goodsAmount": "250.10", "taxAmount": "0"},
]
INVOICE = {
    "customerId": 27825,
    "transactionDate": "2026-03-31",
    "dueDate": "2026-04-30",
    "reference": "INV-1001",
    "nominalAnalysis": LINES,
    "taxAnalysis": TAX,
}


def test_a_sales_invoice_body() -> None:
    output, (request,) = drive("postSalesInvoice", INVOICE, [{"urn": "4217"}])
    assert (request.method, request.path) == ("POST", "/sales_invoices")
    assert request.json == {
        "customer_id": 27825,
        "transaction_date": "2026-03-31T00:00:00Z",
        "reference": "INV-1001",
        "due_date": "2026-04-30T00:00:00Z",
        "document_goods_value": 1250.1,
        "document_tax_value": 200,
        "tax_analysis_items": [
            {"id": 1729, "goods_amount": 1000, "tax_amount": 200},
            {"id": 1730, "goods_amount": 250.1, "tax_amount": 0},
        ],
        "nominal_analysis_items": [
            {"code": "4000", "cost_centre": "LON", "narrative": "Consulting", "value": 1000},
            {"code": "4010", "value": 250.1},
        ],
    }
    assert output == {"urn": "4217"}


@pytest.mark.parametrize(
    ("key", "trader", "path"),
    [
        pytest.param("postSalesCreditNote", "customerId", "/sales_credit_notes", id="sales-cn"),
        pytest.param("postPurchaseInvoice", "supplierId", "/purchase_invoices", id="purchase-inv"),
        pytest.param(
            "postPurchaseCreditNote", "supplierId", "/purchase_credit_notes", id="purchase-cn"
        ),
    ],
)
def test_the_other_documents(key: str, trader: str, path: str) -> None:
    inputs = {k: v for k, v in INVOICE.items() if k not in {"customerId", "dueDate"}}
    _, (request,) = drive(key, {**inputs, trader: 31102}, [{"urn": "9"}])
    assert request.path == path
    assert request.json[trader.replace("Id", "_id")] == 31102
    assert "due_date" not in request.json


def _problems(key: str, inputs: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(InputValidationError) as caught:
        PACK.get(key).validate(inputs)
    return [(p.path, p.message) for p in caught.value.problems]


def test_tax_goods_must_equal_the_nominal_analysis() -> None:
    tax = [{**TAX[0]}, {**TAX[1], "goodsAmount": "250.00"}]
    [(path, message)] = _problems("postSalesInvoice", {**INVOICE, "taxAnalysis": tax})
    assert path == "$.taxAnalysis"
    assert "covers goods of 1250.00 but the nominal analysis adds up to 1250.10" in message


def test_given_totals_are_checked() -> None:
    problems = _problems(
        "postSalesInvoice",
        {**INVOICE, "documentGoodsValue": "1250.00", "documentTaxValue": "210"},
    )
    assert problems == [
        (
            "$.documentGoodsValue",
            'the nominal analysis adds up to 1250.10, not 1250.00, got "1250.00"',
        ),
        ("$.documentTaxValue", 'the tax analysis adds up to 200.00, not 210, got "210"'),
    ]
    # Right totals are accepted and sent as given amounts.
    inputs = {**INVOICE, "documentGoodsValue": "1250.10", "documentTaxValue": 200}
    _, (request,) = drive("postSalesInvoice", inputs, [{"urn": "1"}])
    assert request.json["document_goods_value"] == 1250.1


@pytest.mark.parametrize(
    ("change", "where"),
    [
        pytest.param(
            {"nominalAnalysis": [{**LINES[0], "value": "10.005"}]},
            "$.nominalAnalysis[0].value",
            id="third-decimal",
        ),
        pytest.param({"taxAnalysis": [TAX[0], TAX[0]]}, "$.taxAnalysis", id="code-twice"),
        pytest.param({"nominalAnalysis": []}, "$.nominalAnalysis", id="no-lines"),
        pytest.param(
            {"nominalAnalysis": [{**LINES[0], "nominalAccount": "123456789"}]},
            "$.nominalAnalysis[0].nominalAccount",
            id="code-too-long",
        ),
        pytest.param({"customerId": "27825"}, "$.customerId", id="id-as-text"),
        pytest.param({"customerId": 0}, "$.customerId", id="id-zero"),
        pytest.param({"transactionDate": "31/03/2026"}, "$.transactionDate", id="date"),
        pytest.param({"reference": "x" * 21}, "$.reference", id="reference-too-long"),
    ],
)
def test_refused_before_sending(change: dict[str, Any], where: str) -> None:
    assert where in [path for path, _ in _problems("postSalesInvoice", {**INVOICE, **change})]


def test_money_reaches_the_wire_exactly() -> None:
    assert number(Decimal("0.10")) == 0.1
    assert number(Decimal("1234567890123.45")) == 1234567890123.45
    assert number(Decimal("-5")) == -5
    with pytest.raises(ValueError, match="more digits"):
        number(Decimal("12345678901234567.89"))
    assert moment(Decimal and __import__("datetime").date(2026, 3, 1)) == "2026-03-01T00:00:00Z"


def test_receipt_payment_and_allocation() -> None:
    receipt = {
        "customerId": 1,
        "bankId": 2,
        "chequeValue": "1200.00",
        "transactionDate": "2026-04-15",
    }
    _, (request,) = drive("postSalesReceipt", receipt, [{"urn": "7"}])
    assert (request.path, request.json) == (
        "/sales_receipts",
        {
            "customer_id": 1,
            "bank_id": 2,
            "cheque_value": 1200,
            "transaction_date": "2026-04-15T00:00:00Z",
        },
    )
    payment = {"supplierId": 3, "bankId": 2, "chequeValue": "0.01", "transactionDate": "2026-04-15"}
    _, (request,) = drive("postPurchasePayment", payment, [{"urn": "8"}])
    assert request.json["supplier_id"] == 3
    assert request.json["cheque_value"] == 0.01
    assert (
        _problems("postPurchasePayment", {**payment, "chequeValue": "0"})[0][0] == "$.chequeValue"
    )

    lines = [
        {"postedTransactionId": 10, "valueToAllocate": "1200.00"},
        {"postedTransactionId": 11, "valueToAllocate": "-1200.00"},
    ]
    _, (request,) = drive(
        "allocateSalesTransactions",
        {"customerId": 1, "allocationLines": lines},
        [{"customer_id": 1}],
    )
    assert request.json == {
        "customer_id": 1,
        "allocation_lines": [
            {"posted_tran_id": 10, "value_to_allocate": 1200},
            {"posted_tran_id": 11, "value_to_allocate": -1200},
        ],
    }
    unbalanced = [lines[0], {**lines[1], "valueToAllocate": "-1000"}]
    [(_path, message)] = _problems(
        "allocateSalesTransactions", {"customerId": 1, "allocationLines": unbalanced}
    )
    assert "add up to 200.00, not 0" in message
    # The switch leaves the decision to Sage.
    PACK.get("allocateSalesTransactions").validate(
        {"customerId": 1, "allocationLines": unbalanced, "requireBalanced": False}
    )


def test_bank_entries_total_their_lines() -> None:
    entry = {
        "bankId": 3301,
        "transactionDate": "2026-04-02",
        "lines": [
            {
                "nominalAccount": "7500",
                "goodsValue": "50.00",
                "taxCodeId": 1729,
                "taxValue": "10.00",
            },
            {"nominalAccount": "7501", "goodsValue": "9.99", "taxCodeId": 1730, "taxValue": "0"},
        ],
    }
    _, (request,) = drive("postBankPayment", entry, [{"urn": "5"}])
    assert request.path == "/bank_payment"
    body = request.json
    assert body["cheque_value"] == 69.99
    assert "cheque_goods_value" not in body
    assert body["nominal_analysis_items"][0] == {
        "code": "7500",
        "goods_value": 50,
        "tax_code_id": 1729,
        "tax_value": 10,
        "gross_value": 60,
    }
    _, (request,) = drive("postBankReceipt", entry, [{"urn": "6"}])
    assert request.path == "/bank_receipt"
    [(path, message)] = _problems("postBankReceipt", {**entry, "chequeValue": "70.00"})
    assert (path, message.split(",")[0]) == ("$.chequeValue", "the lines' gross total is 69.99")


def test_find_by_urn_reads_back_what_a_posting_returned() -> None:
    found = [{"id": 90211, "urn": 4217}]
    for urn in (4217, "4217"):
        output, (request,) = drive("findSalesPostedTransaction", {"urn": urn}, [found])
        assert request.path == "/sales_posted_transactions"
        assert request.query["$filter"] == "urn eq 4217"
        assert output == {"items": found}
    _, (request,) = drive("findPurchasePostedTransaction", {"urn": 9}, [[]])
    assert request.path == "/purchase_posted_transactions"
    for bad in ("42 or 1 eq 1", "0", -1, "", "4217'"):
        assert _problems("findSalesPostedTransaction", {"urn": bad})[0][0] == "$.urn"
