"""Typed output models of the Sage records the pack returns, as Sage sends them.

Only the fields a flow commonly reads are declared; every other field Sage sends is kept
(``extra="allow"``), because Sage adds fields over time and a host must not lose them. Amount,
quantities and rates stay the decimal strings Sage sends (``"5009.5"``): converting them to
floats would lose digits, and converting them to numbers would change what a flow sees.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sage_accounting._models import SageObject

Amount = str | None


def _money(what: str) -> Amount:
    return Field(default=None, description=f"{what}, a decimal string as Sage sends it.")


def _text(what: str) -> str | None:
    return Field(default=None, description=what)


def described(what: str) -> Any:
    """An output field Sage may leave out: None unless sent, described for the manifest."""
    return Field(default=None, description=what)


class Link(SageObject):
    """A linked record as Sage nests it: ``{id, displayed_as, $path}`` (more with attributes)."""


class Dated(SageObject):
    """A record with Sage's timestamps."""

    created_at: str | None = _text("When the record was created (ISO 8601).")
    updated_at: str | None = _text("When the record last changed (ISO 8601).")


class Address(SageObject):
    address_line_1: str | None = _text("First line of the street address.")
    address_line_2: str | None = _text("Second line of the street address.")
    city: str | None = _text("Town or city.")
    postal_code: str | None = _text("Postal code.")
    region: str | None = _text("County, state or province.")


class Contact(SageObject):
    """A customer or supplier (``/contacts``)."""

    name: str | None = _text("The contact's name.")
    reference: str | None = _text("The contact's unique reference.")
    contact_types: list[Link] | None = Field(default=None, description="CUSTOMER and/or VENDOR.")
    email: str | None = _text("Main email address.")
    tax_number: str | None = _text("VAT or tax registration number.")
    credit_limit: Amount = _money("Credit limit")
    credit_days: int | None = Field(default=None, description="Days of credit given.")
    balance: Amount = _money("Outstanding balance (with show_balance)")
    currency: Link | None = Field(default=None, description="The contact's currency.")
    main_address: Address | None = Field(default=None, description="The main address.")
    delivery_address: Address | None = Field(default=None, description="The delivery address.")
    created_at: str | None = _text("When the record was created (ISO 8601).")
    updated_at: str | None = _text("When the record last changed (ISO 8601).")


class ContactPerson(SageObject):
    """A person at a contact's address (``/contact_persons``)."""

    name: str | None = _text("The person's name.")
    job_title: str | None = _text("Job title.")
    email: str | None = _text("Email address.")
    telephone: str | None = _text("Telephone number.")
    mobile: str | None = _text("Mobile number.")
    is_main_contact: bool | None = Field(default=None, description="The contact's main person.")
    address: Link | None = Field(default=None, description="The address the person is at.")


class LedgerAccount(SageObject):
    """An account of the chart of accounts (``/ledger_accounts``)."""

    name: str | None = _text("The account's name.")
    display_name: str | None = _text("The name shown in lists.")
    nominal_code: int | None = Field(default=None, description="The nominal code.")
    ledger_account_type: Link | None = Field(default=None, description="The account type.")
    included_in_chart: bool | None = Field(default=None, description="In the chart of accounts.")
    tax_rate: Link | None = Field(default=None, description="The default tax rate.")


class InvoiceLineOut(SageObject):
    """One line of a sales or purchase invoice as Sage returns it."""

    description: str | None = _text("What was sold or bought.")
    quantity: Amount = _money("Quantity")
    unit_price: Amount = _money("Unit price")
    net_amount: Amount = _money("Net amount")
    tax_amount: Amount = _money("Tax amount")
    total_amount: Amount = _money("Total amount")
    ledger_account: Link | None = Field(default=None, description="The ledger account.")
    tax_rate: Link | None = Field(default=None, description="The tax rate.")


class Artefact(SageObject):
    """Fields sales and purchase invoices and credit notes share."""

    contact: Link | None = Field(default=None, description="The customer or supplier.")
    contact_name: str | None = _text("The contact's name on the invoice.")
    date: str | None = _text("Invoice date (YYYY-MM-DD).")
    reference: str | None = _text("Your reference.")
    notes: str | None = _text("Notes.")
    net_amount: Amount = _money("Net amount")
    tax_amount: Amount = _money("Tax amount")
    total_amount: Amount = _money("Total amount")
    outstanding_amount: Amount = _money("Amount still to pay")
    currency: Link | None = Field(default=None, description="The invoice currency.")
    status: Link | None = Field(default=None, description="DRAFT, UNPAID, PAID, VOID, ...")
    created_at: str | None = _text("When the record was created (ISO 8601).")
    updated_at: str | None = _text("When the record last changed (ISO 8601).")


class Invoice(Artefact):
    """Fields sales and purchase invoices share."""

    due_date: str | None = _text("Due date (YYYY-MM-DD).")
    invoice_lines: list[InvoiceLineOut] | None = Field(default=None, description="The lines.")


class SalesInvoice(Invoice):
    """A sales invoice (``/sales_invoices``)."""

    invoice_number: str | None = _text("The invoice number, e.g. SI-12.")
    void_reason: str | None = _text("Why the invoice was voided, if it was.")


class PurchaseInvoice(Invoice):
    """A purchase invoice (``/purchase_invoices``)."""

    vendor_reference: str | None = _text("The supplier's invoice number.")


