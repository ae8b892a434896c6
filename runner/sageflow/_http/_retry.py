"""The one retry policy every component uses: which failures to retry and how long to wait."""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime

import httpx

from sageflow._values import RetryOverride

#: Statuses that mean "come back later" and usually say when, in Retry-After.
THROTTLE_STATUSES = frozenset({429, 503})
# 501 and 505 will not change on a retry.
_PERMANENT_5XX = frozenset({501, 505})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff with full jitter, Retry-After honoured, and no duplicate writes.

    Attributes:
        max_attempts: attempts in all, the first included.
        base_delay: the first backoff ceiling; it doubles each attempt up to ``max_delay``.
        retry_after_cap: the longest wait a server's Retry-After can impose.
        exponential: ``False`` waits ``base_delay`` every time (rawRequest's choice).
        retry_all_errors: retry every error status, not only throttling and 5xx.
        trust_generated_keys: treat the layer's own fresh idempotency keys as proof that a
            repeated POST cannot duplicate. Off: only a caller's key (the runner's deterministic
            one, or an explicit header) makes a POST retryable, because that is the key a later
            resume would send again.
        wall_clock: seconds since the epoch, to turn a Retry-After date into a wait.
        random: a source in [0, 1) for the jitter.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    retry_after_cap: float = 60.0
    exponential: bool = True
    retry_all_errors: bool = False
    trust_generated_keys: bool = False
    wall_clock: Callable[[], float] = time.time
    random: Callable[[], float] = _random.random

    def with_override(self, override: RetryOverride | None) -> RetryPolicy:
        """This policy adjusted by one request's wishes (rawRequest's retry inputs)."""
        if override is None:
            return self
        policy = self
        if override.max_retries is not None:
            policy = replace(policy, max_attempts=max(0, override.max_retries) + 1)
        if override.retry_delay is not None:
            policy = replace(policy, base_delay=max(0.0, override.retry_delay))
        if override.exponential_backoff is not None:
            policy = replace(policy, exponential=override.exponential_backoff)
        if override.retry_all_errors is not None:
            policy = replace(policy, retry_all_errors=override.retry_all_errors)
        return policy

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based), jitter included."""
        if not self.exponential:
            return self.base_delay
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return self.random() * ceiling

    def retry_after(self, headers: Mapping[str, str]) -> float | None:
        """Retry-After as a wait in seconds (either form), capped; ``None`` when absent/invalid."""
        raw = None
        for name, value in headers.items():
            if name.lower() == "retry-after":
                raw = value.strip()
                break
        if not raw:
            return None
        try:
            seconds = float(raw)
        except ValueError:
            try:
                when = parsedate_to_datetime(raw)
            except (TypeError, ValueError):
                return None
            seconds = when.timestamp() - self.wall_clock()
        return min(max(0.0, seconds), self.retry_after_cap)

    def delay_for_status(
        self, method: str, status: int, headers: Mapping[str, str], attempt: int, keyed: bool
    ) -> float | None:
        """How long to wait before retrying a response, or ``None`` to hand it back as final."""
        if attempt >= self.max_attempts or status < 400:
            return None
        if status == 429:
            # The request was refused before any work: safe to repeat even for a POST.
            pass
        elif (
            status in THROTTLE_STATUSES
            or (status >= 500 and status not in _PERMANENT_5XX)
            or self.retry_all_errors
        ):
            if not self._may_repeat(method, keyed):
                return None
        else:
            return None
        if status in THROTTLE_STATUSES:
            waited = self.retry_after(headers)
            if waited is not None:
                return waited
        return self.backoff(attempt)

    def delay_for_error(
        self, method: str, error: Exception, attempt: int, keyed: bool
    ) -> float | None:
        """How long to wait before retrying after a network error, or ``None`` to raise it."""
        if attempt >= self.max_attempts or not isinstance(error, httpx.TransportError):
            return None
        if isinstance(error, httpx.UnsupportedProtocol | httpx.ProxyError):
            return None
        # A connect error proves the request never reached the server: any method may repeat.
        if not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout) and not (
            self._may_repeat(method, keyed)
        ):
            return None
        return self.backoff(attempt)

    def _may_repeat(self, method: str, keyed: bool) -> bool:
        return method in _SAFE_METHODS or keyed
