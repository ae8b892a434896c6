"""What sales and purchase invoices share: typed lines, header inputs, filters and actions.

Sales and purchase invoices are the same shape on Sage's wire (a ``{"sales_invoice": ...}`` or
``{"purchase_invoice": ...}`` wrapper around a header and ``invoice_lines``), so the inputs and
the handlers' logic are written here once and both modules only name their resource.
"""

from __future__ import annotations

from collections.abc import Generator
from decimal import Decimal
from typing import Any

from pydantic import Field

from sage_accounting import _tax, _wire
from sage_accounting._actions import get_one, record_path, write_one
from sage_accounting._lookups import (
    CONTACTS,
    CURRENCIES,
    LEDGER_ACCOUNTS,
    PRODUCTS,
    PURCHASE_ACCOUNTS,
    SALES_ACCOUNTS,
    SERVICES,
    TAX_RATES,
    InvoiceStatusId,
    NewInvoiceStatusId,
)
from sage_accounting._models import Bool, ChangeTrackingInputs, Date, Id, Money, optional
from sageflow._component import Action, Inputs
from sageflow._values import HTTPRequest, HTTPResponse, Method

LEDGER_ACCOUNT_ID = "9a994ff1f7f8491ba2ac8b7b8d2f5a20"


def _ledger_account(choices: Any) -> Any:
    return Field(
        description="The ledger account the line posts to.",
        examples=[LEDGER_ACCOUNT_ID],
        min_length=1,
        json_schema_extra=choices,
    )


class InvoiceLine(Inputs):
    """One invoice line, typed: amounts are exact decimals, never floats."""

    description: str = Field(
        description="What was sold or bought.", examples=["Consulting, March"], min_length=1
    )
    ledgerAccountId: str = _ledger_account(LEDGER_ACCOUNTS)
    quantity: Money = Field(description="How many units.", examples=["2"])
    unitPrice: Money = Field(description="Price of one unit.", examples=["450.00"])
    unitPriceIncludesTax: Bool | None = optional("The unit price includes tax.", False)
    # An Id: the pack GETs /tax_rates/{taxRateId} to price the line.
    taxRateId: Id | None = optional(
        "Tax rate: GB_STANDARD, GB_ZERO, GB_EXEMPT, ...", "GB_STANDARD", json_schema_extra=TAX_RATES
    )
    taxAmount: Money | None = optional(
        "Tax on the line, sent as given; if omitted with a taxRateId, computed from the rate's "
        "current percentage (net x rate / 100, to the penny, half up).",
        "180.00",
    )
    netAmount: Money | None = optional("Net amount of the line.", "900.00")
    totalAmount: Money | None = optional("Total of the line, tax included.", "1080.00")
    productId: str | None = optional(
        "The product sold or bought.",
        "5a3f0d7e2b8c4e1f9a6d3c2b1e0f9a8b",
        json_schema_extra=PRODUCTS,
    )
    serviceId: str | None = optional(
        "The service sold or bought.",
        "7b2e1d0c9f8a4b3c2d1e0f9a8b7c6d5e",
        json_schema_extra=SERVICES,
    )


class SalesInvoiceLine(InvoiceLine):
    ledgerAccountId: str = _ledger_account(SALES_ACCOUNTS)
    discountAmount: Money | None = optional("Discount on the line.", "50.00")
    discountPercentage: Money | None = optional("Discount on the line, in percent.", "5")


class PurchaseInvoiceLine(InvoiceLine):
    ledgerAccountId: str = _ledger_account(PURCHASE_ACCOUNTS)
    isPurchaseForResale: Bool | None = optional("Bought to be sold on.", False)


class _DueDate(Inputs):
    dueDate: Date | None = optional("When payment is due.", "2026-04-30")


class ArtefactFields(Inputs):
    """Optional header inputs every sales or purchase artefact takes (invoice, credit note,
    quote, estimate), on create and on update."""

    contactName: str | None = optional("The contact's name as printed.", "Acme Ltd")
    contactReference: str | None = optional("The contact's reference as printed.", "ACME001")
    reference: str | None = optional("Your reference.", "PO-7781")
    notes: str | None = optional("Notes.", "Thank you for your business.")
    totalQuantity: Money | None = optional("Sum of the lines' quantities.", "2")
    netAmount: Money | None = optional("Net total.", "900.00")
    taxAmount: Money | None = optional("Tax total.", "180.00")
    totalAmount: Money | None = optional("Grand total, tax included.", "1080.00")
    currencyId: str | None = optional(
        "Invoice currency (ISO code).", "GBP", json_schema_extra=CURRENCIES
    )
    exchangeRate: Money | None = optional("Rate to the base currency.", "1.0")


class _InvoiceStatus(Inputs):
    statusId: NewInvoiceStatusId | None = optional(
        "DRAFT to keep the invoice a draft (release it later); Sage's default is UNPAID.", "DRAFT"
    )


class InvoiceFields(_InvoiceStatus, ArtefactFields, _DueDate):
    """Optional header inputs both invoice kinds take, on create and on update (pydantic puts
    the fields of later bases first: due date, the artefact's fields, then the status)."""


