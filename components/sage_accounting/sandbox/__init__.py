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

In-process use::

    sandbox = Sandbox(clock=Clock.manual())
    client = httpx.Client(transport=SandboxTransport(sandbox), base_url="http://sandbox/v3.1",
                          headers={"Authorization": f"Bearer {DEV_TOKEN}"})
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
from sage_accounting.sandbox._oauth import ACCESS_TOKEN_LIFETIME, DEV_TOKEN, Reply
from sage_accounting.sandbox._store import DEFAULT_START, Clock

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
