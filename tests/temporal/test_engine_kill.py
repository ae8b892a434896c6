"""A worker SIGKILLed mid-loop while two others carry on: every record exists exactly once.

The sandbox is served with idempotency off (``--no-idempotency``): it writes every POST it is
sent, so only the runner's own reconciliation (a retried activity looks for its create's
marker first) stands between a lost worker and a second invoice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from sageflow._flows._api import arun_flow, load_flow
from sageflow._flows._engine import RunResult
from sageflow._temporal import TemporalSettings
from sageflow._temporal._sandbox import ServedSandbox
from sageflow.sandbox import Chaos

ITEMS = 40

FLOW = """
name: invoice-many
inputs:
  lines: {type: array, items: {type: object}}
steps:
  - id: customer
    uses: sage_accounting/createContact
    with: {name: Kill Test Ltd, contactTypeIds: [CUSTOMER]}
  - id: sales_account
    uses: sage_accounting/listLedgerAccounts
    with: {search: "4010", visible_in: sales}
  - id: invoices
    for_each: ${{ inputs.lines }}
    as: line
    concurrency: 12
    uses: sage_accounting/createSalesInvoice
    with:
      contactId: ${{ steps.customer.output.id }}
      date: ${{ today() }}
      invoiceLines:
        - description: ${{ line.description }}
          ledgerAccountId: ${{ steps.sales_account.output.items[0].id }}
          quantity: 1
          unitPrice: ${{ line.amount }}
          taxRateId: GB_STANDARD
outputs:
  invoices: ${{ size(steps.invoices.output) }}
"""


def _sageflow() -> str:
    return str(Path(sys.executable).with_name("sageflow"))


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen[bytes], Path]]]:
    """``start_worker(address, queue, env)``: a ``sageflow worker`` process, returned once it
    says it is polling (its stderr read, no fixed wait); every one is stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        address: str, queue: str, env: dict[str, str]
    ) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [_sageflow(), "worker", "--address", address, "--task-queue", queue, "--debug"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **env},
                cwd=tmp_path,
            )
        started.append(process)
        # Until the readiness line or the worker's exit; no deadline of its own (a loaded
        # machine starts slowly; a worker that neither starts nor exits is pytest-timeout's).
        while b"task queue" not in log.read_bytes() and process.poll() is None:
            time.sleep(0.01)  # polling the worker's log for its readiness line
        assert process.poll() is None, log.read_text()
        return process, log

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_sigkill_a_worker_mid_loop_every_invoice_exactly_once(
    temporal_server: str,
    task_queue: str,
    serve_sandbox: Callable[..., ServedSandbox],
    start_worker: Callable[..., tuple[subprocess.Popen[bytes], Path]],
    tmp_path: Path,
) -> None:
    # Each request takes 0.1-0.3 s, so the loop has calls in flight on every worker.
    served = serve_sandbox(idempotency=False, chaos=Chaos(latency=(0.1, 0.3)))
    sandbox = served.simulator()
    env = {**served.env, "SAGEFLOW_CONFIG_DIR": str(tmp_path / "config")}
    workers = [start_worker(temporal_server, task_queue, env) for _ in range(3)]
    flow_file = tmp_path / "invoice-many.sageflow.yaml"
    flow_file.write_text(FLOW)
    flow = load_flow(flow_file)
    lines = [{"description": f"Line {i:03d}", "amount": f"{10 + i}.50"} for i in range(ITEMS)]
    # A lost worker is noticed after 2 s without a heartbeat (not the default 30 s).
    settings = TemporalSettings(
        address=temporal_server, task_queue=task_queue, heartbeat_timeout=2.0
    )
    invoices_before = len(sandbox.records("sales_invoices"))

    async def run_and_kill() -> tuple[RunResult, int]:
        run = asyncio.ensure_future(
            arun_flow(
                flow,
                {"lines": lines},
                journal=tmp_path / "runs.db",
                env={},
                run_id="kill-test",
                engine="temporal",
                temporal=settings,
            )
        )
        # Mid-loop: a quarter of the invoices written. The worker that has sent the most
        # creates is killed (it is carrying calls), the other two carry on.
        while len(sandbox.records("sales_invoices")) - invoices_before < ITEMS // 4:
            assert not run.done(), run.result()
            await asyncio.sleep(0.02)
        busiest = max(workers, key=lambda w: w[1].read_bytes().count(b"POST"))
        busiest[0].send_signal(signal.SIGKILL)
        busiest[0].wait()
        result = await asyncio.wait_for(run, timeout=240)
        client = await Client.connect(temporal_server)
        history = await client.get_workflow_handle("sageflow-kill-test").fetch_history()
        retried = sum(
            1
            for event in history.events
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
            and event.activity_task_started_event_attributes.attempt > 1
        )
        return result, retried

    result, retried = asyncio.run(run_and_kill())

    assert result.ok, result.error
    assert result.outputs == {"invoices": ITEMS}
    # The kill cost something: calls the dead worker held were run again elsewhere.
    assert retried >= 1
    contact = result.steps["customer"].output["id"]
    mine: list[Any] = [
        r for r in sandbox.records("sales_invoices") if r["contact"]["id"] == contact
    ]
    described = Counter(r["invoice_lines"][0]["description"] for r in mine)
    assert described == Counter({line["description"]: 1 for line in lines})
    names = Counter(r["name"] for r in sandbox.records("contacts"))
    assert names["Kill Test Ltd"] == 1
