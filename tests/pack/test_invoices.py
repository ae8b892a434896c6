"""Sales and purchase invoices: typed lines on the wire, void vs delete, release, the alias."""

from __future__ import annotations

from decimal import Decimal

import pytest
from packkit import first, run

from sage_accounting import PACK
from sageflow import HTTPRequest, HTTPResponse, InputValidationError

ID = "3f8e2a1b7c6d4e5f9a0b1c2d3e4f5a6b"
LEDGER = "9a994ff1f7f8491ba2ac8b7b8d2f5a20"
LINE = {
    "description": "Consulting",
    "ledgerAccountId": LEDGER,
    "quantity": 2,
    "unitPrice": "0.10",
    "unitPriceIncludesTax": False,
    "taxRateId": "GB_STANDARD",
    "discountAmount": 0,
}


def written(key: str, inputs: dict[str, object]) -> HTTPRequest:
    """The write an invoice component sends (after any tax-rate GET it makes first)."""
    sent, _ = run(key, inputs)
    assert sent[-1].method in {"POST", "PUT"}
    return sent[-1]


def test_create_sales_invoice_body() -> None:
    request = written(
        "createSalesInvoice",
        {"contactId": "C1", "date": "2026-03-31", "invoiceLines": [LINE], "totalAmount": 0.3},
    )
    assert (request.method, request.path) == ("POST", "/sales_invoices")
    assert request.json == {
        "sales_invoice": {
            "total_amount": "0.3",
            "contact_id": "C1",
            "date": "2026-03-31",
            "invoice_lines": [
                {
                    "description": "Consulting",
                    "ledger_account_id": LEDGER,
                    "quantity": "2",
                    "unit_price": "0.10",
                    "unit_price_includes_tax": False,
                    "tax_rate_id": "GB_STANDARD",
                    # 2 x 0.10 at 20%, worked out because no taxAmount was given.
                    "tax_amount": "0.04",
                    "discount_amount": "0",
                }
            ],
        }
    }


def test_create_purchase_invoice_requires_due_date_and_takes_vendor_reference() -> None:
    base = {
        "contactId": "S1",
        "date": "2026-03-10",
        "invoiceLines": [{**LINE, "discountAmount": None}],
    }
    with pytest.raises(InputValidationError) as caught:
        PACK.get("createPurchaseInvoice").validate(base)
    assert "$.dueDate" in str(caught.value)
    line = {k: v for k, v in LINE.items() if k != "discountAmount"}
    request = written(
        "createPurchaseInvoice",
        {**base, "invoiceLines": [line], "dueDate": "2026-04-09", "vendorReference": "INV-1"},
    )
    invoice = request.json["purchase_invoice"]
    assert invoice["due_date"] == "2026-04-09"
    assert invoice["vendor_reference"] == "INV-1"


def test_purchase_lines_have_no_discount_because_sage_has_none() -> None:
    inputs = {
        "contactId": "S1",
        "date": "2026-03-10",
        "dueDate": "2026-04-09",
        "invoiceLines": [LINE],
    }
    with pytest.raises(InputValidationError, match=r"\$\.invoiceLines\[0\]\.discountAmount"):
        PACK.get("createPurchaseInvoice").validate(inputs)


@pytest.mark.parametrize(
    ("line", "path"),
    [
        pytest.param({**LINE, "quantity": "two"}, "$.invoiceLines[0].quantity", id="quantity"),
        pytest.param({**LINE, "unitPrice": 1.5e400}, "$.invoiceLines[0].unitPrice", id="inf"),
        pytest.param(
            {k: v for k, v in LINE.items() if k != "ledgerAccountId"},
            "$.invoiceLines[0].ledgerAccountId",
            id="missing",
        ),
        pytest.param(
            {**LINE, "ledger_account_id": LEDGER}, "$.invoiceLines[0].ledger_account_id", id="snake"
        ),
    ],
)
def test_a_bad_line_names_its_path(line: dict[str, object], path: str) -> None:
    inputs = {"contactId": "C1", "date": "2026-03-31", "invoiceLines": [line]}
    with pytest.raises(InputValidationError) as caught:
        PACK.get("createSalesInvoice").validate(inputs)
    assert path in str(caught.value)


def test_an_invoice_needs_at_least_one_line() -> None:
    with pytest.raises(InputValidationError, match=r"\$\.invoiceLines"):
        PACK.get("createSalesInvoice").validate(
            {"contactId": "C1", "date": "2026-03-31", "invoiceLines": []}
        )


