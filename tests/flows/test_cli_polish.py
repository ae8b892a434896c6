"""CLI output a person reads: CSV columns in the flow's order, long lists cut with a count,
step outputs in ``runs show``."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from sageflow._cli import cli
from sageflow._cli.flows import column_order, shorten

FLOW = """\
name: rows
inputs:
  rows: {type: array, items: {type: object}}
steps:
  - id: contacts
    uses: sage_accounting/listContacts
    with: {itemsPerPage: 2}
outputs:
  references: ${{ inputs.rows.map(r, r.ref) }}
  table: >-
    ${{ inputs.rows.map(r, {"zeta": r.ref, "alpha": r.name, "mid": "x", "b": 1}) }}
"""


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rows.sageflow.yaml").write_text(FLOW)
    with (tmp_path / "rows.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "ref"])
        writer.writerows([f"Customer {n}", f"REF{n:04d}"] for n in range(1500))
    return tmp_path


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_csv_columns_follow_the_flow_not_the_alphabet_and_are_stable() -> None:
    headers = set()
    for _ in range(3):
        result = invoke("run", "rows.sageflow.yaml", "-i", "rows=@rows.csv", "-o", "table=out.csv")
        assert result.exit_code == 0, result.output
        headers.add(Path("out.csv").read_text().splitlines()[0])
    assert headers == {"zeta,alpha,mid,b"}


def test_column_order_puts_unwritten_keys_after_in_first_seen_order() -> None:
    rows = [{"c": 1, "a": 2}, {"z": 3, "a": 4, "b": 5}]
    assert column_order('{"a": x, "b": y}', rows) == ["a", "b", "c", "z"]
    assert column_order("", rows) == ["c", "a", "z", "b"]


def test_a_long_output_list_is_cut_with_a_count() -> None:
    result = invoke("run", "rows.sageflow.yaml", "-i", "rows=@rows.csv")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("  references:"))
    assert "REF0009" in line
    assert "REF0010" not in line
    assert "1,490 more (1,500 items)" in line
    assert len(line) < 400
    full = invoke("run", "rows.sageflow.yaml", "-i", "rows=@rows.csv", "--json")
    assert len(json.loads(full.stdout)["outputs"]["references"]) == 1500


def test_shorten_cuts_nested_lists_and_long_text() -> None:
    assert shorten([1, 2, 3], items=2) == '[1,2,"... 1 more (3 items)"]'
    assert shorten({"a": list(range(5))}, items=1) == '{"a":[0,"... 4 more (5 items)"]}'
    text = shorten("x" * 1000, chars=50)
    assert text.startswith('"' + "x" * 49)
    assert text.endswith("... (952 more characters)")


def test_runs_show_prints_each_steps_output_cut() -> None:
    run = invoke("run", "rows.sageflow.yaml", "-i", "rows=@rows.csv", "--json")
    run_id = json.loads(run.stdout)["runId"]
    shown = invoke("runs", "show", run_id)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    step = next(i for i, x in enumerate(lines) if " contacts " in x)
    output = lines[step + 1].strip()
    assert output.startswith('output {"items":[')
    assert len(output) < 400
    # the inputs (1,500 rows) are cut too
    inputs = next(x for x in lines if x.startswith("  inputs "))
    assert "1,490 more (1,500 items)" in inputs


async def _contact_names(app: Any, search: str) -> list[str]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1/v3.1"
    ) as client:
        page = await client.get(
            "/contacts",
            params={"search": search},
            headers={"Authorization": "Bearer sageflow-sandbox-token"},
        )
        return [item["displayed_as"] for item in page.json()["$items"]]


def _serve(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Result, list[str]]:
    """``sandbox serve`` with uvicorn replaced by a curl-like read of what it serves."""
    import uvicorn

    seen: list[str] = []

    def fake_run(app: Any, **_options: Any) -> None:
        seen.extend(asyncio.run(_contact_names(app, "Tour Customer")))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return invoke("sandbox", "serve", *args), seen


def test_sandbox_serve_shows_what_the_cli_runs_created(
    monkeypatch: pytest.MonkeyPatch, workdir: Path
) -> None:
    created = invoke(
        "call", "createContact", "-i", "name=Tour Customer Ltd", "-i", "contactTypeIds=[CUSTOMER]"
    )
    assert created.exit_code == 0, created.output
    result, names = _serve(monkeypatch)
    assert result.exit_code == 0, result.output
    assert f"State:        {Path('.sageflow') / 'sandbox-sage_accounting.db'}" in result.stdout
    assert (workdir / ".sageflow" / "sandbox-sage_accounting.db").stat().st_mode & 0o077 == 0
    assert any("Tour Customer Ltd" in name for name in names), names
    memory, fresh = _serve(monkeypatch, "--memory")
    assert memory.exit_code == 0, memory.output
    assert fresh == []


def test_sandbox_serve_memory_is_a_throwaway(
    monkeypatch: pytest.MonkeyPatch, workdir: Path
) -> None:
    result, _ = _serve(monkeypatch, "--memory")
    assert result.exit_code == 0, result.output
    assert "State:        in memory" in result.stdout
    assert not (workdir / ".sageflow").exists()
    both, _ = _serve(monkeypatch, "--memory", "--data", "x.db")
    assert both.exit_code == 2
    assert "--memory and --data" in both.output
