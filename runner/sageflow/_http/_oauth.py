"""OAuth 2.0 with rotating refresh tokens: single-flight refresh, PKCE login, revoke."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import secrets
import threading
import time
import weakref
import webbrowser
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from pydantic import SecretStr

from sageflow._errors import (
    APIErrorEntry,
    AuthenticationError,
    ReauthorizationRequiredError,
    SageflowError,
)
from sageflow._http._redact import register_secret
from sageflow._http._tokens import TokenSet, TokenStore, keep_raw_response

logger = logging.getLogger("sageflow")

#: Refresh when the access token has less than this left (Sage's live 300 s).
REFRESH_MARGIN = 60.0
#: Sage's authorization codes die 60 s after issue.
CODE_LIFETIME = 60.0
_NOT_EXTRA = frozenset({"access_token", "refresh_token", "id_token", "expires_in"})


@dataclass(frozen=True)
class OAuthClient:
    """An app's registration with an authorization server."""

    client_id: str
    client_secret: SecretStr
    token_url: str
    authorize_url: str
    revoke_url: str | None = None
    scopes: str = ""
    login_command: str = "sageflow auth login"


def _token_error(response: httpx.Response, client: OAuthClient, what: str) -> Exception:
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = str(body.get("error", "")) if isinstance(body, dict) else ""
    description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
    if code == "invalid_grant":
        # The grant is dead (expired, revoked, or already rotated away): a retry can only fail
        # again, so the caller is told what to run instead.
        return ReauthorizationRequiredError(description or code, command=client.login_command)
    return AuthenticationError(
        response.status_code,
        [APIErrorEntry("error", code or None, description or f"{what} failed")],
        method="POST",
        path=urlsplit(client.token_url).path,
    )


class TokenResponseError(AuthenticationError):
    """The token endpoint answered 200 with a body that is not a token response.

    Its raw answer is kept (``kept`` says where): it may hold the rotated refresh token, the
    only live one once the server has answered.
    """

    def __init__(self, status: int, reason: str, kept: str, *, path: str = "") -> None:
        self.kept = kept
        message = (
            f"{reason}; the raw answer, which may hold the new refresh token, is kept in {kept}"
        )
        super().__init__(status, [APIErrorEntry("error", None, message)], method="POST", path=path)


class _UnreadableError(Exception):
    """Why a 200 from the token endpoint is not a token response."""


def _seconds(body: Mapping[str, Any], key: str) -> float | None:
    raw = body.get(key)
    if raw is None:
        return None
    try:
        if isinstance(raw, bool):
            raise ValueError
        seconds = float(raw)
    except (TypeError, ValueError):
        raise _UnreadableError(f"{key} is {raw!r}, not a number of seconds") from None
    if not 0 <= seconds < 10**9:  # also refuses nan and inf
        raise _UnreadableError(f"{key} is {raw!r}, not a number of seconds")
    return seconds


def _parse_tokens(response: httpx.Response, now: float, previous: TokenSet | None) -> TokenSet:
    try:
        body = response.json()
    except ValueError:
        raise _UnreadableError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise _UnreadableError("the body is not a JSON object")
    access, refresh = body.get("access_token"), body.get("refresh_token")
    # Whatever happens next, these are credentials: never printed, even in the error below.
    for value in (access, refresh):
        if isinstance(value, str):
            register_secret(value)
    if not isinstance(access, str) or not access:
        raise _UnreadableError("no access_token in the response")
    if refresh is not None and not isinstance(refresh, str):
        raise _UnreadableError("refresh_token is not a string")
    scope = body.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise _UnreadableError("scope is not a string")
    expires_in = _seconds(body, "expires_in")
    refresh_in = _seconds(body, "refresh_token_expires_in")
    return TokenSet(
        access_token=access,
        refresh_token=refresh or (previous.refresh_token if previous else None),
        expires_at=now + expires_in if expires_in is not None else None,
        refresh_expires_at=now + refresh_in if refresh_in is not None else None,
        scope=scope,
        extra={k: v for k, v in body.items() if k not in _NOT_EXTRA},
    )


def tokens_from_response(
    response: httpx.Response,
    client: OAuthClient,
    now: float,
    previous: TokenSet | None = None,
    what: str = "token request",
    *,
    store: TokenStore | None = None,
) -> TokenSet:
    """A token endpoint's answer as a :class:`TokenSet`, or the typed error it means.

    A 200 that is not a readable token response (not JSON, ``expires_in: "soon"``, ...) is kept
    raw beside ``store`` before :class:`TokenResponseError` is raised: the server has already
    rotated the refresh token, so dropping the answer could lose the only live one.
    """
    if response.status_code != 200:
        raise _token_error(response, client, what)
    try:
        return _parse_tokens(response, now, previous)
    except _UnreadableError as problem:
        kept = keep_raw_response(store, response.content)
        logger.warning("%s: unreadable token response kept in %s", what, kept)
        raise TokenResponseError(
            response.status_code,
            f"{what}: the token endpoint answered 200 but {problem}",
            kept,
            path=urlsplit(client.token_url).path,
        ) from None


