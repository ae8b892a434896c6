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

# Closed sets: only what Sage documents as the whole set, since an enum refuses anything else.
if TYPE_CHECKING:
    ContactTypeId = str
    AreaId = str
    NewInvoiceStatusId = str
    InvoiceStatusId = str
else:
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
