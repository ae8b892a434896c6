"""Random creates, edits and deletes, some between the pages of a poll, against the sandbox:
every change a trigger can see is delivered, and none twice (seeded, so a failure repeats).

What polling can promise is checked exactly: no event key twice; each record created after the
trigger started has one ``created`` event (none if it was deleted before any poll saw it); each
record deleted after it started has one ``deleted`` event; and once the polls have caught up,
the last event of every record still there carries its current ``updated_at``.

Contacts are listed by name (a rename moves a record anywhere, a listing can only be trusted
or not); invoices are listed by ``updated_at`` (the trigger sorts them, and a disturbed poll
still moves its window to its first page's last change).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from triggerkit import Sage

from sageflow._triggers import Event

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class Resource:
    """How the random run changes one kind of record."""

    trigger: str
    collection: str
    make: Callable[[Sage, random.Random], str]
    edit: Callable[[Sage, random.Random, str], None]
    bulk: Callable[[Sage, int], list[str]]


def _name(rng: random.Random) -> str:
    # Random names land anywhere in Sage's by-name order, so pages shift under the poller.
    return "".join(rng.choice(ALPHABET) for _ in range(6))


CONTACTS = Resource(
    "contactChanges",
    "contacts",
    make=lambda sage, rng: sage.create_contact(_name(rng)),
    edit=lambda sage, rng, ident: sage.rename(ident, _name(rng)),
    bulk=lambda sage, count: sage.sandbox.add_contacts(count, prefix="Base"),
)
INVOICES = Resource(
    "salesInvoiceChanges",
    "sales_invoices",
    make=lambda sage, rng: sage.new_invoice(draft=True),
    edit=lambda sage, rng, ident: sage.call(
        "PUT", f"/sales_invoices/{ident}", {"sales_invoice": {"notes": _name(rng)}}
    ),
    bulk=lambda sage, count: [sage.new_invoice(draft=True) for _ in range(count)],
)


@pytest.mark.parametrize(
    ("resource", "seed"),
    [
        pytest.param(CONTACTS, 1, id="contacts-1"),
        pytest.param(CONTACTS, 2, id="contacts-2"),
        pytest.param(INVOICES, 1, id="invoices-1"),
    ],
)
def test_random_changes_between_and_during_polls_each_delivered_once(
    resource: Resource, seed: int
) -> None:
    rng = random.Random(seed)
    sage = Sage()
    bulk = resource.bulk(sage, 320)  # two pages before anything happens
    sage.advance(10)  # (a record stamped in the first poll's own second counts as after it)
    start = sage.poll(resource.trigger, None)
    since = start.cursor["changes"]["since"]
    base = {r["id"] for r in sage.sandbox.records(resource.collection)}
    alive: set[str] = set(bulk)  # (the seed's system contacts cannot be edited)
    created: set[str] = set()
    deleted: set[str] = set()

    def act() -> None:
        roll = rng.random()
        if roll < 0.4 or len(alive) < 10:
            ident = resource.make(sage, rng)
            alive.add(ident)
            created.add(ident)
        elif roll < 0.8:
            resource.edit(sage, rng, rng.choice(sorted(alive)))
        else:
            ident = rng.choice(sorted(alive))
            sage.delete(resource.collection, ident)
            alive.discard(ident)
            deleted.add(ident)
        sage.advance(rng.choice([0, 0, 1, 7]))

    events: list[Event] = []
    cursor = start.cursor
    pages_seen = 0
    for round_no in range(15):
        # Now and then (and in the first and eighth rounds) a burst, so that the poll's window
        # spans pages and the changes made during it land between them.
        burst = round_no in (0, 7) or rng.random() < 0.15
        for _ in range(450 if burst else rng.choice([0, 2, 5, 8])):
            act()
        if burst or rng.random() < 0.6:
            # Some changes land between the first and second page of this poll.
            sage.transport.hooks[sage.requests() + 1] = _times(act, rng.randint(2, 6))
        sage.advance(rng.choice([5, 30, 60, 200]))
        before = sage.requests()
        result = sage.poll(resource.trigger, cursor)
        pages_seen = max(pages_seen, sage.requests() - before - 1)  # less the deletions list
        sage.transport.hooks.clear()
        events += result.events
        cursor = result.cursor
    # Quiet polls, a minute apart, until the window has caught up with the last change.
    rest, last_cursor = sage.settle(resource.trigger, cursor, polls=5)
    events += rest
    assert last_cursor["changes"]["since"] > since

    keys = Counter(e.key for e in events)
    assert [k for k, n in keys.items() if n > 1] == []
    kinds: dict[str, Counter[str]] = {}
    for event in events:
        kinds.setdefault(event.id, Counter())[event.type] += 1
    for ident in created:
        made = kinds.get(ident, Counter())["created"]
        assert made == 1 or (made == 0 and ident in deleted), ident
    for ident in base:
        assert kinds.get(ident, Counter())["created"] == 0, ident
    for ident in deleted:
        assert kinds.get(ident, Counter())["deleted"] == 1, ident
    assert {e.id for e in events if e.type == "deleted"} == deleted
    # Once caught up, every record changed since the start was last seen as it is now.
    last = {e.id: e for e in events if e.type != "deleted"}
    changed = [r for r in sage.sandbox.records(resource.collection) if r["updated_at"] >= since]
    assert changed
    for record in changed:
        assert record["id"] in last, f"{record['id']}: its change was never delivered"
        assert last[record["id"]].at == record["updated_at"], record["id"]
    assert {r["id"] for r in changed} == set(last) - deleted
    assert created
    assert deleted
    assert pages_seen >= 2, "no poll's window spanned two pages"


def _times(act: Callable[[], None], count: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(count):
            act()

    return run
