"""``sageflow run|validate|resume|runs`` through click's CliRunner: exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sageflow._cli import cli
from sageflow._flows import _api

from .conftest import FakeCaller, FakeServer

GOOD = """\
name: demo
inputs:
  customer: {type: string}
  n: {type: integer, default: 2}
steps:
  - id: make
    for_each: ${{ [1, 2] }}
    uses: testpack/createThing
    with: {name: "${{ inputs.customer }} ${{ item }}", amount: "${{ num('10.10') }}"}
outputs:
  ids: ${{ steps.make.output.map(t, t.id) }}
"""


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, server: FakeServer) -> FakeServer:
    monkeypatch.setattr(
        _api, "_open_caller", lambda: lambda name, debug=False, pack=None: FakeCaller(server)
    )
    return server


def invoke(tmp_path: Path, *args: str) -> Any:
    return CliRunner().invoke(
        cli,
        [*args, "--journal", str(tmp_path / "runs.db")]
        if args[0] in ("run", "resume")
        else list(args),
    )


def test_run_ok_prints_summary(tmp_path: Path, fake: FakeServer) -> None:
    path = tmp_path / "demo.sageflow.yaml"
    path.write_text(GOOD)
    result = invoke(tmp_path, "run", str(path), "-i", "customer=Acme")
    assert result.exit_code == 0, result.output
    assert "demo succeeded" in result.output
    assert 'ids: ["t1","t2"]' in result.output
    assert [t["amount"] for t in fake.things] == ["10.1", "10.1"]


def test_run_json(tmp_path: Path, fake: FakeServer) -> None:
    path = tmp_path / "demo.sageflow.yaml"
    path.write_text(GOOD)
    result = invoke(tmp_path, "run", str(path), "-i", "customer=Acme", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["status"] == "ok"
    assert data["outputs"] == {"ids": ["t1", "t2"]}
    listed = CliRunner().invoke(
        cli, ["runs", "list", "--json", "--journal", str(tmp_path / "runs.db")]
    )
    assert json.loads(listed.output)[0]["id"] == data["runId"]
    shown = CliRunner().invoke(
        cli, ["runs", "show", data["runId"], "--journal", str(tmp_path / "runs.db")]
    )
    assert "make[1]" in shown.output


def test_run_failed_exits_1(tmp_path: Path, fake: FakeServer) -> None:
    fake.fail_names = {"Acme 2": 400}
    path = tmp_path / "demo.sageflow.yaml"
    path.write_text(GOOD)
    result = invoke(tmp_path, "run", str(path), "-i", "customer=Acme")
    assert result.exit_code == 1
    assert "FAILED" in result.output


def test_invalid_flow_exits_2_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "bad.sageflow.yaml"
    path.write_text(GOOD.replace("testpack/createThing", "testpack/createThang"))
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:8:11: steps[0].uses: unknown component" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["-i", "nonsense"], id="bad-pair"),
        pytest.param([], id="missing-input"),
        pytest.param(["-i", "customer=A", "-i", "n=lots"], id="wrong-type"),
        pytest.param(["-i", "customer=A", "--inputs", "/nonexistent.yaml"], id="no-inputs-file"),
    ],
)
def test_bad_command_line_exits_2(tmp_path: Path, fake: FakeServer, args: list[str]) -> None:
    path = tmp_path / "demo.sageflow.yaml"
    path.write_text(GOOD)
    result = invoke(tmp_path, "run", str(path), *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope.sageflow.yaml")])
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_validate_ok_and_json(tmp_path: Path) -> None:
    path = tmp_path / "demo.sageflow.yaml"
    path.write_text(GOOD)
    assert CliRunner().invoke(cli, ["validate", str(path)]).exit_code == 0
    bad = tmp_path / "bad.sageflow.yaml"
    bad.write_text("name: x\nsteps: 3\n")
    result = CliRunner().invoke(cli, ["validate", str(bad), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["problems"][0]["path"] == "steps"


def test_dry_run_sends_no_write(tmp_path: Path, fake: FakeServer) -> None:
    path = tmp_path / "demo.sageflow.yaml"
    path.write_text(GOOD)
    result = invoke(tmp_path, "run", str(path), "-i", "customer=Acme", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "[dry run] make[0]: POST /things" in result.output
    assert '"name": "Acme 1"' in result.output
    assert "manifest example" in result.output
    assert fake.requests == []


def test_resume_cli(tmp_path: Path, fake: FakeServer) -> None:
    fake.fail_names = {"Acme 2": 500}
    path = tmp_path / "demo.sageflow.yaml"
    path.write_text(GOOD)
    first = invoke(tmp_path, "run", str(path), "-i", "customer=Acme", "--json")
    assert first.exit_code == 1
    run_id = json.loads(first.output)["runId"]
    fake.fail_names = {}
    again = invoke(tmp_path, "resume", run_id)
    assert again.exit_code == 0, again.output
    assert "(from the journal)" not in again.output or "make" in again.output
    assert len(fake.things) == 2
    refused = invoke(tmp_path, "resume", run_id)
    assert refused.exit_code == 2
    assert "already finished" in refused.output


SECRET = """\
name: secret
inputs:
  token: {type: string, secret: true}
  n: {type: integer}
steps:
  - id: use
    uses: testpack/useToken
    with: {token: "${{ inputs.token }}"}
  - id: make
    uses: testpack/createThing
    with: {name: "n${{ inputs.n }}"}
"""


def test_resume_takes_secret_inputs_again(tmp_path: Path, fake: FakeServer) -> None:
    path = tmp_path / "secret.sageflow.yaml"
    path.write_text(SECRET)
    fake.fail_names = {"n7": 500}
    first = invoke(tmp_path, "run", str(path), "-i", "token=t0k3n-value", "-i", "n=7", "--json")
    assert first.exit_code == 1
    run_id = json.loads(first.output)["runId"]
    assert b"t0k3n-value" not in b"".join(p.read_bytes() for p in tmp_path.glob("runs.db*"))
    fake.fail_names = {}
    missing = invoke(tmp_path, "resume", run_id)
    assert missing.exit_code == 2
    assert "missing input 'token'" in missing.output
    again = invoke(tmp_path, "resume", run_id, "-i", "token=t0k3n-value")
    assert again.exit_code == 0, again.output
    assert [t["name"] for t in fake.things] == ["n7"]


def test_a_missing_input_says_what_it_is_and_how_to_give_it(tmp_path: Path) -> None:
    path = tmp_path / "secret.sageflow.yaml"
    described = "n: {type: integer, description: Serial.}"
    path.write_text(SECRET.replace("n: {type: integer}", described))
    result = invoke(tmp_path, "run", str(path), "-i", "token=x")
    assert result.exit_code == 2
    assert "missing input 'n' (integer: Serial.)" in result.output
    assert "-i NAME=VALUE" in result.output
    unknown_only = invoke(tmp_path, "run", str(path), "-i", "token=x", "-i", "n=1", "-i", "m=2")
    assert unknown_only.exit_code == 2
    assert "-i NAME=VALUE" not in unknown_only.output  # the hint is for a missing input only


def test_run_json_reports_an_invalid_flow_as_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.sageflow.yaml"
    path.write_text("name: x\nsteps: 3\n")
    result = CliRunner().invoke(cli, ["run", str(path), "--json"])
    assert result.exit_code == 2
    first_line = result.output.splitlines()[0]
    assert (
        json.loads(first_line)["problems"][0]["message"] == "expected a list of steps, got a number"
    )
