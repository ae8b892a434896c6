"""The cursor logic of ``<resource>Changes`` triggers, driven by hand: no sandbox, no I/O.

Each test answers the poll's requests itself, so what is asserted is the pure handler's: which
requests it makes from a cursor, and which events and next cursor it makes from the answers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from triggerkit import drive, page, record, tombstone

from sage_accounting import _changes
from sage_accounting._changes import OVERLAP, ChangesResponseError
from sageflow._errors import InputValidationError
from sageflow._triggers import CursorError
from sageflow._values import HTTPRequest, HTTPResponse

T = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    """``T`` plus ``seconds``, as Sage writes it."""
    return (T + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cursor(
    since: str | None = at(0),
    seen: dict[str, str] | None = None,
    deleted_since: str | None = at(0),
    deleted_seen: dict[str, str] | None = None,
    resource: str = "/contacts",
) -> dict[str, Any]:
    return {
        "v": 1,
        "resource": resource,
        "changes": {"since": since, "seen": seen or {}},
        "deletions": {"since": deleted_since, "seen": deleted_seen or {}},
    }


def only(*responses: HTTPResponse) -> Any:
    """Answer the poll's requests with ``responses`` in turn (and fail on one more)."""
    queue = list(responses)

    def answer(request: HTTPRequest) -> HTTPResponse:
        assert queue, f"unexpected request {request.method} {request.path} {dict(request.query)}"
        return queue.pop(0)

    return answer


CHANGES = {"events": ["created", "updated"]}


# --- the first poll ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "server", [datetime(2031, 7, 1, 12, tzinfo=UTC), datetime(1999, 12, 31, 23, tzinfo=UTC)]
)
def test_a_first_poll_starts_at_the_servers_now_with_one_request(server: datetime) -> None:
    out, sent = drive("contactChanges", {}, None, only(page([record("a", at(0))], date=server)))
    assert [(r.method, r.path, dict(r.query)) for r in sent] == [
        ("GET", "/contacts", {"items_per_page": 1})
    ]
    assert out["events"] == []
    stamp = server.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert out["cursor"] == cursor(since=stamp, deleted_since=stamp)


def test_without_a_date_header_the_first_poll_takes_the_newest_record() -> None:
    newest = [record("a", at(-50)), record("b", at(-90), at(-10)), record("c", at(-30))]
    out, sent = drive(
        "contactChanges", {}, None, only(page(newest[:1], date=None), page(newest, date=None))
    )
    assert dict(sent[1].query) == {"attributes": "updated_at", "items_per_page": 200}
    assert out["cursor"]["changes"]["since"] == at(-10)


def test_an_empty_list_without_a_date_starts_at_the_beginning_so_everything_later_is_new() -> None:
    out, _ = drive("contactChanges", CHANGES, None, only(page([], date=None), page([], date=None)))
    assert out["cursor"]["changes"]["since"] is None
    later = [record("a", at(0), at(40)), record("b", at(5))]
    out, sent = drive("contactChanges", CHANGES, out["cursor"], only(page(later, date=None)))
    assert "updated_or_created_since" not in sent[0].query
    assert [(e["type"], e["id"]) for e in out["events"]] == [("created", "b"), ("created", "a")]


# --- listing from a cursor ---------------------------------------------------------------------


def test_a_poll_asks_from_the_cursor_follows_every_page_and_orders_oldest_first() -> None:
    first = [record("late", at(30)), record("early", at(10))]
    second = [record("middle", at(20))]
    link = "/contacts?page=2&items_per_page=200&attributes=all"
    out, sent = drive(
        "contactChanges",
        {**CHANGES, "contactTypeId": "VENDOR"},
        cursor(),
        only(
            page(first, date=T + timedelta(minutes=5), total=3, next_link=link),
            page(second, date=T + timedelta(minutes=5), total=3),
        ),
    )
    assert dict(sent[0].query) == {
        "contact_type_id": "VENDOR",
        "attributes": "all",
        "items_per_page": 200,
        "updated_or_created_since": at(0),
    }
    assert (sent[1].path, sent[1].query["page"]) == ("/contacts", "2")
    assert [e["id"] for e in out["events"]] == ["early", "middle", "late"]
    assert [e["at"] for e in out["events"]] == [at(10), at(20), at(30)]


