"""SIGKILL a ``sageflow poll`` at several points, poll again: every event went to exactly one run,
and the example flow's follow-up note is in Sage exactly once per invoice."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sageflow._cli import cli

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "examples" / "new-sales-invoice-follow-up.sageflow.yaml"
)
FLOW = "follow-up.sageflow.yaml"

#: Run in a child process: patch one point of the poll to SIGKILL the process there, then run
#: ``sageflow poll FLOW --once``.
KILLER = """
import os, signal, sys
from sageflow import _poll
from sageflow._flows._journal import Journal

point, number = sys.argv[1], int(sys.argv[2])

def die():
    os.kill(os.getpid(), signal.SIGKILL)

deliver = _poll._Poller.deliver
if point == "before-deliver":
    _poll._Poller.deliver = lambda self, *a: die()
elif point == "after-deliver":
    def after(self, *a):
        deliver(self, *a)
        die()
    _poll._Poller.deliver = after
elif point == "after-step":
    finished = Journal.step_finished
    seen = []
    def step_finished(self, *a, **k):
        finished(self, *a, **k)
        seen.append(1)
        if len(seen) == number:
            die()
    Journal.step_finished = step_finished

from sageflow._cli import main
main(["poll", sys.argv[3], "--once", "--json"])
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLE, tmp_path / FLOW)
    return tmp_path


def sageflow(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def invoice(customer: str, account: str, amount: int) -> str:
    line = f"[{{description: Work, ledgerAccountId: {account}, quantity: 1, unitPrice: {amount}}}]"
    created = sageflow(
        "call",
        "sage_accounting/createSalesInvoice",
        "-i",
        f"contactId={customer}",
        "-i",
        "date=2025-12-01",
        "-i",
        "dueDate=2025-12-31",
        "-i",
        f"invoiceLines={line}",
        "--json",
    )
    return str(created["invoice_number"])


def killed_poll(workdir: Path, point: str, number: int = 0) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEFLOW_")}
    env["SAGEFLOW_CONFIG_DIR"] = str(workdir / "config")
    done = subprocess.run(
        [sys.executable, "-c", KILLER, point, str(number), FLOW],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode


@pytest.mark.parametrize(
    ("point", "number"),
    [
        pytest.param("before-deliver", 0, id="after-the-trigger-before-the-transaction"),
        pytest.param("after-deliver", 0, id="after-the-transaction-before-any-run"),
        pytest.param("after-step", 1, id="inside-the-first-run"),
        pytest.param("after-step", 3, id="after-the-first-runs-write"),
        pytest.param("after-step", 5, id="inside-the-second-run"),
    ],
)
def test_sigkill_during_a_poll_then_poll_again_delivers_each_event_once(
    workdir: Path, point: str, number: int
) -> None:
    assert sageflow("poll", FLOW, "--once", "--json") == {"events": 0, "runs": []}
    customer = sageflow("call", "sage_accounting/findContact", "-i", "reference=ACME001", "--json")
    customer_id = customer["items"][0]["id"]
    accounts = sageflow("call", "sage_accounting/listLedgerAccounts", "-i", "search=4010", "--json")
    numbers = [invoice(customer_id, accounts["items"][0]["id"], 100 * n) for n in (1, 2, 3)]

    assert killed_poll(workdir, point, number) == -9  # SIGKILLed where asked

    report = sageflow("poll", FLOW, "--once", "--json")
    assert all(run["status"] == "ok" for run in report["runs"])
    assert sageflow("poll", FLOW, "--once", "--json") == {"events": 0, "runs": []}

    with sqlite3.connect(workdir / ".sageflow" / "runs.db") as db:
        deliveries = db.execute("SELECT event_key, run_id FROM trigger_deliveries").fetchall()
        runs = dict(db.execute("SELECT id, status FROM runs WHERE flow_name = ?", (EXAMPLE_NAME,)))
    per_event = Counter(key for key, _run in deliveries)
    assert len(per_event) == 3
    assert set(per_event.values()) == {1}
    # One run per event, each finished, and no run that no event went to.
    assert {run for _key, run in deliveries} == set(runs)
    assert set(runs.values()) == {"ok"}
    # What Sage shows: each invoice's follow-up line once in the customer's notes.
    contact = sageflow(
        "call", "sage_accounting/getContact", "-i", f"contactId={customer_id}", "--json"
    )
    lines = contact["notes"].splitlines()
    assert sorted(line.split(":")[0] for line in lines) == [f"Follow up {n}" for n in numbers]


EXAMPLE_NAME = "new-sales-invoice-follow-up"
