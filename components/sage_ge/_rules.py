"""Sage Génération Experts' entry rules, pure and in one place: what makes Sage GE reject an
entry, checked before anything is sent.

Source: the Sage GE rules issue 15 quotes from Qonto's Sage GE synchronisation documentation
(open fiscal years, posting date, closed journals, collective accounts, bank labels, the
``#AAAAA#`` marker and the technical document number) and Chift's own validation errors
(``ERROR_ENTRY_NOT_BALANCED``, "debit or credit must be 0"). Nothing here performs I/O: the
components pass in the books (fiscal years, journals) they read and today's date.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sage_ge import _lookups
from sageflow._types import Date, Money

#: Sage GE cuts a bank entry's line label at this many characters.
BANK_LABEL_LIMIT = 30
#: The collective (control) accounts of the French PCG that need an auxiliary account:
#: 401 suppliers, 411 customers (a firm may add others, e.g. 421 staff, through ``Books``).
COLLECTIVE_PREFIXES = ("401", "411")
#: Letters of the ``#AAAAA#`` marker.
MARKER_LENGTH = 5
CENT = Decimal("0.01")

Rule = Literal[
    "OPEN_YEAR_COVERS_TODAY",
    "AT_MOST_TWO_OPEN_YEARS",
    "OPEN_YEARS_CONSECUTIVE",
    "ENTRY_HAS_LINES",
    "POSTING_DATE_IN_OPEN_YEAR",
    "JOURNAL_OPEN",
    "JOURNAL_SCOPE",
    "COLLECTIVE_NEEDS_AUXILIARY",
    "AUXILIARY_NEEDS_THIRD_PARTY_ACCOUNT",
    "LINE_DEBIT_OR_CREDIT",
    "ENTRY_BALANCED",
    "DOCUMENT_NUMBER_UNIQUE",
]

#: A PCG general account: digits only (Sage GE pads them, e.g. 411000).
AccountNumber = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{3,13}$",
        description="A general account number of the chart of accounts (PCG), digits only.",
        examples=["411000"],
    ),
]
#: A subsidiary (third-party) account: Sage GE's auxiliary codes are upper-case letters/digits.
AuxiliaryAccount = Annotated[
    str,
    Field(
        pattern=r"^[0-9A-Z]{1,17}$",
        description="The auxiliary (third-party) account: upper-case letters and digits.",
        examples=["CDUPONT"],
    ),
]
JournalCode = Annotated[
    str,
    Field(
        pattern=r"^[0-9A-Z]{1,6}$",
        description="The journal's code (VE sales, AC purchases, BQ bank, OD miscellaneous).",
        examples=["VE"],
        json_schema_extra=_lookups.JOURNAL_CODES,
    ),
]
Amount = Annotated[Money, Field(ge=0, decimal_places=2, description="Euros, at most 2 decimals.")]


_Refuse = Callable[[Rule, int | None, str, str], None]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnalyticShare(_Model):
    """Part of a line's amount attributed to an analytic account of one plan."""

    plan: str = Field(min_length=1, description="The analytic plan's id.", examples=["1"])
    account: str = Field(min_length=1, description="The analytic account.", examples=["PARIS"])
    percentage: Annotated[Money, Field(gt=0, le=100)] = Field(
        description="Share of the line's untaxed amount, in percent.", examples=[100]
    )


def analytic_shares_problem(shares: Sequence[AnalyticShare]) -> None:
    """Chift's ``AnalyticDistributionDetail.percentage``: "Only whole numbers (no decimals) are
    allowed. The total across the analytic distribution (all accounts in a given analytic plan)
    must equal 100%". Raises ValueError naming the share or plan that breaks it."""
    totals: dict[str, Decimal] = {}
    for share in shares:
        if share.percentage != share.percentage.to_integral_value():
            raise ValueError(
                f"analytic: {share.percentage} % on {share.account}: Chift takes whole "
                "percentages only"
            )
        totals[share.plan] = totals.get(share.plan, Decimal(0)) + share.percentage
    for plan, total in totals.items():
        if total != 100:
            raise ValueError(f"analytic: plan {plan}'s percentages add up to {total}, not 100")


