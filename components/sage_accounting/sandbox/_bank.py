"""Bank transfers, deposits and reconciliations, on the bank accounts of ``_payments``.

Sources: the swagger's postBankTransfers/putBankTransfers, postBankDeposits and
postBankReconciliations/putBankReconciliations schemas and operations [S1]; the examples of
swagger.banking.json for GET /bank_transfers/{key}, /bank_deposits/{key} and
/bank_reconciliations/{key} [S2]; Sage's banking guide [G-bank] and sort keys [G-sort]. A
transfer and a deposit post to the ledger (so the bank accounts' balances, read from the
ledger, move); a reconciliation posts nothing. What is inferred says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from sage_accounting.sandbox import _resources as res
from sage_accounting.sandbox._catalogue import collect as _collect
from sage_accounting.sandbox._payments import bank_account
from sage_accounting.sandbox._registry import (
    READ_CREATE,
    READ_DELETE,
    READ_UPDATE,
    Resource,
    register,
)
from sage_accounting.sandbox._resources import (
    CENT,
    Business,
    Posting,
    invalid,
    link,
    money_text,
    parse_date,
    parse_decimal,
    text,
)
from sage_accounting.sandbox._store import Record

Data = Mapping[str, Any]
ZERO = Decimal(0)
TRANSFERS, DEPOSITS, RECONCILIATIONS = "bank_transfers", "bank_deposits", "bank_reconciliations"

TRANSFER_IN = dict.fromkeys(
    ("from_bank_account_id", "to_bank_account_id", "date", "amount", "reference", "description")
)
DEPOSIT_IN = dict.fromkeys(
    (
        "from_bank_account_id",
        "to_bank_account_id",
        "date",
        "reference",
        "cash_amount",
        "cheque_amount",
        "total_amount",
    )
)
_RECONCILIATION_MONEY = (
    "statement_end_balance",
    "total_received",
    "total_paid",
    "starting_balance",
    "closing_balance",
    "reconciled_balance",
    "balance_difference",
)
RECONCILIATION_IN = dict.fromkeys(
    ("bank_account_id", "statement_date", "reference", "status_id", *_RECONCILIATION_MONEY)
)
#: The status ids: COMPLETED is [S2]'s example; DRAFT (saved, not yet completed) is inferred.
STATUSES = {"DRAFT": "Draft", "COMPLETED": "Completed"}
#: [G-sort]: bank_deposits and bank_transfers sort on created_at, updated_at and date.
SORTABLE = frozenset({"created_at", "updated_at", "date"})


def _money(problems: list[tuple[str, str]], raw: Any, source: str, *, floor: Decimal) -> Decimal:
    """An amount of at least ``floor``, to the penny; a problem is added, never raised."""
    value = _collect(problems, parse_decimal, raw, source)
    if value is None:
        return ZERO
    if value < floor:
        problems.append((source, f"must be greater than or equal to {money_text(floor)}"))
    elif value != value.quantize(CENT):
        problems.append((source, "has more than 2 decimal places"))
    return Decimal(value)


def _sides(
    biz: Business, data: Data, current: Record | None, problems: list[tuple[str, str]]
) -> tuple[Record | None, Record | None]:
    """The two bank accounts of a transfer or deposit: both found, different, one currency."""
    old = current or {}
    found = []
    for side in ("from", "to"):
        field = f"{side}_bank_account_id"
        key = data.get(field, (old.get(f"{side}_bank_account") or {}).get("id"))
        found.append(_collect(problems, bank_account, biz, key, field))
    source, target = found
    if source is not None and target is not None:
        if source["id"] == target["id"]:
            # Inferred: a transfer moves money between two accounts; one account on both
            # sides would post two lines that cancel.
            problems.append(("to_bank_account_id", "must be different from from_bank_account_id"))
        elif source["currency"]["id"] != target["currency"]["id"]:
            # [S2]'s example moves money between a EUR and a USD account; which amount is in
            # which currency, and at what rate, is not documented: not simulated.
            problems.append(("to_bank_account_id", "has another currency: " + res.UNSIMULATED))
    return source, target


def _movement(
    biz: Business,
    collection: str,
    kind: tuple[str, str],
    current: Record | None,
    sides: tuple[Record | None, Record | None],
    day: Any,
) -> Record:
    """A transfer or deposit (``current`` or a new one with its transaction) between ``sides``
    on ``day``: what both resources' records share ([S2] examples)."""
    source, target = sides
    assert source is not None
    assert target is not None
    record = dict(current) if current is not None else biz.stamped(collection, "")
    if current is None:
        key = biz.new_id()
        record["transaction"] = {"id": key, "displayed_as": "", "$path": f"/transactions/{key}"}
        type_id, label = kind
        record["transaction_type"] = {
            "id": type_id,
            "displayed_as": label,
            "$path": f"/transaction_types/{type_id}",
        }
    record.update(
        from_bank_account=link(source), to_bank_account=link(target), date=day.isoformat()
    )
    return record


