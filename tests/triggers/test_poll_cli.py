"""``sageflow poll`` against the embedded sandbox (the app ``sageflow sandbox serve`` serves, on
the state file it uses by default): the issue's Done-when, exit codes, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sageflow._cli import cli

FLOW = """\
name: invoice-changes
on:
  poll: sage_accounting/salesInvoiceChanges
  with: {events: [created, deleted]}
  every: 1s
steps:
  - id: settings
    uses: sage_accounting/getFinancialSettings
outputs:
  change: ${{ trigger.event.type + ' ' + trigger.event.id }}
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # No account configured: the sandbox is the target, its state in ./.sageflow/sandbox.db.
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "changes.sageflow.yaml").write_text(FLOW, encoding="utf-8")
    return tmp_path


def sageflow(*args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def poll(*args: str) -> dict[str, Any]:
    result = sageflow("poll", "changes.sageflow.yaml", "--once", "--json", *args)
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def call(component: str, *inputs: str) -> dict[str, Any]:
    args = [a for i in inputs for a in ("-i", i)]
    output: dict[str, Any] = json.loads(
        sageflow("call", f"sage_accounting/{component}", *args, "--json").stdout
    )
    return output


def new_draft_invoice() -> str:
    customer = call("findContact", "reference=ACME001")["items"][0]["id"]
    account = call("listLedgerAccounts", "search=4010")["items"][0]["id"]
    line = f"[{{description: Work, ledgerAccountId: {account}, quantity: 1, unitPrice: 100}}]"
    created = call(
        "createSalesInvoice",
        f"contactId={customer}",
        "date=2025-12-01",
        "statusId=DRAFT",
        f"invoiceLines={line}",
    )
    return str(created["id"])


def test_done_when_three_invoices_then_none_then_one_created_and_one_deleted(
    workdir: Path,
) -> None:
    assert poll() == {"events": 0, "runs": []}  # the first poll starts from now
    created = [new_draft_invoice() for _ in range(3)]
    report = poll()
    assert report["events"] == 3
    assert [(r["event"]["type"], r["event"]["id"], r["status"]) for r in report["runs"]] == [
        ("created", invoice, "ok") for invoice in created
    ]
    assert len({r["run_id"] for r in report["runs"]}) == 3
    assert poll() == {"events": 0, "runs": []}
    another = new_draft_invoice()
    call("deleteSalesInvoice", f"salesInvoiceId={created[1]}")  # a draft: really deleted
    report = poll()
    assert report["events"] == 2
    assert sorted((r["event"]["type"], r["event"]["id"]) for r in report["runs"]) == sorted(
        [("created", another), ("deleted", created[1])]
    )
    # Each run saw its own event as trigger.event.
    for run in report["runs"]:
        shown = json.loads(sageflow("runs", "show", run["run_id"], "--json").stdout)
        assert shown["outputs"] == {"change": f"{run['event']['type']} {run['event']['id']}"}
        assert shown["trigger"] == {"event": run["event"]}
        text = sageflow("runs", "show", run["run_id"]).stdout
        assert f"  trigger {run['event']['type']} {run['event']['id']} at " in text
    assert poll() == {"events": 0, "runs": []}


def test_backfill_with_from(workdir: Path) -> None:
    created = new_draft_invoice()
    report = poll("--from", "2020-01-01")
    ids = [r["event"]["id"] for r in report["runs"]]
    assert created in ids
    assert report["events"] == len(ids) >= 4  # the seed's invoices too
    assert poll("--from", "2020-01-01") == {"events": 0, "runs": []}


def test_bad_input_is_exit_2_with_a_message(workdir: Path) -> None:
    bad = sageflow("poll", "changes.sageflow.yaml", "--once", "--from", "last tuesday", code=2)
    assert "--from 'last tuesday': expected a date such as 2025-01-31" in bad.output
    Path("plain.sageflow.yaml").write_text(
        "name: plain\nsteps: [{id: s, uses: sage_accounting/getFinancialSettings}]\n"
    )
    plain = sageflow("poll", "plain.sageflow.yaml", "--once", code=2)
    assert "has no on: section" in plain.output
    Path("typo.sageflow.yaml").write_text(FLOW.replace("every:", "evry:"))
    typo = sageflow("poll", "typo.sageflow.yaml", "--once", code=2)
    assert "typo.sageflow.yaml:5:3: on.evry: unknown key (did you mean 'every'?)" in typo.output
    assert "Traceback" not in bad.output + plain.output + typo.output


def test_sageflow_run_of_a_triggered_flow(workdir: Path) -> None:
    refused = sageflow("run", "changes.sageflow.yaml", code=2)
    assert "run it with `sageflow poll changes.sageflow.yaml`" in refused.output
    event = {"type": "created", "id": "abc", "record": {"id": "abc"}, "at": "2025-01-01T00:00Z"}
    ran = sageflow("run", "changes.sageflow.yaml", "--event", json.dumps(event), "--json")
    assert json.loads(ran.stdout)["outputs"] == {"change": "created abc"}
    wrong = sageflow("run", "changes.sageflow.yaml", "--event", '{"id": "x"}', code=2)
    assert "a trigger event is a mapping with at, id, record, type" in wrong.output


@pytest.mark.skipif(sys.platform == "win32", reason="sends POSIX signals")
@pytest.mark.parametrize(
    ("sent", "code", "as_json"),
    [
        pytest.param(signal.SIGINT, 130, False, id="ctrl-c"),
        pytest.param(signal.SIGINT, 130, True, id="ctrl-c-json-lines"),
        pytest.param(signal.SIGTERM, 143, False, id="sigterm-a-service-manager-stop"),
    ],
)
def test_a_signal_stops_the_poller_cleanly(
    workdir: Path, sent: int, code: int, as_json: bool
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEFLOW_")}
    env["SAGEFLOW_CONFIG_DIR"] = str(workdir / "config")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from sageflow._cli import main; main()",
            "poll",
            "changes.sageflow.yaml",
            *(["--json"] if as_json else []),
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        # The first poll's line: the poller is now waiting out `every` before the next one.
        first = process.stdout.readline()
        if as_json:
            assert json.loads(first) == {"events": 0, "runs": []}
        else:
            assert first.startswith("poll: 0 new event(s), 0 run(s)")
        process.send_signal(sent)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == code, err
    assert "stopped; a run that was cut off resumes at the next poll" in err
    assert "Traceback" not in err + out
    if as_json:  # one JSON document per line, the last one saying why it ended
        documents = [json.loads(line) for line in out.splitlines()]
        assert documents[-1]["status"] == "interrupted"
    # The lease went with it: the next poller is not refused.
    assert poll() == {"events": 0, "runs": []}


#: A poller that stops inside its first run until told to go on (a line on stdin): while it
#: holds the flow's lease, another process polls the same flow and journal.
PAUSED = """
import sys
from sageflow._flows._journal import Journal

finished = Journal.step_finished
def step_finished(self, *args, **kwargs):
    finished(self, *args, **kwargs)
    if not getattr(Journal, "paused", False):
        Journal.paused = True
        print("inside a run", flush=True)
        sys.stdin.readline()
Journal.step_finished = step_finished

from sageflow._cli import main
main(["poll", "changes.sageflow.yaml", "--once", "--json"])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="pipes to a child process")
def test_a_second_poller_process_is_refused_while_the_first_runs(workdir: Path) -> None:
    poll()
    created = [new_draft_invoice() for _ in range(3)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEFLOW_")}
    env["SAGEFLOW_CONFIG_DIR"] = str(workdir / "config")
    first = subprocess.Popen(
        [sys.executable, "-c", PAUSED],
        cwd=workdir,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert first.stdin is not None
    assert first.stdout is not None
    try:
        assert first.stdout.readline() == "inside a run\n"
        second = sageflow("poll", "changes.sageflow.yaml", "--once", "--json", code=1)
        assert json.loads(second.stdout)["status"] == "failed"
        assert f"another poller (pid {first.pid} on" in second.stderr
        first.stdin.write("go\n")
        first.stdin.flush()
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, err
    report = json.loads(out)
    assert [r["event"]["id"] for r in report["runs"]] == created
    assert poll() == {"events": 0, "runs": []}
