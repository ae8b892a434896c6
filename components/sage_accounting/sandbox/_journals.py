"""Journals, journal codes, quick entries and the ledger they post to (entries, transactions).

Sources: the swagger's postJournals, postJournalCodes, postSalesQuickEntries and
postPurchaseQuickEntries schemas [S1]; Sage's journals guide [G-jnl]; the recorded journals
(journals__get_one__sage-swagger-2025-example.json, journals__post_201__sage-guide-journals.json)
and the split spec's examples of /ledger_entries, /transactions, /transaction_types,
/quick_entry_types and /purchase_quick_entries [S2]. What is inferred says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sage_accounting.sandbox import _resources as res
from sage_accounting.sandbox._registry import (
    READ_DELETE,
    Resource,
    register,
    register_read_only,
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


def _ref(path: str, key: str, shown: str, **extra: Any) -> Record:
    return {"id": key, "displayed_as": shown, "$path": f"/{path}/{key}", **extra}


# ---------------------------------------------------------------------------------------------
# Reference data

#: [S2] /transaction_types example: its first ten of 42 (ids and labels as listed).
_TRANSACTION_TYPES_LISTED = (
    ("BANK_OPENING_BALANCE", "Bank Opening Balance"),
    ("BANK_PAYMENT", "Bank Payment"),
    ("BANK_RECEIPT", "Bank Receipt"),
    ("BANK_TRANSFER", "Bank Transfer"),
    ("CORRECTION", "Correction"),
    ("CUSTOMER_ALLOCATION", "Customer Allocation"),
    ("CUSTOMER_RECEIPT", "Customer Receipt"),
    ("CUSTOMER_REFUND", "Customer Refund"),
    ("DEPOSIT", "Deposit"),
    ("JOURNAL", "Journal"),
)
#: Types the sandbox's own records carry beyond those ten: invoices' (the invoice records'
#: transaction_type), [G-pay]'s payment types and allocations, other payments, credit notes,
#: the purchase quick entry example's
#: VENDOR_OPENING_BALANCE_INVOICE "Supplier OB Invoice"; the quick entry ids are inferred.
_TRANSACTION_TYPES_USED = (
    ("SALES_INVOICE", "Sales Invoice"),
    ("PURCHASE_INVOICE", "Purchase Invoice"),
    ("VENDOR_PAYMENT", "Supplier Payment"),
    ("VENDOR_REFUND", "Supplier Refund"),
    # What the payments and credit note modules post ([S1] their transaction_type fields).
    ("VENDOR_ALLOCATION", "Supplier Allocation"),
    ("OTHER_RECEIPT", "Other Receipt"),
    ("OTHER_PAYMENT", "Other Payment"),
    ("SALES_CREDIT_NOTE", "Sales Credit Note"),
    ("PURCHASE_CREDIT_NOTE", "Purchase Credit Note"),
    ("VENDOR_OPENING_BALANCE_INVOICE", "Supplier OB Invoice"),
    ("SALES_QUICK_ENTRY_INVOICE", "Sales QE Invoice"),
    ("SALES_QUICK_ENTRY_CREDIT_NOTE", "Sales QE Credit Note"),
    ("PURCHASE_QUICK_ENTRY_INVOICE", "Purchase QE Invoice"),
    ("PURCHASE_QUICK_ENTRY_CREDIT_NOTE", "Purchase QE Credit Note"),
)
TRANSACTION_TYPES = dict(_TRANSACTION_TYPES_LISTED + _TRANSACTION_TYPES_USED)
#: [S2] /quick_entry_types example: the whole list ($total 2).
QUICK_ENTRY_TYPES = (("INVOICE", "Invoice"), ("CREDIT_NOTE", "Cr Note"))
#: Journal codes are France/Spain only (dropped from [S2]); [S1] documents no type ids. These
#: four (sales, purchases, bank, miscellaneous: a French chart's journals) are INFERRED.
JOURNAL_CODE_TYPES = (
    ("SALES", "Sales"),
    ("PURCHASES", "Purchases"),
    ("BANK", "Bank"),
    ("OTHER", "Miscellaneous Operations"),
)


def _reference(path: str, rows: Iterable[tuple[str, str]]) -> Callable[[], list[Record]]:
    return lambda: [_ref(path, key, shown) for key, shown in rows]


def transaction_type(key: str) -> Record:
    return _ref("transaction_types", key, TRANSACTION_TYPES.get(key, key))


def _transaction(biz: Business, shown: str) -> Record:
    return _ref("transactions", biz.new_id(), shown)


# ---------------------------------------------------------------------------------------------
# Journals


def _amount(raw: Any, source: str) -> Decimal:
    """A debit, credit or amount: a number, not negative, at most 2 decimals ([G-inv]: "the only
    precision Sage supports")."""
    value = parse_decimal(raw, source)
    if value < 0:
        raise invalid((source, "must be greater than or equal to 0"))
    if value != value.quantize(CENT):
        raise invalid((source, "must have at most 2 decimal places"))
    return value


def create_journal(biz: Business, data: Data) -> Record:
    """postJournals: ``date``, ``reference`` and ``journal_lines`` are required, each line a
    ledger account with a ``debit`` and a ``credit`` (both required), one side per line and
    the whole balanced [G-jnl]. ``total`` is the debits (both recorded journals)."""
    day = parse_date(data.get("date"), "date").isoformat()
    reference = text(data.get("reference"))
    problems = [] if reference else [("reference", "can't be blank")]
    raw_lines = data.get("journal_lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        problems.append(("journal_lines", "can't be blank"))
    if problems:
        raise invalid(*problems)
    assert isinstance(raw_lines, list)
    lines, debits, credits = [], ZERO, ZERO
    for index, line in enumerate(raw_lines):
        where = f"journal_lines[{index}]"
        if not isinstance(line, Mapping):
            raise invalid((where, "is invalid"))
        account = biz.find(
            "ledger_accounts", line.get("ledger_account_id"), f"{where}.ledger_account_id"
        )
        debit = _amount(line.get("debit"), f"{where}.debit")
        credit = _amount(line.get("credit"), f"{where}.credit")
        if debit and credit:
            raise invalid((where, "can have a debit or a credit, not both"))
        if not debit and not credit:
            raise invalid((where, "needs a debit or a credit"))
        debits, credits = debits + debit, credits + credit
        lines.append(
            {
                "id": biz.new_id(),
                "ledger_account": link(account),
                "details": text(line.get("details")) or None,
                "debit": money_text(debit),
                "credit": money_text(credit),
                # [G-jnl] OBSERVED: the reconciliation flags sent as true came back false.
                "include_on_tax_return": bool(line.get("include_on_tax_return", False)),
                "tax_reconciled": False,
                "cleared": False,
                "bank_reconciled": False,
                "journal_line_foreign_currency": {
                    "currency_debit": None,
                    "currency_credit": None,
                    "exchange_rate": None,
                },
            }
        )
    if debits != credits:
        raise invalid(
            ("base", f"The journal does not balance: debits {debits:.2f}, credits {credits:.2f}")
        )
    if data.get("total") is not None and parse_decimal(data["total"], "total") != debits:
        raise invalid(("total", f"must equal the journal's debits ({debits:.2f})"))
    record = biz.stamped("journals", reference)
    record.update(
        transaction=_transaction(biz, reference),
        transaction_type=transaction_type("JOURNAL"),
        date=day,
        reference=reference,
        description=text(data.get("description")) or None,
        total=money_text(debits),
        journal_code=None,
        journal_lines=lines,
        migrated=False,  # [G-jnl] OBSERVED: migrated sent true came back false.
    )
    return biz.save("journals", record)


def reissue_journal(biz: Business, record: Record, data: Data) -> Record:
    """[S1] postJournalsKeyReissue: "Reissues an existing Journal by voiding the existing one
    and creating a new one" (201, the new journal). The voided journal leaves the ledger and
    the list, as a deleted one does (INFERRED: journals show no status to keep it as VOID)."""
    lines = [
        {
            "ledger_account_id": line["ledger_account"]["id"],
            "debit": line["debit"],
            "credit": line["credit"],
            "details": line["details"],
            "include_on_tax_return": line["include_on_tax_return"],
        }
        for line in record["journal_lines"]
    ]
    copy = {k: record[k] for k in ("date", "reference", "description")}
    biz.remove("journals", record["id"])
    return create_journal(biz, {**copy, "journal_lines": lines})


def journal_postings(biz: Business) -> Iterable[Posting]:
    for journal in biz.collection("journals").records.values():
        for line in journal["journal_lines"]:
            yield Posting(
                journal["date"],
                line["ledger_account"]["id"],
                Decimal(line["debit"]),
                Decimal(line["credit"]),
                journal,
                journal["transaction"],
                "JOURNAL",
                line["details"] or "",
            )


# ---------------------------------------------------------------------------------------------
# Journal codes


def _journal_code_fields(biz: Business, data: Data, current: Record | None) -> Record:
    out: Record = {}
    for key in ("name", "code"):
        if key in data or current is None:
            value = text(data.get(key))
            if not value:
                raise invalid((key, "can't be blank"))
            out[key] = value
    if "journal_code_type_id" in data or current is None:
        kind = biz.find(
            "journal_code_types", data.get("journal_code_type_id"), "journal_code_type_id"
        )
        out["journal_code_type"] = link(kind)
    if "control_name" in data:
        out["control_name"] = text(data.get("control_name")) or None
    code = out.get("code")
    if code is not None:
        for other in biz.collection("journal_codes").records.values():
            same = other["code"].casefold() == code.casefold()
            if same and (current is None or other["id"] != current["id"]):
                raise invalid(("code", "has already been taken"))  # INFERRED: unique per business
    return out


def _with_reserved(record: Record, data: Data) -> Record:
    # [S1] JournalCode.reserved: "A journal code is reserved when it has a control name."
    reserved = bool(record.get("control_name")) or bool(data.get("reserved", record["reserved"]))
    name = record["name"]
    return {**record, "reserved": reserved, "displayed_as": f"{name} ({record['code']})"}


def create_journal_code(biz: Business, data: Data) -> Record:
    fields = _journal_code_fields(biz, data, None)
    record = {**biz.stamped("journal_codes", ""), "control_name": None, "reserved": False}
    record.update(fields)
    return biz.save("journal_codes", _with_reserved(record, data))


def update_journal_code(biz: Business, record: Record, data: Data) -> Record:
    updated = {**record, **_journal_code_fields(biz, data, record)}
    updated["updated_at"] = biz.clock.stamp()
    return biz.save("journal_codes", _with_reserved(updated, data))


def delete_journal_code(biz: Business, record: Record, q: Mapping[str, str]) -> None:
    if record["reserved"]:
        # [S1] JournalCode.reserved: "Reserved journal codes cannot be deleted."
        raise invalid(("base", "A reserved journal code cannot be deleted"))
    biz.remove("journal_codes", record["id"])


# ---------------------------------------------------------------------------------------------
# Quick entries: one-line invoices and credit notes, outstanding until paid or allocated


@dataclass(frozen=True)
class _QuickKind:
    collection: str
    contact_type: str
    sale: bool
    prefix: str

    def transaction_type(self, entry_type: str) -> str:
        return f"{self.prefix}_QUICK_ENTRY_{entry_type}"


SALES_QE = _QuickKind("sales_quick_entries", "CUSTOMER", True, "SALES")
PURCHASE_QE = _QuickKind("purchase_quick_entries", "VENDOR", False, "PURCHASE")
QUICK_ENTRY_IN: dict[str, Any] = dict.fromkeys(
    (
        "quick_entry_type_id",
        "date",
        "contact_id",
        "reference",
        "ledger_account_id",
        "details",
        "net_amount",
        "tax_rate_id",
        "tax_amount",
        "total_amount",
    )
)


def _quick_amounts(data: Data, current: Record | None) -> tuple[Decimal, Decimal, Decimal]:
    """Net, tax and total: the tax as sent (0 when omitted, as an invoice line's [G-inv]); the
    total is net + tax; with only a total the net is the rest (INFERRED from the schema, where
    net, tax and total are all optional)."""

    def given(key: str) -> Decimal | None:
        if data.get(key) is not None:
            return _amount(data[key], key)
        return Decimal(current[key]) if current is not None else None

    net, tax, total = given("net_amount"), given("tax_amount") or ZERO, given("total_amount")
    if net is None and total is None:
        raise invalid(("net_amount", "can't be blank (give a net or a total amount)"))
    if net is None:
        assert total is not None
        net = total - tax
    if "total_amount" in data and total is not None and total != net + tax:
        raise invalid(("total_amount", f"must equal net + tax ({net + tax:.2f})"))
    return net, tax, net + tax


def _quick_fields(kind: _QuickKind, biz: Business, data: Data, current: Record | None) -> Record:
    def need(key: str) -> bool:
        return key in data or current is None

    out: Record = {}
    if need("quick_entry_type_id"):
        entry_type = biz.find(
            "quick_entry_types", data.get("quick_entry_type_id"), "quick_entry_type_id"
        )
        out["quick_entry_type"] = link(entry_type)
        out["transaction_type"] = transaction_type(kind.transaction_type(entry_type["id"]))
    if need("date"):
        out["date"] = parse_date(data.get("date"), "date").isoformat()
    if need("contact_id"):
        contact = biz.find("contacts", data.get("contact_id"), "contact_id")
        if kind.contact_type not in {t["id"] for t in contact["contact_types"]}:
            # [G-bp]: a VENDOR on a sales invoice is "can't find customer"; quick entries too.
            who = "customer" if kind.sale else "supplier"
            raise invalid(("contact_id", f"can't find {who}"))
        out.update(
            contact=link(contact),
            contact_name=contact["name"],
            contact_reference=contact.get("reference") or "",
        )
    if need("reference"):
        reference = text(data.get("reference"))
        if not reference:
            raise invalid(("reference", "can't be blank"))
        out["reference"] = out["displayed_as"] = reference
    if need("ledger_account_id"):
        account = biz.find("ledger_accounts", data.get("ledger_account_id"), "ledger_account_id")
        out["ledger_account"] = link(account)
    if need("tax_rate_id"):
        raw = data.get("tax_rate_id")
        out["tax_rate"] = link(biz.find("tax_rates", raw, "tax_rate_id")) if raw else None
    if need("details"):
        out["details"] = text(data.get("details")) or None
    return out


def _quick_record(kind: _QuickKind, biz: Business, record: Record, data: Data) -> Record:
    net, tax, total = _quick_amounts(data, record if "net_amount" in record else None)
    paid = Decimal(record.get("total_paid", "0.0"))
    if paid and total != Decimal(record["total_amount"]):
        raise invalid(("total_amount", "cannot change once payments are allocated"))
    # The schema takes no due_date: [G-inv]'s default for invoices, the date plus the contact's
    # credit days (30 unless set), as the purchase quick entry example shows (+30 days).
    contact = biz.collection("contacts").get(record["contact"]["id"]) or {}
    days = int(contact.get("credit_days") or 30)
    record["due_date"] = (date.fromisoformat(record["date"]) + timedelta(days=days)).isoformat()
    amounts = {"net_amount": net, "tax_amount": tax, "total_amount": total}
    for key, value in amounts.items():
        record[key] = record[f"base_currency_{key}"] = money_text(value)
    record.update(
        total_paid=money_text(paid),
        outstanding_amount=money_text(total - paid),
        base_currency_outstanding_amount=money_text(total - paid),
        # The sandbox books quick entries in the base currency (currency_id is not simulated).
        currency=biz.collection("_settings").records["financial_settings"]["base_currency"],
        exchange_rate="1.0",
        inverse_exchange_rate="1.0",
        tax_breakdown=[],
        base_currency_tax_breakdown=[],
        tax_address_region=None,
        migrated=False,
        trade_of_asset=False,
    )
    if kind is PURCHASE_QE:
        record.update(gst_amount=None, pst_amount=None, tax_recoverable=None)
    # UNPAID, PART_PAID or PAID from what has been paid ([G-inv], as invoices).
    record.setdefault("status", res._status("UNPAID"))
    res._settle(record)
    return record


def quick_entry_kind(
    kind: _QuickKind,
) -> tuple[
    Callable[[Business, Data], Record],
    Callable[[Business, Record, Data], Record],
    Callable[[Business, Record, Mapping[str, str]], None],
]:
    def create(biz: Business, data: Data) -> Record:
        fields = _quick_fields(kind, biz, data, None)
        record = {**biz.stamped(kind.collection, fields["reference"]), **fields}
        record["transaction"] = _transaction(biz, fields["reference"])
        record["status"] = res._status("UNPAID")
        return biz.save(kind.collection, _quick_record(kind, biz, record, data))

    def update(biz: Business, record: Record, data: Data) -> Record:
        changed = {**record, **_quick_fields(kind, biz, data, record)}
        changed["updated_at"] = biz.clock.stamp()
        return biz.save(kind.collection, _quick_record(kind, biz, changed, data))

    def delete(biz: Business, record: Record, q: Mapping[str, str]) -> None:
        if Decimal(record["total_paid"]) != 0:
            # As invoices ([G-inv]): not while payments or allocations stand.
            raise invalid(("base", "A quick entry with payments allocated cannot be deleted"))
        biz.remove(kind.collection, record["id"])

    return create, update, delete


def quick_entry_postings(kind: _QuickKind) -> Callable[[Business], Iterable[Posting]]:
    """A sales quick entry invoice as a one-line sales invoice: debtors (1100) debited with the
    total, the line's account credited with the net and Sales Tax Control (2200) with the VAT;
    a credit note the reverse; purchases through 2100 and 2201 (as ``res.entries``)."""

    def postings(biz: Business) -> Iterable[Posting]:
        control, tax_account = (
            (biz.nominal_codes.get(1100), biz.nominal_codes.get(2200))
            if kind.sale
            else (biz.nominal_codes.get(2100), biz.nominal_codes.get(2201))
        )
        for entry in biz.collection(kind.collection).records.values():
            invoice = entry["quick_entry_type"]["id"] == "INVOICE"
            debit_control = invoice == kind.sale
            made = entry["transaction_type"]["id"]
            for account, amount, debit in (
                (control, entry["total_amount"], debit_control),
                (tax_account, entry["tax_amount"], not debit_control),
                (entry["ledger_account"]["id"], entry["net_amount"], not debit_control),
            ):
                value = Decimal(amount)
                if account is None or not value:
                    continue
                yield Posting(
                    entry["date"],
                    account,
                    value if debit else ZERO,
                    ZERO if debit else value,
                    entry,
                    entry["transaction"],
                    made,
                    entry["details"] or entry["reference"],
                )

    return postings


def quick_entry_owed(kind: _QuickKind) -> Callable[[Business], Iterable[tuple[str, Decimal]]]:
    """What quick entries add to their contacts' ``show_balance``: an invoice's outstanding
    amount, less a credit note's (as invoices and credit notes count there)."""

    def owed(biz: Business) -> Iterable[tuple[str, Decimal]]:
        for entry in biz.collection(kind.collection).records.values():
            outstanding = Decimal(entry["base_currency_outstanding_amount"])
            sign = 1 if entry["quick_entry_type"]["id"] == "INVOICE" else -1
            yield entry["contact"]["id"], sign * outstanding

    return owed


def _quick_matches(biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    def matches(record: Record, q: Mapping[str, str]) -> bool:
        if q.get("contact_id") and record["contact"]["id"] != q["contact_id"]:
            return False
        if q.get("status_id") and record["status"]["id"] != q["status_id"]:
            return False
        if q.get("from_date") and record["date"] < q["from_date"]:
            return False
        if q.get("to_date") and record["date"] > q["to_date"]:
            return False
        wanted = q.get("search", "").lower()
        return not wanted or any(
            wanted in str(record.get(k) or "").lower() for k in ("reference", "contact_name")
        )

    return matches


# ---------------------------------------------------------------------------------------------
# Ledger entries and transactions: views of the postings ``ledger_totals`` also sums


def _entry_id(posting: Posting, index: int) -> str:
    # Stable across requests: the same posting of the same record keeps its id.
    seed = f"ledger-entry:{posting.source['$path']}:{index}"
    return hashlib.blake2b(seed.encode(), digest_size=16).hexdigest()


def ledger_entries(biz: Business) -> list[Record]:
    """[S2] LedgerEntry example: ``displayed_as`` is the date; ``deleted`` false; the posting's
    transaction, contact and account. Payments recorded through ``Sandbox.record_payment`` have
    no simulated transaction and are listed with ``transaction`` null."""
    out, seen = [], dict[str, int]()
    accounts = biz.collection("ledger_accounts")
    for posting in res.entries(biz):
        source = posting.source
        index = seen[source["$path"]] = seen.get(source["$path"], -1) + 1
        key = _entry_id(posting, index)
        account = accounts.get(posting.account)
        out.append(
            {
                **_ref("ledger_entries", key, posting.date),
                "created_at": source["created_at"],
                "updated_at": source["updated_at"],
                "date": posting.date,
                "credit": money_text(posting.credit),
                "debit": money_text(posting.debit),
                "ledger_account": link(account) if account else None,
                "transaction": posting.transaction,
                "transaction_type": transaction_type(posting.transaction_type),
                "contact": source.get("contact"),
                "deleted": False,
                "tax_rate": None,
                "description": posting.details or None,
                "journal_code": None,
            }
        )
    return out


def transactions(biz: Business) -> list[Record]:
    """[S2] Transaction example: one per transaction the postings name; ``total`` the debits in
    base currency, ``reference`` the origin's, ``origin`` the record that made it."""
    found: dict[str, Record] = {}
    for posting in res.entries(biz):
        if posting.transaction is None:
            continue
        key = posting.transaction["id"]
        record = found.get(key)
        if record is None:
            source = posting.source
            total = source.get("total_amount") or source.get("total")
            record = found[key] = {
                **posting.transaction,
                "created_at": source["created_at"],
                "updated_at": source["updated_at"],
                "date": posting.date,
                "deleted": False,
                "reference": source.get("reference") or source["displayed_as"],
                "total": "0.0",
                "total_in_transaction_currency": total,
                "contact": source.get("contact"),
                "transaction_type": transaction_type(posting.transaction_type),
                "origin": {k: source[k] for k in ("id", "displayed_as", "$path")},
                "number_of_attachments": 0,
            }
        record["total"] = money_text(Decimal(record["total"]) + posting.debit)
    return list(found.values())


def _entry_matches(biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    def matches(record: Record, q: Mapping[str, str]) -> bool:
        if q.get("from_date") and record["date"] < q["from_date"]:
            return False
        if q.get("to_date") and record["date"] > q["to_date"]:
            return False
        if (
            q.get("transaction_type_id")
            and record["transaction_type"]["id"] != q["transaction_type_id"]
        ):
            return False
        for key, field in (
            ("transaction_id", "transaction"),
            ("ledger_account_id", "ledger_account"),
            ("journal_code_id", "journal_code"),
        ):
            if q.get(key) and (record.get(field) or {}).get("id") != q[key]:
                return False
        return True

    return matches


def _by_date(record: Record) -> Any:
    return (record["date"], record["created_at"])


# ---------------------------------------------------------------------------------------------
# Registration

_JOURNAL_LINE_IN = dict.fromkeys(
    ("ledger_account_id", "debit", "credit", "details", "include_on_tax_return")
)
_DATED = frozenset({"created_at", "updated_at", "date"})

for _name, _rows in (
    ("transaction_types", _TRANSACTION_TYPES_LISTED + _TRANSACTION_TYPES_USED),
    ("quick_entry_types", QUICK_ENTRY_TYPES),
    ("journal_code_types", JOURNAL_CODE_TYPES),
):
    register_read_only(_name, shared=True, reference=_reference(_name, _rows))

register(
    Resource(
        "journals",
        "journal",
        on_record=READ_DELETE,  # [G-jnl]: journals cannot be edited with PUT; DELETE is 204
        create=create_journal,
        actions={"reissue": reissue_journal},
        simulated={
            "date": None,
            "reference": None,
            "description": None,
            "total": None,
            "journal_lines": [_JOURNAL_LINE_IN],
        },
        ledger=journal_postings,
        sortable=_DATED,
    )
)
register(
    Resource(
        "journal_codes",
        "journal_code",
        create=create_journal_code,
        update=update_journal_code,
        delete=delete_journal_code,
        simulated=dict.fromkeys(
            ("name", "code", "journal_code_type_id", "control_name", "reserved")
        ),
    )
)
for _kind in (SALES_QE, PURCHASE_QE):
    _create, _update, _delete = quick_entry_kind(_kind)
    register(
        Resource(
            _kind.collection,
            _kind.collection.removesuffix("ies") + "y",
            create=_create,
            update=_update,
            delete=_delete,
            simulated=QUICK_ENTRY_IN,
            filters=frozenset({"contact_id", "status_id", "from_date", "to_date", "search"}),
            matches=_quick_matches,
            sortable=_DATED,  # [G-sort]: quick entries sort on created_at, updated_at, date
            ledger=quick_entry_postings(_kind),
            owed=quick_entry_owed(_kind),
        )
    )
_ENTRY_FILTERS = frozenset(
    {
        "from_date",
        "to_date",
        "transaction_id",
        "transaction_type_id",
        "journal_code_id",
        "ledger_account_id",
    }
)
for _name, _view in (("ledger_entries", ledger_entries), ("transactions", transactions)):
    register_read_only(
        _name, view=_view, filters=_ENTRY_FILTERS, matches=_entry_matches, order=_by_date
    )
