"""The payment and bank account ``<resource>Changes`` triggers against the sandbox: a receipt's
creation, the change of its allocations and its deletion each once, the filters, and a new
bank account, allocation and other payment."""

from __future__ import annotations

from typing import Any

from triggerkit import Sage


def _ids(sage: Sage) -> tuple[str, str]:
    bank = sage.call("GET", "/bank_accounts")["$items"][0]["id"]
    invoice = sage.new_invoice()  # 120.00 for ACME001
    return bank, invoice


def _receipt(sage: Sage, bank: str, invoice: str, amount: str, **extra: Any) -> dict[str, Any]:
    contact = sage.call("GET", f"/sales_invoices/{invoice}")["contact"]["id"]
    body = {
        "transaction_type_id": "CUSTOMER_RECEIPT",
        "contact_id": contact,
        "bank_account_id": bank,
        "date": "2026-01-06",
        "total_amount": amount,
        "allocated_artefacts": [{"artefact_id": invoice, "amount": amount}],
        **extra,
    }
    return dict(sage.call("POST", "/contact_payments", {"contact_payment": body}))


def test_payment_changes_deliver_a_receipt_its_change_and_its_deletion_once() -> None:
    sage = Sage()
    bank, invoice = _ids(sage)
    start = sage.poll("contactPaymentChanges", None)
    sage.advance(60)
    made = _receipt(sage, bank, invoice, "20.00")
    created, cursor = sage.settle("contactPaymentChanges", start.cursor)
    assert [(e.type, e.id) for e in created] == [("created", made["id"])]
    sage.advance(60)
    cleared: dict[str, Any] = {"contact_payment": {"allocated_artefacts": []}}
    sage.call("PUT", f"/contact_payments/{made['id']}", cleared)
    changed, cursor = sage.settle("contactPaymentChanges", cursor)
    assert [(e.type, e.id) for e in changed] == [("updated", made["id"])]
    assert changed[0].record["payment_on_account"]["outstanding_amount"] == "20.0"
    sage.advance(60)
    sage.delete("contact_payments", made["id"])
    deleted, cursor = sage.settle("contactPaymentChanges", cursor)
    assert [(e.type, e.id) for e in deleted] == [("deleted", made["id"])]
    again, _ = sage.settle("contactPaymentChanges", cursor)
    assert again == []


def test_payment_changes_filter_by_type() -> None:
    sage = Sage()
    bank, invoice = _ids(sage)
    start = sage.poll("contactPaymentChanges", None)
    sage.advance(60)
    made = _receipt(sage, bank, invoice, "10.00")
    for kind, expected in (("VENDOR_PAYMENT", []), ("CUSTOMER_RECEIPT", [made["id"]])):
        events, _ = sage.settle("contactPaymentChanges", start.cursor, {"transactionTypeId": kind})
        assert [e.id for e in events] == expected, kind


def test_bank_account_allocation_and_other_payment_changes_see_their_creates() -> None:
    sage = Sage()
    bank, invoice = _ids(sage)
    starts = {
        key: sage.poll(key, None).cursor
        for key in ("bankAccountChanges", "contactAllocationChanges", "otherPaymentChanges")
    }
    sage.advance(60)
    account = {
        "bank_account_type_id": "SAVINGS",
        "nominal_code": 1230,
        "bank_account_details": {"account_name": "Reserve"},
    }
    new_bank = sage.call("POST", "/bank_accounts", {"bank_account": account})["id"]
    on_account = _receipt(sage, bank, invoice, "30.00", allocated_artefacts=[])
    allocation = {
        "transaction_type_id": "CUSTOMER_ALLOCATION",
        "contact_id": on_account["contact"]["id"],
        "allocated_artefacts": [
            {"artefact_id": invoice, "amount": "30.00"},
            {"artefact_id": on_account["payment_on_account"]["id"], "amount": "-30.00"},
        ],
    }
    allocated = sage.call("POST", "/contact_allocations", {"contact_allocation": allocation})
    ledger = sage.call("GET", "/ledger_accounts", query="search=Bank+charges")["$items"][0]
    other = {
        "transaction_type_id": "OTHER_PAYMENT",
        "date": "2026-01-06",
        "bank_account_id": bank,
        "total_amount": "5.00",
        "payment_lines": [{"ledger_account_id": ledger["id"], "total_amount": "5.00"}],
    }
    paid = sage.call("POST", "/other_payments", {"other_payment": other})
    made = {
        "bankAccountChanges": new_bank,
        "contactAllocationChanges": allocated["id"],
        "otherPaymentChanges": paid["id"],
    }
    for key, ident in made.items():
        events, _ = sage.settle(key, starts[key])
        assert [(e.type, e.id) for e in events] == [("created", ident)], key
