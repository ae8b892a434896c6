"""Fault injection for every pack's sandbox: the knobs, the counters and the gate that applies them.

A pack's simulator keeps its own error bodies; the gate only decides *what* goes wrong (a 429
after so many seconds, a 500, a 503, a timeout, a dropped connection after commit), so each
pack words the failure as its product does.
"""

from __future__ import annotations

import math
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Chaos:
    """Fault injection, all off by default. Rates are probabilities per API request.

    Attributes:
        latency: seconds added to each request, or a ``(low, high)`` range drawn per request.
        error_rate: share of requests answered 500 before they are processed.
        unavailable_rate: share answered 503 before they are processed.
        throttle_rate: share answered 429 with ``Retry-After: retry_after``.
        drop_rate: share whose connection drops *after* the write was committed: the client
            sees a transport error but the record exists (the case idempotency keys are for).
        timeout_rate: share that time out before they are processed.
        timeout_seconds: how long ``serve`` stalls a timed-out request (in-process transports
            raise ``httpx.ReadTimeout`` at once instead).
        rate_limit: requests per second of sandbox time (a bucket of that many tokens, refilled
            continuously); past it, 429 with the seconds until a token is free.
        concurrency_limit: requests in flight at once; past it, 429.
        seed: seeds the random source, so a chaos run is repeatable.
    """

    latency: float | tuple[float, float] = 0.0
    error_rate: float = 0.0
    unavailable_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after: int = 1
    drop_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = 30.0
    rate_limit: float | None = None
    concurrency_limit: int | None = None
    seed: int = 0


@dataclass
class Stats:
    """Counters a test reads: what the sandbox saw and what it did to its clients."""

    requests: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    throttled: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    replays: int = 0


@dataclass(frozen=True, slots=True)
class Fault:
    """What the gate decided for one request: a status to answer, or a throttle with its wait."""

    status: int  # 500, 503, 429, or 0 for a timeout before processing
    throttle_seconds: int = 0


class ChaosGate:
    """Applies :class:`Chaos` to requests and counts what it did in :class:`Stats`."""

    def __init__(
        self,
        chaos: Chaos,
        stats: Stats,
        clock: Callable[[], float],
        lock: threading.RLock | None = None,
    ) -> None:
        self.chaos = chaos
        self.stats = stats
        self.clock = clock
        self.lock = lock or threading.RLock()
        self.random = random.Random(chaos.seed)  # noqa: S311 - chaos, not cryptography
        self._bucket: tuple[float, float] | None = None  # (tokens, at sandbox time)

    def next_latency(self) -> float:
        latency = self.chaos.latency
        if isinstance(latency, tuple):
            with self.lock:
                return self.random.uniform(*latency)
        return latency

    def enter(self) -> None:
        """A request arrived (before any latency): counts towards the concurrency limit."""
        with self.lock:
            self.stats.in_flight += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.stats.in_flight -= 1

    def before(self) -> Fault | None:
        """The fault this request meets before it is processed, if any (call under the lock)."""
        chaos = self.chaos
        if chaos.concurrency_limit is not None and self.stats.in_flight > chaos.concurrency_limit:
            return Fault(429, chaos.retry_after)
        if chaos.rate_limit:
            now = self.clock()
            tokens, at = self._bucket or (chaos.rate_limit, now)
            tokens = min(chaos.rate_limit, tokens + (now - at) * chaos.rate_limit)
            if tokens < 1:
                self._bucket = (tokens, now)
                return Fault(429, max(1, math.ceil((1 - tokens) / chaos.rate_limit)))
            self._bucket = (tokens - 1, now)
        if chaos.error_rate or chaos.unavailable_rate or chaos.throttle_rate or chaos.timeout_rate:
            roll = self.random.random()
            for rate, status in (
                (chaos.error_rate, 500),
                (chaos.unavailable_rate, 503),
                (chaos.throttle_rate, 429),
                (chaos.timeout_rate, 0),
            ):
                if roll < rate:
                    if status == 429:
                        self.stats.faults["error_429"] += 1
                        return Fault(429, chaos.retry_after)
                    return Fault(status)
                roll -= rate
        return None

    def drops_after_commit(self) -> bool:
        """Whether this write's connection drops after it was committed (``drop_rate``)."""
        return bool(self.chaos.drop_rate) and self.random.random() < self.chaos.drop_rate
