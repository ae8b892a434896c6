"""The sandbox's credit notes, quotes, estimates and attachments, over raw HTTP.

Credit notes hold outstanding amounts and statuses as invoices do, so the payments family's
allocations settle them; quotes become invoices through ``original_quote_estimate_id``;
attachments keep their file and refuse what Sage would not take.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandboxkit import by_code, contact_id, make_client

from sage_accounting.attachments import MAX_FILE_BYTES
from sage_accounting.sandbox import Sandbox
from sage_accounting.sandbox._resources import ledger_totals

OCTETS = {"Accept": "application/octet-stream"}
PDF = b"%PDF-1.4\n%\xc7\xec\x8f\xa2\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _line(client: httpx.Client, code: int = 4000, **extra: Any) -> dict[str, Any]:
    return {
        "description": "Joinery",
        "ledger_account_id": by_code(client, code)["id"],
        "quantity": "1",
        "unit_price": "100.00",
        "tax_rate_id": "GB_STANDARD",
        "tax_amount": "20.00",
        **extra,
    }


def _post(client: httpx.Client, path: str, wrapper: str, **body: Any) -> httpx.Response:
    return client.post(path, json={wrapper: body})


def _credit_note(client: httpx.Client, **overrides: Any) -> httpx.Response:
    body = {
        "contact_id": contact_id(client, "ACME001"),
        "date": "2026-01-20",
        "credit_note_lines": [_line(client)],
        **overrides,
    }
    return _post(client, "/sales_credit_notes", "sales_credit_note", **body)


def _invoice(client: httpx.Client, price: str = "300.00", tax: str = "60.00") -> dict[str, Any]:
    body = {
        "contact_id": contact_id(client, "ACME001"),
        "date": "2026-01-05",
        "invoice_lines": [_line(client, unit_price=price, tax_amount=tax)],
    }
    response = _post(client, "/sales_invoices", "sales_invoice", **body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _errors(response: httpx.Response) -> list[tuple[str, str]]:
    return [(e["$source"], e["$message"]) for e in response.json()]


def test_a_credit_note_is_numbered_and_carries_the_invoice_arithmetic(client: httpx.Client) -> None:
    response = _credit_note(client)
    assert response.status_code == 201, response.text
    note = response.json()
    assert (note["credit_note_number"], note["displayed_as"]) == ("SCN-1", "SCN-1")
    assert (note["net_amount"], note["tax_amount"], note["total_amount"]) == (
        "100.0",
        "20.0",
        "120.0",
    )
    assert (note["outstanding_amount"], note["total_paid"]) == ("120.0", "0.0")
    assert note["status"]["id"] == "UNPAID"
    assert note["transaction_type"]["id"] == "SALES_CREDIT_NOTE"
    assert note["credit_note_lines"][0]["tax_amount"] == "20.0"
    assert "invoice_lines" not in note
    assert _credit_note(client).json()["credit_note_number"] == "SCN-2"


def test_a_draft_credit_note_is_numbered_when_released(client: httpx.Client) -> None:
    draft = _credit_note(client, status_id="DRAFT").json()
    assert (draft["credit_note_number"], draft["transaction"]) == ("SCN-DRAFT", None)
    released = client.post(f"/sales_credit_notes/{draft['id']}/release")
    assert released.status_code == 201
    assert released.json()["credit_note_number"] == "SCN-1"
    assert released.json()["status"]["id"] == "UNPAID"
    again = client.post(f"/sales_credit_notes/{draft['id']}/release")
    assert again.status_code == 422


def test_credit_note_refusals_name_every_field(client: httpx.Client) -> None:
    bad = _post(
        client,
        "/sales_credit_notes",
        "sales_credit_note",
        contact_id="nope",
        date="31/01/2026",
        credit_note_lines=[{"description": "", "ledger_account_id": "x", "unit_price": "1"}],
        status_id="PRO_FORMA",
    )
    assert bad.status_code == 422
    sources = {source for source, _ in _errors(bad)}
    assert {"contact_id", "date", "status_id"} <= sources
    assert any(s.startswith("credit_note_lines[0]") for s in sources)
    assert client.get("/sales_credit_notes").json()["$total"] == 0


def test_strict_mode_refuses_fields_the_sandbox_does_not_act_on(client: httpx.Client) -> None:
    response = _credit_note(client, due_date="2026-02-01", shipping_net_amount="5.00")
    assert response.status_code == 422
    assert {s for s, _ in _errors(response)} == {"due_date", "shipping_net_amount"}
    mismatch = _credit_note(client, total_amount="999.00")
    assert mismatch.status_code == 422
    assert _errors(mismatch)[0][0] == "total_amount"


def test_allocating_a_credit_note_against_an_invoice_settles_both(client: httpx.Client) -> None:
    invoice = _invoice(client)
    note = _credit_note(client).json()
    allocation = _post(
        client,
        "/contact_allocations",
        "contact_allocation",
        transaction_type_id="CUSTOMER_ALLOCATION",
        contact_id=invoice["contact"]["id"],
        allocated_artefacts=[
            {"artefact_id": invoice["id"], "amount": "120.00"},
            {"artefact_id": note["id"], "amount": "-120.00"},
        ],
    )
    assert allocation.status_code == 201, allocation.text
    invoice_now = client.get(f"/sales_invoices/{invoice['id']}").json()
    note_now = client.get(f"/sales_credit_notes/{note['id']}").json()
    assert (invoice_now["outstanding_amount"], invoice_now["status"]["id"]) == (
        "240.0",
        "PART_PAID",
    )
    assert (note_now["outstanding_amount"], note_now["status"]["id"]) == ("0.0", "PAID")
    # An allocated credit note cannot be voided until its allocation goes.
    refused = client.delete(f"/sales_credit_notes/{note['id']}", params={"void_reason": "x"})
    assert refused.status_code == 422


def test_an_issued_credit_note_is_voided_with_a_reason_and_a_draft_deleted(
    client: httpx.Client,
) -> None:
    note = _credit_note(client).json()
    assert client.delete(f"/sales_credit_notes/{note['id']}").status_code == 422
    voided = client.delete(f"/sales_credit_notes/{note['id']}", params={"void_reason": "Error"})
    assert voided.status_code == 200
    assert (voided.json()["status"]["id"], voided.json()["void_reason"]) == ("VOID", "Error")
    assert voided.json()["outstanding_amount"] == "0.0"
    edit = client.put(f"/sales_credit_notes/{note['id']}", json={"sales_credit_note": {}})
    assert edit.status_code == 422
    # The invoicing guide's form: the reason in a JSON body (sage-guides-facts.md Q3).
    other = _credit_note(client).json()
    in_body = client.request(
        "DELETE", f"/sales_credit_notes/{other['id']}", json={"void_reason": "Duplicate"}
    )
    assert (in_body.status_code, in_body.json()["void_reason"]) == (200, "Duplicate")
    draft = _credit_note(client, status_id="DRAFT").json()
    assert client.delete(f"/sales_credit_notes/{draft['id']}").status_code == 204
    assert client.get(f"/sales_credit_notes/{draft['id']}").status_code == 404


def test_credit_notes_post_the_reverse_of_an_invoice_and_the_books_balance(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    _credit_note(client)
    totals = ledger_totals(sandbox.lead_business, "2026-01-20", "2026-01-20")
    debtors = totals[by_code(client, 1100)["id"]]
    vat = totals[by_code(client, 2200)["id"]]
    sales = totals[by_code(client, 4000)["id"]]
    assert debtors == (Decimal(0), Decimal("120.00"))
    assert vat == (Decimal("20.00"), Decimal(0))
    assert sales == (Decimal("100.00"), Decimal(0))
    assert sum(d for d, _ in totals.values()) == sum(c for _, c in totals.values())


def test_a_credit_note_lowers_the_customers_balance(client: httpx.Client) -> None:
    key = contact_id(client, "ACME001")

    def balance() -> Decimal:
        got = client.get(f"/contacts/{key}", params={"show_balance": "true"}).json()
        return Decimal(got["balance"])

    before = balance()
    _credit_note(client)
    assert balance() == before - Decimal("120.00")


def test_a_purchase_credit_note_shows_its_date_and_total_without_a_reference(
    client: httpx.Client,
) -> None:
    body = {
        "contact_id": contact_id(client, "OAK001"),
        "date": "2026-02-24",
        "credit_note_lines": [_line(client, 5000, unit_price="231.00", tax_amount="46.20")],
    }
    note = _post(client, "/purchase_credit_notes", "purchase_credit_note", **body)
    assert note.status_code == 201, note.text
    # purchase_credit_notes__get_one__sage-swagger-2025-example.json: "24/02/2023 - 277.20".
    assert note.json()["displayed_as"] == "24/02/2026 - 277.20"
    no_quantity = [{k: v for k, v in body["credit_note_lines"][0].items() if k != "quantity"}]
    refused = _post(
        client,
        "/purchase_credit_notes",
        "purchase_credit_note",
        **{**body, "credit_note_lines": no_quantity},
    )
    assert ("credit_note_lines[0].quantity", "can't be blank") in _errors(refused)
    customer = _post(
        client,
        "/purchase_credit_notes",
        "purchase_credit_note",
        **{**body, "contact_id": contact_id(client, "ACME001")},
    )
    assert customer.status_code == 422
    assert client.delete(f"/purchase_credit_notes/{note.json()['id']}").status_code == 204


# --- Quotes and estimates ---------------------------------------------------------------------


def _quote(client: httpx.Client, path: str = "/sales_quotes", **overrides: Any) -> httpx.Response:
    noun = "quote" if path == "/sales_quotes" else "estimate"
    body = {
        "contact_id": contact_id(client, "ACME001"),
        "date": "2026-01-10",
        "expiry_date": "2026-02-10",
        f"{noun}_lines": [_line(client)],
        **overrides,
    }
    return _post(client, path, f"sales_{noun}", **body)


def test_quotes_and_estimates_are_numbered_and_take_their_statuses(client: httpx.Client) -> None:
    quote = _quote(client).json()
    assert (quote["quote_number"], quote["status"]["id"], quote["invoice"]) == (
        "SQ-1",
        "UNPAID",
        None,
    )
    assert quote["total_amount"] == "120.0"
    assert "outstanding_amount" not in quote
    estimate = _quote(client, "/sales_estimates").json()
    assert estimate["estimate_number"] == "SE-1"
    accepted = client.put(
        f"/sales_quotes/{quote['id']}", json={"sales_quote": {"status_id": "ACCEPTED"}}
    )
    assert accepted.json()["status"]["id"] == "ACCEPTED"
    unknown = client.put(
        f"/sales_quotes/{quote['id']}", json={"sales_quote": {"status_id": "PAID"}}
    )
    assert unknown.status_code == 422
    early = _quote(client, expiry_date="2026-01-01")
    assert ("expiry_date", "must be on or after the date") in _errors(early)
    missing = _quote(client, expiry_date=None)
    assert _errors(missing)[0][0] == "expiry_date"


def test_a_quote_becomes_an_invoice_once(client: httpx.Client) -> None:
    quote = _quote(client).json()
    body = {
        "contact_id": quote["contact"]["id"],
        "date": "2026-01-15",
        "original_quote_estimate_id": quote["id"],
        "invoice_lines": [_line(client)],
    }
    invoice = _post(client, "/sales_invoices", "sales_invoice", **body)
    assert invoice.status_code == 201, invoice.text
    assert invoice.json()["original_quote_estimate"]["id"] == quote["id"]
    linked = client.get(f"/sales_quotes/{quote['id']}").json()
    assert linked["invoice"]["id"] == invoice.json()["id"]
    invoices_before = client.get("/sales_invoices").json()["$total"]
    twice = _post(client, "/sales_invoices", "sales_invoice", **body)
    assert ("original_quote_estimate_id", "has already been invoiced") in _errors(twice)
    assert client.get("/sales_invoices").json()["$total"] == invoices_before
    assert client.delete(f"/sales_quotes/{quote['id']}").status_code == 422
    declined = _quote(client, status_id="DECLINED").json()
    refused = _post(
        client,
        "/sales_invoices",
        "sales_invoice",
        **{**body, "original_quote_estimate_id": declined["id"]},
    )
    assert refused.status_code == 422
    nowhere = _post(
        client, "/sales_invoices", "sales_invoice", **{**body, "original_quote_estimate_id": "x"}
    )
    assert ("original_quote_estimate_id", "is invalid") in _errors(nowhere)


# --- Attachments ------------------------------------------------------------------------------


def _attach(client: httpx.Client, content: bytes = PDF, **overrides: Any) -> httpx.Response:
    note = _credit_note(client).json()
    body = {
        "file": base64.b64encode(content).decode(),
        "file_name": "refund.pdf",
        "mime_type": "application/pdf",
        "attachment_context_type_id": "SALES_CREDIT_NOTE",
        "attachment_context_id": note["id"],
        **overrides,
    }
    return _post(client, "/attachments", "attachment", **body)


def test_an_attachment_keeps_its_file_and_metadata(client: httpx.Client) -> None:
    response = _attach(client, description="Signed refund")
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["file_size"], made["file_extension"], made["displayed_as"]) == (
        len(PDF),
        ".pdf",
        "Signed refund",
    )
    assert made["$file_path"] == f"/attachments/{made['id']}/file"
    assert len(made["id"]) == 36  # a hyphenated UUID, as Sage's example
    assert "_file" not in made
    download = client.get(made["$file_path"], headers=OCTETS)
    assert (download.status_code, download.content) == (200, PDF)
    assert download.headers["content-type"] == "application/pdf"
    # getAttachmentsKeyFile requires Accept: application/octet-stream.
    as_json = client.get(made["$file_path"], headers={"Accept": "application/json"})
    assert as_json.status_code == 406
    context = made["attachment_context"]["id"]
    listed = client.get("/attachments", params={"attachment_context_id": context})
    assert [i["id"] for i in listed.json()["$items"]] == [made["id"]]
    flagged = client.get("/sales_credit_notes", params={"has_attachments": "true"})
    assert [i["id"] for i in flagged.json()["$items"]] == [context]
    assert client.delete(f"/attachments/{made['id']}").status_code == 204


@pytest.mark.parametrize(
    ("content", "overrides", "source"),
    [
        pytest.param(b"<html>", {}, "file", id="not-a-pdf"),
        pytest.param(PDF, {"mime_type": "text/html", "file_name": "x.html"}, "file", id="type"),
        pytest.param(PDF, {"file_name": "refund.png"}, "file", id="extension"),
        pytest.param(PDF, {"file_size": 3}, "file_size", id="size-mismatch"),
        pytest.param(PDF, {"file": "not base64!"}, "file", id="bad-base64"),
        pytest.param(PDF, {"attachment_context_id": "nope"}, "attachment_context_id", id="owner"),
        pytest.param(
            PDF,
            {"attachment_context_type_id": "PAYSLIP"},
            "attachment_context_type_id",
            id="context-type",
        ),
        pytest.param(PDF, {"transaction_id": "nope"}, "transaction_id", id="transaction"),
    ],
)
def test_an_attachment_sage_would_not_take_is_refused(
    client: httpx.Client, content: bytes, overrides: dict[str, Any], source: str
) -> None:
    response = _attach(client, content, **overrides)
    assert response.status_code == 422
    assert source in {s for s, _ in _errors(response)}
    assert client.get("/attachments").json()["$total"] == 0


def test_an_attachment_over_sages_size_limit_is_refused(client: httpx.Client) -> None:
    big = PDF + b"0" * (MAX_FILE_BYTES - len(PDF) + 1)
    response = _attach(client, big)
    assert response.status_code == 422
    assert "2,621,440" in _errors(response)[0][1]
    exact = PDF + b"0" * (MAX_FILE_BYTES - len(PDF))
    assert _attach(client, exact).status_code == 201


def test_an_attachment_goes_on_a_transaction(client: httpx.Client) -> None:
    invoice = _invoice(client)
    response = _post(
        client,
        "/attachments",
        "attachment",
        file=base64.b64encode(PDF).decode(),
        file_name="receipt.pdf",
        mime_type="application/pdf",
        transaction_id=invoice["transaction"]["id"],
    )
    assert response.status_code == 201, response.text
    assert response.json()["transaction"]["id"] == invoice["transaction"]["id"]
    types = client.get("/attachment_context_types", params={"items_per_page": 50}).json()
    assert types["$total"] == 13


def test_credit_notes_quotes_and_files_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "books.db"
    first = Sandbox(data=data)
    with make_client(first) as client:
        fresh = _post(client, "/contacts", "contact", name="New Ltd", contact_type_ids=["CUSTOMER"])
        note = _credit_note(client, contact_id=fresh.json()["id"]).json()
        made = _attach(client).json()
        quote = _quote(client).json()
    first.close()
    again = Sandbox(data=data)
    with make_client(again) as client:
        assert _credit_note(client).json()["credit_note_number"] == "SCN-3"
        assert client.get(made["$file_path"], headers=OCTETS).content == PDF
        # Its only artefact is the credit note: the contact cannot be deleted (usage reloaded).
        assert client.delete(f"/contacts/{note['contact']['id']}").status_code == 422
        assert client.get(f"/sales_quotes/{quote['id']}").json()["quote_number"] == "SQ-1"
    again.close()


def test_the_invoice_settings_prefixes_number_credit_notes_quotes_and_estimates(
    client: httpx.Client,
) -> None:
    prefixes = {
        "sales_credit_note_number_prefix": "CR-",
        "quote_number_prefix": "QT-",
        "estimate_number_prefix": "EST-",
    }
    changed = client.put("/invoice_settings", json={"invoice_settings": prefixes})
    assert changed.status_code == 200, changed.text
    assert _credit_note(client).json()["credit_note_number"] == "CR-1"
    assert _quote(client).json()["quote_number"] == "QT-1"
    assert _quote(client, "/sales_estimates").json()["estimate_number"] == "EST-1"
    # The create's own prefix still wins (postSalesCreditNotes credit_note_number_prefix).
    own = _credit_note(client, credit_note_number_prefix="RF-").json()
    assert own["credit_note_number"] == "RF-2"
    blank = client.put("/invoice_settings", json={"invoice_settings": {"quote_number_prefix": ""}})
    assert blank.status_code == 422
