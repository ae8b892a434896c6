"""Polls a flow's trigger and runs the flow for each new event, exactly once across crashes.

A flow with ``on: {poll: pack/someChanges}`` is driven here. One poll:

1. takes (or renews) the flow's lease in the journal, so two pollers of one flow and journal
   never both deliver an event;
2. finishes what an earlier poll left: a delivery whose run never started is started, a run
   still journaled as ``running`` (its poller died) is resumed like ``sageflow resume``;
3. asks the trigger for the changes after the stored cursor;
4. drops the events already delivered (the trigger's window overlaps on purpose), and writes
   the new cursor, one delivery row per event and each run's trigger payload in ONE SQLite
   transaction, so a kill before it re-polls the same events and a kill after it finds the
   deliveries, never both and never neither;
5. runs the flow once per event (or once per ``on.batch`` events).

A failed run stays failed (it is not retried by the next poll) and is resumed as any other,
with ``sageflow resume``; its events are delivered, to it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sageflow._errors import SageflowError
from sageflow._execute import Caller
from sageflow._flows._api import (
    aresume_flow,
    default_caller_factory,
    load_flow,
    resolve_inputs,
)
from sageflow._flows._engine import CallerFactory, Engine, ResumeRefusedError, Sleep
from sageflow._flows._expr import Clock
from sageflow._flows._journal import DEFAULT_PATH, Journal, dumps
from sageflow._flows._model import Flow

__all__ = [
    "PollReport",
    "PolledRun",
    "PollerBusyError",
    "apoll_flow",
    "poll_flow",
]

#: How long a lease outlives a poller that stops renewing it. The holder renews it before
#: every run and every third of it meanwhile (between polls too), so it does not depend on
#: ``every``: only a dead or frozen poller lets it lapse, and a dead one on the same host is
#: seen at once (its pid is gone). A poller on another host waits this long at most.
LEASE_SECONDS = 300.0


class PollerBusyError(SageflowError):
    """Another poller holds the flow's lease in this journal."""


class NotATriggeredFlowError(SageflowError):
    """``poll`` on a flow without ``on:``."""


class _Event(Protocol):
    """What the trigger returns per change (``sageflow._triggers.Event``)."""

    @property
    def key(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


class _PollResult(Protocol):
    events: Sequence[Any]
    cursor: Mapping[str, Any]


#: ``sageflow._triggers.apoll``'s shape: (ref, inputs, cursor, since=, caller=) -> PollResult.
TriggerPoll = Callable[..., Awaitable[Any]]


@dataclass
class PolledRun:
    """One run a poll started (or finished for an earlier poll): its id, outcome and events."""

    run_id: str
    status: str  # ok | failed | running (left for the next poll) | refused (see error)
    events: list[dict[str, Any]]
    batched: bool = False
    recovered: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"run_id": self.run_id, "status": self.status}
        if self.batched:
            out["events"] = self.events
        else:
            out["event"] = self.events[0] if self.events else None
        if self.recovered:
            out["recovered"] = True
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass
class PollReport:
    """What ``poll_flow`` did: new events delivered, and every run it started or finished."""

    events: int = 0
    runs: list[PolledRun] = field(default_factory=list)
    #: Events the trigger gave again that an earlier poll had delivered (dropped).
    duplicates: int = 0
    polls: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"events": self.events, "runs": [run.to_dict() for run in self.runs]}

    def merge(self, other: PollReport) -> None:
        self.events += other.events
        self.runs += other.runs
        self.duplicates += other.duplicates
        self.polls += other.polls


def flow_key(flow: Flow) -> str:
    """Whose cursor, deliveries and lease: the flow's name and its trigger (a renamed flow, or
    one that polls another trigger, starts over)."""
    assert flow.trigger is not None
    return f"{flow.name}#{flow.trigger.ref}"


