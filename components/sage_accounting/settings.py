"""Settings and their reference lists: business and invoice settings, tax profiles, exchange
rates, countries of registration and address regions.

The two settings are singletons (GET and PUT on ``/business_settings`` and
``/invoice_settings``, no id), described by one :class:`Singleton` row each; the listed
resources are rows of the :mod:`sage_accounting._crud` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from sage_accounting import _wire
from sage_accounting._actions import get_one, write_one
from sage_accounting._changes import changes_trigger
from sage_accounting._crud import GET, LIST, UPDATE, Family, read_only, register_family
from sage_accounting._lookups import (
    ADDRESS_REGIONS,
    COUNTRIES,
    COUNTRIES_OF_REGISTRATION,
    CURRENCIES,
    LEDGER_ACCOUNTS,
    TAX_PROFILES,
    CountryOfRegistrationId,
    TaxReturnFrequencyId,
    TaxTypeId,
)
from sage_accounting._models import (
    Bool,
    Id,
    Int,
    PagingInputs,
    SageObject,
    UpdatedSinceInputs,
    optional,
    stub,
)
from sage_accounting._pack import PACK
from sage_accounting._resources import Link, described
from sageflow._component import IDEMPOTENT_WRITE, READ_ONLY, Action, Inputs
from sageflow._options import closed_set

# --- Output models ------------------------------------------------------------------------------


class Settings(BaseModel):
    """A settings singleton: no ``id``; Sage adds fields over time, so unknown ones are kept."""

    model_config = ConfigDict(extra="allow")

    path: str | None = Field(default=None, alias="$path", description="The settings' path.")
    updated_at: str | None = described("When the settings last changed (ISO 8601).")


class BusinessSettings(Settings):
    """``/business_settings``: default ledger accounts, business type, country of registration."""

    country_of_registration: Link | None = described("ENGLAND_AND_WALES, SCOTLAND, ...")
    business_type: Link | None = described("The type of business (LIMITED, ...).")
    default_ledger_accounts: dict[str, Link | None] | None = described("Default ledger accounts.")
    wizard_complete: bool | None = described("Whether the quick start wizard was completed.")


class InvoiceSettings(Settings):
    """``/invoice_settings``: numbering, default notes, terms and credit days."""

    next_invoice_number: int | None = described("The number the next sales invoice gets.")
    sales_invoice_number_prefix: str | None = described("The sales invoice number prefix (SI-).")
    invoice_terms_and_conditions: str | None = described("Default terms on invoices.")
    customer_credit_days: int | None = described("Default days a customer has to pay.")
    vendor_credit_days: int | None = described("Default days to pay a supplier.")


class TaxProfile(SageObject):
    """A tax profile (``/tax_profiles``): a tax the business collects, and its number."""

    tax_type: Link | None = described("The tax type (MTD, ...).")
    tax_number: str | None = described("The tax (VAT) registration number.")
    collect_tax: bool | None = described("Whether the tax is collected.")
    tax_return_frequency: Link | None = described("QUARTERLY, MONTHLY or ANNUALLY.")
    address_region: Link | None = described("The region (Canada).")


class ExchangeRate(SageObject):
    """The rate from the base currency to a foreign one (``/exchange_rates/{currency}``)."""

    rate: str | None = described("Foreign units per base unit, a decimal string.")
    inverse_rate: str | None = described("Base units per foreign unit, a decimal string.")
    base_currency: Link | None = described("The business's base currency.")
    currency: Link | None = described("The foreign currency.")


class AddressRegion(SageObject):
    """A region of a country's addresses (``/address_regions``), e.g. CA-ON."""

    code: str | None = described("The region's code (ON).")
    name: str | None = described("The region's name (Ontario).")


# --- Singletons ---------------------------------------------------------------------------------

#: putBusinessSettings default_ledger_accounts: each ``<name>_ledger_account_id``.
DEFAULT_ACCOUNTS = (
    "bank_charges",
    "bank_interest_received",
    "bank_interest_charges_paid",
    "exchange_rate_gains",
    "exchange_rate_losses",
    "sales",
    "sales_discount",
    "purchase",
    "purchase_discount",
    "product_sales",
    "product_purchase",
    "service_sales",
    "service_purchase",
    "stock_purchase",
    "other_receipt",
    "other_payment",
    "customer_receipt_discount",
    "vendor_payment_discount",
    "carriage",
)
_ACCOUNT_ID = "7a5ecfcf884911ed84fa0252b90cda0d"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


_ACCOUNT_FIELDS: dict[str, Any] = {
    f"{_camel(name)}LedgerAccountId": (
        Id | None,
        optional(
            f"The default {name.replace('_', ' ')} ledger account.",
            _ACCOUNT_ID,
            json_schema_extra=LEDGER_ACCOUNTS,
        ),
    )
    for name in DEFAULT_ACCOUNTS
}
DefaultLedgerAccounts: type[Inputs] = create_model(
    "DefaultLedgerAccounts",
    __base__=Inputs,
    __doc__="The default ledger accounts to change; the others keep theirs.",
    **_ACCOUNT_FIELDS,
)


