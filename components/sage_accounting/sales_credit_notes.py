"""Sales credit notes (``/sales_credit_notes``): list, find, get, create, update, void, release.

A credit note is an invoice in reverse, and on Sage's wire it is the same shape as one (header,
``credit_note_lines`` instead of ``invoice_lines``), so its lines and VAT go through the
invoices' one implementation (``_invoices``, ``_tax``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting._artefacts import CREATE, FIND, Artefact, register_artefact
from sage_accounting._changes import InvoiceChangeFilters, changes_trigger
from sage_accounting._invoices import (
    LEDGER_ACCOUNT_ID,
    ArtefactFields,
    InvoiceGetFields,
    InvoiceListInputs,
    SalesInvoiceLine,
)
from sage_accounting._lookups import CUSTOMERS, SALES_CREDIT_NOTES, NewCreditNoteStatusId
from sage_accounting._models import Date, DeleteOutput, Id, optional, required_id
from sage_accounting._resources import FoundSalesCreditNotes, SalesCreditNote

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


def _credit_note_id() -> Any:
    return required_id("sales credit note", CREDIT_NOTE_ID, json_schema_extra=SALES_CREDIT_NOTES)


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


class UpdateSalesCreditNoteInputs(SalesCreditNoteFields):
    salesCreditNoteId: Id = _credit_note_id()
    contactId: str | None = optional(
        "Move the credit note to this customer.", CONTACT_ID, json_schema_extra=CUSTOMERS
    )
    date: Date | None = optional("New credit note date.", "2026-04-07")
    creditNoteLines: list[SalesInvoiceLine] | None = optional(
        "Replace the credit note lines.", [_LINE], min_length=1
    )


class CreditNoteVoidOutput(DeleteOutput):
    """A sales credit note DELETE: issued ones are voided (and kept), drafts are deleted."""

    voided: bool = Field(description="True when Sage voided an issued credit note (status VOID).")
    creditNote: SalesCreditNote | None = Field(
        default=None, description="The voided credit note as Sage returned it (absent for drafts)."
    )


register_artefact(
    Artefact(
        name="Sales Credit Note",
        example=_EXAMPLE,
        record_id=_credit_note_id,
        output=SalesCreditNote,
        found=FoundSalesCreditNotes,
        list_inputs=InvoiceListInputs,
        list_example={"contactId": CONTACT_ID, "from_date": "2026-04-01", "sort": "date:desc"},
        get_fields=InvoiceGetFields,
        find_by="credit_note_number",
        find_help="The credit note number, compared whole and without case (SCN-3 is not SCN-30).",
        find_example="SCN-3",
        create_inputs=CreateSalesCreditNoteInputs,
        create_example={
            "contactId": CONTACT_ID,
            "date": "2026-04-07",
            "originalInvoiceDate": "2026-03-31",
            "reference": "SI-12 refund",
            "creditNoteLines": [_LINE],
        },
        update_inputs=UpdateSalesCreditNoteInputs,
        update_example={"notes": "Refund agreed by phone."},
        lines="creditNoteLines",
        void_output=CreditNoteVoidOutput,
        release="Issue",
        descriptions={
            FIND: "Find sales credit notes by number (GET /sales_credit_notes?search=...), "
            "following every page; zero or one match, so a flow can branch on `size(items)`.",
            CREATE: "Credit a customer (POST /sales_credit_notes); allocate it against an invoice "
            "with createContactAllocation.",
        },
    )
)


SALES_CREDIT_NOTE_CHANGES = changes_trigger(
    "salesCreditNote",
    "/sales_credit_notes",
    SalesCreditNote,
    filters=InvoiceChangeFilters,
    sortable=True,
    example=_EXAMPLE,
)
