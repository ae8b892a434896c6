"""The Sage Business Cloud Accounting v3.1 pack: one component per API action.

The component modules are imported when a component of theirs is first used (``_index.json``,
written by ``sageflow manifests build``, says which module defines each), not here: a command
that uses three components does not pay for a hundred. A new module goes in ``MODULES``.
"""

from __future__ import annotations

from pathlib import Path

from sage_accounting._pack import PACK

MODULES = (
    "sage_accounting._changes",
    "sage_accounting.addresses",
    "sage_accounting.attachments",
    "sage_accounting.bank_accounts",
    "sage_accounting.bank_movements",
    "sage_accounting.businesses",
    "sage_accounting.catalogue",
    "sage_accounting.contact_persons",
    "sage_accounting.contacts",
    "sage_accounting.journals",
    "sage_accounting.ledger_accounts",
    "sage_accounting.payments",
    "sage_accounting.purchase_credit_notes",
    "sage_accounting.purchase_invoices",
    "sage_accounting.quick_entries",
    "sage_accounting.raw_request",
    "sage_accounting.reference_data",
    "sage_accounting.sales_credit_notes",
    "sage_accounting.sales_estimates",
    "sage_accounting.sales_invoices",
    "sage_accounting.sales_quotes",
    "sage_accounting.settings",
    "sage_accounting.tax_rates",
)
PACK.modules = MODULES
PACK.index_file = Path(__file__).with_name("_index.json")

__all__ = ["MODULES", "PACK"]
