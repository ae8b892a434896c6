"""Reading what the rules check against (fiscal years and journals) and sending an entry in
Chift's shape: the two halves of a checked create, shared by checkEntries and
createJournalEntry."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from sage_ge._paging import ListInputs, list_action
from sage_ge._rules import (
    Books,
    Entry,
    FiscalYear,
    Journal,
    Refusal,
    missing_account_label,
    third_party_type,
)
from sageflow._component import Action
from sageflow._errors import FieldProblem, InputValidationError
from sageflow._values import HTTPRequest, HTTPResponse

_ALL = ListInputs(fetchAll=True)
_CODE = re.compile(r"[0-9A-Z]{1,6}")
_RULE_FIELDS = {
    "POSTING_DATE_IN_OPEN_YEAR": "date",
    "JOURNAL_OPEN": "journalCode",
    "JOURNAL_SCOPE": "journalCode",
    "ENTRY_HAS_LINES": "lines",
    "ENTRY_BALANCED": "lines",
    "DOCUMENT_NUMBER_UNIQUE": "documentNumber",
}
_LINE_FIELDS = {
    "COLLECTIVE_NEEDS_AUXILIARY": "auxiliaryAccount",
    "AUXILIARY_NEEDS_THIRD_PARTY_ACCOUNT": "auxiliaryAccount",
}


def server_date(response: HTTPResponse) -> date | None:
    """The day by Chift's ``Date`` header (the server's clock, so a replay reads the same)."""
    raw = response.header("date")
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw).date()
    except (TypeError, ValueError):
        return None


def _listing(path: str, first: list[HTTPResponse]) -> Action:
    """Every page of ``path``, keeping the first response (its Date header is today when the
    caller gave none)."""
    listing = list_action(path, _ALL)
    request = next(listing)
    while True:
        response = yield request
        if not first:
            first.append(response)
        try:
            request = listing.send(response)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


def read_books(today: date | None, years_given: Sequence[FiscalYear] | None = None) -> Action:
    """The dossier's journals and fiscal years (the caller's, or every page of ``/bookyears``),
    as ``{"books": Books}``."""
    first: list[HTTPResponse] = []
    if years_given is None:
        years = yield from _listing("/bookyears", first)
        fiscal = tuple(
            FiscalYear(start=y["start"], end=y["end"], closed=bool(y.get("closed")),
                       name=y.get("name"))
            for y in years["items"]
        )  # fmt: skip
    else:
        fiscal = tuple(years_given)
    journals = yield from _listing("/journals", first)
    day = today or server_date(first[0])
    if day is None:
        raise InputValidationError(
            "sage_ge",
            [FieldProblem("$.today", "Chift sent no Date header: give today (YYYY-MM-DD)")],
        )
    books = Books(
        today=day,
        fiscalYears=fiscal,
        journals=tuple(
            Journal(code=j["code"], kind=_kind(j.get("journal_type")),
                    closed=bool(j.get("blocked")), id=str(j["id"]))
            for j in journals["items"]
            # A code an entry cannot name (Entry.journalCode's pattern) cannot be posted to.
            if isinstance(j.get("code"), str) and _CODE.fullmatch(j["code"])
        ),
    )  # fmt: skip
    return {"books": books}


def _kind(value: Any) -> Any:
    known = {
        "customer_invoice", "customer_refund", "supplier_invoice", "supplier_refund",
        "financial_operation", "miscellaneous_operation",
    }  # fmt: skip
    return value if value in known else "unknown"


def refusal_problems(refusals: Sequence[Refusal], prefix: str = "$") -> list[FieldProblem]:
    """Refusals as field problems: the path a flow author fixes, the rule and the fix."""
    problems = []
    for refusal in refusals:
        base = (
            prefix
            if refusal.entry is None or prefix != "$.entries"
            else (f"{prefix}[{refusal.entry}]")
        )
        if refusal.line is not None:
            path = f"{base}.lines[{refusal.line}]"
            if refusal.rule in _LINE_FIELDS:
                path += "." + _LINE_FIELDS[refusal.rule]
        elif refusal.entry is not None and refusal.rule in _RULE_FIELDS:
            path = f"{base}.{_RULE_FIELDS[refusal.rule]}"
        else:
            path = base
        problems.append(
            FieldProblem(path, f"[{refusal.rule}] {refusal.message} Fix: {refusal.fix}")
        )
    return problems


def _number(amount: Decimal) -> int | float:
    # Chift's debit and credit are JSON numbers; an amount of at most 2 decimals prints back
    # exactly as a float (shortest round-trip repr).
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def entry_body(entry: Entry, journal: Journal, *, create_missing: bool) -> dict[str, Any]:
    """A prepared entry as Chift's ``GenericJournalEntry``.

    Chift's unified entry has no comment field: the comment (with the full bank labels and the
    marker) goes in ``reference``, Chift's "external or contextual identifier" of the entry,
    after the caller's own reference.
    """
    reference = " ".join(p for p in (entry.reference, entry.comment) if p)
    items = []
    for line in entry.lines:
        item: dict[str, Any] = {
            "account_type": "general_account",
            "account": line.account,
            "description": line.label,
            "debit": _number(line.debit),
            "credit": _number(line.credit),
        }
        kind = third_party_type(line.account) if line.auxiliaryAccount else None
        if kind is not None:
            item["account_type"] = kind
            item["account"] = line.auxiliaryAccount
            item["force_general_account"] = line.account
        elif create_missing:
            item["account_info"] = {
                "account_number": line.account,
                "account_name": missing_account_label(line.account),
            }
        if line.vatCode:
            item["tax_code"] = line.vatCode
        if line.analytic:
            plans: dict[str, list[dict[str, Any]]] = {}
            for share in line.analytic:
                plans.setdefault(share.plan, []).append(
                    {"analytic_account": share.account, "percentage": _number(share.percentage)}
                )
            item["analytic_distribution"] = [
                {"analytic_plan": plan, "analytic_accounts": accounts}
                for plan, accounts in plans.items()
            ]
        items.append(item)
    body: dict[str, Any] = {
        "journal_id": journal.id or journal.code,
        "number": entry.documentNumber,
        "currency": entry.currency,
        "date": entry.date.isoformat(),
        "items": items,
    }
    if reference:
        body["reference"] = reference
    return body


def post(body: dict[str, Any]) -> Action:
    response = yield HTTPRequest("POST", "/journal-entries", json=body)
    created = response.json()
    if not isinstance(created, dict):
        raise ValueError("POST /journal-entries did not answer an entry")
    return created
