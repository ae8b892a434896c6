"""``sageflow auth login`` with a Sage 200 connection against the sandbox's Sage ID.

The connection's authorize URL carries Sage ID's audience in its own query; the login adds
PKCE to it, the sandbox consents, the code is exchanged with the verifier, and ``auth status``
then reads ``/current_user`` and ``/sites`` with the new token and the subscription key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from click.testing import CliRunner

from sage200.sandbox import DEV_SUBSCRIPTION_KEY, SITE_ID, Clock, Sandbox
from sageflow._cli.auth import auth

CLIENT_SECRET = "sage200-login-secret-7731"


def test_login_and_status_against_the_sandboxs_sage_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path))
    sandbox = Sandbox(clock=Clock.manual())
    (tmp_path / "connections.toml").write_text(
        f"""
[connections.s200]
pack = "sage200"
kind = "oauth2"
clientId = "sage200-app"
clientSecret = "{CLIENT_SECRET}"
subscriptionKey = "{DEV_SUBSCRIPTION_KEY}"
siteId = "{SITE_ID}"
companyId = {sandbox.company_id}
authorizeUrl = "http://sandbox200/authorize?audience=s200ukipd/sage200"
tokenUrl = "http://sandbox200/oauth/token"
apiBase = "{sandbox.api_base}"
""",
        encoding="utf-8",
    )
    transport = sandbox.transport()
    asked: dict[str, list[str]] = {}

    def browser(url: str) -> None:
        asked.update(parse_qs(urlsplit(url).query))
        consent = httpx.Client(transport=transport).get(url)
        assert consent.status_code == 302
        httpx.get(consent.headers["location"])  # the browser follows to the callback server

    obj: dict[str, Any] = {"transport": transport, "open_url": browser, "clock": sandbox.clock.time}
    runner = CliRunner()
    result = runner.invoke(auth, ["login", "--wait", "10"], obj=obj, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert asked["audience"] == ["s200ukipd/sage200"]
    assert asked["code_challenge_method"] == ["S256"]
    assert asked["scope"] == ["openid profile email offline_access"]
    stored = json.loads((tmp_path / "tokens" / "s200.json").read_text())
    assert stored["refresh_token"] in sandbox.oauth.refresh
    assert sandbox.oauth.token_state(stored["access_token"]) == "ok"

    result = runner.invoke(auth, ["status"], obj=obj, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # Read with the new token and the subscription key: /current_user, then /sites.
    assert "User: Sageflow Sandbox User <sandbox@example.co.uk>" in result.output
    assert "company 1  Sageflow Trading Ltd" in result.output
    assert "(in 5 min)" in result.output
    assert CLIENT_SECRET not in result.output
    assert stored["access_token"] not in result.output
