"""Sage GE postings beyond journal entries, through Chift (all on request at Chift): invoice
payments (règlements), miscellaneous operations (opérations diverses), financial entries (bank
and cash movements) and invoices with several analytic plans, each checked against Sage GE's
rules (``_rules.py``) before anything is sent, nothing sent when one is broken; and the analytic
accounts of one plan among several (create, get, update).

Sources: Chift's unified OpenAPI (../shared/reference/chift-unified-api-openapi-3.1-spec.json),
operations ``accounting_create_invoice_payment`` (``AccountingInvoicePaymentIn``),
``accounting_create_miscellaneous_operation`` (``MiscellaneousOperationIn``),
``accounting_create_financial_entries`` (``FinancialEntryItemIn``) and
``accounting_create_invoice_multiple_plans`` (``InvoiceItemInMultiAnalyticPlans``),
``accounting_create_analytic_account_multi_plans`` (``AnalyticAccountItemIn``),
``accounting_get_analytic_account_multi_plans`` and
``accounting_update_analytic_account_multi_plans`` (``AnalyticAccountItemUpdate``); the Sage GE
rules issue 15 quotes from Qonto's documentation.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from sage_ge import _lookups, _records
from sage_ge._books import read_books, refusal_problems
from sage_ge._markers import (
    FINANCIAL_ENTRY,
    INVOICE_MULTI_ANALYTIC_PLANS,
    MISCELLANEOUS_OPERATION,
)
from sage_ge._pack import PACK
from sage_ge._rules import (
    AccountNumber,
    AnalyticShare,
    AuxiliaryAccount,
    Books,
    Entry,
    EntryLine,
    FiscalYear,
    Journal,
    JournalCode,
    JournalKind,
    Refusal,
    analytic_shares_problem,
    check_entries,
    check_journal_scope,
    check_posting,
    prepare,
    third_party_type,
)
from sage_ge.invoices import MAX_PDF_CHARS, PDF_NAME, CreateInvoiceInputs, InvoiceLine, invoice_body
from sage_ge.reads import ID_PATTERN, segment
from sageflow._component import IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs
from sageflow._errors import FieldProblem, InputValidationError
from sageflow._options import closed_set
from sageflow._types import Date, Money
from sageflow._values import HTTPRequest

if TYPE_CHECKING:
    OperationStatus = Literal["draft", "posted"]
else:
    OperationStatus = closed_set({"posted": "Posted (validée)", "draft": "Draft (brouillard)"})

#: Chift's amounts: exact euros, at most two decimals.
Cents = Annotated[Money, Field(decimal_places=2)]
Positive = Annotated[Money, Field(gt=0, decimal_places=2)]
Rate = Annotated[Money, Field(gt=0, description="Exchange rate to the dossier's currency.")]
#: A technical document number (numéro de pièce), as createJournalEntry takes it.
DOCUMENT_NUMBER = r"^[0-9A-Za-z_-]{1,20}$"
#: The bank account the checks give a financial entry's bank line when the flow names none
#: (Sage GE takes it from the journal; its number changes no rule, not being a collective).
DEFAULT_BANK_ACCOUNT = "512000"


def _number(amount: Decimal) -> int | float:
    # Chift's amounts are JSON numbers; at most 2 decimals print back exactly as a float.
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _refuse(key: str, refusals: Sequence[Refusal], names: dict[str, str] | None = None) -> None:
    """Stop before sending: every broken rule as a field problem (rule, path, fix)."""
    if not refusals:
        return
    problems = refusal_problems(refusals)
    if names:
        problems = [replace(p, path=names.get(p.path, p.path)) for p in problems]
    raise InputValidationError(f"sage_ge/{key}", problems)


def _journal(books: Books, code: str, key: str) -> Journal:
    journal = books.journal(code)
    if journal is None:
        known = ", ".join(j.code for j in books.journals) or "none"
        raise InputValidationError(
            f"sage_ge/{key}",
            [FieldProblem("$.journalCode", f"[JOURNAL_OPEN] journal {code!r} is not in the "
                          f"dossier (journals: {known}). Fix: use one of its journal codes.")],
        )  # fmt: skip
    return journal


def _posting_checks(
    entry: Entry, books: Books, journal: Journal, kinds: Sequence[JournalKind], what: str
) -> list[Refusal]:
    return [*check_entries([entry], books), *check_journal_scope(journal, kinds, what)]


def _today() -> Any:
    return Field(
        default=None,
        description="Today for the open-year rule; Chift's Date header when not given.",
        examples=["2026-03-15"],
    )


def _years() -> Any:
    return Field(
        default=None,
        min_length=1,
        description=(
            "The dossier's fiscal years, when the flow knows them; otherwise they are read "
            "from Chift's GET /bookyears (on request)."
        ),
    )


#: The currency Sage GE keeps a French dossier's books in.
DOSSIER_CURRENCY = "EUR"


def _rate_given(currency: str, rate: Decimal | None) -> None:
    """Chift's ``currency_exchange_rate``: "Must be filled in when creating the operation in
    another currency from the folder's default currency"."""
    if currency != DOSSIER_CURRENCY and rate is None:
        raise ValueError(
            f"currencyExchangeRate: a {currency} amount needs its exchange rate to "
            f"{DOSSIER_CURRENCY}, the dossier's currency"
        )


def _pdf_checked(pdf: str | None) -> None:
    if pdf is None:
        return
    # Only the first bytes are decoded: a PDF starts with %PDF-, whatever its size.
    if not base64.b64decode(pdf[:8]).startswith(b"%PDF-"):
        raise ValueError("pdf: the base 64 text is not a PDF (it must start with %PDF-)")


# -- financial entries (bank and cash) -------------------------------------------------------


