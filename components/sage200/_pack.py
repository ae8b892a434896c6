"""The pack object every Sage 200 component registers on."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from sage200._errors import parse_error
from sage200._paging import page_progress
from sage200._wire import shape
from sage200.connection import ACCESS_TOKEN, OAUTH2
from sageflow._component import Action, Component, Inputs, Pack


def _shaped(handler: Callable[[Any], Action], output: type[Any]) -> Callable[[Any], Action]:
    @functools.wraps(handler)
    def shaped(inputs: Inputs) -> Action:
        shaped_output: dict[str, Any] = shape(output, (yield from handler(inputs)))
        return shaped_output

    return shaped


class _Sage200Pack(Pack):
    """The pack whose every component's output goes through :func:`sage200._wire.shape`.

    Done here, where each component is registered with its output model, so no handler can
    forget it: amounts leave as exact decimal strings and dates as ``YYYY-MM-DD``, whichever
    path (a page, a record, a marker's reconciled answer) built the output. Examples are
    written as Sage sends a record, and shown as the component outputs it.
    """

    def add(self, component: Component) -> Component:
        output = component.output
        return super().add(
            dataclasses.replace(
                component,
                handler=_shaped(component.handler, output),
                example_output=shape(output, component.example_output),
            )
        )


PACK = _Sage200Pack(
    name="sage200",
    title="Sage 200",
    description="Sage 200 Standard and Professional (UK) REST API v1.",
    error_parser=parse_error,
    page_progress=page_progress,
)
PACK.add_connection(OAUTH2)
PACK.add_connection(ACCESS_TOKEN)


def _sandbox(**options: Any) -> Any:
    # Lazy: importing the pack must not import the simulator; the runner calls this only when
    # no credentials are configured.
    from sage200.sandbox import Sandbox

    sandbox = Sandbox(**options)
    if getattr(sandbox, "connection_headers", None) is None:
        # What the runner's no-account fallback sends on every request besides the bearer:
        # the sandbox's dev subscription key and its seeded site and company.
        sandbox.connection_headers = {  # type: ignore[attr-defined]
            name: value
            for name, value in sandbox.headers().items()
            if name.lower() != "authorization"
        }
    return sandbox


PACK.sandbox_factory = _sandbox
