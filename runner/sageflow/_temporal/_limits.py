"""Sage's 150 concurrent requests per app, held across every worker: leased shares of one limit.

Why leases from a workflow, and not the other options:

- Temporal's task-queue rate limit (``max_task_queue_activities_per_second``) is enforced by the
  server for the whole queue, but it paces activity *starts per second*, not requests in flight,
  and one activity may send many requests (a listing's pages); it also covers one queue, when
  Sage counts the app across queues and flows. It is still the right knob for a daily quota's
  sustained rate, and ``sageflow worker`` can set it; it cannot bound concurrency.
- A semaphore workflow asked for every request would be exact but would add two round trips
  to Temporal to each Sage call (more than a 20 ms call itself).
- So one :class:`ConnectionLimit` workflow per connection hands out *shares*: each worker
  leases a number of permits (what it needs, at most a fair share when the workers together
  want more than the limit), uses them locally with no round trip, and renews the lease every
  few seconds. The workflow never grants more than the limit minus what the others hold; a
  share taken back counts as held until the worker reports its requests in flight under it;
  a worker that dies stops renewing and its share returns when the lease runs out.

Within a worker the share is a local semaphore in front of the HTTP layer's own limiter
(whose token bucket and one-at-a-time numbered POSTs still apply per worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import os
import socket
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from sageflow._errors import SageflowError
    from sageflow._http._limits import Limiter, LimitSettings

logger = logging.getLogger("sageflow")

LIMIT_WORKFLOW = "sageflow.ConnectionLimit"
#: Sage's documented ceiling (sage-guides-facts.md §7: "at most 150 concurrent requests per app").
SAGE_MAX_CONCURRENT = 150
#: How long a share lasts without renewal (a dead worker's share returns after this).
LEASE_SECONDS = 15.0
#: How long a worker waits for the limit workflow before saying no worker runs it.
ASK_TIMEOUT = 30.0
#: How long one numbered POST may hold its business before a dead holder's hold lapses.
KEY_LEASE_SECONDS = 120.0
#: How often workers renew while together they want more than the limit.
CONTENDED_RENEWAL = 0.5


class LimitUnavailableError(SageflowError):
    """The connection's limit workflow does not answer (no worker runs it)."""


@dataclass(frozen=True)
class LeaseAsk:
    worker: str
    #: Permits the worker would use now (in flight plus waiting).
    want: int
    #: Requests in flight on the worker at the moment it asks.
    in_use: int


@dataclass(frozen=True)
class LeaseGrant:
    permits: int
    lease_seconds: float
    #: When to renew: soon while workers compete (shares move to where the work is), else a
    #: third of the lease.
    renew_in: float


@dataclass
class _Share:
    permits: int
    in_use: int
    want: int
    expires: float

    @property
    def held(self) -> int:
        # A share cut back is still held while its requests are in flight.
        return max(self.permits, self.in_use)


@dataclass(frozen=True)
class LimitState:
    key: str
    limit: int = SAGE_MAX_CONCURRENT
    lease_seconds: float = LEASE_SECONDS
    #: worker -> [permits, in_use, want, expires]: the shares a continued run keeps.
    shares: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyAsk:
    """One numbered write: ``key`` (a business) is held by ``holder`` until released."""

    key: str
    holder: str


@dataclass(frozen=True)
class LimitStatus:
    limit: int
    #: worker -> permits held (granted, or in flight under a share cut back)
    held: dict[str, int] = field(default_factory=dict)


