"""List and get components for every Sage 200 resource that is read the same way, from one
table: they differ only in path, record model, key order and example (the dlt rest_api
habit), so a new resource is one row, not two copies of a handler."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, create_model

from sage200 import _lookups, _records
from sage200._actions import get_one, record_path
from sage200._examples import CUSTOMER as _CUSTOMER
from sage200._examples import POSTED as _POSTED
from sage200._examples import PURCHASE_POSTED as _PURCHASE_POSTED
from sage200._examples import SUPPLIER as _SUPPLIER
from sage200._models import Id, ListInputs, ListOutput, page_of
from sage200._pack import PACK
from sage200._paging import list_action
from sageflow._component import READ_ONLY, Action, Inputs


@dataclass(frozen=True)
class Resource:
    """One Sage 200 collection read through ``GET {path}`` and ``GET {path}/{id}``."""

    singular: str  # "Customer"
    plural: str  # "Customers"
    path: str  # "/customers"
    record: type[BaseModel]
    example: dict[str, Any]
    what: str  # "customer accounts"
    #: The key a paged listing orders by when the caller gives no orderBy ($skip needs one).
    order: str | None = "id"
    #: Whether the spec has ``GET {path}/{Id}``.
    get: bool = True
    lookup: Any = None
    list_example: dict[str, Any] = field(default_factory=lambda: {"top": 100})

    @property
    def label(self) -> str:
        return " ".join(re.findall(r"[A-Z][a-z]*", self.plural))

    @property
    def id_input(self) -> str:
        return self.singular[0].lower() + self.singular[1:] + "Id"


RESOURCES = (
    Resource(
        "Customer", "Customers", "/customers", _records.Customer, _CUSTOMER, "customer accounts",
        lookup=_lookups.CUSTOMERS,
    ),
    Resource(
        "Supplier", "Suppliers", "/suppliers", _records.Supplier, _SUPPLIER, "supplier accounts",
        lookup=_lookups.SUPPLIERS,
    ),
    Resource(
        "NominalCode", "NominalCodes", "/nominal_codes", _records.NominalCode,
        {"id": 2207, "reference": "4000", "name": "Sales - Consulting", "cost_centre_code": "",
         "department_code": "", "nominal_account_type": "NominalAccountTypeProfitAndLoss",
         "report_category_id": 1401, "balance_year_to_date": -18250.0},
        "nominal accounts (the chart of accounts)",
        lookup=_lookups.NOMINAL_CODES,
    ),
    Resource(
        "CostCentre", "CostCentres", "/cost_centres", _records.Segment,
        {"id": 301, "code": "LON", "name": "London"}, "cost centres", lookup=_lookups.COST_CENTRES,
    ),
    Resource(
        "Department", "Departments", "/departments", _records.Segment,
        {"id": 401, "code": "SAL", "name": "Sales"}, "departments", lookup=_lookups.DEPARTMENTS,
    ),
    Resource(
        "TaxCode", "TaxCodes", "/tax_codes", _records.TaxCode,
        {"id": 1729, "code": 1, "name": "Standard rated", "tax_rate": 20.0}, "VAT/tax codes",
        lookup=_lookups.TAX_CODES,
    ),
    Resource(
        "Currency", "Currencies", "/currencies", _records.Currency,
        {"id": 2103, "symbol": "£", "name": "Pound Sterling", "is_base_currency": True,
         "core_currency_rate": 1.0},
        "currencies", lookup=_lookups.CURRENCIES,
    ),
    Resource(
        "Bank", "Banks", "/banks", _records.Bank,
        {"id": 3301, "code": "1200", "description": "Current account", "sort_code": "40-11-62",
         "account_no": "71234567", "balance": 15230.75, "account_currency_id": 2103},
        "bank accounts of the cash book", lookup=_lookups.BANKS,
    ),
    Resource(
        "CountryCode", "CountryCodes", "/country_codes", _records.CountryCode,
        {"id": 1201, "code": "GB", "name": "United Kingdom"}, "countries",
        lookup=_lookups.COUNTRY_CODES, get=False,
    ),
    Resource(
        "NominalReportCategory", "NominalReportCategories", "/nominal_report_categories",
        _records.ReportCategory,
        {"id": 1401, "code": "SALE", "description": "Sales",
         "account_report_type": "AccountReportTypeProfitAndLoss"},
        "nominal report categories (required when creating a nominal code)",
        lookup=_lookups.REPORT_CATEGORIES,
    ),
    Resource(
        "NominalTransactionAnalysisCode", "NominalTransactionAnalysisCodes",
        "/nominal_transaction_analysis_codes", _records.AnalysisCode,
        {"id": 1501, "code": "PROJ-A", "description": "Project A", "active": True},
        "transaction analysis codes", lookup=_lookups.ANALYSIS_CODES, get=False,
    ),
    Resource(
        "LedgerType", "LedgerTypes", "/ledger_types", _records.LedgerType,
        {"id": 1, "description": "Sales", "value": "LedgerTypeSales"},
        "ledgers (used to validate a transaction date)", get=False,
    ),
    Resource(
        "FinancialPeriod", "FinancialPeriods", "/financial_year_period_views",
        _records.FinancialPeriod,
        {"financial_year_id": 11, "financial_year_start_date": "2026-01-01T00:00:00Z",
         "financial_year_end_date": "2026-12-31T00:00:00Z", "year_relative_to_current_year": 0,
         "number_of_periods_in_year": 12, "accounting_period_id": 131, "period_number": 3,
         "period_start_date": "2026-03-01T00:00:00Z", "period_end_date": "2026-03-31T00:00:00Z"},
        "financial years and their accounting periods",
        order="accounting_period_id", get=False,
        list_example={"filter": [{"field": "year_relative_to_current_year", "operator": "eq",
                                  "value": 0}]},
    ),
    Resource(
        "SalesPostedTransaction", "SalesPostedTransactions", "/sales_posted_transactions",
        _records.PostedTransaction, _POSTED,
        "posted sales ledger transactions (invoices, credit notes, receipts)",
        lookup=_lookups.SALES_POSTED,
        list_example={"filter": [{"field": "transaction_date", "operator": "ge",
                                  "value": "2026-03-01", "type": "date"}],
                      "orderBy": "transaction_date", "fetchAll": True},
    ),
    Resource(
        "PurchasePostedTransaction", "PurchasePostedTransactions",
        "/purchase_posted_transactions", _records.PostedTransaction, _PURCHASE_POSTED,
        "posted purchase ledger transactions (invoices, credit notes, payments)",
        lookup=_lookups.PURCHASE_POSTED,
        list_example={"filter": [{"field": "transaction_date", "operator": "ge",
                                  "value": "2026-03-01", "type": "date"}],
                      "orderBy": "transaction_date", "fetchAll": True},
    ),
)  # fmt: skip


def _list_handler(resource: Resource) -> Callable[[ListInputs], Action]:
    def handler(inputs: ListInputs) -> Action:
        return (yield from list_action(resource.path, inputs, order=resource.order))

    return handler


def _get_inputs(resource: Resource) -> type[Inputs]:
    extra = {"json_schema_extra": resource.lookup} if resource.lookup is not None else {}
    model: type[Inputs] = create_model(  # type: ignore[call-overload]
        f"Get{resource.singular}Inputs",
        __base__=Inputs,
        __module__=__name__,
        **{
            resource.id_input: (
                Id,
                Field(
                    description=f"The {resource.singular}'s id (an integer).",
                    examples=[resource.example["id"]],
                    **extra,
                ),
            )
        },
    )
    return model


def _get_handler(resource: Resource) -> Callable[[Inputs], Action]:
    def handler(inputs: Inputs) -> Action:
        key = getattr(inputs, resource.id_input)
        return (yield from get_one(record_path(resource.path.lstrip("/"), key)))

    return handler


for _resource in RESOURCES:
    PACK.component(
        key=f"list{_resource.plural}",
        title=f"List {_resource.label}",
        description=(
            f"List {_resource.what} (GET {_resource.path}): filter, order, select, one page "
            "or every page."
        ),
        inputs=ListInputs,
        output=ListOutput[_resource.record],  # type: ignore[name-defined]
        annotations=READ_ONLY,
        example_input=_resource.list_example,
        example_output=page_of(_resource.example, top=_resource.list_example.get("top")),
    )(_list_handler(_resource))
    if _resource.get:
        PACK.component(
            key=f"get{_resource.singular}",
            title=f"Get {' '.join(re.findall(r'[A-Z][a-z]*', _resource.singular))}",
            description=f"Fetch one of the {_resource.what} by id (GET {_resource.path}/{{id}}).",
            inputs=_get_inputs(_resource),
            output=_resource.record,
            annotations=READ_ONLY,
            example_input={_resource.id_input: _resource.example["id"]},
            example_output=_resource.example,
        )(_get_handler(_resource))