class EntryLine(_Model):
    """One line of an entry (écriture): an account debited or credited."""

    account: AccountNumber = Field(json_schema_extra=_lookups.ACCOUNTS)
    auxiliaryAccount: AuxiliaryAccount | None = None
    label: str = Field(
        min_length=1, max_length=255, description="The line's label (libellé).",
        examples=["Facture F2026-012"],
    )  # fmt: skip
    debit: Amount = Decimal(0)
    credit: Amount = Decimal(0)
    vatCode: str | None = Field(
        default=None,
        min_length=1,
        description="The VAT code's id (code TVA).",
        examples=["20"],
        json_schema_extra=_lookups.VAT_CODES,
    )
    analytic: tuple[AnalyticShare, ...] = Field(
        default=(),
        description=(
            "Analytic distribution (ventilation analytique): per plan, whole percentages adding "
            "up to 100; several plans (axes) may share the line."
        ),
    )

    @model_validator(mode="after")
    def _distribution(self) -> EntryLine:
        analytic_shares_problem(self.analytic)
        return self


class Entry(_Model):
    """A journal entry (écriture) as a flow gives it."""

    journalCode: JournalCode
    date: Date = Field(
        description="The posting date: it decides the fiscal year.", examples=["2026-03-10"]
    )
    lines: tuple[EntryLine, ...] = Field(description="At least two lines, debit = credit.")
    comment: str | None = Field(
        default=None, max_length=1000, description="The comment.", examples=["Import Qonto"]
    )
    documentNumber: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Za-z_-]{1,20}$",
        description=(
            "Unique technical document number (numéro de pièce); derived from the entry's "
            "content when absent."
        ),
        examples=["QONTO-000123"],
    )
    reference: str | None = Field(
        default=None, max_length=100, description="Piece reference.", examples=["F2026-012"]
    )
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO currency.")


class FiscalYear(_Model):
    """A fiscal year (exercice) of the dossier, as Chift's ``/bookyears`` gives it."""

    start: Date = Field(description="First day.", examples=["2026-01-01"])
    end: Date = Field(description="Last day.", examples=["2026-12-31"])
    closed: bool = Field(default=False, description="Closed (clôturé): takes no entry.")
    name: str | None = Field(default=None, description="Its name.", examples=["2026"])


#: Chift's ``JournalType``: bank and cash journals are ``financial_operation``.
JournalKind = Literal[
    "customer_invoice",
    "customer_refund",
    "supplier_invoice",
    "supplier_refund",
    "financial_operation",
    "miscellaneous_operation",
    "unknown",
]
#: Where an auxiliary account belongs: the PCG's third-party classes (401 suppliers, 411
#: customers, 421 staff), as Chift's line types name them.
THIRD_PARTY_CLASSES = (
    ("40", "supplier_account"),
    ("41", "customer_account"),
    ("42", "employee_account"),
)


def third_party_type(account: str) -> str | None:
    """Chift's ``account_type`` for an auxiliary account under this general account, if any."""
    return next((kind for prefix, kind in THIRD_PARTY_CLASSES if account.startswith(prefix)), None)


class Journal(_Model):
    """A journal of the dossier: its code, kind and whether it takes entries."""

    code: JournalCode
    kind: JournalKind = Field(
        default="miscellaneous_operation",
        description="Chift's journal_type; bank and cash journals are financial_operation.",
    )
    closed: bool = Field(default=False, description="Closed or blocked: takes no entry.")
    id: str | None = Field(default=None, description="Chift's id of the journal.")


class Books(_Model):
    """What the rules check an entry against."""

    today: Date
    fiscalYears: tuple[FiscalYear, ...]
    journals: tuple[Journal, ...]
    collectivePrefixes: tuple[str, ...] = COLLECTIVE_PREFIXES

    def journal(self, code: str) -> Journal | None:
        return next((j for j in self.journals if j.code == code), None)


