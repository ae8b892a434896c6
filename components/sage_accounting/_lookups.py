"""Where each id input's choices come from: a list component, or a closed set Sage documents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sageflow._options import closed_set, lookup


def _list(key: str, *, search: bool = False, **with_: Any) -> Any:
    return lookup(f"sage_accounting/{key}", search="search" if search else None, with_=with_)


# Lookups: lists a business can extend, so their ids are offered, never enforced.
CONTACTS = _list("listContacts", search=True)
# "sales invoices need a CUSTOMER contact and INCOME ledger accounts (visible_in=sales);
# purchases need a VENDOR and EXPENSE accounts (visible_in=expenses)" (Sage's invoicing guide).
CUSTOMERS = _list("listContacts", search=True, contactTypeId="CUSTOMER")
SUPPLIERS = _list("listContacts", search=True, contactTypeId="VENDOR")
SALES_ACCOUNTS = _list("listLedgerAccounts", search=True, visible_in="sales")
PURCHASE_ACCOUNTS = _list("listLedgerAccounts", search=True, visible_in="expenses")
LEDGER_ACCOUNTS = _list("listLedgerAccounts", search=True)
LEDGER_ACCOUNT_TYPES = _list("listLedgerAccountTypes")
TAX_RATES = _list("listTaxRates")
CURRENCIES = _list("listCurrencies")
COUNTRIES = _list("listCountries")
ADDRESS_TYPES = _list("listAddressTypes")
CONTACT_PEOPLE = _list("listContactPeople")
CONTACT_PERSON_TYPES = _list("listContactPersonTypes")
ADDRESSES = _list("listAddresses")
SALES_INVOICES = _list("listSalesInvoices", search=True)
PURCHASE_INVOICES = _list("listPurchaseInvoice", search=True)
BUSINESSES = _list("listBusinesses")
# Journals, the ledger, quick entries and settings (journals.py, quick_entries.py, settings.py).
JOURNALS = _list("listJournals")
JOURNAL_CODES = _list("listJournalCodes")
JOURNAL_CODE_TYPES = _list("listJournalCodeTypes")
LEDGER_ENTRIES = _list("listLedgerEntries")
TRANSACTIONS = _list("listTransactions")
TRANSACTION_TYPES = _list("listTransactionTypes")
SALES_QUICK_ENTRIES = _list("listSalesQuickEntries", search=True)
PURCHASE_QUICK_ENTRIES = _list("listPurchaseQuickEntries", search=True)
TAX_PROFILES = _list("listTaxProfiles")
# Sage lists 72 address regions ([S2] /address_regions: $total 72), so they are offered.
ADDRESS_REGIONS = _list("listAddressRegions")
COUNTRIES_OF_REGISTRATION = _list("listCountriesOfRegistration")
# The catalogue: products and services are synced by item code, so their lists search.
PRODUCTS = _list("listProducts", search=True)
SERVICES = _list("listServices", search=True)
STOCK_ITEMS = _list("listStockItems", search=True)
STOCK_MOVEMENTS = _list("listStockMovements", search=True)
PRICE_TYPES = _list("listProductSalesPriceTypes")
RATE_TYPES = _list("listServiceRateTypes")
BANK_TRANSFERS = _list("listBankTransfers")
BANK_DEPOSITS = _list("listBankDeposits")
BANK_RECONCILIATIONS = _list("listBankReconciliations")
SALES_CREDIT_NOTES = _list("listSalesCreditNotes", search=True)
PURCHASE_CREDIT_NOTES = _list("listPurchaseCreditNotes", search=True)
SALES_QUOTES = _list("listSalesQuotes", search=True)
SALES_ESTIMATES = _list("listSalesEstimates", search=True)
ATTACHMENTS = _list("listAttachments")

# Payments and banking (bank_accounts.py, payments.py).
BANK_ACCOUNTS = _list("listBankAccounts")
BANK_ACCOUNT_TYPES = _list("listBankAccountTypes")
PAYMENT_METHODS = _list("listPaymentMethods")
CONTACT_PAYMENTS = _list("listContactPayments")
CONTACT_ALLOCATIONS = _list("listContactAllocations")
OTHER_PAYMENTS = _list("listOtherPayments")

# Closed sets: only what Sage documents as the whole set, since an enum refuses anything else.
if TYPE_CHECKING:
    PaymentTypeId = str
    AllocationTypeId = str
    OtherPaymentTypeId = str
    ContactTypeId = str
    AreaId = str
    NewInvoiceStatusId = str
    InvoiceStatusId = str
    QuickEntryTypeId = str
    CountryOfRegistrationId = str
    TaxTypeId = str
    TaxReturnFrequencyId = str
    NewCreditNoteStatusId = str
    QuoteStatusId = str
    AttachmentContextTypeId = str
else:
    # [G-pay]: contact payments' transaction_type_id "is one of CUSTOMER_RECEIPT, VENDOR_PAYMENT,
    # CUSTOMER_REFUND or VENDOR_REFUND".
    PaymentTypeId = closed_set(
        {
            "CUSTOMER_RECEIPT": "Customer receipt",
            "VENDOR_PAYMENT": "Supplier payment",
            "CUSTOMER_REFUND": "Customer refund",
            "VENDOR_REFUND": "Supplier refund",
        }
    )
    # [G-pay]: "For a CUSTOMER_ALLOCATION ... Vendor allocations use the opposite signs."
    AllocationTypeId = closed_set(
        {"CUSTOMER_ALLOCATION": "Customer allocation", "VENDOR_ALLOCATION": "Supplier allocation"}
    )
    # Other payments: OTHER_RECEIPT (the /other_payments/{key} example) and OTHER_PAYMENT.
    OtherPaymentTypeId = closed_set({"OTHER_RECEIPT": "Money in", "OTHER_PAYMENT": "Money out"})
    # GET /contact_types returns exactly these two (recorded sample contact_types__list);
    # the guide's search example filters by contact_type_id=CUSTOMER.
    ContactTypeId = closed_set({"CUSTOMER": "Customer", "VENDOR": "Supplier"})
    # The swagger's enum for GET /ledger_accounts visible_in and not_visible_in.
    AreaId = closed_set(
        {
            "sales": "Sales",
            "expenses": "Expenses",
            "banking": "Banking",
            "other_payments": "Other payments",
            "other_receipts": "Other receipts",
            "journals": "Journals",
            "reporting": "Reporting",
        }
    )
    # Invoicing guide: "status on create can only be UNPAID (the default), DRAFT or PRO_FORMA".
    NewInvoiceStatusId = closed_set(
        {"UNPAID": "Unpaid", "DRAFT": "Draft", "PRO_FORMA": "Pro-forma"}
    )
    # Invoicing guide: "the statuses are UNPAID, PART_PAID, PAID, VOID, DRAFT, DISPUTED,
    # DECLINED and PRO_FORMA" (eight; the other three of /artefact_statuses are for quotes).
    InvoiceStatusId = closed_set(
        {
            "DRAFT": "Draft",
            "PRO_FORMA": "Pro-forma",
            "UNPAID": "Unpaid",
            "PART_PAID": "Part paid",
            "PAID": "Paid",
            "VOID": "Void",
            "DISPUTED": "Disputed",
            "DECLINED": "Declined",
        }
    )
    # Credit notes have a release action (postSalesCreditNotesKeyRelease), so a draft exists;
    # like an invoice's, a credit note is issued (UNPAID) unless created as a DRAFT (inferred
    # from [G-inv]: no guide covers credit notes, and PRO_FORMA is an invoice's alone).
    NewCreditNoteStatusId = closed_set({"UNPAID": "Unpaid", "DRAFT": "Draft"})
    # The /artefact_statuses a quote or estimate can hold: [S2] lists ACCEPTED,
    # ACCEPTED_BY_CUSTOMER and DECLINED_BY_CUSTOMER for quotes and estimates beside DRAFT,
    # DECLINED and UNPAID (the issued, "pending" one; inferred: no PENDING id exists).
    QuoteStatusId = closed_set(
        {
            "DRAFT": "Draft",
            "UNPAID": "Pending (issued)",
            "ACCEPTED": "Accepted",
            "DECLINED": "Declined",
            "ACCEPTED_BY_CUSTOMER": "Accepted by customer",
            "DECLINED_BY_CUSTOMER": "Declined by customer",
        }
    )
    # GET /attachment_context_types: the 13 of swagger.attachments.json's example.
    AttachmentContextTypeId = closed_set(
        {
            "BANK_TRANSFER": "Bank Transfer",
            "BUSINESS": "Business",
            "CONTACT": "Contact",
            "JOURNAL": "Journal",
            "OTHER_PAYMENT": "Other Payment",
            "PURCHASE_CORRECTIVE_INVOICE": "Purchase Corrective Invoice",
            "PURCHASE_CREDIT_NOTE": "Purchase Credit Note",
            "PURCHASE_INVOICE": "Purchase Invoice",
            "SALES_CORRECTIVE_INVOICE": "Sales Corrective Invoice",
            "SALES_CREDIT_NOTE": "Sales Credit Note",
            "SALES_ESTIMATE": "Sales Estimate",
            "SALES_INVOICE": "Sales Invoice",
            "SALES_QUOTE": "Sales Quote",
        }
    )
    # [S2] /quick_entry_types: the whole list ($total 2).
    QuickEntryTypeId = closed_set({"INVOICE": "Invoice", "CREDIT_NOTE": "Cr Note"})
    # [S2] /countries_of_registration ($total 5), the five the spec's BusinessSettings names.
    CountryOfRegistrationId = closed_set(
        {
            "ENGLAND_AND_WALES": "England and Wales",
            "WALES": "Wales",
            "SCOTLAND": "Scotland",
            "NORTHERN_IRELAND": "Northern Ireland",
            "REPUBLIC_OF_IRELAND": "Republic of Ireland",
        }
    )
    # [S2] /tax_types and /tax_return_frequencies: both whole lists.
    TaxTypeId = closed_set({"MTD": "MTD", "MTD_PENDING": "MTD_PENDING"})
    TaxReturnFrequencyId = closed_set(
        {"QUARTERLY": "Quarterly", "MONTHLY": "Monthly", "ANNUALLY": "Annually"}
    )
