"""The HTTP layer: connections, OAuth, retries, limits and redaction (the only I/O).

Exports load on first use: packs import the light pieces (profiles, settings) at import time,
and ``sageflow validate`` or ``--help`` should not pay for httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sageflow._lazy import lazy_exports

if TYPE_CHECKING:
    from sageflow._http._client import (
        DEFAULT_TIMEOUT,
        USER_AGENT,
        AsyncClient,
        Client,
        Connection,
    )
    from sageflow._http._config import open_caller, open_client
    from sageflow._http._limits import Limiter, LimitSettings, TokenBucket
    from sageflow._http._oauth import LoginError, OAuthClient, TokenManager, login, revoke
    from sageflow._http._profile import (
        APIProfile,
        ConfigurationError,
        ConnectionSettings,
        HTTPConnectionSpec,
    )
    from sageflow._http._redact import (
        RedactingFilter,
        before_record_request,
        before_record_response,
        redact,
        redact_exception,
        redact_headers,
        register_secret,
    )
    from sageflow._http._retry import RetryPolicy
    from sageflow._http._tokens import (
        CallbackTokenStore,
        FileTokenStore,
        MemoryTokenStore,
        TokenSet,
        TokenStore,
    )

_EXPORTS: dict[str, str] = {
    "APIProfile": "sageflow._http._profile",
    "AsyncClient": "sageflow._http._client",
    "CallbackTokenStore": "sageflow._http._tokens",
    "Client": "sageflow._http._client",
    "ConfigurationError": "sageflow._http._profile",
    "Connection": "sageflow._http._client",
    "ConnectionSettings": "sageflow._http._profile",
    "DEFAULT_TIMEOUT": "sageflow._http._client",
    "FileTokenStore": "sageflow._http._tokens",
    "HTTPConnectionSpec": "sageflow._http._profile",
    "LimitSettings": "sageflow._http._limits",
    "Limiter": "sageflow._http._limits",
    "LoginError": "sageflow._http._oauth",
    "MemoryTokenStore": "sageflow._http._tokens",
    "OAuthClient": "sageflow._http._oauth",
    "RedactingFilter": "sageflow._http._redact",
    "RetryPolicy": "sageflow._http._retry",
    "TokenBucket": "sageflow._http._limits",
    "TokenManager": "sageflow._http._oauth",
    "TokenSet": "sageflow._http._tokens",
    "TokenStore": "sageflow._http._tokens",
    "USER_AGENT": "sageflow._http._client",
    "before_record_request": "sageflow._http._redact",
    "before_record_response": "sageflow._http._redact",
    "login": "sageflow._http._oauth",
    "open_caller": "sageflow._http._config",
    "open_client": "sageflow._http._config",
    "redact": "sageflow._http._redact",
    "redact_exception": "sageflow._http._redact",
    "redact_headers": "sageflow._http._redact",
    "register_secret": "sageflow._http._redact",
    "revoke": "sageflow._http._oauth",
}

__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "APIProfile",
    "AsyncClient",
    "CallbackTokenStore",
    "Client",
    "ConfigurationError",
    "Connection",
    "ConnectionSettings",
    "FileTokenStore",
    "HTTPConnectionSpec",
    "LimitSettings",
    "Limiter",
    "LoginError",
    "MemoryTokenStore",
    "OAuthClient",
    "RedactingFilter",
    "RetryPolicy",
    "TokenBucket",
    "TokenManager",
    "TokenSet",
    "TokenStore",
    "before_record_request",
    "before_record_response",
    "login",
    "open_caller",
    "open_client",
    "redact",
    "redact_exception",
    "redact_headers",
    "register_secret",
    "revoke",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
