"""The Sage Accounting sandbox as an ASGI app (the transports are shared by every pack)."""

from __future__ import annotations

from typing import Any

from sage_accounting.sandbox._core import Sandbox
from sageflow.sandbox._transports import (
    AsyncSandboxTransport,
    SandboxASGI,
    SandboxDroppedError,
    SandboxTransport,
)

__all__ = [
    "AsyncSandboxTransport",
    "SandboxASGI",
    "SandboxDroppedError",
    "SandboxTransport",
    "create_app",
]


def create_app(sandbox: Sandbox | None = None, **options: Any) -> SandboxASGI:
    """An ASGI app around ``sandbox`` (or a new ``Sandbox(**options)``)."""
    return SandboxASGI(sandbox if sandbox is not None else Sandbox(**options))
