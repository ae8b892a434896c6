"""Drives a component's generator with a send function: the seam between pure handlers and I/O.

It is also the one place that reconciles a create whose outcome is unknown: a component that
declares a marker (``Component.marker``) has it put into its create, and before such a create is
sent again (a resumed step that was in flight, a dropped connection, a 5xx) the marker is looked
for and the record found is adopted instead of writing a second one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast

from sageflow._component import Component, ErrorParser, Inputs, Reconciler
from sageflow._errors import OutcomeUnknownError
from sageflow._values import HTTPRequest, HTTPResponse

Send = Callable[[HTTPRequest], HTTPResponse]
AsyncSend = Callable[[HTTPRequest], Awaitable[HTTPResponse]]
_Plan = Generator[HTTPRequest, HTTPResponse, Any]

#: How many times one marked write is sent before its unknown outcome is handed to the caller
#: (the runner's step retry then resumes it, looking for the marker first).
RECONCILE_ROUNDS = 5


def write_key(base: str, write_no: int) -> str:
    """The key of a call's ``write_no``-th write: the base for the first, ``base:N`` after."""
    return base if write_no <= 1 else f"{base}:{write_no}"


def _check(response: HTTPResponse, request: HTTPRequest, parse_error: ErrorParser) -> None:
    if not response.ok and response.status not in request.expect:
        raise parse_error(response, request)


def _checked(sub: _Plan, parse_error: ErrorParser) -> _Plan:
    """``sub``'s requests, each response checked as a handler's would be."""
    try:
        request = next(sub)
        while True:
            response = yield request
            _check(response, request, parse_error)
            request = sub.send(response)
    except StopIteration as done:
        return done.value
    finally:
        sub.close()


def _reconciled(
    marker: Reconciler,
    request: HTTPRequest,
    token: str,
    unknown: bool,
    parse_error: ErrorParser,
) -> _Plan:
    """Send a marked write, looking for its marker first whenever its outcome is unknown."""
    for round_no in range(1, RECONCILE_ROUNDS + 1):
        if unknown:
            found = yield from _checked(marker.find(request, token), parse_error)
            if found is not None:
                return found  # adopted: the write had taken effect
        try:
            response = yield request
        except OutcomeUnknownError:
            if round_no == RECONCILE_ROUNDS:
                raise
            unknown = True
            continue
        _check(response, request, parse_error)
        return response
    raise AssertionError("unreachable")  # pragma: no cover


def _plan(
    component: Component,
    inputs: Inputs | Mapping[str, Any],
    parse_error: ErrorParser,
    options: CallOptions,
) -> _Plan:
    action = component.start(inputs)
    # A marker must be the same on every attempt and resume, so it needs the caller's key (the
    # runner always gives one); a keyless call leaves its bodies as the handler built them.
    marker = component.marker if options.idempotency_key else None
    base = options.idempotency_key or ""
    writes = 0
    try:
        request = next(action)
        while True:
            marked = None
            if request.is_write:
                writes += 1
                request = replace(request, write_no=writes)
                if marker is not None:
                    marked = marker.mark(request, write_key(base, writes))
            if marked is None:
                response = yield request
                _check(response, request, parse_error)
            else:
                token = write_key(base, writes)
                response = yield from _reconciled(
                    marker,  # type: ignore[arg-type]  # not None when marked
                    replace(marked, reconciled=True),
                    token,
                    options.outcome_unknown,
                    parse_error,
                )
            request = action.send(response)
    except StopIteration as done:
        return _output(component, done.value)
    finally:
        action.close()


def drive(
    component: Component,
    inputs: Inputs | Mapping[str, Any],
    send: Send,
    parse_error: ErrorParser,
    options: CallOptions | None = None,
) -> dict[str, Any]:
    """Run a component to completion, sending each request it yields through ``send``.

    ``send`` is expected to apply the connection's policy (auth, retries, limits); by the time a
    response reaches here it is final, so an unexpected error status becomes the pack's typed
    error and the handler is closed.
    """
    plan = _plan(component, inputs, parse_error, options or _NO_OPTIONS)
    try:
        request = next(plan)
        while True:
            try:
                response = send(request)
            except OutcomeUnknownError as error:
                request = plan.throw(error)
                continue
            request = plan.send(response)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        plan.close()


