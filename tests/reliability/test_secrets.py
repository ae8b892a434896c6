"""Secret hygiene: a whole flow with debug logging, a token refresh and a forced failure leaves
no trace of the client secret, access token or refresh token in anything it produced."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import vcr  # type: ignore[import-untyped,unused-ignore]

from sage_accounting.sandbox import Clock, Sandbox, create_app
from sage_accounting.sandbox._oauth import _Refresh
from sageflow import arun_flow, load_flow
from sageflow._http import (
    AsyncClient,
    Connection,
    HTTPConnectionSpec,
    MemoryTokenStore,
    TokenSet,
    before_record_request,
    before_record_response,
)
from sageflow._registry import packs

from .kit import ServedSandbox, run_cli

# Distinctive values, with characters that change under URL encoding and base64, so that each
# encoded form is a different string to look for.
CLIENT_ID = "reliability-client"
CLIENT_SECRET = "CS+zebra/quokka=7731~secret"
ACCESS = "AT-narwhal.axolotl_4410+access/x"
REFRESH = "RT-pangolin~okapi=9902/refresh+y"

FLOW = """\
name: secret-hygiene
steps:
  - id: contacts
    uses: sage_accounting/listContacts
    with: {search: Acme}
  - id: broken
    uses: sage_accounting/rawRequest
    with:
      method: POST
      url: /contacts
      data: {contact: {name: ""}}
"""


def forms(value: str) -> set[str]:
    raw = value.encode()
    b64 = base64.b64encode(raw).decode()
    return {
        value,
        quote(value, safe=""),
        quote_plus(value),
        b64,
        b64.rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        json.dumps(value)[1:-1],  # as a JSON string body escapes it
    }


def needles() -> dict[str, str]:
    found = {}
    for name, value in (("client secret", CLIENT_SECRET), ("access", ACCESS), ("refresh", REFRESH)):
        for form in forms(value):
            found[form] = name
    # HTTP Basic client authentication, in case any path ever uses it.
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    found[basic] = "client secret (basic)"
    return found


def run_the_flow(tmp_path: Path, *, redacting: bool = True) -> tuple[Any, Connection, str]:
    """The flow against the sandbox over ASGI, recorded by vcrpy; (result, connection, cassette)."""
    sandbox = Sandbox(clock=Clock.manual())
    now = sandbox.clock.time()
    # The sandbox knows our distinctive pair; the access token is already dead on its side
    # while the client still believes it fresh, so the run sends it, gets a 401 and refreshes
    # with the refresh token and client secret: every secret goes over the wire once.
    sandbox.oauth.access[ACCESS] = now - 1
    sandbox.oauth.refresh[REFRESH] = _Refresh(CLIENT_ID, now + 3600)
    spec = packs()["sage_accounting"].connections["oauth2"]
    assert isinstance(spec, HTTPConnectionSpec)
    store = MemoryTokenStore(TokenSet(ACCESS, REFRESH, expires_at=now + 3600))
    connection = Connection.from_spec(
        spec,
        {
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "apiBase": sandbox.api_base,
            "tokenUrl": "http://sandbox/oauth2/token",
        },
        store=store,
        clock=sandbox.clock.time,
    )
    cassette = tmp_path / "cassettes" / "secret-hygiene.yaml"
    hooks = (
        {
            "before_record_request": before_record_request,
            "before_record_response": before_record_response,
        }
        if redacting
        else {}
    )
    recorder = vcr.VCR(record_mode="all", **hooks)
    flow = load_flow("secret-hygiene.sageflow.yaml", text=FLOW)

    async def go() -> Any:
        # ASGITransport: the sandbox over the full ASGI path, which vcrpy can record.
        client = AsyncClient(connection, transport=httpx.ASGITransport(app=create_app(sandbox)))
        return await arun_flow(flow, {}, caller=client, journal=tmp_path / "runs.db", debug=True)

    with recorder.use_cassette(str(cassette)):
        result = asyncio.run(go())
    return result, connection, cassette.read_text()


def leaks_in(produced: dict[str, str]) -> list[str]:
    return [
        f"{what} in {where}"
        for needle, what in needles().items()
        for where, text in produced.items()
        if needle in text
    ]


def test_the_scan_finds_secrets_in_an_unredacted_cassette(tmp_path: Path) -> None:
    # The control: without the project's hooks the same run's cassette holds the secrets, so
    # the clean scan below means something.
    _, _, recorded = run_the_flow(tmp_path, redacting=False)
    found = leaks_in({"cassette": recorded})
    assert any(f.startswith("access") for f in found), found
    assert any(f.startswith("refresh") for f in found), found
    assert any(f.startswith("client secret") for f in found), found


def test_nothing_a_failed_debug_run_produces_contains_a_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx's included
    result, connection, recorded = run_the_flow(tmp_path)

    # The run did what the test needs: sent the old token, refreshed, then failed.
    assert result.status == "failed"
    assert connection.tokens is not None
    assert connection.tokens.refreshes == 1
    assert connection.tokens.tokens is not None
    assert connection.tokens.tokens.refresh_token != REFRESH
    assert "/oauth2/token" in recorded
    assert "/v3.1/contacts" in recorded
    assert "GET http://sandbox/v3.1/contacts" in caplog.text  # debug logging was on

    produced: dict[str, str] = {
        "run JSON": json.dumps(result.to_dict()),
        "error": str(result.error),
        "log text": caplog.text,
        "log messages": "\n".join(r.getMessage() for r in caplog.records),
        "log args": "\n".join(repr(r.args) for r in caplog.records),
        "stdout/stderr": "".join(capsys.readouterr()),
    }
    for path in tmp_path.rglob("*"):  # the journal (and its -wal/-shm files), the cassette
        if path.is_file():
            produced[str(path.relative_to(tmp_path))] = path.read_bytes().decode("latin-1")
    assert "runs.db" in produced
    assert leaks_in(produced) == []


def test_the_cli_with_debug_on_and_a_rejected_token_prints_and_keeps_no_secret(
    served_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    # The host-managed-token route through the real CLI process: its log handler, its error
    # printing and its journal; the sandbox refuses the token, so the run fails.
    work = tmp_path / "work"
    work.mkdir()
    flow = work / "secret.sageflow.yaml"
    flow.write_text(FLOW)
    env = served_sandbox.env(tmp_path / "config", SAGEFLOW_ACCESS_TOKEN=ACCESS)
    ran = run_cli("--debug", "run", str(flow), "--debug", "--json", cwd=work, env=env)
    assert ran.returncode == 1, ran.stderr
    assert "AccessTokenVerificationError" in ran.stdout + ran.stderr
    assert "GET http://127.0.0.1" in ran.stderr  # the debug log was written
    assert "authorization: ***" in ran.stderr.lower()  # with the header shown, masked
    produced = {"stdout": ran.stdout, "stderr": ran.stderr}
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "sandbox.log":  # the server's own output
            produced[str(path.relative_to(tmp_path))] = path.read_bytes().decode("latin-1")
    assert any(name.endswith("runs.db") for name in produced)
    leaks = [leak for leak in leaks_in(produced) if leak.startswith("access")]
    assert leaks == []