class _Lease:
    """A row (flow key, owner, expiry) taken in a write transaction: one poller per flow.

    A lease whose owner is a process of this host that no longer exists is taken at once
    (a SIGKILLed poller must not block the next one for a whole lease); otherwise a lease is
    refused until it expires.
    """

    def __init__(
        self, journal: Journal, key: str, seconds: float, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.journal = journal
        self.key = key
        self.seconds = seconds
        # Real time by default, not the poll's injected sleep: a lease is real time.
        self.sleep = sleep
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lost: PollerBusyError | None = None

    def take(self) -> None:
        with _transaction(self.journal) as db:
            self._claim(db)

    def _claim(self, db: sqlite3.Connection) -> None:
        now = time.time()
        row = db.execute(
            "SELECT owner, expires FROM trigger_leases WHERE flow_key = ?", (self.key,)
        ).fetchone()
        if row is not None and row[0] != self.owner and row[1] > now and _alive(row[0]):
            host, pid = _host_pid(row[0])
            until = dt.datetime.fromtimestamp(row[1], dt.UTC).strftime("%H:%M:%SZ")
            raise PollerBusyError(
                f"another poller (pid {pid} on {host}) is polling {self.key} with journal"
                f" {self.journal.path}; its lease runs until {until} unless it renews it."
                " Stop it first (one poller per flow and journal), or use another journal"
            )
        db.execute(
            "INSERT OR REPLACE INTO trigger_leases (flow_key, owner, expires) VALUES (?, ?, ?)",
            (self.key, self.owner, now + self.seconds),
        )

    def check(self, db: sqlite3.Connection) -> None:
        """Inside a transaction: still ours (renewed), or PollerBusyError."""
        if self.lost is not None:
            raise self.lost
        self._claim(db)

    def release(self) -> None:
        with suppress(sqlite3.Error), _transaction(self.journal) as db:
            db.execute(
                "DELETE FROM trigger_leases WHERE flow_key = ? AND owner = ?",
                (self.key, self.owner),
            )

    async def keep(self) -> None:
        """Renew every third of the lease while the poller polls, runs or waits."""
        while True:
            await self.sleep(self.seconds / 3)
            try:
                self.take()
            except PollerBusyError as error:
                self.lost = error
                return
            except sqlite3.Error:
                continue  # busy beyond the timeout: the next renewal tries again


def _host_pid(owner: str) -> tuple[str, int]:
    host, _, _token = owner.rpartition(":")
    host, _, pid = host.rpartition(":")
    try:
        return host, int(pid)
    except ValueError:
        return host, -1


def _alive(owner: str) -> bool:
    host, pid = _host_pid(owner)
    if host != socket.gethostname() or pid <= 0 or pid == os.getpid():
        return True  # another host's process cannot be checked; this one is alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


@contextmanager
def _transaction(journal: Journal) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT on the journal's connection (its buffered rows first)."""
    journal.flush()
    db = journal.db
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class _LeaseLostError(BaseException):
    """Raised into a run when its poller lost the lease: like a kill, so the run stays
    ``running`` for the poller that took over, which resumes it."""


class _Kept:
    """A caller lent to each run: the engine closes its callers after a run, not this one.

    Every call first checks the lease is still this poller's: one that lost it (its event
    loop froze past the lease, and another poller took over) stops before sending anything
    more, rather than run on beside the poller that resumes the same run.
    """

    def __init__(self, caller: Caller, lease: _Lease | None = None) -> None:
        self._caller = caller
        self._lease = lease

    async def acall(self, component: Any, inputs: Any, options: Any = None) -> dict[str, Any]:
        if self._lease is not None and self._lease.lost is not None:
            raise _LeaseLostError
        if options is None:
            return await self._caller.acall(component, inputs)
        return await self._caller.acall(component, inputs, options)

    def __getattr__(self, name: str) -> Any:
        if name == "aclose":
            raise AttributeError(name)
        return getattr(self._caller, name)


def _default_trigger_poll() -> TriggerPoll:
    from sageflow._triggers import apoll

    return apoll


class _Poller:
    def __init__(
        self,
        flow: Flow,
        values: dict[str, Any],
        given: Mapping[str, Any],
        journal: Journal,
        caller: Caller,
        connection: str | None,
        env: Mapping[str, str],
        sleep: Sleep,
        clock: Clock | None,
        debug: bool,
        lease: _Lease,
        trigger_poll: TriggerPoll,
        on_run: Callable[[PolledRun], None] | None,
    ) -> None:
        assert flow.trigger is not None
        self.flow = flow
        self.trigger = flow.trigger
        self.values = values
        self.given = given
        self.journal = journal
        self.caller = caller
        self.connection = connection
        self.env = env
        self.sleep = sleep
        self.clock = clock
        self.debug = debug
        self.lease = lease
        self.key = lease.key
        self.trigger_poll = trigger_poll
        self.on_run = on_run

    def factory(self) -> CallerFactory:
        shared = _Kept(self.caller, self.lease)
        others = default_caller_factory(self.connection, debug=self.debug)

        def caller_for(account: str | None) -> Caller:
            return shared if account is None else others(account)

        return caller_for

    def engine(self) -> Engine:
        return Engine(
            self.flow,
            self.factory(),
            journal=self.journal,
            env=self.env,
            sleep=self.sleep,
            clock=self.clock,
            debug=self.debug,
        )

    def payload(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        return {"events": events} if self.trigger.batch is not None else {"event": events[0]}

    async def poll(self, since: dt.datetime | None) -> PollReport:
        report = PollReport(polls=1)
        self.lease.take()
        await self.recover(report)
        cursor = None if since is not None else self.cursor()
        from sageflow._triggers import CursorError

        try:
            result = await self.trigger_poll(
                self.trigger.ref,
                self.trigger.with_,
                cursor,
                since=since,
                caller=self.caller,
            )
        except CursorError as error:
            # Its cause is the stored cursor, so is its cure: the journal's deliveries keep
            # what was delivered, and a backfill re-reads only what they do not hold.
            raise CursorError(
                f"{error}; the stored cursor of {self.key} in {self.journal.path} cannot be"
                " polled from: poll once with --from DATE (since = a date) to start again"
                " from that date; events already delivered are not delivered again"
            ) from None
        fresh, report.duplicates = self.fresh(result.events)
        size = self.trigger.batch or 1
        groups = [fresh[at : at + size] for at in range(0, len(fresh), size)]
        planned = [(uuid.uuid4().hex[:16], [e.to_dict() for e in group]) for group in groups]
        self.deliver(planned, [e.key for e in fresh], result.cursor)
        report.events = len(fresh)
        for run_id, events in planned:
            run = await self.start(run_id, events)
            report.runs.append(run)
        return report

    def cursor(self) -> dict[str, Any] | None:
        self.journal.flush()
        row = self.journal.db.execute(
            "SELECT cursor FROM trigger_cursors WHERE flow_key = ?", (self.key,)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def fresh(self, events: Sequence[_Event]) -> tuple[list[_Event], int]:
        """The events no earlier poll delivered, each once, in the trigger's order."""
        self.journal.flush()
        keys = [event.key for event in events]
        delivered: set[str] = set()
        for at in range(0, len(keys), 500):
            chunk = keys[at : at + 500]
            marks = ",".join("?" * len(chunk))
            sql = "SELECT event_key FROM trigger_deliveries WHERE flow_key = ? AND event_key IN"
            rows = self.journal.db.execute(f"{sql} ({marks})", (self.key, *chunk))
            delivered.update(key for (key,) in rows)
        fresh: list[_Event] = []
        for event in events:
            if event.key not in delivered:
                delivered.add(event.key)
                fresh.append(event)
        return fresh, len(events) - len(fresh)

    def deliver(
        self,
        planned: list[tuple[str, list[dict[str, Any]]]],
        keys: list[str],
        cursor: Mapping[str, Any],
    ) -> None:
        """The new cursor, every delivery and every run's trigger, in one transaction."""
        now = time.time()
        with _transaction(self.journal) as db:
            self.lease.check(db)
            (seq,) = db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM trigger_deliveries WHERE flow_key = ?",
                (self.key,),
            ).fetchone()
            at = 0
            rows = []
            for run_id, events in planned:
                db.execute(
                    "INSERT INTO run_triggers (run_id, payload) VALUES (?, ?)",
                    (run_id, dumps(self.payload(events))),
                )
                for _event in events:
                    seq += 1
                    rows.append((self.key, keys[at], run_id, seq, now))
                    at += 1
            db.executemany(
                "INSERT INTO trigger_deliveries (flow_key, event_key, run_id, seq, delivered)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            db.execute(
                "INSERT OR REPLACE INTO trigger_cursors (flow_key, cursor, updated)"
                " VALUES (?, ?, ?)",
                (self.key, dumps(dict(cursor)), now),
            )

    async def start(self, run_id: str, events: list[dict[str, Any]]) -> PolledRun:
        self.renew()
        result = await self.engine().run(self.values, run_id=run_id, trigger=self.payload(events))
        run = PolledRun(run_id, result.status, events, batched=self.trigger.batch is not None)
        if self.on_run is not None:
            self.on_run(run)
        return run

    def renew(self) -> None:
        with _transaction(self.journal) as db:
            self.lease.check(db)

    def unfinished(self) -> list[tuple[str, bool]]:
        """Runs an earlier poll delivered to and that did not finish: (run id, started)."""
        self.journal.flush()
        rows = self.journal.db.execute(
            "SELECT d.run_id, r.id IS NOT NULL FROM trigger_deliveries d"
            " LEFT JOIN runs r ON r.id = d.run_id"
            " WHERE d.flow_key = ? AND (r.id IS NULL OR r.status = 'running')"
            " GROUP BY d.run_id ORDER BY MIN(d.seq)",
            (self.key,),
        ).fetchall()
        return [(run_id, bool(started)) for run_id, started in rows]

    async def recover(self, report: PollReport) -> None:
        for run_id, started in self.unfinished():
            self.renew()
            payload = self.journal.run_trigger(run_id) or {}
            events = payload.get("events") or [payload.get("event")]
            batched = self.trigger.batch is not None
            if not started:
                result = await self.engine().run(self.values, run_id=run_id, trigger=payload)
                run = PolledRun(run_id, result.status, events, batched, recovered=True)
            else:
                secret = self.flow.secret_inputs()
                try:
                    resumed = await aresume_flow(
                        run_id,
                        journal=self.journal,
                        inputs={k: v for k, v in self.given.items() if k in secret},
                        caller=_Kept(self.caller, self.lease),
                        env=self.env,
                        sleep=self.sleep,
                        clock=self.clock,
                        debug=self.debug,
                    )
                except ResumeRefusedError as error:
                    # Left as it is (its events stay delivered to it): the user decides, e.g.
                    # sageflow resume --force after editing the flow.
                    run = PolledRun(run_id, "refused", events, batched, True, str(error))
                else:
                    run = PolledRun(run_id, resumed.status, events, batched, recovered=True)
            if self.on_run is not None:
                self.on_run(run)
            report.runs.append(run)


def _as_instant(since: dt.date | dt.datetime | str | None) -> dt.datetime | None:
    if since is None:
        return None
    if isinstance(since, str):
        try:
            since = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise SageflowError(
                f"since: expected a date or date-time such as 2025-01-31, got {since!r}"
            ) from None
    if not isinstance(since, dt.datetime):
        return dt.datetime(since.year, since.month, since.day, tzinfo=dt.UTC)
    return since if since.tzinfo is not None else since.replace(tzinfo=dt.UTC)


async def apoll_flow(
    flow: Flow | str | os.PathLike[str],
    inputs: Mapping[str, Any] | None = None,
    *,
    polls: int | None = 1,
    since: dt.date | dt.datetime | str | None = None,
    caller: Caller | None = None,
    connection: str | None = None,
    journal: Journal | str | os.PathLike[str] = DEFAULT_PATH,
    env: Mapping[str, str] | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Clock | None = None,
    debug: bool = False,
    on_run: Callable[[PolledRun], None] | None = None,
    on_poll: Callable[[PollReport], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
    lease_seconds: float | None = None,
    trigger_poll: TriggerPoll | None = None,
) -> PollReport:
    """Poll a flow's trigger (its ``on:``) and run the flow once per new event.

    Args:
        flow: a loaded :class:`Flow` with ``on:``, or the path of its file.
        inputs: the flow's inputs, the same for every run.
        polls: how many polls, ``every`` apart (``on.every``, slept with ``sleep``); ``None``
            polls until cancelled (Ctrl-C, task cancellation). A run cut off by it stays
            ``running`` in the journal and the next poll resumes it.
        since: backfill: deliver the changes from this date or instant instead of the stored
            cursor (events already delivered are still dropped). Without a stored cursor and
            without ``since``, the first poll starts from now and delivers nothing.
        caller: poll and run through this caller; without one the HTTP layer opens the
            configured account (``connection``), or the embedded sandbox.
        journal: the run journal, which also keeps the trigger's cursor, its deliveries and
            the lease that keeps a second poller of the same flow out (:class:`PollerBusyError`).
        on_run: called with each run as it ends (``on_poll`` with each poll's report).
        on_error: called with the error of a poll that failed (the API down, a journal
            locked past its timeout), after which polling goes on at the next ``every``;
            without it, the error propagates. A second poller's refusal always propagates.
        lease_seconds: how long the lease outlives a poller that stops renewing it
            (default :data:`LEASE_SECONDS`, five minutes).
        trigger_poll: the trigger call (default ``sageflow._triggers.apoll``); for tests.

    Returns:
        A :class:`PollReport` of every poll: events delivered and runs started or finished
        (with ``polls=None``, the counts only; ``on_run`` and ``on_poll`` see each run).
    """
    loaded = flow if isinstance(flow, Flow) else load_flow(flow)
    if loaded.trigger is None:
        raise NotATriggeredFlowError(
            f"{loaded.file} has no on: section; poll runs flows that start from trigger events"
            " (on: {poll: pack/someChanges, every: 5m}); run this one with sageflow run"
        )
    given = dict(inputs or {})
    values = resolve_inputs(loaded, given)
    owned_journal = journal if isinstance(journal, Journal) else Journal(Path(journal))
    owned_caller = caller is None
    the_caller: Caller = (
        caller if caller is not None else default_caller_factory(connection, debug=debug)(None)
    )
    seconds = lease_seconds or LEASE_SECONDS
    lease = _Lease(owned_journal, flow_key(loaded), seconds)
    poller = _Poller(
        loaded,
        values,
        given,
        owned_journal,
        the_caller,
        connection,
        os.environ if env is None else env,
        sleep,
        clock,
        debug,
        lease,
        trigger_poll or _default_trigger_poll(),
        on_run,
    )
    total = PollReport()
    keeper = asyncio.ensure_future(lease.keep())
    try:
        start = _as_instant(since)
        done = 0
        while True:
            try:
                report = await poller.poll(start)
            except _LeaseLostError:
                assert lease.lost is not None
                raise lease.lost from None
            except PollerBusyError:
                raise
            except Exception as error:
                # A long-running poller outlives an API outage: said, then tried again at the
                # next poll (nothing was delivered, so nothing is lost). Without on_error the
                # error is the caller's.
                if on_error is None:
                    raise
                on_error(error)
                report = PollReport(polls=1)
            else:
                start = None
                if on_poll is not None:
                    on_poll(report)
            if polls is None:
                # A poller that runs for weeks keeps counts, not every run it started.
                report = PollReport(report.events, [], report.duplicates, report.polls)
            total.merge(report)
            done += 1
            if polls is not None and done >= polls:
                break
            await sleep(loaded.trigger.every)
    finally:
        keeper.cancel()
        with suppress(asyncio.CancelledError):
            await keeper
        lease.release()
        if owned_caller:
            close = getattr(the_caller, "aclose", None)
            if close is not None:
                await close()
        if not isinstance(journal, Journal):
            owned_journal.close()
    return total


def poll_flow(
    flow: Flow | str | os.PathLike[str],
    inputs: Mapping[str, Any] | None = None,
    *,
    polls: int | None = 1,
    since: dt.date | dt.datetime | str | None = None,
    caller: Caller | None = None,
    connection: str | None = None,
    journal: Journal | str | os.PathLike[str] = DEFAULT_PATH,
    env: Mapping[str, str] | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Clock | None = None,
    debug: bool = False,
    on_run: Callable[[PolledRun], None] | None = None,
    on_poll: Callable[[PollReport], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
    lease_seconds: float | None = None,
    trigger_poll: TriggerPoll | None = None,
) -> PollReport:
    """The synchronous twin of :func:`apoll_flow` (for scripts; not inside a running loop)."""
    return asyncio.run(
        apoll_flow(
            flow,
            inputs,
            polls=polls,
            since=since,
            caller=caller,
            connection=connection,
            journal=journal,
            env=env,
            sleep=sleep,
            clock=clock,
            debug=debug,
            on_run=on_run,
            on_poll=on_poll,
            on_error=on_error,
            lease_seconds=lease_seconds,
            trigger_poll=trigger_poll,
        )
    )
