"""Access tokens bought with the connection's own credentials (no person, no refresh token).

Chift's ``POST /token`` with ``{clientId, clientSecret, accountId}`` answers a bearer valid
for 30 minutes; a new one is bought the same way when it runs out or the API refuses it. The
interface is :class:`~sageflow._http._oauth.TokenManager`'s, so the client's one retry and
refresh loop serves both; one purchase at a time per connection (threads and asyncio tasks
queue on one lock, the first buys, the rest find the fresh token).
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from sageflow._errors import APIErrorEntry, AuthenticationError
from sageflow._http._redact import register_secret
from sageflow._http._tokens import TokenSet

#: Buy a new token when the current one has less than this left.
EXCHANGE_MARGIN = 60.0


@dataclass(frozen=True)
class TokenExchange:
    """Where and with what a connection buys its bearer token.

    Attributes:
        url: the token endpoint (absolute).
        body: the JSON body sent; ``secret`` is the value in it that is a credential.
        lifetime: seconds a token lives when the answer says nothing (``expires_in``).
    """

    url: str
    body: Mapping[str, str]
    secret: SecretStr
    lifetime: float = 1800.0
    token_field: str = "access_token"  # noqa: S105 (a field name, not a secret)
    expires_field: str = "expires_in"
    #: The body field that carries the secret (kept apart so no repr of ``body`` shows it).
    secret_field: str = "clientSecret"  # noqa: S105 (a field name, not a secret)

    def payload(self) -> dict[str, str]:
        return {**self.body, self.secret_field: self.secret.get_secret_value()}


class ExchangedTokens:
    """Hands out a valid bearer, buying a new one ahead of expiry or when the API refuses it."""

    def __init__(
        self,
        exchange: TokenExchange,
        *,
        clock: Callable[[], float] = time.time,
        margin: float = EXCHANGE_MARGIN,
    ) -> None:
        self.exchange = exchange
        self._clock = clock
        self._margin = margin
        self._tokens: TokenSet | None = None
        self._lock = threading.Lock()
        self._alocks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        #: Tokens bought so far (a test counts them).
        self.refreshes = 0
        register_secret(exchange.secret.get_secret_value())

    @property
    def tokens(self) -> TokenSet | None:
        return self._tokens

    def _fresh(self) -> str | None:
        tokens = self._tokens
        return None if tokens is None else tokens.usable(self._clock(), self._margin)

    def token(self, http: httpx.Client) -> str:
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        with self._lock:
            fresh = self._fresh()
            if fresh is not None:
                return fresh
            self.refreshes += 1
            return self._absorb(http.post(self.exchange.url, json=self.exchange.payload()))

    def token_rejected(self, http: httpx.Client, used: str) -> str:
        with self._lock:
            current = self._tokens
            if current is not None and current.access_token != used:
                return current.access_token
            self.refreshes += 1
            return self._absorb(http.post(self.exchange.url, json=self.exchange.payload()))

    async def atoken(self, http: httpx.AsyncClient) -> str:
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        async with self._async_lock():
            fresh = self._fresh()
            if fresh is not None:
                return fresh
            self.refreshes += 1
            response = await http.post(self.exchange.url, json=self.exchange.payload())
            return self._absorb(response)

    async def atoken_rejected(self, http: httpx.AsyncClient, used: str) -> str:
        async with self._async_lock():
            current = self._tokens
            if current is not None and current.access_token != used:
                return current.access_token
            self.refreshes += 1
            response = await http.post(self.exchange.url, json=self.exchange.payload())
            return self._absorb(response)

    def _async_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._alocks.get(loop)
        if lock is None:
            lock = self._alocks[loop] = asyncio.Lock()
        return lock

    def _absorb(self, response: httpx.Response) -> str:
        path = urlsplit(self.exchange.url).path
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            message = ""
            if isinstance(body, dict):
                message = str(body.get("message") or body.get("detail") or "")
            raise AuthenticationError(
                response.status_code,
                [APIErrorEntry("error", None, message or "the token request was refused")],
                method="POST",
                path=path,
            )
        token = body.get(self.exchange.token_field) if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthenticationError(
                response.status_code,
                [APIErrorEntry("error", None, "the token endpoint answered without a token")],
                method="POST",
                path=path,
            )
        register_secret(token)
        lifetime = body.get(self.exchange.expires_field)
        seconds = (
            float(lifetime)
            if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0
            else self.exchange.lifetime
        )
        self._tokens = TokenSet(access_token=token, expires_at=self._clock() + seconds)
        return token