async def adrive(
    component: Component,
    inputs: Inputs | Mapping[str, Any],
    send: AsyncSend,
    parse_error: ErrorParser,
    options: CallOptions | None = None,
) -> dict[str, Any]:
    """The asyncio twin of :func:`drive`; the handler is the same generator."""
    plan = _plan(component, inputs, parse_error, options or _NO_OPTIONS)
    try:
        request = next(plan)
        while True:
            try:
                response = await send(request)
            except OutcomeUnknownError as error:
                request = plan.throw(error)
                continue
            request = plan.send(response)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        plan.close()


def describe_write(request: HTTPRequest | None) -> dict[str, Any]:
    """A dry run's account of the write it did not send (JSON-ready)."""
    if request is None:
        return {"method": None, "path": None, "query": {}, "body": None}
    return {
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "body": request.json,
    }


async def afirst_write(
    component: Component,
    inputs: Inputs | Mapping[str, Any],
    send: AsyncSend | None,
    parse_error: ErrorParser,
) -> tuple[HTTPRequest | None, int]:
    """What a dry run shows: the component's reads sent, its first write returned unsent.

    A write often needs reads first (an invoice's tax rates, a find before a create), and the
    write it then builds depends on them, so showing the handler's first request would show a
    GET. Without ``send`` (a host's caller that runs only whole calls) the first request is
    all that can be known. Returns the write (``None`` when the call sends none) and how many
    reads went before it.
    """
    action = component.start(inputs)
    reads = 0
    try:
        request = next(action)
        while send is not None and not request.is_write:
            response = await send(request)
            _check(response, request, parse_error)
            reads += 1
            request = action.send(response)
        return request, reads
    except StopIteration:
        return None, reads
    finally:
        action.close()


def _output(component: Component, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{component.ref} returned {type(value).__name__}, not a JSON object")
    return value


@dataclass(frozen=True)
class CallOptions:
    """Per-call settings a caller (the runner, a host) passes down to the HTTP layer.

    Attributes:
        idempotency_key: the base key for this call's writes. A component that sends several
            writes gets one key per write, derived from this base, so that replaying the call
            (resume after a crash) replays every write rather than repeating it.
        business_id: overrides the connection's ``X-Business`` for this call.
        debug: log this call's requests and responses (redacted) at debug level.
        on_response: told of every final response of the call (each page of a listing), so
            a caller can show progress; it must not block.
        outcome_unknown: this call may already have been made (a resumed step that was in
            flight when the run stopped, a retry after a dropped connection): before each
            marked create, look for its marker and adopt the record found.
    """

    idempotency_key: str | None = None
    business_id: str | None = None
    debug: bool = False
    on_response: Callable[[HTTPResponse], None] | None = None
    outcome_unknown: bool = False


_NO_OPTIONS = CallOptions()


class Caller(Protocol):
    """What the runner needs from a connection: run one component call to its output.

    The HTTP layer implements it (auth, retries, limits, redaction); tests and hosts may pass
    any object of this shape.
    """

    async def acall(
        self,
        component: Component,
        inputs: Inputs | Mapping[str, Any],
        options: CallOptions = ...,
    ) -> dict[str, Any]: ...


class PackCallers:
    """One caller per pack, opened when a component of that pack is first called.

    A flow may mix packs, and each pack reaches its own API through its own connection (or its
    own sandbox), so the runner's default caller routes each call by the component's pack.
    """

    def __init__(self, open_for_pack: Callable[[str], Caller]) -> None:
        self._open_for_pack = open_for_pack
        self._callers: dict[str, Caller] = {}

    def for_pack(self, pack: str) -> Caller:
        found = self._callers.get(pack)
        if found is None:
            found = self._callers[pack] = self._open_for_pack(pack)
        return found

    async def acall(
        self,
        component: Component,
        inputs: Inputs | Mapping[str, Any],
        options: CallOptions = _NO_OPTIONS,
    ) -> dict[str, Any]:
        return await self.for_pack(component.pack).acall(component, inputs, options)

    async def aclose(self) -> None:
        callers, self._callers = list(self._callers.values()), {}
        for caller in callers:
            close = getattr(caller, "aclose", None)
            if close is not None:
                await close()


def pack_caller(caller: Caller, pack: str) -> Caller:
    """The caller that serves ``pack`` itself (for raw requests, which name no component)."""
    pick = getattr(caller, "for_pack", None)
    return cast("Caller", pick(pack)) if pick is not None else caller
