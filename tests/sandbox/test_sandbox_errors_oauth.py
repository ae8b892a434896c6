"""Sage's error bodies, OAuth (PKCE, rotation, expiry on the sandbox clock) and idempotency."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sandboxkit import suite

from sage_accounting.sandbox import IN_PROCESS_BASE_URL, Sandbox, SandboxTransport

CONTACT = {"contact": {"name": "Idem Ltd", "contact_type_ids": ["CUSTOMER"]}}


def _bare(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(transport=SandboxTransport(sandbox), base_url="http://sandbox")


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        pytest.param({"Authorization": "Bearer nope"}, "AccessTokenVerificationError", id="bad"),
        pytest.param({"Authorization": "Basic abc"}, "AccessTokenVerificationError", id="scheme"),
    ],
)
def test_401_forms(sandbox: Sandbox, headers: dict[str, str], code: str) -> None:
    with _bare(sandbox) as client:
        response = client.get("/v3.1/contacts", headers=headers)
    assert response.status_code == 401
    (problem,) = response.json()
    assert problem == {
        "$severity": "error",
        "$dataCode": code,
        "$message": "Access token is invalid (JWT malformed or missing).",
        "$source": "Authorization",
    }  # errors__401_access_token_invalid__cauldron-live.json
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_401_without_a_header_is_sages_object(sandbox: Sandbox) -> None:
    # errors__401_authorization_header_missing__cauldron-live.json: an object, not an array.
    with _bare(sandbox) as client:
        response = client.get("/v3.1/contacts")
    assert response.status_code == 401
    recorded = suite().load_sample("errors__401_authorization_header_missing__cauldron-live.json")
    assert response.json() == recorded


def test_422_names_the_field(client: httpx.Client) -> None:
    response = client.post("/contacts", json={"contact": {"contact_type_ids": ["CUSTOMER"]}})
    assert response.status_code == 422
    assert response.json() == [
        {
            "$severity": "error",
            "$dataCode": "RecordInvalid",
            "$message": "can't be blank",
            "$source": "name",
        }
    ]
    missing = client.post("/contacts", json={"name": "unwrapped"})
    assert missing.json()[0]["$source"] == "contact"
    duplicate = client.post(
        "/contacts",
        json={"contact": {"name": "Dup", "reference": "ACME001", "contact_type_ids": ["VENDOR"]}},
    )
    assert duplicate.json()[0]["$source"] == "reference"


def test_404_405_415(client: httpx.Client) -> None:
    assert client.get("/no_such_thing").status_code == 404
    not_allowed = client.delete("/countries/GB")
    assert not_allowed.status_code == 405
    assert not_allowed.json()[0]["$dataCode"] == "MethodNotAllowed"
    assert not_allowed.headers["allow"] == "GET"
    wrong_type = client.post("/contacts", content=b"name=x", headers={"content-type": "text/plain"})
    assert wrong_type.status_code == 415
    assert wrong_type.json()[0]["$dataCode"] == "UnsupportedMediaType"


def _pkce() -> tuple[str, str]:
    verifier = "v" * 64
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize(client: httpx.Client, challenge: str) -> str:
    response = client.get(
        "/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": "app",
            "redirect_uri": "http://localhost:9/callback",
            "state": "xyz",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "scope": "full_access",
        },
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.netloc == "localhost:9"
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def _exchange(client: httpx.Client, code: str, verifier: str) -> httpx.Response:
    return client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://localhost:9/callback",
            "client_id": "app",
            "client_secret": "secret",
            "code_verifier": verifier,
        },
    )


def test_authorization_code_with_pkce(sandbox: Sandbox) -> None:
    verifier, challenge = _pkce()
    with _bare(sandbox) as client:
        wrong = _exchange(client, _authorize(client, challenge), "w" * 64)
        assert wrong.status_code == 400
        assert wrong.json()["error"] == "invalid_grant"
        code = _authorize(client, challenge)
        tokens = _exchange(client, code, verifier).json()
        assert tokens["expires_in"] == 300
        assert tokens["token_type"] == "bearer"
        replayed = _exchange(client, code, verifier)
        assert replayed.json() == {"error": "invalid_grant"}
        api = client.get(
            "/v3.1/user", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert api.status_code == 200


def test_access_token_expires_after_300_sandbox_seconds(sandbox: Sandbox) -> None:
    tokens = sandbox.issue_token()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    with _bare(sandbox) as client:
        sandbox.advance(299)
        assert client.get("/v3.1/user", headers=headers).status_code == 200
        sandbox.advance(1)
        expired = client.get("/v3.1/user", headers=headers)
    assert expired.status_code == 401
    assert expired.json()[0]["$dataCode"] == "AccessTokenVerificationError"


def test_refresh_rotates_and_the_old_token_dies(sandbox: Sandbox) -> None:
    tokens = sandbox.issue_token()
    form = {"grant_type": "refresh_token", "client_id": "sandbox-client"}
    with _bare(sandbox) as client:
        fresh = client.post(
            "/oauth2/token", data={**form, "refresh_token": tokens["refresh_token"]}
        )
        assert fresh.status_code == 200
        assert fresh.json()["refresh_token"] != tokens["refresh_token"]
        old = client.post("/oauth2/token", data={**form, "refresh_token": tokens["refresh_token"]})
        assert old.status_code == 400
        assert old.json() == {"error": "invalid_grant"}
        newer = fresh.json()["refresh_token"]
        assert client.post("/oauth2/revoke", data={"token": newer}).status_code == 200
        revoked = client.post("/oauth2/token", data={**form, "refresh_token": newer})
        assert revoked.json() == {"error": "invalid_grant"}


def test_base_url_is_documented() -> None:
    assert IN_PROCESS_BASE_URL == "http://sandbox/v3.1"
    assert Sandbox().api_base == IN_PROCESS_BASE_URL
