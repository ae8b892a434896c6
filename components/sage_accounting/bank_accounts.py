"""Bank accounts (``/bank_accounts``) and their types (``/bank_account_types``).

Both are rows of the :mod:`sage_accounting._crud` table. A bank account is looked up by what a
bookkeeper knows it by, its name or its nominal code, so it also gets a find.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sage_accounting._changes import changes_trigger
from sage_accounting._crud import GET, LIST, Family, register_family
from sage_accounting._lookups import (
    BANK_ACCOUNT_TYPES,
    BANK_ACCOUNTS,
    CURRENCIES,
    LEDGER_ACCOUNTS,
    PAYMENT_METHODS,
)
from sage_accounting._models import (
    Bool,
    ChangeTrackingInputs,
    Id,
    Int,
    PagingInputs,
    SageObject,
    optional,
)
from sage_accounting._pack import PACK
from sage_accounting._paging import list_action
from sage_accounting._resources import Link
from sageflow._component import READ_ONLY, Action, Inputs
from sageflow._values import QueryValue

BANK_ACCOUNT_ID = "19e5f9768c9542ef840ab7532e231215"
LEDGER_ACCOUNT_ID = "163849e847954f66badb3a4bbbb4dc19"
NOMINAL_CODE_MAX = 99_999_999


def _text(what: str) -> Any:
    return Field(default=None, description=what)


class BankAccountDetails(SageObject):
    account_name: str | None = _text("The account's name.")
    account_number: str | None = _text("The account number.")
    sort_code: str | None = _text("The sort code.")
    bic: str | None = _text("The BIC.")
    iban: str | None = _text("The IBAN.")


class BankAccount(SageObject):
    """A bank, cash, card or loan account (``/bank_accounts``)."""

    bank_account_details: BankAccountDetails | None = _text("Name and bank details.")
    ledger_account: Link | None = _text("The BANK ledger account it posts to.")
    bank_account_type: Link | None = _text("CHECKING, SAVINGS, CREDIT_CARD, CASH_IN_HAND, ...")
    balance: str | None = _text("The balance, a decimal string as Sage sends it.")
    default_payment_method: Link | None = _text("The payment method payments default to.")
    is_active: bool | None = _text("Whether the account is in use.")
    currency: Link | None = _text("The account's currency (it cannot change).")
    deletable: bool | None = _text("False once the account has transactions.")
    created_at: str | None = _text("When the record was created (ISO 8601).")
    updated_at: str | None = _text("When the record last changed (ISO 8601).")


class BankAccountType(SageObject):
    """A bank account type (``/bank_account_types``): CHECKING, SAVINGS, ..."""


# bank_accounts__get_one__sage-swagger-2025-example.json, trimmed to what a flow reads.
_BANK_ACCOUNT: dict[str, Any] = {
    "id": BANK_ACCOUNT_ID,
    "displayed_as": "Bank Account (1200)",
    "$path": f"/bank_accounts/{BANK_ACCOUNT_ID}",
    "created_at": "2022-12-30T13:54:24Z",
    "updated_at": "2023-09-28T08:40:35Z",
    "bank_account_details": {
        "account_name": "Bank Account",
        "account_number": "12345678",
        "sort_code": "070407",
        "bic": None,
        "iban": None,
    },
    "ledger_account": {
        "id": LEDGER_ACCOUNT_ID,
        "displayed_as": "Bank Account (1200)",
        "$path": f"/ledger_accounts/{LEDGER_ACCOUNT_ID}",
    },
    "bank_account_type": {
        "id": "CHECKING",
        "displayed_as": "Current",
        "$path": "/bank_account_types/CHECKING",
    },
    "balance": "-14557.08",
    "nominal_code": None,
    "editable": True,
    "deletable": False,
    "default_payment_method": {
        "id": "CREDIT_DEBIT",
        "displayed_as": "Credit/Debit Card",
        "$path": "/payment_methods/CREDIT_DEBIT",
    },
    "is_active": True,
    "currency": {"id": "GBP", "displayed_as": "Pound Sterling (GBP)", "$path": "/currencies/GBP"},
}


class BankAccountDetailsInput(Inputs):
    """The account's name and bank details (Sage's ``bank_account_details``)."""

    accountName: str = Field(
        description="The account's name, shown as `Name (nominal code)`.",
        examples=["Business Current Account"],
        min_length=1,
    )
    accountNumber: str | None = optional("The account number.", "12345678")
    sortCode: str | None = optional("The sort code.", "070407")
    bic: str | None = optional("The BIC.", "NWBKGB2L")
    iban: str | None = optional("The IBAN.", "GB29NWBK60161331926819")


class CreateBankAccountInputs(Inputs):
    bankAccountTypeId: str = Field(
        description="CHECKING, SAVINGS, CREDIT_CARD, CASH_IN_HAND, LOAN or OTHER.",
        examples=["CHECKING"],
        min_length=1,
        json_schema_extra=BANK_ACCOUNT_TYPES,
    )
    bankAccountDetails: BankAccountDetailsInput = Field(
        description=(
            "The account's name and bank details; on an update, give the name again with them."
        ),
        examples=[{"accountName": "Business Current Account", "sortCode": "070407"}],
    )
    nominalCode: Int | None = optional(
        "Nominal code of the BANK ledger account made for it (unless ledgerAccountId is given).",
        1230,
        ge=1,
        le=NOMINAL_CODE_MAX,
    )
    ledgerAccountId: Id | None = optional(
        "An existing BANK ledger account no other bank account uses, instead of a new one.",
        LEDGER_ACCOUNT_ID,
        json_schema_extra=LEDGER_ACCOUNTS,
    )
    defaultPaymentMethodId: Id | None = optional(
        "What payments from or to it default to: CASH, CHECK, ELECTRONIC, CREDIT_DEBIT, ...",
        "ELECTRONIC",
        json_schema_extra=PAYMENT_METHODS,
    )
    currencyId: Id | None = optional(
        "The account's currency (the base currency if omitted; it cannot change later).",
        "GBP",
        json_schema_extra=CURRENCIES,
    )
    isActive: Bool | None = optional("Whether the account is in use.", True)
    gifiCode: Int | None = optional("GIFI code (Canada), 1000-9999.", 1002, ge=1000, le=9999)


class ListBankAccountsInputs(ChangeTrackingInputs):
    filterInactiveBankAccounts: Bool | None = optional("Leave out inactive accounts.", True)
    excludeStripe: Bool | None = optional("Leave out Stripe accounts.", True)
    nestedAttributes: str | None = optional("Expand linked records' fields too, or `all`.", "all")


BANK_ACCOUNTS_FAMILY = Family(
    collection="bank_accounts",
    wrapper="bank_account",
    singular="Bank Account",
    plural="Bank Accounts",
    id_input="bankAccountId",
    output=BankAccount,
    example=_BANK_ACCOUNT,
    fields=CreateBankAccountInputs,
    create_example={
        "bankAccountTypeId": "CHECKING",
        "bankAccountDetails": {"accountName": "Business Current Account", "sortCode": "070407"},
        "nominalCode": 1230,
    },
    update_example={"isActive": False},
    list_inputs=ListBankAccountsInputs,
    list_example={"filterInactiveBankAccounts": True, "attributes": "all", "fetchAll": True},
    lookup=BANK_ACCOUNTS,
    get_query=("nested_attributes",),
    # [G-bank]: "A bank account's currency cannot be changed"; the ledger account is its own.
    create_only=("currencyId", "ledgerAccountId"),
    notes={"delete": "Sage refuses to delete an account with transactions ([G-bank])."},
)
register_family(BANK_ACCOUNTS_FAMILY)
# GET /bank_accounts takes updated_or_created_since and deleted_since (the swagger).
BANK_ACCOUNT_CHANGES = changes_trigger(
    "bankAccount", "/bank_accounts", BankAccount, example=_BANK_ACCOUNT
)

register_family(
    Family(
        collection="bank_account_types",
        wrapper="bank_account_type",
        singular="Bank Account Type",
        plural="Bank Account Types",
        id_input="bankAccountTypeId",
        output=BankAccountType,
        example={
            "id": "SAVINGS",
            "displayed_as": "Savings",
            "$path": "/bank_account_types/SAVINGS",
        },
        create_example={},
        update_example={},
        list_inputs=PagingInputs,
        list_example={"itemsPerPage": 200},
        lookup=BANK_ACCOUNT_TYPES,
        operations=frozenset({LIST, GET}),
    )
)


class FindBankAccountInputs(Inputs):
    name: str | None = optional(
        "The account's exact name (case-insensitive).", "Bank Account", min_length=1
    )
    nominalCode: Int | None = optional(
        "The nominal code of its ledger account.", 1200, ge=1, le=NOMINAL_CODE_MAX
    )
    includeInactive: Bool = Field(
        default=False, description="Also match accounts no longer in use.", examples=[True]
    )

    @model_validator(mode="after")
    def _one_key(self) -> FindBankAccountInputs:
        if self.name is None and self.nominalCode is None:
            raise ValueError("give name or nominalCode (or both)")
        return self


class FoundBankAccounts(BaseModel):
    """The bank accounts that matched, possibly none."""

    model_config = ConfigDict(extra="forbid")

    items: list[BankAccount] = Field(description="Matching accounts, in Sage's order.")


def _code_of(item: dict[str, Any]) -> int | None:
    # Sage returns nominal_code null on bank accounts (both recorded samples); the code shows in
    # the ledger account's and the account's displayed_as: "Bank Account (1200)".
    if isinstance(item.get("nominal_code"), int):
        return int(item["nominal_code"])
    for shown in ((item.get("ledger_account") or {}).get("displayed_as"), item["displayed_as"]):
        if isinstance(shown, str) and shown.endswith(")") and "(" in shown:
            digits = shown[shown.rindex("(") + 1 : -1]
            if digits.isdigit():
                return int(digits)
    return None


@PACK.component(
    key="findBankAccount",
    title="Find Bank Account",
    description=(
        "Find bank accounts by exact name and/or nominal code (GET /bank_accounts, every page: "
        "Sage's list has no search); returns zero or more, so a flow can branch on "
        "`size(items)`."
    ),
    inputs=FindBankAccountInputs,
    output=FoundBankAccounts,
    annotations=READ_ONLY,
    example_input={"nominalCode": 1200},
    example_output={"items": [_BANK_ACCOUNT]},
)
def find_bank_account(inputs: FindBankAccountInputs) -> Action:
    query: dict[str, QueryValue] = {"attributes": "all", "items_per_page": 200}
    if not inputs.includeInactive:
        query["filter_inactive_bank_accounts"] = True
    page = yield from list_action("/bank_accounts", query, fetch_all=True)
    name = inputs.name.casefold() if inputs.name is not None else None
    items = [
        item
        for item in page["items"]
        if (
            name is None
            or str((item.get("bank_account_details") or {}).get("account_name") or "").casefold()
            == name
        )
        and (inputs.nominalCode is None or _code_of(item) == inputs.nominalCode)
    ]
    return {"items": items}
