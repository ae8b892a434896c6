"""Several packs at once: the runner names none, and each pack brings its own connection,
environment variables and sandbox (issue 14, part 1)."""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from pydantic import BaseModel, ConfigDict

from sageflow import register_pack
from sageflow._cli.sandbox import sandbox as sandbox_group
from sageflow._component import READ_ONLY, Action, Inputs, Pack
from sageflow._errors import APIError, APIErrorEntry, api_error_class
from sageflow._flows._api import run_flow
from sageflow._http._config import ConfigFileError, ConfigurationError, find_connection
from sageflow._registry import AmbiguousPackError, only_pack, pack_env_prefix, packs
from sageflow._values import HTTPRequest, HTTPResponse
from sageflow.sandbox import (
    AsyncSandboxTransport,
    Chaos,
    Reply,
    SandboxesASGI,
    SandboxTransport,
    json_reply,
)


class OtherBooksSandbox:
    """A second product's simulator: answers every API path with what it saw."""

    api_base = "http://sandbox/other/v1"
    access_token = "other-sandbox-token"

    def __init__(self, *, chaos: Chaos | None = None, data: Path | None = None) -> None:
        self.chaos = chaos or Chaos()
        self.data = data
        self.seen: list[str] = []

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        self.seen.append(f"{method} {path}")
        if headers.get("authorization") != f"Bearer {self.access_token}":
            return json_reply(401, {"message": "who are you?"})
        return json_reply(200, {"product": "otherbooks", "path": path})

    def enter(self) -> None:
        pass

    def leave(self) -> None:
        pass

    def next_latency(self) -> float:
        return 0.0

    def transport(self) -> httpx.BaseTransport:
        return SandboxTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        return AsyncSandboxTransport(self)

    def close(self) -> None:
        pass


def _parse_error(response: HTTPResponse, request: HTTPRequest) -> APIError:
    return api_error_class(response.status)(
        response.status, [APIErrorEntry("error", None, "failed")], method=request.method
    )


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


OTHER = Pack(
    name="otherbooks",
    title="Other books",
    description="A second product, for the multi-pack tests.",
    error_parser=_parse_error,
)
OTHER.sandbox_factory = OtherBooksSandbox


@OTHER.component(
    key="whoAmI",
    title="Who Am I",
    description="GET /whoami",
    inputs=Inputs,
    output=_Out,
    annotations=READ_ONLY,
    example_input={},
    example_output={"product": "otherbooks"},
)
def who_am_i(inputs: Inputs) -> Action:
    response = yield HTTPRequest("GET", "/whoami")
    return dict(response.json())


