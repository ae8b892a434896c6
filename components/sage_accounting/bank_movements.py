"""Money between bank accounts: transfers, deposits of cash and cheques, and reconciliations.

Rows of the :mod:`sage_accounting._crud` table, each with only the operations the swagger has
for its path: a deposit cannot be changed (no PUT), a reconciliation cannot be deleted (no
DELETE). A transfer's two sides must differ, checked here before anything is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from sage_accounting._changes import changes_trigger
from sage_accounting._crud import CREATE, DELETE, GET, LIST, UPDATE, Family, register_family
from sage_accounting._lookups import (
    BANK_ACCOUNTS,
    BANK_DEPOSITS,
    BANK_RECONCILIATIONS,
    BANK_TRANSFERS,
)
from sage_accounting._models import (
    ChangeTrackingInputs,
    Date,
    Id,
    Money,
    UpdatedSinceInputs,
    optional,
    stub,
)
from sage_accounting._resources import Dated, Link, described
from sageflow._component import Inputs
from sageflow._options import closed_set

# --- Output models ------------------------------------------------------------------------------


class BankTransfer(Dated):
    """Money moved from one of the business's bank accounts to another (``/bank_transfers``)."""

    from_bank_account: Link | None = described("Where the money left.")
    to_bank_account: Link | None = described("Where the money arrived.")
    date: str | None = described("The transfer's date.")
    amount: str | None = described("The amount, a decimal string as Sage sends it.")
    reference: str | None = described("The reference.")
    description: str | None = described("The description.")
    transaction: Link | None = described("The transaction it posted.")


class BankDeposit(Dated):
    """Cash and cheques paid in from a cash-in-hand account (``/bank_deposits``)."""

    from_bank_account: Link | None = described("The cash-in-hand account the money left.")
    to_bank_account: Link | None = described("The bank account it was paid into.")
    date: str | None = described("The deposit's date.")
    reference: str | None = described("The reference.")
    cash_amount: str | None = described("Cash paid in, a decimal string.")
    cheque_amount: str | None = described("Cheques paid in, a decimal string.")
    total_amount: str | None = described("Cash and cheques, a decimal string.")
    transaction: Link | None = described("The transaction it posted.")


class BankReconciliation(Dated):
    """A bank statement matched against the books (``/bank_reconciliations``)."""

    bank_account: Link | None = described("The bank account reconciled.")
    statement_date: str | None = described("The statement's date.")
    statement_end_balance: str | None = described("The statement's closing balance.")
    reference: str | None = described("The reference.")
    total_received: str | None = described("Money in over the statement.")
    total_paid: str | None = described("Money out over the statement.")
    starting_balance: str | None = described("The balance the statement starts from.")
    closing_balance: str | None = described("Starting balance + received - paid.")
    reconciled_balance: str | None = described("The balance of the transactions reconciled.")
    balance_difference: str | None = described("Statement end balance - reconciled balance.")
    status: Link | None = described("DRAFT or COMPLETED.")


# --- Examples (invented, shaped like the swagger's examples) -----------------------------------

TRANSFER_ID = "8b0d2f4a6c8e4a1b3d5f7a9c1e3b5d7f"
DEPOSIT_ID = "2f4a6c8e0b2d4f6a8c1e3b5d7f9a2c4e"
RECONCILIATION_ID = "6c8e0b2d4f6a4c8e1b3d5f7a9c2e4b6d"
CURRENT = "1a3c5e7b9d2f4a6c8e0b2d4f6a8c0e2b"
SAVINGS = "3c5e7b9d1f2a4c6e8a0b2d4f6e8a1c3b"
CASH = "5e7b9d1f3a2c4e6a8c0b2d4f6a8e1c3d"
_STAMP = {"created_at": "2026-03-02T09:15:00Z", "updated_at": "2026-03-02T09:15:00Z"}


def _transaction(kind: str, shown: str, key: str) -> dict[str, Any]:
    return {
        "transaction": stub("transactions", key, shown),
        "transaction_type": stub("transaction_types", kind, shown.title()),
    }