class TokenManager:
    """Hands out a valid access token; refreshes it at most once at a time, process-wide.

    Sage rotates the refresh token on every refresh and the old one dies at once, so two
    concurrent refreshes lock the user out. Every thread and asyncio task that finds the token
    stale queues on one lock; the first refreshes, the rest find a fresh token when their turn
    comes. The rotated tokens are saved to the store before anyone uses the new access token,
    so a crash right after a refresh never loses the only live refresh token.
    """

    def __init__(
        self,
        client: OAuthClient,
        store: TokenStore,
        *,
        clock: Callable[[], float] = time.time,
        margin: float = REFRESH_MARGIN,
    ) -> None:
        self.client = client
        self.store = store
        self._clock = clock
        self._margin = margin
        self._lock = threading.Lock()
        # One asyncio lock per event loop (an asyncio.Lock is bound to the loop it is used in).
        self._alocks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._tokens = store.load()
        self.refreshes = 0
        if self._tokens is not None:
            register_secret(self._tokens.access_token)
            register_secret(self._tokens.refresh_token)

    @property
    def tokens(self) -> TokenSet | None:
        return self._tokens

    def _adopt_stored(self) -> str | None:
        """Pick up tokens another process (``sageflow auth``, a second run) saved meanwhile.

        Its refresh has already killed the refresh token held here, so refreshing with ours
        would only earn an ``invalid_grant``. Called under the lock, just before refreshing.
        """
        try:
            stored = self.store.load()
        except (OSError, ValueError):
            return None
        current = self._tokens
        if stored is None:
            return None
        if current is not None and stored.refresh_token == current.refresh_token:
            return None
        register_secret(stored.access_token)
        register_secret(stored.refresh_token)
        self._tokens = stored
        return self._fresh()

    def _fresh(self) -> str | None:
        tokens = self._tokens
        return None if tokens is None else tokens.usable(self._clock(), self._margin)

    # -- sync ---------------------------------------------------------------------------------

    def token(self, http: httpx.Client) -> str:
        """A valid access token, refreshing first when under a minute is left."""
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        with self._lock:
            fresh = self._fresh() or self._adopt_stored()
            return fresh if fresh is not None else self._refresh(http)

    def token_rejected(self, http: httpx.Client, used: str) -> str:
        """The API refused ``used``: refresh, unless another caller already replaced it."""
        with self._lock:
            current = self._tokens
            if current is not None and current.access_token != used:
                return current.access_token
            return self._refresh(http)

    def _refresh(self, http: httpx.Client) -> str:
        with self._process_lock():
            adopted = self._adopt_stored()
            return adopted if adopted is not None else self._refresh_now(http)

    def _refresh_now(self, http: httpx.Client) -> str:
        data = self._refresh_form()
        self.refreshes += 1
        response = http.post(self.client.token_url, data=data)
        try:
            return self._absorb(response)
        except ReauthorizationRequiredError:
            # Another process may have refreshed a moment before us and stored the rotated
            # pair: use it if so (no second refresh); otherwise the grant really is dead.
            adopted = self._adopt_stored()
            if adopted is None:
                raise
            return adopted

    # -- async --------------------------------------------------------------------------------

    async def atoken(self, http: httpx.AsyncClient) -> str:
        """The asyncio twin of :meth:`token`; also single-flight against threads."""
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        async with self._async_lock():
            fresh = self._fresh()
            if fresh is not None:
                return fresh
            await self._acquire_thread_lock()
            try:
                fresh = self._fresh() or self._adopt_stored()
                return fresh if fresh is not None else await self._arefresh(http)
            finally:
                self._lock.release()

    async def atoken_rejected(self, http: httpx.AsyncClient, used: str) -> str:
        async with self._async_lock():
            await self._acquire_thread_lock()
            try:
                current = self._tokens
                if current is not None and current.access_token != used:
                    return current.access_token
                return await self._arefresh(http)
            finally:
                self._lock.release()

    def _async_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._alocks.get(loop)
        if lock is None:
            lock = self._alocks[loop] = asyncio.Lock()
        return lock

    async def _acquire_thread_lock(self) -> None:
        # The thread lock is held across an await so that sync callers in other threads wait
        # too; uncontended (the usual case) it costs no thread hop.
        if not self._lock.acquire(blocking=False):
            await asyncio.get_running_loop().run_in_executor(None, self._lock.acquire)

    async def _arefresh(self, http: httpx.AsyncClient) -> str:
        lock = self._process_lock()
        if isinstance(lock, contextlib.nullcontext):
            return await self._arefresh_now(http)
        # A file lock blocks: wait for it on a worker thread, not on the event loop.
        await asyncio.get_running_loop().run_in_executor(None, lock.__enter__)
        try:
            adopted = self._adopt_stored()
            return adopted if adopted is not None else await self._arefresh_now(http)
        finally:
            lock.__exit__(None, None, None)

    def _process_lock(self) -> AbstractContextManager[object]:
        """The store's cross-process refresh lock, if it has one (the file store does).

        Sage may treat a reused refresh token as theft and revoke the whole grant, so two
        processes must not refresh at once: the second waits, then adopts the stored result.
        """
        make = getattr(self.store, "refresh_lock", None)
        return make() if callable(make) else contextlib.nullcontext()

    async def _arefresh_now(self, http: httpx.AsyncClient) -> str:
        data = self._refresh_form()
        self.refreshes += 1
        response = await http.post(self.client.token_url, data=data)
        try:
            return self._absorb(response)
        except ReauthorizationRequiredError:
            # Another process may have refreshed a moment before us and stored the rotated
            # pair: use it if so (no second refresh); otherwise the grant really is dead.
            adopted = self._adopt_stored()
            if adopted is None:
                raise
            return adopted

    # -- shared -------------------------------------------------------------------------------

    def _refresh_form(self) -> dict[str, str]:
        tokens = self._tokens
        if tokens is None or not tokens.refresh_token:
            raise ReauthorizationRequiredError(
                "no stored refresh token", command=self.client.login_command
            )
        return {
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
            "client_id": self.client.client_id,
            "client_secret": self.client.client_secret.get_secret_value(),
        }

    def _absorb(self, response: httpx.Response) -> str:
        tokens = tokens_from_response(
            response, self.client, self._clock(), self._tokens, "token refresh", store=self.store
        )
        # Saved before use: the old refresh token is already dead on the server.
        self.store.save(tokens)
        self._tokens = tokens
        logger.debug(
            "refreshed the access token (%s s left; refresh token rotated)",
            "?" if tokens.expires_at is None else f"{tokens.expires_at - self._clock():.0f}",
        )
        return tokens.access_token


