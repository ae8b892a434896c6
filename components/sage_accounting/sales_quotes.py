"""Sales quotes (``/sales_quotes``): list, find, get, create, update, delete, and convert one
into a sales invoice.

A quote's lines and VAT go through the invoices' one implementation (``_invoices``, ``_tax``).
Sage has no "convert" operation: its spec links the two records instead (``postSalesInvoices``
takes ``original_quote_estimate_id``, a quote reads back its ``invoice``), so conversion here is
a component that reads the quote and creates the invoice with the quote's lines
(``_artefacts.convert_to_invoice``, shared with the estimates).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting._artefacts import CONVERT, CREATE, FIND, UPDATE, Artefact, register_artefact
from sage_accounting._changes import changes_trigger
from sage_accounting._invoices import LEDGER_ACCOUNT_ID, ArtefactFields, SalesInvoiceLine
from sage_accounting._lookups import CONTACTS, CUSTOMERS, SALES_QUOTES, QuoteStatusId
from sage_accounting._models import Bool, Date, Id, UpdatedSinceInputs, optional, required_id
from sage_accounting._resources import FoundSalesQuotes, SalesQuote
from sageflow._component import Inputs

QUOTE_ID = "401aa0e1424242ea98de55608dacf869"
CONTACT_ID = "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"
INVOICE_ID = "3f8e2a1b7c6d4e5f9a0b1c2d3e4f5a6b"
_RATE = {"id": "GB_STANDARD", "displayed_as": "Standard 20.00%", "$path": "/tax_rates/GB_STANDARD"}
_EXAMPLE: dict[str, Any] = {
    "id": QUOTE_ID,
    "displayed_as": "SQ-2",
    "$path": f"/sales_quotes/{QUOTE_ID}",
    "quote_number": "SQ-2",
    "contact": {
        "id": CONTACT_ID,
        "displayed_as": "Acme Ltd (ACME001)",
        "$path": f"/contacts/{CONTACT_ID}",
    },
    "contact_name": "Acme Ltd",
    "date": "2026-03-02",
    "expiry_date": "2026-04-01",
    "reference": "Website rebuild",
    "net_amount": "900.0",
    "tax_amount": "180.0",
    "total_amount": "1080.0",
    "currency": {"id": "GBP", "displayed_as": "Pound Sterling (GBP)", "$path": "/currencies/GBP"},
    "status": {
        "id": "ACCEPTED",
        "displayed_as": "Accepted",
        "$path": "/artefact_statuses/ACCEPTED",
    },
    "invoice": None,
    "quote_lines": [
        {
            "id": "0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a",
            "displayed_as": "Consulting, March",
            "description": "Consulting, March",
            "quantity": "2.0",
            "unit_price": "450.0",
            "net_amount": "900.0",
            "tax_amount": "180.0",
            "total_amount": "1080.0",
            "tax_rate": _RATE,
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


def _quote_id() -> Any:
    return required_id("sales quote", QUOTE_ID, json_schema_extra=SALES_QUOTES)


class QuoteListInputs(UpdatedSinceInputs):
    """Filters Sage offers on the quote and estimate lists (getSalesQuotes)."""

    search: str | None = optional("Match quote number, reference or contact.", "SQ-2")
    contactId: str | None = optional(
        "Only this contact's quotes.", CONTACT_ID, json_schema_extra=CONTACTS
    )
    statusId: QuoteStatusId | None = optional("Only this status.", "ACCEPTED")
    from_date: Date | None = optional("Only quotes dated on or after this date.", "2026-01-01")
    to_date: Date | None = optional("Only quotes dated on or before this date.", "2026-03-31")
    hasAttachments: Bool | None = optional("Only quotes with (or without) attachments.", True)


class SortedQuoteListInputs(QuoteListInputs):
    sort: str | None = optional(
        "Sort order, `field:asc` or `field:desc` (created_at, updated_at, date, expiry_date).",
        "expiry_date:asc",
    )


class QuoteGetFields(Inputs):
    attributes: str | None = optional("Extra fields to return, or `all`.", "all")
    nestedAttributes: str | None = optional("Expand linked records' fields too, or `all`.", "all")


class SalesQuoteFields(ArtefactFields):
    termsAndConditions: str | None = optional("Terms printed on the quote.", "Valid 30 days.")
    statusId: QuoteStatusId | None = optional(
        "The quote's status (ACCEPTED or DECLINED once the customer answers).", "ACCEPTED"
    )


class CreateSalesQuoteInputs(SalesQuoteFields):
    contactId: str = required_id("customer contact", CONTACT_ID, json_schema_extra=CUSTOMERS)
    date: Date = Field(description="The quote date.", examples=["2026-03-02"])
    expiryDate: Date = Field(description="The day the quote expires.", examples=["2026-04-01"])
    quoteLines: list[SalesInvoiceLine] = Field(
        description="The quote lines (at least one); their VAT is worked out as an invoice's.",
        examples=[[_LINE]],
        min_length=1,
    )
    quoteNumberPrefix: str | None = optional("Prefix of the quote number.", "SQ-")


class UpdateSalesQuoteInputs(SalesQuoteFields):
    salesQuoteId: Id = _quote_id()
    contactId: str | None = optional(
        "Move the quote to this customer.", CONTACT_ID, json_schema_extra=CUSTOMERS
    )
    date: Date | None = optional("New quote date.", "2026-03-02")
    expiryDate: Date | None = optional("New expiry date.", "2026-04-15")
    quoteLines: list[SalesInvoiceLine] | None = optional(
        "Replace the quote lines.", [_LINE], min_length=1
    )


register_artefact(
    Artefact(
        name="Sales Quote",
        example=_EXAMPLE,
        record_id=_quote_id,
        output=SalesQuote,
        found=FoundSalesQuotes,
        list_inputs=SortedQuoteListInputs,
        list_example={"statusId": "ACCEPTED", "sort": "expiry_date:asc"},
        get_fields=QuoteGetFields,
        find_by="quote_number",
        find_help="The quote number, compared whole and without case (SQ-2 is not SQ-20).",
        find_example="SQ-2",
        create_inputs=CreateSalesQuoteInputs,
        create_example={
            "contactId": CONTACT_ID,
            "date": "2026-03-02",
            "expiryDate": "2026-04-01",
            "reference": "Website rebuild",
            "quoteLines": [_LINE],
        },
        update_inputs=UpdateSalesQuoteInputs,
        update_example={"statusId": "ACCEPTED"},
        lines="quoteLines",
        invoiced={
            "id": INVOICE_ID,
            "displayed_as": "SI-13",
            "$path": f"/sales_invoices/{INVOICE_ID}",
            "invoice_number": "SI-13",
            "reference": "Website rebuild",
            "total_amount": "1080.0",
            "original_quote_estimate": {
                "id": QUOTE_ID,
                "displayed_as": "SQ-2",
                "$path": f"/sales_quotes/{QUOTE_ID}",
            },
        },
        descriptions={
            FIND: "Find sales quotes by number (GET /sales_quotes?search=...), following every "
            "page; zero or one match, so a flow can branch on `size(items)`.",
            CREATE: "Quote a customer (POST /sales_quotes).",
            UPDATE: "Change a sales quote (accept or decline it with statusId); only inputs given "
            "are sent (PUT /sales_quotes/{key}).",
            CONVERT: "Invoice an accepted quote: reads it (GET /sales_quotes/{key}) and creates a "
            "sales invoice with its lines and VAT, linked to it by original_quote_estimate_id "
            "(POST /sales_invoices); a quote already invoiced returns that invoice instead.",
        },
    )
)


class QuoteChangeFilters(Inputs):
    statusId: QuoteStatusId | None = optional("Only quotes in this status.", "ACCEPTED")
    contactId: str | None = optional(
        "Only this contact's quotes.", CONTACT_ID, json_schema_extra=CONTACTS
    )


# getSalesQuotes declares updated_or_created_since but no deleted_since (the swagger).
SALES_QUOTE_CHANGES = changes_trigger(
    "salesQuote",
    "/sales_quotes",
    SalesQuote,
    filters=QuoteChangeFilters,
    deletions=False,
    sortable=True,
    example=_EXAMPLE,
)
