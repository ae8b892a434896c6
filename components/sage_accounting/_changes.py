"""``<resource>Changes`` triggers: records created, updated or deleted in Sage, each change once.

One factory makes the trigger of any Sage list that takes ``updated_or_created_since`` (and,
unless told otherwise, ``deleted_since``). A resource module adds its trigger in one line::

    changes_trigger("product", "/products", Product)
    changes_trigger("contactPayment", "/contact_payments", ContactPayment, filters=PaymentFilters)
    changes_trigger("journal", "/journals", Journal, deletions=False)  # no deleted_since

* ``noun`` makes the key (``productChanges``) and the title ("Product Changes");
* ``record`` is the resource's output model (an event's ``record``);
* ``filters`` is an :class:`~sageflow._component.Inputs` model of the list's own filters, in
  the pack's camelCase, each sent as its snake_case query parameter (``statusId`` ->
  ``status_id``); an id filter takes the lookup or closed set the list action's input uses;
* ``deletions=False`` for a list whose spec declares no ``deleted_since``: its ``events``
  input then offers only created and updated;
* ``sortable=True`` for a list Sage sorts by ``updated_at`` (``sort=updated_at:asc``; the
  guide's [G-sort] names invoices, quotes, credit notes, quick entries, contact payments and
  allocations, other payments, bank deposits and transfers): a poll disturbed by changes
  still moves its window past the first page it read, so a busy list cannot pin it.

How a poll stays exact (issue 12; the Sage facts are ``updated_or_created_since`` inclusive,
``deleted_since`` exclusive and answered with tombstones ``{id, $path, deleted_at}``):

* Time is the server's: the ``Date`` header of the first page (RFC 9110 §6.6.1), or failing
  that the newest ``updated_at`` seen. The local clock is never read.
* The next window starts ``OVERLAP`` before that time, and the cursor remembers every change
  it delivered inside the window (``id@updated_at``, ``id@deleted_at``), so a change committed
  late, or listed by two overlapping polls, is delivered once.
* Every page is followed (200 a page, ``_paging.list_action``). A listing is offset-paged, so
  a record that leaves or moves while the pages are read can shift another past a page
  boundary. A listing of one page is one snapshot; a longer one is trusted only when every
  page gave the same ``$total``, no id came twice and no record changed within ``SETTLE`` of
  the poll's start. Otherwise the window does not move (a list sorted by ``updated_at``
  moves it to the first page's last change, keeping the overlap), and the next poll reads it
  again; the memory drops what was already delivered.
* ``created`` is a record whose ``created_at`` equals its ``updated_at``, or one first seen
  that was created after the last instant every record was seen (the window's start, or
  before a partial advance, the start it moved from); every other change is ``updated``.
  Deletions come from the tombstones, which carry no fields to filter on: a filtered
  trigger's deletions are every deletion of the resource.
* Events come oldest first within a poll; a record a disturbed listing skipped comes with the
  next poll, after newer ones it already delivered.
* The cursor is JSON: each window's start and the keys delivered inside it (after a quiet
  poll, the last ``OVERLAP`` of changes; after a disturbed one, all since the start).
* Cost per poll when nothing changed: one request (created/updated), one more for deletions
  (``python bench/bench_triggers.py`` counts it for every trigger of the pack).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel, Field, create_model

from sage_accounting import _wire
from sage_accounting._lookups import (
    ADDRESSES,
    CONTACTS,
    LEDGER_ACCOUNT_TYPES,
    AreaId,
    ContactTypeId,
    InvoiceStatusId,
)
from sage_accounting._models import Bool, SageObject, optional
from sage_accounting._pack import PACK
from sage_accounting._paging import MAX_ITEMS_PER_PAGE, list_action
from sage_accounting._resources import (
    Contact,
    ContactPerson,
    LedgerAccount,
    PurchaseInvoice,
    SalesInvoice,
)
from sageflow._component import Inputs, Poll, Trigger, TriggerEvent, _title
from sageflow._errors import SageflowError
from sageflow._options import closed_set
from sageflow._triggers import CursorError
from sageflow._values import HTTPResponse, QueryValue

#: How far back each poll re-reads before the previous poll's server time: a change Sage stamps
#: before it commits (or a server a little behind another) still falls inside the next window.
OVERLAP = timedelta(minutes=2)
#: A record changed this close before the first page's ``Date`` may have changed while the
#: pages were read. ``Date`` is stamped when the answer is sent, after the page was read from
#: the books, so this must exceed the time Sage takes to answer a page of 200 (seconds).
SETTLE = timedelta(seconds=30)
#: ``deleted_since`` for a window that starts at the beginning (a resource empty at the start).
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR_VERSION = 1

_KINDS = {"created": "Created", "updated": "Updated", "deleted": "Deleted"}
if TYPE_CHECKING:
    ChangeKind = Literal["created", "updated"]
    AnyKind = Literal["created", "updated", "deleted"]
else:
    ChangeKind = closed_set({k: v for k, v in _KINDS.items() if k != "deleted"})
    AnyKind = closed_set(_KINDS)


class ChangesResponseError(SageflowError):
    """A listing whose records lack what change tracking needs (an id, an ``updated_at``)."""


# --- time ------------------------------------------------------------------------------------


def _instant(text: str) -> datetime:
    """An ISO 8601 instant as an aware UTC datetime (Sage sends ``2026-01-05T09:00:00Z``)."""
    when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _stamp(when: datetime) -> str:
    """``when`` as Sage writes instants: UTC, ``Z``, fractions only when there are some."""
    when = when.astimezone(UTC)
    shape = "%Y-%m-%dT%H:%M:%S.%fZ" if when.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return when.strftime(shape)


#: RFC 9110 §5.6.7's preferred HTTP-date (IMF-fixdate): ``Sun, 06 Nov 1994 08:49:37 GMT``.
_IMF_FIXDATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")


def server_time(response: HTTPResponse) -> datetime | None:
    """The server's clock from the ``Date`` header (RFC 9110 §6.6.1), or None without one.

    Two ``Date`` headers (a proxy adding its own) reach a client joined into one value; the
    earlier of them is taken, since a window that starts earlier only reads more.
    """
    raw = response.header("date")
    if not raw:
        return None
    found = _IMF_FIXDATE.findall(raw)
    try:
        when = min(parsedate_to_datetime(d) for d in found) if found else parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return (when if when.tzinfo is not None else when.replace(tzinfo=UTC)).astimezone(UTC)


# --- the cursor ------------------------------------------------------------------------------


@dataclass
class _Window:
    """One listing's window: where the next poll starts, and the changes delivered inside it.

    ``born`` is where every record seen since was created, as far as the trigger knows: a
    record first seen that was created at or after it is new. It trails ``since`` while a
    sorted list's window moved past records it has not seen yet (their creation must still
    read as one), and what was delivered after it stays remembered.
    """

    since: datetime | None
    #: ``id@at`` -> "c" (delivered as created) or "u" (updated) or "d" (deleted)
    seen: dict[str, str]
    born: datetime | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "since": _stamp(self.since) if self.since is not None else None,
            "seen": dict(sorted(self.seen.items())),
        }
        if self.born != self.since:
            out["born"] = _stamp(self.born) if self.born is not None else None
        return out


def _read_window(raw: Any, name: str) -> _Window:
    if not isinstance(raw, Mapping):
        raise CursorError(f"the cursor's {name} is not an object")
    since, seen = raw.get("since"), raw.get("seen")
    born = raw.get("born", since)
    for field, value in (("since", since), ("born", born)):
        if value is not None and not isinstance(value, str):
            raise CursorError(f"the cursor's {name}.{field} is not an ISO 8601 string")
    if not isinstance(seen, Mapping) or not all(
        isinstance(k, str) and v in ("c", "u", "d") for k, v in seen.items()
    ):
        raise CursorError(f"the cursor's {name}.seen is not a map of id@at to c, u or d")
    try:
        start = _instant(since) if since is not None else None
        floor = _instant(born) if born is not None else None
    except ValueError:
        raise CursorError(f"the cursor's {name}.since {since!r} is not an instant") from None
    return _Window(start, dict(seen), floor)


def _read_cursor(raw: Mapping[str, Any], path: str) -> tuple[_Window, _Window]:
    if raw.get("v") != CURSOR_VERSION:
        raise CursorError(f"unknown cursor version {raw.get('v')!r} (expected {CURSOR_VERSION})")
    if raw.get("resource") != path:
        raise CursorError(
            f"this cursor tracks {raw.get('resource')!r}, not {path}: "
            "a cursor belongs to the trigger that returned it"
        )
    return _read_window(raw.get("changes"), "changes"), _read_window(
        raw.get("deletions"), "deletions"
    )


def _cursor(path: str, changes: _Window, deletions: _Window) -> dict[str, Any]:
    return {
        "v": CURSOR_VERSION,
        "resource": path,
        "changes": changes.to_json(),
        "deletions": deletions.to_json(),
    }


def _kept(seen: Mapping[str, str], since: datetime | None) -> dict[str, str]:
    """The memory a window needs: the changes at or after its start (older ones are never
    listed again)."""
    if since is None:
        return dict(seen)
    return {k: v for k, v in seen.items() if _instant(k.rpartition("@")[2]) >= since}


def _advanced(
    window: _Window,
    now: datetime | None,
    trusted: bool,
    seen: dict[str, str],
    read_through: datetime | None = None,
) -> _Window:
    """The window the next poll reads: moved to ``now - OVERLAP`` when this listing is
    trusted, else to where it was surely read (``read_through``, if known, and no nearer to
    ``now`` than the overlap: a change committed late is as likely there); never backwards
    (what was delivered before the start is no longer remembered)."""
    since = window.since
    overlapped = (now - OVERLAP) if now is not None else None
    start = overlapped if trusted else read_through
    if start is not None and overlapped is not None:
        start = min(start, overlapped)
    if start is not None:
        since = start if since is None else max(since, start)
    # A trusted listing saw every record changed since the old start, so creations before the
    # new one were classified; a partial advance did not, so ``born`` stays where it was.
    born = since if trusted else window.born
    return _Window(since, _kept(seen, born), born)


# --- one listing -----------------------------------------------------------------------------


@dataclass
class _Pages:
    """What a listing's pages said besides their items: the server's time, each $total, and
    how many records the first page held (a sorted listing's first page is one snapshot)."""

    first_date: datetime | None = None
    totals: set[Any] | None = None
    count: int = 0
    first_size: int = 0

    def see(self, response: HTTPResponse) -> None:
        page = response.json()
        if self.count == 0:
            self.first_date = server_time(response)
            self.totals = set()
            items = page.get("$items") if isinstance(page, Mapping) else None
            self.first_size = len(items) if isinstance(items, list) else 0
        self.count += 1
        assert self.totals is not None
        self.totals.add(page.get("$total") if isinstance(page, Mapping) else None)


def _record_time(item: Mapping[str, Any], field: str, path: str) -> datetime:
    raw, ident = item.get(field), item.get("id")
    if not isinstance(ident, str) or not ident or not isinstance(raw, str):
        raise ChangesResponseError(
            f"GET {path} returned a record without an id or a {field} "
            f"(keys: {sorted(item)}); changes cannot be tracked without them"
        )
    try:
        return _instant(raw)
    except ValueError:
        raise ChangesResponseError(
            f"GET {path} returned {field} {raw!r} for {ident}, not an ISO 8601 instant"
        ) from None


def _trusted(items: list[dict[str, Any]], pages: _Pages, times: list[datetime]) -> bool:
    """Whether the listing cannot have skipped a record (see the module's docstring)."""
    totals = pages.totals or set()
    if len(totals) != 1 or len({i.get("id") for i in items}) != len(items):
        return False
    (total,) = totals
    if isinstance(total, int) and total != len(items):
        return False
    if pages.count == 1 or pages.first_date is None:
        # One page is one snapshot: nothing moved between pages. Without the server's time,
        # the totals are all there is to go on.
        return True
    return all(t < pages.first_date - SETTLE for t in times)


def _read_through(pages: _Pages, times: list[datetime], sorted_by_update: bool) -> datetime | None:
    """How far an untrusted listing was still read completely, or None when nothing is known.

    Sorted by ``updated_at``, the first page is one snapshot of the oldest changes: every
    record changed before its last one was on it, whatever moved afterwards (a record that
    changes goes to the end). Ties with the last one may continue on the next page, which
    is why the next window starts *at* that instant (inclusive) rather than after it.
    """
    if not sorted_by_update or pages.count < 2 or not pages.first_size:
        return None
    return times[pages.first_size - 1]


def _changes(path: str, filters: Mapping[str, QueryValue], window: _Window, sortable: bool) -> Poll:
    """List the records created or changed since the window's start; their events, in order."""
    query: dict[str, QueryValue] = {
        **filters,
        "attributes": "all",
        "items_per_page": MAX_ITEMS_PER_PAGE,
    }
    if sortable:
        query["sort"] = "updated_at:asc"
    if window.since is not None:
        query["updated_or_created_since"] = _stamp(window.since)
    pages = _Pages()
    listing = yield from list_action(path, query, fetch_all=True, on_page=pages.see)
    items: list[dict[str, Any]] = listing["items"]
    seen = dict(window.seen)
    created = {k.rpartition("@")[0] for k, v in seen.items() if v == "c"}
    events: list[dict[str, Any]] = []
    times: list[datetime] = []
    for item in items:
        updated = _record_time(item, "updated_at", path)
        times.append(updated)
        if window.since is not None and updated < window.since:
            # Before the window: delivered already, or before the trigger started. Its key is
            # no longer remembered, so only the bound keeps it from coming back.
            continue
        ident = str(item["id"])
        at = _stamp(updated)
        key = f"{ident}@{at}"
        if key in seen:
            continue
        born = item.get("created_at")
        born_at = _instant(born) if isinstance(born, str) and born else None
        is_new = born_at is not None and (
            born_at == updated
            or (ident not in created and (window.born is None or born_at >= window.born))
        )
        seen[key] = "c" if is_new else "u"
        if is_new:
            created.add(ident)
        events.append(
            {"type": "created" if is_new else "updated", "id": ident, "record": item, "at": at}
        )
    now = pages.first_date
    if now is None and times:
        now = max(times)
    trusted = _trusted(items, pages, times)
    through = _read_through(pages, times, sortable)
    nxt = _advanced(window, now, trusted, seen, through)
    return {"events": events, "window": nxt, "now": pages.first_date or now}


def _deletions(path: str, window: _Window) -> Poll:
    """List the tombstones of records deleted since the window's start; their events."""
    start = window.since or _BEGINNING
    # deleted_since is exclusive: one second earlier, then the exact bound is applied here.
    query: dict[str, QueryValue] = {
        "deleted_since": _stamp(start - timedelta(seconds=1)),
        "items_per_page": MAX_ITEMS_PER_PAGE,
    }
    pages = _Pages()
    listing = yield from list_action(path, query, fetch_all=True, on_page=pages.see)
    items: list[dict[str, Any]] = listing["items"]
    seen = dict(window.seen)
    events: list[dict[str, Any]] = []
    times: list[datetime] = []
    for item in items:
        deleted = _record_time(item, "deleted_at", path)
        times.append(deleted)
        if deleted < start:
            continue
        ident = str(item["id"])
        at = _stamp(deleted)
        key = f"{ident}@{at}"
        if key in seen:
            continue
        seen[key] = "d"
        events.append({"type": "deleted", "id": ident, "record": item, "at": at})
    now = pages.first_date
    if now is None and times:
        now = max(times)
    nxt = _advanced(window, now, _trusted(items, pages, times), seen)
    return {"events": events, "window": nxt, "now": pages.first_date or now}


def _server_now(path: str) -> Poll:
    """The server's current time, for a first poll "from now": one one-record request.

    Without a ``Date`` header the newest ``updated_at`` of the whole list stands in for it
    (every page read once); an empty list has no time, and its window starts at the
    beginning, so every record that appears later is new.
    """
    pages = _Pages()
    yield from list_action(path, {"items_per_page": 1}, on_page=pages.see)
    if pages.first_date is not None:
        return {"now": pages.first_date}
    query: dict[str, QueryValue] = {"attributes": "updated_at", "items_per_page": 200}
    listing = yield from list_action(path, query, fetch_all=True)
    times = [_record_time(item, "updated_at", path) for item in listing["items"]]
    return {"now": max(times) if times else None}


# --- the trigger ------------------------------------------------------------------------------


class _Events(Inputs):
    """The ``events`` input of a trigger whose list tracks deletions."""

    events: list[AnyKind] = Field(
        default=["created", "updated", "deleted"],
        min_length=1,
        description="Which changes start the flow: any of created, updated, deleted (all three "
        "by default). Deletions are not filtered: a tombstone carries only id and deleted_at.",
        examples=[["created"]],
    )


class _ChangeEvents(Inputs):
    """The ``events`` input of a trigger whose list has no ``deleted_since``."""

    events: list[ChangeKind] = Field(
        default=["created", "updated"],
        min_length=1,
        description="Which changes start the flow: created, updated or both (the default). "
        "Sage's list has no deleted_since, so deletions cannot be seen.",
        examples=[["created"]],
    )


def _inputs_model(noun: str, filters: type[Inputs] | None, deletions: bool) -> type[Inputs]:
    events = _Events if deletions else _ChangeEvents
    bases: tuple[type[Inputs], ...] = (events,) if filters is None else (filters, events)
    name = f"{noun[:1].upper()}{noun[1:]}ChangesInputs"
    model = create_model(name, __base__=bases, __module__=__name__)
    return cast("type[Inputs]", model)


def _example_record(path: str, ident: str) -> dict[str, Any]:
    return {
        "id": ident,
        "displayed_as": "Example",
        "$path": f"{path}/{ident}",
        "created_at": "2026-03-02T09:15:00Z",
        "updated_at": "2026-03-02T09:15:00Z",
    }


def changes_trigger(
    noun: str,
    path: str,
    record: type[BaseModel] = SageObject,
    *,
    filters: type[Inputs] | None = None,
    deletions: bool = True,
    sortable: bool = False,
    example: Mapping[str, Any] | None = None,
) -> Trigger:
    """Register ``<noun>Changes``, the trigger of the Sage list at ``path`` (see the module)."""
    key = f"{noun}Changes"
    plural = _title(noun).lower() + "s"
    inputs_model = _inputs_model(noun, filters, deletions)
    kinds = "created, updated or deleted" if deletions else "created or updated"
    sample = dict(example or _example_record(path, "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"))

    def poll(inputs: Inputs, cursor: Mapping[str, Any] | None, since: datetime | None) -> Poll:
        return _poll(path, deletions, sortable, inputs, cursor, since)

    PACK.trigger(
        key=key,
        title=f"{_title(noun)} Changes",
        description=(
            f"Start a flow when {plural} are {kinds}: polls GET {path} with "
            "updated_or_created_since"
            + (" and deleted_since" if deletions else "")
            + ", each change once, oldest first."
        ),
        inputs=inputs_model,
        output=TriggerEvent[record],  # type: ignore[valid-type]
        example_input={"events": ["created"]},
        example_output={
            "type": "created",
            "id": sample["id"],
            "record": sample,
            "at": sample.get("updated_at", "2026-03-02T09:15:00Z"),
        },
    )(poll)
    trigger = PACK.get(key)
    assert isinstance(trigger, Trigger)
    return trigger


def _poll(
    path: str,
    deletions: bool,
    sortable: bool,
    inputs: Inputs,
    cursor: Mapping[str, Any] | None,
    since: datetime | None,
) -> Poll:
    wanted: set[str] = set(getattr(inputs, "events"))  # noqa: B009 - every model has it
    filters = _wire.query(inputs, exclude=("events",))
    if cursor is None:
        if since is None:
            found = yield from _server_now(path)
            start: datetime | None = found["now"]
            fresh = _Window(start, {}, start)
            return {"events": [], "cursor": _cursor(path, fresh, _Window(start, {}, start))}
        changes, gone = _Window(since, {}, since), _Window(since, {}, since)
    else:
        changes, gone = _read_cursor(cursor, path)
    events: list[dict[str, Any]] = []
    now: datetime | None = None
    if wanted & {"created", "updated"}:
        listed = yield from _changes(path, filters, changes, sortable)
        events += [e for e in listed["events"] if e["type"] in wanted]
        changes, now = listed["window"], listed["now"]
    if deletions and "deleted" in wanted:
        listed = yield from _deletions(path, gone)
        events += listed["events"]
        gone, now = listed["window"], now or listed["now"]
    # A kind of event not asked for is not listed; its window moves on with the server's time,
    # so asking for it later means "from then on", not a backlog from the first poll. What it
    # delivered inside the moved window stays remembered (asked for again, it is not repeated).
    if not wanted & {"created", "updated"} and now is not None:
        changes = _advanced(changes, now, True, changes.seen)
    if not (deletions and "deleted" in wanted) and now is not None:
        gone = _advanced(gone, now, True, gone.seen)
    events.sort(key=lambda e: _instant(e["at"]))  # stable: a page's order within one instant
    return {"events": events, "cursor": _cursor(path, changes, gone)}


# --- the pack's change-tracked resources ------------------------------------------------------


class ContactChangeFilters(Inputs):
    contactTypeId: ContactTypeId | None = optional(
        "Only contacts of this type: CUSTOMER or VENDOR.", "CUSTOMER"
    )
    excludeSystem: Bool | None = optional("Leave out Sage's system contacts.", True)


class ContactPersonChangeFilters(Inputs):
    contactId: str | None = optional(
        "Only the people of this contact.",
        "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2",
        json_schema_extra=CONTACTS,
    )
    addressId: str | None = optional(
        "Only the people at this address.",
        "8e1f0c2b3a4d5e6f708192a3b4c5d6e7",
        json_schema_extra=ADDRESSES,
    )


class InvoiceChangeFilters(Inputs):
    statusId: InvoiceStatusId | None = optional(
        "Only invoices in this status: DRAFT, UNPAID, PART_PAID, PAID, VOID, ...", "UNPAID"
    )
    contactId: str | None = optional(
        "Only this contact's invoices.",
        "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2",
        json_schema_extra=CONTACTS,
    )


class LedgerAccountChangeFilters(Inputs):
    ledgerAccountTypeId: str | None = optional(
        "Only accounts of this type.", "SALES", json_schema_extra=LEDGER_ACCOUNT_TYPES
    )
    visibleIn: AreaId | None = optional(
        "Only accounts shown in this area: sales, expenses, banking, journals, ...", "sales"
    )


CONTACT_CHANGES = changes_trigger("contact", "/contacts", Contact, filters=ContactChangeFilters)
CONTACT_PERSON_CHANGES = changes_trigger(
    "contactPerson", "/contact_persons", ContactPerson, filters=ContactPersonChangeFilters
)
# [G-sort]: invoices (and credit notes, quotes, payments...) sort by updated_at.
SALES_INVOICE_CHANGES = changes_trigger(
    "salesInvoice", "/sales_invoices", SalesInvoice, filters=InvoiceChangeFilters, sortable=True
)
PURCHASE_INVOICE_CHANGES = changes_trigger(
    "purchaseInvoice",
    "/purchase_invoices",
    PurchaseInvoice,
    filters=InvoiceChangeFilters,
    sortable=True,
)
# GET /ledger_accounts declares updated_or_created_since but no deleted_since (the swagger).
LEDGER_ACCOUNT_CHANGES = changes_trigger(
    "ledgerAccount",
    "/ledger_accounts",
    LedgerAccount,
    filters=LedgerAccountChangeFilters,
    deletions=False,
)
