"""The request shell every pack's simulator shares: chaos hooks, counters and the Date header.

A pack's ``Sandbox`` subclasses :class:`SimulatorShell` and supplies ``_dispatch`` (its routes)
and ``_persisted`` (how a request meets its state file); ``handle`` is the same for all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from email.utils import format_datetime
from typing import TypeVar

from sageflow.sandbox._chaos import ChaosGate, Stats
from sageflow.sandbox._reply import Reply
from sageflow.sandbox._store import Clock, Persistence

T = TypeVar("T")


class SimulatorShell:
    """What the transports call (``handle``, ``enter``, ``leave``, ``next_latency``)."""

    clock: Clock
    gate: ChaosGate
    stats: Stats
    persist: Persistence | None
    _lock: threading.RLock

    def close(self) -> None:
        if self.persist is not None:
            self.persist.close()

    def next_latency(self) -> float:
        return self.gate.next_latency()

    def enter(self) -> None:
        """A transport calls this when a request arrives, before any latency (for the limit)."""
        self.gate.enter()

    def leave(self) -> None:
        self.gate.leave()

    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Reply:
        """Answer one request. ``headers`` keys must be lower case (httpx and ASGI give that)."""
        with self._lock:
            self.stats.requests += 1
            method = method.upper()
            reply: Reply = self._persisted(
                method, lambda: self._dispatch(method, path, query, headers or {}, body)
            )
            # RFC 9110 §6.6.1: an origin server with a clock MUST send Date. The sandbox's
            # clock is the one its records are stamped by; triggers take their time from it.
            reply.headers.setdefault("date", format_datetime(self.clock.now(), usegmt=True))
            self.stats.by_status[reply.status] += 1
            if reply.status == 429:
                self.stats.throttled += 1
            if reply.fault:
                self.stats.faults[reply.fault] += 1
            return reply

    def _persisted(self, method: str, work: Callable[[], T]) -> T:
        """Run ``work`` against the state file: a write in one transaction, reloading first
        what other processes committed to the same file; a read after catching up with them.

        A request's writes (the record, the id counter, the idempotency reply) commit
        together, so a crash between them cannot hand the same id to a later record.
        """
        persist = self.persist
        if persist is None:
            return self._in_memory(work)
        if method in ("GET", "HEAD"):
            with persist.read() as stale:
                if stale:
                    self._reload()
                return work()
        try:
            with persist.write() as stale:
                if stale:
                    self._reload()
                result = work()
                self._written(result)
                return result
        except BaseException:
            # Rolled back: memory may hold what the file does not; the file is the truth.
            with persist.read():
                self._reload()
            raise

    def _in_memory(self, work: Callable[[], T]) -> T:
        """A request with no state file."""
        return work()

    def _written(self, result: object) -> None:
        """Inside a write's transaction, after ``work``: save what it changed (if the pack
        saves at the end rather than as it goes)."""

    def _reload(self) -> None:
        """Replace memory with the state file's contents (another process wrote to it)."""
        raise NotImplementedError

    def _dispatch(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        raise NotImplementedError
