"""An embedded simulator of the Sage 200 (Standard and Professional) UK API v1.

Addresses (relative to wherever the sandbox is reached; ``http://sandbox200`` in-process,
``http://127.0.0.1:<port>`` under ``sageflow sandbox serve --pack sage200``):

- API base: ``/uk/sage200extra/accounts/v1`` (Professional) or ``/uk/sage200/accounts/v1``
  (Standard), the same paths as ``https://api.columbus.sage.com``; both answer alike.
- Every call needs ``ocp-apim-subscription-key: sageflow-sandbox-subscription-key``
  (:data:`DEV_SUBSCRIPTION_KEY`) and ``Authorization: Bearer sageflow-sandbox-token``
  (:data:`DEV_TOKEN`, never expires; :meth:`Sandbox.issue_token` gives one that does); every
  call but ``/sites`` and ``/current_user`` also ``X-Site`` and ``X-Company`` from ``GET /sites``
  (:meth:`Sandbox.headers` builds all four).
- Sage ID, the OAuth server (``id.sage.com`` in production), at its own paths on the same host:
  ``GET /authorize`` (automatic consent, PKCE S256), ``POST /oauth/token``
  (``authorization_code``, ``refresh_token``: the refresh token rotates by default,
  ``rotate_refresh_tokens=False`` keeps it), ``POST /oauth/revoke``; ``sandbox.oauth`` is the
  server (``sandbox.oauth.refreshes`` counts the refreshes it granted).

In-process use::

    sandbox = Sandbox(clock=Clock.manual())        # a fresh, deterministic UK site
    client = httpx.Client(transport=sandbox.transport(), base_url=sandbox.api_base,
                          headers=sandbox.headers())
    client.get("/customers", params={"$filter": "startswith(reference, 'ABB')"}).json()
    client.post("/sales_invoices", json={...}).json()     # {"urn": "7"}
    client.get("/sales_posted_transactions", params={"$filter": "urn eq 7"}).json()
    sandbox.chaos.throttle_rate = 0.1                   # knobs can change at any moment

Lists are bare JSON arrays with Sage 200's OData subset (``$filter $select $orderby $expand
$top $skip $count``); posting an invoice or credit note stores no document, only a posted
transaction found by its ``urn``. Every behaviour and its source: docs/sandbox-fidelity.md,
section "Sage 200". Strict by default: a body field the sandbox does not simulate is a 400
naming it (``Sandbox(strict=False)`` accepts and ignores such fields).
"""

from __future__ import annotations

from typing import Any

from sage200.sandbox._core import (
    ACCESS_TOKEN_LIFETIME,
    API_PREFIX,
    API_PREFIXES,
    DEFAULT_TOP,
    DEV_SUBSCRIPTION_KEY,
    DEV_TOKEN,
    MAX_TOP,
    Sandbox,
)
from sage200.sandbox._seed import SITE_ID
from sageflow.sandbox import (
    DEFAULT_START,
    AsyncSandboxTransport,
    Chaos,
    Clock,
    SandboxASGI,
    SandboxDroppedError,
    SandboxTransport,
    Stats,
)

#: The base URL an in-process client uses with the transports (any host works).
IN_PROCESS_BASE_URL = Sandbox.api_base


def create_app(sandbox: Sandbox | None = None, **options: Any) -> SandboxASGI:
    """An ASGI app around ``sandbox`` (or a new ``Sandbox(**options)``), for uvicorn."""
    return SandboxASGI(sandbox if sandbox is not None else Sandbox(**options))


__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "API_PREFIX",
    "API_PREFIXES",
    "DEFAULT_START",
    "DEFAULT_TOP",
    "DEV_SUBSCRIPTION_KEY",
    "DEV_TOKEN",
    "IN_PROCESS_BASE_URL",
    "MAX_TOP",
    "SITE_ID",
    "AsyncSandboxTransport",
    "Chaos",
    "Clock",
    "Sandbox",
    "SandboxASGI",
    "SandboxDroppedError",
    "SandboxTransport",
    "Stats",
    "create_app",
]