def _finish(biz: Business, collection: str, record: Record, shown: str, new: bool) -> Record:
    record["displayed_as"] = shown
    record["transaction"] = {**record["transaction"], "displayed_as": shown}
    if not new:
        record["updated_at"] = biz.clock.stamp()
    return biz.save(collection, record)


# --- Transfers ----------------------------------------------------------------------------------


def _write_transfer(biz: Business, data: Data, current: Record | None) -> Record:
    problems: list[tuple[str, str]] = []
    old = current or {}
    source, target = _sides(biz, data, current, problems)
    day = _collect(problems, parse_date, data.get("date", old.get("date")), "date")
    amount = _money(problems, data.get("amount", old.get("amount")), "amount", floor=CENT)
    if problems:
        raise invalid(*problems)
    kind = ("BANK_TRANSFER", "Bank Transfer")
    record = _movement(biz, TRANSFERS, kind, current, (source, target), day)
    record.update(
        {
            "reference": text(data.get("reference", old.get("reference"))) or None,
            "amount": money_text(amount),
            "description": text(data.get("description", old.get("description"))) or None,
            # [S2]'s example shows a transfer as editable.
            "editable": True,
        }
    )
    shown = record["description"] or record["reference"] or "Bank Transfer"
    return _finish(biz, TRANSFERS, record, shown, current is None)


# --- Deposits -----------------------------------------------------------------------------------


def _create_deposit(biz: Business, data: Data) -> Record:
    problems: list[tuple[str, str]] = []
    source, target = _sides(biz, data, None, problems)
    if source is not None and source["bank_account_type"]["id"] != "CASH_IN_HAND":
        # [G-bank]: "A bank deposit can be posted only to CASH_IN_HAND"; Sage's example pays
        # from Petty Cash into the bank account, so it is the money's source that must be.
        problems.append(("from_bank_account_id", "must be a CASH_IN_HAND bank account"))
    day = _collect(problems, parse_date, data.get("date"), "date")
    reference = text(data.get("reference"))
    if not reference:  # postBankDeposits requires reference [S1]
        problems.append(("reference", "can't be blank"))
    if data.get("cash_amount") is None:  # and cash_amount [S1]
        problems.append(("cash_amount", "can't be blank"))
    cash = _money(problems, data.get("cash_amount", "0"), "cash_amount", floor=ZERO)
    cheques = _money(problems, data.get("cheque_amount", "0"), "cheque_amount", floor=ZERO)
    total = cash + cheques
    if data.get("total_amount") is not None:
        given = _money(problems, data["total_amount"], "total_amount", floor=ZERO)
        if given != total:  # inferred: the total is "of cash and cheques" [S1]
            problems.append(("total_amount", f"must be cash_amount + cheque_amount ({total})"))
    if not problems and total <= 0:
        problems.append(("total_amount", "must be greater than 0"))
    if problems:
        raise invalid(*problems)
    record = _movement(biz, DEPOSITS, ("DEPOSIT", "Deposit"), None, (source, target), day)
    record.update(
        {
            "reference": reference,
            "cash_amount": money_text(cash),
            "cheque_amount": money_text(cheques),
            "total_amount": money_text(total),
        }
    )
    return _finish(biz, DEPOSITS, record, reference, True)


def _ledger(biz: Business) -> Iterator[Posting]:
    """A transfer or deposit debits the receiving bank's ledger account and credits the paying
    one's with its amount (the double entry of moving money; the accounts are the bank
    accounts' own ledger accounts, inferred)."""
    banks = biz.collection("bank_accounts")
    for collection, field in ((TRANSFERS, "amount"), (DEPOSITS, "total_amount")):
        for record in biz.collection(collection):
            amount = Decimal(record[field])
            kind = record["transaction_type"]["id"]
            for side, debit in (("to", True), ("from", False)):
                bank = banks.get(record[f"{side}_bank_account"]["id"])
                if bank is None:
                    continue
                debits, credits = (amount, ZERO) if debit else (ZERO, amount)
                yield Posting(
                    record["date"],
                    bank["ledger_account"]["id"],
                    debits,
                    credits,
                    record,
                    record["transaction"],
                    kind,
                    record["displayed_as"],
                )


# --- Reconciliations ----------------------------------------------------------------------------


def _previous(biz: Business, bank: str, day: str, own: str) -> Record | None:
    earlier = [
        r
        for r in biz.collection(RECONCILIATIONS)
        if r["bank_account"]["id"] == bank and r["id"] != own and (r["statement_date"] or "") < day
    ]
    return max(earlier, key=lambda r: r["statement_date"], default=None)


def _booked(biz: Business, ledger: str, after: str | None, until: str) -> tuple[Decimal, Decimal]:
    """Money in and out of a bank's ledger account dated after ``after`` up to ``until``."""
    received = paid = ZERO
    for posting in res.entries(biz):
        if (
            posting.account == ledger
            and (after is None or posting.date > after)
            and posting.date <= until
        ):
            received += posting.debit
            paid += posting.credit
    return received, paid


