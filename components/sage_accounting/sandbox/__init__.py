"""An embedded simulator of the Sage Business Cloud Accounting v3.1 API.

Addresses (relative to wherever the sandbox is reached; ``http://sandbox`` in-process,
``http://127.0.0.1:<port>`` under ``sageflow sandbox serve``):

- API base: ``/v3.1`` (for example ``GET /v3.1/contacts``), the same paths as
  ``https://api.accounting.sage.com/v3.1``.
- OAuth: ``GET /oauth2/authorize`` (automatic consent: redirects to ``redirect_uri`` with
  ``code``, ``state`` and ``country``), ``POST /oauth2/token`` (``authorization_code`` with PKCE
  S256, ``refresh_token`` with rotation), ``POST /oauth2/revoke``.
- Without a browser: send ``Authorization: Bearer sageflow-sandbox-token`` (:data:`DEV_TOKEN`,
  never expires), or call :meth:`Sandbox.issue_token` for a real 300-second token pair.

In-process use (no socket; ``sandbox.transport()`` / ``sandbox.async_transport()`` build the
same transports)::

    sandbox = Sandbox(clock=Clock.manual())          # a fresh, deterministic UK business
    client = httpx.Client(transport=SandboxTransport(sandbox), base_url=IN_PROCESS_BASE_URL,
                          headers={"Authorization": f"Bearer {DEV_TOKEN}"})
    client.get("/contacts").json()["$items"]
    sandbox.advance(300)                             # sandbox time: expires issued tokens
    sandbox.chaos.error_rate = 0.1                   # knobs can change at any moment
    sandbox.stats.requests, sandbox.stats.throttled  # counters for assertions

Served: ``sageflow sandbox serve [--port 8765] [--data FILE] [--latency 0.05|0.01-0.2]
[--error-rate R] [--unavailable-rate R] [--throttle-rate R] [--retry-after S] [--drop-rate R]
[--timeout-rate R] [--rate-limit N] [--concurrency-limit N] [--seed N] [--no-idempotency]
[--idempotency-conflict reject|replay] [--lenient] [--past-end-page last|requested]`` (see
:class:`Chaos` and :class:`Sandbox`).

Fidelity: the sandbox behaves as Sage's spec, guides and recorded samples say, each behaviour
with its source in docs/sandbox-fidelity.md. It is strict by default: a body field it does not
simulate is a 422 naming the field, never accepted and dropped (``Sandbox(strict=False)`` or
``serve --lenient`` accepts and ignores such fields).

Faults, in the order a request meets them: authentication (401), concurrency limit and rate
limit (429 with ``Retry-After``), then one seeded draw for 500 / 503 / 429 / timeout (all
before any state changes), then the replay of a POST whose body carries an ``idempotency_id``
already seen in the last 7 days of sandbox time (Sage's Idempotency guide; ``X-Idempotency-Key``
counts only on the two tax-return POSTs whose spec declares it), the request itself, and last a
possible dropped connection *after* the write was committed. The OAuth endpoints are exempt.
"""

from __future__ import annotations

from sage_accounting.sandbox._adapters import (
    AsyncSandboxTransport,
    SandboxASGI,
    SandboxDroppedError,
    SandboxTransport,
    create_app,
)
from sage_accounting.sandbox._core import API_PREFIX, Chaos, Sandbox, Stats
from sage_accounting.sandbox._oauth import ACCESS_TOKEN_LIFETIME, DEV_TOKEN
from sageflow.sandbox._reply import Reply
from sageflow.sandbox._store import DEFAULT_START, Clock

#: The base URL an in-process client uses with the transports (any host works).
IN_PROCESS_BASE_URL = "http://sandbox" + API_PREFIX

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "API_PREFIX",
    "DEFAULT_START",
    "DEV_TOKEN",
    "IN_PROCESS_BASE_URL",
    "AsyncSandboxTransport",
    "Chaos",
    "Clock",
    "Reply",
    "Sandbox",
    "SandboxASGI",
    "SandboxDroppedError",
    "SandboxTransport",
    "Stats",
    "create_app",
]
