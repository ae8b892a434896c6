"""Business and invoice settings, tax profiles and the reference lists settings point at.

Sources: the split spec's examples [S2] of GET /business_settings, /invoice_settings,
/countries_of_registration, /address_regions, /exchange_rates, /tax_types and
/tax_return_frequencies (swagger.settings.json, swagger.contacts.json, swagger.currencies.json,
swagger.taxes.json), the putBusinessSettings, putInvoiceSettings and putTaxProfiles schemas
[S1], and [G-inv] for the invoice number. What is inferred says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sage_accounting.sandbox._registry import (
    READ,
    READ_UPDATE,
    Resource,
    register,
    register_read_only,
)
from sage_accounting.sandbox._resources import Business, invalid, link, text
from sage_accounting.sandbox._store import Record

Data = Mapping[str, Any]
#: When Sage's example stamped its reference records; the sandbox's never change.
_EXAMPLE_STAMP = "2024-10-20T15:30:05Z"


def _ref(path: str, key: str, shown: str, **extra: Any) -> Record:
    return {"id": key, "displayed_as": shown, "$path": f"/{path}/{key}", **extra}


def _rows(path: str, rows: Iterable[tuple[str, str]]) -> Callable[[], list[Record]]:
    return lambda: [_ref(path, key, shown) for key, shown in rows]


# ---------------------------------------------------------------------------------------------
# Reference lists

#: [S2] /countries_of_registration example: the whole list ($total 5); the spec's description
#: of country_of_registration names the same five.
COUNTRIES_OF_REGISTRATION = (
    ("ENGLAND_AND_WALES", "England and Wales"),
    ("WALES", "Wales"),
    ("SCOTLAND", "Scotland"),
    ("NORTHERN_IRELAND", "Northern Ireland"),
    ("REPUBLIC_OF_IRELAND", "Republic of Ireland"),
)
#: [S2] /address_regions example: its first ten ($total 72), the Canadian provinces it lists;
#: ``code`` and ``name`` as its GET /address_regions/CA-AB example splits "Alberta (AB)".
ADDRESS_REGIONS = (
    ("CA-AB", "Alberta"),
    ("CA-BC", "British Columbia"),
    ("CA-MB", "Manitoba"),
    ("CA-NB", "New Brunswick"),
    ("CA-NL", "Newfoundland and Labrador"),
    ("CA-NS", "Nova Scotia"),
    ("CA-NT", "Northwest Territories"),
    ("CA-NU", "Nunavut"),
    ("CA-ON", "Ontario"),
    ("CA-PE", "Prince Edward Island"),
)
#: [S2] /tax_types and /tax_return_frequencies examples: both whole lists.
TAX_TYPES = (("MTD", "MTD"), ("MTD_PENDING", "MTD_PENDING"))
TAX_RETURN_FREQUENCIES = (
    ("QUARTERLY", "Quarterly"),
    ("MONTHLY", "Monthly"),
    ("ANNUALLY", "Annually"),
)


def _address_regions() -> list[Record]:
    out = []
    for key, name in ADDRESS_REGIONS:
        code = key.split("-", 1)[1]
        out.append(_ref("address_regions", key, f"{name} ({code})", code=code, name=name))
    return out


def _region_matches(biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    return lambda record, q: record["id"].split("-", 1)[0] == q.get("country_id", "").upper()


def _currency(key: str, name: str) -> Record:
    return _ref("currencies", key, f"{name} ({key})")


#: [S2] GET /exchange_rates/AUD example: the one rate Sage's documents give (GBP -> AUD). The
#: list example also names GBP -> GBP; its rate of 1 is inferred. The sandbox has no live rates,
#: so other currencies are not found (404) rather than given made-up rates. Records carry an
#: ``id`` (the currency) for the sandbox's store; Sage's example shows none.
EXCHANGE_RATES = (("AUD", "Australian Dollar", "1.9437263272", "0.5144757191"),)


def _exchange_rates() -> list[Record]:
    base = _currency("GBP", "Pound Sterling")
    out = [
        _ref(
            "exchange_rates",
            key,
            f"GBP -> {key}",
            created_at=_EXAMPLE_STAMP,
            updated_at=_EXAMPLE_STAMP,
            rate=rate,
            inverse_rate=inverse,
            base_currency=base,
            currency=_currency(key, name),
        )
        for key, name, rate, inverse in EXCHANGE_RATES
    ]
    one = {"rate": "1.0", "inverse_rate": "1.0", "base_currency": base, "currency": base}
    out.append(
        _ref(
            "exchange_rates",
            "GBP",
            "GBP -> GBP",
            created_at=_EXAMPLE_STAMP,
            updated_at=_EXAMPLE_STAMP,
            **one,
        )
    )
    return out


# ---------------------------------------------------------------------------------------------
# Singletons: one record per business, stored under a private collection


def _singleton(collection: str) -> Callable[[Business], Record]:
    def current(biz: Business) -> Record:
        stored = biz.collection(collection).records[collection]
        return {k: v for k, v in stored.items() if k != "id"}

    return current


def _store(biz: Business, collection: str, record: Record) -> Record:
    saved = biz.save(collection, {**record, "id": collection, "updated_at": biz.clock.stamp()})
    return {k: v for k, v in saved.items() if k != "id"}


#: [S2] business_settings example's default ledger accounts, by the nominal codes it shows;
#: a code the sandbox's chart lacks (8260, 5010 and the example's 4020 "Sales Discounts") is
#: null, and its "Carriage on Sales (4910)" is the chart's carriage on sales (4905).
_DEFAULT_ACCOUNTS = {
    "bank_charges": 7900,
    "bank_interest_received": 7900,
    "bank_interest_charges_paid": 7900,
    "exchange_rate_gains": None,
    "exchange_rate_losses": None,
    "sales": 4900,
    "sales_discount": None,
    "purchase": 5000,
    "purchase_discount": None,
    "product_sales": 4000,
    "product_purchase": 5000,
    "service_sales": 4010,
    "service_purchase": 5000,
    "stock_purchase": 1000,
    "other_receipt": 4900,
    "other_payment": 5000,
    "customer_receipt_discount": None,
    "vendor_payment_discount": None,
    "carriage": 4905,
}


def _seed_settings(biz: Business, index: int) -> None:
    accounts = biz.collection("ledger_accounts")

    def account(code: int | None) -> Record | None:
        key = biz.nominal_codes.get(code) if code is not None else None
        found = accounts.get(key) if key is not None else None
        return link(found) if found is not None else None

    created = biz.collection("_business").records["business"]["created_at"]
    business = {
        "id": "_business_settings",
        "$path": "/business_settings",
        "siret": None,
        "management_centre_member": False,
        "smart_transaction_enabled": False,
        "rcs_number": None,
        "share_capital": None,
        "business_activity_type": None,
        "legal_form_type": None,
        "auxiliary_accounts_visible": False,
        "default_ledger_accounts": {
            f"{name}_ledger_account": account(code) for name, code in _DEFAULT_ACCOUNTS.items()
        },
        "business_type": {
            "id": "LIMITED",
            "displayed_as": "Limited Company/LLP - we're registered at Companies House",
            "$path": "/business_types/LIMITED",
            "name": "Limited Company/LLP",
            "description": "we're registered at Companies House",
        },
        "country_of_registration": _ref(
            "countries_of_registration", "ENGLAND_AND_WALES", "England and Wales"
        ),
        "business_created_at": created,
        "updated_at": created,
        "wizard_complete": True,
    }
    biz.save("_business_settings", business)
    biz.save(
        "_invoice_settings", {"id": "_invoice_settings", **_INVOICE_DEFAULTS, "updated_at": created}
    )
    tax = biz.collection("_settings").records["financial_settings"]
    # Its id comes from the business's, not the sandbox's id counter, so seeding it does not
    # shift the ids every later record (and every recorded cassette) gets.
    key = hashlib.blake2b(f"tax-profile:{biz.id}".encode(), digest_size=16).hexdigest()
    profile = biz.stamped("tax_profiles", "VAT", key)
    profile.update(
        # INFERRED: a GB business has one VAT profile, of the MTD tax type (tax_types example:
        # the GB one), with the financial settings' tax number and return frequency.
        tax_type=_ref("tax_types", "MTD", "MTD"),
        tax_number=tax["tax_number"],
        tax_number_suffix=None,
        collect_tax=True,
        tax_return_frequency=tax["tax_return_frequency"],
        address_region=None,
    )
    biz.save("tax_profiles", profile)


def update_business_settings(biz: Business, record: Record, data: Data) -> Record:
    updated = dict(record)
    if "country_of_registration_id" in data:
        country = biz.find(
            "countries_of_registration",
            data["country_of_registration_id"],
            "country_of_registration_id",
        )
        updated["country_of_registration"] = link(country)
    if "wizard_complete" in data:
        updated["wizard_complete"] = _flag(data, "wizard_complete")
    raw = data.get("default_ledger_accounts")
    if raw is not None:
        if not isinstance(raw, Mapping):
            raise invalid(("default_ledger_accounts", "is invalid"))
        defaults = dict(updated["default_ledger_accounts"])
        for key, value in raw.items():
            where = f"default_ledger_accounts.{key}"
            account = biz.find("ledger_accounts", value, where)
            defaults[key.removesuffix("_id")] = link(account)
        updated["default_ledger_accounts"] = defaults
    return _store(biz, "_business_settings", updated)


def _flag(data: Data, key: str) -> bool:
    value = data[key]
    if not isinstance(value, bool):
        raise invalid((key, "is not a boolean"))
    return value


#: [S2] invoice_settings example, less what the sandbox computes (the next numbers) or does not
#: simulate (prefixes the invoices do not read, France and Spain fields).
_INVOICE_DEFAULTS: Record = {
    "$path": "/invoice_settings",
    "separate_invoice_credit_note_numbering": True,
    "sales_invoice_number_prefix": "SI-",
    "sales_credit_note_number_prefix": "SCN-",
    "invoice_terms_and_conditions": "",
    "default_note_on_invoice": "",
    "default_note_on_credit_note": "",
    "default_note_on_estimate": "",
    "default_note_on_quote": "",
    "quote_number_prefix": "SQ-",
    "estimate_number_prefix": "SE-",
    "quote_default_days_to_expiry": 30,
    "estimate_default_days_to_expiry": 30,
    "quote_terms_and_conditions": "",
    "estimate_terms_and_conditions": "",
    "delivery_note_terms_and_conditions": "",
    "delivery_note_show_signature": False,
    "delivery_note_show_picked": False,
    "delivery_note_show_notes": False,
    "delivery_note_show_contact_details": False,
    "quick_entry_prefix": "QE-",
    "late_payment_percentage": None,
    "prompt_payment_percentage": None,
    "show_auto_entrepreneur": False,
    "show_insurance": False,
    "insurer": None,
    "insurance_area": None,
    "insurance_type": None,
    "insurance_text": None,
    "payment_bank_account": None,
    "sales_corrective_invoice_number_prefix": None,
    "next_sales_corrective_invoice_number": None,
    "document_headings": {
        "sales_invoice": "Sales Invoice",
        "sales_credit_note": "Sales Credit Note",
        "sales_corrective_invoice": None,
        "sales_quote": "Sales Quote",
        "sales_estimate": "Sales Estimate",
        "pro_forma": "Pro Forma Invoice",
        "remittance_advice": "Remittance Advice",
        "statement": "Statement",
        "delivery_note": "Delivery Note",
    },
    "line_item_titles": {
        "description": "Description",
        "unit_price": "Price/Rate",
        "quantity": "Qty/Hrs",
        "discount": "Discount",
    },
    "footer_details": {"column_1": "", "column_2": "", "column_3": ""},
    "print_contact_details": {
        "business_name": True,
        "contact_name": True,
        "website": True,
        "telephone": True,
        "mobile": True,
        "email_address": True,
        "due_date": True,
        "default_delivery_address": "INVOICE_ADDRESS",
    },
    "print_statements": {"days_overdue": True, "table_of_balances": True},
    "customer_credit_days": 30,
    "vendor_credit_days": 30,
    "customer_credit_terms": "date_from_invoice",
    "vendor_credit_terms": "date_from_payment",
}
#: putInvoiceSettings fields stored as given: (kind, bounds or choices) from its schema.
_TEXTS = (
    "invoice_terms_and_conditions",
    "default_note_on_invoice",
    "default_note_on_credit_note",
    "default_note_on_estimate",
    "default_note_on_quote",
    "quote_terms_and_conditions",
    "estimate_terms_and_conditions",
    "delivery_note_terms_and_conditions",
)
_FLAGS = (
    "delivery_note_show_signature",
    "delivery_note_show_picked",
    "delivery_note_show_notes",
    "delivery_note_show_contact_details",
)
_DAYS = (
    "quote_default_days_to_expiry",
    "estimate_default_days_to_expiry",
    "customer_credit_days",
    "vendor_credit_days",
)
_CHOICES = {
    "customer_credit_terms": ("month_end_invoice", "date_from_invoice", "immediate_invoice"),
    "vendor_credit_terms": ("month_end_payment", "date_from_payment", "immediate_payment"),
}
_GROUPS = (
    "document_headings",
    "line_item_titles",
    "footer_details",
    "print_contact_details",
    "print_statements",
)
_MAX_NUMBER = 999_999_999  # putInvoiceSettings next_invoice_number: 1..999999999


#: The numbers invoice settings show and set: the counters the sandbox numbers with.
_NUMBERS = {
    "next_invoice_number": "sales_invoices",
    "next_credit_note_number": "sales_credit_notes",
}


def invoice_settings(biz: Business) -> Record:
    """The stored settings and the next numbers, each its counter + 1 ([G-inv]: "the next
    number is in GET /invoice_settings next_invoice_number"; credit notes count apart, as the
    example's ``separate_invoice_credit_note_numbering`` true says)."""
    stored = biz.collection("_invoice_settings").records["_invoice_settings"]
    out = {k: v for k, v in stored.items() if k != "id"}
    for key, counter in _NUMBERS.items():
        out[key] = biz.counters.get(counter, 0) + 1
    return out


def _whole(data: Data, key: str, low: int, high: int) -> int:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid((key, "is not a number"))
    if not low <= value <= high:
        raise invalid((key, f"must be between {low} and {high}"))
    return value


def update_invoice_settings(biz: Business, record: Record, data: Data) -> Record:
    updated = {k: v for k, v in record.items() if k not in _NUMBERS}
    for key in _TEXTS:
        if key in data:
            updated[key] = text(data[key])
    for key in _FLAGS:
        if key in data:
            updated[key] = _flag(data, key)
    for key in _DAYS:
        if key in data:
            updated[key] = _whole(data, key, 0, 365)
    for key, choices in _CHOICES.items():
        if key in data:
            if data[key] not in choices:
                raise invalid((key, f"must be one of {', '.join(choices)}"))
            updated[key] = data[key]
    for group in _GROUPS:
        raw = data.get(group)
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            raise invalid((group, "is invalid"))
        merged = dict(updated[group])
        for key, value in raw.items():
            if isinstance(merged.get(key), bool):
                merged[key] = _flag(raw, key)
            else:
                merged[key] = text(value)
        updated[group] = merged
    for key in _PREFIXES:
        if key not in data:
            continue
        # Read by the numbering of sales invoices, credit notes, quotes and estimates
        # (res.settings_prefix). A blank prefix is refused (INFERRED: what Sage does with one
        # is unknown).
        prefix = text(data[key])
        if not prefix:
            raise invalid((key, "can't be blank"))
        updated[key] = prefix
    for key, counter in _NUMBERS.items():
        if key in data:
            # The next numbers from here (INFERRED: Sage's check of a number below one already
            # used is unknown, so any number in the schema's range is taken).
            biz.counters[counter] = _whole(data, key, 1, _MAX_NUMBER) - 1
    _store(biz, "_invoice_settings", updated)
    return invoice_settings(biz)


def update_tax_profile(biz: Business, record: Record, data: Data) -> Record:
    updated = dict(record)
    for key, path in (
        ("tax_type_id", "tax_types"),
        ("tax_return_frequency_id", "tax_return_frequencies"),
    ):
        if key in data:
            updated[key.removesuffix("_id")] = link(biz.find(path, data[key], key))
    for key in ("tax_number", "tax_number_suffix"):
        if key in data:
            updated[key] = text(data[key]) or None
    if "collect_tax" in data:
        updated["collect_tax"] = _flag(data, "collect_tax")
    updated["updated_at"] = biz.clock.stamp()
    return biz.save("tax_profiles", updated)


# ---------------------------------------------------------------------------------------------
# Registration

for _name, _reference in (
    ("countries_of_registration", _rows("countries_of_registration", COUNTRIES_OF_REGISTRATION)),
    ("tax_types", _rows("tax_types", TAX_TYPES)),
    ("tax_return_frequencies", _rows("tax_return_frequencies", TAX_RETURN_FREQUENCIES)),
    ("exchange_rates", _exchange_rates),
):
    register_read_only(_name, shared=True, reference=_reference)
register_read_only(
    "address_regions",
    shared=True,
    reference=_address_regions,
    filters=frozenset({"country_id"}),
    matches=_region_matches,
)
_LEDGER_DEFAULTS = {f"{name}_ledger_account_id": None for name in _DEFAULT_ACCOUNTS}
register(
    Resource(
        "business_settings",
        "business_settings",
        on_collection=READ_UPDATE,
        singleton=_singleton("_business_settings"),
        update=update_business_settings,
        simulated={
            "country_of_registration_id": None,
            "wizard_complete": None,
            "default_ledger_accounts": _LEDGER_DEFAULTS,
        },
        seed=_seed_settings,
    )
)
#: The number prefixes the sandbox's numbering reads (res.settings_prefix).
_PREFIXES = (
    "sales_invoice_number_prefix",
    "sales_credit_note_number_prefix",
    "quote_number_prefix",
    "estimate_number_prefix",
)
register(
    Resource(
        "invoice_settings",
        "invoice_settings",
        on_collection=READ_UPDATE,
        singleton=invoice_settings,
        update=update_invoice_settings,
        simulated={
            **dict.fromkeys(_NUMBERS),
            **dict.fromkeys(_PREFIXES),
            **dict.fromkeys((*_TEXTS, *_FLAGS, *_DAYS, *_CHOICES)),
            **{group: dict.fromkeys(_INVOICE_DEFAULTS[group]) for group in _GROUPS},
        },
    )
)
register(
    Resource(
        "tax_profiles",
        "tax_profile",
        on_collection=READ,
        on_record=READ_UPDATE,
        update=update_tax_profile,
        simulated=dict.fromkeys(
            (
                "tax_type_id",
                "tax_number",
                "tax_number_suffix",
                "collect_tax",
                "tax_return_frequency_id",
            )
        ),
    )
)