_TRANSFER = {
    **stub("bank_transfers", TRANSFER_ID, "Move to savings"),
    **_STAMP,
    **_transaction("BANK_TRANSFER", "Bank Transfer", "9c1e3b5d7f0a4c2e6b8d0f2a4c6e8b1d"),
    "from_bank_account": stub("bank_accounts", CURRENT, "Current (1200)"),
    "to_bank_account": stub("bank_accounts", SAVINGS, "Business savings (1220)"),
    "date": "2026-03-02",
    "reference": "SAV-03",
    "amount": "2500.0",
    "description": "Move to savings",
}
_DEPOSIT = {
    **stub("bank_deposits", DEPOSIT_ID, "Cash takings"),
    **_STAMP,
    **_transaction("DEPOSIT", "Deposit", "0d2f4a6c8e1b4d3f5a7c9e2b4d6f8a1c"),
    "from_bank_account": stub("bank_accounts", CASH, "Cash in hand (1210)"),
    "to_bank_account": stub("bank_accounts", CURRENT, "Current (1200)"),
    "date": "2026-03-02",
    "reference": "Cash takings",
    "cash_amount": "640.0",
    "cheque_amount": "120.0",
    "total_amount": "760.0",
}
_RECONCILIATION = {
    **stub("bank_reconciliations", RECONCILIATION_ID, "Current (1200) - 2026-02-28"),
    **_STAMP,
    "bank_account": stub("bank_accounts", CURRENT, "Current (1200)"),
    "statement_date": "2026-02-28",
    "statement_end_balance": "4210.5",
    "reference": "Statement 14",
    "total_received": "6200.0",
    "total_paid": "1989.5",
    "starting_balance": "0.0",
    "closing_balance": "4210.5",
    "reconciled_balance": "4210.5",
    "balance_difference": "0.0",
    "status": {"id": "COMPLETED", "displayed_as": "Completed"},
}


# --- Inputs -------------------------------------------------------------------------------------


def _bank(what: str, example: str) -> Any:
    return Field(
        description=what, examples=[example], min_length=1, json_schema_extra=BANK_ACCOUNTS
    )


def _date(what: str, example: str) -> Any:
    return Field(description=what, examples=[example])


class CreateBankTransferInputs(Inputs):
    fromBankAccountId: Id = _bank("The bank account the money leaves.", CURRENT)
    toBankAccountId: Id = _bank("The bank account the money goes to (another one).", SAVINGS)
    date: Date = _date("The transfer's date.", "2026-03-02")
    amount: Money = Field(description="The amount, above zero.", examples=["2500.00"])
    reference: str | None = optional("Your reference.", "SAV-03")
    description: str | None = optional("What the transfer is for.", "Move to savings")

    @model_validator(mode="after")
    def _two_accounts(self) -> CreateBankTransferInputs:
        # A transfer moves money between two accounts; one account on both sides moves
        # nothing and would only add two postings that cancel (the sandbox refuses it too).
        if self.fromBankAccountId == self.toBankAccountId:
            raise ValueError("fromBankAccountId and toBankAccountId must be different accounts")
        return self


class CreateBankDepositInputs(Inputs):
    fromBankAccountId: Id = _bank("The cash-in-hand account the money leaves.", CASH)
    toBankAccountId: Id = _bank("The bank account it is paid into.", CURRENT)
    date: Date = _date("The deposit's date.", "2026-03-02")
    reference: str = Field(
        description="The reference (the paying-in slip).", examples=["Cash takings"], min_length=1
    )
    cashAmount: Money = Field(description="Cash paid in.", examples=["640.00"])
    chequeAmount: Money | None = optional("Cheques paid in.", "120.00")
    totalAmount: Money | None = optional(
        "Cash plus cheques; Sage works it out when omitted.", "760.00"
    )

    @model_validator(mode="after")
    def _adds_up(self) -> CreateBankDepositInputs:
        cheques = self.chequeAmount or 0
        if self.totalAmount is not None and self.totalAmount != self.cashAmount + cheques:
            raise ValueError(
                f"totalAmount {self.totalAmount} is not cashAmount {self.cashAmount} "
                f"+ chequeAmount {cheques}"
            )
        return self


if TYPE_CHECKING:
    ReconciliationStatusId = str
else:
    # COMPLETED is Sage's example (swagger.banking GET /bank_reconciliations/{key}); DRAFT, a
    # reconciliation saved before it is completed, is inferred (docs/sandbox-fidelity.md).
    ReconciliationStatusId = closed_set({"DRAFT": "Draft", "COMPLETED": "Completed"})


class CreateBankReconciliationInputs(Inputs):
    bankAccountId: Id = _bank("The bank account reconciled.", CURRENT)
    statementDate: Date | None = optional("The statement's date.", "2026-02-28")
    statementEndBalance: Money | None = optional("The statement's closing balance.", "4210.50")
    reference: str | None = optional("Your reference.", "Statement 14")
    totalReceived: Money | None = optional("Money in over the statement.", "6200.00")
    totalPaid: Money | None = optional("Money out over the statement.", "1989.50")
    startingBalance: Money | None = optional("The balance the statement starts from.", "0.00")
    reconciledBalance: Money | None = optional(
        "The balance of the transactions reconciled (the closing balance when omitted).",
        "4210.50",
    )
    statusId: ReconciliationStatusId | None = optional(
        "DRAFT while matching, COMPLETED when done.", "COMPLETED"
    )


