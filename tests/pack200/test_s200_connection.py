"""The Sage 200 connection: base URL by edition, the headers on every request, the subscription
key kept out of logs, and the Sage ID OAuth settings."""

from __future__ import annotations

import logging

import httpx
import pytest

from sage200 import PACK
from sage200.connection import (
    ACCESS_TOKEN,
    API_BASES,
    AUTHORIZE_URL,
    OAUTH2,
    PROFILE,
    SCOPES,
    TOKEN_URL,
)
from sageflow._http import Client, Connection
from sageflow._http._oauth import authorization_url
from sageflow._http._profile import ConfigurationError
from sageflow._http._tokens import MemoryTokenStore

SITE = "8a1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
KEY = "sub-key-1234567890abcdef"
TOKEN = "access-token-abcdef123456"


def _recorder() -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[{"id": 1, "name": "Abbey"}])

    return httpx.MockTransport(handler), seen


def _values(**extra: object) -> dict[str, object]:
    return {"subscriptionKey": KEY, "accessToken": TOKEN, **extra}


@pytest.mark.parametrize(
    ("edition", "base"),
    [
        pytest.param("standard", "https://api.columbus.sage.com/uk/sage200/accounts/v1", id="std"),
        pytest.param(
            "professional", "https://api.columbus.sage.com/uk/sage200extra/accounts/v1", id="pro"
        ),
    ],
)
def test_the_edition_picks_the_base_url(edition: str, base: str) -> None:
    settings = ACCESS_TOKEN.resolve(_values(edition=edition))
    assert settings.api_base == base == API_BASES[edition]


def test_an_api_base_overrides_the_edition() -> None:
    settings = ACCESS_TOKEN.resolve(_values(apiBase="http://sandbox200/uk/sage200/accounts/v1"))
    assert settings.api_base == "http://sandbox200/uk/sage200/accounts/v1"


def test_every_request_carries_the_key_site_and_company() -> None:
    connection = Connection.from_spec(ACCESS_TOKEN, _values(siteId=SITE, companyId=3))
    transport, seen = _recorder()
    with Client(connection, transport=transport) as client:
        client.call(PACK.get("listCustomers"), {"top": 5})
    (request,) = seen
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["ocp-apim-subscription-key"] == KEY
    assert request.headers["x-site"] == SITE
    assert request.headers["x-company"] == "3"
    assert str(request.url).startswith(API_BASES["standard"] + "/customers?")


def test_sites_can_be_read_before_a_site_is_chosen() -> None:
    connection = Connection.from_spec(ACCESS_TOKEN, _values())
    transport, seen = _recorder()
    with Client(connection, transport=transport) as client:
        client.call(PACK.get("listSites"), {})
    (request,) = seen
    assert request.headers["ocp-apim-subscription-key"] == KEY
    assert "x-site" not in request.headers
    assert "x-company" not in request.headers


def test_the_subscription_key_never_reaches_a_log(caplog: pytest.LogCaptureFixture) -> None:
    connection = Connection.from_spec(ACCESS_TOKEN, _values(siteId=SITE, companyId=1))
    transport, _ = _recorder()
    caplog.set_level(logging.DEBUG, logger="sageflow")
    with Client(connection, transport=transport) as client:
        client.call(PACK.get("listCustomers"), {})
    assert caplog.records, "debug logging recorded nothing, so the check below proves nothing"
    assert KEY not in caplog.text
    assert TOKEN not in caplog.text


def test_values_from_the_environment_are_text() -> None:
    # SAGEFLOW_SAGE200_COMPANY_ID=3 arrives as "3".
    settings = ACCESS_TOKEN.resolve(_values(siteId=SITE, companyId="3", edition="professional"))
    assert settings.headers["X-Company"] == "3"


def test_a_bad_site_or_company_is_refused_without_quoting_the_key() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ACCESS_TOKEN.resolve(_values(siteId="not-a-guid", companyId="one"))
    text = str(caught.value)
    assert "siteId" in text
    assert "companyId" in text
    assert KEY not in text


def test_sage_id_oauth_settings() -> None:
    values = {"subscriptionKey": KEY, "clientId": "app", "clientSecret": "shh-secret-123"}
    settings = OAUTH2.resolve(values)
    assert settings.oauth is not None
    assert settings.oauth.authorize_url == AUTHORIZE_URL
    assert settings.oauth.token_url == TOKEN_URL == "https://id.sage.com/oauth/token"
    assert settings.oauth.scopes == SCOPES == "openid profile email offline_access"
    url = authorization_url(settings.oauth, "http://127.0.0.1:8765/callback", "st", "ch")
    # The audience stays on the URL and PKCE is asked for (Sage ID takes both).
    assert url.startswith("https://id.sage.com/authorize?audience=s200ukipd/sage200&")
    assert "code_challenge=ch" in url
    assert "code_challenge_method=S256" in url
    assert "offline_access" in url
    assert set(settings.secrets()) >= {KEY, "shh-secret-123"}
    connection = Connection.from_spec(OAUTH2, values, store=MemoryTokenStore())
    assert connection.profile is PROFILE


def test_a_sandbox_names_its_headers_for_the_no_account_fallback() -> None:
    # The runner's fallback sends what the sandbox says its API wants (X-Site, X-Company).
    settings = Connection.with_token("http://sb/v1", TOKEN, headers={"X-Site": SITE}).settings
    assert settings.headers == {"X-Site": SITE}