def test_created_is_told_from_updated_by_created_at_and_first_sighting() -> None:
    listing = [
        record("never-changed", at(10)),  # created_at == updated_at
        record("new-then-edited", at(5), at(20)),  # created inside the window, first seen
        record("old-edited", at(-3600), at(30)),  # created before the window
        record("known-edited", at(2), at(40)),  # its creation was delivered before
    ]
    out, _ = drive(
        "contactChanges",
        CHANGES,
        cursor(seen={f"known-edited@{at(2)}": "c"}),
        only(page(listing, date=T + timedelta(minutes=5))),
    )
    assert [(e["type"], e["id"]) for e in out["events"]] == [
        ("created", "never-changed"),
        ("created", "new-then-edited"),
        ("updated", "old-edited"),
        ("updated", "known-edited"),
    ]
    assert out["events"][0]["record"] == listing[0]  # the record as Sage sent it


def test_the_overlap_is_read_again_and_nothing_is_delivered_twice() -> None:
    listing = [record("a", at(10)), record("b", at(-100), at(20))]
    answer = page(listing, date=T + timedelta(seconds=60))
    first, _ = drive("contactChanges", CHANGES, cursor(), only(answer))
    assert len(first["events"]) == 2
    # The server's time less the overlap is before the records: the next poll lists them again.
    assert first["cursor"]["changes"]["since"] == at(0)
    again, _ = drive("contactChanges", CHANGES, first["cursor"], only(answer))
    assert again["events"] == []
    # A second change of one of them, at another instant, is a new event.
    edited = [*listing, record("a", at(10), at(50))]
    third, _ = drive(
        "contactChanges",
        CHANGES,
        again["cursor"],
        only(page(edited[1:], date=T + timedelta(seconds=90))),
    )
    assert [(e["type"], e["id"], e["at"]) for e in third["events"]] == [("updated", "a", at(50))]


def test_a_trusted_listing_moves_the_window_to_server_time_less_the_overlap() -> None:
    server = T + timedelta(hours=1)
    listing = [record("a", at(10)), record("b", at(3530))]
    out, _ = drive(
        "contactChanges",
        CHANGES,
        cursor(seen={f"gone@{at(1)}": "u"}),
        only(page(listing, date=server)),
    )
    since = server - OVERLAP
    assert out["cursor"]["changes"]["since"] == since.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Only what the next window can list again is remembered.
    assert out["cursor"]["changes"]["seen"] == {f"b@{at(3530)}": "c"}


def _two_pages(
    first: list[dict[str, Any]], second: list[dict[str, Any]], totals: tuple[int, int]
) -> Any:
    server = T + timedelta(hours=1)
    link = "/contacts?page=2&items_per_page=200"
    return only(
        page(first, date=server, total=totals[0], next_link=link),
        page(second, date=server, total=totals[1]),
    )


UNTRUSTED = [
    pytest.param(
        _two_pages([record("a", at(1))], [record("b", at(2))], (2, 3)),
        id="total-changed-between-pages",
    ),
    pytest.param(
        _two_pages([record("a", at(1))], [record("a", at(1))], (2, 2)),
        id="an-id-listed-twice",
    ),
    pytest.param(
        _two_pages([record("a", at(1))], [record("b", at(3598))], (2, 2)),
        id="changed-as-the-poll-began",
    ),
    pytest.param(
        # Date is stamped when the first page is sent, which may be well after it was read.
        _two_pages([record("a", at(1))], [record("b", at(3580))], (2, 2)),
        id="changed-while-a-slow-first-page-was-answered",
    ),
    pytest.param(
        _two_pages([record("a", at(1))], [], (2, 2)),
        id="fewer-records-than-the-total",
    ),
]


@pytest.mark.parametrize("answer", UNTRUSTED)
def test_a_listing_that_may_have_skipped_a_record_keeps_the_window(answer: Any) -> None:
    out, _ = drive("contactChanges", CHANGES, cursor(), answer)
    assert out["cursor"]["changes"]["since"] == at(0)
    # What it did deliver is remembered, so the next poll, reading the window again, does not
    # deliver it twice.
    delivered = {f"{e['id']}@{e['at']}" for e in out["events"]}
    assert delivered
    assert delivered <= set(out["cursor"]["changes"]["seen"])


