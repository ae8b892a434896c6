"""Sage ID in the Sage 200 sandbox: the pack's OAuth connection refreshes against it.

An expired access token costs one refresh, however many calls need it; the refresh token
rotates and the one used is refused afterwards (or, with ``rotate_refresh_tokens=False``, is
kept and stays valid); the authorization code flow with PKCE works at Sage ID's paths.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from sage200.connection import OAUTH2, SCOPES
from sage200.sandbox import DEV_SUBSCRIPTION_KEY, SITE_ID, Clock, Sandbox
from sage200.sandbox._core import REFRESH_TOKEN_LIFETIME
from sageflow import HTTPRequest
from sageflow._http import AsyncClient, Client, Connection, MemoryTokenStore, TokenSet

CLIENT_ID = "sage200-test-app"
CLIENT_SECRET = "sage200-test-secret-xyz"
HOST = "http://sandbox200"
TOKEN_URL = f"{HOST}/oauth/token"


def _connection(sandbox: Sandbox, store: MemoryTokenStore) -> Connection:
    return Connection.from_spec(
        OAUTH2,
        {
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "subscriptionKey": DEV_SUBSCRIPTION_KEY,
            "apiBase": sandbox.api_base,
            "siteId": SITE_ID,
            "companyId": sandbox.company_id,
            "authorizeUrl": f"{HOST}/authorize?audience=s200ukipd/sage200",
            "tokenUrl": TOKEN_URL,
        },
        store=store,
        clock=sandbox.clock.time,
    )


def _logged_in(sandbox: Sandbox, *, client_knows_expiry: bool) -> tuple[MemoryTokenStore, str]:
    issued = sandbox.issue_token(CLIENT_ID)
    refresh = str(issued["refresh_token"])
    expires_at = sandbox.clock.time() + float(str(issued["expires_in"]))
    store = MemoryTokenStore(
        TokenSet(
            str(issued["access_token"]),
            refresh,
            # Without the expiry the client only learns from the gateway's 401.
            expires_at=expires_at if client_knows_expiry else None,
        )
    )
    return store, refresh


def _refresh_with(sandbox: Sandbox, token: str) -> httpx.Response:
    with httpx.Client(transport=sandbox.transport()) as http:
        return http.post(
            TOKEN_URL,
            data={
                "grant_type": "refresh_token",
                "refresh_token": token,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )


@pytest.mark.parametrize(
    "client_knows_expiry",
    [
        pytest.param(True, id="refreshed-before-the-call"),
        pytest.param(False, id="refreshed-after-the-gateways-401"),
    ],
)
def test_an_expired_access_token_is_refreshed_once_and_the_old_refresh_token_dies(
    client_knows_expiry: bool,
) -> None:
    sandbox = Sandbox(clock=Clock.manual())
    store, old_refresh = _logged_in(sandbox, client_knows_expiry=client_knows_expiry)
    sandbox.advance(301)  # the access token (300 s) has expired

    with Client(_connection(sandbox, store), transport=sandbox.transport()) as client:
        first = client.send(HTTPRequest("GET", "/customers"))
        second = client.send(HTTPRequest("GET", "/customers"))

    assert (first.status, second.status) == (200, 200)
    assert isinstance(first.json(), list)
    assert sandbox.oauth.refreshes == 1
    assert store.saves == 1
    assert store.tokens is not None
    assert store.tokens.refresh_token not in (None, old_refresh)
    assert store.tokens.refresh_token in sandbox.oauth.refresh
    # Rotation: the refresh token used is refused from now on, and no second refresh counts.
    refused = _refresh_with(sandbox, old_refresh)
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant"}
    assert sandbox.oauth.refreshes == 1
    # 401 on the gateway for the expired token: only in the second case was it sent.
    assert sandbox.stats.by_status[401] == (0 if client_knows_expiry else 1)


def test_concurrent_calls_share_one_refresh() -> None:
    sandbox = Sandbox(clock=Clock.manual())
    store, _ = _logged_in(sandbox, client_knows_expiry=True)
    sandbox.advance(400)
    connection = _connection(sandbox, store)

    async def run() -> list[int]:
        async with AsyncClient(connection, transport=sandbox.async_transport()) as client:
            got = await asyncio.gather(
                *(client.send(HTTPRequest("GET", "/tax_codes")) for _ in range(20))
            )
        return [r.status for r in got]

    assert asyncio.run(run()) == [200] * 20
    assert sandbox.oauth.refreshes == 1
    assert store.saves == 1


def test_without_rotation_the_refresh_token_is_kept_and_stays_valid() -> None:
    sandbox = Sandbox(clock=Clock.manual(), rotate_refresh_tokens=False)
    store, refresh = _logged_in(sandbox, client_knows_expiry=True)
    sandbox.advance(301)

    with Client(_connection(sandbox, store), transport=sandbox.transport()) as client:
        assert client.send(HTTPRequest("GET", "/customers")).status == 200

    assert sandbox.oauth.refreshes == 1
    assert store.tokens is not None
    assert store.tokens.refresh_token == refresh  # the answer had none: the client kept its own
    again = _refresh_with(sandbox, refresh)
    assert again.status_code == 200
    assert "refresh_token" not in again.json()
    assert sandbox.oauth.refreshes == 2


@pytest.mark.parametrize(
    ("absolute", "expected_left"),
    [
        pytest.param(False, REFRESH_TOKEN_LIFETIME, id="each-token-90-days"),
        pytest.param(True, REFRESH_TOKEN_LIFETIME - 86_400, id="absolute-90-days"),
    ],
)
def test_a_rotated_refresh_tokens_lifetime(absolute: bool, expected_left: int) -> None:
    sandbox = Sandbox(clock=Clock.manual(), refresh_absolute=absolute)
    refresh = str(sandbox.issue_token(CLIENT_ID)["refresh_token"])
    sandbox.advance(86_400)
    rotated = str(_refresh_with(sandbox, refresh).json()["refresh_token"])
    left = sandbox.oauth.refresh[rotated].expires - sandbox.clock.time()
    assert left == expected_left
    sandbox.advance(expected_left)  # the moment it expires, it is refused
    assert _refresh_with(sandbox, rotated).json() == {"error": "invalid_grant"}


def _pkce() -> tuple[str, str]:
    verifier = "v" * 50
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize(http: httpx.Client, challenge: str) -> str:
    query = {
        "audience": "s200ukipd/sage200",
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "http://127.0.0.1:8765/callback",
        "scope": SCOPES,
        "state": "st-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    reply = http.get(f"{HOST}/authorize?{urlencode(query)}")
    assert reply.status_code == 302
    back = parse_qs(urlsplit(reply.headers["location"]).query)
    assert back["state"] == ["st-1"]
    assert "country" not in back  # Sage Accounting's redirect parameter, not Sage ID's
    return back["code"][0]


def _exchange(http: httpx.Client, code: str, verifier: str) -> httpx.Response:
    return http.post(
        TOKEN_URL,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:8765/callback",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code_verifier": verifier,
        },
    )


def test_authorization_code_with_pkce_at_sage_ids_paths() -> None:
    sandbox = Sandbox(clock=Clock.manual())
    verifier, challenge = _pkce()
    with httpx.Client(transport=sandbox.transport()) as http:
        wrong = _exchange(http, _authorize(http, challenge), "not-the-verifier")
        tokens: dict[str, Any] = _exchange(http, _authorize(http, challenge), verifier).json()
        api = http.get(
            f"{HOST}/uk/sage200extra/accounts/v1/sites",
            headers={
                "Authorization": f"Bearer {tokens['access_token']}",
                "ocp-apim-subscription-key": DEV_SUBSCRIPTION_KEY,
            },
        )
        revoked = http.post(f"{HOST}/oauth/revoke", data={"token": tokens["refresh_token"]})

    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    # Auth0's shape: Bearer, the scope granted, no refresh token lifetime, no user field.
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == SCOPES
    assert tokens["expires_in"] == 300
    assert "refresh_token_expires_in" not in tokens
    assert "requested_by_id" not in tokens
    assert api.status_code == 200
    assert (revoked.status_code, revoked.content) == (200, b"")
    assert _refresh_with(sandbox, tokens["refresh_token"]).json() == {"error": "invalid_grant"}
    assert sandbox.oauth.refreshes == 0


def test_sage_id_is_another_host_no_subscription_key_no_chaos() -> None:
    sandbox = Sandbox(clock=Clock.manual())
    sandbox.chaos.error_rate = 1.0  # every API call fails; Sage ID does not
    refresh = str(sandbox.issue_token(CLIENT_ID)["refresh_token"])
    assert _refresh_with(sandbox, refresh).status_code == 200
    with httpx.Client(transport=sandbox.transport()) as http:
        assert http.get(f"{HOST}/oauth/token").status_code == 405


@pytest.mark.parametrize("sage200_first", [True, False], ids=["sage200-first", "sage200-second"])
def test_served_beside_sage_accounting_each_oauth_server_is_reached(sage200_first: bool) -> None:
    # `sageflow sandbox serve` mounts packs in name order on one port, sage200 first; a path
    # outside every API path used to go to the first pack, so /oauth2/token 404'd there.
    from sage_accounting.sandbox import Sandbox as AccountingSandbox
    from sageflow.sandbox import SandboxesASGI

    sage200 = Sandbox(clock=Clock.manual())
    accounting = AccountingSandbox(clock=Clock.manual())
    mounts = [("/uk/sage200extra/accounts/v1", sage200), ("/v3.1", accounting)]
    app = SandboxesASGI(mounts if sage200_first else mounts[::-1])  # type: ignore[arg-type]
    sage_id = str(sage200.issue_token(CLIENT_ID)["refresh_token"])
    sage = str(accounting.oauth.issue(CLIENT_ID)["refresh_token"])

    async def refresh(path: str, token: str) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": CLIENT_ID}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return await http.post(path, data=form)

    assert asyncio.run(refresh("/oauth/token", sage_id)).status_code == 200
    assert asyncio.run(refresh("/oauth2/token", sage)).status_code == 200
    assert (sage200.oauth.refreshes, accounting.oauth.refreshes) == (1, 1)
    accounting.close()
    sage200.close()
