"""What every pack's simulator shares: clock, store, chaos, replies, transports and ASGI shell.

A pack's sandbox (``sage_accounting.sandbox``, ``sage200.sandbox``) holds only its product's
resources, seed and rules; it answers ``handle(method, path, query, headers, body)`` with a
:class:`Reply` and lets :class:`ChaosGate` decide the faults, and these pieces do the rest:

- :class:`Clock` (wall or manual time), :class:`Collection` (records in order, tombstones for
  ``deleted_since``-style queries), :class:`Persistence` (SQLite, for ``serve --data``);
- :class:`SimulatorShell`: ``handle`` (counters, chaos hooks, the ``Date`` header) around a
  pack's ``_dispatch`` and ``_persisted``;
- :class:`OAuthServer` under a product's :class:`OAuthRules` (authorize, token with PKCE and
  refresh rotation, revoke), with ``refreshes`` counted;
- :class:`Chaos`, :class:`Stats`, :class:`ChaosGate` (latency, 429/500/503/timeouts, rate and
  concurrency limits, drops after commit);
- :class:`SandboxTransport`, :class:`AsyncSandboxTransport` (httpx, no socket) and
  :class:`SandboxASGI` (uvicorn), over any :class:`Simulator`.
"""

from __future__ import annotations

from sageflow.sandbox._chaos import Chaos, ChaosGate, Fault, Stats
from sageflow.sandbox._oauth import OAuthRules, OAuthServer
from sageflow.sandbox._reply import Reply, json_reply
from sageflow.sandbox._shell import SimulatorShell
from sageflow.sandbox._store import DEFAULT_START, Clock, Collection, Persistence, Record
from sageflow.sandbox._transports import (
    AsyncSandboxTransport,
    SandboxASGI,
    SandboxDroppedError,
    SandboxesASGI,
    SandboxTransport,
    Simulator,
)

__all__ = [
    "DEFAULT_START",
    "AsyncSandboxTransport",
    "Chaos",
    "ChaosGate",
    "Clock",
    "Collection",
    "Fault",
    "OAuthRules",
    "OAuthServer",
    "Persistence",
    "Record",
    "Reply",
    "SandboxASGI",
    "SandboxDroppedError",
    "SandboxTransport",
    "SandboxesASGI",
    "Simulator",
    "SimulatorShell",
    "Stats",
    "json_reply",
]