def test_the_window_never_moves_back_when_the_servers_clock_does() -> None:
    out, _ = drive(
        "contactChanges",
        CHANGES,
        cursor(since=at(3600), seen={f"a@{at(3700)}": "c"}),
        only(page([record("a", at(3700))], date=T)),
    )
    assert out["cursor"]["changes"] == {"since": at(3600), "seen": {f"a@{at(3700)}": "c"}}
    assert out["events"] == []


# --- deletions ----------------------------------------------------------------------------------


def test_deletions_come_from_tombstones_with_the_exact_bound() -> None:
    server = T + timedelta(minutes=10)
    stones = [tombstone("before", at(-1)), tombstone("x", at(0)), tombstone("y", at(30))]
    out, sent = drive(
        "contactChanges",
        {"events": ["deleted"]},
        cursor(),
        only(page(stones, date=server)),
    )
    # deleted_since is exclusive: asked one second early, the exact bound applied here.
    assert [dict(r.query) for r in sent] == [{"deleted_since": at(-1), "items_per_page": 200}]
    assert [(e["type"], e["id"], e["at"]) for e in out["events"]] == [
        ("deleted", "x", at(0)),
        ("deleted", "y", at(30)),
    ]
    assert out["events"][0]["record"] == stones[1]
    again, _ = drive(
        "contactChanges", {"events": ["deleted"]}, out["cursor"], only(page(stones, date=server))
    )
    assert again["events"] == []


def test_changes_and_deletions_are_merged_oldest_first() -> None:
    server = T + timedelta(minutes=10)
    out, sent = drive(
        "contactChanges",
        {},
        cursor(),
        only(
            page([record("a", at(20)), record("b", at(40))], date=server),
            page([tombstone("c", at(30))], date=server),
        ),
    )
    assert len(sent) == 2
    assert [(e["type"], e["id"]) for e in out["events"]] == [
        ("created", "a"),
        ("deleted", "c"),
        ("created", "b"),
    ]


# --- the events input ---------------------------------------------------------------------------


def test_events_not_asked_for_are_not_delivered_but_still_classified() -> None:
    # Polls a minute apart: the window (less the overlap) still holds "new"'s creation.
    listing = [record("new", at(10)), record("old", at(-999), at(20))]
    out, _ = drive(
        "contactChanges",
        {"events": ["created"]},
        cursor(),
        only(page(listing, date=T + timedelta(seconds=60))),
    )
    assert [(e["type"], e["id"]) for e in out["events"]] == [("created", "new")]
    assert out["cursor"]["changes"]["since"] == at(0)
    # A later edit of "new" is an update, not a second creation, though no event said so:
    # the cursor remembers the creation it classified.
    edited = [record("new", at(10), at(70)), record("old", at(-999), at(20))]
    later, _ = drive(
        "contactChanges",
        {"events": ["created", "updated"]},
        out["cursor"],
        only(page(edited, date=T + timedelta(seconds=90))),
    )
    # ("old"'s change was listed by the first poll: not asked for then, not delivered now.)
    assert [(e["type"], e["id"]) for e in later["events"]] == [("updated", "new")]


def test_deletions_only_make_one_request_and_the_other_window_starts_afresh() -> None:
    server = T + timedelta(hours=2)
    out, sent = drive(
        "contactChanges",
        {"events": ["deleted"]},
        cursor(seen={f"a@{at(1)}": "c"}),
        only(page([], date=server)),
    )
    assert len(sent) == 1
    assert "deleted_since" in sent[0].query
    moved = (server - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Asking for created/updated later means from then on, not a backlog since the first poll.
    assert out["cursor"]["changes"] == {"since": moved, "seen": {}}


def test_created_and_updated_only_make_one_request() -> None:
    _, sent = drive(
        "contactChanges", CHANGES, cursor(), only(page([], date=T + timedelta(hours=1)))
    )
    assert len(sent) == 1
    assert "updated_or_created_since" in sent[0].query


def test_ledger_accounts_have_no_deletions_to_ask_for() -> None:
    from triggerkit import trigger

    with pytest.raises(InputValidationError) as refused:
        trigger("ledgerAccountChanges").validate({"events": ["deleted"]})
    assert "$.events[0]" in str(refused.value)
    _, sent = drive(
        "ledgerAccountChanges",
        {},
        cursor(resource="/ledger_accounts"),
        only(page([], date=T + timedelta(hours=1))),
    )
    assert [r.path for r in sent] == ["/ledger_accounts"]
    assert "deleted_since" not in sent[0].query


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({"events": []}, id="no-event-kind"),
        pytest.param({"events": ["removed"]}, id="unknown-kind"),
        pytest.param({"contactTypeId": "PARTNER"}, id="unknown-contact-type"),
        pytest.param({"since": "2026-01-01"}, id="unknown-input"),
    ],
)
def test_bad_inputs_are_refused_before_any_request(raw: dict[str, Any]) -> None:
    from triggerkit import trigger

    with pytest.raises(InputValidationError):
        trigger("contactChanges").validate(raw)


