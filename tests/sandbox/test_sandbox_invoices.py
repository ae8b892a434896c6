"""Invoices: totals from lines and GB tax rates, due dates, numbering, statuses, void/delete."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sandboxkit import by_code, contact_id, new_invoice

from sage_accounting.sandbox import Sandbox


def _line(
    client: httpx.Client, quantity: str, price: str, tax: str, **extra: object
) -> dict[str, object]:
    return {
        "description": "Item",
        "ledger_account_id": by_code(client, 4000)["id"],
        "quantity": quantity,
        "unit_price": price,
        "tax_rate_id": tax,
        **extra,
    }


@pytest.mark.parametrize(
    ("lines", "net", "tax", "total"),
    [
        pytest.param(
            [("1", "100", "GB_STANDARD", "20.00")], "100.0", "20.0", "120.0", id="standard"
        ),
        pytest.param([("3", "19.99", "GB_LOWER", "3.00")], "59.97", "3.0", "62.97", id="lower"),
        pytest.param([("2", "10", "GB_ZERO", "0")], "20.0", "0.0", "20.0", id="zero"),
        pytest.param([("1", "50", "GB_EXEMPT", None)], "50.0", "0.0", "50.0", id="exempt"),
        pytest.param([("1", "7.5", "GB_NO_TAX", None)], "7.5", "0.0", "7.5", id="no-tax"),
        pytest.param(
            # [G-inv]: an omitted tax_amount becomes zero, whatever the rate says.
            [("1", "100", "GB_STANDARD", None)],
            "100.0",
            "0.0",
            "100.0",
            id="omitted-tax-books-zero",
        ),
        pytest.param(
            # Booked as sent: the sandbox does not second-guess a caller's tax (unknown on Sage).
            [("1", "0.625", "GB_STANDARD", "0.13"), ("1", "0.625", "GB_STANDARD", "0.12")],
            "1.26",
            "0.25",
            "1.51",
            id="as-sent",
        ),
        pytest.param(
            [("1", "100", "GB_STANDARD", "20"), ("4", "2.5", "GB_LOWER", "0.5")],
            "110.0",
            "20.5",
            "130.5",
            id="mixed",
        ),
    ],
)
def test_totals_from_lines(
    client: httpx.Client,
    lines: list[tuple[str, str, str, str | None]],
    net: str,
    tax: str,
    total: str,
) -> None:
    body = [
        _line(client, q, p, t, **({} if a is None else {"tax_amount": a})) for q, p, t, a in lines
    ]
    invoice = new_invoice(client, invoice_lines=body).json()
    assert (invoice["net_amount"], invoice["tax_amount"], invoice["total_amount"]) == (
        net,
        tax,
        total,
    )
    assert invoice["outstanding_amount"] == total
    line_sum = sum(Decimal(line["total_amount"]) for line in invoice["invoice_lines"])
    assert line_sum == Decimal(total)
    assert all(isinstance(line["quantity"], str) for line in invoice["invoice_lines"])


def test_discount_and_tax_analysis(client: httpx.Client) -> None:
    body = [
        _line(client, "2", "50", "GB_STANDARD", discount_amount="10", tax_amount="18.00"),
        _line(client, "1", "40", "GB_LOWER", tax_amount="2.00"),
    ]
    invoice = new_invoice(client, invoice_lines=body).json()
    assert invoice["invoice_lines"][0]["net_amount"] == "90.0"
    assert invoice["invoice_lines"][0]["tax_amount"] == "18.0"
    assert invoice["total_discount_amount"] == "10.0"
    analysis = {a["tax_rate"]["id"]: a["tax_amount"] for a in invoice["tax_analysis"]}
    assert analysis == {"GB_STANDARD": "18.0", "GB_LOWER": "2.0"}


@pytest.mark.parametrize(
    ("extra", "net", "tax", "total", "discount"),
    [
        pytest.param(
            {"unit_price_includes_tax": True, "tax_amount": "20.00"},
            "100.0",
            "20.0",
            "120.0",
            "0.0",
            id="gross-price",
        ),
        pytest.param(
            {"discount_percentage": "10", "tax_amount": "21.60"},
            "108.0",
            "21.6",
            "129.6",
            "12.0",
            id="discount-percentage",
        ),
        pytest.param(
            {"unit_price_includes_tax": True, "discount_amount": "20", "tax_amount": "16.67"},
            "83.33",
            "16.67",
            "100.0",
            "20.0",
            id="gross-price-and-discount",
        ),
    ],
)
def test_gross_prices_and_discounts_change_what_is_booked(
    client: httpx.Client, extra: dict[str, object], net: str, tax: str, total: str, discount: str
) -> None:
    # The spec's line inputs unit_price_includes_tax and discount_percentage were accepted and
    # dropped before: a gross 120.00 was booked as net 120 plus 24 VAT.
    line = _line(client, "1", "120", "GB_STANDARD", **extra)
    invoice = new_invoice(client, invoice_lines=[line]).json()
    booked = invoice["invoice_lines"][0]
    assert (booked["net_amount"], booked["tax_amount"], booked["total_amount"]) == (
        net,
        tax,
        total,
    )
    assert (invoice["net_amount"], invoice["total_amount"]) == (net, total)
    assert booked["discount_amount"] == discount
    assert booked["unit_price_includes_tax"] is extra.get("unit_price_includes_tax", False)


def test_numbering_status_and_due_date(client: httpx.Client) -> None:
    first = new_invoice(client).json()
    second = new_invoice(client).json()
    assert (first["invoice_number"], second["invoice_number"]) == ("SI-4", "SI-5")
    assert first["displayed_as"] == "SI-4"
    assert first["status"]["id"] == "UNPAID"
    assert first["due_date"] == "2026-02-04"  # ACME001 has 30 credit days
    north = contact_id(client, "NORTH01")
    assert new_invoice(client, contact_id=north).json()["due_date"] == "2026-01-19"  # 14 days
    explicit = new_invoice(client, due_date="2026-03-01").json()
    assert explicit["due_date"] == "2026-03-01"
    early = new_invoice(client, due_date="2025-12-01")
    assert early.status_code == 422
    assert early.json()[0]["$source"] == "due_date"


def test_draft_release(client: httpx.Client) -> None:
    draft = new_invoice(client, status_id="DRAFT").json()
    assert draft["status"]["id"] == "DRAFT"
    released = client.post(f"/sales_invoices/{draft['id']}/release")
    assert released.status_code == 201
    assert released.json()["status"]["id"] == "UNPAID"
    again = client.post(f"/sales_invoices/{draft['id']}/release")
    assert again.status_code == 422
    assert client.get(f"/sales_invoices/{draft['id']}/release").status_code == 405


def test_voiding_needs_a_reason_and_answers_200(client: httpx.Client) -> None:
    invoice = new_invoice(client).json()
    refused = client.delete(f"/sales_invoices/{invoice['id']}")
    assert refused.status_code == 422
    assert refused.json()[0]["$source"] == "void_reason"
    voided = client.delete(f"/sales_invoices/{invoice['id']}", params={"void_reason": "Typo"})
    assert voided.status_code == 200
    assert voided.json()["status"]["id"] == "VOID"
    assert voided.json()["void_reason"] == "Typo"
    assert client.get(f"/sales_invoices/{invoice['id']}").json()["status"]["id"] == "VOID"
    edit = client.put(f"/sales_invoices/{invoice['id']}", json={"sales_invoice": {"notes": "x"}})
    assert edit.status_code == 422


def test_deleting_a_draft_needs_no_reason_and_really_deletes(client: httpx.Client) -> None:
    draft = new_invoice(client, status_id="DRAFT").json()
    response = client.delete(f"/sales_invoices/{draft['id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert client.get(f"/sales_invoices/{draft['id']}").status_code == 404


def test_payments_move_the_status(sandbox: Sandbox, client: httpx.Client) -> None:
    invoice = new_invoice(client).json()  # 120.00
    assert sandbox.record_payment(invoice["id"], "20")["status"]["id"] == "PART_PAID"
    paid = sandbox.record_payment(invoice["id"], Decimal("100"))
    assert paid["status"]["id"] == "PAID"
    assert paid["outstanding_amount"] == "0.0"
    refused = client.delete(f"/sales_invoices/{invoice['id']}", params={"void_reason": "x"})
    assert refused.status_code == 422


def test_update_recomputes_totals(client: httpx.Client) -> None:
    invoice = new_invoice(client).json()
    line = _line(client, "2", "100", "GB_STANDARD", tax_amount="40.00")
    body = {"invoice_lines": [line], "reference": "PO-9"}
    updated = client.put(f"/sales_invoices/{invoice['id']}", json={"sales_invoice": body}).json()
    assert updated["total_amount"] == "240.0"
    assert updated["reference"] == "PO-9"
    assert updated["invoice_number"] == invoice["invoice_number"]


def test_a_supplier_on_a_sales_invoice_is_refused(client: httpx.Client) -> None:
    response = new_invoice(client, contact_id=contact_id(client, "OAK001"))
    assert response.status_code == 422
    # Sage names no field here: the message is all it gives.
    assert response.json() == [
        {
            "$severity": "error",
            "$dataCode": "RecordInvalid",
            "$message": "Couldn't find Customer.",
            "$source": "",
        }
    ]


def test_missing_fields_name_their_source(client: httpx.Client) -> None:
    response = client.post(
        "/sales_invoices",
        json={"sales_invoice": {"invoice_lines": [{"unit_price": "5", "quantity": "1"}]}},
    )
    assert response.status_code == 422
    sources = {p["$source"] for p in response.json()}
    assert sources == {
        "contact_id",
        "date",
        "invoice_lines[0].description",
        "invoice_lines[0].ledger_account_id",
    }


def test_purchase_invoices(client: httpx.Client) -> None:
    oak = contact_id(client, "OAK001")
    body = {
        "contact_id": oak,
        "date": "2026-01-05",
        "due_date": "2026-02-04",  # postPurchaseInvoices requires it
        "vendor_reference": "OAK-55",
        "invoice_lines": [
            {
                "description": "Boards",
                "ledger_account_id": by_code(client, 5000)["id"],
                "quantity": "10",
                "unit_price": "12.5",
                "tax_rate_id": "GB_STANDARD",
                "tax_amount": "25.00",
            }
        ],
    }
    created = client.post("/purchase_invoices", json={"purchase_invoice": body})
    assert created.status_code == 201
    invoice = created.json()
    assert invoice["displayed_as"] == "OAK-55"
    assert invoice["total_amount"] == "150.0"
    assert client.delete(f"/purchase_invoices/{invoice['id']}").status_code == 204
    assert client.get(f"/purchase_invoices/{invoice['id']}").status_code == 404
    customer = client.post(
        "/purchase_invoices",
        json={"purchase_invoice": {**body, "contact_id": contact_id(client, "ACME001")}},
    )
    assert customer.status_code == 422
    assert customer.json()[0]["$message"] == "Couldn't find Supplier."
