"""How a Sage GE entry whose create had an unknown outcome is found again by its ``#AAAAA#``
marker instead of being sent a second time.

Chift documents ``x-chift-client-requestid`` as making creates idempotent, but whether a
connector honours it is not stated per connector; Qonto's Sage GE documentation gives the
sender's own check instead: a marker ``#AAAAA#`` in each entry's comment and a unique technical
document number. ``createJournalEntry`` already puts both in the body it sends (``reference``
and ``number``, see ``sage_ge._books.entry_body``), derived from the entry itself, so they are
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


def _day(body: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(body.get("date")))
    except ValueError:
        return None


@dataclass(frozen=True)
class EntryMarker:
    """An entry create (``POST /journal-entries``) found again among the entries of its
    posting date and journal, by the marker in its reference and its document number.

    Attributes:
        create: the create's path.
        listing: where the created entry shows up in the shape the create answers
            (``JournalEntryMultiAnalyticPlan`` for ``POST /journal-entries``).
    """

    create: str = "/journal-entries"
    listing: str = "/journal/entries/multi-analytic-plans"

    def mark(self, request: HTTPRequest, token: str) -> HTTPRequest | None:
        # The handler derived the marker from the entry (the same on every attempt), so the
        # request is reconciled as it is; one without a marker or a date is not covered.
        body = _entry_body(request, self.create)
        if body is None or not _markers_of(body) or _day(body) is None:
            return None
        return request

    def find(
        self, request: HTTPRequest, token: str
    ) -> Generator[HTTPRequest, HTTPResponse, HTTPResponse | None]:
        body = _entry_body(request, self.create)
        markers = _markers_of(body) if body is not None else []
        day = _day(body) if body is not None else None
        if body is None or not markers or day is None:
            return None
        query: dict[str, Any] = {
            "unposted_allowed": True,
            "date_from": day.isoformat(),
            "date_to": day.isoformat(),
        }
        if body.get("journal_id") not in (None, ""):
            query["journal_id"] = str(body["journal_id"])
        listing = yield from list_action(self.listing, ListInputs(fetchAll=True), query)
        number = body.get("number")
        for entry in listing["items"]:
            if not isinstance(entry, dict):
                continue
            reference = str(entry.get("reference") or "")
            if not all(marker in reference for marker in markers):
                continue
            # The document number too: two entries of one date cannot share it, so a marker
            # another entry happens to carry (five letters) is not taken for this one.
            if number not in (None, "") and entry.get("name") not in (None, number):
                continue
            return HTTPResponse(200, _JSON, json.dumps(entry).encode())
        return None


#: ``createJournalEntry``'s entries.
JOURNAL_ENTRY = EntryMarker()