class FinancialVat(Inputs):
    """The VAT of a bank line on a general account (Chift's ``TaxInfo``)."""

    vatCode: str = Field(
        min_length=1, description="The VAT code's id (code TVA).", examples=["20"],
        json_schema_extra=_lookups.VAT_CODES,
    )  # fmt: skip
    amount: Annotated[Money, Field(ge=0, decimal_places=2)] = Field(
        description="The VAT amount, positive; added to the line's amount.", examples=["2.00"]
    )
    vatAccount: AccountNumber | None = Field(
        default=None, description="The VAT account (445660...); needed when amount is not 0.",
        json_schema_extra=_lookups.ACCOUNTS,
    )  # fmt: skip
    reversedVatAccount: AccountNumber | None = Field(
        default=None, description="The reverse-charge VAT account (autoliquidation), if any.",
        json_schema_extra=_lookups.ACCOUNTS,
    )  # fmt: skip
    description: str | None = Field(
        default=None, min_length=1, max_length=255, description="The VAT line's text.",
        examples=["TVA 20 %"],
    )  # fmt: skip

    @model_validator(mode="after")
    def _account(self) -> FinancialVat:
        if self.amount and self.vatAccount is None:
            raise ValueError("vatAccount is required when the VAT amount is not 0 (Chift's rule)")
        return self


class FinancialLine(Inputs):
    """One bank or cash movement (encaissement or décaissement) against one account."""

    account: AccountNumber = Field(
        description="The general account booked against the bank (401000, 627000...).",
        json_schema_extra=_lookups.ACCOUNTS,
    )
    auxiliaryAccount: AuxiliaryAccount | None = Field(
        default=None,
        description="The client's, supplier's or employee's auxiliary account, on 40x/41x/42x.",
    )
    label: str = Field(
        min_length=1, max_length=255, description="The line's label (libellé); cut at 30 "
        "characters in the bank journal, the full text kept in the comment.",
        examples=["Prélèvement SEPA Orange mars"],
    )  # fmt: skip
    amount: Cents = Field(
        description=(
            "Signed euros: positive is money received (encaissement: the bank is debited, this "
            "account credited), negative money paid out (décaissement)."
        ),
        examples=["-49.99"],
    )
    vat: FinancialVat | None = Field(
        default=None, description="VAT on this line (general accounts only)."
    )
    matchingNumber: str | None = Field(
        default=None, min_length=1, max_length=20,
        description="A lettrage code for Sage GE to match this line automatically.",
        examples=["AB12"],
    )  # fmt: skip

    @model_validator(mode="after")
    def _shape(self) -> FinancialLine:
        if self.amount == 0:
            raise ValueError("amount is 0: a bank movement has an amount")
        if self.vat is not None and self.auxiliaryAccount is not None:
            raise ValueError("vat: Chift takes VAT on general-account lines only")
        return self

    def total(self) -> Decimal:
        """What the bank moves: the amount and, in its direction, the VAT."""
        vat = self.vat.amount if self.vat else Decimal(0)
        return self.amount + vat if self.amount > 0 else self.amount - vat


class CreateFinancialEntryInputs(Inputs):
    journalCode: JournalCode = Field(description="The bank or cash journal (BQ, CA...).")
    date: Date = Field(
        description="The posting date: it decides the fiscal year.", examples=["2026-03-12"]
    )
    lines: list[FinancialLine] = Field(
        min_length=1, max_length=500, description="The movements (at least one)."
    )
    comment: str | None = Field(
        default=None, max_length=1000, description="The comment.", examples=["Import Qonto"]
    )
    reference: str | None = Field(
        default=None, max_length=100, description="Your reference (e.g. the invoice paid).",
        examples=["F2026-012"],
    )  # fmt: skip
    documentNumber: str | None = Field(
        default=None, pattern=DOCUMENT_NUMBER,
        description="Unique technical document number; derived from the entry when absent.",
        examples=["QONTO-000123"],
    )  # fmt: skip
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO currency.")
    currencyExchangeRate: Rate | None = Field(
        default=None, description="Exchange rate, for a currency other than the dossier's.",
        examples=["1.0842"],
    )  # fmt: skip
    forceCurrencyExchange: bool = Field(
        default=False, description="Use currencyExchangeRate rather than Sage GE's own rate."
    )
    counterpartAccount: AccountNumber | None = Field(
        default=None,
        description="The bank's general account (512000...), when Sage GE cannot take it from "
        "the journal.",
        json_schema_extra=_lookups.ACCOUNTS,
    )
    answerEarly: bool = Field(
        default=False,
        description="Chift answers before Sage GE has numbered the entry (its "
        "ignore_accounting_id): faster, but the answer may lack the entry's id.",
    )
    pdf: str | None = Field(
        default=None, min_length=8, max_length=MAX_PDF_CHARS, pattern=r"^[A-Za-z0-9+/]+={0,2}$",
        description="A PDF to attach (pièce justificative), base 64 encoded.",
        examples=["JVBERi0xLjQKJcfs"],
    )  # fmt: skip
    pdfName: str | None = Field(
        default=None, pattern=PDF_NAME, description="The attached PDF's file name.",
        examples=["releve-2026-03.pdf"],
    )  # fmt: skip
    today: Date | None = _today()
    fiscalYears: list[FiscalYear] | None = _years()

    @model_validator(mode="after")
    def _pdf(self) -> CreateFinancialEntryInputs:
        _pdf_checked(self.pdf)
        _rate_given(self.currency, self.currencyExchangeRate)
        return self

    def entry(self) -> Entry:
        """The entry Sage GE posts: each movement's line, then the bank's line for each (the
        rules see both; only the movements are sent, Sage GE writes the bank's)."""
        bank = self.counterpartAccount or DEFAULT_BANK_ACCOUNT
        lines: list[EntryLine] = []
        for line in self.lines:
            total = line.total()
            received = total > 0
            lines.append(
                EntryLine(
                    account=line.account, auxiliaryAccount=line.auxiliaryAccount,
                    label=line.label, debit=Decimal(0) if received else -line.amount,
                    credit=line.amount if received else Decimal(0),
                )
            )  # fmt: skip
            if line.vat is not None and line.vat.amount and line.vat.vatAccount is not None:
                lines.append(
                    EntryLine(
                        account=line.vat.vatAccount, label=line.vat.description or line.label,
                        debit=Decimal(0) if received else line.vat.amount,
                        credit=line.vat.amount if received else Decimal(0),
                    )
                )  # fmt: skip
        for line in self.lines:
            total = line.total()
            lines.append(
                EntryLine(
                    account=bank, label=line.label, debit=max(total, Decimal(0)),
                    credit=max(-total, Decimal(0)),
                )
            )  # fmt: skip
        return Entry(
            journalCode=self.journalCode, date=self.date, lines=tuple(lines),
            comment=self.comment, documentNumber=self.documentNumber,
            reference=self.reference, currency=self.currency,
        )  # fmt: skip