# --- what is refused ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        pytest.param({**cursor(), "v": 99}, "unknown cursor version 99", id="version"),
        pytest.param(
            cursor(resource="/sales_invoices"), "tracks '/sales_invoices'", id="another-trigger"
        ),
        pytest.param(
            {**cursor(), "changes": {"since": 5, "seen": {}}}, "changes.since", id="since-type"
        ),
        pytest.param(
            {**cursor(), "changes": {"since": "yesterday", "seen": {}}},
            "'yesterday' is not an instant",
            id="since-text",
        ),
        pytest.param(
            {**cursor(), "deletions": {"since": at(0), "seen": {"a@x": "zz"}}},
            "deletions.seen",
            id="memory",
        ),
        pytest.param({**cursor(), "changes": []}, "changes is not an object", id="shape"),
    ],
)
def test_a_cursor_the_trigger_did_not_write_is_refused(bad: dict[str, Any], says: str) -> None:
    with pytest.raises(CursorError, match=says):
        drive("contactChanges", {}, bad, only())


def test_a_record_without_updated_at_is_an_error_naming_the_list() -> None:
    broken = [{"id": "a", "$path": "/contacts/a"}]
    with pytest.raises(ChangesResponseError, match=r"GET /contacts .* updated_at"):
        drive("contactChanges", CHANGES, cursor(), only(page(broken, date=T)))


def test_the_handler_never_reads_the_local_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoClock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> NoClock:
            raise AssertionError("the trigger read the local clock")

        @classmethod
        def utcnow(cls) -> NoClock:
            raise AssertionError("the trigger read the local clock")

        @classmethod
        def today(cls) -> NoClock:
            raise AssertionError("the trigger read the local clock")

    monkeypatch.setattr(_changes, "datetime", NoClock)
    server = datetime(2044, 2, 29, 12, tzinfo=UTC)
    first, _ = drive("contactChanges", {}, None, only(page([], date=server)))
    later = [record("a", "2044-02-29T12:00:30Z")]
    out, _ = drive(
        "contactChanges",
        {},
        first["cursor"],
        only(page(later, date=server + timedelta(minutes=1)), page([], date=server)),
    )
    assert [(e["type"], e["id"]) for e in out["events"]] == [("created", "a")]


def test_one_page_is_one_snapshot_and_is_trusted_even_with_records_of_this_second() -> None:
    server = T + timedelta(hours=1)
    out, _ = drive(
        "contactChanges",
        CHANGES,
        cursor(),
        only(page([record("a", at(3600))], date=server)),  # changed in the poll's own second
    )
    assert out["cursor"]["changes"]["since"] == (server - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_list_sorted_by_update_moves_an_untrusted_window_to_its_first_pages_last_change() -> None:
    server = T + timedelta(hours=1)
    link = "/sales_invoices?page=2&items_per_page=200&sort=updated_at%3Aasc"
    first = [record(f"i{n}", at(n)) for n in range(1, 4)]
    # The second page ends with an invoice changed as the poll began: the listing may have
    # skipped one, but not before the first page's last change.
    answer = only(
        page(first, date=server, total=5, next_link=link),
        page([record("i9", at(9)), record("busy", at(3599))], date=server, total=5),
    )
    out, sent = drive("salesInvoiceChanges", CHANGES, cursor(resource="/sales_invoices"), answer)
    assert sent[0].query["sort"] == "updated_at:asc"
    assert out["cursor"]["changes"]["since"] == at(3)
    assert len(out["events"]) == 5
    # Contacts are listed by name: nothing is known to be complete, the window stays.
    contacts, _ = drive(
        "contactChanges",
        CHANGES,
        cursor(),
        only(
            page(first, date=server, total=5, next_link="/contacts?page=2"),
            page([record("i9", at(9)), record("busy", at(3599))], date=server, total=5),
        ),
    )
    assert contacts["cursor"]["changes"]["since"] == at(0)


def test_a_record_from_before_the_window_is_not_delivered_even_if_the_server_lists_it() -> None:
    # A server (or proxy) that ignored updated_or_created_since would list old records every
    # poll; their keys are no longer remembered, so only the bound stops a repeat delivery.
    server = T + timedelta(hours=1)
    listing = [record("old", at(-3600)), record("new", at(60))]
    out, _ = drive("contactChanges", CHANGES, cursor(), only(page(listing, date=server)))
    assert [e["id"] for e in out["events"]] == ["new"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("Mon, 05 Jan 2026 09:00:00 GMT", T, id="imf-fixdate"),
        pytest.param(
            "Mon, 05 Jan 2026 09:00:07 GMT, Mon, 05 Jan 2026 09:00:00 GMT",
            T,
            id="two-joined-the-earlier",
        ),
        pytest.param("Monday, 05-Jan-26 09:00:00 GMT", T, id="rfc850"),
        pytest.param("yesterday", None, id="unreadable"),
    ],
)
def test_the_servers_time_is_read_from_its_date_header(
    header: str, expected: datetime | None
) -> None:
    from sage_accounting._changes import server_time

    assert server_time(HTTPResponse(200, {"Date": header})) == expected


