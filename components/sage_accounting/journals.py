"""Journals and the ledger: manual journals, journal codes, ledger entries and transactions.

A journal must balance ([G-jnl]: "the total must balance"): an unbalanced one is refused here,
when its inputs are validated, with both line totals, before any request is built. Every
resource is a row of the :mod:`sage_accounting._crud` table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sage_accounting._actions import record_path
from sage_accounting._changes import changes_trigger
from sage_accounting._crud import CREATE, DELETE, GET, LIST, Family, read_only, register_family
from sage_accounting._lookups import (
    JOURNAL_CODE_TYPES,
    JOURNAL_CODES,
    JOURNALS,
    LEDGER_ACCOUNTS,
    LEDGER_ENTRIES,
    TRANSACTION_TYPES,
    TRANSACTIONS,
)
from sage_accounting._models import (
    Bool,
    ChangeTrackingInputs,
    Date,
    Id,
    Money,
    PagingInputs,
    SageObject,
    UpdatedSinceInputs,
    optional,
    stub,
)
from sage_accounting._pack import PACK
from sage_accounting._paging import list_action
from sage_accounting._resources import Dated, Link, described
from sageflow._component import DESTRUCTIVE, READ_ONLY, Action, Inputs
from sageflow._values import HTTPRequest, QueryValue

JOURNAL_ID = "5e6f90e97fba4de29d9c494e39f33029"
ACCRUALS_ID = "7a5a8952884911ed84fa0252b90cda0d"
EXPENSE_ID = "7a6b6a32884911ed84fa0252b90cda0d"
TRANSACTION_ID = "03e130c52cf14807a1cb3153f580462e"


# --- Output models ------------------------------------------------------------------------------


class JournalLineOut(SageObject):
    """One line of a journal: a debit or a credit to one ledger account."""

    ledger_account: Link | None = described("The ledger account.")
    details: str | None = described("What the line is for.")
    debit: str | None = described("The debit, a decimal string as Sage sends it.")
    credit: str | None = described("The credit, a decimal string as Sage sends it.")
    include_on_tax_return: bool | None = described("Whether the line affects the tax return.")


class Journal(Dated):
    """A manual journal (``/journals``)."""

    date: str | None = described("The journal date (YYYY-MM-DD).")
    reference: str | None = described("The journal's reference.")
    description: str | None = described("A description of the journal.")
    total: str | None = described("The total of the debits (= the credits).")
    transaction: Link | None = described("The transaction the journal posted.")
    journal_lines: list[JournalLineOut] | None = described("The lines.")


class JournalCode(Dated):
    """A journal code (France and Spain, ``/journal_codes``)."""

    name: str | None = described("The code's name.")
    code: str | None = described("The code.")
    journal_code_type: Link | None = described("Its journal code type.")
    control_name: str | None = described("The control name of a reserved code.")
    reserved: bool | None = described("Reserved codes cannot be deleted.")


class LedgerEntry(Dated):
    """One posting to one ledger account (``/ledger_entries``)."""

    date: str | None = described("The entry's date (YYYY-MM-DD).")
    debit: str | None = described("The debit, a decimal string as Sage sends it.")
    credit: str | None = described("The credit, a decimal string as Sage sends it.")
    ledger_account: Link | None = described("The ledger account posted to.")
    transaction: Link | None = described("The transaction the entry belongs to.")
    contact: Link | None = described("The contact, if any.")
    description: str | None = described("The entry's description.")


class Transaction(Dated):
    """A transaction: what one journal, invoice or payment posted (``/transactions``)."""

    date: str | None = described("The transaction date (YYYY-MM-DD).")
    reference: str | None = described("The transaction's reference.")
    total: str | None = described("The total in base currency.")
    transaction_type: Link | None = described("SALES_INVOICE, JOURNAL, CUSTOMER_RECEIPT, ...")
    contact: Link | None = described("The contact, if any.")
    origin: Link | None = described("The record that made the transaction.")
    deleted: bool | None = described("Whether the transaction was deleted.")


# --- Examples (the recorded journal journals__get_one__sage-swagger-2025-example.json) --------

_LINES = [
    {
        "id": "42db7e49412640b8bb6f9e7b7993d688",
        "ledger_account": stub("ledger_accounts", ACCRUALS_ID, "Accruals (2109)"),
        "details": "Accountancy fees, January",
        "debit": "0.0",
        "credit": "1250.0",
        "include_on_tax_return": False,
    },
    {
        "id": "74de32e9b8de42e882cb3280febf21f2",
        "ledger_account": stub("ledger_accounts", EXPENSE_ID, "Accountancy fees (7602)"),
        "details": "Accountancy fees, January",
        "debit": "1250.0",
        "credit": "0.0",
        "include_on_tax_return": False,
    },
]
_JOURNAL: dict[str, Any] = {
    **stub("journals", JOURNAL_ID, "ACCR-2026-01"),
    "created_at": "2026-01-31T17:00:00Z",
    "updated_at": "2026-01-31T17:00:00Z",
    "transaction": stub("transactions", TRANSACTION_ID, "ACCR-2026-01"),
    "transaction_type": stub("transaction_types", "JOURNAL", "Journal"),
    "date": "2026-01-31",
    "reference": "ACCR-2026-01",
    "description": "Month-end accruals",
    "total": "1250.0",
    "journal_code": None,
    "journal_lines": _LINES,
}
_LINE_INPUTS = [
    {"ledgerAccountId": EXPENSE_ID, "debit": "1250.00", "details": "Accountancy fees, January"},
    {"ledgerAccountId": ACCRUALS_ID, "credit": "1250.00", "details": "Accountancy fees, January"},
]


# --- Journals ----------------------------------------------------------------------------------


def _shown(amount: Decimal) -> str:
    return f"{amount:,.2f}"


class JournalLine(Inputs):
    """One line: a debit or a credit (Sage takes both; the side not given is sent as 0)."""

    # One side at least, published so a host's jsonschema agrees; "not both" and the balance
    # of the lines are checked by the validators below.
    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["debit"]}, {"required": ["credit"]}]}
    )

    ledgerAccountId: Id = Field(
        description="The ledger account the line posts to.",
        examples=[EXPENSE_ID],
        min_length=1,
        json_schema_extra=LEDGER_ACCOUNTS,
    )
    debit: Money | None = optional("The debit (leave out on a credit line).", "1250.00", ge=0)
    credit: Money | None = optional("The credit (leave out on a debit line).", "1250.00", ge=0)
    details: str | None = optional("What the line is for.", "Accountancy fees, January")
    includeOnTaxReturn: Bool | None = optional("Whether the line affects the tax return.", False)

    @model_validator(mode="before")
    @classmethod
    def _other_side_is_zero(cls, raw: Any) -> Any:
        # postJournals requires both debit and credit on every line; a line is one side
        # ([G-jnl]), so the side not given is 0, set here so it is sent.
        if isinstance(raw, dict) and ("debit" in raw) != ("credit" in raw):
            raw = {**raw, "credit" if "debit" in raw else "debit": 0}
        return raw

    @model_validator(mode="after")
    def _one_side(self) -> JournalLine:
        debit, credit = self.debit or 0, self.credit or 0
        if debit and credit:
            raise ValueError("a journal line is a debit or a credit, not both")
        if not debit and not credit:
            raise ValueError("a journal line needs a debit or a credit above 0")
        for amount in (debit, credit):
            if Decimal(amount) != Decimal(amount).quantize(Decimal("0.01")):
                raise ValueError(f"{amount} has more than 2 decimal places (Sage keeps pence)")
        return self


class CreateJournalInputs(Inputs):
    date: Date = Field(description="The journal date.", examples=["2026-01-31"])
    reference: str = Field(
        description="The journal's reference.", examples=["ACCR-2026-01"], min_length=1
    )
    description: str | None = optional("A description of the journal.", "Month-end accruals")
    journalLines: list[JournalLine] = Field(
        description="The lines: their debits must equal their credits.",
        examples=[_LINE_INPUTS],
        min_length=2,
    )

    @field_validator("journalLines")
    @classmethod
    def _balanced(cls, lines: list[JournalLine]) -> list[JournalLine]:
        debits = sum((line.debit or Decimal(0) for line in lines), Decimal(0))
        credits = sum((line.credit or Decimal(0) for line in lines), Decimal(0))
        if debits != credits:
            # Refused before any request: Sage refuses it too [G-jnl], after the flow started.
            raise ValueError(
                f"debits {_shown(debits)} ≠ credits {_shown(credits)}: a journal must "
                f"balance, got a difference of {_shown(abs(debits - credits))}"
            )
        return lines


JOURNALS_FAMILY = Family(
    collection="journals",
    wrapper="journal",
    singular="Journal",
    plural="Journals",
    id_input="journalId",
    output=Journal,
    example=_JOURNAL,
    create_example={
        "date": "2026-01-31",
        "reference": "ACCR-2026-01",
        "description": "Month-end accruals",
        "journalLines": _LINE_INPUTS,
    },
    update_example={},
    list_inputs=ChangeTrackingInputs,
    list_example={"updated_or_created_since": "2026-01-01", "fetchAll": True},
    lookup=JOURNALS,
    # [G-jnl]: "journals cannot be edited with PUT"; the swagger has no PUT /journals/{key}.
    operations=frozenset({LIST, GET, CREATE, DELETE}),
    fields=CreateJournalInputs,
    get_query=("nested_attributes",),
    notes={
        CREATE: "Debits must equal credits: an unbalanced journal is refused before sending.",
        DELETE: "Sage's way to correct a journal: delete it and post it again [G-jnl].",
    },
)


class ReissueJournalInputs(Inputs):
    journalId: Id = Field(
        description="The journal to reissue.",
        examples=[JOURNAL_ID],
        min_length=1,
        json_schema_extra=JOURNALS,
    )


@PACK.component(
    key="reissueJournal",
    title="Reissue Journal",
    description=(
        "Void a journal and post it again as a new one (POST /journals/{key}/reissue); "
        "returns the new journal. Reissuing the old id again finds nothing to void."
    ),
    inputs=ReissueJournalInputs,
    output=Journal,
    annotations=DESTRUCTIVE,
    example_input={"journalId": JOURNAL_ID},
    example_output=_JOURNAL,
)
def reissue_journal(inputs: ReissueJournalInputs) -> Action:
    response = yield HTTPRequest("POST", f"{record_path('journals', inputs.journalId)}/reissue")
    return dict(response.json())


# --- Journal codes and their types --------------------------------------------------------------

_CODE_ID = "9c2d0e5b7f3a4e1b8d6c5a4b3e2f1a0d"
_CODE: dict[str, Any] = {
    **stub("journal_codes", _CODE_ID, "Opérations diverses (OD)"),
    "created_at": "2026-01-05T09:00:00Z",
    "updated_at": "2026-01-05T09:00:00Z",
    "name": "Opérations diverses",
    "code": "OD",
    "journal_code_type": stub("journal_code_types", "OTHER", "Miscellaneous Operations"),
    "control_name": None,
    "reserved": False,
}


class JournalCodeFields(Inputs):
    name: str = Field(
        description="The code's name.", examples=["Opérations diverses"], min_length=1
    )
    code: str = Field(description="The code itself.", examples=["OD"], min_length=1)
    journalCodeTypeId: str = Field(
        description="The journal code type.",
        examples=["OTHER"],
        min_length=1,
        json_schema_extra=JOURNAL_CODE_TYPES,
    )
    controlName: str | None = optional("A control name (makes the code reserved).", "MISC")
    reserved: Bool | None = optional("Reserve the code (reserved codes cannot be deleted).", False)


JOURNAL_CODES_FAMILY = Family(
    collection="journal_codes",
    wrapper="journal_code",
    singular="Journal Code",
    plural="Journal Codes",
    id_input="journalCodeId",
    output=JournalCode,
    example=_CODE,
    create_example={"name": "Opérations diverses", "code": "OD", "journalCodeTypeId": "OTHER"},
    update_example={"name": "Opérations diverses (OD)"},
    list_inputs=UpdatedSinceInputs,
    list_example={"fetchAll": True},
    lookup=JOURNAL_CODES,
    fields=JournalCodeFields,
    notes={LIST: "Journal codes exist in French and Spanish businesses."},
)


class FindJournalCodeInputs(Inputs):
    code: str = Field(
        description="The exact code (case-insensitive).", examples=["OD"], min_length=1
    )


class FoundJournalCodes(BaseModel):
    """The journal codes that matched, possibly none."""

    model_config = ConfigDict(extra="forbid")

    items: list[JournalCode] = Field(description="Exact matches, in Sage's order.")


@PACK.component(
    key="findJournalCode",
    title="Find Journal Code",
    description=(
        "Find a journal code by its code (GET /journal_codes, every page: the list takes no "
        "search), so a flow can branch on `size(items)`."
    ),
    inputs=FindJournalCodeInputs,
    output=FoundJournalCodes,
    annotations=READ_ONLY,
    example_input={"code": "OD"},
    example_output={"items": [_CODE]},
)
def find_journal_code(inputs: FindJournalCodeInputs) -> Action:
    query: dict[str, QueryValue] = {"attributes": "all", "items_per_page": 200}
    found = yield from list_action("/journal_codes", query, fetch_all=True)
    wanted = inputs.code.casefold()
    return {"items": [i for i in found["items"] if str(i.get("code", "")).casefold() == wanted]}


class ListLedgerEntriesInputs(UpdatedSinceInputs):
    from_date: Date | None = optional("Only entries dated on or after this day.", "2026-01-01")
    to_date: Date | None = optional("Only entries dated on or before this day.", "2026-01-31")
    ledgerAccountId: Id | None = optional(
        "Only entries to this ledger account.", EXPENSE_ID, json_schema_extra=LEDGER_ACCOUNTS
    )
    transactionId: Id | None = optional(
        "Only the entries of this transaction.", TRANSACTION_ID, json_schema_extra=TRANSACTIONS
    )
    transactionTypeId: str | None = optional(
        "Only entries of this transaction type.", "JOURNAL", json_schema_extra=TRANSACTION_TYPES
    )
    journalCodeId: Id | None = optional(
        "Only entries of this journal code (France).", _CODE_ID, json_schema_extra=JOURNAL_CODES
    )


class ListTransactionsInputs(UpdatedSinceInputs):
    from_date: Date | None = optional("Only transactions dated on or after this day.", "2026-01-01")
    to_date: Date | None = optional("Only transactions dated on or before this day.", "2026-01-31")
    updated_from_date: Date | None = optional(
        "Only those changed on or after this day.", "2026-01-01"
    )
    updated_to_date: Date | None = optional(
        "Only those changed on or before this day.", "2026-01-31"
    )
    hasAttachments: Bool | None = optional("Only transactions with attachments.", True)
    transactionTypeId: str | None = optional(
        "Only transactions of this type.", "JOURNAL", json_schema_extra=TRANSACTION_TYPES
    )


class ListTransactionTypesInputs(PagingInputs):
    validForBusiness: Bool | None = optional("Only the types this business can use.", True)


_ENTRY_ID = "0e612bc5fdf14a4db1659923d66e21b6"
READ_ONLY_FAMILIES = (
    read_only(
        collection="journal_code_types",
        singular="Journal Code Type",
        plural="Journal Code Types",
        id_input="journalCodeTypeId",
        output=SageObject,
        example=stub("journal_code_types", "OTHER", "Miscellaneous Operations"),
        lookup=JOURNAL_CODE_TYPES,
    ),
    read_only(
        collection="ledger_entries",
        singular="Ledger Entry",
        plural="Ledger Entries",
        id_input="ledgerEntryId",
        output=LedgerEntry,
        example={
            **stub("ledger_entries", _ENTRY_ID, "2026-01-31"),
            "created_at": "2026-01-31T17:00:00Z",
            "updated_at": "2026-01-31T17:00:00Z",
            "date": "2026-01-31",
            "debit": "1250.0",
            "credit": "0.0",
            "ledger_account": stub("ledger_accounts", EXPENSE_ID, "Accountancy fees (7602)"),
            "transaction": stub("transactions", TRANSACTION_ID, "ACCR-2026-01"),
            "contact": None,
            "deleted": False,
            "description": "Accountancy fees, January",
        },
        list_inputs=ListLedgerEntriesInputs,
        list_example={"transactionId": TRANSACTION_ID, "attributes": "all"},
        lookup=LEDGER_ENTRIES,
        get_query=("nested_attributes",),
    ),
    read_only(
        collection="transactions",
        singular="Transaction",
        plural="Transactions",
        id_input="transactionId",
        output=Transaction,
        example={
            **stub("transactions", TRANSACTION_ID, "ACCR-2026-01"),
            "created_at": "2026-01-31T17:00:00Z",
            "updated_at": "2026-01-31T17:00:00Z",
            "date": "2026-01-31",
            "deleted": False,
            "reference": "ACCR-2026-01",
            "total": "1250.0",
            "transaction_type": stub("transaction_types", "JOURNAL", "Journal"),
            "contact": None,
            "origin": stub("journals", JOURNAL_ID, "ACCR-2026-01"),
        },
        list_inputs=ListTransactionsInputs,
        list_example={"transactionTypeId": "JOURNAL", "from_date": "2026-01-01"},
        lookup=TRANSACTIONS,
        get_query=("expand_origin",),
    ),
    read_only(
        collection="transaction_types",
        singular="Transaction Type",
        plural="Transaction Types",
        id_input="transactionTypeId",
        output=SageObject,
        example=stub("transaction_types", "JOURNAL", "Journal"),
        list_inputs=ListTransactionTypesInputs,
        lookup=TRANSACTION_TYPES,
    ),
)

for _family in (JOURNALS_FAMILY, JOURNAL_CODES_FAMILY, *READ_ONLY_FAMILIES):
    register_family(_family)

# Lists that take updated_or_created_since get a <resource>Changes trigger; only /journals
# also takes deleted_since (the swagger's getJournals, getJournalCodes, getLedgerEntries,
# getTransactions).
changes_trigger("journal", "/journals", Journal, example=_JOURNAL)
changes_trigger("journalCode", "/journal_codes", JournalCode, deletions=False, example=_CODE)
changes_trigger("ledgerEntry", "/ledger_entries", LedgerEntry, deletions=False)
changes_trigger("transaction", "/transactions", Transaction, deletions=False)