class CreateFinancialEntryOutput(BaseModel):
    entry: _records.Record = Field(description="The financial entry as Chift answered it.")
    documentNumber: str = Field(description="The technical document number sent.")
    marker: str = Field(description="The #AAAAA# marker its reference carries.")
    cutLabels: list[int] = Field(description="Lines whose label was cut at 30 characters.")


def financial_entry_body(
    inputs: CreateFinancialEntryInputs,
    journal: Journal,
    labels: Sequence[str],
    reference: str,
    number: str,
) -> dict[str, Any]:
    """Chift's ``FinancialEntryItemIn``: one item per movement, its (cut) label, the marker and
    full labels in ``reference``, the document number in ``number``."""
    items = []
    for line, label in zip(inputs.lines, labels, strict=True):
        kind = third_party_type(line.account) if line.auxiliaryAccount else None
        item: dict[str, Any] = {
            "account_type": kind or "general_account",
            "account": line.auxiliaryAccount if kind else line.account,
            "amount": _number(line.amount),
            "description": label,
        }
        if line.vat is not None:
            tax: dict[str, Any] = {"tax_code": line.vat.vatCode,
                                   "tax_amount": _number(line.vat.amount)}  # fmt: skip
            for name, key in (("vatAccount", "vat_account"),
                              ("reversedVatAccount", "reversed_vat_account"),
                              ("description", "description")):  # fmt: skip
                value = getattr(line.vat, name)
                if value is not None:
                    tax[key] = value
            item["tax_info"] = tax
        if line.matchingNumber is not None:
            item["automated_matching_number"] = line.matchingNumber
        items.append(item)
    body: dict[str, Any] = {
        "date": inputs.date.isoformat(),
        "journal_id": journal.id or journal.code,
        "currency": inputs.currency,
        "reference": reference,
        "number": number,
        "items": items,
    }
    if inputs.currencyExchangeRate is not None:
        body["currency_exchange_rate"] = _number(inputs.currencyExchangeRate)
    if inputs.pdf is not None:
        body["pdf"] = inputs.pdf
    if inputs.pdfName is not None:
        body["pdf_name"] = inputs.pdfName
    return body


_BANK_LINE = {
    "account": "401000",
    "auxiliaryAccount": "FORANGE",
    "label": "Prélèvement SEPA ORANGE SA facture 2026-03",
    "amount": "-49.99",
}
_FINANCIAL = {
    "journalCode": "BQ",
    "date": "2026-03-12",
    "lines": [_BANK_LINE],
    "today": "2026-03-15",
}


@PACK.component(
    key="createFinancialEntry",
    title="Create Financial Entry",
    description=(
        "Create a financial entry (écriture de banque or de caisse) in Sage GE (POST "
        "/financial-entries through Chift; on request): each movement booked against the "
        "journal's bank account, after checking Sage GE's rules (open fiscal years, posting "
        "date, open bank or cash journal, collective accounts with an auxiliary account); "
        "labels over 30 characters are cut, the full text and the #AAAAA# marker kept in the "
        "reference; nothing is sent when a rule is broken."
    ),
    inputs=CreateFinancialEntryInputs,
    output=CreateFinancialEntryOutput,
    annotations=WRITE,
    marker=FINANCIAL_ENTRY,
    example_input=_FINANCIAL,
    example_output={
        "entry": {
            "id": "E000042",
            "journal_id": "3",
            "date": "2026-03-12",
            "currency": "EUR",
            "number": "SF3C1F0A9B2D4E",
            "items": [],
        },
        "documentNumber": "SF3C1F0A9B2D4E",
        "marker": "#QKZTA#",
        "cutLabels": [0],
    },
    availability="on_request",
)
def create_financial_entry(inputs: CreateFinancialEntryInputs) -> Action:
    read = yield from read_books(inputs.today, inputs.fiscalYears)
    books: Books = read["books"]
    journal = _journal(books, inputs.journalCode, "createFinancialEntry")
    entry = inputs.entry()
    refusals = _posting_checks(
        entry, books, journal, ("financial_operation",), "a bank or cash movement"
    )
    if refusals:
        raise InputValidationError(
            "sage_ge/createFinancialEntry", _financial_problems(refusals, inputs)
        )
    prepared = prepare(entry, journal)
    cut_lines = prepared.entry.lines
    labels = [cut_lines[_position(inputs, n)].label for n in range(len(inputs.lines))]
    cut = [n for n in range(len(inputs.lines)) if labels[n] != inputs.lines[n].label]
    reference = " ".join(p for p in (prepared.entry.reference, prepared.entry.comment) if p)
    body = financial_entry_body(inputs, journal, labels, reference, prepared.documentNumber)
    query: dict[str, Any] = {}
    if inputs.counterpartAccount is not None:
        query["financial_counterpart_account"] = inputs.counterpartAccount
    if inputs.forceCurrencyExchange:
        query["force_currency_exchange"] = _flag(True)
    if inputs.answerEarly:
        query["ignore_accounting_id"] = _flag(True)
    response = yield HTTPRequest("POST", "/financial-entries", query=query, json=body)
    created = response.json()
    if not isinstance(created, dict):
        raise ValueError("POST /financial-entries did not answer an entry")
    return {
        "entry": created,
        "documentNumber": prepared.documentNumber,
        "marker": prepared.marker,
        "cutLabels": cut,
    }


