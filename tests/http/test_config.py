"""Named connections, environment credentials, and the embedded sandbox when none is set."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from httpkit import CLIENT_SECRET

from sageflow import HTTPRequest
from sageflow._http import AsyncClient, Client, ConfigurationError, MemoryTokenStore, TokenSet
from sageflow._http._config import (
    SANDBOX_NOTICE,
    find_connection,
    open_caller,
    open_client,
)

ENV = (
    "SAGEFLOW_ACCESS_TOKEN",
    "SAGEFLOW_CLIENT_ID",
    "SAGEFLOW_CLIENT_SECRET",
    "SAGEFLOW_CONNECTION",
)


@pytest.fixture
def empty_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path))
    return tmp_path


def test_no_credentials_means_the_sandbox(empty_config: Path) -> None:
    stderr = io.StringIO()
    with open_client(stderr=stderr, pack="sage_accounting") as client:
        out = client.call("sage_accounting/listContacts", {})
        assert client.sandbox is not None
    assert stderr.getvalue() == SANDBOX_NOTICE + "\n"
    assert out["items"]


def test_open_caller_sandbox_async(empty_config: Path) -> None:
    stderr = io.StringIO()

    async def run() -> int:
        caller = open_caller(stderr=stderr, pack="sage_accounting")
        async with caller:
            response = await caller.send(HTTPRequest("GET", "/contacts"))
        return response.status

    assert asyncio.run(run()) == 200
    assert "embedded sandbox" in stderr.getvalue()


def test_access_token_from_the_environment(
    empty_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGEFLOW_ACCESS_TOKEN", "env-token-123456")
    monkeypatch.setenv("SAGEFLOW_BUSINESS_ID", "b42")
    config = find_connection()
    assert config is not None
    assert (config.kind, config.values["businessId"]) == ("accessToken", "b42")
    client = open_client(stderr=io.StringIO())
    assert isinstance(client, Client)
    assert client.connection.settings.business_id == "b42"
    assert client.sandbox is None
    client.close()


def test_oauth_from_the_environment(empty_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEFLOW_CLIENT_ID", "cid")
    monkeypatch.setenv("SAGEFLOW_CLIENT_SECRET", CLIENT_SECRET)
    config = find_connection()
    assert config is not None
    assert config.kind == "oauth2"
    caller = open_caller(store=MemoryTokenStore())
    assert isinstance(caller, AsyncClient)
    assert caller.connection.tokens is not None
    asyncio.run(caller.aclose())


def test_named_connections_from_the_file(empty_config: Path) -> None:
    (empty_config / "connections.toml").write_text(
        """
[connections.a]
kind = "accessToken"
accessToken = "token-aaaaaaaa"
[connections.b]
kind = "accessToken"
accessToken = "token-bbbbbbbb"
businessId = "bb"
""",
        encoding="utf-8",
    )
    assert find_connection() is None  # two entries and no default: ambiguous, so none
    config = find_connection("b")
    assert config is not None
    assert config.values["businessId"] == "bb"
    with pytest.raises(ConfigurationError, match="no connection named 'c'"):
        find_connection("c")


def test_bad_values_are_a_configuration_error(empty_config: Path) -> None:
    (empty_config / "connections.toml").write_text(
        '[connections.x]\nkind = "oauth2"\nclientId = "c"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigurationError, match="clientSecret"):
        open_client()


def test_oauth_against_the_sandbox_rotates_once_for_fifty_tasks() -> None:
    from sage_accounting.connection import OAUTH2
    from sage_accounting.sandbox import IN_PROCESS_BASE_URL, Clock, Sandbox

    sandbox = Sandbox(clock=Clock.manual())
    issued = sandbox.oauth.issue("cid")
    store = MemoryTokenStore(
        TokenSet(
            str(issued["access_token"]),
            str(issued["refresh_token"]),
            expires_at=sandbox.clock.time() + 300,
        )
    )
    from sageflow._http import Connection

    connection = Connection.from_spec(
        OAUTH2,
        {
            "clientId": "cid",
            "clientSecret": CLIENT_SECRET,
            "apiBase": IN_PROCESS_BASE_URL,
            "tokenUrl": "http://sandbox/oauth2/token",
        },
        store=store,
        clock=sandbox.clock.time,
    )
    sandbox.advance(400)  # the access token is now expired

    async def run() -> list[int]:
        async with AsyncClient(connection, transport=sandbox.async_transport()) as client:
            got = await asyncio.gather(
                *(client.send(HTTPRequest("GET", "/contacts")) for _ in range(50))
            )
        return [r.status for r in got]

    assert asyncio.run(run()) == [200] * 50
    assert store.saves == 1
    assert store.tokens is not None
    assert store.tokens.refresh_token != issued["refresh_token"]
    assert store.tokens.refresh_token in sandbox.oauth.refresh


def test_configuration_errors_do_not_quote_secret_values(empty_config: Path) -> None:
    (empty_config / "connections.toml").write_text(
        '[connections.x]\nkind = "accessToken"\naccesToken = "typo-secret-value-1"\n'
        'clientSecret = "another-secret-value-2"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError) as caught:
        open_client("x")
    message = str(caught.value)
    assert "accesToken: Extra inputs are not permitted" in message
    assert "accessToken: Field required" in message
    assert "secret-value" not in message


def test_connection_values_from_a_host_are_checked_without_quoting_them() -> None:
    from sage_accounting.connection import ACCESS_TOKEN
    from sageflow._http import Connection

    with pytest.raises(ConfigurationError) as caught:
        Connection.from_spec(ACCESS_TOKEN, {"accessToken": 12345678, "bad": "host-secret-9"})
    assert "accessToken: Input should be a valid string" in str(caught.value)
    assert "host-secret-9" not in str(caught.value)
    assert "12345678" not in str(caught.value)