class CreditNote(Artefact):
    """Fields sales and purchase credit notes share."""

    credit_note_lines: list[InvoiceLineOut] | None = Field(default=None, description="The lines.")
    original_invoice_date: str | None = _text("Date of the invoice refunded (YYYY-MM-DD).")
    void_reason: str | None = _text("Why the credit note was voided, if it was.")


class SalesCreditNote(CreditNote):
    """A sales credit note (``/sales_credit_notes``)."""

    credit_note_number: str | None = _text("The credit note number, e.g. SCN-3.")


class PurchaseCreditNote(CreditNote):
    """A purchase credit note (``/purchase_credit_notes``)."""

    vendor_reference: str | None = _text("The supplier's credit note number.")


class Quote(Dated):
    """Fields sales quotes and estimates share."""

    contact: Link | None = Field(default=None, description="The customer.")
    contact_name: str | None = _text("The contact's name on the quote.")
    date: str | None = _text("Quote date (YYYY-MM-DD).")
    expiry_date: str | None = _text("When the quote expires (YYYY-MM-DD).")
    reference: str | None = _text("Your reference.")
    notes: str | None = _text("Notes.")
    net_amount: Amount = _money("Net amount")
    tax_amount: Amount = _money("Tax amount")
    total_amount: Amount = _money("Total amount")
    currency: Link | None = Field(default=None, description="The quote currency.")
    status: Link | None = Field(default=None, description="DRAFT, UNPAID, ACCEPTED, ...")
    invoice: Link | None = Field(default=None, description="The invoice it became, if any.")


class SalesQuote(Quote):
    """A sales quote (``/sales_quotes``)."""

    quote_number: str | None = _text("The quote number, e.g. SQ-2.")
    quote_lines: list[InvoiceLineOut] | None = Field(default=None, description="The lines.")


class SalesEstimate(Quote):
    """A sales estimate (``/sales_estimates``)."""

    estimate_number: str | None = _text("The estimate number, e.g. SE-2.")
    estimate_lines: list[InvoiceLineOut] | None = Field(default=None, description="The lines.")


class Attachment(Dated):
    """A file attached to a transaction, contact or artefact (``/attachments``)."""

    file_name: str | None = _text("The file's name.")
    mime_type: str | None = _text("The file's MIME type.")
    file_extension: str | None = _text("The file's extension, e.g. .pdf.")
    file_size: int | None = Field(default=None, description="The file's size in bytes.")
    description: str | None = _text("The description.")
    is_public: bool | None = Field(default=None, description="Visible to customers.")
    attachment_context_type: Link | None = Field(default=None, description="What it is on.")
    attachment_context: Link | None = Field(default=None, description="The record it is on.")
    transaction: Link | None = Field(default=None, description="The transaction it is on.")


class FoundSalesInvoices(BaseModel):
    """The sales invoices that matched, possibly none."""

    model_config = ConfigDict(extra="forbid")

    items: list[SalesInvoice] = Field(description="Matching invoices, in Sage's order.")


class FoundPurchaseInvoices(BaseModel):
    """The purchase invoices that matched, possibly none."""

    model_config = ConfigDict(extra="forbid")

    items: list[PurchaseInvoice] = Field(description="Matching invoices, in Sage's order.")


class FoundSalesCreditNotes(BaseModel):
    """The sales credit notes that matched, possibly none."""

    model_config = ConfigDict(extra="forbid")

    items: list[SalesCreditNote] = Field(description="Matching credit notes, in Sage's order.")


class FoundPurchaseCreditNotes(BaseModel):
    """The purchase credit notes that matched, possibly none."""

    model_config = ConfigDict(extra="forbid")

    items: list[PurchaseCreditNote] = Field(description="Matching credit notes, in Sage's order.")


class FoundSalesQuotes(BaseModel):
    """The sales quotes that matched, possibly none."""

    model_config = ConfigDict(extra="forbid")

    items: list[SalesQuote] = Field(description="Matching quotes, in Sage's order.")


class FoundSalesEstimates(BaseModel):
    """The sales estimates that matched, possibly none."""

    model_config = ConfigDict(extra="forbid")

    items: list[SalesEstimate] = Field(description="Matching estimates, in Sage's order.")


class TaxRate(SageObject):
    """A tax rate (``/tax_rates``), e.g. GB_STANDARD."""

    name: str | None = _text("The rate's name.")
    percentage: Amount = _money("The rate in percent")
    is_visible: bool | None = Field(default=None, description="Offered in the UI.")


class Business(SageObject):
    """A business the signed-in user can reach (``/businesses``)."""

    name: str | None = _text("The business name.")
    country_of_registration: Link | None = Field(default=None, description="Its country.")


class FinancialSettings(BaseModel):
    """The business's financial settings: a singleton, with no ``id``."""

    model_config = ConfigDict(extra="allow")

    path: str | None = Field(default=None, alias="$path", description="Always /financial_settings.")
    year_end_date: str | None = _text("Financial year end (YYYY-MM-DD).")
    accounting_type: str | None = _text("accrual or cash.")
    base_currency: Link | None = Field(default=None, description="The base currency.")
    multi_currency_enabled: bool | None = Field(default=None, description="Foreign currencies.")


class FoundContacts(BaseModel):
    """The contacts that matched, possibly none."""

    model_config = ConfigDict(extra="forbid")

    items: list[Contact] = Field(description="Matching contacts, in Sage's order.")