def _position(inputs: CreateFinancialEntryInputs, index: int) -> int:
    """Where movement ``index`` sits among the entry's lines (a VAT line follows its movement)."""
    position = 0
    for n, line in enumerate(inputs.lines):
        if n == index:
            return position
        position += 2 if line.vat is not None and line.vat.amount else 1
    raise IndexError(index)


def _financial_problems(
    refusals: Sequence[Refusal], inputs: CreateFinancialEntryInputs
) -> list[FieldProblem]:
    """Refusals on the checked entry's lines as the flow's inputs: a movement's VAT line is
    its movement's (``$.lines[n].vat``), a bank line Sage GE writes itself is the counterpart
    account's to fix (``$.counterpartAccount``)."""
    owner: list[tuple[int, str]] = []
    for n, line in enumerate(inputs.lines):
        owner.append((n, ""))
        if line.vat is not None and line.vat.amount:
            owner.append((n, ".vat"))
    problems = []
    for refusal in refusals:
        if refusal.line is None:
            problems.extend(refusal_problems([refusal]))
        elif refusal.line < len(owner):
            n, suffix = owner[refusal.line]
            (problem,) = refusal_problems([refusal.model_copy(update={"line": n})])
            if suffix:
                problem = replace(problem, path=f"$.lines[{n}]{suffix}")
            problems.append(problem)
        else:
            (problem,) = refusal_problems([refusal])
            problems.append(replace(problem, path="$.counterpartAccount"))
    return problems


# -- miscellaneous operations ----------------------------------------------------------------


class OperationLine(Inputs):
    """One line of a miscellaneous operation (opération diverse): an account debited or
    credited."""

    account: AccountNumber = Field(json_schema_extra=_lookups.ACCOUNTS)
    auxiliaryAccount: AuxiliaryAccount | None = Field(
        default=None, description="The client's or supplier's auxiliary account, on 401/411."
    )
    label: str = Field(
        min_length=1, max_length=255, description="The line's label (libellé).",
        examples=["Reclassement"],
    )  # fmt: skip
    debit: Annotated[Money, Field(ge=0, decimal_places=2)] = Field(
        default=Decimal(0), description="Euros debited (at most 2 decimals).", examples=["150.00"]
    )
    credit: Annotated[Money, Field(ge=0, decimal_places=2)] = Field(
        default=Decimal(0), description="Euros credited (at most 2 decimals).", examples=["0"]
    )
    analyticAccount: str | None = Field(
        default=None, min_length=1, description="One analytic account (no distribution).",
        examples=["PARIS"], json_schema_extra=_lookups.ANALYTIC_ACCOUNTS,
    )  # fmt: skip

    @model_validator(mode="after")
    def _party(self) -> OperationLine:
        if self.auxiliaryAccount is not None and third_party_type(self.account) == (
            "employee_account"
        ):
            raise ValueError(
                "an operation line takes a client or supplier account (41x, 40x), not a 42x "
                "employee account (Chift's MiscellaneousOperationLineType)"
            )
        return self


class CreateMiscellaneousOperationInputs(Inputs):
    journalCode: JournalCode = Field(description="The miscellaneous journal (OD).")
    operationDate: Date = Field(
        description="The posting date: it decides the fiscal year.", examples=["2026-03-31"]
    )
    lines: list[OperationLine] = Field(
        min_length=1, max_length=500, description="At least two lines, debits equal to credits."
    )
    operationNumber: str | None = Field(
        default=None, pattern=DOCUMENT_NUMBER,
        description="Unique technical document number; derived from the operation when absent.",
        examples=["OD-2026-03-01"],
    )  # fmt: skip
    status: OperationStatus = Field(
        default="posted", description="posted, or draft (brouillard).", examples=["posted"]
    )
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO currency.")
    currencyExchangeRate: Rate | None = Field(
        default=None, description="Exchange rate, for a currency other than the dossier's.",
        examples=["1.0842"],
    )  # fmt: skip
    today: Date | None = _today()
    fiscalYears: list[FiscalYear] | None = _years()

    @model_validator(mode="after")
    def _rate(self) -> CreateMiscellaneousOperationInputs:
        _rate_given(self.currency, self.currencyExchangeRate)
        return self

    def entry(self) -> Entry:
        return Entry(
            journalCode=self.journalCode, date=self.operationDate,
            lines=tuple(
                EntryLine(account=line.account, auxiliaryAccount=line.auxiliaryAccount,
                          label=line.label, debit=line.debit, credit=line.credit)
                for line in self.lines
            ),
            documentNumber=self.operationNumber, currency=self.currency,
        )  # fmt: skip