class Refusal(_Model):
    """One broken rule: which, where, and what to do about it."""

    rule: Rule
    entry: int | None = Field(description="The entry's position in the batch (0-based).")
    line: int | None = Field(description="The line's position in the entry (0-based).")
    message: str
    fix: str

    def __str__(self) -> str:
        where = "" if self.entry is None else f"entry {self.entry}"
        if self.line is not None:
            where += f", line {self.line}"
        return f"[{self.rule}] {where + ': ' if where else ''}{self.message} Fix: {self.fix}"


# -- fiscal years --------------------------------------------------------------------------------


def open_years(years: Iterable[FiscalYear]) -> list[FiscalYear]:
    return sorted((y for y in years if not y.closed), key=lambda y: y.start)


def check_fiscal_years(books: Books) -> list[Refusal]:
    """The dossier's own state: Sage GE takes no entry at all while one of these is broken."""
    refusals: list[Refusal] = []
    opened = open_years(books.fiscalYears)
    if not any(y.start <= books.today <= y.end for y in opened):
        refusals.append(
            Refusal(
                rule="OPEN_YEAR_COVERS_TODAY",
                entry=None,
                line=None,
                message=f"no open fiscal year covers today ({books.today.isoformat()}).",
                fix="open the fiscal year that contains today in Sage GE.",
            )
        )
    if len(opened) > 2:
        refusals.append(
            Refusal(
                rule="AT_MOST_TWO_OPEN_YEARS",
                entry=None,
                line=None,
                message=f"{len(opened)} fiscal years are open ({_years(opened)}); Sage GE "
                "allows at most two.",
                fix="close the oldest open fiscal year in Sage GE.",
            )
        )
    for before, after in itertools.pairwise(opened):
        if after.start <= before.end:
            message = f"the open fiscal years {_years([before, after])} overlap."
        elif (after.start - before.end).days != 1:
            message = f"the open fiscal years {_years([before, after])} are not consecutive."
        else:
            continue
        refusals.append(
            Refusal(
                rule="OPEN_YEARS_CONSECUTIVE",
                entry=None,
                line=None,
                message=message,
                fix="the second open year must start the day after the first one ends.",
            )
        )
    return refusals


def _years(years: Sequence[FiscalYear]) -> str:
    return ", ".join(f"{y.start.isoformat()}..{y.end.isoformat()}" for y in years)


def year_of(day: date, years: Iterable[FiscalYear]) -> FiscalYear | None:
    return next((y for y in years if y.start <= day <= y.end), None)


# -- one entry -----------------------------------------------------------------------------------


