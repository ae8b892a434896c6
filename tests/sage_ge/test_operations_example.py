"""The bank-statement example runs on a fresh checkout with no account, against the Chift
sandbox: each statement line becomes a financial entry in BQ, long labels cut at 30 with the
full text in the reference; a line breaking a Sage GE rule stops the statement before anything
is sent, and is named."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sage_ge.sandbox import Sandbox
from sageflow._cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FLOW = "examples/sage-ge-bank-statement.sageflow.yaml"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def statement(workdir: Path, **changes: str) -> tuple[Path, list[dict[str, str]]]:
    """The example's CSV moved into last year's November (the sandbox without an account, on
    the wall clock, opens this year and the one before); ``changes`` rewrites the first row."""
    with (workdir / "examples/sage-ge-bank-statement.csv").open(newline="") as given:
        rows = list(csv.DictReader(given))
    november = date.today().replace(year=date.today().year - 1, month=11, day=1)
    for row in rows:
        row["date"] = november.replace(day=int(row["date"][-2:])).isoformat()
    rows[0].update(changes)
    path = workdir / "statement.csv"
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path, rows


def entries(workdir: Path) -> list[dict[str, Any]]:
    box = Sandbox(data=workdir / ".sageflow" / "sandbox-sage_ge.db")
    try:
        return box.records("entries")
    finally:
        box.close()


def test_each_statement_line_is_a_bank_entry_with_its_label_cut_at_30(workdir: Path) -> None:
    path, rows = statement(workdir)
    result = CliRunner().invoke(
        cli, ["run", FLOW, "-i", f"statement=@{path}", "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    outputs = json.loads(result.stdout.strip().splitlines()[-1])["outputs"]
    assert outputs["cutLabels"] == [1, 1, 0, 0]
    posted = entries(workdir)
    assert [e["id"] for e in posted] == outputs["entries"]
    for entry, row, marker in zip(posted, rows, outputs["markers"], strict=True):
        assert entry["journal_id"] == "3"
        assert entry["date"] == row["date"]
        debit = sum(Decimal(str(i["debit"])) for i in entry["items"])
        assert debit == sum(Decimal(str(i["credit"])) for i in entry["items"])
        assert debit == abs(Decimal(row["amount"]))
        line = entry["items"][0]
        assert (line["account_number"], line["partner_id"] or "") == (
            row["account"], row["auxiliary"],
        )  # fmt: skip
        assert line["description"] == row["label"][:30]
        assert marker in entry["reference"]
        if len(row["label"]) > 30:
            assert row["label"] in entry["reference"]
    # Money in credits the client; money out debits the supplier and the employee.
    assert [e["items"][0]["credit"] > 0 for e in posted] == [True, False, False, False]


def test_a_line_breaking_a_rule_stops_the_statement_before_anything_is_sent(
    workdir: Path,
) -> None:
    path, _ = statement(workdir, auxiliary="")  # 411000 without the client's account
    result = CliRunner().invoke(
        cli, ["run", FLOW, "-i", f"statement=@{path}", "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    outputs = json.loads(result.stdout.strip().splitlines()[-1])["outputs"]
    assert outputs["ok"] is False
    assert [(r["rule"], r["entry"], r["line"]) for r in outputs["refusals"]] == [
        ("COLLECTIVE_NEEDS_AUXILIARY", 0, 0)
    ]
    assert outputs["entries"] == []
    assert entries(workdir) == []


def test_a_line_dated_in_the_closed_year_is_refused_with_the_rest(workdir: Path) -> None:
    closed = date.today().replace(year=date.today().year - 2, month=6, day=30)
    path, _ = statement(workdir, date=closed.isoformat())
    result = CliRunner().invoke(
        cli, ["run", FLOW, "-i", f"statement=@{path}", "--json"], catch_exceptions=False
    )
    outputs = json.loads(result.stdout.strip().splitlines()[-1])["outputs"]
    assert {r["rule"] for r in outputs["refusals"]} == {"POSTING_DATE_IN_OPEN_YEAR"}
    assert entries(workdir) == []