def operation_body(
    inputs: CreateMiscellaneousOperationInputs, journal: Journal, number: str
) -> dict[str, Any]:
    """Chift's ``MiscellaneousOperationIn``: a line's amount is positive for a credit and
    negative for a debit; a third-party line names the client or supplier in ``partner_id``
    and the collective account in ``account_number``."""
    lines = []
    for position, line in enumerate(inputs.lines, start=1):
        kind = third_party_type(line.account) if line.auxiliaryAccount else None
        item: dict[str, Any] = {
            "line_number": position,
            "description": line.label,
            "amount": _number(line.credit - line.debit),
            "type": kind or "general_account",
            "account_number": line.account,
        }
        if kind:
            item["partner_id"] = line.auxiliaryAccount
        if line.analyticAccount is not None:
            item["analytic_account"] = line.analyticAccount
        lines.append(item)
    body: dict[str, Any] = {
        "operation_number": number,
        "currency": inputs.currency,
        "operation_date": inputs.operationDate.isoformat(),
        "journal_id": journal.id or journal.code,
        "status": inputs.status,
        "lines": lines,
    }
    if inputs.currencyExchangeRate is not None:
        body["currency_exchange_rate"] = _number(inputs.currencyExchangeRate)
    return body


class CreateMiscellaneousOperationOutput(BaseModel):
    operation: _records.Operation = Field(description="The operation as Chift answered it.")
    operationNumber: str = Field(description="The technical document number sent.")


_OD = {
    "journalCode": "OD", "operationDate": "2026-03-31", "today": "2026-04-02",
    "lines": [
        {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "Reclassement Dupont",
         "debit": "150.00"},
        {"account": "411000", "auxiliaryAccount": "CMOREAU", "label": "Reclassement Dupont",
         "credit": "150.00"},
    ],
}  # fmt: skip


@PACK.component(
    key="createMiscellaneousOperation",
    title="Create Miscellaneous Operation",
    description=(
        "Create a miscellaneous operation (opération diverse) in Sage GE (POST "
        "/miscellaneous-operation through Chift; on request), after checking Sage GE's rules "
        "(open fiscal years, posting date, an open miscellaneous journal, collective accounts "
        "with an auxiliary account, debit or credit, balanced); the technical document number "
        "goes in operation_number; nothing is sent when a rule is broken."
    ),
    inputs=CreateMiscellaneousOperationInputs,
    output=CreateMiscellaneousOperationOutput,
    annotations=WRITE,
    marker=MISCELLANEOUS_OPERATION,
    example_input=_OD,
    example_output={
        "operation": {
            "id": "OD000001",
            "operation_number": "SF0B7C2D9E4F1A",
            "currency": "EUR",
            "journal_id": "4",
            "status": "posted",
            "lines": [],
        },
        "operationNumber": "SF0B7C2D9E4F1A",
    },
    availability="on_request",
)
def create_miscellaneous_operation(inputs: CreateMiscellaneousOperationInputs) -> Action:
    read = yield from read_books(inputs.today, inputs.fiscalYears)
    books: Books = read["books"]
    journal = _journal(books, inputs.journalCode, "createMiscellaneousOperation")
    entry = inputs.entry()
    refusals = _posting_checks(
        entry, books, journal, ("miscellaneous_operation",), "a miscellaneous operation"
    )
    _refuse("createMiscellaneousOperation", refusals, {"$.date": "$.operationDate"})
    number = prepare(entry, journal).documentNumber
    body = operation_body(inputs, journal, number)
    response = yield HTTPRequest("POST", "/miscellaneous-operation", json=body)
    created = response.json()
    if not isinstance(created, dict):
        raise ValueError("POST /miscellaneous-operation did not answer an operation")
    return {"operation": created, "operationNumber": number}


# -- invoice payments ------------------------------------------------------------------------


class PaidInvoice(Inputs):
    """The part of a payment that settles one invoice."""

    invoiceId: str = Field(
        min_length=1, description="The invoice's id.", examples=["INV000012"],
        json_schema_extra=_lookups.INVOICES,
    )  # fmt: skip
    amount: Positive = Field(
        description="Euros paid on this invoice: positive, whatever the invoice's sign.",
        examples=["120.00"],
    )


class CreateInvoicePaymentInputs(Inputs):
    date: Date = Field(
        description="The payment date: it decides the fiscal year.", examples=["2026-04-02"]
    )
    paymentMethodId: str = Field(
        min_length=1, description="The payment method (virement, chèque...): listPaymentMethods.",
        examples=["VIR"], json_schema_extra=_lookups.PAYMENT_METHODS,
    )  # fmt: skip
    invoices: list[PaidInvoice] = Field(
        min_length=1, max_length=500, description="The invoices it settles and how much of each."
    )
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO currency.")
    currencyExchangeRate: Rate | None = Field(
        default=None, description="Exchange rate, for a currency other than the dossier's.",
        examples=["1.0842"],
    )  # fmt: skip
    reference: str | None = Field(
        default=None, min_length=1, max_length=100, description="Your reference of the payment.",
        examples=["VIR-2026-0402"],
    )  # fmt: skip
    number: str | None = Field(
        default=None, pattern=DOCUMENT_NUMBER, description="The payment's unique number.",
        examples=["REG-000123"],
    )  # fmt: skip
    today: Date | None = _today()
    fiscalYears: list[FiscalYear] | None = _years()

    @model_validator(mode="after")
    def _once(self) -> CreateInvoicePaymentInputs:
        _rate_given(self.currency, self.currencyExchangeRate)
        seen: set[str] = set()
        for item in self.invoices:
            if item.invoiceId in seen:
                raise ValueError(f"invoice {item.invoiceId} is listed twice: give its total once")
            seen.add(item.invoiceId)
        return self


class CreateInvoicePaymentOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recorded: bool = Field(description="Chift accepted the payment (it answers 204, no body).")
    total: str = Field(
        pattern=r"^[0-9]+(\.[0-9]{1,2})?$",
        description="The payment's total, the sum of its invoices' parts (exact decimal text).",
    )
    invoices: int = Field(description="How many invoices it settles.")


