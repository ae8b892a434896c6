"""Purchase invoices (``/purchase_invoices``): bills from suppliers."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting import _markers
from sage_accounting._actions import delete_one, find_by, record_path
from sage_accounting._invoices import (
    LEDGER_ACCOUNT_ID,
    InvoiceFields,
    InvoiceGetFields,
    InvoiceListInputs,
    PurchaseInvoiceLine,
    get_invoice,
    list_invoices,
    release_invoice,
    write_invoice,
)
from sage_accounting._lookups import PURCHASE_INVOICES, SUPPLIERS
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
from sage_accounting._resources import FoundPurchaseInvoices, PurchaseInvoice
from sageflow._component import DESTRUCTIVE, IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs

INVOICE_ID = "b4c3d2e1f0a94b8c7d6e5f4a3b2c1d0e"
SUPPLIER_ID = "e1f2a3b4c5d64e7f8a9b0c1d2e3f4a5b"
_EXAMPLE: dict[str, Any] = {
    "id": INVOICE_ID,
    "displayed_as": "INV-5521",
    "$path": f"/purchase_invoices/{INVOICE_ID}",
    "vendor_reference": "INV-5521",
    "contact": {
        "id": SUPPLIER_ID,
        "displayed_as": "Paper Supplies Ltd (PAPER01)",
        "$path": f"/contacts/{SUPPLIER_ID}",
    },
    "contact_name": "Paper Supplies Ltd",
    "date": "2026-03-10",
    "due_date": "2026-04-09",
    "net_amount": "120.0",
    "tax_amount": "24.0",
    "total_amount": "144.0",
    "outstanding_amount": "144.0",
    "currency": {"id": "GBP", "displayed_as": "Pound Sterling (GBP)", "$path": "/currencies/GBP"},
    "status": {"id": "UNPAID", "displayed_as": "Unpaid", "$path": "/artefact_statuses/UNPAID"},
}
_LINE = {
    "description": "Printer paper, 40 reams",
    "ledgerAccountId": LEDGER_ACCOUNT_ID,
    "quantity": "40",
    "unitPrice": "3.00",
    "taxRateId": "GB_STANDARD",
}


def _path(key: str = "") -> str:
    return record_path("purchase_invoices", key) if key else "/purchase_invoices"


def _invoice_id() -> Any:
    return required_id("purchase invoice", INVOICE_ID, json_schema_extra=PURCHASE_INVOICES)


@PACK.component(
    key="listPurchaseInvoice",
    title="List Purchase Invoices",
    description=(
        "List purchase invoices (GET /purchase_invoices), one page or every page. The key is "
        "the peer component's; listPurchaseInvoices is an alias."
    ),
    inputs=InvoiceListInputs,
    output=ListOutput[PurchaseInvoice],
    annotations=READ_ONLY,
    example_input={"contactId": SUPPLIER_ID, "statusId": "UNPAID"},
    example_output=page_of(_EXAMPLE),
    aliases=("listPurchaseInvoices",),
)
def list_purchase_invoices(inputs: InvoiceListInputs) -> Action:
    return (yield from list_invoices(_path(), inputs))


class FindPurchaseInvoiceInputs(Inputs):
    vendorReference: str = Field(
        description="The supplier's invoice number, compared whole and without case.",
        examples=["INV-88213"],
        min_length=1,
    )


@PACK.component(
    key="findPurchaseInvoice",
    title="Find Purchase Invoice",
    description=(
        "Find purchase invoices by the supplier's invoice number (GET /purchase_invoices?"
        "search=...), following every page: a bill entered once is found before it is entered "
        "twice."
    ),
    inputs=FindPurchaseInvoiceInputs,
    output=FoundPurchaseInvoices,
    annotations=READ_ONLY,
    example_input={"vendorReference": "INV-88213"},
    example_output={"items": [_EXAMPLE]},
)
def find_purchase_invoice(inputs: FindPurchaseInvoiceInputs) -> Action:
    return (yield from find_by(_path(), "vendor_reference", inputs.vendorReference))


class GetPurchaseInvoiceInputs(InvoiceGetFields):
    purchaseInvoiceId: Id = _invoice_id()


@PACK.component(
    key="getPurchaseInvoice",
    title="Get Purchase Invoice",
    description="Fetch one purchase invoice by id (GET /purchase_invoices/{key}).",
    inputs=GetPurchaseInvoiceInputs,
    output=PurchaseInvoice,
    annotations=READ_ONLY,
    example_input={"purchaseInvoiceId": INVOICE_ID},
    example_output=_EXAMPLE,
)
def get_purchase_invoice(inputs: GetPurchaseInvoiceInputs) -> Action:
    return (yield from get_invoice(_path(inputs.purchaseInvoiceId), inputs))


class PurchaseInvoiceFields(InvoiceFields):
    vendorReference: str | None = optional("The supplier's invoice number.", "INV-5521")


class CreatePurchaseInvoiceInputs(PurchaseInvoiceFields):
    contactId: str = required_id("supplier contact", SUPPLIER_ID, json_schema_extra=SUPPLIERS)
    date: Date = Field(description="The invoice date.", examples=["2026-03-10"])
    dueDate: Date = Field(description="When payment is due.", examples=["2026-04-09"])
    invoiceLines: list[PurchaseInvoiceLine] = Field(
        description="The invoice lines (at least one).", examples=[[_LINE]], min_length=1
    )


@PACK.component(
    key="createPurchaseInvoice",
    title="Create Purchase Invoice",
    description="Record a supplier's invoice (POST /purchase_invoices).",
    inputs=CreatePurchaseInvoiceInputs,
    output=PurchaseInvoice,
    annotations=WRITE,
    marker=_markers.INVOICE,
    example_input={
        "contactId": SUPPLIER_ID,
        "date": "2026-03-10",
        "dueDate": "2026-04-09",
        "vendorReference": "INV-5521",
        "invoiceLines": [_LINE],
    },
    example_output=_EXAMPLE,
)
def create_purchase_invoice(inputs: CreatePurchaseInvoiceInputs) -> Action:
    return (yield from write_invoice("POST", _path(), "purchase_invoice", inputs))


class UpdatePurchaseInvoiceInputs(PurchaseInvoiceFields):
    purchaseInvoiceId: Id = _invoice_id()
    contactId: str | None = optional(
        "Move the invoice to this supplier.", SUPPLIER_ID, json_schema_extra=SUPPLIERS
    )
    date: Date | None = optional("New invoice date.", "2026-03-10")
    invoiceLines: list[PurchaseInvoiceLine] | None = optional(
        "Replace the invoice lines.", [_LINE], min_length=1
    )


@PACK.component(
    key="updatePurchaseInvoice",
    title="Update Purchase Invoice",
    description=(
        "Change a purchase invoice; only inputs given are sent (PUT /purchase_invoices/{key})."
    ),
    inputs=UpdatePurchaseInvoiceInputs,
    output=PurchaseInvoice,
    annotations=IDEMPOTENT_WRITE,
    example_input={"purchaseInvoiceId": INVOICE_ID, "dueDate": "2026-04-30"},
    example_output={**_EXAMPLE, "due_date": "2026-04-30"},
)
def update_purchase_invoice(inputs: UpdatePurchaseInvoiceInputs) -> Action:
    key = inputs.purchaseInvoiceId
    return (
        yield from write_invoice("PUT", _path(key), "purchase_invoice", inputs, "purchaseInvoiceId")
    )


class PurchaseInvoiceKey(Inputs):
    purchaseInvoiceId: Id = _invoice_id()


@PACK.component(
    key="deletePurchaseInvoice",
    title="Delete Purchase Invoice",
    description="Delete a purchase invoice for good (DELETE /purchase_invoices/{key}).",
    inputs=PurchaseInvoiceKey,
    output=DeleteOutput,
    annotations=DESTRUCTIVE,
    example_input={"purchaseInvoiceId": INVOICE_ID},
    example_output={"id": INVOICE_ID, "deleted": True},
)
def delete_purchase_invoice(inputs: PurchaseInvoiceKey) -> Action:
    key = inputs.purchaseInvoiceId
    return (yield from delete_one(key, _path(key)))


@PACK.component(
    key="releasePurchaseInvoice",
    title="Release Purchase Invoice",
    description=("Post a draft purchase invoice (POST /purchase_invoices/{key}/release)."),
    inputs=PurchaseInvoiceKey,
    output=PurchaseInvoice,
    annotations=IDEMPOTENT_WRITE,
    example_input={"purchaseInvoiceId": INVOICE_ID},
    example_output=_EXAMPLE,
)
def release_purchase_invoice(inputs: PurchaseInvoiceKey) -> Action:
    return (yield from release_invoice(_path(inputs.purchaseInvoiceId)))
