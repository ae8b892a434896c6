"""Typed output models of the Sage 200 records the pack returns, as Sage sends them.

Only the fields a flow commonly reads are declared (names and types from the module OpenAPI
files); every other field is kept (``extra="allow"``), since Sage adds fields release by
release. Amounts arrive as JSON numbers ("number, decimal 2dp"), read as exact ``Decimal``
values and output as decimal strings (``"1200.00"``, the digits Sage sent); dates arrive as
midnight date-times and are output as ``YYYY-MM-DD`` (``sage200._wire.shape``). A Python host
that validates an output through these models gets ``Decimal`` and ``date`` values.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from sage200._models import Record
from sage200._wire import sage_day
from sageflow._types import DECIMAL_TEXT

FoundT = TypeVar("FoundT", bound=BaseModel)
#: An amount, quantity or rate: output as the exact decimal string of what Sage sent.
Amount = Annotated[
    Decimal | None, WithJsonSchema({"type": ["string", "null"], "pattern": DECIMAL_TEXT})
]
#: A calendar date (Sage 200 sends it as a midnight date-time): output as YYYY-MM-DD.
Day = Annotated[
    date | None,
    BeforeValidator(sage_day),
    WithJsonSchema(
        {"type": ["string", "null"], "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    ),
]


def _amount(what: str) -> Any:
    return Field(default=None, description=f'{what}: an exact decimal string, such as "1200.00".')


def _day(what: str) -> Any:
    return Field(default=None, description=f"{what.rstrip('.')} (YYYY-MM-DD).")


def _text(what: str) -> Any:
    return Field(default=None, description=what)


def _int(what: str) -> Any:
    return Field(default=None, description=what)


class Site(BaseModel):
    """A site and company the signed-in user can reach (``GET /sites``)."""

    model_config = ConfigDict(extra="allow")

    site_id: str | None = _text("The site's GUID: the X-Site header.")
    site_name: str | None = _text("The site's name.")
    site_short_name: str | None = _text("The site's short name.")
    company_id: int | None = _int("The company's id: the X-Company header.")
    company_name: str | None = _text("The company's name.")


class Address(BaseModel):
    model_config = ConfigDict(extra="allow")

    address_1: str | None = _text("First address line.")
    address_2: str | None = _text("Second address line.")
    city: str | None = _text("Town or city.")
    county: str | None = _text("County.")
    postcode: str | None = _text("Postcode.")


class Trader(Record):
    """Fields customers and suppliers share."""

    reference: str | None = _text("The account reference (up to 8 characters).")
    name: str | None = _text("The account name.")
    short_name: str | None = _text("The short name.")
    balance: Amount = _amount("The account balance")
    credit_limit: Amount = _amount("The credit limit")
    on_hold: bool | None = _text("Whether the account is on hold.")
    currency_id: int | None = _int("The account's currency id.")
    vat_number: str | None = _text("VAT registration number.")
    default_tax_code_id: int | None = _int("The default tax code id.")
    main_address: Address | None = _text("The main address.")
    date_time_created: str | None = _text("When the record was created.")
    date_time_updated: str | None = _text("When the record last changed.")


class Customer(Trader):
    """A customer account (``/customers``)."""


class Supplier(Trader):
    """A supplier account (``/suppliers``)."""


class NominalCode(Record):
    """A nominal account (``/nominal_codes``): reference plus cost centre and department."""

    reference: str | None = _text("The nominal account number (up to 8 characters).")
    name: str | None = _text("The account's name.")
    cost_centre_code: str | None = _text("Its cost centre code.")
    department_code: str | None = _text("Its department code.")
    nominal_account_type: str | None = _text("The account type.")
    report_category_id: int | None = _int("Its report category id.")
    balance_year_to_date: Amount = _amount("Balance for the year to date")


class Segment(Record):
    """A cost centre or department: a three-character code of the nominal structure."""

    code: str | None = _text("The code (up to 3 characters).")
    name: str | None = _text("The name.")


class TaxCode(Record):
    """A tax code (``/tax_codes``): Sage 200 numbers them (1 is standard rate VAT in the UK)."""

    code: int | None = _int("The tax code number.")
    name: str | None = _text("The tax code's name.")
    tax_rate: Amount = _amount("The rate in percent")


class Currency(Record):
    """A currency (``/currencies``)."""

    symbol: str | None = _text("The currency symbol.")
    name: str | None = _text("The currency's name.")
    is_base_currency: bool | None = _text("Whether it is the company's base currency.")
    core_currency_rate: Amount = _amount("The exchange rate to the base currency")


class Bank(Record):
    """A bank account of the cash book (``/banks``)."""

    code: str | None = _text("The bank account code (its nominal reference).")
    description: str | None = _text("The bank account's description.")
    sort_code: str | None = _text("Sort code.")
    account_no: str | None = _text("Account number.")
    balance: Amount = _amount("The balance")
    account_currency_id: int | None = _int("The account's currency id.")


class CountryCode(Record):
    """A country (``/country_codes``)."""

    code: str | None = _text("The ISO country code.")
    name: str | None = _text("The country's name.")


class ReportCategory(Record):
    """A nominal report category (``/nominal_report_categories``)."""

    code: str | None = _text("The category code.")
    description: str | None = _text("The category's description.")
    account_report_type: str | None = _text("Profit and loss or balance sheet.")


class LedgerType(Record):
    """A ledger (``/ledger_types``): the value names it in transaction date validation."""

    description: str | None = _text("The ledger's name.")
    value: str | None = _text("The ledger type's value.")


class FinancialPeriod(BaseModel):
    """One accounting period of a financial year (``/financial_year_period_views``)."""

    model_config = ConfigDict(extra="allow")

    financial_year_id: int | None = _int("The financial year's id.")
    financial_year_start_date: Day = _day("First day of the year.")
    financial_year_end_date: Day = _day("Last day of the year.")
    year_relative_to_current_year: int | None = _int("0 this year, -1 last year, 1 next year.")
    number_of_periods_in_year: int | None = _int("Periods in the year.")
    accounting_period_id: int | None = _int("The period's id.")
    period_number: int | None = _int("The period's number in its year.")
    period_start_date: Day = _day("First day of the period.")
    period_end_date: Day = _day("Last day of the period.")


class TaxAnalysisOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int | None = _int("The tax code id.")
    code: int | None = _int("The tax code number.")
    goods_amount: Amount = _amount("Goods value at this tax code")
    tax_amount: Amount = _amount("Tax at this tax code")


class NominalAnalysisOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str | None = _text("The nominal account number.")
    cost_centre: str | None = _text("The cost centre.")
    department: str | None = _text("The department.")
    narrative: str | None = _text("The narrative.")
    value: Amount = _amount("The value")


class PostedTransaction(Record):
    """A posted sales or purchase ledger transaction (invoice, credit note, receipt...)."""

    urn: int | None = _int("The transaction's unique reference number.")
    trader_transaction_type: str | None = _text("Invoice, credit note, receipt, payment...")
    customer_id: int | None = _int("The customer (sales ledger).")
    supplier_id: int | None = _int("The supplier (purchase ledger).")
    reference: str | None = _text("The reference.")
    second_reference: str | None = _text("The second reference.")
    transaction_date: Day = _day("The transaction date.")
    posted_date: Day = _day("When it was posted.")
    due_date: Day = _day("When it is due.")
    document_goods_value: Amount = _amount("Goods value")
    document_tax_value: Amount = _amount("Tax value")
    document_gross_value: Amount = _amount("Gross value")
    document_outstanding_value: Amount = _amount("Value still outstanding")
    tax_analysis_items: list[TaxAnalysisOut] | None = _text("Tax per tax code.")
    nominal_analysis_items: list[NominalAnalysisOut] | None = _text("Goods per nominal code.")
    date_time_updated: str | None = _text("When the record last changed.")


class NominalTransaction(Record):
    """A nominal ledger posting (``/nominal_transaction_enquiry_views``)."""

    nominal_code_id: int | None = _int("The nominal code posted to.")
    transaction_date: Day = _day("The transaction date.")
    period_number: int | None = _int("The accounting period.")
    reference: str | None = _text("The reference.")
    narrative: str | None = _text("The narrative.")
    debit: Amount = _amount("Debit value")
    credit: Amount = _amount("Credit value")
    source: str | None = _text("The ledger it came from.")
    urn: int | None = _int("The transaction's unique reference number.")


class DateValidation(BaseModel):
    """Sage 200's verdict on a transaction date for one ledger."""

    model_config = ConfigDict(extra="allow")

    classification: str | None = _text("Normal, Acceptable or Unacceptable (Sage's enum value).")
    message: str | None = _text("Why the date is not normal, if it is not.")


class Found(BaseModel, Generic[FoundT]):
    """The records that matched exactly, possibly none (a flow branches on ``size(items)``)."""

    model_config = ConfigDict(extra="forbid")

    items: list[FoundT] = Field(description="Matching records, in Sage's order.")


class AllocationLineOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    posted_tran_id: int | None = _int("The posted transaction allocated.")
    value_to_allocate: Amount = _amount("The value allocated")


class Allocation(BaseModel):
    """An allocation as Sage 200 echoes it (``POST /sales_allocations``)."""

    model_config = ConfigDict(extra="allow")

    customer_id: int | None = _int("The customer.")
    allocation_date: Day = _day("The allocation date.")
    allocation_lines: list[AllocationLineOut] | None = _text("The lines allocated.")


class AnalysisCode(Record):
    """A transaction analysis code (``/nominal_transaction_analysis_codes``)."""

    code: str | None = _text("The code.")
    description: str | None = _text("What it stands for.")
    active: bool | None = _text("Whether it can be used.")
