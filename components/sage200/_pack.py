"""The pack object every Sage 200 component registers on."""

from __future__ import annotations

from typing import Any

from sage200._errors import parse_error
from sage200._paging import page_progress
from sage200.connection import ACCESS_TOKEN, OAUTH2
from sageflow._component import Pack

PACK = Pack(
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