# -- login (authorization code + PKCE) ----------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def authorization_url(client: OAuthClient, redirect_uri: str, state: str, challenge: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": client.scopes,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    # Sage's authorize URL already carries a query (?filter=apiv3.1).
    joiner = "&" if "?" in client.authorize_url else "?"
    return client.authorize_url + joiner + urlencode(params)


class LoginError(SageflowError):
    """The browser sign-in did not complete (timeout, denied, state mismatch)."""


class _CallbackServer(HTTPServer):
    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Callback)
        self.result: dict[str, str] | None = None
        self.done = threading.Event()


class _Callback(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server = self.server
        assert isinstance(server, _CallbackServer)
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if "code" not in query and "error" not in query:
            self.send_response(404)
            self.end_headers()
            return
        server.result = query
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"sageflow: signed in. You can close this window.\n")
        server.done.set()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the query holds the code: never echo it


def login(
    client: OAuthClient,
    store: TokenStore,
    http: httpx.Client,
    *,
    open_url: Callable[[str], Any] | None = None,
    echo: Callable[[str], Any] = print,
    port: int = 0,
    wait: float = 300.0,
    clock: Callable[[], float] = time.time,
) -> TokenSet:
    """Run the authorization-code flow for a person and store the tokens.

    A callback server on 127.0.0.1 receives the redirect; the code is exchanged the moment it
    arrives, well inside Sage's 60-second window. ``open_url`` defaults to the web browser;
    the URL is printed too, for machines without one.
    """
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)

    server = _CallbackServer(port)
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
    url = authorization_url(client, redirect_uri, state, challenge)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        echo(f"Open this URL to sign in to Sage (waiting on {redirect_uri}):\n{url}")
        (open_url or webbrowser.open)(url)
        if not server.done.wait(wait):
            raise LoginError(f"no sign-in completed within {wait:.0f} s")
        received = clock()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    result = server.result or {}
    if result.get("state") != state:
        raise LoginError("the sign-in answer's state does not match; start again")
    if "error" in result:
        raise LoginError(f"sign-in refused: {result.get('error_description') or result['error']}")
    response = http.post(
        client.token_url,
        data={
            "grant_type": "authorization_code",
            "code": result["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": client.client_id,
            "client_secret": client.client_secret.get_secret_value(),
        },
    )
    if clock() - received > CODE_LIFETIME:
        raise LoginError("the authorization code expired before it could be exchanged")
    tokens = tokens_from_response(response, client, clock(), what="code exchange", store=store)
    store.save(tokens)
    return tokens


def revoke(client: OAuthClient, http: httpx.Client, tokens: TokenSet) -> bool:
    """Ask the server to revoke the refresh token; ``False`` when there is no revoke URL."""
    if not client.revoke_url or not tokens.refresh_token:
        return False
    response = http.post(
        client.revoke_url,
        data={
            "token": tokens.refresh_token,
            "token_type_hint": "refresh_token",
            "client_id": client.client_id,
            "client_secret": client.client_secret.get_secret_value(),
        },
    )
    if response.status_code >= 400:
        raise _token_error(response, client, "revoke")
    return True