def test_delete_sales_invoice_voids_with_the_reason_in_query_and_body() -> None:
    voided = {"id": ID, "status": {"id": "VOID"}, "void_reason": "Duplicate"}
    sent, out = run(
        "deleteSalesInvoice",
        {"salesInvoiceId": ID, "voidReason": "Duplicate"},
        [HTTPResponse.from_json(200, voided)],
    )
    assert (sent[0].method, sent[0].path) == ("DELETE", f"/sales_invoices/{ID}")
    # The spec reads the query, Sage's invoicing guide a JSON body ([G-inv]): both are sent.
    assert sent[0].query == {"void_reason": "Duplicate"}
    assert sent[0].json == {"void_reason": "Duplicate"}
    assert out == {"id": ID, "deleted": True, "voided": True, "invoice": voided}


def test_deleting_a_draft_sales_invoice_is_a_real_delete() -> None:
    _, out = run("deleteSalesInvoice", {"salesInvoiceId": ID}, [HTTPResponse(204)])
    assert out == {"id": ID, "deleted": True, "voided": False}


def test_delete_draft_sales_invoice_needs_no_reason() -> None:
    assert first("deleteSalesInvoice", {"salesInvoiceId": ID}).query == {}


def test_delete_purchase_invoice_really_deletes() -> None:
    request = first("deletePurchaseInvoice", {"purchaseInvoiceId": ID})
    assert (request.method, request.path, request.query) == (
        "DELETE",
        f"/purchase_invoices/{ID}",
        {},
    )


@pytest.mark.parametrize(
    ("key", "inputs", "path"),
    [
        ("releaseSalesInvoice", {"salesInvoiceId": ID}, f"/sales_invoices/{ID}/release"),
        ("releasePurchaseInvoice", {"purchaseInvoiceId": ID}, f"/purchase_invoices/{ID}/release"),
    ],
)
def test_release_posts_to_the_release_route(key: str, inputs: dict[str, str], path: str) -> None:
    sent, out = run(
        key, inputs, [HTTPResponse.from_json(201, {"id": ID, "status": {"id": "UNPAID"}})]
    )
    assert (sent[0].method, sent[0].path, sent[0].json) == ("POST", path, None)
    assert out["status"] == {"id": "UNPAID"}


def test_list_purchase_invoices_is_an_alias_of_the_seeds_singular_key() -> None:
    assert PACK.get("listPurchaseInvoices") is PACK.get("listPurchaseInvoice")


@pytest.mark.parametrize("key", ["listSalesInvoices", "listPurchaseInvoice"])
def test_invoice_list_filters(key: str) -> None:
    request = first(
        key,
        {
            "contactId": "C1",
            "statusId": "UNPAID",
            "from_date": "2026-01-01",
            "to_date": "2026-03-31",
            "deleted_since": "2026-02-01",
            "hasAttachments": False,
            "sort": "date:asc",
            "search": "SI-1",
        },
    )
    assert request.query == {
        "deleted_since": "2026-02-01",
        "search": "SI-1",
        "contact_id": "C1",
        "status_id": "UNPAID",
        "from_date": "2026-01-01",
        "to_date": "2026-03-31",
        "has_attachments": False,
        "sort": "date:asc",
    }


def test_get_invoice_paths() -> None:
    assert first("getSalesInvoice", {"salesInvoiceId": ID}).path == f"/sales_invoices/{ID}"
    assert first("getPurchaseInvoice", {"purchaseInvoiceId": ID}).path == f"/purchase_invoices/{ID}"


def test_money_keeps_every_digit() -> None:
    line = {**LINE, "unitPrice": "1234567890.123456789"}
    request = written(
        "createSalesInvoice", {"contactId": "C1", "date": "2026-03-31", "invoiceLines": [line]}
    )
    sent = request.json["sales_invoice"]["invoice_lines"][0]["unit_price"]
    assert Decimal(sent) == Decimal("1234567890.123456789")


def test_a_float_amount_from_a_flow_becomes_the_decimal_a_person_wrote() -> None:
    # YAML and flow expressions give floats: 0.1 must reach Sage as "0.1", never 0.1000000001.
    line = {**LINE, "unitPrice": 0.1, "quantity": 3}
    request = written(
        "createSalesInvoice", {"contactId": "C1", "date": "2026-03-31", "invoiceLines": [line]}
    )
    sent = request.json["sales_invoice"]["invoice_lines"][0]
    assert (sent["unit_price"], sent["quantity"]) == ("0.1", "3")
