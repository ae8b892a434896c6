"""The Sage Business Cloud Accounting v3.1 pack: one component per API action."""

from __future__ import annotations

from sage_accounting import (
    addresses,
    attachments,
    bank_accounts,
    businesses,
    contact_persons,
    contacts,
    journals,
    ledger_accounts,
    payments,
    purchase_credit_notes,
    purchase_invoices,
    quick_entries,
    raw_request,
    reference_data,
    sales_credit_notes,
    sales_estimates,
    sales_invoices,
    sales_quotes,
    settings,
    tax_rates,
)
from sage_accounting import _changes  # noqa: F401 - registers the <resource>Changes triggers
from sage_accounting._pack import PACK

__all__ = [
    "PACK",
    "addresses",
    "attachments",
    "bank_accounts",
    "businesses",
    "contact_persons",
    "contacts",
    "journals",
    "ledger_accounts",
    "payments",
    "purchase_credit_notes",
    "purchase_invoices",
    "quick_entries",
    "raw_request",
    "reference_data",
    "sales_credit_notes",
    "sales_estimates",
    "sales_invoices",
    "sales_quotes",
    "settings",
    "tax_rates",
]
