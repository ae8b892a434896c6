"""The request shell every pack's simulator shares: chaos hooks, counters and the Date header.

A pack's ``Sandbox`` subclasses :class:`SimulatorShell` and supplies ``_dispatch`` (its routes)
and ``_persisted`` (how a request meets its state file); ``handle`` is the same for all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from email.utils import format_datetime
from typing import Any

from sageflow.sandbox._chaos import ChaosGate, Stats
from sageflow.sandbox._reply import Reply
from sageflow.sandbox._store import Clock, Persistence


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

    def _persisted(self, method: str, work: Callable[[], Any]) -> Any:
        raise NotImplementedError

    def _dispatch(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        raise NotImplementedError
