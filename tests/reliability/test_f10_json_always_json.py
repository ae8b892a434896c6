"""Finding 10: with ``--json``, stdout is one RFC 8259 JSON document for every outcome —
success, failure, bad input, a refused command line — and never holds bare NaN or Infinity."""

from __future__ import annotations

from pathlib import Path

import pytest

from .clikit import IMPORT_FLOW, isolated_cli

NON_FINITE = """\
name: nonfinite
inputs:
  x: {type: number, default: 0}
steps:
  - id: list
    uses: sage_accounting/listContacts
    with: {itemsPerPage: 1}
outputs:
  nan: ${{ double(inputs.x) / 0.0 }}
  inf: ${{ 1.0 / 0.0 }}
  ninf: ${{ -1.0 / 0.0 }}
"""


def test_nan_and_infinity_are_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    flow = cli.write("nonfinite.sageflow.yaml", NON_FINITE)
    result = cli("run", flow, "--json")
    assert result.exit_code == 0, result.output
    report = cli.json(result)
    assert report["outputs"] == {"nan": "NaN", "inf": "Infinity", "ninf": "-Infinity"}
    listed = cli("runs", "list", "--json")
    assert cli.json(listed)[0]["outputs"]["inf"] == "Infinity"
    shown = cli("runs", "show", report["runId"], "--json")
    assert cli.json(shown)["outputs"]["nan"] == "NaN"
    written = cli("run", flow, "-o", "inf=inf.json")
    assert written.exit_code == 0, written.output
    assert (tmp_path / "inf.json").read_text() == '"Infinity"\n'


@pytest.mark.parametrize(
    ("args", "code", "status"),
    [
        pytest.param(
            ["run", "imp.sageflow.yaml", "-i", "nope=1"], 2, "invalid", id="unknown-input"
        ),
        pytest.param(["run", "imp.sageflow.yaml"], 2, "invalid", id="missing-input"),
        pytest.param(["run", "imp.sageflow.yaml", "-i", "rows"], 2, "invalid", id="bad-pair"),
        pytest.param(["run", "missing.sageflow.yaml"], 2, "invalid", id="unreadable-flow"),
        pytest.param(
            ["run", "imp.sageflow.yaml", "-i", "rows=@ok.csv", "-o", "nosuch=x.json"],
            2,
            "invalid",
            id="bad-output",
        ),
        pytest.param(
            ["run", "imp.sageflow.yaml", "-i", "rows=@ok.csv", "-o", "names=/"],
            2,
            "invalid",
            id="output-is-root",
        ),
        pytest.param(
            ["run", "imp.sageflow.yaml", "--inputs", "bad.yaml"], 2, "invalid", id="inputs-file"
        ),
        pytest.param(["run", "imp.sageflow.yaml", "--no-such-option"], 2, "invalid", id="usage"),
        pytest.param(["resume", "nope"], 2, "invalid", id="resume-no-journal"),
        pytest.param(["runs", "show", "nope"], 2, "invalid", id="show-no-journal"),
        pytest.param(["runs", "list", "--limit", "many"], 2, "invalid", id="list-bad-limit"),
        pytest.param(["validate", "missing.sageflow.yaml"], 2, None, id="validate-missing"),
        pytest.param(
            ["validate", "imp.sageflow.yaml", "--nope"], 2, "invalid", id="validate-usage"
        ),
        pytest.param(["auth", "status"], 1, "failed", id="auth-not-configured"),
        pytest.param(["components", "list", "--bogus"], 2, "invalid", id="components-usage"),
    ],
)
def test_every_outcome_is_json_on_stdout(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    code: int,
    status: str | None,
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch, probe=True)
    cli.write("imp.sageflow.yaml", IMPORT_FLOW)
    cli.write("ok.csv", "name,days\nAcme,30\n")
    cli.write("bad.yaml", "rows: [unclosed\n")
    result = cli(*args, "--json")
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    report = cli.json(result)
    assert isinstance(report, dict)
    if status is None:
        assert report["valid"] is False
    else:
        assert report["status"] == status
        assert report["error"]
    assert cli.opened == []


def test_a_failed_run_is_json_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    flow = cli.write("imp.sageflow.yaml", IMPORT_FLOW)
    cli.write("bad.csv", "name,days\nAcme,x\n")
    result = cli("run", flow, "-i", "rows=@bad.csv", "--json")
    assert result.exit_code == 1, result.output
    assert cli.json(result)["status"] == "failed"
