"""The FEC example runs on a fresh checkout with no account, against the Chift sandbox: a year's
FEC written as <SIREN>FEC<AAAAMMJJ>.txt, 18 columns in order, every entry balanced; and a
bookkeeper's typos (a date in the wrong format, a wrong year, a folder that does not exist, a
mistyped SIREN, a year the dossier does not have) each get one clear message, no traceback, no
file."""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sage_ge._fec import COLUMNS
from sageflow._cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FLOW = "examples/sage-ge-export-fec.sageflow.yaml"
SYNC = "examples/sage-ge-sync-sales.sageflow.yaml"
SIREN = "552100554"
#: Last year: open in the sandbox whatever today is (it opens the current year and the one
#: before, on the wall clock when there is no account).
YEAR = date.today().year - 1


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Compta" / "FEC").mkdir(parents=True)
    return tmp_path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["run", *args], catch_exceptions=False)


def sync_a_month(workdir: Path) -> None:
    """Last November's sales posted with the other Sage GE example, as a bookkeeper would
    before exporting the year."""
    with (workdir / "examples/sage-ge-sales-november.csv").open(newline="") as given:
        rows = list(csv.DictReader(given))
    for row in rows:
        row["date"] = date(YEAR, 11, int(row["date"][-2:])).isoformat()
    sales = workdir / "sales.csv"
    with sales.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    synced = invoke(SYNC, "-i", f"sales=@{sales}", "--json")
    assert synced.exit_code == 0, synced.output


def year_inputs(**changes: str) -> list[str]:
    values = {"siren": SIREN, "dateFrom": f"{YEAR}-01-01", "dateTo": f"{YEAR}-12-31", **changes}
    return [arg for name, value in values.items() for arg in ("-i", f"{name}={value}")]


def test_the_years_fec_is_written_under_its_legal_name(workdir: Path) -> None:
    sync_a_month(workdir)
    result = invoke(FLOW, *year_inputs(), "-o", "fec=Compta/FEC/{fileName}", "--json")
    assert result.exit_code == 0, result.output
    outputs = json.loads(result.stdout.strip().splitlines()[-1])["outputs"]
    name = f"{SIREN}FEC{YEAR}1231.txt"
    assert outputs["fileName"] == name
    assert (outputs["entries"], outputs["lines"]) == (4, 12)
    written = workdir / "Compta" / "FEC" / name
    assert [p.name for p in written.parent.iterdir()] == [name]
    header, *lines = written.read_text(encoding="utf-8").splitlines()
    assert header.split("\t") == list(COLUMNS)
    rows = [dict(zip(COLUMNS, line.split("\t"), strict=True)) for line in lines]
    assert len(rows) == 12
    balance: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        balance[row["EcritureNum"]] += Decimal(row["Debit"].replace(",", ".")) - Decimal(
            row["Credit"].replace(",", ".")
        )
        assert row["EcritureDate"].startswith(f"{YEAR}11")
        assert "#" not in row["PieceRef"]  # the sender's marker is not a piece reference
    # One entry per CSV row, numbered as the sync example numbers them.
    assert sorted(balance) == [f"F2026110{n}" for n in range(1, 5)]
    assert set(balance.values()) == {Decimal(0)}


@pytest.mark.parametrize(
    ("typo", "says"),
    [
        pytest.param(
            {"dateFrom": f"01/01/{YEAR}"},
            f"input 'dateFrom': expected a date such as 2024-01-31 (got \"01/01/{YEAR}\")",
            id="date-in-the-wrong-format",
        ),
        pytest.param(
            {"dateTo": "2062-12-31"},
            f"{YEAR}-01-01..2062-12-31 is longer than a fiscal year",
            id="wrong-year",
        ),
        pytest.param(
            {"dateTo": f"{YEAR - 1}-12-31"},
            f"the period ends ({YEAR - 1}-12-31) before it starts",
            id="year-before-the-start",
        ),
        pytest.param(
            {"siren": "552100545"},
            "'552100545' is not a valid SIREN: its check digit does not match",
            id="siren-digits-swapped",
        ),
        pytest.param(
            {"siren": "55210055"},
            "9-digit SIREN, got '55210055' (it has 8 digits)",
            id="siren-digit-missing",
        ),
    ],
)
def test_a_mistyped_input_is_one_clear_line_before_anything_runs(
    workdir: Path, typo: dict[str, str], says: str
) -> None:
    result = invoke(FLOW, *year_inputs(**typo), "-o", "fec=Compta/FEC/{fileName}")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert says in result.output
    assert not (workdir / ".sageflow" / "runs.db").exists()  # refused before a run began
    assert list((workdir / "Compta" / "FEC").iterdir()) == []


def test_a_folder_that_does_not_exist_is_named_before_anything_runs(workdir: Path) -> None:
    result = invoke(FLOW, *year_inputs(), "-o", "fec=Compta/FCE/{fileName}")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "the folder Compta/FCE does not exist (check its spelling, or create it first)" in (
        result.output
    )
    assert not (workdir / "Compta" / "FCE").exists()  # not created on a typo
    assert not (workdir / ".sageflow" / "runs.db").exists()


def test_on_a_fresh_checkout_the_years_fec_is_its_header_row(workdir: Path) -> None:
    # Nothing posted yet: the year's FEC has no rows, and the run says so by its counts.
    result = invoke(FLOW, *year_inputs(), "-o", "fec=Compta/FEC/{fileName}", "--json")
    assert result.exit_code == 0, result.output
    outputs = json.loads(result.stdout.strip().splitlines()[-1])["outputs"]
    assert (outputs["entries"], outputs["lines"]) == (0, 0)
    written = workdir / "Compta" / "FEC" / f"{SIREN}FEC{YEAR}1231.txt"
    assert written.read_text(encoding="utf-8") == "\t".join(COLUMNS) + "\n"


def test_a_year_the_dossier_does_not_have_is_named_with_the_years_it_has(
    workdir: Path,
) -> None:
    # 2036 typed for 2026: Chift's book years tell the mistake (the run fails, no file).
    result = invoke(
        FLOW, *year_inputs(dateFrom="2036-01-01", dateTo="2036-12-31"), "-o",
        "fec=Compta/FEC/{fileName}",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "$.dateFrom: 2036-01-01 is in none of the dossier's fiscal years (" in result.output
    assert f"{YEAR}: {YEAR}-01-01..{YEAR}-12-31" in result.output
    assert "check the year" in result.output
    assert list((workdir / "Compta" / "FEC").iterdir()) == []
