"""Sales quotes (``/sales_quotes``): list, find, get, create, update, delete, and convert one
into a sales invoice.

A quote's lines and VAT go through the invoices' one implementation (``_invoices``, ``_tax``).
Sage has no "convert" operation: its spec links the two records instead (``postSalesInvoices``
takes ``original_quote_estimate_id``, a quote reads back its ``invoice``), so conversion here is
a component that reads the quote and creates the invoice with the quote's lines.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sage_accounting import _markers, _wire
from sage_accounting._actions import get_one, record_path, write_one
from sage_accounting._artefacts import CREATE, FIND, UPDATE, Artefact, register_artefact
from sage_accounting._changes import changes_trigger
from sage_accounting._invoices import LEDGER_ACCOUNT_ID, ArtefactFields, SalesInvoiceLine
from sage_accounting._lookups import (
    CONTACTS,
    CUSTOMERS,
    SALES_QUOTES,
    NewInvoiceStatusId,
    QuoteStatusId,
)
from sage_accounting._models import (
    Bool,
    Date,
    Id,
    UpdatedSinceInputs,
    optional,
    required_id,
)
from sage_accounting._pack import PACK
from sage_accounting._resources import FoundSalesQuotes, SalesInvoice, SalesQuote
from sageflow._component import WRITE, Action, Inputs

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


def _path(key: str = "") -> str:
    return record_path("sales_quotes", key) if key else "/sales_quotes"


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
        descriptions={
            FIND: "Find sales quotes by number (GET /sales_quotes?search=...), following every "
            "page; zero or one match, so a flow can branch on `size(items)`.",
            CREATE: "Quote a customer (POST /sales_quotes).",
            UPDATE: "Change a sales quote (accept or decline it with statusId); only inputs given "
            "are sent (PUT /sales_quotes/{key}).",
        },
    )
)


# --- Converting a quote (or an estimate) into an invoice ------------------------------------

#: Line fields carried from the quote to the invoice as they are: its tax amount too, so the
#: invoice books exactly the VAT the customer accepted (postSalesInvoices invoice_lines).
_CARRIED = ("description", "quantity", "unit_price", "unit_price_includes_tax", "tax_amount")
_CARRIED_LINKS = {
    "ledger_account": "ledger_account_id",
    "tax_rate": "tax_rate_id",
    "product": "product_id",
    "service": "service_id",
}


def _invoice_line(line: dict[str, Any]) -> dict[str, Any]:
    out = {k: line[k] for k in _CARRIED if line.get(k) is not None}
    out.update(
        (wire, line[name]["id"])
        for name, wire in _CARRIED_LINKS.items()
        if isinstance(line.get(name), dict) and line[name].get("id")
    )
    discount = line.get("discount_amount")
    if discount not in (None, "", "0.0", "0"):
        out["discount_amount"] = discount
    return out


class ConvertFields(Inputs):
    date: Date = Field(description="The invoice date.", examples=["2026-04-02"])
    dueDate: Date | None = optional(
        "When payment is due (Sage's default: the date plus the customer's credit days).",
        "2026-05-02",
    )
    reference: str | None = optional("The invoice's reference (default: the quote's).", "PO-7781")
    statusId: NewInvoiceStatusId | None = optional(
        "DRAFT to keep the invoice a draft; Sage's default is UNPAID.", "DRAFT"
    )


class ConvertSalesQuoteInputs(ConvertFields):
    salesQuoteId: Id = _quote_id()


class ConvertedQuote(BaseModel):
    """The invoice a quote or estimate became."""

    model_config = ConfigDict(extra="forbid")

    invoice: SalesInvoice = Field(description="The sales invoice, as Sage returned it.")
    sourceId: str = Field(description="The quote's (or estimate's) id.")
    created: bool = Field(
        description="False when the quote had been invoiced already: that invoice is returned "
        "and no second one is made."
    )


def convert_to_invoice(path: str, lines: str, inputs: ConvertFields, key: str) -> Action:
    """Read the quote or estimate at ``path``; create its invoice unless it has one already.

    Exactly once: a quote Sage already links to an invoice (its ``invoice``) returns that
    invoice; the create itself carries ``idempotency_id`` and the invoice marker like any
    invoice create, for an outcome lost in flight.
    """
    quote = yield from get_one(path)
    done = quote.get("invoice")
    if isinstance(done, dict) and done.get("id"):
        invoice = yield from get_one(record_path("sales_invoices", str(done["id"])))
        return {"invoice": invoice, "sourceId": key, "created": False}
    header: dict[str, Any] = {
        "contact_id": (quote.get("contact") or {}).get("id"),
        "original_quote_estimate_id": key,
        "date": _wire.value(inputs.date),
    }
    header.update(_wire.fields(inputs, only=("dueDate", "statusId")))
    reference = inputs.reference if inputs.reference is not None else quote.get("reference")
    if reference:
        header["reference"] = reference
    if quote.get("notes"):
        header["notes"] = quote["notes"]
    currency = (quote.get("currency") or {}).get("id")
    if currency:
        header["currency_id"] = currency
        header["exchange_rate"] = quote.get("exchange_rate") or "1.0"
    header["invoice_lines"] = [_invoice_line(line) for line in quote.get(lines) or []]
    invoice = yield from write_one("POST", "/sales_invoices", "sales_invoice", header)
    return {"invoice": invoice, "sourceId": key, "created": True}


@PACK.component(
    key="convertSalesQuoteToInvoice",
    title="Convert Sales Quote to Invoice",
    description=(
        "Invoice an accepted quote: reads it (GET /sales_quotes/{key}) and creates a sales "
        "invoice with its lines and VAT, linked to it by original_quote_estimate_id "
        "(POST /sales_invoices); a quote already invoiced returns that invoice instead."
    ),
    inputs=ConvertSalesQuoteInputs,
    output=ConvertedQuote,
    annotations=WRITE,
    marker=_markers.INVOICE,
    example_input={"salesQuoteId": QUOTE_ID, "date": "2026-04-02"},
    example_output={
        "invoice": {
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
        "sourceId": QUOTE_ID,
        "created": True,
    },
)
def convert_sales_quote(inputs: ConvertSalesQuoteInputs) -> Action:
    key = inputs.salesQuoteId
    return (yield from convert_to_invoice(_path(key), "quote_lines", inputs, key))


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
