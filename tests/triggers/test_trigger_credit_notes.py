"""The credit note, quote, estimate and attachment ``<resource>Changes`` triggers against the
sandbox: each change once, voids as updates, deleted drafts and attachments from tombstones,
and quotes and estimates (no ``deleted_since`` in the spec) with no deletions to offer."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from triggerkit import Sage, trigger

PDF = b"%PDF-1.4\n%%EOF\n"


def _seeded(sage: Sage) -> tuple[str, str]:
    found = sage.call("GET", "/contacts", query="search=ACME001&attributes=reference")
    contact = next(i["id"] for i in found["$items"] if i["reference"] == "ACME001")
    accounts = sage.call(
        "GET", "/ledger_accounts", query="attributes=nominal_code&items_per_page=200"
    )
    sales = next(i["id"] for i in accounts["$items"] if i["nominal_code"] == 4000)
    return contact, sales


def _line(account: str) -> dict[str, Any]:
    return {
        "description": "Refund",
        "ledger_account_id": account,
        "quantity": "1",
        "unit_price": "50.00",
        "tax_rate_id": "GB_STANDARD",
        "tax_amount": "10.00",
    }


def _credit_note(sage: Sage, *, draft: bool = False) -> str:
    contact, account = _seeded(sage)
    body: dict[str, Any] = {"contact_id": contact, "date": "2026-01-20"}
    body["credit_note_lines"] = [_line(account)]
    if draft:
        body["status_id"] = "DRAFT"
    return str(sage.call("POST", "/sales_credit_notes", {"sales_credit_note": body})["id"])


def test_credit_note_changes_deliver_creates_voids_and_deleted_drafts_once() -> None:
    sage = Sage()
    start = sage.poll("salesCreditNoteChanges", None)
    sage.advance(60)
    issued, draft = _credit_note(sage), _credit_note(sage, draft=True)
    created, cursor = sage.settle("salesCreditNoteChanges", start.cursor)
    assert [(e.type, e.id) for e in created] == [("created", issued), ("created", draft)]
    sage.advance(60)
    sage.delete("sales_credit_notes", issued)  # issued: voided with a reason, an update
    sage.delete("sales_credit_notes", draft)  # a draft is deleted: a tombstone
    changed, _ = sage.settle("salesCreditNoteChanges", cursor)
    assert [(e.type, e.id) for e in changed] == [("updated", issued), ("deleted", draft)]
    assert changed[0].record["status"]["id"] == "VOID"


def test_quote_changes_see_a_quote_accepted_and_offer_no_deletions() -> None:
    sage = Sage()
    contact, account = _seeded(sage)
    start = sage.poll("salesQuoteChanges", None)
    sage.advance(60)
    body = {
        "contact_id": contact,
        "date": "2026-01-10",
        "expiry_date": "2026-02-10",
        "quote_lines": [_line(account)],
    }
    quote = sage.call("POST", "/sales_quotes", {"sales_quote": body})["id"]
    created, cursor = sage.settle("salesQuoteChanges", start.cursor)
    assert [(e.type, e.id) for e in created] == [("created", quote)]
    sage.advance(60)
    sage.call("PUT", f"/sales_quotes/{quote}", {"sales_quote": {"status_id": "ACCEPTED"}})
    accepted, _ = sage.settle("salesQuoteChanges", cursor, {"statusId": "ACCEPTED"})
    assert [(e.type, e.id, e.record["status"]["id"]) for e in accepted] == [
        ("updated", quote, "ACCEPTED")
    ]
    for key in ("salesQuoteChanges", "salesEstimateChanges"):
        events = trigger(key).input_schema()["properties"]["events"]
        assert events["items"]["enum"] == ["created", "updated"], key


def test_attachment_changes_deliver_an_upload_and_its_deletion() -> None:
    sage = Sage()
    note = _credit_note(sage)
    start = sage.poll("attachmentChanges", None)
    sage.advance(60)
    body = {
        "file": base64.b64encode(PDF).decode(),
        "file_name": "refund.pdf",
        "mime_type": "application/pdf",
        "attachment_context_type_id": "SALES_CREDIT_NOTE",
        "attachment_context_id": note,
    }
    made = sage.call("POST", "/attachments", {"attachment": body})["id"]
    created, cursor = sage.settle("attachmentChanges", start.cursor)
    assert [(e.type, e.id) for e in created] == [("created", made)]
    sage.advance(60)
    sage.delete("attachments", made)
    gone, _ = sage.settle("attachmentChanges", cursor)
    assert [(e.type, e.id) for e in gone] == [("deleted", made)]


@pytest.mark.parametrize(
    "key",
    ["salesCreditNoteChanges", "purchaseCreditNoteChanges", "salesEstimateChanges"],
)
def test_a_first_poll_of_each_starts_from_now(key: str) -> None:
    sage = Sage()
    _credit_note(sage)
    first = sage.poll(key, None)
    assert first.events == []
    assert sage.requests() <= 2
