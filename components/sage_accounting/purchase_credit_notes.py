"""Purchase credit notes (``/purchase_credit_notes``): credits from suppliers.

Their lines and VAT go through the invoices' one implementation (``_invoices``, ``_tax``); Sage's
wire shape is a purchase invoice's with ``credit_note_lines`` and no due date.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting._artefacts import CREATE, DELETE, FIND, Artefact, register_artefact
from sage_accounting._changes import InvoiceChangeFilters, changes_trigger
from sage_accounting._invoices import (
    LEDGER_ACCOUNT_ID,
    ArtefactFields,
    InvoiceGetFields,
    InvoiceListInputs,
    PurchaseInvoiceLine,
)
from sage_accounting._lookups import PURCHASE_CREDIT_NOTES, SUPPLIERS, NewCreditNoteStatusId
from sage_accounting._models import Date, Id, optional, required_id
from sage_accounting._resources import FoundPurchaseCreditNotes, PurchaseCreditNote

CREDIT_NOTE_ID = "3bfcaf03913b421cbde8bb3c33b97881"
SUPPLIER_ID = "e1f2a3b4c5d64e7f8a9b0c1d2e3f4a5b"
# The shape and figures of purchase_credit_notes__get_one__sage-swagger-2025-example.json.
_EXAMPLE: dict[str, Any] = {
    "id": CREDIT_NOTE_ID,
    "displayed_as": "CN-0098",
    "$path": f"/purchase_credit_notes/{CREDIT_NOTE_ID}",
    "vendor_reference": "CN-0098",
    "contact": {
        "id": SUPPLIER_ID,
        "displayed_as": "Paper Supplies Ltd (PAPER01)",
        "$path": f"/contacts/{SUPPLIER_ID}",
    },
    "contact_name": "Paper Supplies Ltd",
    "date": "2026-03-20",
    "net_amount": "231.0",
    "tax_amount": "46.2",
    "total_amount": "277.2",
    "outstanding_amount": "277.2",
    "currency": {"id": "GBP", "displayed_as": "Pound Sterling (GBP)", "$path": "/currencies/GBP"},
    "status": {"id": "UNPAID", "displayed_as": "Unpaid", "$path": "/artefact_statuses/UNPAID"},
}
_LINE = {
    "description": "Returned items",
    "ledgerAccountId": LEDGER_ACCOUNT_ID,
    "quantity": "1",
    "unitPrice": "231.00",
    "taxRateId": "GB_STANDARD",
}


def _credit_note_id() -> Any:
    return required_id(
        "purchase credit note", CREDIT_NOTE_ID, json_schema_extra=PURCHASE_CREDIT_NOTES
    )


class PurchaseCreditNoteFields(ArtefactFields):
    vendorReference: str | None = optional("The supplier's credit note number.", "CN-0098")
    originalInvoiceDate: Date | None = optional(
        "The date of the supplier's invoice this credit note refunds.", "2026-03-10"
    )


class CreatePurchaseCreditNoteInputs(PurchaseCreditNoteFields):
    contactId: str = required_id("supplier contact", SUPPLIER_ID, json_schema_extra=SUPPLIERS)
    date: Date = Field(description="The credit note date.", examples=["2026-03-20"])
    creditNoteLines: list[PurchaseInvoiceLine] = Field(
        description="The credit note lines (at least one); their VAT is worked out as an "
        "invoice's.",
        examples=[[_LINE]],
        min_length=1,
    )
    statusId: NewCreditNoteStatusId | None = optional(
        "DRAFT to keep the credit note a draft (release it later); otherwise it is issued.",
        "DRAFT",
    )


class UpdatePurchaseCreditNoteInputs(PurchaseCreditNoteFields):
    purchaseCreditNoteId: Id = _credit_note_id()
    contactId: str | None = optional(
        "Move the credit note to this supplier.", SUPPLIER_ID, json_schema_extra=SUPPLIERS
    )
    date: Date | None = optional("New credit note date.", "2026-03-20")
    creditNoteLines: list[PurchaseInvoiceLine] | None = optional(
        "Replace the credit note lines.", [_LINE], min_length=1
    )


register_artefact(
    Artefact(
        name="Purchase Credit Note",
        example=_EXAMPLE,
        record_id=_credit_note_id,
        output=PurchaseCreditNote,
        found=FoundPurchaseCreditNotes,
        list_inputs=InvoiceListInputs,
        list_example={"contactId": SUPPLIER_ID, "statusId": "UNPAID"},
        get_fields=InvoiceGetFields,
        find_by="vendor_reference",
        find_help="The supplier's credit note number, compared whole and without case.",
        find_example="CN-0098",
        create_inputs=CreatePurchaseCreditNoteInputs,
        create_example={
            "contactId": SUPPLIER_ID,
            "date": "2026-03-20",
            "vendorReference": "CN-0098",
            "creditNoteLines": [_LINE],
        },
        update_inputs=UpdatePurchaseCreditNoteInputs,
        update_example={"notes": "Goods returned."},
        lines="creditNoteLines",
        release="Post",
        descriptions={
            FIND: "Find purchase credit notes by the supplier's number (GET "
            "/purchase_credit_notes?search=...), following every page; zero or more exact "
            "matches.",
            CREATE: "Record a supplier's credit note (POST /purchase_credit_notes).",
            DELETE: "Delete a purchase credit note for good (DELETE /purchase_credit_notes/{key}); "
            "Sage refuses one with allocations.",
        },
    )
)


PURCHASE_CREDIT_NOTE_CHANGES = changes_trigger(
    "purchaseCreditNote",
    "/purchase_credit_notes",
    PurchaseCreditNote,
    filters=InvoiceChangeFilters,
    sortable=True,
    example=_EXAMPLE,
)