class UpdateBusinessSettingsInputs(Inputs):
    countryOfRegistrationId: CountryOfRegistrationId | None = optional(
        "Where the business is registered.", "ENGLAND_AND_WALES"
    )
    wizardComplete: Bool | None = optional("Mark the quick start wizard complete.", True)
    defaultLedgerAccounts: DefaultLedgerAccounts | None = optional(
        "Default ledger accounts to change.", {"salesLedgerAccountId": _ACCOUNT_ID}
    )


if TYPE_CHECKING:
    CustomerCreditTerms = str
    VendorCreditTerms = str
else:
    # putInvoiceSettings' enums ("Only: ... are valid values"), labelled by its description:
    # "end of next month, a delay of customer credit_days and immediately".
    CustomerCreditTerms = closed_set(
        {
            "month_end_invoice": "End of next month",
            "date_from_invoice": "The customer's credit days",
            "immediate_invoice": "Immediately",
        }
    )
    VendorCreditTerms = closed_set(
        {
            "month_end_payment": "End of next month",
            "date_from_payment": "The supplier's credit days",
            "immediate_payment": "Immediately",
        }
    )


def _days(what: str, example: int) -> Any:
    return optional(what, example, ge=0, le=365)


class UpdateInvoiceSettingsInputs(Inputs):
    # Ranges and choices as putInvoiceSettings declares them.
    nextInvoiceNumber: Int | None = optional(
        "The number the next sales invoice gets, 1-999999999.", 1001, ge=1, le=999_999_999
    )
    invoiceTermsAndConditions: str | None = optional(
        "Default terms on invoices.", "Payment within 30 days."
    )
    defaultNoteOnInvoice: str | None = optional("Default note on invoices.", "Thank you!")
    defaultNoteOnCreditNote: str | None = optional("Default note on credit notes.", "Refund.")
    defaultNoteOnEstimate: str | None = optional("Default note on estimates.", "Valid 30 days.")
    defaultNoteOnQuote: str | None = optional("Default note on quotes.", "Valid 30 days.")
    quoteTermsAndConditions: str | None = optional("Default terms on quotes.", "As agreed.")
    estimateTermsAndConditions: str | None = optional("Default terms on estimates.", "As agreed.")
    deliveryNoteTermsAndConditions: str | None = optional("Terms on delivery notes.", "Signed.")
    quoteDefaultDaysToExpiry: Int | None = _days("Days before a quote expires, 0-365.", 30)
    estimateDefaultDaysToExpiry: Int | None = _days("Days before an estimate expires.", 30)
    customerCreditDays: Int | None = _days("Default days a customer has to pay, 0-365.", 30)
    vendorCreditDays: Int | None = _days("Default days to pay a supplier, 0-365.", 30)
    customerCreditTerms: CustomerCreditTerms | None = optional(
        "How customer due dates are worked out.", "date_from_invoice"
    )
    vendorCreditTerms: VendorCreditTerms | None = optional(
        "How supplier due dates are worked out.", "date_from_payment"
    )
    deliveryNoteShowSignature: Bool | None = optional("Signature lines on delivery notes.", True)
    deliveryNoteShowPicked: Bool | None = optional("A picked column on delivery notes.", False)
    deliveryNoteShowNotes: Bool | None = optional("Document notes on delivery notes.", True)
    deliveryNoteShowContactDetails: Bool | None = optional("Contact details on them.", True)


class NoInputs(Inputs):
    """Nothing to choose: the settings of the connection's business."""


@dataclass(frozen=True)
class Singleton:
    """A settings resource: one record per business at ``path``, read and changed, no id."""

    noun: str
    path: str
    wrapper: str
    output: type[Settings]
    update_inputs: type[Inputs]
    example: dict[str, Any]
    update_example: dict[str, Any]


_BUSINESS_SETTINGS: dict[str, Any] = {
    "$path": "/business_settings",
    "default_ledger_accounts": {
        "sales_ledger_account": stub("ledger_accounts", _ACCOUNT_ID, "Other income (4900)"),
    },
    "business_type": stub("business_types", "LIMITED", "Limited Company/LLP"),
    "country_of_registration": stub(
        "countries_of_registration", "ENGLAND_AND_WALES", "England and Wales"
    ),
    "updated_at": "2026-01-05T09:00:00Z",
    "wizard_complete": True,
}
_INVOICE_SETTINGS: dict[str, Any] = {
    "$path": "/invoice_settings",
    "next_invoice_number": 376,
    "sales_invoice_number_prefix": "SI-",
    "invoice_terms_and_conditions": "Payment within 30 days.",
    "customer_credit_days": 30,
    "vendor_credit_days": 30,
    "updated_at": "2026-01-05T09:00:00Z",
}
SINGLETONS = (
    Singleton(
        "BusinessSettings",
        "/business_settings",
        "business_settings",
        BusinessSettings,
        UpdateBusinessSettingsInputs,
        _BUSINESS_SETTINGS,
        {"countryOfRegistrationId": "SCOTLAND"},
    ),
    Singleton(
        "InvoiceSettings",
        "/invoice_settings",
        "invoice_settings",
        InvoiceSettings,
        UpdateInvoiceSettingsInputs,
        _INVOICE_SETTINGS,
        {"nextInvoiceNumber": 1001},
    ),
)


