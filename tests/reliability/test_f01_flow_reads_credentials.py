"""Issue 10, finding 1: a flow cannot read the connection's credentials, and a configured
secret that reaches a flow's values anyway is masked in the summary, outputs and journal.

The attack: ``env: [SAGEFLOW_ACCESS_TOKEN]`` then ``${{ env.SAGEFLOW_ACCESS_TOKEN }}`` in an
output or an input. Hosts pass tokens exactly this way, so a host running third-party flows
handed its token to them.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from sageflow import arun_flow, load_flow
from sageflow._flows._engine import Engine
from sageflow._flows._problems import FlowValidationError
from sageflow._http import AsyncClient, Connection
from sageflow._http._config import ENV_PREFIX, _env_name
from sageflow._registry import packs

FILE = "creds.sageflow.yaml"
TOKEN = "AT-flow-must-not-see-7f3a9c"
LOCATED = re.compile(r"^creds\.sageflow\.yaml:(\d+):(\d+): (\S+): (.+)$")


def refusal(text: str) -> list[tuple[int, int, str, str]]:
    with pytest.raises(FlowValidationError) as caught:
        load_flow(FILE, text=text)
    found = []
    for problem in caught.value.problems:
        match = LOCATED.match(str(problem))
        assert match, str(problem)
        found.append((int(match[1]), int(match[2]), match[3], match[4]))
    return found


def connection_variables() -> set[str]:
    """Every variable a configured connection reads, from the packs' own connection fields."""
    names = {ENV_PREFIX + "CONNECTION", ENV_PREFIX + "CONFIG_DIR"}
    for pack in packs().values():
        for spec in pack.connections.values():
            names |= {_env_name(field) for field in spec.fields.model_fields}
    return names


def test_the_attack_reading_the_access_token_is_refused_where_it_is_declared() -> None:
    text = (
        "name: steal\n"
        "env: [SAGEFLOW_ACCESS_TOKEN]\n"
        "steps:\n"
        "  - id: c\n"
        "    uses: sage_accounting/createContact\n"
        "    with: {name: '${{ env.SAGEFLOW_ACCESS_TOKEN }}', contactTypeIds: [CUSTOMER]}\n"
        "outputs:\n"
        "  token: ${{ env.SAGEFLOW_ACCESS_TOKEN }}\n"
    )
    problems = refusal(text)
    declared = [p for p in problems if p[2] == "env[0]"]
    assert declared == [
        (
            2,
            7,
            "env[0]",
            "SAGEFLOW_ACCESS_TOKEN is read by connections only (a flow may not read"
            " SAGEFLOW_* or proxy variables); pass the value as an input instead",
        )
    ]


@pytest.mark.parametrize("name", sorted(connection_variables()))
def test_every_variable_a_connection_reads_is_refused(name: str) -> None:
    for form, line, column, path in (
        (f"env: [{name}]", 2, 7, "env[0]"),
        (f"env:\n  {name}: {{secret: true}}", 3, 3, f"env.{name}"),
        (f"env: [{name.lower()}]", 2, 7, "env[0]"),
    ):
        text = f"name: x\n{form}\nsteps:\n  - {{id: a, uses: sage_accounting/listContacts}}\n"
        problems = refusal(text)
        assert [(p[0], p[1], p[2]) for p in problems] == [(line, column, path)], problems
        assert "read by connections only" in problems[0][3]


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "http_proxy", "ALL_PROXY"])
def test_proxy_urls_which_may_hold_a_password_are_refused(name: str) -> None:
    text = f"name: x\nenv: [{name}]\nsteps:\n  - {{id: a, uses: sage_accounting/listContacts}}\n"
    (problem,) = refusal(text)
    assert problem[2] == "env[0]"


def test_an_ordinary_variable_is_still_readable() -> None:
    flow = load_flow(
        FILE,
        text="name: x\nenv: [REGION]\nsteps:\n  - {id: a, uses: sage_accounting/listContacts}\n"
        "outputs:\n  region: ${{ env.REGION }}\n",
    )
    assert flow.env == {"REGION": False}


def test_the_engine_never_exposes_a_connection_variable_even_to_an_unvalidated_flow() -> None:
    step = "  - {id: a, uses: sage_accounting/listContacts}"
    flow = load_flow(FILE, text=f"name: x\nenv: [REGION]\nsteps:\n{step}\n")
    flow.env["SAGEFLOW_ACCESS_TOKEN"] = False  # as a host building a Flow by hand might
    engine = Engine(
        flow, lambda _account: None, env={"SAGEFLOW_ACCESS_TOKEN": TOKEN, "REGION": "uk"}
    )  # type: ignore[arg-type,return-value]
    assert engine.env == {"REGION": "uk"}


ECHO_FLOW = """\
name: echo
inputs:
  note: {type: string}
steps:
  - id: me
    uses: sage_accounting/rawRequest
    with: {method: GET, url: /user}
outputs:
  name: ${{ steps.me.output.body.name }}
  note: ${{ inputs.note }}
"""


def echoing_server(request: httpx.Request) -> httpx.Response:
    # A hostile (or careless) server that puts the caller's bearer token in its reply.
    token = request.headers["Authorization"].removeprefix("Bearer ")
    return httpx.Response(200, json={"name": f"Hello {token}", "id": "u1"})


def test_a_configured_secret_echoed_by_a_server_is_masked_everywhere(tmp_path: Path) -> None:
    connection = Connection.with_token("https://api.example.test/v3.1", TOKEN)
    journal = tmp_path / "runs.db"

    async def go() -> Any:
        client = AsyncClient(connection, transport=httpx.MockTransport(echoing_server))
        flow = load_flow(FILE, text=ECHO_FLOW)
        # The note is the token itself, given as an ordinary (not secret) input.
        return await arun_flow(flow, {"note": TOKEN}, caller=client, journal=journal)

    result = asyncio.run(go())
    assert result.status == "ok", result.error
    assert result.outputs["name"] == "Hello [secret]"
    summary = json.dumps(result.to_dict(), default=str)
    assert TOKEN not in summary
    assert "[secret]" in summary
    written = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert written, "the journal wrote nothing"
    assert TOKEN.encode() not in written
