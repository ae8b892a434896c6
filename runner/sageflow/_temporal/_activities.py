"""The activity: one component call on a worker, through the HTTP layer, exactly once.

Who retries what: the HTTP layer retries transport failures inside the call (429, 5xx,
dropped connections, with its idempotency rules); the engine's ``retry:`` retries a failed
step with workflow timers; Temporal retries this activity only when the worker was lost or
the activity timed out. A component's own failure is raised non-retryable, carrying the
engine's error dict. A retried attempt may follow one that sent its write before the worker
died, so it runs with ``outcome_unknown``: each create looks for its marker before writing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from sageflow._execute import Caller, CallOptions
from sageflow._flows._engine import CallerFactory, _finder, _masked, error_details
from sageflow._http._redact import registered_secrets
from sageflow._registry import get_component
from sageflow._temporal._wire import decode, encode
from sageflow._temporal._workflow import (
    ACTIVITY_NAME,
    POLL_ACTIVITY,
    STEP_ERROR,
    CallArgs,
    TriggerArgs,
)


def _default_factory(connection: str | None, sandbox_url: str | None, debug: bool) -> CallerFactory:
    # A configured account, else the served sandbox the run names (or the worker's
    # SAGEFLOW_SANDBOX_URL), never an in-process sandbox of this worker's own.
    from sageflow._temporal._sandbox import worker_caller_factory

    return worker_caller_factory(connection, sandbox_url=sandbox_url, debug=debug)


class ComponentActivities:
    """The worker's activities, with one caller per account for the worker's life (its HTTP
    connections, token and rate limiter are shared by every call the worker runs)."""

    def __init__(
        self,
        caller_for: CallerFactory | None = None,
        *,
        connection: str | None = None,
        debug: bool = False,
    ) -> None:
        self._caller_for = caller_for
        self._connection = connection
        self._debug = debug
        self._callers: dict[tuple[str | None, str | None], Caller] = {}
        #: Attempts this worker ran (every call, first or retried): a test's count of work.
        self.calls = 0

    def _caller(self, account: str | None, sandbox_url: str | None) -> Caller:
        key = (account, sandbox_url)
        found = self._callers.get(key)
        if found is None:
            factory = self._caller_for or _default_factory(
                self._connection, sandbox_url, self._debug
            )
            found = self._callers[key] = factory(account)
        return found

    @activity.defn(name=ACTIVITY_NAME)
    async def call_component(self, args: CallArgs) -> str:
        """Run one component call; its output as ``_wire`` text."""
        self.calls += 1
        info = activity.info()
        options = CallOptions(
            idempotency_key=args.idempotency_key,
            business_id=args.business_id,
            debug=args.debug,
            # A retried attempt follows one that may have written before its worker died.
            outcome_unknown=args.outcome_unknown or info.attempt > 1,
        )
        beat = _heartbeats(_heartbeat_seconds())
        try:
            component = get_component(args.component)
            inputs = component.validate(decode(args.inputs))
            caller = self._caller(args.account, args.sandbox_url)
            output = await caller.acall(component, inputs, options)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a component's failure: the engine's retry: decides
            details = _scrubbed(error_details(error))
            retry_after = getattr(error, "retry_after", None)
            raise ApplicationError(
                str(details.get("message", details.get("type"))),
                details,
                retry_after if isinstance(retry_after, int | float) else None,
                type=STEP_ERROR,
                non_retryable=True,
            ) from None
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        return encode(_scrubbed(output))

    @activity.defn(name=POLL_ACTIVITY)
    async def poll_trigger(self, args: TriggerArgs) -> str:
        """One poll of a trigger: its events (each with its key) and the next cursor."""
        from sageflow._triggers import apoll

        beat = _heartbeats(_heartbeat_seconds())
        try:
            result = await apoll(
                args.ref,
                decode(args.inputs),
                decode(args.cursor) if args.cursor is not None else None,
                since=dt.datetime.fromisoformat(args.since) if args.since else None,
                caller=self._caller(None, args.sandbox_url),
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the cursor stays where it was: the next poll retries
            details = _scrubbed(error_details(error))
            raise ApplicationError(
                str(details.get("message", details.get("type"))),
                details,
                None,
                type=STEP_ERROR,
                non_retryable=True,
            ) from None
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        events = [{"key": e.key, "event": e.to_dict()} for e in result.events]
        return encode(_scrubbed({"events": events, "cursor": dict(result.cursor)}))

    async def aclose(self) -> None:
        callers, self._callers = list(self._callers.values()), {}
        for caller in callers:
            close = getattr(caller, "aclose", None)
            if close is not None:
                await close()


def _heartbeat_seconds() -> float:
    timeout = activity.info().heartbeat_timeout
    return timeout.total_seconds() if timeout else 0.0


def _heartbeats(timeout: float) -> asyncio.Task[None]:
    """Heartbeat while the call runs (a long listing too), so that a dead worker is noticed
    after the heartbeat timeout, not after the call's whole start-to-close timeout."""

    async def beat() -> None:
        if timeout <= 0:
            return
        while True:
            activity.heartbeat()
            await asyncio.sleep(timeout / 3)

    return asyncio.ensure_future(beat())


def _scrubbed(value: Any) -> Any:
    # The connection's tokens never reach the workflow history: a server may echo them.
    secrets = registered_secrets()
    return _masked(value, _finder(secrets)) if secrets else value


def activities_of(holder: ComponentActivities) -> list[Callable[..., Any]]:
    """The callables a Worker registers."""
    return [holder.call_component, holder.poll_trigger]
