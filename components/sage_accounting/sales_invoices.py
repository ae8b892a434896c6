"""Sales invoices (``/sales_invoices``): list, get, create, update, void and release."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting import _markers
from sage_accounting._actions import find_by, record_path
from sage_accounting._invoices import (
    LEDGER_ACCOUNT_ID,
    InvoiceFields,
    InvoiceGetFields,
    InvoiceListInputs,
    SalesInvoiceLine,
    get_invoice,
    list_invoices,
    release_invoice,
    void_artefact,
    write_invoice,
)
from sage_accounting._lookups import CUSTOMERS, SALES_INVOICES
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
from sage_accounting._resources import FoundSalesInvoices, SalesInvoice
from sageflow._component import DESTRUCTIVE, IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs

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


def _path(key: str = "") -> str:
    return record_path("sales_invoices", key) if key else "/sales_invoices"


def _invoice_id() -> Any:
    return required_id("sales invoice", INVOICE_ID, json_schema_extra=SALES_INVOICES)


@PACK.component(
    key="listSalesInvoices",
    title="List Sales Invoices",
    description="List sales invoices (GET /sales_invoices), one page or every page.",
    inputs=InvoiceListInputs,
    output=ListOutput[SalesInvoice],
    annotations=READ_ONLY,
    example_input={"statusId": "UNPAID", "from_date": "2026-01-01", "sort": "date:desc"},
    example_output=page_of(_EXAMPLE),
)
def list_sales_invoices(inputs: InvoiceListInputs) -> Action:
    return (yield from list_invoices(_path(), inputs))


class FindSalesInvoiceInputs(Inputs):
    invoiceNumber: str = Field(
        description="The invoice number, compared whole and without case (SI-3 is not SI-30).",
        examples=["SI-3"],
        min_length=1,
    )


@PACK.component(
    key="findSalesInvoice",
    title="Find Sales Invoice",
    description=(
        "Find a sales invoice by its number (GET /sales_invoices?search=...), following every "
        "page; zero or one match, so a flow can branch on `size(items)` instead of failing."
    ),
    inputs=FindSalesInvoiceInputs,
    output=FoundSalesInvoices,
    annotations=READ_ONLY,
    example_input={"invoiceNumber": "SI-3"},
    example_output={"items": [_EXAMPLE]},
)
def find_sales_invoice(inputs: FindSalesInvoiceInputs) -> Action:
    return (yield from find_by(_path(), "invoice_number", inputs.invoiceNumber))


class GetSalesInvoiceInputs(InvoiceGetFields):
    salesInvoiceId: Id = _invoice_id()


@PACK.component(
    key="getSalesInvoice",
    title="Get Sales Invoice",
    description="Fetch one sales invoice by id (GET /sales_invoices/{key}).",
    inputs=GetSalesInvoiceInputs,
    output=SalesInvoice,
    annotations=READ_ONLY,
    example_input={"salesInvoiceId": INVOICE_ID},
    example_output=_EXAMPLE,
)
def get_sales_invoice(inputs: GetSalesInvoiceInputs) -> Action:
    return (yield from get_invoice(_path(inputs.salesInvoiceId), inputs))


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


@PACK.component(
    key="createSalesInvoice",
    title="Create Sales Invoice",
    description="Create a sales invoice (POST /sales_invoices).",
    inputs=CreateSalesInvoiceInputs,
    output=SalesInvoice,
    annotations=WRITE,
    marker=_markers.INVOICE,
    example_input={
        "contactId": CONTACT_ID,
        "date": "2026-03-31",
        "dueDate": "2026-04-30",
        "reference": "PO-7781",
        "invoiceLines": [_LINE],
    },
    example_output=_EXAMPLE,
)
def create_sales_invoice(inputs: CreateSalesInvoiceInputs) -> Action:
    return (yield from write_invoice("POST", _path(), "sales_invoice", inputs))


class UpdateSalesInvoiceInputs(SalesInvoiceFields):
    salesInvoiceId: Id = _invoice_id()
    contactId: str | None = optional(
        "Move the invoice to this contact.", CONTACT_ID, json_schema_extra=CUSTOMERS
    )
    date: Date | None = optional("New invoice date.", "2026-03-31")
    invoiceLines: list[SalesInvoiceLine] | None = optional(
        "Replace the invoice lines.", [_LINE], min_length=1
    )


@PACK.component(
    key="updateSalesInvoice",
    title="Update Sales Invoice",
    description="Change a sales invoice; only inputs given are sent (PUT /sales_invoices/{key}).",
    inputs=UpdateSalesInvoiceInputs,
    output=SalesInvoice,
    annotations=IDEMPOTENT_WRITE,
    example_input={"salesInvoiceId": INVOICE_ID, "notes": "Thank you for your business."},
    example_output=_EXAMPLE,
)
def update_sales_invoice(inputs: UpdateSalesInvoiceInputs) -> Action:
    key = inputs.salesInvoiceId
    return (yield from write_invoice("PUT", _path(key), "sales_invoice", inputs, "salesInvoiceId"))


class DeleteSalesInvoiceInputs(Inputs):
    salesInvoiceId: Id = _invoice_id()
    voidReason: str | None = optional(
        "Why the invoice is voided; Sage requires it unless the invoice is a draft.",
        "Raised in error",
        min_length=1,
    )


class VoidOutput(DeleteOutput):
    """A sales invoice DELETE: issued invoices are voided (and kept), drafts are deleted."""

    voided: bool = Field(description="True when Sage voided an issued invoice (status VOID).")
    invoice: SalesInvoice | None = Field(
        default=None, description="The voided invoice as Sage returned it (absent for drafts)."
    )


@PACK.component(
    key="deleteSalesInvoice",
    title="Delete (Void) Sales Invoice",
    description=(
        "Delete a draft sales invoice, or void an issued one with a reason "
        "(DELETE /sales_invoices/{key}?void_reason=...)."
    ),
    inputs=DeleteSalesInvoiceInputs,
    output=VoidOutput,
    annotations=DESTRUCTIVE,
    example_input={"salesInvoiceId": INVOICE_ID, "voidReason": "Raised in error"},
    example_output={
        "id": INVOICE_ID,
        "deleted": True,
        "voided": True,
        "invoice": {**_EXAMPLE, "status": {"id": "VOID", "displayed_as": "Void"}},
    },
)
def delete_sales_invoice(inputs: DeleteSalesInvoiceInputs) -> Action:
    key = inputs.salesInvoiceId
    return (yield from void_artefact(_path(key), key, inputs.voidReason, "invoice"))


class ReleaseSalesInvoiceInputs(Inputs):
    salesInvoiceId: Id = _invoice_id()


@PACK.component(
    key="releaseSalesInvoice",
    title="Release Sales Invoice",
    description="Issue a draft sales invoice (POST /sales_invoices/{key}/release).",
    inputs=ReleaseSalesInvoiceInputs,
    output=SalesInvoice,
    annotations=IDEMPOTENT_WRITE,
    example_input={"salesInvoiceId": INVOICE_ID},
    example_output=_EXAMPLE,
)
def release_sales_invoice(inputs: ReleaseSalesInvoiceInputs) -> Action:
    return (yield from release_invoice(_path(inputs.salesInvoiceId)))
