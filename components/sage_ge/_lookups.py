"""Where each Sage GE id input's choices come from: the pack's list components."""

from __future__ import annotations

from typing import Any

from sageflow._options import lookup


def _list(key: str, value: str = "id", label: str = "name", **with_: Any) -> Any:
    return lookup(f"sage_ge/{key}", value=value, label=label, with_=with_)


FOLDERS = _list("listFolders")
ACCOUNTS = _list("listChartOfAccounts", value="number")
JOURNALS = _list("listJournals")
JOURNAL_CODES = _list("listJournals", value="code")
VAT_CODES = _list("listVatCodes", label="label")
CLIENTS = _list("listClients")
SUPPLIERS = _list("listSuppliers")
ANALYTIC_PLANS = _list("listAnalyticPlans")
ANALYTIC_ACCOUNTS = _list("listAnalyticAccounts")
#: Chift reads one invoice by id whatever its type; the lookup lists sales invoices.
INVOICES = _list("listInvoices", label="invoice_number", invoiceType="customer_invoice")
JOURNAL_ENTRIES = _list("listJournalEntries")
OPERATIONS = _list("listMiscellaneousOperations", label="operation_number")
PAYMENT_METHODS = _list("listPaymentMethods")
PAYMENT_TERMS = _list("listPaymentTerms")
#: Every plan's analytic accounts (Chift's listing has no plan filter).
PLAN_ANALYTIC_ACCOUNTS = _list("listAnalyticAccountsMultiAnalyticPlans")
