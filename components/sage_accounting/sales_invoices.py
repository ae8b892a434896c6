"""Sales invoices (``/sales_invoices``): list, get, create, update, void and release."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting._artefacts import FIND, Artefact, register_artefact
from sage_accounting._invoices import (
    LEDGER_ACCOUNT_ID,
    InvoiceFields,
    InvoiceGetFields,
    InvoiceListInputs,
    SalesInvoiceLine,
)
from sage_accounting._lookups import CUSTOMERS, SALES_INVOICES
from sage_accounting._models import Date, DeleteOutput, Id, optional, required_id
from sage_accounting._resources import FoundSalesInvoices, SalesInvoice

INVOICE_ID = "3f8e2a1b7c6d4e5f9a0b1c2d3e4f5a6b"
CONTACT_ID = "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"
_LINK_GBP = {"id": "GBP", "displayed_as": "Pound Sterling (GBP)", "$path": "/currencies/GBP"}
_EXAMPLE: dict[str, Any] = {
    "id": INVOICE_ID,
    "displayed_as": "SI-12",
    "$path": f"/sales_invoices/{INVOICE_ID}",
    "invoice_number": "SI-12",
    "contact": {
        "id": CONTACT_ID,
        "displayed_as": "Acme Ltd (ACME001)",
        "$path": f"/contacts/{CONTACT_ID}",
    },
    "contact_name": "Acme Ltd",
    "date": "2026-03-31",
    "due_date": "2026-04-30",
    "reference": "PO-7781",
    "net_amount": "900.0",
    "tax_amount": "180.0",
    "total_amount": "1080.0",
    "outstanding_amount": "1080.0",
    "currency": _LINK_GBP,
    "status": {"id": "UNPAID", "displayed_as": "Unpaid", "$path": "/artefact_statuses/UNPAID"},
    "invoice_lines": [
        {
            "id": "0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a",
            "displayed_as": "Consulting, March",
            "description": "Consulting, March",
            "quantity": "2.0",
            "unit_price": "450.0",
            "net_amount": "900.0",
            "tax_amount": "180.0",
            "total_amount": "1080.0",
            "tax_rate": {
                "id": "GB_STANDARD",
                "displayed_as": "Standard 20.00%",
                "$path": "/tax_rates/GB_STANDARD",
            },
        }
    ],
}
_LINE = {
    "description": "Consulting, March",
    "ledgerAccountId": LEDGER_ACCOUNT_ID,
    "quantity": "2",
    "unitPrice": "450.00",
    "taxRateId": "GB_STANDARD",
}


def _invoice_id() -> Any:
    return required_id("sales invoice", INVOICE_ID, json_schema_extra=SALES_INVOICES)


class SalesInvoiceFields(InvoiceFields):
    termsAndConditions: str | None = optional(
        "Terms printed on the invoice.", "Payment in 30 days."
    )
    invoiceNumberPrefix: str | None = optional("Prefix of the invoice number.", "SI-")


class CreateSalesInvoiceInputs(SalesInvoiceFields):
    contactId: str = required_id("customer contact", CONTACT_ID, json_schema_extra=CUSTOMERS)
    date: Date = Field(description="The invoice date.", examples=["2026-03-31"])
    invoiceLines: list[SalesInvoiceLine] = Field(
        description="The invoice lines (at least one).", examples=[[_LINE]], min_length=1
    )


class UpdateSalesInvoiceInputs(SalesInvoiceFields):
    salesInvoiceId: Id = _invoice_id()
    contactId: str | None = optional(
        "Move the invoice to this contact.", CONTACT_ID, json_schema_extra=CUSTOMERS
    )
    date: Date | None = optional("New invoice date.", "2026-03-31")
    invoiceLines: list[SalesInvoiceLine] | None = optional(
        "Replace the invoice lines.", [_LINE], min_length=1
    )


class VoidOutput(DeleteOutput):
    """A sales invoice DELETE: issued invoices are voided (and kept), drafts are deleted."""

    voided: bool = Field(description="True when Sage voided an issued invoice (status VOID).")
    invoice: SalesInvoice | None = Field(
        default=None, description="The voided invoice as Sage returned it (absent for drafts)."
    )


register_artefact(
    Artefact(
        name="Sales Invoice",
        example=_EXAMPLE,
        record_id=_invoice_id,
        output=SalesInvoice,
        found=FoundSalesInvoices,
        list_inputs=InvoiceListInputs,
        list_example={"statusId": "UNPAID", "from_date": "2026-01-01", "sort": "date:desc"},
        get_fields=InvoiceGetFields,
        find_by="invoice_number",
        find_help="The invoice number, compared whole and without case (SI-3 is not SI-30).",
        find_example="SI-3",
        create_inputs=CreateSalesInvoiceInputs,
        create_example={
            "contactId": CONTACT_ID,
            "date": "2026-03-31",
            "dueDate": "2026-04-30",
            "reference": "PO-7781",
            "invoiceLines": [_LINE],
        },
        update_inputs=UpdateSalesInvoiceInputs,
        update_example={"notes": "Thank you for your business."},
        void_output=VoidOutput,
        release="Issue",
        descriptions={
            FIND: "Find a sales invoice by its number (GET /sales_invoices?search=...), following "
            "every page; zero or one match, so a flow can branch on `size(items)` instead of "
            "failing.",
        },
    )
)
