"""Purchase credit notes (``/purchase_credit_notes``): credits from suppliers.

Their lines and VAT go through the invoices' one implementation (``_invoices``, ``_tax``); Sage's
wire shape is a purchase invoice's with ``credit_note_lines`` and no due date.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting import _markers
from sage_accounting._actions import delete_one, find_by, record_path
from sage_accounting._changes import InvoiceChangeFilters, changes_trigger
from sage_accounting._invoices import (
    LEDGER_ACCOUNT_ID,
    ArtefactFields,
    InvoiceGetFields,
    InvoiceListInputs,
    PurchaseInvoiceLine,
    get_invoice,
    list_invoices,
    release_invoice,
    write_invoice,
)
from sage_accounting._lookups import PURCHASE_CREDIT_NOTES, SUPPLIERS, NewCreditNoteStatusId
from sage_accounting._models import (
    Date,
    DeleteOutput,
    Id,
    ListOutput,
    optional,
    page_of,
    required_id,
)
from sage_accounting._pack import PACK
from sage_accounting._resources import FoundPurchaseCreditNotes, PurchaseCreditNote
from sageflow._component import DESTRUCTIVE, IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs

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


def _path(key: str = "") -> str:
    return record_path("purchase_credit_notes", key) if key else "/purchase_credit_notes"


def _credit_note_id() -> Any:
    return required_id(
        "purchase credit note", CREDIT_NOTE_ID, json_schema_extra=PURCHASE_CREDIT_NOTES
    )


@PACK.component(
    key="listPurchaseCreditNotes",
    title="List Purchase Credit Notes",
    description="List purchase credit notes (GET /purchase_credit_notes), one page or every page.",
    inputs=InvoiceListInputs,
    output=ListOutput[PurchaseCreditNote],
    annotations=READ_ONLY,
    example_input={"contactId": SUPPLIER_ID, "statusId": "UNPAID"},
    example_output=page_of(_EXAMPLE),
)
def list_purchase_credit_notes(inputs: InvoiceListInputs) -> Action:
    return (yield from list_invoices(_path(), inputs))


class FindPurchaseCreditNoteInputs(Inputs):
    vendorReference: str = Field(
        description="The supplier's credit note number, compared whole and without case.",
        examples=["CN-0098"],
        min_length=1,
    )


@PACK.component(
    key="findPurchaseCreditNote",
    title="Find Purchase Credit Note",
    description=(
        "Find purchase credit notes by the supplier's number (GET /purchase_credit_notes?"
        "search=...), following every page; zero or more exact matches."
    ),
    inputs=FindPurchaseCreditNoteInputs,
    output=FoundPurchaseCreditNotes,
    annotations=READ_ONLY,
    example_input={"vendorReference": "CN-0098"},
    example_output={"items": [_EXAMPLE]},
)
def find_purchase_credit_note(inputs: FindPurchaseCreditNoteInputs) -> Action:
    return (yield from find_by(_path(), "vendor_reference", inputs.vendorReference))


class GetPurchaseCreditNoteInputs(InvoiceGetFields):
    purchaseCreditNoteId: Id = _credit_note_id()


@PACK.component(
    key="getPurchaseCreditNote",
    title="Get Purchase Credit Note",
    description="Fetch one purchase credit note by id (GET /purchase_credit_notes/{key}).",
    inputs=GetPurchaseCreditNoteInputs,
    output=PurchaseCreditNote,
    annotations=READ_ONLY,
    example_input={"purchaseCreditNoteId": CREDIT_NOTE_ID},
    example_output=_EXAMPLE,
)
def get_purchase_credit_note(inputs: GetPurchaseCreditNoteInputs) -> Action:
    return (yield from get_invoice(_path(inputs.purchaseCreditNoteId), inputs))


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


@PACK.component(
    key="createPurchaseCreditNote",
    title="Create Purchase Credit Note",
    description="Record a supplier's credit note (POST /purchase_credit_notes).",
    inputs=CreatePurchaseCreditNoteInputs,
    output=PurchaseCreditNote,
    annotations=WRITE,
    marker=_markers.INVOICE,
    example_input={
        "contactId": SUPPLIER_ID,
        "date": "2026-03-20",
        "vendorReference": "CN-0098",
        "creditNoteLines": [_LINE],
    },
    example_output=_EXAMPLE,
)
def create_purchase_credit_note(inputs: CreatePurchaseCreditNoteInputs) -> Action:
    return (
        yield from write_invoice(
            "POST", _path(), "purchase_credit_note", inputs, lines_input="creditNoteLines"
        )
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


@PACK.component(
    key="updatePurchaseCreditNote",
    title="Update Purchase Credit Note",
    description=(
        "Change a purchase credit note; only inputs given are sent "
        "(PUT /purchase_credit_notes/{key})."
    ),
    inputs=UpdatePurchaseCreditNoteInputs,
    output=PurchaseCreditNote,
    annotations=IDEMPOTENT_WRITE,
    example_input={"purchaseCreditNoteId": CREDIT_NOTE_ID, "notes": "Goods returned."},
    example_output=_EXAMPLE,
)
def update_purchase_credit_note(inputs: UpdatePurchaseCreditNoteInputs) -> Action:
    key = inputs.purchaseCreditNoteId
    return (
        yield from write_invoice(
            "PUT",
            _path(key),
            "purchase_credit_note",
            inputs,
            "purchaseCreditNoteId",
            lines_input="creditNoteLines",
        )
    )


class PurchaseCreditNoteKey(Inputs):
    purchaseCreditNoteId: Id = _credit_note_id()


@PACK.component(
    key="deletePurchaseCreditNote",
    title="Delete Purchase Credit Note",
    description=(
        "Delete a purchase credit note for good (DELETE /purchase_credit_notes/{key}); Sage "
        "refuses one with allocations."
    ),
    inputs=PurchaseCreditNoteKey,
    output=DeleteOutput,
    annotations=DESTRUCTIVE,
    example_input={"purchaseCreditNoteId": CREDIT_NOTE_ID},
    example_output={"id": CREDIT_NOTE_ID, "deleted": True},
)
def delete_purchase_credit_note(inputs: PurchaseCreditNoteKey) -> Action:
    key = inputs.purchaseCreditNoteId
    return (yield from delete_one(key, _path(key)))


@PACK.component(
    key="releasePurchaseCreditNote",
    title="Release Purchase Credit Note",
    description="Post a draft purchase credit note (POST /purchase_credit_notes/{key}/release).",
    inputs=PurchaseCreditNoteKey,
    output=PurchaseCreditNote,
    annotations=IDEMPOTENT_WRITE,
    example_input={"purchaseCreditNoteId": CREDIT_NOTE_ID},
    example_output=_EXAMPLE,
)
def release_purchase_credit_note(inputs: PurchaseCreditNoteKey) -> Action:
    return (yield from release_invoice(_path(inputs.purchaseCreditNoteId)))


PURCHASE_CREDIT_NOTE_CHANGES = changes_trigger(
    "purchaseCreditNote",
    "/purchase_credit_notes",
    PurchaseCreditNote,
    filters=InvoiceChangeFilters,
    sortable=True,
    example=_EXAMPLE,
)
