"""The Sage GE example flow runs on a fresh checkout with no account, against the Chift sandbox:
a month of sales posted in VE; an entry breaking a Sage GE rule stops the batch before sending."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from sage_ge.sandbox import Sandbox
from sageflow._cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FLOW = "examples/sage-ge-sync-sales.sageflow.yaml"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["run", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    outcome: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return outcome


def this_months(workdir: Path, first_day: date) -> Path:
    """The example's CSV moved to a month of an open fiscal year: the sandbox (wall clock
    without an account) opens the current year and the one before."""
    with (workdir / "examples/sage-ge-sales-november.csv").open(newline="") as given:
        source = list(csv.DictReader(given))
    for row in source:
        row["date"] = first_day.replace(day=int(row["date"][-2:])).isoformat()
    path = workdir / "sales.csv"
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(source[0]))
        writer.writeheader()
        writer.writerows(source)
    return path


def entries(workdir: Path) -> list[dict[str, object]]:
    box = Sandbox(data=workdir / ".sageflow" / "sandbox-sage_ge.db")
    try:
        return box.records("entries")
    finally:
        box.close()


def test_sync_sales_posts_each_invoice_in_ve(workdir: Path) -> None:
    sales = this_months(workdir, date.today().replace(month=11, day=1, year=date.today().year - 1))
    outcome = run(FLOW, "-i", f"sales=@{sales}")
    outputs = outcome["outputs"]
    assert isinstance(outputs, dict)
    assert outputs["ok"] is True
    assert outputs["refusals"] == []
    assert len(outputs["posted"]) == 4
    posted = entries(workdir)
    assert [e["name"] for e in posted] == ["F20261101", "F20261102", "F20261103", "F20261104"]
    first = posted[0]["items"]
    assert isinstance(first, list)
    assert [(i["account_number"], i["partner_id"], i["debit"], i["credit"]) for i in first] == [
        ("411000", "CDUPONT", 422.0, 0.0),
        ("701000", None, 0.0, 400.0),
        ("445710", None, 0.0, 22.0),
    ]


def test_a_rule_breaking_row_stops_the_batch_before_sending(workdir: Path) -> None:
    closed = date.today().replace(day=1, year=date.today().year - 2)  # the seed's closed year
    sales = this_months(workdir, closed)
    outcome = run(FLOW, "-i", f"sales=@{sales}")
    outputs = outcome["outputs"]
    assert isinstance(outputs, dict)
    assert outputs["ok"] is False
    assert outputs["posted"] == []
    rules = {r["rule"] for r in outputs["refusals"]}
    assert rules == {"POSTING_DATE_IN_OPEN_YEAR"}
    assert entries(workdir) == []
