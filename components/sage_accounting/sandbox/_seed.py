"""Seed data of a small UK business: reference lists, chart of accounts, contacts, invoices."""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any

#: (id, name) of the currencies a UK business can pick; 34 of them, as Sage offers.
CURRENCIES: tuple[tuple[str, str], ...] = (
    ("GBP", "Pound Sterling"),
    ("EUR", "Euro"),
    ("USD", "US Dollar"),
    ("CAD", "Canadian Dollar"),
    ("AUD", "Australian Dollar"),
    ("NZD", "New Zealand Dollar"),
    ("CHF", "Swiss Franc"),
    ("JPY", "Japanese Yen"),
    ("SEK", "Swedish Krona"),
    ("NOK", "Norwegian Krone"),
    ("DKK", "Danish Krone"),
    ("PLN", "Polish Zloty"),
    ("CZK", "Czech Koruna"),
    ("HUF", "Hungarian Forint"),
    ("RON", "Romanian Leu"),
    ("BGN", "Bulgarian Lev"),
    ("ISK", "Iceland Krona"),
    ("ZAR", "South African Rand"),
    ("INR", "Indian Rupee"),
    ("CNY", "Chinese Yuan"),
    ("HKD", "Hong Kong Dollar"),
    ("SGD", "Singapore Dollar"),
    ("MXN", "Mexican Peso"),
    ("BRL", "Brazilian Real"),
    ("AED", "UAE Dirham"),
    ("SAR", "Saudi Riyal"),
    ("ILS", "Israeli Shekel"),
    ("TRY", "Turkish Lira"),
    ("KRW", "South Korean Won"),
    ("THB", "Thai Baht"),
    ("MYR", "Malaysian Ringgit"),
    ("IDR", "Indonesian Rupiah"),
    ("PHP", "Philippine Peso"),
    ("QAR", "Qatari Riyal"),
)

CONTACT_TYPES = (("CUSTOMER", "Customer"), ("VENDOR", "Supplier"))
CONTACT_PERSON_TYPES = (
    ("ACCOUNTS", "Accounts"),
    ("SALES", "Sales"),
    ("PURCHASING", "Purchasing"),
)
ADDRESS_TYPES = (
    ("DELIVERY", "Delivery"),
    ("ACCOUNTS", "Accounts"),
    ("SALES", "Sales"),
    ("PURCHASING", "Purchasing"),
)

#: ledger account type id -> (name, group id, group name). The 13 types and their names, in
#: order, are Sage's GET /ledger_account_types example (split-2025 swagger.accounting_setup);
#: group names "Income", "Expenditure" and "Asset" are the recorded samples', "Liability" and
#: "Equity" follow them (inferred).
LEDGER_ACCOUNT_TYPES: dict[str, tuple[str, str, str]] = {
    "SALES": ("Sales", "INCOME", "Income"),
    "OTHER_INCOME": ("Other Income", "INCOME", "Income"),
    "DIRECT_EXPENSES": ("Direct Expenses", "EXPENSE", "Expenditure"),
    "OVERHEADS": ("Overheads", "EXPENSE", "Expenditure"),
    "DEPRECIATION": ("Depreciation", "EXPENSE", "Expenditure"),
    "CURRENT_ASSETS": ("Current Assets", "ASSET", "Asset"),
    "FIXED_ASSETS": ("Fixed Assets", "ASSET", "Asset"),
    "FUTURE_ASSETS": ("Future Assets", "ASSET", "Asset"),
    "BANK": ("Bank", "ASSET", "Asset"),
    "CURRENT_LIABILITY": ("Current Liability", "LIABILITY", "Liability"),
    "FUTURE_LIABILITY": ("Future Liability", "LIABILITY", "Liability"),
    "EQUITY": ("Equity", "EQUITY", "Equity"),
    "LINE_OF_CREDIT": ("Credit Card / Loan", "LIABILITY", "Liability"),
}

_SALES = ("sales", "other_receipt", "journals", "reporting")
_PURCHASES = ("purchasing", "other_payment", "expenses", "journals", "reporting")
_BALANCE = ("journals", "reporting")
_BANK = ("bank", "journals", "reporting")

