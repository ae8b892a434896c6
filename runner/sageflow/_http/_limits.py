"""Client-side limits: Sage's daily quota as a token bucket, a concurrency cap, serial POSTs."""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class LimitSettings:
    """Sage's documented figures as defaults (per app).

    1,296,000 requests a day is 15 a second sustained; the burst lets a short flow start at
    once instead of trickling.
    """

    requests_per_day: int = 1_296_000
    burst: int = 30
    max_concurrent: int = 150
    serialize_numbered_writes: bool = True

    @property
    def rate(self) -> float:
        return self.requests_per_day / 86_400


class TokenBucket:
    """A token bucket whose tokens may go negative: each caller reserves its slot and is told
    how long to wait, so waiters are served in arrival order without polling."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take one token; return the seconds to wait before using it (0 when available)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


_shared: dict[str, Limiter] = {}
_shared_guard = threading.Lock()


def shared_limiter(key: str) -> Limiter:
    """The process-wide limiter for one app/API (Sage counts limits per app, not per client)."""
    with _shared_guard:
        found = _shared.get(key)
        if found is None:
            found = _shared[key] = Limiter()
        return found


class Limiter:
    """Everything a request waits for before it is sent; shared by every client of one app.

    Sync and async callers may share one limiter: the bucket is thread-safe, and each side has
    its own concurrency primitives (an asyncio primitive is bound to one event loop).
    """

    def __init__(
        self,
        settings: LimitSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings or LimitSettings()
        self.bucket = TokenBucket(self.settings.rate, self.settings.burst, clock)
        self._sleep = sleep
        self._asleep = asleep
        self._slots = threading.BoundedSemaphore(self.settings.max_concurrent)
        self._serial: dict[str, threading.Lock] = {}
        # asyncio primitives belong to one event loop; a limiter shared by every client of an
        # app outlives loops (each asyncio.run makes one), so they are kept per loop.
        self._loops: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[asyncio.Semaphore, dict[str, asyncio.Lock]]
        ] = weakref.WeakKeyDictionary()
        self._guard = threading.Lock()

    def _serial_lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._serial.setdefault(key, threading.Lock())

    @contextmanager
    def slot(self, serial_key: str | None = None) -> Iterator[None]:
        """Hold a request slot; ``serial_key`` (a business) makes writes to it one at a time."""
        serial = (
            self._serial_lock(serial_key)
            if serial_key is not None and self.settings.serialize_numbered_writes
            else None
        )
        if serial is not None:
            serial.acquire()
        try:
            with self._slots:
                wait = self.bucket.reserve()
                if wait > 0:
                    self._sleep(wait)
                yield
        finally:
            if serial is not None:
                serial.release()

    def aslot(self, serial_key: str | None = None) -> _AsyncSlot:
        """The asyncio twin of :meth:`slot` (``async with limiter.aslot(business):``)."""
        return _AsyncSlot(self, serial_key)

    def _loop_primitives(self) -> tuple[asyncio.Semaphore, dict[str, asyncio.Lock]]:
        loop = asyncio.get_running_loop()
        found = self._loops.get(loop)
        if found is None:
            found = self._loops[loop] = (asyncio.Semaphore(self.settings.max_concurrent), {})
        return found


class _AsyncSlot:
    """What ``async with limiter.aslot()`` holds: the business's write lock, then a slot.

    A class rather than an ``asynccontextmanager`` generator: this runs for every request, and
    the generator machinery cost several times the in-process sandbox's own work per call.
    """

    __slots__ = ("_key", "_limiter", "_serial", "_slots")

    def __init__(self, limiter: Limiter, serial_key: str | None) -> None:
        self._limiter = limiter
        self._key = serial_key
        self._serial: asyncio.Lock | None = None
        self._slots: asyncio.Semaphore | None = None

    async def __aenter__(self) -> None:
        limiter = self._limiter
        slots, locks = limiter._loop_primitives()
        serial = None
        if self._key is not None and limiter.settings.serialize_numbered_writes:
            serial = locks.get(self._key)
            if serial is None:
                serial = locks[self._key] = asyncio.Lock()
            await serial.acquire()
        try:
            await slots.acquire()
            try:
                wait = limiter.bucket.reserve()
                if wait > 0:
                    await limiter._asleep(wait)
            except BaseException:
                slots.release()
                raise
        except BaseException:
            if serial is not None:
                serial.release()
            raise
        self._serial, self._slots = serial, slots

    async def __aexit__(self, *exc: object) -> None:
        slots, serial = self._slots, self._serial
        self._slots = self._serial = None
        if slots is not None:
            slots.release()
        if serial is not None:
            serial.release()