@PACK.component(
    key="createInvoicePayment",
    title="Create Invoice Payment",
    description=(
        "Record a payment (règlement) of one or several invoices in Sage GE (POST "
        "/invoices/payments through Chift; on request), after checking the open fiscal years "
        "and that the payment date is in one of the two most recent open years; nothing is "
        "sent when a rule is broken."
    ),
    inputs=CreateInvoicePaymentInputs,
    output=CreateInvoicePaymentOutput,
    annotations=WRITE,
    example_input={
        "date": "2026-04-02",
        "paymentMethodId": "VIR",
        "today": "2026-04-02",
        "invoices": [{"invoiceId": "INV000012", "amount": "120.00"}],
    },
    example_output={"recorded": True, "total": "120.00", "invoices": 1},
    availability="on_request",
)
def create_invoice_payment(inputs: CreateInvoicePaymentInputs) -> Action:
    read = yield from read_books(inputs.today, inputs.fiscalYears)
    _refuse("createInvoicePayment", check_posting(inputs.date, None, read["books"]))
    body: dict[str, Any] = {
        "date": inputs.date.isoformat(),
        "payment_method_id": inputs.paymentMethodId,
        "currency": inputs.currency,
        "items": [{"invoice_id": i.invoiceId, "amount": _number(i.amount)}
                  for i in inputs.invoices],
    }  # fmt: skip
    for name, key in (("currencyExchangeRate", "currency_exchange_rate"),
                      ("reference", "reference"), ("number", "number")):  # fmt: skip
        value = getattr(inputs, name)
        if value is not None:
            body[key] = _number(value) if isinstance(value, Decimal) else value
    yield HTTPRequest("POST", "/invoices/payments", json=body)
    total = sum((i.amount for i in inputs.invoices), Decimal(0))
    return {"recorded": True, "total": str(total), "invoices": len(inputs.invoices)}


# -- invoices with several analytic plans ----------------------------------------------------


class MultiPlanInvoiceLine(InvoiceLine):
    """An invoice line whose untaxed amount is distributed over several analytic plans."""

    # createInvoice's one analytic account gives way to the distribution (not an input here).
    analyticAccount: SkipJsonSchema[None] = Field(default=None, exclude=True)

    analytic: list[AnalyticShare] = Field(
        default_factory=list,
        max_length=100,
        description=(
            "Analytic distribution (ventilation analytique): per plan, whole percentages that "
            "add up to 100."
        ),
    )
    unitOfMeasure: str | None = Field(
        default=None, min_length=1, max_length=40,
        description="The unit (hour, day, kg...; Chift maps its default units).",
        examples=["hour"],
    )  # fmt: skip

    @model_validator(mode="after")
    def _distribution(self) -> MultiPlanInvoiceLine:
        analytic_shares_problem(self.analytic)
        return self


class CreateInvoiceMultiAnalyticPlansInputs(CreateInvoiceInputs):
    lines: list[MultiPlanInvoiceLine] = Field(  # type: ignore[assignment]
        min_length=1, max_length=500, description="The lines, each with its distribution."
    )
    forceFinancialPeriod: str | None = Field(
        default=None, pattern=r"^(0[1-9]|1[0-2])[0-9]{4}$",
        description="Post in this financial period rather than the current one (mmYYYY).",
        examples=["032026"],
    )  # fmt: skip
    regroupLines: bool = Field(
        default=True,
        description="Let Sage GE regroup lines with the same account, VAT code and distribution.",
    )
    answerEarly: bool = Field(
        default=False,
        description="Chift answers before Sage GE has numbered the invoice (its "
        "ignore_accounting_id): faster, but the answer may lack the invoice's id.",
    )
    forceCurrencyExchange: bool = Field(
        default=False, description="Use the given exchange rate rather than Sage GE's own."
    )
    currencyExchangeRate: Rate | None = Field(
        default=None, description="Exchange rate, for a currency other than the dossier's.",
        examples=["1.0842"],
    )  # fmt: skip
    status: OperationStatus | None = Field(
        default=None, description="posted (Chift's default), or draft (brouillard).",
        examples=["draft"],
    )  # fmt: skip
    paymentTermId: str | None = Field(
        default=None, min_length=1, description="The payment terms (conditions de règlement).",
        examples=["30FM"], json_schema_extra=_lookups.PAYMENT_TERMS,
    )  # fmt: skip
    paymentMethodId: str | None = Field(
        default=None, min_length=1, description="The expected payment method (mode de règlement).",
        examples=["VIR"], json_schema_extra=_lookups.PAYMENT_METHODS,
    )  # fmt: skip
    paymentCommunication: str | None = Field(
        default=None, min_length=1, max_length=140,
        description="The payment reference the payer should quote.", examples=["F2026-013"],
    )  # fmt: skip
    customerMemo: str | None = Field(
        default=None, min_length=1, max_length=1000, description="A note for the customer.",
        examples=["Merci de votre confiance."],
    )  # fmt: skip
    startDate: Date | None = Field(
        default=None, description="First day of the period the invoice covers.",
        examples=["2026-03-01"],
    )  # fmt: skip
    endDate: Date | None = Field(
        default=None, description="Last day of the period the invoice covers.",
        examples=["2026-03-31"],
    )  # fmt: skip
    deliveryDate: Date | None = Field(
        default=None, description="When the goods or service were delivered.",
        examples=["2026-03-09"],
    )  # fmt: skip
    shippingCountry: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 country shipped to.",
        examples=["FR"],
    )  # fmt: skip
    pdf: str | None = Field(
        default=None, min_length=8, max_length=MAX_PDF_CHARS, pattern=r"^[A-Za-z0-9+/]+={0,2}$",
        description="The invoice's PDF, base 64 encoded.", examples=["JVBERi0xLjQKJcfs"],
    )  # fmt: skip
    pdfName: str | None = Field(
        default=None, pattern=PDF_NAME, description="The PDF's file name.",
        examples=["F2026-013.pdf"],
    )  # fmt: skip

    @model_validator(mode="after")
    def _extras(self) -> CreateInvoiceMultiAnalyticPlansInputs:
        _pdf_checked(self.pdf)
        _rate_given(self.currency, self.currencyExchangeRate)
        if self.startDate and self.endDate and self.endDate < self.startDate:
            raise ValueError("endDate is before startDate")
        return self


