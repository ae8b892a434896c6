"""Drives a component's generator with a send function: the seam between pure handlers and I/O."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sageflow._component import Component, ErrorParser, Inputs
from sageflow._values import HTTPRequest, HTTPResponse

Send = Callable[[HTTPRequest], HTTPResponse]
AsyncSend = Callable[[HTTPRequest], Awaitable[HTTPResponse]]


def _check(response: HTTPResponse, request: HTTPRequest, parse_error: ErrorParser) -> None:
    if not response.ok and response.status not in request.expect:
        raise parse_error(response, request)


def drive(
    component: Component,
    inputs: Inputs | Mapping[str, Any],
    send: Send,
    parse_error: ErrorParser,
) -> dict[str, Any]:
    """Run a component to completion, sending each request it yields through ``send``.

    ``send`` is expected to apply the connection's policy (auth, retries, limits); by the time a
    response reaches here it is final, so an unexpected error status becomes the pack's typed
    error and the handler is closed.
    """
    action = component.start(inputs)
    try:
        request = next(action)
        while True:
            response = send(request)
            _check(response, request, parse_error)
            request = action.send(response)
    except StopIteration as done:
        return _output(component, done.value)
    finally:
        action.close()


async def adrive(
    component: Component,
    inputs: Inputs | Mapping[str, Any],
    send: AsyncSend,
    parse_error: ErrorParser,
) -> dict[str, Any]:
    """The asyncio twin of :func:`drive`; the handler is the same generator."""
    action = component.start(inputs)
    try:
        request = next(action)
        while True:
            response = await send(request)
            _check(response, request, parse_error)
            request = action.send(response)
    except StopIteration as done:
        return _output(component, done.value)
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
    """

    idempotency_key: str | None = None
    business_id: str | None = None
    debug: bool = False
    on_response: Callable[[HTTPResponse], None] | None = None


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
