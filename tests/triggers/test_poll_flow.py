"""poll_flow against a fake pack: one run per new event, cursors, batches, crashes, the lease."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pollkit import BATCH_FLOW, FLOW, PACK, Caller, Server

from sageflow import (
    PollerBusyError,
    apoll_flow,
    poll_flow,
    register_pack,
    resume_flow,
    run_flow,
)
from sageflow._flows._api import FlowInputError
from sageflow._flows._journal import Journal
from sageflow._poll import _Lease, _Poller, _transaction
from sageflow._registry import packs


@pytest.fixture(autouse=True)
def _pack() -> Iterator[None]:
    register_pack(PACK)
    yield
    packs().pop(PACK.name, None)


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
def caller(server: Server) -> Caller:
    return Caller(server)


@pytest.fixture
def flow(tmp_path: Path) -> Path:
    path = tmp_path / "note.sageflow.yaml"
    path.write_text(FLOW, encoding="utf-8")
    return path


def poll(flow: Path, caller: Caller, tmp_path: Path, **options: Any) -> dict[str, Any]:
    report = poll_flow(flow, caller=caller, journal=tmp_path / "runs.db", **options)
    return report.to_dict()


def texts(server: Server) -> list[str]:
    return [note["text"] for note in server.notes]


def runs_per_event(journal: Path) -> Counter[str]:
    """How many runs each delivered event key went to (the journal's own record)."""
    with sqlite3.connect(journal) as db:
        rows = db.execute("SELECT event_key, run_id FROM trigger_deliveries").fetchall()
    return Counter(key for key, _run in rows)


def test_first_poll_starts_from_now_then_each_new_event_runs_once(
    flow: Path, caller: Caller, server: Server, tmp_path: Path
) -> None:
    server.change("created", "t0")  # before the first poll: not delivered
    assert poll(flow, caller, tmp_path) == {"events": 0, "runs": []}
    server.change("created", "t1")
    server.change("updated", "t1")  # the flow asks for created and deleted only
    server.change("deleted", "t2")
    report = poll(flow, caller, tmp_path)
    assert report["events"] == 2
    assert [(r["status"], r["event"]["type"], r["event"]["id"]) for r in report["runs"]] == [
        ("ok", "created", "t1"),
        ("ok", "deleted", "t2"),
    ]
    assert texts(server) == ["created t1", "deleted t2"]
    assert poll(flow, caller, tmp_path) == {"events": 0, "runs": []}
    assert texts(server) == ["created t1", "deleted t2"]


def test_an_event_the_trigger_gives_again_is_dropped(
    flow: Path, caller: Caller, server: Server, tmp_path: Path
) -> None:
    poll(flow, caller, tmp_path)
    server.overlap = 10  # every poll re-reads the last ten changes
    server.change("created", "t1")
    assert poll(flow, caller, tmp_path)["events"] == 1
    server.change("created", "t2")
    again = poll_flow(flow, caller=caller, journal=tmp_path / "runs.db")
    assert (again.events, again.duplicates) == (1, 1)
    assert texts(server) == ["created t1", "created t2"]


def test_backfill_from_a_date_delivers_older_changes(
    flow: Path, caller: Caller, server: Server, tmp_path: Path
) -> None:
    for n in range(3):
        server.change("created", f"t{n}")
    report = poll(flow, caller, tmp_path, since="2025-01-01T00:00:01Z")
    assert [r["event"]["id"] for r in report["runs"]] == ["t1", "t2"]
    # A second backfill over the same window finds only what was already delivered.
    assert poll(flow, caller, tmp_path, since="2025-01-01")["events"] == 1  # t0 only
    assert sorted(texts(server)) == ["created t0", "created t1", "created t2"]


def test_batches_give_trigger_events(caller: Caller, server: Server, tmp_path: Path) -> None:
    path = tmp_path / "batch.sageflow.yaml"
    path.write_text(BATCH_FLOW, encoding="utf-8")
    poll(path, caller, tmp_path)
    for n in range(5):
        server.change("created", f"t{n}")
    report = poll(path, caller, tmp_path)
    assert report["events"] == 5
    assert [[e["id"] for e in r["events"]] for r in report["runs"]] == [
        ["t0", "t1"],
        ["t2", "t3"],
        ["t4"],
    ]
    assert texts(server) == ["t0,t1", "t2,t3", "t4"]


def test_polls_are_every_apart_with_the_injected_sleep(
    flow: Path, caller: Caller, server: Server, tmp_path: Path
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        server.change("created", f"t{len(slept)}")

    report = poll_flow(flow, caller=caller, journal=tmp_path / "runs.db", polls=3, sleep=sleep)
    assert slept == [60.0, 60.0]  # every: 1m, between polls only
    assert (report.polls, report.events) == (3, 2)
    assert texts(server) == ["created t1", "created t2"]


def test_a_long_running_poller_outlives_a_failed_poll(
    flow: Path, caller: Caller, server: Server, tmp_path: Path
) -> None:
    errors: list[Exception] = []

    async def sleep(seconds: float) -> None:
        if not errors:  # before the second poll: a change, and the API goes down once
            server.change("created", "t1")
            server.down = 1

    report = poll_flow(
        flow,
        caller=caller,
        journal=tmp_path / "runs.db",
        polls=3,
        sleep=sleep,
        on_error=errors.append,
    )
    assert [type(e).__name__ for e in errors] == ["ServerError"]
    assert (report.polls, report.events) == (3, 1)  # the third poll delivered it
    assert texts(server) == ["created t1"]
    # Without on_error (sageflow poll --once), the failure is the caller's.
    server.down = 1
    with pytest.raises(Exception, match="try later"):
        poll(flow, caller, tmp_path)


def test_an_unreadable_cursor_says_how_to_start_again(
    flow: Path, caller: Caller, server: Server, tmp_path: Path
) -> None:
    from sageflow._triggers import CursorError

    poll(flow, caller, tmp_path)
    server.change("created", "t1")
    poll(flow, caller, tmp_path)
    with Journal(tmp_path / "runs.db") as journal:
        journal.db.execute("UPDATE trigger_cursors SET cursor = '{\"version\": 99}'")

    async def refusing(ref: str, inputs: Any, cursor: Any, **options: Any) -> Any:
        if cursor is not None and "seq" not in cursor:
            raise CursorError("a cursor of an unknown version")
        from sageflow._triggers import apoll

        return await apoll(ref, inputs, cursor, **options)

    with pytest.raises(CursorError, match="poll once with --from DATE"):
        poll(flow, caller, tmp_path, trigger_poll=refusing)
    server.change("created", "t2")
    report = poll(flow, caller, tmp_path, trigger_poll=refusing, since="2025-01-01")
    assert [r["event"]["id"] for r in report["runs"]] == ["t2"]  # t1 was delivered already
    assert poll(flow, caller, tmp_path, trigger_poll=refusing) == {"events": 0, "runs": []}


class Killed(BaseException):
    """Like a SIGKILL for the code under test: no ``except Exception`` catches it."""


def _kill_inside(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    original = _Poller.deliver

    def deliver(self: _Poller, *args: Any) -> None:
        if when == "before":
            raise Killed
        original(self, *args)
        raise Killed

    monkeypatch.setattr(_Poller, "deliver", deliver)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_kill_around_the_delivery_transaction_loses_and_repeats_nothing(
    flow: Path,
    caller: Caller,
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
) -> None:
    poll(flow, caller, tmp_path)
    for n in range(3):
        server.change("created", f"t{n}")
    with monkeypatch.context() as patch:
        _kill_inside(patch, when)
        with pytest.raises(Killed):
            poll(flow, caller, tmp_path)
    assert server.notes == []
    report = poll(flow, caller, tmp_path)
    # Before the transaction: the cursor did not move, the poll finds them again. After it:
    # the deliveries are there and their runs are started from the journal.
    assert [r["event"]["id"] for r in report["runs"]] == ["t0", "t1", "t2"]
    assert all(r["status"] == "ok" for r in report["runs"])
    assert report["events"] == (3 if when == "before" else 0)
    assert all(r.get("recovered", False) == (when == "after") for r in report["runs"])
    assert texts(server) == ["created t0", "created t1", "created t2"]
    assert set(runs_per_event(tmp_path / "runs.db").values()) == {1}
    assert poll(flow, caller, tmp_path) == {"events": 0, "runs": []}


def test_a_kill_inside_a_run_is_resumed_by_the_next_poll_without_a_second_write(
    flow: Path, caller: Caller, server: Server, tmp_path: Path
) -> None:
    poll(flow, caller, tmp_path)
    for n in range(3):
        server.change("created", f"t{n}")
    # Call 1 is the poll, 2 and 3 the first two runs' notes; the kill hits the third run
    # after the server wrote its note, before the answer came back.
    killer = Caller(server, crash_at=4, crash=Killed)
    with pytest.raises(Killed):
        poll(flow, killer, tmp_path)
    assert texts(server) == ["created t0", "created t1", "created t2"]
    report = poll(flow, caller, tmp_path)
    assert [(r["event"]["id"], r["status"], r.get("recovered")) for r in report["runs"]] == [
        ("t2", "ok", True)
    ]
    assert texts(server) == ["created t0", "created t1", "created t2"]
    assert set(runs_per_event(tmp_path / "runs.db").values()) == {1}


@pytest.mark.parametrize("text", [FLOW, BATCH_FLOW], ids=["one-per-run", "batch-2"])
@pytest.mark.parametrize("crash_at", range(1, 7))
def test_a_kill_at_any_call_and_again_at_each_later_poll_still_gives_each_event_once(
    tmp_path: Path, server: Server, text: str, crash_at: int
) -> None:
    flow = tmp_path / "f.sageflow.yaml"
    flow.write_text(text, encoding="utf-8")
    poll(flow, Caller(server), tmp_path)
    for n in range(5):
        server.change("created", f"t{n}")
    # Three polls in a row are killed at their crash_at-th call (after the server acted on
    # it; a poll with fewer calls gets through), then one is not.
    for _kill in range(3):
        with contextlib.suppress(Killed):
            poll(flow, Caller(server, crash_at=crash_at, crash=Killed), tmp_path)
    assert all(r["status"] == "ok" for r in poll(flow, Caller(server), tmp_path)["runs"])
    assert poll(flow, Caller(server), tmp_path) == {"events": 0, "runs": []}
    expected = [f"created t{n}" for n in range(5)] if text == FLOW else ["t0,t1", "t2,t3", "t4"]
    assert texts(server) == expected
    per_event = runs_per_event(tmp_path / "runs.db")
    assert len(per_event) == 5
    assert set(per_event.values()) == {1}
    with Journal(tmp_path / "runs.db") as journal:
        assert {run.status for run in journal.runs()} == {"ok"}


def test_a_failed_run_stays_failed_and_resumes_like_any_other(
    flow: Path, caller: Caller, server: Server, tmp_path: Path
) -> None:
    poll(flow, caller, tmp_path)
    server.change("created", "t1")
    server.fail_notes.add("created t1")
    report = poll(flow, caller, tmp_path)
    assert [r["status"] for r in report["runs"]] == ["failed"]
    # The next poll does not run it again: its event was delivered, to it.
    assert poll(flow, caller, tmp_path) == {"events": 0, "runs": []}
    server.fail_notes.clear()
    resumed = resume_flow(report["runs"][0]["run_id"], journal=tmp_path / "runs.db", caller=caller)
    assert resumed.status == "ok"
    assert texts(server) == ["created t1"]  # the resumed run still read trigger.event


def test_a_second_poller_of_the_same_flow_and_journal_is_refused(
    flow: Path, server: Server, tmp_path: Path
) -> None:
    poll(flow, Caller(server), tmp_path)
    for n in range(4):
        server.change("created", f"t{n}")
    entered, release = asyncio.Event(), asyncio.Event()

    class Slow(Caller):
        async def acall(self, component: Any, inputs: Any, options: Any = None) -> Any:
            if component.key == "addNote" and not release.is_set():
                entered.set()
                await release.wait()
            return await super().acall(component, inputs, options)

    async def both() -> tuple[Any, BaseException | None]:
        journal = tmp_path / "runs.db"
        first = asyncio.ensure_future(apoll_flow(flow, caller=Slow(server), journal=journal))
        await entered.wait()  # the first poller is inside its first run
        refused: BaseException | None = None
        try:
            await apoll_flow(flow, caller=Caller(server), journal=journal)
        except PollerBusyError as error:
            refused = error
        release.set()
        return await first, refused

    report, refused = asyncio.run(both())
    assert isinstance(refused, PollerBusyError)
    assert "another poller" in str(refused)
    assert "one poller per flow and journal" in str(refused)
    assert report.events == 4
    assert sorted(texts(server)) == [f"created t{n}" for n in range(4)]
    # The lease is released at the end: the next poller is welcome.
    assert poll(flow, Caller(server), tmp_path) == {"events": 0, "runs": []}


def _lease(journal: Path, owner: str, seconds: float = 3600) -> None:
    with Journal(journal) as opened:
        opened.db.execute(
            "INSERT OR REPLACE INTO trigger_leases VALUES (?, ?, ?)",
            ("note-each-thing#polltest/thingChanges", owner, time.time() + seconds),
        )


def test_a_lease_left_by_a_dead_process_is_taken_over(
    flow: Path, caller: Caller, server: Server, tmp_path: Path
) -> None:
    poll(flow, caller, tmp_path)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    _lease(tmp_path / "runs.db", f"{socket.gethostname()}:{int(dead.stdout)}:gone")
    server.change("created", "t1")
    assert poll(flow, caller, tmp_path)["events"] == 1
    # A live process's unexpired lease is refused, naming it.
    _lease(tmp_path / "runs.db", f"{socket.gethostname()}:{os.getppid()}:alive")
    with pytest.raises(PollerBusyError, match=f"pid {os.getppid()} on"):
        poll(flow, caller, tmp_path)
    # ...until it expires: a poller that stopped renewing (frozen, or on another host).
    _lease(tmp_path / "runs.db", f"{socket.gethostname()}:{os.getppid()}:alive", -1)
    server.change("created", "t2")
    assert poll(flow, caller, tmp_path)["events"] == 1
    _lease(tmp_path / "runs.db", f"another-host:{os.getpid()}:alive")
    with pytest.raises(PollerBusyError, match=f"pid {os.getpid()} on another-host"):
        poll(flow, caller, tmp_path)


def test_the_lease_is_renewed_while_held_and_a_lost_one_stops_the_poller(
    tmp_path: Path,
) -> None:
    ticks: list[float] = []
    others_take_it = asyncio.Event()

    async def tick(seconds: float) -> None:
        ticks.append(seconds)
        if len(ticks) == 3:
            await others_take_it.wait()

    with Journal(tmp_path / "runs.db") as journal:
        lease = _Lease(journal, "f#p/t", 300, sleep=tick)
        lease.take()
        shortened = time.time() + 10
        journal.db.execute("UPDATE trigger_leases SET expires = ?", (shortened,))

        def expiry() -> float:
            row = journal.db.execute("SELECT owner, expires FROM trigger_leases").fetchone()
            assert row[0] == lease.owner
            return float(row[1])

        async def hold() -> None:
            keeper = asyncio.ensure_future(lease.keep())
            while len(ticks) < 3:
                await asyncio.sleep(0)
            renewed = expiry()
            # Renewed after the cut to 10 s: at least 300 s past the cut's moment (compared
            # with the cut, not with the clock now, so a stalled machine cannot fail it).
            assert renewed >= shortened + 290
            # Meanwhile the lease lapsed and a live poller elsewhere took it.
            journal.db.execute(
                "UPDATE trigger_leases SET owner = 'elsewhere:1:x', expires = ?",
                (time.time() + 300,),
            )
            others_take_it.set()
            await keeper
            assert lease.lost is not None
            with pytest.raises(PollerBusyError), _transaction(journal) as db:
                lease.check(db)

        asyncio.run(hold())
    assert ticks == [100.0, 100.0, 100.0]  # every third of the lease


def test_a_poller_that_lost_its_lease_stops_inside_the_run_and_the_next_one_resumes_it(
    tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = tmp_path / "two.sageflow.yaml"
    flow.write_text(
        FLOW.replace(
            "outputs:\n  note: ${{ steps.note.output.id }}\n",
            "  - id: again\n    uses: polltest/addNote\n"
            '    with: {text: "again ${{ trigger.event.id }}"}\n',
        ),
        encoding="utf-8",
    )
    poll(flow, Caller(server), tmp_path)
    server.change("created", "t1")
    frozen = asyncio.Event()

    async def keep(self: _Lease) -> None:
        await frozen.wait()  # the event loop froze past the lease; another poller took it
        self.lost = PollerBusyError("another poller took the lease")

    class Freezing(Caller):
        async def acall(self, component: Any, inputs: Any, options: Any = None) -> Any:
            result = await super().acall(component, inputs, options)
            if component.key == "addNote":
                frozen.set()
                await asyncio.sleep(0)  # the keeper notices
            return result

    with monkeypatch.context() as patch:
        patch.setattr(_Lease, "keep", keep)
        with pytest.raises(PollerBusyError, match="took the lease"):
            poll(flow, Freezing(server), tmp_path)
    assert texts(server) == ["created t1"]  # the second step was not sent
    report = poll(flow, Caller(server), tmp_path)
    assert [(r["status"], r.get("recovered")) for r in report["runs"]] == [("ok", True)]
    assert texts(server) == ["created t1", "again t1"]


def test_run_flow_of_a_triggered_flow_needs_its_event(
    flow: Path, caller: Caller, server: Server, tmp_path: Path
) -> None:
    with pytest.raises(FlowInputError, match="sageflow poll"):
        run_flow(flow, caller=caller, journal=None)
    event = {"type": "created", "id": "t9", "record": {"id": "t9"}, "at": "2025-01-01T00:00:00Z"}
    result = run_flow(flow, caller=caller, journal=None, trigger={"event": event})
    assert result.ok
    assert texts(server) == ["created t9"]
    with pytest.raises(FlowInputError, match=re.escape("is {'event': ...}")):
        run_flow(flow, caller=caller, journal=None, trigger={"events": [event]})


def test_a_triggered_flow_that_never_reads_trigger_runs_by_hand_without_an_event(
    caller: Caller, server: Server, tmp_path: Path
) -> None:
    path = tmp_path / "summary.sageflow.yaml"
    path.write_text(
        "name: recount\non: {poll: polltest/thingChanges, every: 1h}\n"
        "steps: [{id: notes, uses: polltest/listNotes}]\n"
        "outputs: {count: '${{ size(steps.notes.output.items) }}'}\n",
        encoding="utf-8",
    )
    assert run_flow(path, caller=caller, journal=None).outputs == {"count": 0}
    # Journaled without an event and cut off, it resumes without one too.
    journal = tmp_path / "runs.db"
    killer = Caller(server, crash_at=1, crash=Killed)
    with pytest.raises(Killed):
        run_flow(path, caller=killer, journal=journal, run_id="r1")
    assert resume_flow("r1", journal=journal, caller=caller).outputs == {"count": 0}


def test_poll_flow_has_apoll_flow_keyword_arguments() -> None:
    sync, of_async = inspect.signature(poll_flow), inspect.signature(apoll_flow)
    assert list(sync.parameters) == list(of_async.parameters)
    for name, parameter in of_async.parameters.items():
        mirrored = sync.parameters[name]
        assert (mirrored.kind, mirrored.default, mirrored.annotation) == (
            parameter.kind,
            parameter.default,
            parameter.annotation,
        ), name
