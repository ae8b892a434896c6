"""The HTTP layer: connections, OAuth, retries, limits and redaction (the only I/O)."""

from __future__ import annotations

from sageflow._http._client import (
    DEFAULT_TIMEOUT,
    IDEMPOTENCY_HEADER,
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

__all__ = [
    "DEFAULT_TIMEOUT",
    "IDEMPOTENCY_HEADER",
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