@pytest.fixture
def two_packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The installed packs plus ``otherbooks``, no credentials anywhere, a scratch folder."""
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    register_pack(OTHER)
    try:
        yield tmp_path
    finally:
        packs().pop(OTHER.name, None)


def test_a_flow_mixing_packs_reaches_each_packs_own_sandbox(two_packs: Path) -> None:
    flow = two_packs / "mixed.sageflow.yaml"
    flow.write_text(
        textwrap.dedent("""\
            name: mixed
            steps:
              - id: customers
                uses: sage_accounting/listContacts
                with: {search: Acme}
              - id: other
                uses: otherbooks/whoAmI
            outputs:
              first: ${{ steps.customers.output.items[0].displayed_as }}
              product: ${{ steps.other.output.product }}
              path: ${{ steps.other.output.path }}
        """)
    )
    result = run_flow(flow, journal=None)
    assert result.status == "ok", result.error
    assert result.outputs["product"] == "otherbooks"
    # The other pack's sandbox got the request on its own API base, with its own token.
    assert result.outputs["path"] == "/other/v1/whoami"
    assert "Acme" in result.outputs["first"]


def test_no_pack_named_with_two_installed_is_refused_by_name(two_packs: Path) -> None:
    with pytest.raises(
        AmbiguousPackError, match=r"several packs are installed \(otherbooks, .*sage_accounting"
    ):
        only_pack()


def test_each_pack_reads_its_own_environment_variables(
    two_packs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert pack_env_prefix(packs()["sage_accounting"]) == "SAGEFLOW_"
    assert pack_env_prefix(OTHER) == "SAGEFLOW_OTHERBOOKS_"
    monkeypatch.setenv("SAGEFLOW_ACCESS_TOKEN", "accounting-token-123")
    found = find_connection(pack="sage_accounting")
    assert found is not None
    assert found.pack == "sage_accounting"
    # Sage Accounting's token is not another product's credential.
    assert find_connection(pack="otherbooks") is None


def test_a_connection_file_names_each_connections_pack(two_packs: Path) -> None:
    config = two_packs / "config"
    config.mkdir()
    toml = config / "connections.toml"
    toml.write_text(
        'default = "books"\n[connections.books]\npack = "sage_accounting"\n'
        'kind = "accessToken"\naccessToken = "abc-123-456"\n'
    )
    assert find_connection(pack="otherbooks") is None  # the default is another pack's
    books = find_connection(pack="sage_accounting")
    assert books is not None
    assert books.name == "books"
    with pytest.raises(
        ConfigurationError, match="is a sage_accounting connection, not a otherbooks"
    ):
        find_connection("books", pack="otherbooks")


def test_a_connection_naming_no_pack_is_the_pack_its_fields_fit(two_packs: Path) -> None:
    config = two_packs / "config"
    config.mkdir()
    toml = config / "connections.toml"
    # Written before a second pack was installed: no pack key. Only Sage Accounting's
    # accessToken kind is filled by an access token alone.
    toml.write_text('[connections.books]\nkind = "accessToken"\naccessToken = "abc-123-456"\n')
    found = find_connection()
    assert found is not None
    assert found.pack == "sage_accounting"
    toml.write_text('[connections.books]\nkind = "carrierPigeon"\nbird = "Percy"\n')
    with pytest.raises(ConfigFileError, match=r"connection 'books' names no pack.*'carrierPigeon'"):
        find_connection()
    toml.write_text('[connections.books]\nkind = "accessToken"\n')  # fits no pack
    with pytest.raises(ConfigFileError, match=r"names no pack \(add pack = \.\.\.\): as a "):
        find_connection()


def test_sandbox_serve_puts_every_packs_sandbox_on_its_own_path(
    two_packs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(app=app))
    result = CliRunner().invoke(sandbox_group, ["serve", "--memory", "--port", "9124"])
    assert result.exit_code == 0, result.output
    assert "otherbooks sandbox on http://127.0.0.1:9124" in result.output
    assert "http://127.0.0.1:9124/other/v1" in result.output
    assert "http://127.0.0.1:9124/v3.1" in result.output
    app: SandboxesASGI = seen["app"]

    async def get(path: str, token: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            return await client.get(path, headers={"Authorization": f"Bearer {token}"})

    other = asyncio.run(get("/other/v1/whoami", OtherBooksSandbox.access_token))
    assert other.json() == {"product": "otherbooks", "path": "/other/v1/whoami"}
    contacts = asyncio.run(get("/v3.1/contacts", "sageflow-sandbox-token"))
    assert contacts.status_code == 200
    assert json.loads(contacts.content)["$total"] > 0


def test_sandbox_serve_refuses_one_data_file_for_two_packs(two_packs: Path) -> None:
    result = CliRunner().invoke(sandbox_group, ["serve", "--data", "one.db"])
    assert result.exit_code == 2
    assert "--data names one pack's file" in result.output


def test_a_switch_a_pack_lacks_is_refused_by_name(two_packs: Path) -> None:
    result = CliRunner().invoke(sandbox_group, ["serve", "--memory", "--lenient"])
    assert result.exit_code == 2
    assert "the otherbooks sandbox has no --lenient switch" in result.output


def test_require_account_names_the_one_pack_a_flow_calls(two_packs: Path) -> None:
    from sageflow._cli import cli

    (two_packs / "one.sageflow.yaml").write_text(
        "name: one\nsteps:\n  - id: c\n    uses: sage_accounting/listContacts\n"
    )
    result = CliRunner().invoke(cli, ["run", "one.sageflow.yaml", "--require-account"])
    assert result.exit_code == 2, result.output
    assert "no sage_accounting account configured" in result.stderr
    assert "SAGEFLOW_ACCESS_TOKEN" in result.stderr
    (two_packs / "other.sageflow.yaml").write_text(
        "name: other\nsteps:\n  - id: o\n    uses: otherbooks/whoAmI\n"
    )
    result = CliRunner().invoke(cli, ["run", "other.sageflow.yaml", "--require-account"])
    assert result.exit_code == 2, result.output
    assert "no otherbooks account configured" in result.stderr
    assert "SAGEFLOW_OTHERBOOKS_ACCESS_TOKEN" in result.stderr
