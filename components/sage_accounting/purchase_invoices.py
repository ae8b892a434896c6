"""Purchase invoices (``/purchase_invoices``): bills from suppliers."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting._artefacts import CREATE, FIND, LIST, Artefact, register_artefact
from sage_accounting._invoices import (
    LEDGER_ACCOUNT_ID,
    InvoiceFields,
    InvoiceGetFields,
    InvoiceListInputs,
    PurchaseInvoiceLine,
)
from sage_accounting._lookups import PURCHASE_INVOICES, SUPPLIERS
from sage_accounting._models import Date, Id, optional, required_id
from sage_accounting._resources import FoundPurchaseInvoices, PurchaseInvoice

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


def _invoice_id() -> Any:
    return required_id("purchase invoice", INVOICE_ID, json_schema_extra=PURCHASE_INVOICES)


class PurchaseInvoiceFields(InvoiceFields):
    vendorReference: str | None = optional("The supplier's invoice number.", "INV-5521")


class CreatePurchaseInvoiceInputs(PurchaseInvoiceFields):
    contactId: str = required_id("supplier contact", SUPPLIER_ID, json_schema_extra=SUPPLIERS)
    date: Date = Field(description="The invoice date.", examples=["2026-03-10"])
    dueDate: Date = Field(description="When payment is due.", examples=["2026-04-09"])
    invoiceLines: list[PurchaseInvoiceLine] = Field(
        description="The invoice lines (at least one).", examples=[[_LINE]], min_length=1
    )


class UpdatePurchaseInvoiceInputs(PurchaseInvoiceFields):
    purchaseInvoiceId: Id = _invoice_id()
    contactId: str | None = optional(
        "Move the invoice to this supplier.", SUPPLIER_ID, json_schema_extra=SUPPLIERS
    )
    date: Date | None = optional("New invoice date.", "2026-03-10")
    invoiceLines: list[PurchaseInvoiceLine] | None = optional(
        "Replace the invoice lines.", [_LINE], min_length=1
    )


register_artefact(
    Artefact(
        name="Purchase Invoice",
        example=_EXAMPLE,
        record_id=_invoice_id,
        output=PurchaseInvoice,
        found=FoundPurchaseInvoices,
        list_inputs=InvoiceListInputs,
        list_example={"contactId": SUPPLIER_ID, "statusId": "UNPAID"},
        # The key is the peer component's, singular; the plural is an alias.
        list_key="listPurchaseInvoice",
        aliases=("listPurchaseInvoices",),
        get_fields=InvoiceGetFields,
        find_by="vendor_reference",
        find_help="The supplier's invoice number, compared whole and without case.",
        find_example="INV-88213",
        create_inputs=CreatePurchaseInvoiceInputs,
        create_example={
            "contactId": SUPPLIER_ID,
            "date": "2026-03-10",
            "dueDate": "2026-04-09",
            "vendorReference": "INV-5521",
            "invoiceLines": [_LINE],
        },
        update_inputs=UpdatePurchaseInvoiceInputs,
        update_example={"dueDate": "2026-04-30"},
        update_output={**_EXAMPLE, "due_date": "2026-04-30"},
        release="Post",
        descriptions={
            LIST: "List purchase invoices (GET /purchase_invoices), one page or every page. The "
            "key is the peer component's; listPurchaseInvoices is an alias.",
            FIND: "Find purchase invoices by the supplier's invoice number (GET "
            "/purchase_invoices?search=...), following every page: a bill entered once is found "
            "before it is entered twice.",
            CREATE: "Record a supplier's invoice (POST /purchase_invoices).",
        },
    )
)
