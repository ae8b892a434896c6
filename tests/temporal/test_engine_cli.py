"""``sageflow run --engine temporal``, ``--detach``, ``runs show`` and ``resume`` of such runs."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from temporalio.client import Client

from sageflow._cli import cli
from sageflow._temporal import TemporalSettings
from sageflow._temporal._sandbox import ServedSandbox, worker_caller_factory
from sageflow._temporal._worker import running_worker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

WAITING = """
name: waits-for-contact
inputs:
  contact: {type: string, description: The id of the contact to fetch.}
steps:
  - id: customer
    uses: sage_accounting/createContact
    with: {name: Resume Test Ltd, contactTypeIds: [CUSTOMER]}
  - id: fetched
    uses: sage_accounting/getContact
    with: {contactId: "${{ inputs.contact }}"}
    retry: {max_attempts: 2, backoff: 600, max_backoff: 600, on: [not_found]}
outputs:
  name: ${{ steps.fetched.output.name }}
"""


@pytest.fixture
def worker(
    temporal_server: str, task_queue: str, served_sandbox: ServedSandbox
) -> Iterator[TemporalSettings]:
    """A worker in a thread of its own (the CLI runs its own event loop) on the served sandbox."""
    settings = TemporalSettings(address=temporal_server, task_queue=task_queue)
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        stop = holder["stop"] = asyncio.Event()
        holder["loop"] = asyncio.get_running_loop()
        factory = worker_caller_factory(sandbox_url=served_sandbox.url)
        async with running_worker(settings, caller_for=factory):
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert ready.wait(60), "the worker did not start"
    yield settings
    holder["loop"].call_soon_threadsafe(holder["stop"].set)
    thread.join(timeout=30)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_SANDBOX_URL", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def sageflow(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _on(settings: TemporalSettings, served: ServedSandbox) -> list[str]:
    return [
        "--engine",
        "temporal",
        "--address",
        settings.address,
        "--task-queue",
        settings.task_queue,
        "--sandbox-url",
        served.url,
    ]


def test_run_on_temporal_prints_a_local_runs_json_and_summary(
    worker: TemporalSettings, served_sandbox: ServedSandbox, workdir: Path
) -> None:
    flow = str(EXAMPLES / "invoice-new-customer.sageflow.yaml")
    remote = sageflow("run", flow, "--json", *_on(worker, served_sandbox))
    assert remote.exit_code == 0, remote.output
    local = sageflow("run", flow, "--json", "--journal", str(workdir / "local.db"))
    assert local.exit_code == 0, local.output
    on_temporal = json.loads(remote.stdout)
    here = json.loads(local.stdout)
    assert set(on_temporal) == set(here)
    assert on_temporal["outputs"] == here["outputs"]
    assert on_temporal["outputs"]["new_customer"] is True
    assert [(s["id"], s["status"]) for s in on_temporal["steps"]] == [
        (s["id"], s["status"]) for s in here["steps"]
    ]
    # The run is in the local journal like any other, step rows included.
    shown = sageflow("runs", "show", on_temporal["runId"], "--json")
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.stdout)
    assert record["status"] == "ok"
    assert [s["path"] for s in record["steps"]] == ["found", "created", "sales_account", "invoice"]
    again = sageflow("run", flow, *_on(worker, served_sandbox))
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("run ")
    assert "succeeded" in again.stdout.splitlines()[0]
    assert "  skipped  created" in again.stdout  # the customer is found the second time


def test_detached_run_is_shown_while_it_waits_then_resumed_after_its_workflow_died(
    worker: TemporalSettings, served_sandbox: ServedSandbox, workdir: Path
) -> None:
    flow = workdir / "waits.sageflow.yaml"
    flow.write_text(WAITING)
    started = sageflow(
        "run", str(flow), "-i", "contact=nope", "--detach", "--json", *_on(worker, served_sandbox)
    )
    assert started.exit_code == 0, started.output
    run_id = json.loads(started.stdout)["runId"]
    assert json.loads(started.stdout)["workflowId"] == f"sageflow-{run_id}"

    # The second step's first attempt fails (404), and its retry waits 600 s on a workflow
    # timer: runs show asks the running workflow for its rows.
    # No deadline of its own (a loaded machine may take long): a run that never gets there
    # is a hang that pytest-timeout (pyproject) fails with every thread's stack.
    while True:
        shown = sageflow("runs", "show", run_id, "--json")
        assert shown.exit_code == 0, shown.output
        record = json.loads(shown.stdout)
        if any(s["path"] == "fetched" and s["status"] == "failed" for s in record["steps"]):
            break
        time.sleep(0.1)  # polling the run's state
    assert record["status"] == "running"
    created = next(s for s in record["steps"] if s["path"] == "customer")
    assert created["status"] == "ok"
    assert record["steps"][-1]["error"]["type"] == "NotFoundError"
    assert record["steps"][-1]["error"]["kind"] == "not_found"

    refused = sageflow("resume", run_id)
    assert refused.exit_code == 2
    assert "still running on Temporal" in refused.output

    async def terminate() -> None:
        client = await Client.connect(worker.address)
        await client.get_workflow_handle(f"sageflow-{run_id}").terminate("test")

    asyncio.run(terminate())
    gone = json.loads(sageflow("runs", "show", run_id, "--json").stdout)
    assert gone["status"] == "failed"
    assert "terminated" in gone["error"]["message"]

    # Resumed with the contact it created: a new workflow, the create reused, not repeated.
    contact = created["output"]["id"]
    resumed = sageflow("resume", run_id, "--force", "-i", f"contact={contact}", "--json")
    assert resumed.exit_code == 0, resumed.output
    result = json.loads(resumed.stdout[resumed.stdout.index("{") :])
    assert result["status"] == "ok"
    assert result["outputs"] == {"name": "Resume Test Ltd"}
    summary = sageflow("runs", "show", run_id)
    assert " ok " in summary.stdout
    names = [r["name"] for r in served_sandbox.simulator().records("contacts")]
    assert names.count("Resume Test Ltd") == 1


def test_run_on_temporal_refuses_dry_run_and_a_starter_connection(
    worker: TemporalSettings, served_sandbox: ServedSandbox, workdir: Path
) -> None:
    flow = str(EXAMPLES / "invoice-new-customer.sageflow.yaml")
    dry = sageflow("run", flow, "--dry-run", *_on(worker, served_sandbox))
    assert dry.exit_code == 2
    assert "--dry-run with --engine temporal" in dry.output
    named = sageflow("run", flow, "--connection", "prod", *_on(worker, served_sandbox))
    assert named.exit_code == 2
    assert "sageflow worker --connection" in named.output
