"""Helpers for the HTTP layer tests: a fake clock, a scriptable Sage, test secrets."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from pydantic import SecretStr

from sage_accounting.connection import PROFILE
from sageflow._http import (
    Connection,
    ConnectionSettings,
    Limiter,
    MemoryTokenStore,
    OAuthClient,
    RetryPolicy,
    TokenManager,
    TokenSet,
)

API = "https://api.test.example/v3.1"
TOKEN_URL = "https://oauth.test.example/token"
CLIENT_SECRET = "cs-Very$ecret/Value+42"
ACCESS = "at-initial-0123456789abcdef"
REFRESH = "rt-initial-0123456789abcdef"


@dataclass
class Clock:
    """Wall and monotonic time in one, moved only by the test (and by fake sleeps)."""

    now: float = 1_700_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def oauth_client() -> OAuthClient:
    return OAuthClient(
        client_id="client-id-1",
        client_secret=SecretStr(CLIENT_SECRET),
        token_url=TOKEN_URL,
        authorize_url="https://auth.test.example/authorize?filter=apiv3.1",
        revoke_url="https://oauth.test.example/revoke",
        scopes="full_access",
    )


@dataclass
class FakeSage:
    """An in-memory Sage: token endpoint with rotation, and an API answering by a function."""

    clock: Clock
    access: str = ACCESS
    refresh: str = REFRESH
    generation: int = 0
    token_calls: int = 0
    api_calls: list[httpx.Request] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    api: Callable[[httpx.Request], httpx.Response] | None = None
    dead_grant: bool = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            return self.token(request)
        self.api_calls.append(request)
        if request.headers.get("authorization") != f"Bearer {self.access}":
            self.events.append("api-401")
            return httpx.Response(
                401,
                json=[
                    {
                        "$severity": "error",
                        "$dataCode": "AccessTokenVerificationError",
                        "$message": "Access token is invalid or expired",
                    }
                ],
            )
        self.events.append("api-ok")
        if self.api is not None:
            return self.api(request)
        return httpx.Response(200, json={"id": "x", "displayed_as": "X", "$path": "/x"})

    def token(self, request: httpx.Request) -> httpx.Response:
        self.token_calls += 1
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        assert "authorization" not in request.headers
        if self.dead_grant or form.get("refresh_token") != self.refresh:
            return httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "refresh token expired"}
            )
        assert form["client_secret"] == CLIENT_SECRET
        self.generation += 1
        self.access = f"at-gen{self.generation}-abcdef0123456789"
        self.refresh = f"rt-gen{self.generation}-abcdef0123456789"
        self.events.append("token")
        return httpx.Response(
            200,
            json={
                "access_token": self.access,
                "refresh_token": self.refresh,
                "expires_in": 300,
                "refresh_token_expires_in": 2_678_400,
                "token_type": "bearer",
                "scope": "full_access",
                "requested_by_id": "user-1",
            },
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


class RecordingStore(MemoryTokenStore):
    def __init__(self, tokens: TokenSet, events: list[str]) -> None:
        super().__init__(tokens)
        self.events = events

    def save(self, tokens: TokenSet) -> None:
        self.events.append("save")
        super().save(tokens)


def oauth_connection(clock: Clock, sage: FakeSage, expires_in: float = -1) -> Connection:
    store = RecordingStore(
        TokenSet(ACCESS, REFRESH, expires_at=clock.now + expires_in), sage.events
    )
    return Connection(
        settings=ConnectionSettings(api_base=API, oauth=oauth_client()),
        profile=PROFILE,
        tokens=TokenManager(oauth_client(), store, clock=clock),
    )


def token_connection(business: str | None = None) -> Connection:
    return Connection.with_token(API, ACCESS, PROFILE, business_id=business)


def quick_policy(clock: Clock, **kwargs: Any) -> RetryPolicy:
    return RetryPolicy(wall_clock=clock, random=lambda: 1.0, **kwargs)


def free_limiter(clock: Clock) -> Limiter:
    return Limiter(clock=clock, sleep=clock.sleep, asleep=clock.asleep)


def body(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None
