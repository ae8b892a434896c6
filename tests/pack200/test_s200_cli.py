"""The CLI with a Sage 200 connection: auth status shows the user and the sites' companies."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from sage200 import PACK
from sage200.sandbox import DEFAULT_START, DEV_SUBSCRIPTION_KEY, DEV_TOKEN, Clock
from sageflow._cli.auth import auth


def test_status_of_a_sage200_connection_lists_its_companies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert PACK.sandbox_factory is not None
    sandbox = PACK.sandbox_factory(clock=Clock.manual(DEFAULT_START))
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path))
    (tmp_path / "connections.toml").write_text(
        "[connections.s200]\n"
        'pack = "sage200"\n'
        'kind = "accessToken"\n'
        f'accessToken = "{DEV_TOKEN}"\n'
        f'subscriptionKey = "{DEV_SUBSCRIPTION_KEY}"\n'
        f'apiBase = "{sandbox.api_base}"\n',
        encoding="utf-8",
    )
    (tmp_path / "connections.toml").chmod(0o600)
    transport = httpx.MockTransport(sandbox.transport().handle_request)
    result = CliRunner().invoke(
        auth, ["status", "--connection", "s200"], obj={"transport": transport}
    )
    assert result.exit_code == 0, result.output
    assert "User: Sageflow Sandbox User <sandbox@example.co.uk>" in result.output
    sites = sandbox.headers()["X-Site"]
    assert f"site {sites} company 1  " in result.output
    assert "(Sageflow Sandbox)" in result.output
    assert DEV_SUBSCRIPTION_KEY not in result.output
    assert DEV_TOKEN not in result.output