#: (nominal code, name, type, tax rate, visible scopes, control account name or None)
CHART: tuple[tuple[int, str, str, str, tuple[str, ...], str | None], ...] = (
    (30, "Office equipment and IT", "FIXED_ASSETS", "GB_NO_TAX", _PURCHASES, None),
    (50, "Motor vehicles", "FIXED_ASSETS", "GB_NO_TAX", _PURCHASES, None),
    (1001, "Stock", "CURRENT_ASSETS", "GB_NO_TAX", _BALANCE, None),
    (1100, "Trade Debtors", "CURRENT_ASSETS", "GB_NO_TAX", _BALANCE, "Sales Ledger Control"),
    (1200, "Current", "BANK", "GB_NO_TAX", _BANK, None),
    (1210, "Cash in hand", "BANK", "GB_NO_TAX", _BANK, None),
    (1220, "Business savings", "BANK", "GB_NO_TAX", _BANK, None),
    (
        2100,
        "Trade Creditors",
        "CURRENT_LIABILITY",
        "GB_NO_TAX",
        _BALANCE,
        "Purchase Ledger Control",
    ),
    (2200, "Sales Tax Control Account", "CURRENT_LIABILITY", "GB_NO_TAX", _BALANCE, "Sales Tax"),
    (
        2201,
        "Purchase Tax Control Account",
        "CURRENT_LIABILITY",
        "GB_NO_TAX",
        _BALANCE,
        "Purchase Tax",
    ),
    (2202, "VAT Liability", "CURRENT_LIABILITY", "GB_NO_TAX", _BALANCE, "VAT Liability"),
    (2210, "PAYE", "CURRENT_LIABILITY", "GB_NO_TAX", _BALANCE, None),
    (2300, "Loans", "FUTURE_LIABILITY", "GB_NO_TAX", _BALANCE, None),
    (3000, "Capital introduced", "EQUITY", "GB_NO_TAX", _BALANCE, None),
    (3200, "Retained Earnings", "EQUITY", "GB_NO_TAX", _BALANCE, "Retained Earnings"),
    (3260, "Drawings", "EQUITY", "GB_NO_TAX", _BALANCE, None),
    (4000, "Sales - Products", "SALES", "GB_STANDARD", _SALES, None),
    (4010, "Sales - Services", "SALES", "GB_STANDARD", _SALES, None),
    (4020, "Sales - Exports", "SALES", "GB_ZERO", _SALES, None),
    (4900, "Other income", "OTHER_INCOME", "GB_STANDARD", _SALES, None),
    (4905, "Carriage on sales", "OTHER_INCOME", "GB_STANDARD", _SALES, None),
    (5000, "Cost of sales - goods", "DIRECT_EXPENSES", "GB_STANDARD", _PURCHASES, None),
    (5001, "Cost of sales - materials", "DIRECT_EXPENSES", "GB_STANDARD", _PURCHASES, None),
    (5100, "Carriage on purchases", "DIRECT_EXPENSES", "GB_STANDARD", _PURCHASES, None),
    (7000, "Gross wages", "OVERHEADS", "GB_NO_TAX", _PURCHASES, None),
    (7100, "Rent", "OVERHEADS", "GB_EXEMPT", _PURCHASES, None),
    (7103, "Business rates", "OVERHEADS", "GB_NO_TAX", _PURCHASES, None),
    (7200, "Electricity", "OVERHEADS", "GB_LOWER", _PURCHASES, None),
    (7400, "Travelling", "OVERHEADS", "GB_ZERO", _PURCHASES, None),
    (7500, "Office stationery", "OVERHEADS", "GB_STANDARD", _PURCHASES, None),
    (7502, "Telephone", "OVERHEADS", "GB_STANDARD", _PURCHASES, None),
    (7504, "Postage", "OVERHEADS", "GB_EXEMPT", _PURCHASES, None),
    (7600, "Legal fees", "OVERHEADS", "GB_STANDARD", _PURCHASES, None),
    (7602, "Accountancy fees", "OVERHEADS", "GB_STANDARD", _PURCHASES, None),
    (7700, "Software and IT services", "OVERHEADS", "GB_STANDARD", _PURCHASES, None),
    (7900, "Bank charges and interest", "OVERHEADS", "GB_EXEMPT", _PURCHASES, None),
    (8000, "Depreciation", "DEPRECIATION", "GB_NO_TAX", _BALANCE, None),
    (9998, "Suspense Account", "CURRENT_LIABILITY", "GB_NO_TAX", _BALANCE, None),
    (9999, "Mispostings Account", "CURRENT_LIABILITY", "GB_NO_TAX", _BALANCE, None),
)

#: id -> (name, label, percentage as text). Labels (``displayed_as`` is the label and the
#: percentage, "No VAT" alone) are tax_rates__list__sage-swagger-2025-example.json's; the name
#: "STANDARD" is tax_rates__get_one_gb_standard's, the others follow it (inferred).
TAX_RATES: dict[str, tuple[str, str, str]] = {
    "GB_STANDARD": ("STANDARD", "Standard", "20.0"),
    "GB_LOWER": ("LOWER", "Lower Rate", "5.0"),
    "GB_ZERO": ("ZERO", "Zero Rated", "0.0"),
    "GB_EXEMPT": ("EXEMPT", "Exempt", "0.0"),
    "GB_NO_TAX": ("NO_TAX", "No VAT", "0.0"),
}