def check_entry(entry: Entry, books: Books, index: int = 0) -> list[Refusal]:
    """Every rule one entry breaks, in line order; empty when Sage GE would take it."""
    refusals: list[Refusal] = []

    def refuse(rule: Rule, line: int | None, message: str, fix: str) -> None:
        refusals.append(Refusal(rule=rule, entry=index, line=line, message=message, fix=fix))

    if len(entry.lines) < 2:
        refuse(
            "ENTRY_HAS_LINES",
            None,
            f"the entry has {len(entry.lines)} line(s); an entry needs at least two.",
            "give at least one debit line and one credit line.",
        )
    _check_date(entry.date, books, refuse)
    journal = books.journal(entry.journalCode)
    if journal is None:
        known = ", ".join(j.code for j in books.journals) or "none"
        refuse(
            "JOURNAL_OPEN",
            None,
            f"journal {entry.journalCode!r} does not exist in the dossier (journals: {known}).",
            "use one of the dossier's journal codes, or create the journal first.",
        )
    elif journal.closed:
        refuse(
            "JOURNAL_OPEN",
            None,
            f"journal {entry.journalCode} is closed; Sage GE takes no entry in it.",
            "post to an open journal, or reopen this one in Sage GE.",
        )
    debit = credit = Decimal(0)
    for number, line in enumerate(entry.lines):
        if line.auxiliaryAccount is None and line.account.startswith(books.collectivePrefixes):
            refuse(
                "COLLECTIVE_NEEDS_AUXILIARY",
                number,
                f"account {line.account} is a collective account and the line has no "
                "auxiliary (third-party) account.",
                "set auxiliaryAccount to the customer's or supplier's account (e.g. CDUPONT).",
            )
        if line.auxiliaryAccount is not None and third_party_type(line.account) is None:
            refuse(
                "AUXILIARY_NEEDS_THIRD_PARTY_ACCOUNT",
                number,
                f"auxiliary account {line.auxiliaryAccount} is on account {line.account}, which "
                "is not a third-party account (40x suppliers, 41x customers, 42x staff).",
                "put the auxiliary account on the 401/411/421 line, or remove it.",
            )
        if line.debit and line.credit:
            refuse(
                "LINE_DEBIT_OR_CREDIT",
                number,
                f"the line has both a debit ({line.debit}) and a credit ({line.credit}).",
                "split it into a debit line and a credit line, or keep only the difference.",
            )
        elif not line.debit and not line.credit:
            refuse(
                "LINE_DEBIT_OR_CREDIT",
                number,
                "the line has neither a debit nor a credit.",
                "give the line an amount, or remove it.",
            )
        debit += line.debit
        credit += line.credit
    if debit != credit:
        refuse(
            "ENTRY_BALANCED",
            None,
            f"debits ({debit}) and credits ({credit}) differ by {abs(debit - credit)}.",
            "make the total of the debit lines equal the total of the credit lines.",
        )
    return refusals


def _check_date(posting: date, books: Books, refuse: _Refuse) -> None:
    day = posting.isoformat()
    found = year_of(posting, books.fiscalYears)
    opened = open_years(books.fiscalYears)
    latest = opened[-2:]
    if found is None:
        refuse(
            "POSTING_DATE_IN_OPEN_YEAR",
            None,
            f"the posting date {day} is in no fiscal year of the dossier.",
            "date the entry inside an open fiscal year, or create the fiscal year first.",
        )
    elif found.closed:
        refuse(
            "POSTING_DATE_IN_OPEN_YEAR",
            None,
            f"the posting date {day} is in the closed fiscal year "
            f"{found.start.isoformat()}..{found.end.isoformat()}.",
            "date the entry in one of the open fiscal years.",
        )
    elif found not in latest:
        refuse(
            "POSTING_DATE_IN_OPEN_YEAR",
            None,
            f"the posting date {day} is in the open fiscal year "
            f"{found.start.isoformat()}..{found.end.isoformat()}, older than the two most "
            "recent open years; Sage GE rejects it.",
            "date the entry in one of the two most recent open years, or close the older year.",
        )


def check_posting(posting: date, journal_id: str | None, books: Books) -> list[Refusal]:
    """What Sage GE checks of a document it posts itself (an invoice): the dossier's years,
    the posting date's year and, when one is named, the journal (by Chift's id)."""
    refusals = check_fiscal_years(books)

    def refuse(rule: Rule, line: int | None, message: str, fix: str) -> None:
        refusals.append(Refusal(rule=rule, entry=0, line=line, message=message, fix=fix))

    _check_date(posting, books, refuse)
    if journal_id is not None:
        journal = next((j for j in books.journals if j.id == journal_id), None)
        if journal is None:
            refuse("JOURNAL_OPEN", None, f"journal id {journal_id!r} is not in the dossier.",
                   "use a journal id from listJournals.")  # fmt: skip
        elif journal.closed:
            refuse("JOURNAL_OPEN", None, f"journal {journal.code} is closed.",
                   "post to an open journal, or reopen this one in Sage GE.")  # fmt: skip
    return refusals