#: InvoiceItemInMultiAnalyticPlans' fields createInvoice does not send, by input name. Left out:
#: withholding_tax (a negative-rate withholding tax, not French VAT), invoice_correction (a
#: rounding line: the amounts here are computed to the cent and add up), nl_payment_terms_split
#: (Dutch G/N accounts) and partner_info (creating the party on the fly: createClient does).
_EXTRAS = {
    "currencyExchangeRate": "currency_exchange_rate", "status": "status",
    "paymentTermId": "payment_term_id", "paymentMethodId": "payment_method_id",
    "paymentCommunication": "payment_communication", "customerMemo": "customer_memo",
    "startDate": "start_date", "endDate": "end_date", "deliveryDate": "delivery_date",
    "shippingCountry": "shipping_country", "pdf": "pdf", "pdfName": "pdf_name",
}  # fmt: skip


def multi_plan_invoice_body(inputs: CreateInvoiceMultiAnalyticPlansInputs) -> dict[str, Any]:
    """``InvoiceItemInMultiAnalyticPlans``: createInvoice's body (amounts computed to the cent)
    with each line's ``analytic_distribution`` grouped by plan, and the invoice's other fields
    (payment terms and method, period, PDF...)."""
    mono = CreateInvoiceInputs.model_validate(
        inputs.model_dump(
            mode="json", include=set(CreateInvoiceInputs.model_fields) - {"lines"},
            exclude_none=True,
        )
        | {"lines": [line.model_dump(mode="json", include=set(InvoiceLine.model_fields),
                                     exclude_none=True)
                     for line in inputs.lines]}
    )  # fmt: skip
    body = invoice_body(mono)
    extras = inputs.model_dump(mode="json", include=set(_EXTRAS), exclude_none=True)
    for name, value in extras.items():
        body[_EXTRAS[name]] = _number(Decimal(value)) if name == "currencyExchangeRate" else value
    for item, line in zip(body["lines"], inputs.lines, strict=True):
        if line.unitOfMeasure is not None:
            item["unit_of_measure"] = line.unitOfMeasure
        plans: dict[str, list[dict[str, Any]]] = {}
        for share in line.analytic:
            plans.setdefault(share.plan, []).append(
                {"analytic_account": share.account, "percentage": _number(share.percentage)}
            )
        item["analytic_distribution"] = [
            {"analytic_plan": plan, "analytic_accounts": accounts}
            for plan, accounts in plans.items()
        ]
    return body


_MULTI = {
    "invoiceType": "customer_invoice", "invoiceNumber": "F2026-013", "invoiceDate": "2026-03-10",
    "dueDate": "2026-04-09", "clientId": "CDUPONT", "today": "2026-03-15",
    "lines": [{"accountNumber": "706000", "description": "Conseil", "quantity": 2,
               "unitPrice": "50.00", "taxRate": "20", "vatCode": "20",
               "analytic": [{"plan": "1", "account": "PARIS", "percentage": 60},
                            {"plan": "1", "account": "LYON", "percentage": 40},
                            {"plan": "2", "account": "TRAIT", "percentage": 100}]}],
}  # fmt: skip


@PACK.component(
    key="createInvoiceMultiAnalyticPlans",
    title="Create Invoice (Multiple Analytic Plans)",
    description=(
        "Create a sales or purchase invoice or credit note whose lines are distributed over "
        "several analytic plans (POST /invoices/multi-analytic-plans through Chift; on "
        "request): amounts computed to the cent as createInvoice does, whole percentages adding "
        "up to 100 per plan, Sage GE's fiscal-year, posting-date and journal rules checked "
        "first, nothing sent when one is broken."
    ),
    inputs=CreateInvoiceMultiAnalyticPlansInputs,
    output=_records.Invoice,
    annotations=WRITE,
    marker=INVOICE_MULTI_ANALYTIC_PLANS,
    example_input=_MULTI,
    example_output={
        "id": "INV000013",
        "invoice_number": "F2026-013",
        "invoice_type": "customer_invoice",
        "total": 120.0,
    },
    availability="on_request",
)
def create_invoice_multi_analytic_plans(inputs: CreateInvoiceMultiAnalyticPlansInputs) -> Action:
    read = yield from read_books(inputs.today, inputs.fiscalYears)
    refusals = check_posting(inputs.invoiceDate, inputs.journalId, read["books"])
    _refuse("createInvoiceMultiAnalyticPlans", refusals,
            {"$.date": "$.invoiceDate", "$.journalCode": "$.journalId"})  # fmt: skip
    query: dict[str, Any] = {"regroup_lines": _flag(inputs.regroupLines)}
    if inputs.forceFinancialPeriod is not None:
        query["force_financial_period"] = inputs.forceFinancialPeriod
    if inputs.answerEarly:
        query["ignore_accounting_id"] = _flag(True)
    if inputs.forceCurrencyExchange:
        query["force_currency_exchange"] = _flag(True)
    response = yield HTTPRequest(
        "POST", "/invoices/multi-analytic-plans", query=query, json=multi_plan_invoice_body(inputs)
    )
    created = response.json()
    if not isinstance(created, dict):
        raise ValueError("POST /invoices/multi-analytic-plans did not answer an invoice")
    return created