#: Business name, address, tax number.
BUSINESSES: tuple[dict[str, str], ...] = (
    {
        "name": "Riverside Joinery Ltd",
        "address_line_1": "14 Mill Lane",
        "city": "Leeds",
        "postal_code": "LS1 4AB",
        "tax_number": "GB314159265",
    },
    {
        "name": "Harbour Lights Cafe",
        "address_line_1": "2 Quay Street",
        "city": "Bristol",
        "postal_code": "BS1 4DB",
        "tax_number": "GB271828182",
    },
)

USER = {
    "first_name": "Sam",
    "last_name": "Sandbox",
    "email": "sam.sandbox@example.com",
    "locale": "en-GB",
}

#: The two system contacts every UK business has for VAT with HMRC, as [G-qs] and
#: contacts__list_new_uk_business__sage-guide-quickstart.json show them.
SYSTEM_CONTACTS: tuple[dict[str, Any], ...] = (
    {"name": "HMRC Reclaimed", "reference": "HMRC Rec", "contact_type_ids": ["CUSTOMER"]},
    {"name": "HMRC Payments", "reference": "HMRC Pay", "contact_type_ids": ["VENDOR"]},
)

CUSTOMERS: tuple[dict[str, Any], ...] = (
    {
        "name": "Acme Builders Ltd",
        "reference": "ACME001",
        "credit_days": 30,
        "main_address": {
            "address_line_1": "1 Foundry Road",
            "city": "Sheffield",
            "postal_code": "S1 2HE",
            "country_id": "GB",
        },
        "main_contact_person": {"name": "Alice Carter", "email": "alice@acme.example.com"},
    },
    {
        "name": "Northwind Interiors",
        "reference": "NORTH01",
        "credit_days": 14,
        "main_address": {
            "address_line_1": "88 High Street",
            "city": "York",
            "postal_code": "YO1 8PQ",
            "country_id": "GB",
        },
        "main_contact_person": {"name": "Bob Norris", "email": "bob@northwind.example.com"},
    },
    {
        "name": "Blue Door Lettings",
        "reference": "BLUE001",
        "main_address": {
            "address_line_1": "5 Canal Wharf",
            "city": "Manchester",
            "postal_code": "M1 3LA",
            "country_id": "GB",
        },
        "main_contact_person": {"name": "Chloe Dunn", "email": "chloe@bluedoor.example.com"},
    },
)

SUPPLIERS: tuple[dict[str, Any], ...] = (
    {
        "name": "Oakwood Timber Supplies",
        "reference": "OAK001",
        "credit_days": 30,
        "main_address": {
            "address_line_1": "Unit 4, Timber Yard",
            "city": "Hull",
            "postal_code": "HU1 1AA",
            "country_id": "GB",
        },
    },
    {
        "name": "Brightspark Electrical",
        "reference": "BRIGHT1",
        "main_address": {
            "address_line_1": "22 Volt Street",
            "city": "Bradford",
            "postal_code": "BD1 5QQ",
            "country_id": "GB",
        },
    },
)

#: (customer reference, date, lines) — lines are (description, nominal code, qty, price, tax).
SALES_INVOICES: tuple[tuple[str, str, tuple[tuple[str, int, str, str, str], ...]], ...] = (
    ("ACME001", "2025-11-03", (("Oak staircase", 4000, "1", "2450.00", "GB_STANDARD"),)),
    (
        "NORTH01",
        "2025-11-17",
        (
            ("Fitted wardrobes", 4000, "2", "899.50", "GB_STANDARD"),
            ("Installation", 4010, "6", "45.00", "GB_STANDARD"),
        ),
    ),
    ("BLUE001", "2025-12-01", (("Door repairs", 4010, "3.5", "40.00", "GB_STANDARD"),)),
)

PURCHASE_INVOICES: tuple[tuple[str, str, str, tuple[tuple[str, int, str, str, str], ...]], ...] = (
    ("OAK001", "INV-7781", "2025-10-28", (("Oak boards", 5000, "40", "22.75", "GB_STANDARD"),)),
    (
        "BRIGHT1",
        "BS-1093",
        "2025-11-20",
        (("Workshop rewiring", 5001, "1", "640.00", "GB_STANDARD"),),
    ),
)


def countries() -> list[tuple[str, str]]:
    """The 209 countries, from the package's CSV (data, not code, so it is easy to review)."""
    text = resources.files(__package__).joinpath("countries.csv").read_text(encoding="utf-8")
    return [(row["code"], row["name"]) for row in csv.DictReader(text.splitlines())]
