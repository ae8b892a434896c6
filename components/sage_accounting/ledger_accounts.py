"""Ledger accounts: the chart of accounts (``/ledger_accounts``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting import _markers, _wire
from sage_accounting._actions import attributes_query, get_one, list_of, record_path, write_one
from sage_accounting._lookups import LEDGER_ACCOUNT_TYPES, LEDGER_ACCOUNTS, TAX_RATES, AreaId
from sage_accounting._models import (
    Bool,
    Date,
    Id,
    Int,
    ListOutput,
    UpdatedSinceInputs,
    optional,
    page_of,
    required_id,
)
from sage_accounting._pack import PACK
from sage_accounting._resources import LedgerAccount
from sageflow._component import IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs

ACCOUNT_ID = "9a994ff1f7f8491ba2ac8b7b8d2f5a20"
SALES_TYPE = "SALES"
NOMINAL_CODE_MAX = 99_999_999
_ACCOUNT_EXAMPLE: dict[str, Any] = {
    "id": ACCOUNT_ID,
    "displayed_as": "Consulting Income (4010)",
    "$path": f"/ledger_accounts/{ACCOUNT_ID}",
    "name": "Consulting Income",
    "display_name": "Consulting Income",
    "nominal_code": 4010,
    "included_in_chart": True,
    "ledger_account_type": {
        "id": SALES_TYPE,
        "displayed_as": "Sales",
        "$path": f"/ledger_account_types/{SALES_TYPE}",
    },
    "tax_rate": {
        "id": "GB_STANDARD",
        "displayed_as": "Standard 20.00%",
        "$path": "/tax_rates/GB_STANDARD",
    },
}


class GetLedgerAccountInputs(Inputs):
    ledgerAccountId: Id = required_id(
        "ledger account", ACCOUNT_ID, json_schema_extra=LEDGER_ACCOUNTS
    )
    attributes: str | None = optional("Extra fields to return, or `all`.", "all")
    showBalanceDetails: Bool | None = optional("Include balances for the date range.", True)
    from_date: Date | None = optional("Balances from this date.", "2026-01-01")
    to_date: Date | None = optional("Balances up to this date.", "2026-03-31")


@PACK.component(
    key="getLedgerAccount",
    title="Get Ledger Account",
    description="Fetch one ledger account by id (GET /ledger_accounts/{key}).",
    inputs=GetLedgerAccountInputs,
    output=LedgerAccount,
    annotations=READ_ONLY,
    example_input={"ledgerAccountId": ACCOUNT_ID},
    example_output=_ACCOUNT_EXAMPLE,
)
def get_ledger_account(inputs: GetLedgerAccountInputs) -> Action:
    query = attributes_query(inputs, "attributes", "showBalanceDetails", "from_date", "to_date")
    return (yield from get_one(record_path("ledger_accounts", inputs.ledgerAccountId), query))


class ListLedgerAccountsInputs(UpdatedSinceInputs):
    search: str | None = optional("Match name, display name or nominal code.", "consult")
    ledgerAccountTypeId: str | None = optional(
        "Only accounts of this type.", SALES_TYPE, json_schema_extra=LEDGER_ACCOUNT_TYPES
    )
    ledgerAccountClassificationId: str | None = optional(
        "Only accounts of this classification.", "CURRENT_ASSETS"
    )
    visible_in: AreaId | None = optional(
        "Only accounts shown in this area: sales, expenses, banking, journals, ...", "sales"
    )
    not_visible_in: AreaId | None = optional("Only accounts not shown in this area.", "banking")
    showIncludedInChart: Bool | None = optional("Only accounts in the chart of accounts.", True)
    showControlAccounts: Bool | None = optional("Include control accounts.", False)
    showBalanceDetails: Bool | None = optional("Include balances for the date range.", True)
    excludeDeletedEntries: Bool | None = optional("Leave deleted entries out of balances.", True)
    from_date: Date | None = optional("Balances from this date.", "2026-01-01")
    to_date: Date | None = optional("Balances up to this date.", "2026-03-31")
    filterInactiveBankAccounts: Bool | None = optional("Leave out inactive bank accounts.", True)


@PACK.component(
    key="listLedgerAccounts",
    title="List Ledger Accounts",
    description="List the chart of accounts (GET /ledger_accounts), one page or every page.",
    inputs=ListLedgerAccountsInputs,
    output=ListOutput[LedgerAccount],
    annotations=READ_ONLY,
    example_input={"visible_in": "sales", "fetchAll": True},
    example_output=page_of(_ACCOUNT_EXAMPLE, items_per_page=20),
)
def list_ledger_accounts(inputs: ListLedgerAccountsInputs) -> Action:
    return (yield from list_of("/ledger_accounts", inputs))


class LedgerAccountFields(Inputs):
    """Optional ledger account inputs, shared by create and update."""

    taxRateId: str | None = optional(
        "Default tax rate of the account.", "GB_STANDARD", json_schema_extra=TAX_RATES
    )
    ledgerAccountClassificationId: str | None = optional(
        "Classification (balance sheet accounts).", "CURRENT_ASSETS"
    )
    fixedTaxRate: Bool | None = optional("Always use the account's tax rate.", False)
    visibleInBanking: Bool | None = optional("Offer the account in banking.", False)
    visibleInExpenses: Bool | None = optional("Offer the account in expenses.", False)
    visibleInJournals: Bool | None = optional("Offer the account in journals.", True)
    visibleInOtherPayments: Bool | None = optional("Offer it in other payments.", False)
    visibleInOtherReceipts: Bool | None = optional("Offer it in other receipts.", True)
    visibleInReporting: Bool | None = optional("Show the account in reports.", True)
    visibleInSales: Bool | None = optional("Offer the account in sales.", True)
    # Ranges as Sage's spec gives them for ledger_account (postLedgerAccounts): a value outside
    # is refused here, with the field's name, rather than by Sage after the flow has started.
    gifiCode: Int | None = optional("GIFI code (Canada), 1000-9999.", 8000, ge=1000, le=9999)


class CreateLedgerAccountInputs(LedgerAccountFields):
    ledgerAccountTypeId: str = Field(
        description="The account type: SALES, EXPENSES, CURRENT_ASSETS, ...",
        examples=[SALES_TYPE],
        min_length=1,
        json_schema_extra=LEDGER_ACCOUNT_TYPES,
    )
    includedInChart: Bool = Field(
        description="Whether the account is in the chart of accounts.", examples=[True]
    )
    name: str = Field(description="The account's name.", examples=["Consulting Income"])
    displayName: str = Field(description="The name shown in lists.", examples=["Consulting Income"])
    nominalCode: Int = Field(
        description="A nominal code unique in the chart, 1-99999999.",
        examples=[4010],
        ge=1,
        le=NOMINAL_CODE_MAX,
    )


@PACK.component(
    key="createLedgerAccount",
    title="Create Ledger Account",
    description="Add an account to the chart of accounts (POST /ledger_accounts).",
    inputs=CreateLedgerAccountInputs,
    output=LedgerAccount,
    annotations=WRITE,
    marker=_markers.LEDGER_ACCOUNT,
    example_input={
        "ledgerAccountTypeId": SALES_TYPE,
        "includedInChart": True,
        "name": "Consulting Income",
        "displayName": "Consulting Income",
        "nominalCode": 4010,
        "taxRateId": "GB_STANDARD",
    },
    example_output=_ACCOUNT_EXAMPLE,
)
def create_ledger_account(inputs: CreateLedgerAccountInputs) -> Action:
    payload = _wire.fields(inputs)
    return (yield from write_one("POST", "/ledger_accounts", "ledger_account", payload))


class UpdateLedgerAccountInputs(LedgerAccountFields):
    accountId: Id = required_id("ledger account", ACCOUNT_ID, json_schema_extra=LEDGER_ACCOUNTS)
    ledgerAccountTypeId: str | None = optional(
        "New account type.", SALES_TYPE, json_schema_extra=LEDGER_ACCOUNT_TYPES
    )
    includedInChart: Bool | None = optional("Include in (or drop from) the chart.", True)
    name: str | None = optional("New name.", "Consulting Fees")
    displayName: str | None = optional("New display name.", "Consulting Fees")
    nominalCode: Int | None = optional(
        "New nominal code, 1-99999999.", 4011, ge=1, le=NOMINAL_CODE_MAX
    )


@PACK.component(
    key="updateLedgerAccount",
    title="Update Ledger Account",
    description="Change a ledger account; only inputs given are sent (PUT /ledger_accounts/{key}).",
    inputs=UpdateLedgerAccountInputs,
    output=LedgerAccount,
    annotations=IDEMPOTENT_WRITE,
    example_input={"accountId": ACCOUNT_ID, "name": "Consulting Fees"},
    example_output={**_ACCOUNT_EXAMPLE, "name": "Consulting Fees"},
)
def update_ledger_account(inputs: UpdateLedgerAccountInputs) -> Action:
    path = record_path("ledger_accounts", inputs.accountId)
    payload = _wire.fields(inputs, exclude=("accountId",))
    return (yield from write_one("PUT", path, "ledger_account", payload))