# -- analytic accounts of one plan among several ---------------------------------------------


class _PlanAccount(Inputs):
    analyticPlan: str = Field(
        pattern=ID_PATTERN, description="The analytic plan (axe analytique).", examples=["2"],
        json_schema_extra=_lookups.ANALYTIC_PLANS,
    )  # fmt: skip


class GetPlanAnalyticAccountInputs(_PlanAccount):
    analyticAccountId: str = Field(
        pattern=ID_PATTERN, description="The analytic account's id in that plan.",
        examples=["TRAIT"], json_schema_extra=_lookups.PLAN_ANALYTIC_ACCOUNTS,
    )  # fmt: skip


class CreatePlanAnalyticAccountInputs(_PlanAccount):
    code: str = Field(
        pattern=ID_PATTERN, max_length=40, description="The analytic code (section).",
        examples=["PATIS"],
    )  # fmt: skip
    name: str = Field(min_length=1, description="Its name.", examples=["Pâtisserie"])
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="Its currency.")
    active: bool = Field(default=True, description="Whether it takes new entries.")


class UpdatePlanAnalyticAccountInputs(GetPlanAnalyticAccountInputs):
    code: str | None = Field(
        default=None, pattern=ID_PATTERN, max_length=40, description="A new analytic code.",
        examples=["PATISS"],
    )  # fmt: skip
    name: str | None = Field(default=None, min_length=1, description="A new name.",
                             examples=["Pâtisserie fine"])  # fmt: skip
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="A new currency.", examples=["EUR"]
    )
    active: bool | None = Field(
        default=None, description="Whether it takes new entries.", examples=[False]
    )


def _plan_path(inputs: _PlanAccount, account: str | None = None) -> str:
    plan = segment(inputs.analyticPlan)
    if account is None:
        return f"/analytic-accounts/multi-analytic-plans/{plan}"
    return f"/analytic-accounts/{segment(account)}/multi-analytic-plans/{plan}"


def _record(response: Any, what: str) -> dict[str, Any]:
    record = response.json()
    if not isinstance(record, dict):
        raise ValueError(f"{what} did not answer an analytic account")
    return record


_PLAN_ACCOUNT = {"id": "TRAIT", "code": "TRAIT", "name": "Traiteur", "active": True,
                 "currency": "EUR", "analytic_plan": "2", "debit": 0, "credit": 0,
                 "balance": 0}  # fmt: skip


@PACK.component(
    key="createAnalyticAccountMultiAnalyticPlans",
    title="Create Analytic Account (Multiple Analytic Plans)",
    description=(
        "Create an analytic account (section analytique) in one analytic plan of several (POST "
        "/analytic-accounts/multi-analytic-plans/{analytic_plan} through Chift; on request)."
    ),
    inputs=CreatePlanAnalyticAccountInputs,
    output=_records.Named,
    annotations=WRITE,
    example_input={"analyticPlan": "2", "code": "PATIS", "name": "Pâtisserie"},
    example_output={**_PLAN_ACCOUNT, "id": "PATIS", "code": "PATIS", "name": "Pâtisserie"},
    availability="on_request",
)
def create_plan_analytic_account(inputs: CreatePlanAnalyticAccountInputs) -> Action:
    body = {"code": inputs.code, "name": inputs.name, "currency": inputs.currency,
            "active": inputs.active}  # fmt: skip
    response = yield HTTPRequest("POST", _plan_path(inputs), json=body)
    return _record(response, "POST /analytic-accounts/multi-analytic-plans")


@PACK.component(
    key="getAnalyticAccountMultiAnalyticPlans",
    title="Get Analytic Account (Multiple Analytic Plans)",
    description=(
        "Fetch one analytic account of one analytic plan, with its debit, credit and balance "
        "(GET /analytic-accounts/{id}/multi-analytic-plans/{analytic_plan} through Chift; on "
        "request)."
    ),
    inputs=GetPlanAnalyticAccountInputs,
    output=_records.Named,
    annotations=READ_ONLY,
    example_input={"analyticPlan": "2", "analyticAccountId": "TRAIT"},
    example_output=_PLAN_ACCOUNT,
    availability="on_request",
)
def get_plan_analytic_account(inputs: GetPlanAnalyticAccountInputs) -> Action:
    response = yield HTTPRequest("GET", _plan_path(inputs, inputs.analyticAccountId))
    return _record(response, "GET /analytic-accounts/{id}/multi-analytic-plans")


@PACK.component(
    key="updateAnalyticAccountMultiAnalyticPlans",
    title="Update Analytic Account (Multiple Analytic Plans)",
    description=(
        "Update an analytic account of one analytic plan, only the inputs given (PATCH "
        "/analytic-accounts/{id}/multi-analytic-plans/{analytic_plan} through Chift; on "
        "request)."
    ),
    inputs=UpdatePlanAnalyticAccountInputs,
    output=_records.Named,
    annotations=IDEMPOTENT_WRITE,
    example_input={"analyticPlan": "2", "analyticAccountId": "TRAIT", "active": False},
    example_output={**_PLAN_ACCOUNT, "active": False},
    availability="on_request",
)
def update_plan_analytic_account(inputs: UpdatePlanAnalyticAccountInputs) -> Action:
    body = inputs.model_dump(
        include={"code", "name", "currency", "active"}, exclude_none=True, exclude_unset=True
    )
    response = yield HTTPRequest("PATCH", _plan_path(inputs, inputs.analyticAccountId), json=body)
    return _record(response, "PATCH /analytic-accounts/{id}/multi-analytic-plans")
