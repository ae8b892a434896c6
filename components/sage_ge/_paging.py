"""Chift's paging, written once: ``page`` (from 1) and ``size`` (at most 100), answered as
``{items, total, page, size}`` (every ``ChiftPage_*`` schema of the OpenAPI)."""

from __future__ import annotations

import calendar
import json
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from sageflow._component import Action, Inputs
from sageflow._errors import ResponseLimitError
from sageflow._values import HTTPRequest, HTTPResponse

#: Chift's largest page (``size`` has ``maximum: 100`` on every list operation).
MAX_SIZE = 100
#: 10,000 pages of 100 is a million records, far more than a dossier holds in one listing; a
#: server still answering past that is broken, and the listing stops instead of looping.
MAX_PAGES_PER_LISTING = 10_000
#: Chift refuses a journal-entries listing over a wider window (``ERROR_MAX_DIFFERENCE_MONTHS``:
#: "You can retrieve maximum 3 months of data at once. The difference between 'date_from' and
#: 'date_to' is at maximum 3 months.", the OpenAPI's 400 example of GET /journal/entries).
MAX_WINDOW_MONTHS = 3

RecordT = TypeVar("RecordT")


class ListInputs(Inputs):
    """One page of a Chift listing, or with fetchAll every page."""

    page: int = Field(default=1, ge=1, description="The page to read (from 1).", examples=[1])
    size: int = Field(
        default=MAX_SIZE, ge=1, le=MAX_SIZE, description="Records per page (at most 100).",
        examples=[100],
    )  # fmt: skip
    fetchAll: bool = Field(
        default=False, description="Read every page from page on.", examples=[True]
    )
    limit: int | None = Field(
        default=None, ge=1, description="Stop after this many records.", examples=[500]
    )


class ListOutput(BaseModel, Generic[RecordT]):
    items: list[RecordT] = Field(description="The records read.")
    total: int | None = Field(description="How many records Chift says the listing holds.")
    page: int = Field(description="The first page read.")
    size: int = Field(description="The page size asked for.")
    pagesFetched: int = Field(description="Requests made.")
    mayHaveMore: bool = Field(description="Whether pages are left after the last one read.")


def page_of(body: Any, path: str) -> tuple[list[Any], int | None]:
    """A Chift page's items and total; a body of another shape is refused, naming the path."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ResponseLimitError(f"{path} did not answer a Chift page ({{items, total, ...}})")
    total = body.get("total")
    return body["items"], total if isinstance(total, int) and total >= 0 else None


def page_progress(response: HTTPResponse) -> tuple[int, int | None] | None:
    """Records in one page and the listing's total, for a progress bar; None otherwise."""
    if not response.ok or not response.content.lstrip().startswith(b"{"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return None
    total = body.get("total")
    return len(body["items"]), total if isinstance(total, int) else None


def list_action(
    path: str,
    inputs: ListInputs,
    query: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
) -> Action:
    """One page of ``path`` (with the component's own ``query``), or every page from
    ``inputs.page`` when ``fetchAll``; stops at ``limit``. With a ``body``, each page is a POST
    of it (Chift's account balances are read that way), paged by the query all the same."""
    items: list[Any] = []
    page, pages = inputs.page, 0
    previous: str | None = None
    total: int | None = None
    more = False
    while True:
        if pages >= MAX_PAGES_PER_LISTING:
            raise ResponseLimitError(
                f"the listing of {path} still had pages after {MAX_PAGES_PER_LISTING:,} "
                "requests; stopped (use limit, or a narrower filter)"
            )
        params = {**(query or {}), "page": page, "size": inputs.size}
        if body is None:
            response = yield HTTPRequest("GET", path, query=params)
        else:
            response = yield HTTPRequest("POST", path, query=params, json=dict(body))
        found, total = page_of(response.json(), path)
        pages += 1
        if len(found) > inputs.size:
            raise ResponseLimitError(
                f"{path} sent {len(found)} records for size={inputs.size}; a page larger than "
                "asked for cannot be paged safely"
            )
        # A server that ignores page sends the same page again, for ever.
        fingerprint = json.dumps(found, sort_keys=True, default=str)
        if found and fingerprint == previous:
            raise ResponseLimitError(
                f"{path} answered page={page} with the page it had just sent; stopped after "
                f"{pages} requests instead of looping"
            )
        previous = fingerprint
        items.extend(found)
        read = (page - 1) * inputs.size + len(found)
        more = (total is not None and read < total) or (total is None and len(found) == inputs.size)
        if not found or not more or not inputs.fetchAll:
            break
        if inputs.limit is not None and len(items) >= inputs.limit:
            break
        page += 1
    if inputs.limit is not None and len(items) > inputs.limit:
        items = items[: inputs.limit]
        more = True
    return {
        "items": items,
        "total": total,
        "page": inputs.page,
        "size": inputs.size,
        "pagesFetched": pages,
        "mayHaveMore": more,
    }


def plus_months(day: date, months: int) -> date:
    """``day`` ``months`` later, the day clamped to the month's end (Jan 31 + 1 = Feb 28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def date_windows(
    start: date, end: date, months: int = MAX_WINDOW_MONTHS
) -> list[tuple[date, date]]:
    """``start``..``end`` (both included) as consecutive windows, each ending the day before
    the same day ``months`` after its own first day: under the limit however Chift counts a
    month's difference. Each begins the day after the previous one ends, so no day is in two
    windows and none is left out.

    Each window is measured from its own first day, not from ``start``: from 30 November, the
    window after 28 February would otherwise end on 29 May, past 3 months from its start.
    """
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    windows = []
    first = start
    while first <= end:
        last = min(plus_months(first, months) - timedelta(days=1), end)
        windows.append((first, last))
        first = last + timedelta(days=1)
    return windows


def _identity(record: Any) -> str:
    if isinstance(record, dict) and record.get("id") not in (None, ""):
        return f"id:{record['id']}"
    return "json:" + json.dumps(record, sort_keys=True, default=str)


def windowed_list_action(
    path: str,
    start: date,
    end: date,
    query: Mapping[str, Any] | None = None,
    months: int = MAX_WINDOW_MONTHS,
) -> Action:
    """Every record of ``path`` dated ``start``..``end``: one fully paged listing per window of
    :func:`date_windows` (``date_from``/``date_to``, both included by Chift), merged in window
    order, a record answered by two windows kept once (by its ``id``)."""
    items: list[Any] = []
    seen: set[str] = set()
    pages = 0
    windows = date_windows(start, end, months)
    for first, last in windows:
        window = {**(query or {}), "date_from": first.isoformat(), "date_to": last.isoformat()}
        listing = yield from list_action(path, ListInputs(fetchAll=True), window)
        pages += listing["pagesFetched"]
        for record in listing["items"]:
            identity = _identity(record)
            if identity not in seen:
                seen.add(identity)
                items.append(record)
    return {"items": items, "pagesFetched": pages, "windows": len(windows)}