def test_turning_a_kind_of_event_off_and_on_again_does_not_repeat_what_it_delivered() -> None:
    listing = [record("a", at(10))]
    created, _ = drive(
        "contactChanges",
        {"events": ["created"]},
        cursor(),
        only(page(listing, date=T + timedelta(seconds=60))),
    )
    assert [e["id"] for e in created["events"]] == ["a"]
    # Deletions only, for one poll: created/updated are not listed, their window moves on...
    gone, _ = drive(
        "contactChanges",
        {"events": ["deleted"]},
        created["cursor"],
        only(page([], date=T + timedelta(seconds=90))),
    )
    assert gone["cursor"]["changes"]["seen"] == {f"a@{at(10)}": "c"}
    # ...and asked for again, "a" (still inside the window) is not delivered a second time.
    again, _ = drive(
        "contactChanges",
        {"events": ["created"]},
        gone["cursor"],
        only(page(listing, date=T + timedelta(seconds=100))),
    )
    assert again["events"] == []


def test_a_sorted_windows_partial_advance_still_keeps_the_overlap() -> None:
    # The first page's last change is only a minute old: the window keeps the two minutes of
    # overlap any poll keeps, for a change stamped earlier but committed late.
    server = T + timedelta(hours=1)
    first = [record(f"i{n}", at(3540 + n)) for n in range(3)]
    link = "/sales_invoices?page=2&items_per_page=200&sort=updated_at%3Aasc"
    out, _ = drive(
        "salesInvoiceChanges",
        CHANGES,
        cursor(resource="/sales_invoices"),
        only(
            page(first, date=server, total=4, next_link=link),
            page([record("busy", at(3599))], date=server, total=4),
        ),
    )
    assert out["cursor"]["changes"]["since"] == at(3600 - 120)


def test_a_record_skipped_before_a_partial_advance_still_reads_as_created() -> None:
    # A disturbed sorted listing moves its window to its first page's last change, past a
    # record created inside the old window that the poll never saw (shifted off a page).
    server = T + timedelta(hours=1)
    link = "/sales_invoices?page=2&items_per_page=200&sort=updated_at%3Aasc"
    first, _ = drive(
        "salesInvoiceChanges",
        CHANGES,
        cursor(resource="/sales_invoices"),
        only(
            page(
                [record("i1", at(10)), record("i2", at(20))], date=server, total=4, next_link=link
            ),
            page([record("busy", at(3599))], date=server, total=3),
        ),
    )
    assert first["cursor"]["changes"]["since"] == at(20)
    assert first["cursor"]["changes"]["born"] == at(0)
    skipped = [record("late", at(5), at(30))]
    later, _ = drive(
        "salesInvoiceChanges",
        CHANGES,
        first["cursor"],
        only(page(skipped, date=server + timedelta(seconds=30))),
    )
    assert [(e["type"], e["id"]) for e in later["events"]] == [("created", "late")]
    # That listing was trusted: the window and what counts as new move on together.
    assert "born" not in later["cursor"]["changes"]
