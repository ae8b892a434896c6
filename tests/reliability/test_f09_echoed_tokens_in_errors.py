"""Issue 10, finding 9: a server echoing the Authorization header in its error entries.

The top-level message was masked, but ``errors[].message`` in ``run --json``, ``runs show
--json`` and the journal kept the token. Every field of every error entry is now masked where
the typed error is built.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner

from sageflow import arun_flow, load_flow
from sageflow._cli.flows import runs
from sageflow._errors import APIError, APIErrorEntry
from sageflow._http import AsyncClient, Client, Connection

API = "https://api.accounting.sage.com/v3.1"
TOKEN = "echoed-AT.kiwi_5521+secret/z"

FLOW = """\
name: echoed-token
steps:
  - id: contacts
    uses: sage_accounting/listContacts
    with: {search: Acme}
"""


def echoing(request: httpx.Request) -> httpx.Response:
    """A server that quotes the credential it was sent in every field of its error entries."""
    header = request.headers["authorization"]
    token = header.split(" ", 1)[1]
    body = [
        {
            "$severity": f"error for {token}",
            "$dataCode": f"BadHeader:{token}",
            "$message": f"Authorization header {header!r} is not accepted",
            "$source": f"Authorization: {token} (encoded {quote(token, safe='')})",
        },
        {"$severity": "error", "$dataCode": "Echo", "$message": token, "$source": ""},
    ]
    return httpx.Response(400, json=body)


def _no_token(text: str) -> None:
    assert TOKEN not in text
    assert quote(TOKEN, safe="") not in text
    assert json.dumps(TOKEN)[1:-1] not in text


def test_every_entry_of_an_api_error_is_masked() -> None:
    connection = Connection.with_token(API, TOKEN)
    with (
        Client(connection, transport=httpx.MockTransport(echoing)) as client,
        pytest.raises(APIError) as raised,
    ):
        client.call("sage_accounting/listContacts", {"search": "Acme"})
    error = raised.value
    assert len(error.entries) == 2  # every entry kept, only masked
    assert error.entries[0].code is not None
    assert error.entries[0].code.startswith("BadHeader:")
    _no_token(json.dumps(error.to_dict()))
    _no_token(str(error))
    _no_token(repr(error.entries))


def test_an_error_built_anywhere_is_masked() -> None:
    # Not only the HTTP client's path: any pack or host building the typed error directly.
    Connection.with_token(API, TOKEN)  # registers the token, as opening a connection does
    error = APIError(401, [APIErrorEntry(TOKEN, TOKEN, f"Bearer {TOKEN}", TOKEN)])
    _no_token(json.dumps(error.to_dict()))
    unregistered = APIError(401, [APIErrorEntry("error", None, "Bearer xyz-never-registered")])
    assert "xyz-never-registered" not in json.dumps(unregistered.to_dict())


def test_run_json_the_journal_and_runs_show_hold_no_echoed_token(tmp_path: Path) -> None:
    journal = tmp_path / "runs.db"
    connection = Connection.with_token(API, TOKEN)

    async def go() -> object:
        client = AsyncClient(connection, transport=httpx.MockTransport(echoing))
        async with client:
            flow = load_flow("echoed.sageflow.yaml", text=FLOW)
            return await arun_flow(flow, {}, caller=client, journal=journal)

    result = asyncio.run(go())
    assert result.status == "failed"  # type: ignore[attr-defined]
    run_json = json.dumps(result.to_dict())  # type: ignore[attr-defined]
    assert "BadHeader" in run_json  # the entries are there, masked
    _no_token(run_json)

    shown = CliRunner().invoke(
        runs,
        ["show", result.run_id, "--json", "--journal", str(journal)],  # type: ignore[attr-defined]
    )
    assert shown.exit_code in (0, 1), shown.output
    assert "BadHeader" in shown.output
    _no_token(shown.output)

    files = [p for p in tmp_path.iterdir() if p.name.startswith("runs.db")]
    assert files
    for path in files:
        _no_token(path.read_bytes().decode("latin-1"))