def check_journal_scope(
    journal: Journal, kinds: Sequence[JournalKind], what: str, index: int = 0
) -> list[Refusal]:
    """A document Chift posts in a journal of one kind (a bank movement in a bank or cash
    journal, an operation in a miscellaneous journal): any other is Chift's
    ``ERROR_JOURNAL_NOT_GOOD_SCOPE`` ("The journal cannot be used for this scope")."""
    if journal.kind in kinds:
        return []
    return [
        Refusal(
            rule="JOURNAL_SCOPE",
            entry=index,
            line=None,
            message=f"journal {journal.code} is a {journal.kind} journal; {what} goes to a "
            f"{' or '.join(kinds)} journal.",
            fix=f"use a {' or '.join(kinds)} journal of the dossier (listJournals).",
        )
    ]


def check_entries(entries: Sequence[Entry], books: Books) -> list[Refusal]:
    """The dossier's state, then every entry, then document numbers unique across the batch."""
    refusals = check_fiscal_years(books)
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        refusals.extend(check_entry(entry, books, index))
        number = document_number(entry)
        if number in seen:
            refusals.append(
                Refusal(
                    rule="DOCUMENT_NUMBER_UNIQUE",
                    entry=index,
                    line=None,
                    message=f"document number {number} is also entry {seen[number]}'s.",
                    fix="give each entry its own documentNumber (identical entries need one).",
                )
            )
        else:
            seen[number] = index
    return refusals


# -- what is sent --------------------------------------------------------------------------------


def _digest(entry: Entry) -> str:
    # Without the comment: the preparation writes the marker into it.
    content = entry.model_dump(mode="json", exclude={"comment"})
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


MARKER = re.compile(r"#[A-Z]{5}#")


def marker(entry: Entry) -> str:
    """``#AAAAA#``: the one already in the entry's comment, or five letters from its content
    (the same entry always gets the same marker, so a resumed run looks for the right one)."""
    found = MARKER.search(entry.comment or "")
    if found:
        return found.group()
    keyed = entry.model_copy(update={"documentNumber": document_number(entry)})
    number = int(_digest(keyed)[:16], 16)
    letters = []
    for _ in range(MARKER_LENGTH):
        number, rest = divmod(number, 26)
        letters.append(chr(ord("A") + rest))
    return "#" + "".join(letters) + "#"


def document_number(entry: Entry) -> str:
    """The caller's technical document number, or one derived from the entry's content."""
    if entry.documentNumber:
        return entry.documentNumber
    return "SF" + _digest(entry)[:12].upper()


def missing_account_label(account: str) -> str:
    """The label Sage GE gives a general account it creates for an entry: 'Compte <number>'."""
    return f"Compte {account}"


class Prepared(_Model):
    """An entry as it is sent: labels cut, comment with the marker, a document number."""

    entry: Entry
    marker: str
    documentNumber: str
    cutLabels: tuple[int, ...] = Field(description="Lines whose label was cut at 30 characters.")


def prepare(entry: Entry, journal: Journal) -> Prepared:
    """Cut bank-entry labels at 30 characters (a journal of Chift's type financial_operation:
    bank or cash), the full text moved to the comment; put the marker in the comment and the
    technical document number on the entry."""
    mark = marker(entry)
    cut: list[int] = []
    lines = []
    full: list[str] = []
    for position, line in enumerate(entry.lines):
        if journal.kind == "financial_operation" and len(line.label) > BANK_LABEL_LIMIT:
            cut.append(position)
            if line.label not in full:
                full.append(line.label)
            line = line.model_copy(update={"label": line.label[:BANK_LABEL_LIMIT]})
        lines.append(line)
    parts = [p for p in (entry.comment, *full) if p]
    if mark not in (entry.comment or ""):
        parts.append(mark)
    number = document_number(entry)
    prepared = entry.model_copy(
        update={"lines": tuple(lines), "comment": " ".join(parts), "documentNumber": number}
    )
    return Prepared(entry=prepared, marker=mark, documentNumber=number, cutLabels=tuple(cut))
