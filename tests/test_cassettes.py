"""Every component's cassette replays through the real HTTP layer, offline, and holds no secret.

The cassettes are recorded by ``scripts/record_cassettes.py`` against the embedded sandbox. Here
they are replayed with ``record_mode="none"`` through :class:`sageflow._http.Client` (and its
async twin) whose transport fails the test if it is ever reached: the answer can only come from
the cassette, and vcrpy only answers a request that matches a recorded one (method, path,
query, body).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException

import sageflow
import sageflow._registry
from sage_accounting.connection import PROFILE
from sage_accounting.sandbox import DEFAULT_START, DEV_TOKEN, Clock, Sandbox
from sage_ge.sandbox import CONSUMER_ID as GE_CONSUMER_ID
from sage_ge.sandbox import DEV_TOKEN as GE_DEV_TOKEN
from sageflow import CallOptions, Component
from sageflow._errors import APIError
from sageflow._http import AsyncClient, Client, Connection
from sageflow._http._profile import HTTPConnectionSpec

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
RECORD = "python scripts/record_cassettes.py"
REPLAY_BASE = "http://replay.invalid/v3.1"

#: Actions only: a trigger's conversation depends on its cursor, so one recorded call proves
#: little; tests/triggers/ drives triggers against the sandbox and its clock instead.
COMPONENTS = [c for c in sageflow.components() if c.kind == "action"]


def _load_recorder(name: str = "record_cassettes") -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


recorder = _load_recorder()
#: The Chift sandbox's recorder (it imports record_cassettes, loaded above, for the layout).
recorder_ge = _load_recorder("record_cassettes_sage_ge")
#: The command that records a pack's cassettes.
RECORDERS = {
    "sage_accounting": RECORD,
    "sage200": "python scripts/record_cassettes_sage200.py",
    "sage_ge": "python scripts/record_cassettes_sage_ge.py",
}


class TransportReachedError(AssertionError):
    """A replayed call got past vcrpy to the transport: the cassette did not answer it."""


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise TransportReachedError(f"replay reached the transport: {request.method} {request.url}")


def _offline_transport() -> httpx.MockTransport:
    # A MockTransport because vcrpy patches that class; its handler raises, so a request vcrpy
    # did not answer from the cassette fails loudly instead of reaching any server.
    return httpx.MockTransport(_unreachable)


#: Cassettes match on the URL's path, so each pack replays at the API path it was recorded at.
REPLAY_BASES = {
    "sage_accounting": REPLAY_BASE,
    "sage200": "http://replay.invalid/uk/sage200extra/accounts/v1",
    "sage_ge": f"http://replay.invalid/chift/consumers/{GE_CONSUMER_ID}/accounting",
}
#: Query parameters a pack's connection puts on every request (they are matched): the Chift
#: connection's dossier, as the recorder's connection sent it.
REPLAY_QUERIES = {"sage_ge": {"folder_id": recorder_ge.FOLDER}}


def _connection(pack: str = "sage_accounting") -> Connection:
    # Any token: headers are not matched, and a recorded Authorization header is only "***".
    # The pack's profile: bodies are matched, and it puts each write's idempotency_id in them.
    profile = PROFILE
    if pack != "sage_accounting":
        spec = next(iter(sageflow._registry.packs()[pack].connections.values()))
        assert isinstance(spec, HTTPConnectionSpec)
        profile = spec.profile
    return Connection.with_token(
        REPLAY_BASES[pack], "replay-token-never-sent", profile, query=REPLAY_QUERIES.get(pack, {})
    )


@lru_cache(maxsize=4)
def _calls(pack: str) -> dict[str, Any]:
    return dict(recorder.load_calls(CASSETTES, pack))


#: Components with no cassette, each with why, by name: Chift serves these for Sage GE on
#: request only and the Chift sandbox does not simulate them (it answers 405
#: ERROR_RESOURCE_NOT_SUPPORTED, as Chift does for a connector without the feature), so there
#: is no successful call to record; the recorder's NOT_SERVED names each one's route. They are
#: tested offline against a scripted Chift in tests/sage_ge/test_components.py, and
#: test_what_cannot_be_recorded_is_still_not_served fails once the sandbox serves one.
NOT_RECORDABLE = {
    f"sage_ge/{key}": (
        f"{route} is on request at Chift and the Chift sandbox answers 405 "
        "ERROR_RESOURCE_NOT_SUPPORTED for it"
    )
    for key, route in recorder_ge.NOT_SERVED.items()
}


def _recorded(component: Component) -> tuple[Path, dict[str, Any]]:
    why = NOT_RECORDABLE.get(component.ref)
    if why is not None:
        pytest.skip(f"{component.ref}: {why}")
    path = recorder.cassette_path(CASSETTES, component)
    call = _calls(component.pack).get(component.key)
    if not path.is_file() or call is None:
        command = RECORDERS.get(component.pack, RECORD)
        pytest.fail(
            f"no cassette for {component.ref}: record it with `{command} {component.key}` "
            f"(writes {path.relative_to(ROOT)} and its entry in {recorder.CALLS_FILE})"
        )
    return path, call


def _check_output(component: Component, output: dict[str, Any], call: dict[str, Any]) -> None:
    output = json.loads(json.dumps(output, default=str))
    assert output == call["output"], (
        f"{component.ref} no longer turns its recorded responses into the recorded output; if "
        f"that change is intended, re-record with `{RECORD} {component.key}` and review the diff"
    )
    jsonschema.validate(output, component.output_schema())
    component.output.model_validate(output)


def _params() -> list[Any]:
    return [pytest.param(c, id=c.ref) for c in COMPONENTS]


@pytest.mark.parametrize("component", _params())
def test_replays_offline_through_the_client(component: Component) -> None:
    path, call = _recorded(component)
    options = CallOptions(idempotency_key=call["idempotencyKey"])
    with (
        recorder.use_cassette(path, "none") as cassette,
        Client(_connection(component.pack), transport=_offline_transport()) as client,
    ):
        output = client.call(component, call["input"], options)
    # Every recorded request was asked for, once: the call made the same conversation.
    assert cassette.all_played
    assert cassette.play_count == len(cassette) > 0
    _check_output(component, output, call)


@pytest.mark.parametrize("component", _params())
def test_replays_offline_through_the_async_client(component: Component) -> None:
    path, call = _recorded(component)
    options = CallOptions(idempotency_key=call["idempotencyKey"])

    async def replay() -> dict[str, Any]:
        async with AsyncClient(
            _connection(component.pack), transport=_offline_transport()
        ) as client:
            return await client.acall(component, call["input"], options)

    with recorder.use_cassette(path, "none") as cassette:
        output = asyncio.run(replay())
    assert cassette.all_played
    _check_output(component, output, call)


def test_a_different_request_is_not_answered() -> None:
    # The matcher is what makes a replay prove anything: a changed body finds no recording,
    # and with record_mode="none" it neither reaches the transport nor records.
    component = sageflow.get_component("sage_accounting/updateContact")
    path, call = _recorded(component)
    changed = {**call["input"], "notes": "Not what was recorded."}
    with (
        recorder.use_cassette(path, "none"),
        Client(_connection(), transport=_offline_transport()) as client,
        pytest.raises(CannotOverwriteExistingCassetteException),
    ):
        client.call(component, changed, CallOptions(idempotency_key=call["idempotencyKey"]))


def test_no_stray_cassettes() -> None:
    # A renamed or removed component leaves a cassette nothing replays: delete it.
    expected = {recorder.cassette_path(CASSETTES, c) for c in COMPONENTS}
    found = {p for p in CASSETTES.rglob("*.yaml") if recorder.REAL_CASSETTES not in p.parents}
    assert sorted(map(str, found - expected)) == []
    for pack in {c.pack for c in COMPONENTS}:
        keys = {c.key for c in COMPONENTS if c.pack == pack}
        assert sorted(set(_calls(pack)) - keys) == []


# Shapes of a leaked credential; the same ones the pre-stop hook greps for.
_LEAKS = (
    re.compile(r"(?i)\bbearer\s+(?!\*\*\*)[A-Za-z0-9\-._~+/=%]{8,}"),
    re.compile(r"(?i)\bbasic\s+(?!\*\*\*)[A-Za-z0-9+/=]{8,}"),
    re.compile(
        r"(?i)[\"']?(access_token|refresh_token|id_token|client_secret)[\"']?\s*[:=]\s*"
        r"[\"']?(?!\*\*\*)[A-Za-z0-9\-._~+/=%]{8,}"
    ),
)


def _leaks(text: str, tokens: tuple[str, ...] = ()) -> list[str]:
    found = [m.group(0) for pattern in _LEAKS for m in pattern.finditer(text)]
    return found + [t for t in tokens if t in text]


def _secret_headers(cassette: dict[str, Any]) -> list[str]:
    values = []
    for interaction in cassette.get("interactions", []):
        for part in ("request", "response"):
            for name, value in interaction[part].get("headers", {}).items():
                if name.lower() in {"authorization", "cookie", "set-cookie"}:
                    values += [v for v in value if v != "***"]
    return values


def _cassette_files() -> list[Any]:
    # Every file under cassettes/ (the README and local real-business recordings included):
    # the same ground the pre-commit secret grep covers.
    return [
        pytest.param(p, id=str(p.relative_to(CASSETTES)))
        for p in sorted(CASSETTES.rglob("*"))
        if p.is_file()
    ]


@pytest.mark.parametrize("path", _cassette_files())
def test_cassette_holds_no_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # The README names the (public) dev token to say it is masked; a recording never holds it.
    recorded = path.suffix in {".yaml", ".json"}
    # The Chift recorder's client secret and the Chift sandbox's dev token too.
    secrets = (DEV_TOKEN, GE_DEV_TOKEN, recorder_ge.CLIENT_SECRET)
    assert _leaks(text, secrets if recorded else ()) == []
    if path.suffix == ".yaml":
        assert _secret_headers(yaml.safe_load(text)) == []


def _record_into(folder: Path, key: str) -> dict[str, Any]:
    component = sageflow.get_component(f"sage_accounting/{key}")
    with recorder.fresh_sandbox_client() as client:
        return dict(recorder.record_one(component, client, folder))


def test_recording_is_deterministic(tmp_path: Path) -> None:
    # A fresh sandbox on a manual clock, deterministic ids and a fixed idempotency key: the
    # same component recorded twice gives the same file, so a re-recording's diff is real.
    first = _record_into(tmp_path / "one", "releaseSalesInvoice")
    second = _record_into(tmp_path / "two", "releaseSalesInvoice")
    name = Path("sage_accounting", "releaseSalesInvoice.yaml")
    assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert first == second
    # The committed recording was made the same way (re-record if the sandbox changed).
    assert first["input"] == _calls("sage_accounting")["releaseSalesInvoice"]["input"]


def test_recording_redacts_issued_tokens(tmp_path: Path) -> None:
    # The dev token is a registered secret; a real token pair is not, so this shows the
    # hooks mask credentials by position too — in the Authorization header and in the
    # OAuth token exchange (request form and response body).
    sandbox = Sandbox(clock=Clock.manual(DEFAULT_START))
    pair = sandbox.issue_token()
    access, refresh = str(pair["access_token"]), str(pair["refresh_token"])
    handler = sandbox.transport().handle_request
    cassette_file = tmp_path / "tokens.yaml"
    with recorder.use_cassette(cassette_file, "all"):
        with httpx.Client(transport=httpx.MockTransport(handler)) as http:
            renewed = http.post(
                "http://sandbox/oauth2/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh,
                    "client_id": "sandbox-client",
                },
            ).json()
        connection = Connection.with_token(sandbox.api_base, renewed["access_token"])
        with Client(connection, transport=httpx.MockTransport(handler)) as client:
            client.call("sage_accounting/getFinancialSettings", {})
    text = cassette_file.read_text(encoding="utf-8")
    tokens = (access, refresh, renewed["access_token"], renewed["refresh_token"])
    assert "oauth2/token" in text
    assert "financial_settings" in text
    assert _leaks(text, (DEV_TOKEN, *tokens)) == []
    assert _secret_headers(yaml.safe_load(text)) == []


@pytest.fixture
def no_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An environment with no configured Sage connection (no file, no SAGEFLOW_* values)."""
    import os

    for name in list(os.environ):
        if name.startswith("SAGEFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path


def test_real_mode_needs_a_connection(no_connection: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Never silently record the sandbox into the real-business folder.
    monkeypatch.setenv(recorder.REAL_SWITCH, "1")
    with pytest.raises(SystemExit, match="needs a Sage connection"):
        recorder.main(["getFinancialSettings", "--out", str(no_connection / "real")])


def test_real_mode_records_through_the_configured_connection(
    no_connection: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real-business path (open_client with SAGEFLOW_ACCESS_TOKEN, shared set-up across
    # components, run-unique idempotency keys) pointed at the sandbox: its token is redacted
    # and what it records replays offline like the committed cassettes.
    sandbox = Sandbox(clock=Clock.manual(DEFAULT_START))
    token = str(sandbox.issue_token()["access_token"])
    monkeypatch.setenv("SAGEFLOW_ACCESS_TOKEN", token)
    monkeypatch.setenv("SAGEFLOW_API_BASE", sandbox.api_base)
    folder = no_connection / "real"
    keys = ("createSalesInvoice", "getSalesInvoice", "updateSalesInvoice")
    components = [sageflow.get_component(f"sage_accounting/{key}") for key in keys]
    transport = httpx.MockTransport(sandbox.transport().handle_request)
    assert recorder.record_real(components, folder, transport=transport) == len(keys)
    calls = recorder.load_calls(folder, "sage_accounting")
    assert calls["updateSalesInvoice"]["idempotencyKey"].startswith(
        "cassette-sage_accounting-updateSalesInvoice-"
    )
    for component in components:
        path = recorder.cassette_path(folder, component)
        text = path.read_text(encoding="utf-8")
        assert _leaks(text, (DEV_TOKEN, token)) == []
        call = calls[component.key]
        options = CallOptions(idempotency_key=call["idempotencyKey"])
        with (
            recorder.use_cassette(path, "none") as cassette,
            Client(_connection(), transport=_offline_transport()) as client,
        ):
            assert client.call(component, call["input"], options) == call["output"]
        assert cassette.all_played


@pytest.mark.parametrize("ref", sorted(NOT_RECORDABLE))
def test_what_cannot_be_recorded_is_still_not_served(ref: str) -> None:
    # Each skip above holds only while the Chift sandbox refuses the route: once it serves
    # it, the component is recorded like any other.
    try:
        component = sageflow.get_component(ref)
    except sageflow._registry.UnknownComponentError:
        pytest.skip(f"{ref} is not a registered component here")
    example = json.loads(json.dumps(dict(component.example_input), default=str))
    with recorder_ge.fresh_client() as client:
        step = recorder_ge.PREPARE.get(component.key)
        inputs = step(client, example) if step is not None else example
        with pytest.raises(APIError) as refused:
            client.call(component, inputs)
    assert refused.value.status == 405, (
        f"the Chift sandbox answers {ref} now: drop it from NOT_SERVED in the recorder and "
        "record it with "
        f"`{RECORDERS['sage_ge']} {component.key}`"
    )
    assert "ERROR_RESOURCE_NOT_SUPPORTED" in str(refused.value)


def test_chift_recording_is_deterministic_and_holds_neither_secret_nor_token(
    tmp_path: Path,
) -> None:
    # The Chift recorder signs in with a client secret (POST /token, outside the cassette):
    # recorded twice, the same bytes, and neither the secret nor a bearer in them.
    component = sageflow.get_component("sage_ge/createJournalEntry")
    outputs = []
    for name in ("one", "two"):
        with recorder_ge.fresh_client() as client:
            outputs.append(recorder_ge.record_one(component, client, tmp_path / name))
    first, second = (
        recorder.cassette_path(tmp_path / name, component).read_text(encoding="utf-8")
        for name in ("one", "two")
    )
    assert first == second
    assert outputs[0] == outputs[1]
    assert "/token" not in first
    assert _leaks(first, (GE_DEV_TOKEN, recorder_ge.CLIENT_SECRET)) == []
    assert _secret_headers(yaml.safe_load(first)) == []
    # What the recording sent: the dossier on every request, and the committed recording
    # was made the same way.
    assert all(
        "folder_id=DOSSIER01" in i["request"]["uri"] for i in yaml.safe_load(first)["interactions"]
    )
    assert outputs[0]["input"] == _calls("sage_ge")["createJournalEntry"]["input"]
