"""``sageflow auth`` login / status / logout against a mock Sage, with CliRunner."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from click.testing import CliRunner
from httpkit import API, CLIENT_SECRET, TOKEN_URL, Clock

from sageflow._cli.auth import auth


class MockSage:
    """Authorization code + PKCE, refresh, revoke, /user and /businesses."""

    def __init__(self) -> None:
        self.challenge: str | None = None
        self.code = "code-xyz-0001"
        self.issued = 0
        self.revoked: list[str] = []
        self.live_refresh: str | None = None

    def browser(self, url: str) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert query["code_challenge_method"] == "S256"
        assert query["filter"] == "apiv3.1"
        self.challenge = query["code_challenge"]
        # The person consents: Sage redirects the browser to the callback server.
        httpx.get(query["redirect_uri"], params={"code": self.code, "state": query["state"]})

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url == TOKEN_URL:
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            assert form["client_secret"] == CLIENT_SECRET
            if form["grant_type"] == "authorization_code":
                digest = hashlib.sha256(form["code_verifier"].encode()).digest()
                assert base64.urlsafe_b64encode(digest).decode().rstrip("=") == self.challenge
                assert form["code"] == self.code
            elif form.get("refresh_token") != self.live_refresh:
                return httpx.Response(400, json={"error": "invalid_grant"})
            self.issued += 1
            self.live_refresh = f"rt-cli-{self.issued:04d}-secret"
            return httpx.Response(
                200,
                json={
                    "access_token": f"at-cli-{self.issued:04d}-secret",
                    "refresh_token": self.live_refresh,
                    "expires_in": 300,
                    "refresh_token_expires_in": 2_678_400,
                    "scope": "full_access",
                },
            )
        if url == TOKEN_URL.replace("token", "revoke"):
            self.revoked.append(parse_qs(request.content.decode())["token"][0])
            return httpx.Response(200)
        assert request.headers["authorization"] == f"Bearer at-cli-{self.issued:04d}-secret"
        if url == f"{API}/user":
            return httpx.Response(
                200, json={"id": "u1", "displayed_as": "Ada Lovelace", "email": "ada@example.com"}
            )
        if url == f"{API}/businesses":
            return httpx.Response(200, json=[{"id": "b1", "displayed_as": "Ada Ltd"}])
        return httpx.Response(404, json=[])


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path))
    (tmp_path / "connections.toml").write_text(
        f"""
default = "work"
[connections.work]
kind = "oauth2"
clientId = "client-id-1"
clientSecret = "{CLIENT_SECRET}"
tokenUrl = "{TOKEN_URL}"
apiBase = "{API}"
""",
        encoding="utf-8",
    )
    return tmp_path


def invoke(args: list[str], sage: MockSage, clock: Clock) -> Any:
    obj = {"transport": httpx.MockTransport(sage.handler), "open_url": sage.browser, "clock": clock}
    return CliRunner().invoke(auth, args, obj=obj, catch_exceptions=False)


def test_login_status_logout(configured: Path, clock: Clock) -> None:
    sage = MockSage()
    result = invoke(["login", "--wait", "10"], sage, clock)
    assert result.exit_code == 0, result.output
    assert "Signed in (work)" in result.output
    token_file = configured / "tokens" / "work.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert json.loads(token_file.read_text())["refresh_token"] == "rt-cli-0001-secret"

    result = invoke(["status"], sage, clock)
    assert result.exit_code == 0, result.output
    assert "User: Ada Lovelace <ada@example.com>" in result.output
    assert "b1  Ada Ltd" in result.output
    assert "Access token expires: 2023-11-14 22:18:20 UTC (in 5 min)" in result.output
    assert "secret" not in result.output

    clock.now += 400  # expired: status refreshes (and rotates) first
    result = invoke(["status", "--json"], sage, clock)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["user"]["id"] == "u1"
    assert json.loads(token_file.read_text())["refresh_token"] == "rt-cli-0002-secret"

    result = invoke(["logout"], sage, clock)
    assert result.exit_code == 0, result.output
    assert sage.revoked == ["rt-cli-0002-secret"]
    assert not token_file.exists()
    assert "revoked and deleted" in result.output


def test_status_when_the_grant_is_dead(configured: Path, clock: Clock) -> None:
    sage = MockSage()
    assert invoke(["login", "--wait", "10"], sage, clock).exit_code == 0
    sage.live_refresh = "rotated-elsewhere"
    clock.now += 400
    result = CliRunner().invoke(
        auth, ["status"], obj={"transport": httpx.MockTransport(sage.handler), "clock": clock}
    )
    assert result.exit_code == 1
    assert "re-authorisation required" in result.output
    assert "sageflow auth login" in result.output


def test_no_account_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path))
    result = CliRunner().invoke(auth, ["status"])
    assert result.exit_code == 1
    assert "no Sage account configured" in result.output


def test_unknown_connection_name(configured: Path) -> None:
    result = CliRunner().invoke(auth, ["status", "--connection", "nope"])
    assert result.exit_code == 1
    assert "no connection named 'nope'" in result.output
    assert "work" in result.output


def test_login_status_logout_against_the_embedded_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sage_accounting.sandbox import IN_PROCESS_BASE_URL, Clock, Sandbox

    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path))
    (tmp_path / "connections.toml").write_text(
        f"""
[connections.sandbox]
kind = "oauth2"
clientId = "sandbox-client"
clientSecret = "{CLIENT_SECRET}"
authorizeUrl = "http://sandbox/oauth2/authorize?filter=apiv3.1"
tokenUrl = "http://sandbox/oauth2/token"
apiBase = "{IN_PROCESS_BASE_URL}"
""",
        encoding="utf-8",
    )
    sandbox = Sandbox(clock=Clock.manual())
    transport = sandbox.transport()

    def browser(url: str) -> None:
        consent = httpx.Client(transport=transport).get(url)
        assert consent.status_code == 302
        httpx.get(consent.headers["location"])  # the browser follows to the callback server

    obj: dict[str, Any] = {"transport": transport, "open_url": browser, "clock": sandbox.clock.time}
    runner = CliRunner()
    result = runner.invoke(auth, ["login", "--wait", "10"], obj=obj, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    stored = json.loads((tmp_path / "tokens" / "sandbox.json").read_text())
    assert stored["refresh_token"] in sandbox.oauth.refresh

    result = runner.invoke(auth, ["status"], obj=obj, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "User: Sam Sandbox <sam.sandbox@example.com>" in result.output
    assert "Riverside Joinery Ltd" in result.output

    result = runner.invoke(auth, ["logout"], obj=obj, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert stored["refresh_token"] not in sandbox.oauth.refresh