class InvoiceListInputs(ChangeTrackingInputs):
    """Filters Sage offers on both invoice lists."""

    search: str | None = optional("Match invoice number, reference or contact.", "SI-12")
    contactId: str | None = optional(
        "Only this contact's invoices.",
        "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2",
        json_schema_extra=CONTACTS,
    )
    statusId: InvoiceStatusId | None = optional(
        "Only this status: DRAFT, UNPAID, PART_PAID, PAID, VOID, ...", "UNPAID"
    )
    from_date: Date | None = optional("Only invoices dated on or after this date.", "2026-01-01")
    to_date: Date | None = optional("Only invoices dated on or before this date.", "2026-03-31")
    hasAttachments: Bool | None = optional("Only invoices with (or without) attachments.", True)
    showPaymentsAllocations: Bool | None = optional("Include payment allocations.", True)
    sort: str | None = optional("Sort order, `field:asc` or `field:desc`.", "date:desc")


class InvoiceGetFields(Inputs):
    attributes: str | None = optional("Extra fields to return, or `all`.", "all")
    nestedAttributes: str | None = optional("Expand linked records' fields too, or `all`.", "all")
    showPaymentsAllocations: Bool | None = optional("Include payment allocations.", True)


def write_invoice(
    method: Method,
    path: str,
    resource: str,
    inputs: Inputs,
    key: str = "",
    lines_input: str = "invoiceLines",
) -> Action:
    """POST or PUT an invoice (or a credit note, quote or estimate, whose lines are
    ``lines_input``): every set input, snake_cased, lines as ``invoice_lines``.

    The peer component sent ``invoiceLines`` (camelCase, ignored by Sage) on update and took
    ``net_amount`` from the total; both follow from the one naming rule here.
    """
    payload: dict[str, Any] = _wire.fields(inputs, exclude=(key,) if key else ())
    lines: list[InvoiceLine] = getattr(inputs, lines_input, None) or []
    percentages = yield from tax_percentages(lines)
    if percentages:
        wire_lines = _wire.snake(lines_input)
        payload[wire_lines] = [
            with_tax(line, wire, percentages)
            for line, wire in zip(lines, payload[wire_lines], strict=True)
        ]
    return (yield from write_one(method, path, resource, payload))


def _untaxed_rate(line: InvoiceLine) -> str | None:
    """The rate of a line whose tax the pack must work out: a rate given, no amount given."""
    return line.taxRateId if line.taxRateId and line.taxAmount is None else None


def tax_percentages(
    lines: list[InvoiceLine],
) -> Generator[HTTPRequest, HTTPResponse, dict[str, Decimal]]:
    """GET each distinct tax rate that a line needs priced, once per call; id -> percentage.

    Sage v3.1 books an omitted ``tax_amount`` as zero ([G-inv]), so the rate's current
    percentage is fetched rather than assumed: a business's rates change (GB VAT did in 2011)
    and a business can define its own.
    """
    percentages: dict[str, Decimal] = {}
    for line in lines:
        rate_id = _untaxed_rate(line)
        if rate_id is not None and rate_id not in percentages:
            rate = yield from get_one(record_path("tax_rates", rate_id))
            percentages[rate_id] = _tax.current_percentage(rate)
    return percentages


def with_tax(
    line: InvoiceLine, wire: dict[str, Any], percentages: dict[str, Decimal]
) -> dict[str, Any]:
    """The line's wire body with ``tax_amount`` worked out, when the caller gave none."""
    rate_id = _untaxed_rate(line)
    if rate_id is None:
        return wire
    amounts = _tax.line_amounts(
        line.quantity,
        line.unitPrice,
        percentages[rate_id],
        includes_tax=bool(line.unitPriceIncludesTax),
        discount_amount=getattr(line, "discountAmount", None),
        discount_percentage=getattr(line, "discountPercentage", None),
    )
    # Beside its rate, in a fixed place: the same inputs always make the same body bytes.
    out: dict[str, Any] = {}
    for name, raw in wire.items():
        out[name] = raw
        if name == "tax_rate_id":
            out["tax_amount"] = _wire.value(amounts.tax)
    return out


def void_artefact(path: str, key: str, reason: str | None, record: str) -> Action:
    """DELETE a sales invoice or credit note: a draft is deleted, an issued one voided.

    The spec has ``void_reason`` as a query parameter of the DELETE; Sage's invoicing guide
    sends it as a JSON body ([G-inv]). No recording settles which one Sage reads, so both carry
    the same value, harmless whichever it is. An issued artefact is voided, not removed: Sage
    answers 200 with it (under ``record`` in the output); a draft is deleted: 204, no body.
    """
    response = yield HTTPRequest(
        "DELETE",
        path,
        query={"void_reason": reason} if reason else {},
        json={"void_reason": reason} if reason else None,
    )
    body = response.json() if response.status == 200 else None
    if isinstance(body, dict):
        return {"id": key, "deleted": True, "voided": True, record: body}
    return {"id": key, "deleted": True, "voided": False}


def release_invoice(path: str) -> Action:
    """POST .../release: turn a draft into a live invoice; Sage returns the invoice."""
    response = yield HTTPRequest("POST", f"{path}/release")
    return dict(response.json())
