"""Where each Sage 200 id input's choices come from: the pack's list components."""

from __future__ import annotations

from typing import Any

from sageflow._options import lookup


def _list(key: str, value: str = "id", label: str = "name", **with_: Any) -> Any:
    return lookup(f"sage200/{key}", value=value, label=label, with_=with_)


CUSTOMERS = _list("listCustomers")
SUPPLIERS = _list("listSuppliers")
NOMINAL_CODES = _list("listNominalCodes")
#: Analysis lines name a nominal account by its reference (``code``), not its id.
NOMINAL_REFERENCES = _list("listNominalCodes", value="reference")
COST_CENTRES = _list("listCostCentres", value="code")
COST_CENTRE_IDS = _list("listCostCentres")
DEPARTMENTS = _list("listDepartments", value="code")
DEPARTMENT_IDS = _list("listDepartments")
TAX_CODES = _list("listTaxCodes")
CURRENCIES = _list("listCurrencies")
BANKS = _list("listBanks", label="description")
COUNTRY_CODES = _list("listCountryCodes")
REPORT_CATEGORIES = _list("listNominalReportCategories", label="description")
LEDGER_TYPES = _list("listLedgerTypes", value="value", label="description")
SITES = _list("listSites", value="site_id", label="site_name")
SALES_POSTED = _list("listSalesPostedTransactions", label="reference")
PURCHASE_POSTED = _list("listPurchasePostedTransactions", label="reference")
ANALYSIS_CODES = _list("listNominalTransactionAnalysisCodes", value="code", label="description")