class BankMovementListInputs(ChangeTrackingInputs):
    """Filters of the transfer and deposit lists."""

    from_date: Date | None = optional("Only those dated on or after this date.", "2026-01-01")
    to_date: Date | None = optional("Only those dated on or before this date.", "2026-03-31")
    sort: str | None = optional(
        "Sort order: created_at, updated_at or date, `:asc` or `:desc`.", "date:desc"
    )


class ReconciliationListInputs(UpdatedSinceInputs):
    bankAccountId: Id | None = optional(
        "Only this bank account's reconciliations.", CURRENT, json_schema_extra=BANK_ACCOUNTS
    )


# --- The table ------------------------------------------------------------------------------------

# No markers: these lists take no ``search`` to find a lost create by, so exactly-once rests
# on Sage's ``idempotency_id``, which [G-idem] lists for bank_transfer, bank_deposit and
# bank_reconciliation (the HTTP layer adds it to every create).
FAMILIES = (
    Family(
        collection="bank_transfers",
        wrapper="bank_transfer",
        singular="Bank Transfer",
        plural="Bank Transfers",
        id_input="bankTransferId",
        output=BankTransfer,
        example=_TRANSFER,
        fields=CreateBankTransferInputs,
        create_example={
            "fromBankAccountId": CURRENT,
            "toBankAccountId": SAVINGS,
            "date": "2026-03-02",
            "amount": "2500.00",
            "reference": "SAV-03",
        },
        update_example={"description": "Move to savings, March"},
        list_inputs=BankMovementListInputs,
        list_example={"from_date": "2026-03-01", "to_date": "2026-03-31", "fetchAll": True},
        lookup=BANK_TRANSFERS,
        get_query=("nested_attributes",),
        notes={
            "create": "The two accounts must differ; both balances move by the amount.",
            "delete": "Both bank balances move back.",
        },
    ),
    Family(
        collection="bank_deposits",
        wrapper="bank_deposit",
        singular="Bank Deposit",
        plural="Bank Deposits",
        id_input="bankDepositId",
        output=BankDeposit,
        example=_DEPOSIT,
        operations=frozenset({LIST, GET, CREATE, DELETE}),
        fields=CreateBankDepositInputs,
        create_example={
            "fromBankAccountId": CASH,
            "toBankAccountId": CURRENT,
            "date": "2026-03-02",
            "reference": "Cash takings",
            "cashAmount": "640.00",
            "chequeAmount": "120.00",
        },
        update_example={},
        list_inputs=BankMovementListInputs,
        list_example={"from_date": "2026-03-01", "fetchAll": True},
        lookup=BANK_DEPOSITS,
        get_query=("nested_attributes",),
        notes={
            "create": "Money leaves a cash-in-hand account [G-bank]; Sage has no update.",
        },
    ),
    Family(
        collection="bank_reconciliations",
        wrapper="bank_reconciliation",
        singular="Bank Reconciliation",
        plural="Bank Reconciliations",
        id_input="bankReconciliationId",
        output=BankReconciliation,
        example=_RECONCILIATION,
        operations=frozenset({LIST, GET, CREATE, UPDATE}),
        fields=CreateBankReconciliationInputs,
        create_example={
            "bankAccountId": CURRENT,
            "statementDate": "2026-02-28",
            "statementEndBalance": "4210.50",
            "reference": "Statement 14",
            "totalReceived": "6200.00",
            "totalPaid": "1989.50",
            "statusId": "COMPLETED",
        },
        update_example={"reference": "Statement 14 (February)"},
        list_inputs=ReconciliationListInputs,
        list_example={"bankAccountId": CURRENT},
        lookup=BANK_RECONCILIATIONS,
        notes={
            "create": (
                "The closing balance is the starting balance plus received less paid; the "
                "balance difference is the statement end balance less the reconciled balance."
            ),
        },
    ),
)

HANDLERS = {family.collection: register_family(family) for family in FAMILIES}

# The change-tracked lists: a bank feed reacts to each transfer, deposit or reconciliation.
changes_trigger("bankTransfer", "/bank_transfers", BankTransfer, sortable=True, example=_TRANSFER)
changes_trigger("bankDeposit", "/bank_deposits", BankDeposit, sortable=True, example=_DEPOSIT)
changes_trigger(
    "bankReconciliation",
    "/bank_reconciliations",
    BankReconciliation,
    deletions=False,
    example=_RECONCILIATION,
)
