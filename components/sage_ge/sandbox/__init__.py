"""An embedded simulator of Chift's unified accounting API over a Sage Génération Experts
connection.

Addresses (relative to wherever the sandbox is reached; ``http://sandbox`` in-process,
``http://127.0.0.1:<port>`` under ``sageflow sandbox serve --pack sage_ge``):

- ``POST /chift/token`` with ``{clientId, clientSecret, accountId}`` (``accountId`` is
  :data:`ACCOUNT_ID`; any non-empty client id and secret) answers a 30-minute bearer;
  :data:`DEV_TOKEN` is accepted on every call and never expires.
- Unified calls: ``/chift/consumers/{CONSUMER_ID}/accounting/...`` (:attr:`Sandbox.api_base`),
  ``folder_id`` choosing the dossier (``DOSSIER01``, ``DOSSIER02``).

In-process use::

    sandbox = Sandbox(clock=Clock.manual())
    client = httpx.Client(transport=sandbox.transport(), base_url=sandbox.api_base,
                          headers={"authorization": f"Bearer {sandbox.access_token}"})
    client.get("/journals", params={"folder_id": "DOSSIER01"}).json()  # {items, total, ...}

Every behaviour and its source: docs/sandbox-fidelity.md, section "Sage GE (Chift)".
"""

from __future__ import annotations

from typing import Any

from sage_ge.sandbox._core import (
    API_PATH,
    DEFAULT_SIZE,
    DEV_TOKEN,
    MAX_SIZE,
    ROUTES,
    TOKEN_LIFETIME,
    Sandbox,
)
from sage_ge.sandbox._seed import ACCOUNT_ID, CONSUMER_ID
from sageflow.sandbox import (
    DEFAULT_START,
    AsyncSandboxTransport,
    Chaos,
    Clock,
    SandboxASGI,
    SandboxTransport,
    Stats,
)

#: The base URL an in-process client uses with the transports (any host works).
IN_PROCESS_BASE_URL = Sandbox.api_base


def create_app(sandbox: Sandbox | None = None, **options: Any) -> SandboxASGI:
    """An ASGI app around ``sandbox`` (or a new ``Sandbox(**options)``), for uvicorn."""
    return SandboxASGI(sandbox if sandbox is not None else Sandbox(**options))


__all__ = [
    "ACCOUNT_ID",
    "API_PATH",
    "CONSUMER_ID",
    "DEFAULT_SIZE",
    "DEFAULT_START",
    "DEV_TOKEN",
    "IN_PROCESS_BASE_URL",
    "MAX_SIZE",
    "ROUTES",
    "TOKEN_LIFETIME",
    "AsyncSandboxTransport",
    "Chaos",
    "Clock",
    "Sandbox",
    "SandboxASGI",
    "SandboxTransport",
    "Stats",
    "create_app",
]
