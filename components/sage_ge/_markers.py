"""How a Sage GE posting whose create had an unknown outcome is found again by its ``#AAAAA#``
marker and technical document number instead of being sent a second time.

Chift documents ``x-chift-client-requestid`` as making creates idempotent, but whether a
connector honours it is not stated per connector; Qonto's Sage GE documentation gives the
sender's own check instead: a marker ``#AAAAA#`` in each entry's comment and a unique technical
document number. ``createJournalEntry`` and ``createFinancialEntry`` put both in the body they
send (``reference`` and ``number``, see ``sage_ge._books.entry_body``), a miscellaneous
operation its number (``operation_number``), each derived from the posting itself, so they are
the same on every retry and resume. The runner's executor (``sageflow._execute``) asks this
reconciler, before a create whose outcome is unknown is sent again, to look for it.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sage_ge._paging import ListInputs, list_action
from sage_ge._rules import MARKER
from sageflow._values import HTTPRequest, HTTPResponse

_JSON = {"content-type": "application/json"}


def _entry_body(request: HTTPRequest, path: str) -> dict[str, Any] | None:
    if request.method != "POST" or request.path.split("?", 1)[0].rstrip("/") != path:
        return None
    body = request.json
    return body if isinstance(body, dict) else None


def _markers_of(body: dict[str, Any]) -> list[str]:
    # Every #AAAAA# of the reference: the caller's own reference, sent before the comment,
    # could hold one too, and the entry found must carry them all.
    return MARKER.findall(str(body.get("reference") or ""))


def _day(body: dict[str, Any], field: str) -> date | None:
    try:
        return date.fromisoformat(str(body.get(field)))
    except ValueError:
        return None


@dataclass(frozen=True)
class PostingMarker:
    """A create that posts to Sage GE found again among the records of its posting date and
    journal: by the ``#AAAAA#`` markers in its ``reference`` and by its technical document
    number (two postings of one date cannot share it, so a marker another posting happens to
    carry, five letters, is not taken for this one).

    Attributes:
        create: the create's path.
        listing: where the posting shows up, read for one day (``date_from`` = ``date_to``).
        date_field: the body's posting date.
        number_field: the body's technical document number.
        listed_number: the same number in a listed record.
        journal_query: the listing's journal filter, given the body's ``journal_id``.
        needs_marker: whether the body carries the marker (in ``reference``); without one the
            document number alone identifies the posting.
        query: the listing's other parameters.
    """

    create: str
    listing: str
    date_field: str = "date"
    number_field: str = "number"
    listed_number: str = "name"
    journal_query: str = "journal_id"
    needs_marker: bool = True
    query: tuple[tuple[str, Any], ...] = (("unposted_allowed", True),)

    def _key(self, request: HTTPRequest) -> tuple[dict[str, Any], list[str], date] | None:
        body = _entry_body(request, self.create)
        if body is None:
            return None
        day = _day(body, self.date_field)
        markers = _markers_of(body)
        number = body.get(self.number_field)
        if day is None or (self.needs_marker and not markers):
            return None
        if not self.needs_marker and number in (None, ""):
            return None
        return body, markers, day

    def mark(self, request: HTTPRequest, token: str) -> HTTPRequest | None:
        # The handler derived the marker and the number from the posting (the same on every
        # attempt), so the request is reconciled as it is; one without them is not covered.
        return request if self._key(request) is not None else None

    def find(
        self, request: HTTPRequest, token: str
    ) -> Generator[HTTPRequest, HTTPResponse, HTTPResponse | None]:
        key = self._key(request)
        if key is None:
            return None
        body, markers, day = key
        query: dict[str, Any] = {
            **dict(self.query),
            "date_from": day.isoformat(),
            "date_to": day.isoformat(),
        }
        if body.get("journal_id") not in (None, ""):
            query[self.journal_query] = str(body["journal_id"])
        listing = yield from list_action(self.listing, ListInputs(fetchAll=True), query)
        number = body.get(self.number_field)
        for record in listing["items"]:
            if not isinstance(record, dict):
                continue
            reference = str(record.get("reference") or "")
            if not all(marker in reference for marker in markers):
                continue
            listed = record.get(self.listed_number)
            # With the marker matched, a listing that leaves the number out is taken; without
            # a marker the number is all there is, and it must be the same.
            if number not in (None, "") and listed != number and (not markers or listed):
                continue
            return HTTPResponse(200, _JSON, json.dumps(record).encode())
        return None


#: ``createJournalEntry``: the entry listed in the shape ``POST /journal-entries`` answers
#: (``JournalEntryMultiAnalyticPlan``).
JOURNAL_ENTRY = PostingMarker("/journal-entries", "/journal/entries/multi-analytic-plans")
#: ``createFinancialEntry``: Chift lists no financial entries, but each is posted as a journal
#: entry of its bank journal, numbered and referenced as sent; that entry is what is adopted
#: (its number is under ``name``, where the create's answer has ``number``).
FINANCIAL_ENTRY = PostingMarker("/financial-entries", "/journal/entries/multi-analytic-plans")
#: ``createMiscellaneousOperation``: no marker (``MiscellaneousOperationIn`` has no reference),
#: found by its ``operation_number`` among the operations of its date and journal, listed in
#: the shape the create answers (``MiscellaneousOperationOut``).
MISCELLANEOUS_OPERATION = PostingMarker(
    "/miscellaneous-operation",
    "/miscellaneous-operation",
    date_field="operation_date",
    number_field="operation_number",
    listed_number="operation_number",
    journal_query="journal_ids",
    needs_marker=False,
    query=(),
)


@dataclass(frozen=True)
class InvoiceMarker:
    """A sales or purchase invoice (``POST /invoices``) found again by its invoice number among
    the invoices of its type and date (``GET /invoices/type/{invoice_type}``, lines included:
    the shape the create answers, ``InvoiceItemOutMonoAnalyticPlan``). Sage GE keeps an
    invoice number once (Chift's 409 ``ERROR_INVOICE_NUMBER_ALREADY_USED``), so a create sent
    again after it took effect would fail where it should have been answered."""

    create: str = "/invoices"
    #: The listing by type: ``{listing}/{invoice_type}``.
    listing: str = "/invoices/type"

    def _key(self, request: HTTPRequest) -> tuple[dict[str, Any], date] | None:
        body = _entry_body(request, self.create)
        if body is None:
            return None
        day = _day(body, "invoice_date")
        fields = ("invoice_number", "invoice_type")
        if day is None or any(not isinstance(body.get(f), str) or not body[f] for f in fields):
            return None
        return body, day

    def mark(self, request: HTTPRequest, token: str) -> HTTPRequest | None:
        return request if self._key(request) is not None else None

    def find(
        self, request: HTTPRequest, token: str
    ) -> Generator[HTTPRequest, HTTPResponse, HTTPResponse | None]:
        key = self._key(request)
        if key is None:
            return None
        body, day = key
        query: dict[str, Any] = {
            "date_from": day.isoformat(),
            "date_to": day.isoformat(),
            "include_invoice_lines": True,
        }
        if body.get("journal_id") not in (None, ""):
            query["journal_ids"] = str(body["journal_id"])
        path = f"{self.listing}/{body['invoice_type']}"
        listing = yield from list_action(path, ListInputs(fetchAll=True), query)
        for record in listing["items"]:
            if not isinstance(record, dict):
                continue
            if record.get("invoice_number") != body["invoice_number"]:
                continue
            partner = body.get("partner_id")
            if partner not in (None, "") and record.get("partner_id") not in (None, partner):
                continue
            return HTTPResponse(200, _JSON, json.dumps(record).encode())
        return None


#: ``createInvoice``.
INVOICE = InvoiceMarker()
#: ``createInvoiceMultiAnalyticPlans``: its own listing answers its own shape
#: (``InvoiceItemOutMultiAnalyticPlans``).
INVOICE_MULTI_ANALYTIC_PLANS = InvoiceMarker(
    "/invoices/multi-analytic-plans", "/invoices/multi-analytic-plans/type"
)


@dataclass(frozen=True)
class UniqueMarker:
    """Reference data Sage GE keeps unique by one value (a client's or supplier's auxiliary
    account, a general account's number, a journal's code, an analytic code): when the create
    carries it, that value identifies the record, so nothing is added to the body and the
    record is looked for by it (sent again, the create would be refused as a duplicate:
    ``ERROR_PARTNER_ALREADY_EXISTS``, ``ERROR_LEDGER_ACCOUNT_ALREADY_EXISTS``, ...).

    Attributes:
        create: the create's path.
        listing: the listing that holds the record in the shape the create answers.
        field: the unique value's field, in the body and in a listed record.
        search: a body field whose value narrows the listing through its ``search``
            parameter (a client's name), when the listing has one.
        by_class: narrow a chart-of-accounts listing to the number's class (``classes``).
    """

    create: str
    listing: str
    field: str
    search: str | None = None
    by_class: bool = False

    def _value(self, request: HTTPRequest) -> tuple[dict[str, Any], str] | None:
        body = _entry_body(request, self.create)
        value = body.get(self.field) if body is not None else None
        if body is None or not isinstance(value, str) or not value:
            return None
        return body, value

    def mark(self, request: HTTPRequest, token: str) -> HTTPRequest | None:
        return request if self._value(request) is not None else None

    def find(
        self, request: HTTPRequest, token: str
    ) -> Generator[HTTPRequest, HTTPResponse, HTTPResponse | None]:
        found = self._value(request)
        if found is None:
            return None
        body, value = found
        query: dict[str, Any] = {}
        if self.search is not None and isinstance(body.get(self.search), str):
            query["search"] = body[self.search]
        if self.by_class:
            query["classes"] = value[:1]
        listing = yield from list_action(self.listing, ListInputs(fetchAll=True), query)
        for record in listing["items"]:
            if isinstance(record, dict) and record.get(self.field) == value:
                return HTTPResponse(200, _JSON, json.dumps(record).encode())
        return None


#: ``createClient``, ``createSupplier``: by the auxiliary account given (``account_number``),
#: among the parties whose name the listing's search finds.
CLIENT = UniqueMarker("/clients", "/clients", "account_number", search="name")
SUPPLIER = UniqueMarker("/suppliers", "/suppliers", "account_number", search="name")
#: ``createLedgerAccount``: by its number, among the chart's accounts of its class.
LEDGER_ACCOUNT = UniqueMarker("/accounts", "/chart-of-accounts", "number", by_class=True)
#: ``createJournal``: by its code.
JOURNAL = UniqueMarker("/journal", "/journals", "code")
#: ``createAnalyticAccount``: by its code, in the default plan.
ANALYTIC_ACCOUNT = UniqueMarker("/analytic-accounts", "/analytic-accounts", "code")