def register_singleton(row: Singleton) -> None:
    words = row.path.strip("/").replace("_", " ")

    def get_handler(inputs: NoInputs) -> Action:
        return (yield from get_one(row.path))

    def update_handler(inputs: Inputs) -> Action:
        return (yield from write_one("PUT", row.path, row.wrapper, _wire.fields(inputs)))

    PACK.component(
        key=f"get{row.noun}",
        title=f"Get {words.title()}",
        description=f"The business's {words} (GET {row.path}).",
        inputs=NoInputs,
        output=row.output,
        annotations=READ_ONLY,
        example_input={},
        example_output=row.example,
    )(get_handler)
    PACK.component(
        key=f"update{row.noun}",
        title=f"Update {words.title()}",
        description=f"Change the business's {words}; only inputs given are sent (PUT {row.path}).",
        inputs=row.update_inputs,
        output=row.output,
        annotations=IDEMPOTENT_WRITE,
        example_input=row.update_example,
        example_output=row.example,
    )(update_handler)


# --- Listed resources ---------------------------------------------------------------------------


class TaxProfileFields(Inputs):
    taxTypeId: TaxTypeId | None = optional("The tax type.", "MTD")
    taxNumber: str | None = optional("The tax (VAT) registration number.", "GB314159265")
    taxNumberSuffix: str | None = optional("A suffix of the tax number.", "01")
    collectTax: Bool | None = optional("Whether the tax is collected.", True)
    taxReturnFrequencyId: TaxReturnFrequencyId | None = optional(
        "How often tax returns are due.", "QUARTERLY"
    )


class ListAddressRegionsInputs(PagingInputs):
    countryId: str | None = optional(
        "Only regions of this country.", "CA", json_schema_extra=COUNTRIES
    )


_PROFILE_ID = "c5409ed5c1b43ec18b050a29932483de"


FAMILIES = (
    Family(
        collection="tax_profiles",
        wrapper="tax_profile",
        singular="Tax Profile",
        plural="Tax Profiles",
        id_input="taxProfileId",
        output=TaxProfile,
        example={
            **stub("tax_profiles", _PROFILE_ID, "VAT"),
            "tax_type": stub("tax_types", "MTD", "MTD"),
            "tax_number": "GB314159265",
            "collect_tax": True,
            "tax_return_frequency": stub("tax_return_frequencies", "QUARTERLY", "Quarterly"),
            "address_region": None,
        },
        create_example={},
        update_example={"taxNumber": "GB271828182"},
        list_inputs=UpdatedSinceInputs,
        list_example={"attributes": "all"},
        lookup=TAX_PROFILES,
        # The swagger has GET /tax_profiles, GET and PUT /tax_profiles/{key}: no create.
        operations=frozenset({LIST, GET, UPDATE}),
        fields=TaxProfileFields,
    ),
    read_only(
        collection="exchange_rates",
        singular="Exchange Rate",
        plural="Exchange Rates",
        # An exchange rate's key is its foreign currency (/exchange_rates/AUD): users look a
        # rate up by currency, which this GET is.
        id_input="currencyId",
        output=ExchangeRate,
        example={
            **stub("exchange_rates", "AUD", "GBP -> AUD"),
            "rate": "1.9437263272",
            "inverse_rate": "0.5144757191",
            "base_currency": stub("currencies", "GBP", "Pound Sterling (GBP)"),
            "currency": stub("currencies", "AUD", "Australian Dollar (AUD)"),
        },
        lookup=CURRENCIES,
    ),
    read_only(
        collection="countries_of_registration",
        singular="Country Of Registration",
        plural="Countries Of Registration",
        id_input="countryOfRegistrationId",
        output=SageObject,
        example=stub("countries_of_registration", "ENGLAND_AND_WALES", "England and Wales"),
        lookup=COUNTRIES_OF_REGISTRATION,
    ),
    Family(
        collection="address_regions",
        wrapper="address_region",
        singular="Address Region",
        plural="Address Regions",
        id_input="addressRegionId",
        output=AddressRegion,
        example={
            **stub("address_regions", "CA-ON", "Ontario (ON)"),
            "code": "ON",
            "name": "Ontario",
        },
        create_example={},
        update_example={},
        list_inputs=ListAddressRegionsInputs,
        list_example={"countryId": "CA", "fetchAll": True},
        lookup=ADDRESS_REGIONS,
        operations=frozenset({LIST, GET}),
    ),
)

for _singleton in SINGLETONS:
    register_singleton(_singleton)
for _family in FAMILIES:
    register_family(_family)
# getTaxProfiles takes updated_or_created_since (no deleted_since: profiles are not deleted).
changes_trigger("taxProfile", "/tax_profiles", TaxProfile, deletions=False)
