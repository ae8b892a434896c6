"""Journal entries with Sage GE's rules checked first: ``checkEntries`` reports what Sage GE
would reject (a flow that wants to report instead of fail), ``createJournalEntry`` refuses
locally and sends nothing when a rule is broken."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sage_ge._books import entry_body, post, read_books, refusal_problems
from sage_ge._lookups import JOURNALS
from sage_ge._markers import JOURNAL_ENTRY
from sage_ge._pack import PACK
from sage_ge._paging import ListInputs, list_action
from sage_ge._records import Entry as EntryRecord
from sage_ge._rules import (
    AnalyticShare,
    Entry,
    EntryLine,
    FiscalYear,
    JournalCode,
    Refusal,
    check_entries,
    document_number,
    marker,
    prepare,
)
from sageflow._component import READ_ONLY, Action, Inputs
from sageflow._errors import InputValidationError
from sageflow._types import Date

_LINES = [
    {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "Facture F2026-012",
     "debit": "120.00"},
    {"account": "706000", "label": "Facture F2026-012", "credit": "100.00", "vatCode": "20",
     "analytic": [{"plan": "1", "account": "PARIS", "percentage": "100"}]},
    {"account": "445710", "label": "TVA Facture F2026-012", "credit": "20.00"},
]  # fmt: skip
_ENTRY = {"journalCode": "VE", "date": "2026-03-10", "lines": _LINES}


class CheckEntriesInputs(Inputs):
    entries: list[Entry] = Field(
        min_length=1, max_length=1000, description="The entries to check.", examples=[[_ENTRY]]
    )
    today: Date | None = Field(
        default=None,
        description="Today for the open-year rule; Chift's Date header when not given.",
        examples=["2026-03-15"],
    )
    fiscalYears: list[FiscalYear] | None = Field(
        default=None,
        min_length=1,
        description=(
            "The dossier's fiscal years, when the flow knows them; otherwise they are read "
            "from Chift's GET /bookyears, which Chift serves for Sage GE on request."
        ),
    )


class Checked(BaseModel):
    documentNumber: str = Field(description="The technical document number it will carry.")
    marker: str = Field(description="The #AAAAA# marker its comment will carry.")


class CheckEntriesOutput(BaseModel):
    ok: bool = Field(description="Whether Sage GE would take every entry.")
    refusals: list[Refusal] = Field(description="Every broken rule, in entry and line order.")
    entries: list[Checked] = Field(description="Per entry, what it will be sent with.")


@PACK.component(
    key="checkEntries",
    title="Check Entries",
    description=(
        "Check journal entries against Sage GE's rules without sending them: open fiscal "
        "years, posting date, closed journals, collective accounts (401/411) without an "
        "auxiliary account, debit or credit, balance, unique document numbers. Reads the "
        "dossier's journals (GET /journals) and fiscal years (given, or GET /bookyears)."
    ),
    inputs=CheckEntriesInputs,
    output=CheckEntriesOutput,
    annotations=READ_ONLY,
    example_input={"entries": [_ENTRY], "today": "2026-03-15"},
    example_output={
        "ok": False,
        "refusals": [
            {
                "rule": "COLLECTIVE_NEEDS_AUXILIARY",
                "entry": 0,
                "line": 0,
                "message": "account 411000 is a collective account and the line has no auxiliary "
                "(third-party) account.",
                "fix": "set auxiliaryAccount to the customer's or supplier's account (e.g. "
                "CDUPONT).",
            },
        ],
        "entries": [{"documentNumber": "SF3C1F0A9B2D4E", "marker": "#QKZTA#"}],
    },
    # Live with fiscalYears given; without, it reads GET /bookyears, which Chift serves for
    # Sage GE on request (as createJournalEntry does).
    availability="live",
)
def check_entries_component(inputs: CheckEntriesInputs) -> Action:
    read = yield from read_books(inputs.today, inputs.fiscalYears)
    refusals = check_entries(inputs.entries, read["books"])
    return {
        "ok": not refusals,
        "refusals": [r.model_dump() for r in refusals],
        "entries": [
            {"documentNumber": document_number(e), "marker": marker(e)} for e in inputs.entries
        ],
    }


class CreateJournalEntryInputs(Inputs):
    journalCode: JournalCode
    date: Date = Field(
        description="The posting date: it decides the fiscal year.", examples=["2026-03-10"]
    )
    lines: list[EntryLine] = Field(
        min_length=1, description="At least two lines, debits equal to credits."
    )
    comment: str | None = Field(
        default=None, max_length=1000, description="The comment.", examples=["Import Qonto"]
    )
    documentNumber: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Za-z_-]{1,20}$",
        description="Unique technical document number; derived from the entry when absent.",
        examples=["QONTO-000123"],
    )
    reference: str | None = Field(
        default=None, max_length=100, description="Piece reference.", examples=["F2026-012"]
    )
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO currency.")
    today: Date | None = Field(
        default=None,
        description="Today for the open-year rule; Chift's Date header when not given.",
        examples=["2026-03-15"],
    )
    createMissingAccounts: bool = Field(
        default=False,
        description="Let Sage GE create a missing general account, labelled 'Compte <number>'.",
    )
    fiscalYears: list[FiscalYear] | None = Field(
        default=None,
        min_length=1,
        description=(
            "The dossier's fiscal years, when the flow knows them; otherwise they are read "
            "from Chift's GET /bookyears, which Chift serves for Sage GE on request."
        ),
    )

    def entry(self) -> Entry:
        return Entry(
            journalCode=self.journalCode,
            date=self.date,
            lines=tuple(self.lines),
            comment=self.comment,
            documentNumber=self.documentNumber,
            reference=self.reference,
            currency=self.currency,
        )


class CreateJournalEntryOutput(BaseModel):
    entry: EntryRecord = Field(description="The entry as Chift answered it.")
    documentNumber: str = Field(description="The technical document number sent.")
    marker: str = Field(description="The #AAAAA# marker its comment carries.")
    cutLabels: list[int] = Field(description="Lines whose bank label was cut at 30 characters.")


_CREATED: dict[str, Any] = {
    "id": "E-2026-0042", "journal_id": "1", "journal_name": "Ventes", "date": "2026-03-10",
    "reference": "#QKZTA#", "posted": True, "items": [],
}  # fmt: skip


@PACK.component(
    key="createJournalEntry",
    title="Create Journal Entry",
    description=(
        "Create a journal entry (écriture) in Sage GE (POST /journal-entries through Chift), "
        "after checking Sage GE's rules on the dossier's journals and fiscal years (given, or "
        "read from GET /bookyears, which Chift serves on request): a broken "
        "rule is refused here, naming the rule, the line and the fix, and nothing is sent. "
        "Bank-journal labels over 30 characters are cut, the full text moved to the comment "
        "with the #AAAAA# marker; the technical document number is set. A create whose "
        "outcome is unknown (a dropped connection, a resumed run) is looked for by its marker "
        "and adopted rather than sent again."
    ),
    inputs=CreateJournalEntryInputs,
    output=CreateJournalEntryOutput,
    marker=JOURNAL_ENTRY,
    example_input={**_ENTRY, "today": "2026-03-15"},
    example_output={
        "entry": _CREATED,
        "documentNumber": "SF3C1F0A9B2D4E",
        "marker": "#QKZTA#",
        "cutLabels": [],
    },
    availability="live",
)
def create_journal_entry(inputs: CreateJournalEntryInputs) -> Action:
    entry = inputs.entry()
    read = yield from read_books(inputs.today, inputs.fiscalYears)
    books = read["books"]
    refusals = check_entries([entry], books)
    if refusals:
        raise InputValidationError("sage_ge/createJournalEntry", refusal_problems(refusals))
    journal = books.journal(entry.journalCode)
    assert journal is not None  # check_entries refused an unknown journal
    prepared = prepare(entry, journal)
    body = entry_body(prepared.entry, journal, create_missing=inputs.createMissingAccounts)
    created = yield from post(body)
    return {
        "entry": created,
        "documentNumber": prepared.documentNumber,
        "marker": prepared.marker,
        "cutLabels": list(prepared.cutLabels),
    }


__all__ = ["AnalyticShare", "check_entries_component", "create_journal_entry"]


class FindJournalEntryInputs(Inputs):
    marker: str = Field(
        pattern=r"^#[A-Z]{5}#$",
        description="The #AAAAA# marker createJournalEntry or checkEntries gave the entry.",
        examples=["#QKZTA#"],
    )
    date: Date = Field(description="The entry's posting date.", examples=["2026-03-10"])
    journalId: str | None = Field(
        default=None, min_length=1, description="The journal's id, to read fewer entries.",
        examples=["1"], json_schema_extra=JOURNALS,
    )  # fmt: skip
    unpostedAllowed: bool = Field(default=True, description="Look among unposted entries too.")


class FindJournalEntryOutput(BaseModel):
    found: bool = Field(description="Whether Sage GE holds an entry with this marker.")
    entries: list[EntryRecord] = Field(description="The entries carrying it (one, normally).")


@PACK.component(
    key="findJournalEntry",
    title="Find Journal Entry",
    description=(
        "Verify that an entry reached Sage GE: the entries of its posting date (GET "
        "/journal/entries through Chift; live) whose reference carries its #AAAAA# marker."
    ),
    inputs=FindJournalEntryInputs,
    output=FindJournalEntryOutput,
    annotations=READ_ONLY,
    example_input={"marker": "#QKZTA#", "date": "2026-03-10", "journalId": "1"},
    example_output={"found": True, "entries": [_CREATED]},
    availability="live",
)
def find_journal_entry(inputs: FindJournalEntryInputs) -> Action:
    query: dict[str, Any] = {
        "unposted_allowed": inputs.unpostedAllowed,
        "date_from": inputs.date.isoformat(),
        "date_to": inputs.date.isoformat(),
    }
    if inputs.journalId is not None:
        query["journal_id"] = inputs.journalId
    listing = yield from list_action("/journal/entries", ListInputs(fetchAll=True), query)
    found = [
        e for e in listing["items"]
        if isinstance(e, dict) and inputs.marker in str(e.get("reference") or "")
    ]  # fmt: skip
    return {"found": bool(found), "entries": found}
