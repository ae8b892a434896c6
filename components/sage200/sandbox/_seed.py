"""The sandbox's site: a UK company with a chart of accounts, traders and a few transactions.

Every value is an invention (no Sage 200 response has been recorded publicly;
sage200-samples/README.md); the shapes are the module specs'. UK VAT rates are HMRC's: standard
20%, reduced 5%, zero 0%.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sage200.sandbox._books import (
    CUSTOMER,
    PURCHASES,
    SALES,
    SUPPLIER,
    Company,
    create_bank,
    create_nominal,
    create_trader,
    post_cash,
    post_document,
)

#: The site every company belongs to (``X-Site``): a fixed GUID, so cassettes stay stable.
SITE_ID = "6f1b9c52-3d4e-4a7b-9c1d-2e5f7a8b9c0d"
SITE_NAME = "Sageflow Sandbox"
SITE_SHORT_NAME = "SANDBOX"
#: (company id, name): the first has the demo books, the second starts almost empty.
COMPANIES = ((1, "Sageflow Trading Ltd"), (2, "Sageflow Holdings Ltd"))

CURRENCIES = (
    ("£", "Pound Sterling", "1.000000", True, "GBP"),
    ("€", "Euro", "1.160000", False, "EUR"),
    ("$", "US Dollar", "1.270000", False, "USD"),
)
#: (code, name, rate): Sage 200's UK codes are small integers; 1 is the standard rate.
TAX_CODES = (
    (0, "Zero rated", "0.00"),
    (1, "Standard rated", "20.00"),
    (2, "Exempt", "0.00"),
    (5, "Reduced rate", "5.00"),
    (9, "Outside the scope of VAT", "0.00"),
)
REPORT_CATEGORIES = (
    ("ProfitAndLoss", "50", "Sales", "AccountReportCategoryTypeIncome"),
    ("BalanceSheet", "10", "Fixed assets", "AccountReportCategoryTypeAsset"),
    ("BalanceSheet", "20", "Current assets", "AccountReportCategoryTypeAsset"),
    ("BalanceSheet", "30", "Current liabilities", "AccountReportCategoryTypeLiability"),
    ("BalanceSheet", "40", "Capital and reserves", "AccountReportCategoryTypeLiability"),
    ("ProfitAndLoss", "60", "Direct costs", "AccountReportCategoryTypeExpense"),
    ("ProfitAndLoss", "70", "Overheads", "AccountReportCategoryTypeExpense"),
)
#: (code, name, EU member): ISO 3166 codes, what Sage 200's country codes carry.
COUNTRY_CODES = (
    ("GB", "United Kingdom", False),
    ("IE", "Ireland", True),
    ("FR", "France", True),
    ("DE", "Germany", True),
    ("US", "United States", False),
)
#: (value, description): the ledgers transaction-date validation names (value names inferred
#: from the Sage 200 SDK's LedgerTypeEnum).
LEDGER_TYPES = (
    ("LedgerTypeSales", "Sales Ledger"),
    ("LedgerTypePurchase", "Purchase Ledger"),
    ("LedgerTypeNominal", "Nominal Ledger"),
    ("LedgerTypeCashBook", "Cash Book"),
)
ANALYSIS_CODES = (("MKT", "Marketing campaign"), ("PRJ", "Project work"))
COST_CENTRES = (("", "Default"), ("ADM", "Administration"), ("SAL", "Sales"))
DEPARTMENTS = (("", "Default"), ("UK", "United Kingdom"), ("EXP", "Export"))
#: (reference, cost centre, department, name, report category code)
NOMINAL_CODES = (
    ("0030", "", "", "Office equipment", "10"),
    ("1100", "", "", "Debtors control", "20"),
    ("1200", "", "", "Bank current account", "20"),
    ("1210", "", "", "Bank deposit account", "20"),
    ("2100", "", "", "Creditors control", "30"),
    ("2200", "", "", "Sales tax control", "30"),
    ("2201", "", "", "Purchase tax control", "30"),
    ("3000", "", "", "Share capital", "40"),
    ("4000", "", "", "Sales - products", "50"),
    ("4000", "SAL", "UK", "Sales - products, UK", "50"),
    ("4000", "SAL", "EXP", "Sales - products, export", "50"),
    ("4010", "", "", "Sales - services", "50"),
    ("4900", "", "", "Discounts allowed", "50"),
    ("5000", "", "", "Purchases", "60"),
    ("5900", "", "", "Discounts received", "60"),
    ("7500", "", "", "Office costs", "70"),
    ("7500", "ADM", "", "Office costs, administration", "70"),
    ("7900", "", "", "Bank charges", "70"),
)
CONTROLS = {
    "debtors": ("1100", "", ""),
    "creditors": ("2100", "", ""),
    "sales_tax": ("2200", "", ""),
    "purchase_tax": ("2201", "", ""),
    "sales": ("4000", "", ""),
    "purchases": ("5000", "", ""),
    "sales_discount": ("4900", "", ""),
    "purchase_discount": ("5900", "", ""),
}
BANKS = (
    ("1200", "Current account", "40-11-22", "31926819", "Barclays Bank plc", "1200"),
    ("1210", "Deposit account", "40-11-22", "31926827", "Barclays Bank plc", "1210"),
)
#: (reference, name, city, postcode, credit limit)
CUSTOMERS = (
    ("ABB001", "Abbey Garden Supplies Ltd", "Leeds", "LS1 4DY", "5000.00"),
    ("BRI001", "Bristol Print Works", "Bristol", "BS1 5TR", "2500.00"),
    ("CAM001", "Cambridge Lab Equipment plc", "Cambridge", "CB2 1TN", "20000.00"),
    ("DUN001", "Dundee Marine Services", "Dundee", "DD1 4QB", "7500.00"),
    ("EXE001", "Exeter O'Brien & Sons", "Exeter", "EX1 1HS", "1000.00"),
    ("FIF001", "Fife Coffee Roasters", "Kirkcaldy", "KY1 1XT", "3000.00"),
)
SUPPLIERS = (
    ("OFF001", "Office Supplies Direct Ltd", "Manchester", "M1 2AB"),
    ("PAP001", "Northern Paper Mills", "Preston", "PR1 3JJ"),
    ("TEL001", "Britannia Telecom", "London", "EC1A 1BB"),
    ("VAN001", "Vanguard Van Hire", "Reading", "RG1 1AF"),
)


def seed_reference(company: Company) -> None:
    """What every company has: currencies, tax codes, report categories, the default codes."""
    company.controls.update(CONTROLS)
    for symbol, name, rate, base, iso in CURRENCIES:
        company.put(
            "currencies",
            company.new_record(
                "currencies",
                symbol=symbol,
                name=name,
                core_currency_rate=Decimal(rate),
                euro_currency_rate=Decimal(rate),
                is_base_currency=base,
                is_euro_currency=iso == "EUR",
                use_for_new_accounts=base,
                exchange_rate_type="ExchangeRateSingle",
                exchange_rate_amendability_type="ExchangeRateAmendabilityAmendable",
                currency_iso_code_id={"GBP": 826, "EUR": 978, "USD": 840}[iso],
            ),
        )
    for code, name, rate in TAX_CODES:
        company.put(
            "tax_codes",
            company.new_record(
                "tax_codes",
                code=code,
                name=name,
                tax_rate=Decimal(rate),
                terms="Domestic",
                terms_description="UK domestic VAT",
                is_notional_acquisition_tax=False,
            ),
        )
    for report_type, category_code, description, category_type in REPORT_CATEGORIES:
        company.put(
            "nominal_report_categories",
            company.new_record(
                "nominal_report_categories",
                account_report_type=report_type,
                code=category_code,
                description=description,
                account_report_category_type=category_type,
            ),
        )
    for country, country_name, eu_member in COUNTRY_CODES:
        company.put(
            "country_codes",
            company.new_record(
                "country_codes", code=country, name=country_name, eu_member=eu_member
            ),
        )
    for ledger_value, ledger_description in LEDGER_TYPES:
        # /ledger_types rows have no timestamps in the spec.
        company.put(
            "ledger_types",
            {
                "id": company.new_id("ledger_types"),
                "description": ledger_description,
                "value": ledger_value,
            },
        )
    for analysis_code, analysis_description in ANALYSIS_CODES:
        company.put(
            "nominal_transaction_analysis_codes",
            company.new_record(
                "nominal_transaction_analysis_codes",
                code=analysis_code,
                description=analysis_description,
                active=True,
            ),
        )
    for name, rows in (("cost_centres", COST_CENTRES), ("departments", DEPARTMENTS)):
        for code_text, label in rows:
            company.put(
                name,
                company.new_record(
                    name,
                    code=code_text,
                    name=label,
                    contact_name="",
                    contact_details="",
                    contact_email_address="",
                ),
            )
    categories = {row["code"]: row["id"] for row in company.collection("nominal_report_categories")}
    cost_centres = {row["code"]: row["id"] for row in company.collection("cost_centres")}
    departments = {row["code"]: row["id"] for row in company.collection("departments")}
    for reference, cost_centre, department, name, category in NOMINAL_CODES:
        create_nominal(
            company,
            {
                "reference": reference,
                "name": name,
                "cost_centre_id": cost_centres[cost_centre],
                "department_id": departments[department],
                "report_category_id": categories[category],
            },
        )
    for bank_code, description, sort_code, account_no, bank_name, nominal in BANKS:
        create_bank(
            company,
            {
                "code": bank_code,
                "description": description,
                "sort_code": sort_code,
                "account_no": account_no,
                "bank_name": bank_name,
                "account_name": company.name,
                "bank_account_nominal_reference": nominal,
            },
        )
    gb = company.find("country_codes", code="GB")
    assert gb is not None
    company.put(
        "company_details",
        company.new_record(
            "company_details",
            name=company.name,
            telephone="0113 496 0000",
            fax="",
            email="accounts@example.co.uk",
            website="https://www.example.co.uk",
            tax_registration_number="GB123456789",
            years_accounts_held_for=6,
            country_code_id=gb["id"],
        ),
    )


def _days_ago(company: Company, days: int) -> str:
    # Relative to sandbox time, so the seed's books stay inside the financial years whatever
    # year a wall clock says (a manual clock's start gives 2026-01-02 to 2026-01-04).
    return (company.today() - timedelta(days=days)).isoformat()


def seed_books(company: Company) -> None:
    """The lead company's demo books: traders, two invoices, a credit note, a bill and a receipt
    (so lists, balances and outstanding values all vary)."""
    for reference, name, city, postcode, limit in CUSTOMERS:
        create_trader(
            company,
            CUSTOMER,
            {
                "reference": reference,
                "name": name,
                "credit_limit": limit,
                "main_address": {"address_1": "1 High Street", "city": city, "postcode": postcode},
            },
        )
    for reference, name, city, postcode in SUPPLIERS:
        create_trader(
            company,
            SUPPLIER,
            {
                "reference": reference,
                "name": name,
                "main_address": {"address_1": "Unit 4", "city": city, "postcode": postcode},
            },
        )
    customers = {row["reference"]: row["id"] for row in company.collection("customers")}
    suppliers = {row["reference"]: row["id"] for row in company.collection("suppliers")}
    standard = company.find("tax_codes", code=1)
    assert standard is not None
    bank = company.find("banks", code="1200")
    assert bank is not None
    post_document(
        company,
        SALES,
        {
            "customer_id": customers["ABB001"],
            "transaction_date": _days_ago(company, 3),
            "reference": "INV0001",
            "document_goods_value": "1000.00",
            "document_tax_value": "200.00",
            "nominal_analysis_items": [
                {"code": "4000", "cost_centre": "SAL", "department": "UK", "value": "600.00"},
                {"code": "4010", "value": "400.00", "narrative": "Installation"},
            ],
        },
        credit=False,
    )
    post_document(
        company,
        SALES,
        {
            "customer_id": customers["CAM001"],
            "transaction_date": _days_ago(company, 2),
            "reference": "INV0002",
            "document_goods_value": "2500.00",
            "document_tax_value": "500.00",
        },
        credit=False,
    )
    post_document(
        company,
        SALES,
        {
            "customer_id": customers["CAM001"],
            "transaction_date": _days_ago(company, 1),
            "reference": "CRN0001",
            "document_goods_value": "100.00",
            "document_tax_value": "20.00",
        },
        credit=True,
    )
    post_document(
        company,
        PURCHASES,
        {
            "supplier_id": suppliers["OFF001"],
            "transaction_date": _days_ago(company, 3),
            "reference": "OSD-7781",
            "document_goods_value": "250.00",
            "document_tax_value": "50.00",
            "nominal_analysis_items": [{"code": "7500", "cost_centre": "ADM", "value": "250.00"}],
        },
        credit=False,
    )
    # Left unallocated: the pack's allocation example settles INV0001 with it.
    post_cash(
        company,
        SALES,
        {
            "customer_id": customers["ABB001"],
            "bank_id": bank["id"],
            "cheque_value": "1200.00",
            "transaction_date": _days_ago(company, 1),
            "reference": "BACS",
        },
    )
