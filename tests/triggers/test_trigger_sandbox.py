"""``<resource>Changes`` triggers against the in-process sandbox and its manual clock, polled
through the real HTTP layer (``sageflow._triggers.apoll`` with an ``AsyncClient``).

Every check counts: events by key, requests through the transport. Nothing sleeps; time is the
sandbox's, moved by hand.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

import pytest
from triggerkit import Sage

from sage_accounting._changes import OVERLAP
from sageflow._triggers import Event, NotATriggerError, apoll

CREATED_UPDATED = {"events": ["created", "updated"]}


def keys(events: list[Event]) -> list[str]:
    return [e.key for e in events]


def assert_once(events: list[Event]) -> None:
    counted = Counter(keys(events))
    assert [k for k, n in counted.items() if n > 1] == []


def by_type(events: list[Event]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"created": set(), "updated": set(), "deleted": set()}
    for event in events:
        found[event.type].add(event.id)
    return found


def test_the_sandbox_sends_its_clock_as_the_date_header() -> None:
    # RFC 9110 §6.6.1: an origin server with a clock sends Date; the sandbox's clock is the one
    # that stamps its records (here far from the local clock).
    sage = Sage(datetime(2041, 3, 4, 5, 6, 7, tzinfo=UTC))
    reply = sage.sandbox.handle("GET", "/v3.1/contacts", "", {"authorization": "Bearer x"})
    assert parsedate_to_datetime(reply.headers["date"]) == datetime(2041, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_a_first_poll_starts_from_now_and_later_polls_deliver_what_changed() -> None:
    sage = Sage()
    first = sage.poll("contactChanges", None)
    assert first.events == []
    assert sage.requests() == 1
    sage.advance(30)
    made = [sage.create_contact(f"Poll Customer {n}") for n in range(3)]
    events, _ = sage.settle("contactChanges", first.cursor)
    # One instant for all three: in the order Sage lists them (contacts by name).
    assert [(e.type, e.id) for e in events] == [("created", ident) for ident in made]
    assert_once(events)


def test_a_thousand_changes_sharing_timestamps_across_pages_each_once() -> None:
    sage = Sage()
    start = sage.poll("contactChanges", None, CREATED_UPDATED)
    sage.advance(60)
    # 1,000 contacts stamped in the same second: five pages of 200, one updated_at for all.
    made = sage.sandbox.add_contacts(1000, prefix="Bulk")
    assert len({r["updated_at"] for r in sage.records_of(made)}) == 1
    before = sage.requests()
    sage.advance(60)
    polled = sage.poll("contactChanges", start.cursor, CREATED_UPDATED)
    assert sage.requests() - before == 5  # every page, 200 a page, and no more
    more, cursor = sage.settle("contactChanges", polled.cursor, CREATED_UPDATED)
    created = polled.events + more
    assert_once(created)
    assert len(created) == 1000
    assert by_type(created)["created"] == set(made)
    # A third of them edited in one second: 334 updates sharing a timestamp.
    edited = made[::3]
    for ident in edited:
        sage.rename(ident, f"Bulk edited {ident}")
    updates, cursor = sage.settle("contactChanges", cursor, CREATED_UPDATED)
    assert_once(updates)
    assert [e.type for e in updates] == ["updated"] * len(edited)
    assert {e.id for e in updates} == set(edited)
    assert len({e.at for e in updates}) == 1


def test_changes_made_between_the_pages_of_a_poll_are_each_delivered_once() -> None:
    sage = Sage()
    start = sage.poll("contactChanges", None)
    sage.advance(60)
    made = sage.sandbox.add_contacts(450, prefix="Mid")  # three pages, listed by name
    # Long enough that a trusted poll would move its window past these records for good.
    sage.advance(OVERLAP.total_seconds() * 5)
    gone, moved = made[5], made[10]  # both on the first page
    late: list[str] = []

    def between_pages() -> None:
        # While page 2 is not yet read: one record of page 1 deleted, one renamed past the
        # end of the list, one new record that sorts first. Two leave page 1, one joins it:
        # page 2 now starts one record later, so one record would never be read.
        sage.advance(1)
        sage.delete("contacts", gone)
        sage.rename(moved, "Zz moved to the end")
        late.append(sage.create_contact("Aa new during the poll"))

    sage.transport.hooks[sage.requests() + 1] = between_pages
    during = sage.poll("contactChanges", start.cursor)
    assert late, "the change was not made during the poll"
    # The poll saw the list move under it and did not trust it: something was skipped, and
    # the window stays where it was.
    assert len(by_type(during.events)["created"]) < 450
    assert during.cursor["changes"]["since"] == start.cursor["changes"]["since"]
    rest, _ = sage.settle("contactChanges", during.cursor)
    events = during.events + rest
    assert_once(events)
    found = by_type(events)
    assert found["created"] == set(made) | set(late)
    assert found["updated"] == {moved}
    assert found["deleted"] == {gone}
    assert [e.at for e in during.events] == sorted(e.at for e in during.events)


def test_deletions_are_delivered_from_tombstones() -> None:
    sage = Sage()
    start = sage.poll("salesInvoiceChanges", None)
    sage.advance(60)
    issued, draft = sage.new_invoice(), sage.new_invoice(draft=True)
    contact = sage.create_contact("Short-lived Ltd")
    created, cursor = sage.settle("salesInvoiceChanges", start.cursor)
    assert [(e.type, e.id) for e in created] == [("created", issued), ("created", draft)]
    contacts_start = sage.poll("contactChanges", None, {"events": ["deleted"]})
    sage.advance(60)
    sage.delete("sales_invoices", issued)  # issued: Sage voids it (an update)
    sage.delete("sales_invoices", draft)  # a draft is deleted: a tombstone
    sage.delete("contacts", contact)
    changed, _ = sage.settle("salesInvoiceChanges", cursor)
    assert [(e.type, e.id) for e in changed] == [("updated", issued), ("deleted", draft)]
    assert changed[0].record["status"]["id"] == "VOID"
    assert set(changed[1].record) == {"id", "$path", "deleted_at"}
    assert changed[1].at == changed[1].record["deleted_at"]
    gone, _ = sage.settle("contactChanges", contacts_start.cursor, {"events": ["deleted"]})
    assert [(e.type, e.id) for e in gone] == [("deleted", contact)]


def test_backfill_from_a_date_delivers_the_changes_at_or_after_it() -> None:
    sage = Sage(datetime(2026, 2, 1, 9, tzinfo=UTC))
    before = sage.create_contact("Before Ltd")
    sage.advance(3600)
    since = sage.sandbox.clock.now()
    after = sage.create_contact("After Ltd")  # at exactly the instant given: included
    sage.rename(before, "Before Ltd, renamed")
    sage.advance(60)
    backfill = sage.poll("contactChanges", None, since=since)
    # One instant for both: in the order Sage lists contacts (by name).
    assert [(e.type, e.id) for e in backfill.events] == [("created", after), ("updated", before)]
    rest, _ = sage.settle("contactChanges", backfill.cursor)
    assert rest == []
    # A date is its midnight UTC: the seeded records (October 2025) are before it.
    by_day = sage.poll("contactChanges", None, since=date(2026, 2, 1))
    assert {e.id for e in by_day.events} == {before, after}


def test_the_events_input_and_filters_choose_what_is_delivered() -> None:
    sage = Sage()
    vendors = {"events": ["created"], "contactTypeId": "VENDOR"}
    start = sage.poll("contactChanges", None, vendors)
    sage.advance(60)
    customer = sage.create_contact("A Customer", "CUSTOMER")
    vendor = sage.create_contact("A Supplier", "VENDOR")
    events, cursor = sage.settle("contactChanges", start.cursor, vendors)
    assert [(e.type, e.id) for e in events] == [("created", vendor)]
    sage.rename(vendor, "A Supplier, renamed")
    sage.rename(customer, "A Customer, renamed")
    events, _ = sage.settle("contactChanges", cursor, vendors)
    assert events == []  # an update, not asked for
    drafts = {"statusId": "DRAFT"}
    start = sage.poll("salesInvoiceChanges", None, drafts)
    sage.advance(60)
    sage.new_invoice()
    draft = sage.new_invoice(draft=True)
    events, _ = sage.settle("salesInvoiceChanges", start.cursor, drafts)
    assert [(e.type, e.id) for e in events] == [("created", draft)]


@pytest.mark.parametrize(
    "server",
    [datetime(2041, 6, 1, 12, tzinfo=UTC), datetime(2026, 1, 5, 9, tzinfo=UTC)],
    ids=["server-15-years-ahead", "server-behind-the-local-clock"],
)
def test_the_local_clock_does_not_matter(server: datetime) -> None:
    sage = Sage(server)
    start = sage.poll("contactChanges", None)
    stamp = server.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert start.cursor["changes"]["since"] == stamp
    sage.advance(60)
    made = sage.create_contact("Skewed Ltd")
    events, cursor = sage.settle("contactChanges", start.cursor)
    assert [(e.type, e.id) for e in events] == [("created", made)]
    assert events[0].at.startswith(str(server.year))
    assert cursor["changes"]["since"] > stamp


def test_a_poll_when_nothing_changed_costs_one_request_two_with_deletions() -> None:
    sage = Sage()
    for key in ("contactChanges", "salesInvoiceChanges", "ledgerAccountChanges"):
        both = sage.poll(key, None, CREATED_UPDATED).cursor
        every = sage.poll(key, None).cursor
        sage.advance(OVERLAP.total_seconds() + 60)
        counted = sage.requests()
        assert sage.poll(key, both, CREATED_UPDATED).events == []
        assert sage.requests() - counted == 1
        counted = sage.requests()
        assert sage.poll(key, every).events == []
        # created/updated, then deletions: a second list (ledger accounts have none).
        assert sage.requests() - counted == (1 if key == "ledgerAccountChanges" else 2)


def test_the_issues_three_invoices_then_one_more_and_one_deleted() -> None:
    sage = Sage()
    watch = {"events": ["created", "deleted"]}
    cursor = sage.poll("salesInvoiceChanges", None, watch).cursor
    sage.advance(60)
    three = [sage.new_invoice(draft=True) for _ in range(3)]
    first = sage.poll("salesInvoiceChanges", cursor, watch)
    assert {e.id for e in first.events} == set(three)
    assert [e.type for e in first.events] == ["created"] * 3
    sage.advance(60)
    again = sage.poll("salesInvoiceChanges", first.cursor, watch)
    assert again.events == []
    sage.advance(60)
    one_more = sage.new_invoice(draft=True)
    sage.delete("sales_invoices", three[0])
    last = sage.poll("salesInvoiceChanges", again.cursor, watch)
    assert [(e.type, e.id) for e in last.events] == [
        ("created", one_more),
        ("deleted", three[0]),
    ]


def test_polling_an_action_is_refused() -> None:
    import asyncio

    sage = Sage()
    with pytest.raises(NotATriggerError, match="listContacts is an action"):
        asyncio.run(apoll("sage_accounting/listContacts", {}, None, caller=sage.caller))
    assert sage.requests() == 0


def test_a_list_busy_during_every_poll_still_moves_its_window_each_change_once() -> None:
    sage = Sage()
    start = sage.poll("salesInvoiceChanges", None)
    made = []
    for _ in range(230):  # two pages, one second apart
        sage.advance(1)
        made.append(sage.new_invoice(draft=True))
    sage.advance(OVERLAP.total_seconds() * 5)
    cursor = start.cursor
    events: list[Event] = []
    windows = []
    for poll_no in range(4):
        # An invoice created between the two pages of every poll but the last.
        if poll_no < 3:
            sage.transport.hooks[sage.requests() + 1] = lambda: made.append(
                sage.new_invoice(draft=True)
            )
        sage.advance(60)
        result = sage.poll("salesInvoiceChanges", cursor)
        events += result.events
        cursor = result.cursor
        windows.append(cursor["changes"]["since"])
    assert_once(events)
    assert by_type(events)["created"] == set(made)
    assert len(made) == 233
    # The first, disturbed, poll still moved past its first page (200 invoices, in order).
    assert windows[0] > start.cursor["changes"]["since"]
    assert windows == sorted(windows)
