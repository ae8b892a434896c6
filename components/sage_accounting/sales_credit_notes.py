"""Sales credit notes (``/sales_credit_notes``): list, find, get, create, update, void, release.

A credit note is an invoice in reverse, and on Sage's wire it is the same shape as one (header,
``credit_note_lines`` instead of ``invoice_lines``), so its lines and VAT go through the
invoices' one implementation (``_invoices``, ``_tax``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting import _markers
from sage_accounting._actions import find_by, record_path
from sage_accounting._changes import InvoiceChangeFilters, changes_trigger
from sage_accounting._invoices import (
    LEDGER_ACCOUNT_ID,
    ArtefactFields,
    InvoiceGetFields,
    InvoiceListInputs,
    SalesInvoiceLine,
    get_invoice,
    list_invoices,
    release_invoice,
    void_artefact,
    write_invoice,
)
from sage_accounting._lookups import CUSTOMERS, SALES_CREDIT_NOTES, NewCreditNoteStatusId
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
from sage_accounting._resources import FoundSalesCreditNotes, SalesCreditNote
from sageflow._component import DESTRUCTIVE, IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs

CREDIT_NOTE_ID = "5d4c3b2a1f0e4d9c8b7a6f5e4d3c2b1a"
CONTACT_ID = "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"
_RATE = {"id": "GB_STANDARD", "displayed_as": "Standard 20.00%", "$path": "/tax_rates/GB_STANDARD"}
_EXAMPLE: dict[str, Any] = {
    "id": CREDIT_NOTE_ID,
    "displayed_as": "SCN-3",
    "$path": f"/sales_credit_notes/{CREDIT_NOTE_ID}",
    "credit_note_number": "SCN-3",
    "contact": {
        "id": CONTACT_ID,
        "displayed_as": "Acme Ltd (ACME001)",
        "$path": f"/contacts/{CONTACT_ID}",
    },
    "contact_name": "Acme Ltd",
    "date": "2026-04-07",
    "reference": "SI-12 refund",
    "net_amount": "150.0",
    "tax_amount": "30.0",
    "total_amount": "180.0",
    "outstanding_amount": "180.0",
    "currency": {"id": "GBP", "displayed_as": "Pound Sterling (GBP)", "$path": "/currencies/GBP"},
    "status": {"id": "UNPAID", "displayed_as": "Unpaid", "$path": "/artefact_statuses/UNPAID"},
    "credit_note_lines": [
        {
            "id": "7e6d5c4b3a2f4e1d9c8b7a6f5e4d3c2b",
            "displayed_as": "Consulting, March: half a day refunded",
            "description": "Consulting, March: half a day refunded",
            "quantity": "1.0",
            "unit_price": "150.0",
            "net_amount": "150.0",
            "tax_amount": "30.0",
            "total_amount": "180.0",
            "tax_rate": _RATE,
        }
    ],
}
_LINE = {
    "description": "Consulting, March: half a day refunded",
    "ledgerAccountId": LEDGER_ACCOUNT_ID,
    "quantity": "1",
    "unitPrice": "150.00",
    "taxRateId": "GB_STANDARD",
}


def _path(key: str = "") -> str:
    return record_path("sales_credit_notes", key) if key else "/sales_credit_notes"


def _credit_note_id() -> Any:
    return required_id("sales credit note", CREDIT_NOTE_ID, json_schema_extra=SALES_CREDIT_NOTES)


@PACK.component(
    key="listSalesCreditNotes",
    title="List Sales Credit Notes",
    description="List sales credit notes (GET /sales_credit_notes), one page or every page.",
    inputs=InvoiceListInputs,
    output=ListOutput[SalesCreditNote],
    annotations=READ_ONLY,
    example_input={"contactId": CONTACT_ID, "from_date": "2026-04-01", "sort": "date:desc"},
    example_output=page_of(_EXAMPLE),
)
def list_sales_credit_notes(inputs: InvoiceListInputs) -> Action:
    return (yield from list_invoices(_path(), inputs))


class FindSalesCreditNoteInputs(Inputs):
    creditNoteNumber: str = Field(
        description="The credit note number, compared whole and without case (SCN-3 is not "
        "SCN-30).",
        examples=["SCN-3"],
        min_length=1,
    )


@PACK.component(
    key="findSalesCreditNote",
    title="Find Sales Credit Note",
    description=(
        "Find sales credit notes by number (GET /sales_credit_notes?search=...), following "
        "every page; zero or one match, so a flow can branch on `size(items)`."
    ),
    inputs=FindSalesCreditNoteInputs,
    output=FoundSalesCreditNotes,
    annotations=READ_ONLY,
    example_input={"creditNoteNumber": "SCN-3"},
    example_output={"items": [_EXAMPLE]},
)
def find_sales_credit_note(inputs: FindSalesCreditNoteInputs) -> Action:
    return (yield from find_by(_path(), "credit_note_number", inputs.creditNoteNumber))


class GetSalesCreditNoteInputs(InvoiceGetFields):
    salesCreditNoteId: Id = _credit_note_id()


@PACK.component(
    key="getSalesCreditNote",
    title="Get Sales Credit Note",
    description="Fetch one sales credit note by id (GET /sales_credit_notes/{key}).",
    inputs=GetSalesCreditNoteInputs,
    output=SalesCreditNote,
    annotations=READ_ONLY,
    example_input={"salesCreditNoteId": CREDIT_NOTE_ID},
    example_output=_EXAMPLE,
)
def get_sales_credit_note(inputs: GetSalesCreditNoteInputs) -> Action:
    return (yield from get_invoice(_path(inputs.salesCreditNoteId), inputs))


class SalesCreditNoteFields(ArtefactFields):
    originalInvoiceDate: Date | None = optional(
        "The date of the invoice this credit note refunds.", "2026-03-31"
    )
    termsAndConditions: str | None = optional("Terms printed on the credit note.", "Refunded.")
    creditNoteNumberPrefix: str | None = optional("Prefix of the credit note number.", "SCN-")


class CreateSalesCreditNoteInputs(SalesCreditNoteFields):
    contactId: str = required_id("customer contact", CONTACT_ID, json_schema_extra=CUSTOMERS)
    date: Date = Field(description="The credit note date.", examples=["2026-04-07"])
    creditNoteLines: list[SalesInvoiceLine] = Field(
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
    key="createSalesCreditNote",
    title="Create Sales Credit Note",
    description=(
        "Credit a customer (POST /sales_credit_notes); allocate it against an invoice with "
        "createContactAllocation."
    ),
    inputs=CreateSalesCreditNoteInputs,
    output=SalesCreditNote,
    annotations=WRITE,
    marker=_markers.INVOICE,
    example_input={
        "contactId": CONTACT_ID,
        "date": "2026-04-07",
        "originalInvoiceDate": "2026-03-31",
        "reference": "SI-12 refund",
        "creditNoteLines": [_LINE],
    },
    example_output=_EXAMPLE,
)
def create_sales_credit_note(inputs: CreateSalesCreditNoteInputs) -> Action:
    return (
        yield from write_invoice(
            "POST", _path(), "sales_credit_note", inputs, lines_input="creditNoteLines"
        )
    )


class UpdateSalesCreditNoteInputs(SalesCreditNoteFields):
    salesCreditNoteId: Id = _credit_note_id()
    contactId: str | None = optional(
        "Move the credit note to this customer.", CONTACT_ID, json_schema_extra=CUSTOMERS
    )
    date: Date | None = optional("New credit note date.", "2026-04-07")
    creditNoteLines: list[SalesInvoiceLine] | None = optional(
        "Replace the credit note lines.", [_LINE], min_length=1
    )


@PACK.component(
    key="updateSalesCreditNote",
    title="Update Sales Credit Note",
    description=(
        "Change a sales credit note; only inputs given are sent (PUT /sales_credit_notes/{key})."
    ),
    inputs=UpdateSalesCreditNoteInputs,
    output=SalesCreditNote,
    annotations=IDEMPOTENT_WRITE,
    example_input={"salesCreditNoteId": CREDIT_NOTE_ID, "notes": "Refund agreed by phone."},
    example_output=_EXAMPLE,
)
def update_sales_credit_note(inputs: UpdateSalesCreditNoteInputs) -> Action:
    key = inputs.salesCreditNoteId
    return (
        yield from write_invoice(
            "PUT",
            _path(key),
            "sales_credit_note",
            inputs,
            "salesCreditNoteId",
            lines_input="creditNoteLines",
        )
    )


class DeleteSalesCreditNoteInputs(Inputs):
    salesCreditNoteId: Id = _credit_note_id()
    voidReason: str | None = optional(
        "Why the credit note is voided; Sage requires it unless the credit note is a draft.",
        "Raised in error",
        min_length=1,
    )


class CreditNoteVoidOutput(DeleteOutput):
    """A sales credit note DELETE: issued ones are voided (and kept), drafts are deleted."""

    voided: bool = Field(description="True when Sage voided an issued credit note (status VOID).")
    creditNote: SalesCreditNote | None = Field(
        default=None, description="The voided credit note as Sage returned it (absent for drafts)."
    )


@PACK.component(
    key="deleteSalesCreditNote",
    title="Delete (Void) Sales Credit Note",
    description=(
        "Delete a draft sales credit note, or void an issued one with a reason "
        "(DELETE /sales_credit_notes/{key}?void_reason=...)."
    ),
    inputs=DeleteSalesCreditNoteInputs,
    output=CreditNoteVoidOutput,
    annotations=DESTRUCTIVE,
    example_input={"salesCreditNoteId": CREDIT_NOTE_ID, "voidReason": "Raised in error"},
    example_output={
        "id": CREDIT_NOTE_ID,
        "deleted": True,
        "voided": True,
        "creditNote": {**_EXAMPLE, "status": {"id": "VOID", "displayed_as": "Void"}},
    },
)
def delete_sales_credit_note(inputs: DeleteSalesCreditNoteInputs) -> Action:
    key = inputs.salesCreditNoteId
    return (yield from void_artefact(_path(key), key, inputs.voidReason, "creditNote"))


class ReleaseSalesCreditNoteInputs(Inputs):
    salesCreditNoteId: Id = _credit_note_id()


@PACK.component(
    key="releaseSalesCreditNote",
    title="Release Sales Credit Note",
    description="Issue a draft sales credit note (POST /sales_credit_notes/{key}/release).",
    inputs=ReleaseSalesCreditNoteInputs,
    output=SalesCreditNote,
    annotations=IDEMPOTENT_WRITE,
    example_input={"salesCreditNoteId": CREDIT_NOTE_ID},
    example_output=_EXAMPLE,
)
def release_sales_credit_note(inputs: ReleaseSalesCreditNoteInputs) -> Action:
    return (yield from release_invoice(_path(inputs.salesCreditNoteId)))


SALES_CREDIT_NOTE_CHANGES = changes_trigger(
    "salesCreditNote",
    "/sales_credit_notes",
    SalesCreditNote,
    filters=InvoiceChangeFilters,
    sortable=True,
    example=_EXAMPLE,
)