@workflow.defn(name=LIMIT_WORKFLOW)
class ConnectionLimit:
    """Owns one connection's concurrency limit; leases shares of it to workers."""

    @workflow.init
    def __init__(self, state: LimitState) -> None:
        self._state = state
        self._shares: dict[str, _Share] = {
            w: _Share(int(p), int(u), int(n), e) for w, (p, u, n, e) in state.shares.items()
        }
        #: key -> (holder, expires): the business whose numbered POST is in flight, and whose.
        self._keys: dict[str, tuple[str, float]] = {}
        self._stop = False
        self._leases = 0

    @workflow.run
    async def run(self, state: LimitState) -> LimitStatus:
        await workflow.wait_condition(
            lambda: self._stop or workflow.info().is_continue_as_new_suggested()
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._stop:
            return self.status()
        # The shares go on into the next run, so no permit is handed out twice across it.
        shares = {w: [s.permits, s.in_use, s.want, s.expires] for w, s in self._shares.items()}
        workflow.continue_as_new(dataclasses.replace(self._state, shares=shares))

    @workflow.update(name="lease")
    def lease(self, ask: LeaseAsk) -> LeaseGrant:
        now = workflow.now().timestamp()
        state = self._state
        # A worker that stopped renewing is gone: its share returns to the others.
        self._shares = {w: s for w, s in self._shares.items() if s.expires > now}
        others = {w: s for w, s in self._shares.items() if w != ask.worker}
        free = state.limit - sum(s.held for s in others.values())
        want = max(0, min(ask.want, state.limit))
        total_want = want + sum(s.want for s in others.values())
        permits = min(want, free)
        if total_want > state.limit:
            # Contended: no worker keeps more than its fair share, so that a worker that
            # arrived first does not starve the others (they get the rest as shares shrink).
            fair = -(-state.limit // (len(others) + 1))
            permits = min(permits, fair)
        permits = max(0, permits)
        self._shares[ask.worker] = _Share(permits, ask.in_use, want, now + state.lease_seconds)
        self._leases += 1
        contended = total_want > state.limit
        renew_in = CONTENDED_RENEWAL if contended else state.lease_seconds / 3
        return LeaseGrant(permits, state.lease_seconds, renew_in)

    @workflow.update(name="release")
    def release(self, worker: str) -> None:
        self._shares.pop(worker, None)

    @workflow.update(name="acquire_key")
    async def acquire_key(self, ask: KeyAsk) -> None:
        """Wait until no other worker has a numbered POST to ``ask.key`` in flight, then hold
        it (Sage numbers contacts and invoices in sequence and asks for them one at a time)."""
        while True:
            now = workflow.now().timestamp()
            held = self._keys.get(ask.key)
            if held is None or held[1] <= now or held[0] == ask.holder:
                self._keys[ask.key] = (ask.holder, now + KEY_LEASE_SECONDS)
                return
            # Woken by a release, or when the holder's lease runs out (a dead worker's).
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    functools.partial(self._moved, ask.key, held), timeout=held[1] - now
                )

    def _moved(self, key: str, seen: tuple[str, float]) -> bool:
        return self._keys.get(key) != seen

    @workflow.update(name="release_key")
    def release_key(self, ask: KeyAsk) -> None:
        held = self._keys.get(ask.key)
        if held is not None and held[0] == ask.holder:
            del self._keys[ask.key]

    @workflow.query(name="status")
    def status(self) -> LimitStatus:
        return LimitStatus(self._state.limit, {w: s.held for w, s in self._shares.items()})

    @workflow.signal(name="stop")
    def stop(self) -> None:
        self._stop = True


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def limit_workflow_id(key: str) -> str:
    return f"sageflow-limit-{key}"


class _ShareGate:
    """An asyncio semaphore whose size can change (the worker's current share)."""

    def __init__(self) -> None:
        self.cap = 0
        self.in_use = 0
        self.waiting = 0
        self._changed = asyncio.Condition()

    async def acquire(self) -> None:
        async with self._changed:
            self.waiting += 1
            try:
                await self._changed.wait_for(lambda: self.in_use < self.cap)
            finally:
                self.waiting -= 1
            self.in_use += 1

    async def release(self) -> None:
        async with self._changed:
            self.in_use -= 1
            self._changed.notify_all()

    async def resize(self, cap: int) -> None:
        async with self._changed:
            self.cap = cap
            self._changed.notify_all()


class SharedLimiter(Limiter):
    """The HTTP layer's :class:`Limiter` for a worker: a request first takes a permit of this
    worker's leased share of the connection-wide limit, then the usual per-process checks."""

    def __init__(
        self,
        client: Any,
        key: str,
        *,
        task_queue: str,
        limit: int = SAGE_MAX_CONCURRENT,
        settings: LimitSettings | None = None,
        worker: str | None = None,
        renew_every: float | None = None,
    ) -> None:
        # The per-process cap is the whole limit: the share is the tighter bound.
        base = settings or LimitSettings(max_concurrent=limit)
        super().__init__(base)
        self.key = key
        self.limit = limit
        self._client = client
        self._task_queue = task_queue
        self.worker = worker or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._renew_every = renew_every
        self._gate: _ShareGate | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._first_renewal = LEASE_SECONDS / 3
        #: Lease updates this worker sent (a test's and a benchmark's count of overhead).
        self.leases = 0
        #: Most requests this worker had in flight at once.
        self.peak = 0
        #: Numbered POSTs this worker held their business for across the fleet.
        self.key_holds = 0

    def aslot(self, serial_key: str | None = None) -> Any:
        return _SharedSlot(self, serial_key)

    async def _gate_ready(self) -> _ShareGate:
        if self._gate is None:
            self._gate = _ShareGate()
            self._wake = asyncio.Event()
            # The first share before the first request.
            self._first_renewal = (await self._renew()).renew_in
            self._renewer = asyncio.get_running_loop().create_task(self._renew_forever())
        return self._gate

    async def _renew(self) -> LeaseGrant:
        from temporalio.client import WithStartWorkflowOperation
        from temporalio.common import WorkflowIDConflictPolicy

        gate = self._gate
        assert gate is not None
        ask = LeaseAsk(self.worker, min(self.limit, gate.in_use + gate.waiting + 1), gate.in_use)
        start = WithStartWorkflowOperation(
            ConnectionLimit.run,
            LimitState(self.key, self.limit),
            id=limit_workflow_id(self.key),
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        self.leases += 1
        try:
            grant: LeaseGrant = await asyncio.wait_for(
                self._client.execute_update_with_start_workflow(
                    ConnectionLimit.lease, ask, start_workflow_operation=start
                ),
                ASK_TIMEOUT,
            )
        except TimeoutError:
            raise LimitUnavailableError(
                f"the shared limit of {self.key!r} did not answer in {ASK_TIMEOUT:.0f} s: no "
                f"worker runs its workflow ({limit_workflow_id(self.key)}); it runs on the task "
                "queue of the worker that first asked, so keep a sageflow worker on that queue"
            ) from None
        await gate.resize(grant.permits)
        return grant

    async def _renew_forever(self) -> None:
        wake = self._wake
        assert wake is not None
        period = self._first_renewal
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self._renew_every or period)
            wake.clear()
            try:
                period = (await self._renew()).renew_in
            except Exception as error:
                if _cancelling():
                    # The SDK reports an update cancelled mid-wait as an error, not as
                    # CancelledError: taken for a missed renewal, it kept this task alive for
                    # ever, and the event loop's shutdown (a worker's, a test's) with it.
                    raise asyncio.CancelledError from error
                # Keep the share held: the lease outlives a missed renewal or two.
                logger.warning("sageflow: renewing the %s limit share failed: %s", self.key, error)

    async def _hold_key(self, key: str) -> KeyAsk:
        """Hold ``key`` across the fleet for one numbered POST (two round trips to Temporal,
        paid only by writes Sage asks to be sent one at a time anyway)."""
        ask = KeyAsk(key, f"{self.worker}-{uuid.uuid4().hex[:8]}")
        handle = self._client.get_workflow_handle(limit_workflow_id(self.key))
        self.key_holds += 1
        await handle.execute_update(ConnectionLimit.acquire_key, ask)
        return ask

    async def _let_go(self, ask: KeyAsk) -> None:
        handle = self._client.get_workflow_handle(limit_workflow_id(self.key))
        try:
            await handle.execute_update(ConnectionLimit.release_key, ask)
        except Exception as error:
            # Its lease lapses on its own; the next writer of that business waits until then.
            logger.warning(
                "sageflow: releasing %s on the %s limit failed: %s", ask.key, self.key, error
            )

    def _starved(self) -> None:
        """A request waits with the share used up: ask for more now, not at the next renewal."""
        if self._wake is not None:
            self._wake.set()

    async def aclose(self) -> None:
        """Give the share back (a clean shutdown; a crash leaves it to the lease's end)."""
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None
        if self._gate is not None:
            handle = self._client.get_workflow_handle(limit_workflow_id(self.key))
            try:
                await handle.execute_update(ConnectionLimit.release, self.worker)
            except Exception as error:
                # Best effort: the lease ends on its own.
                logger.debug("sageflow: releasing the %s limit share failed: %s", self.key, error)


class _SharedSlot:
    __slots__ = ("_held", "_inner", "_key", "_limiter", "_took")

    def __init__(self, limiter: SharedLimiter, serial_key: str | None) -> None:
        self._limiter = limiter
        self._inner = Limiter.aslot(limiter, serial_key)
        self._took = False
        serial = serial_key is not None and limiter.settings.serialize_numbered_writes
        self._key = serial_key if serial else None
        self._held: KeyAsk | None = None

    async def __aenter__(self) -> None:
        limiter = self._limiter
        gate = await limiter._gate_ready()
        if gate.in_use >= gate.cap:
            limiter._starved()
        await gate.acquire()
        self._took = True
        limiter.peak = max(limiter.peak, gate.in_use)
        try:
            # The worker's own one-at-a-time lock for the business first, then the fleet's.
            await self._inner.__aenter__()
            try:
                if self._key is not None:
                    self._held = await limiter._hold_key(self._key)
            except BaseException:
                await self._inner.__aexit__(None, None, None)
                raise
        except BaseException:
            await gate.release()
            self._took = False
            raise

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self._held is not None:
                held, self._held = self._held, None
                await self._limiter._let_go(held)
        finally:
            try:
                await self._inner.__aexit__(*exc)
            finally:
                if self._took and self._limiter._gate is not None:
                    self._took = False
                    await self._limiter._gate.release()


#: Each Temporal client's limiters by key (a worker process usually has one client).
_per_client: weakref.WeakKeyDictionary[Any, dict[str, SharedLimiter]] = weakref.WeakKeyDictionary()


def shared_limiter_for(key: str, limit: int = SAGE_MAX_CONCURRENT) -> SharedLimiter | None:
    """Inside an activity, this worker's :class:`SharedLimiter` for ``key`` (one per worker
    process and Temporal client, shared by all its callers); ``None`` outside an activity."""
    from temporalio import activity

    if not activity.in_activity():
        return None
    client = activity.client()
    mine = _per_client.setdefault(client, {})
    found = mine.get(key)
    if found is None:
        found = mine[key] = SharedLimiter(
            client, key, task_queue=activity.info().task_queue, limit=limit
        )
    return found


#: What a sageflow worker registers for the limit.
LIMIT_WORKFLOWS = [ConnectionLimit]
