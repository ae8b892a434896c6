"""The triggered example flow, run as the README says: ``sageflow poll`` against the sandbox."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sageflow._cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FLOW = "examples/new-sales-invoice-follow-up.sageflow.yaml"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def sageflow(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_each_new_invoice_gets_one_follow_up_line_on_its_customer(workdir: Path) -> None:
    assert sageflow("poll", FLOW, "--once", "--json") == {"events": 0, "runs": []}
    # Two invoices for one new customer, one for another, as the invoicing example raises them.
    raised = [
        sageflow(
            "run",
            "examples/invoice-new-customer.sageflow.yaml",
            "-i",
            f"customer={customer}",
            "-i",
            f"amount={amount}",
            "--json",
        )["outputs"]
        for customer, amount in (
            ("Quayside Coffee", 480),
            ("Quayside Coffee", 120),
            ("Larkspur Florists", 99),
        )
    ]
    report = sageflow("poll", FLOW, "--once", "--json")
    assert report["events"] == 3
    assert [run["status"] for run in report["runs"]] == ["ok", "ok", "ok"]
    for run, invoice in zip(report["runs"], raised, strict=True):
        shown = sageflow("runs", "show", run["run_id"], "--json")
        # Chased three days before it falls due (days_before_due's default).
        assert shown["outputs"]["invoice"] == invoice["invoice_number"]
        assert shown["outputs"]["customer"] == invoice["customer"]
        assert shown["outputs"]["chase_on"] == chase_on(invoice["due"])
    found = sageflow("call", "sage_accounting/findContact", "-i", "name=Quayside Coffee", "--json")
    contact_id = found["items"][0]["id"]
    notes = sageflow(
        "call", "sage_accounting/getContact", "-i", f"contactId={contact_id}", "--json"
    )["notes"]
    assert notes.splitlines() == [
        f"Follow up {invoice['invoice_number']}: {total} GBP due {invoice['due']},"
        f" chase on {chase_on(invoice['due'])}"
        for invoice, total in zip(raised[:2], ("576.0", "144.0"), strict=True)
    ]
    assert sageflow("poll", FLOW, "--once", "--json") == {"events": 0, "runs": []}


def chase_on(due: str) -> str:
    return (dt.date.fromisoformat(due) - dt.timedelta(days=3)).isoformat()


def test_without_json_each_run_is_one_line(workdir: Path) -> None:
    CliRunner().invoke(cli, ["poll", FLOW, "--once"], catch_exceptions=False)
    sageflow("run", "examples/invoice-new-customer.sageflow.yaml", "--json")
    result = CliRunner().invoke(cli, ["poll", FLOW, "--once"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    run_line, summary = result.stdout.splitlines()
    assert re.fullmatch(r"run [0-9a-f]{16} ok: created SI-\d+ \([0-9a-f]{32}\)", run_line)
    assert summary == "poll: 1 new event(s), 1 run(s)"


class Sage:
    """Answers the example's three calls; keeps what updateContact sent."""

    def __init__(self, notes: str | None) -> None:
        self.notes = notes
        self.sent: list[str] = []

    async def acall(self, component: Any, inputs: Any, options: Any = None) -> dict[str, Any]:
        if component.key == "getSalesInvoice":
            return {
                "id": "inv1",
                "invoice_number": "SI-9",
                "total_amount": "120.00",
                "currency": {"id": "GBP"},
                "due_date": "2025-12-31",
                "contact": {"id": "c1"},
            }
        if component.key == "getContact":
            return {"id": "c1", "name": "Oakwood Ltd", "notes": self.notes}
        assert component.key == "updateContact"
        self.sent.append(inputs.notes)
        return {"id": "c1", "name": "Oakwood Ltd", "notes": inputs.notes}


LINE = "Follow up SI-9: 120.00 GBP due 2025-12-31, chase on 2025-12-28"


@pytest.mark.parametrize(
    ("notes", "written"),
    [
        pytest.param(None, LINE, id="null-as-real-sage-sends-it"),
        pytest.param("", LINE, id="empty"),
        pytest.param("Pays late", f"Pays late\n{LINE}", id="appended"),
        pytest.param(f"Pays late\n{LINE}", f"Pays late\n{LINE}", id="already-there-not-twice"),
    ],
)
def test_the_follow_up_line(notes: str | None, written: str) -> None:
    from sageflow import run_flow

    sage = Sage(notes)
    event = {"type": "created", "id": "inv1", "record": {"id": "inv1"}, "at": "2025-12-01"}
    result = run_flow(
        EXAMPLES / "new-sales-invoice-follow-up.sageflow.yaml",
        caller=sage,
        journal=None,
        trigger={"event": event},
    )
    assert result.ok, result.error
    assert sage.sent == [written]
    assert result.outputs == {
        "invoice": "SI-9",
        "customer": "Oakwood Ltd",
        "chase_on": "2025-12-28",
    }
