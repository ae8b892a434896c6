"""Sales estimates (``/sales_estimates``): a quote by another name (Sage lets a business call
its quotes estimates), so it shares the quotes' filters, fields and conversion to an invoice."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting._artefacts import CONVERT, CREATE, FIND, UPDATE, Artefact, register_artefact
from sage_accounting._changes import changes_trigger
from sage_accounting._invoices import LEDGER_ACCOUNT_ID, SalesInvoiceLine
from sage_accounting._lookups import CUSTOMERS, SALES_ESTIMATES
from sage_accounting._models import Date, Id, optional, required_id
from sage_accounting._resources import FoundSalesEstimates, SalesEstimate
from sage_accounting.sales_quotes import (
    QuoteChangeFilters,
    QuoteGetFields,
    QuoteListInputs,
    SalesQuoteFields,
)

ESTIMATE_ID = "9c8b7a6f5e4d4c3b2a1f0e9d8c7b6a5f"
CONTACT_ID = "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"
INVOICE_ID = "3f8e2a1b7c6d4e5f9a0b1c2d3e4f5a6b"
_EXAMPLE: dict[str, Any] = {
    "id": ESTIMATE_ID,
    "displayed_as": "SE-4",
    "$path": f"/sales_estimates/{ESTIMATE_ID}",
    "estimate_number": "SE-4",
    "contact": {
        "id": CONTACT_ID,
        "displayed_as": "Acme Ltd (ACME001)",
        "$path": f"/contacts/{CONTACT_ID}",
    },
    "contact_name": "Acme Ltd",
    "date": "2026-03-02",
    "expiry_date": "2026-04-01",
    "net_amount": "300.0",
    "tax_amount": "60.0",
    "total_amount": "360.0",
    "currency": {"id": "GBP", "displayed_as": "Pound Sterling (GBP)", "$path": "/currencies/GBP"},
    "status": {"id": "UNPAID", "displayed_as": "Unpaid", "$path": "/artefact_statuses/UNPAID"},
    "invoice": None,
}
_LINE = {
    "description": "Boiler service",
    "ledgerAccountId": LEDGER_ACCOUNT_ID,
    "quantity": "1",
    "unitPrice": "300.00",
    "taxRateId": "GB_STANDARD",
}


def _estimate_id() -> Any:
    return required_id("sales estimate", ESTIMATE_ID, json_schema_extra=SALES_ESTIMATES)


class CreateSalesEstimateInputs(SalesQuoteFields):
    contactId: str = required_id("customer contact", CONTACT_ID, json_schema_extra=CUSTOMERS)
    date: Date = Field(description="The estimate date.", examples=["2026-03-02"])
    expiryDate: Date = Field(description="The day the estimate expires.", examples=["2026-04-01"])
    estimateLines: list[SalesInvoiceLine] = Field(
        description="The estimate lines (at least one); their VAT is worked out as an invoice's.",
        examples=[[_LINE]],
        min_length=1,
    )
    estimateNumberPrefix: str | None = optional("Prefix of the estimate number.", "SE-")


class UpdateSalesEstimateInputs(SalesQuoteFields):
    salesEstimateId: Id = _estimate_id()
    contactId: str | None = optional(
        "Move the estimate to this customer.", CONTACT_ID, json_schema_extra=CUSTOMERS
    )
    date: Date | None = optional("New estimate date.", "2026-03-02")
    expiryDate: Date | None = optional("New expiry date.", "2026-04-15")
    estimateLines: list[SalesInvoiceLine] | None = optional(
        "Replace the estimate lines.", [_LINE], min_length=1
    )


register_artefact(
    Artefact(
        name="Sales Estimate",
        example=_EXAMPLE,
        record_id=_estimate_id,
        output=SalesEstimate,
        found=FoundSalesEstimates,
        list_inputs=QuoteListInputs,
        list_example={"contactId": CONTACT_ID, "from_date": "2026-03-01"},
        get_fields=QuoteGetFields,
        find_by="estimate_number",
        find_help="The estimate number, compared whole and without case (SE-4 is not SE-40).",
        find_example="SE-4",
        create_inputs=CreateSalesEstimateInputs,
        create_example={
            "contactId": CONTACT_ID,
            "date": "2026-03-02",
            "expiryDate": "2026-04-01",
            "estimateLines": [_LINE],
        },
        update_inputs=UpdateSalesEstimateInputs,
        update_example={"statusId": "ACCEPTED"},
        lines="estimateLines",
        invoiced={
            "id": INVOICE_ID,
            "displayed_as": "SI-14",
            "$path": f"/sales_invoices/{INVOICE_ID}",
            "invoice_number": "SI-14",
            "total_amount": "360.0",
        },
        descriptions={
            FIND: "Find sales estimates by number (GET /sales_estimates?search=...), following "
            "every page; zero or one match, so a flow can branch on `size(items)`.",
            CREATE: "Give a customer an estimate (POST /sales_estimates).",
            UPDATE: "Change a sales estimate (accept or decline it with statusId); only inputs "
            "given are sent (PUT /sales_estimates/{key}).",
            CONVERT: "Invoice an accepted estimate: reads it (GET /sales_estimates/{key}) and "
            "creates a sales invoice with its lines and VAT, linked by original_quote_estimate_id "
            "(POST /sales_invoices); an estimate already invoiced returns that invoice instead.",
        },
    )
)


# getSalesEstimates declares updated_or_created_since but no deleted_since (the swagger).
SALES_ESTIMATE_CHANGES = changes_trigger(
    "salesEstimate",
    "/sales_estimates",
    SalesEstimate,
    filters=QuoteChangeFilters,
    deletions=False,
    example=_EXAMPLE,
)