def _write_reconciliation(biz: Business, data: Data, current: Record | None) -> Record:
    """The figures of [S2]'s example obey closing = starting + received - paid and
    difference = statement end - reconciled; the sandbox keeps them so (a figure sent that
    disagrees is a 422, inferred). Omitted figures come from the books (inferred): the
    starting balance is the previous reconciliation's closing balance, received and paid are
    the bank's ledger postings since it, and the reconciled balance is the closing balance."""
    problems: list[tuple[str, str]] = []
    old = current or {}
    key = data.get("bank_account_id", (old.get("bank_account") or {}).get("id"))
    bank = _collect(problems, bank_account, biz, key, "bank_account_id")
    raw_day = data.get("statement_date", old.get("statement_date"))
    day = (
        _collect(problems, parse_date, raw_day, "statement_date")
        if raw_day is not None
        else biz.clock.now().date()
    )
    status = data.get("status_id", (old.get("status") or {}).get("id", "DRAFT"))
    if status not in STATUSES:
        problems.append(("status_id", "is invalid"))
    given: dict[str, Decimal] = {}
    for name in _RECONCILIATION_MONEY:
        raw = data.get(name, old.get(name) if name not in _DERIVED else None)
        if raw is not None:
            value = _collect(problems, parse_decimal, raw, name)
            if value is not None:
                given[name] = value
    if problems:
        raise invalid(*problems)
    assert bank is not None
    assert day is not None
    statement_date = day.isoformat()
    before = _previous(biz, bank["id"], statement_date, old.get("id", ""))
    starting = given.get("starting_balance", Decimal(before["closing_balance"]) if before else ZERO)
    received, paid = _booked(
        biz,
        bank["ledger_account"]["id"],
        before["statement_date"] if before else None,
        statement_date,
    )
    received = given.get("total_received", received)
    paid = given.get("total_paid", paid)
    closing = starting + received - paid
    reconciled = given.get("reconciled_balance", closing)
    end = given.get("statement_end_balance", ZERO)
    difference = end - reconciled
    for name, value in (("closing_balance", closing), ("balance_difference", difference)):
        if name in data and given.get(name) != value:
            problems.append((name, f"must be {money_text(value)}"))
    if problems:
        raise invalid(*problems)
    record = dict(current) if current is not None else biz.stamped(RECONCILIATIONS, "")
    record.update(
        {
            "bank_account": link(bank),
            "statement_date": statement_date,
            "statement_end_balance": money_text(end),
            "reference": text(data.get("reference", old.get("reference"))) or None,
            "total_received": money_text(received),
            "total_paid": money_text(paid),
            "starting_balance": money_text(starting),
            "closing_balance": money_text(closing),
            "reconciled_balance": money_text(reconciled),
            "balance_difference": money_text(difference),
            # [S2]'s example: the status is {id, displayed_as}, with no $path.
            "status": {"id": status, "displayed_as": STATUSES[status]},
        }
    )
    # "Bank Account (1200) - 2023-05-31" in [S2]'s example: the bank account, the date.
    record["displayed_as"] = f"{bank['displayed_as']} - {statement_date}"
    if current is not None:
        record["updated_at"] = biz.clock.stamp()
    return biz.save(RECONCILIATIONS, record)


#: Figures worked out on every write: a stored one is not carried into the next update.
_DERIVED = frozenset({"closing_balance", "balance_difference"})


# --- List filters -------------------------------------------------------------------------------


def _matches(biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    def check(record: Record, q: Mapping[str, str]) -> bool:
        day = record.get("date") or ""
        if q.get("from_date") and day < q["from_date"]:
            return False
        if q.get("to_date") and day > q["to_date"]:
            return False
        wanted = q.get("bank_account_id")
        return not wanted or record["bank_account"]["id"] == wanted

    return check


# --- Registration -------------------------------------------------------------------------------

_DATED = frozenset({"from_date", "to_date"})

register(
    Resource(
        TRANSFERS,
        "bank_transfer",
        create=lambda biz, data: _write_transfer(biz, data, None),
        update=lambda biz, record, data: _write_transfer(biz, data, record),
        simulated=TRANSFER_IN,
        filters=_DATED,
        matches=_matches,
        sortable=SORTABLE,
        ledger=_ledger,
    )
)
register(
    Resource(
        DEPOSITS,
        "bank_deposit",
        # [S1]: GET, POST on the list; GET, DELETE on a deposit (no PUT).
        on_record=READ_DELETE,
        create=_create_deposit,
        simulated=DEPOSIT_IN,
        filters=_DATED,
        matches=_matches,
        sortable=SORTABLE,
    )
)
register(
    Resource(
        RECONCILIATIONS,
        "bank_reconciliation",
        # [S1]: GET, POST on the list; GET, PUT on a reconciliation (no DELETE).
        on_collection=READ_CREATE,
        on_record=READ_UPDATE,
        create=lambda biz, data: _write_reconciliation(biz, data, None),
        update=lambda biz, record, data: _write_reconciliation(biz, data, record),
        simulated=RECONCILIATION_IN,
        filters=frozenset({"bank_account_id"}),
        matches=_matches,
    )
)
