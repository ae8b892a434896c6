"""A flow with ``on:`` polled by a Temporal schedule: each new event runs the flow once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from temporalio.client import Client

from sageflow._cli import cli
from sageflow._flows._api import arun_flow, load_flow, resolve_inputs
from sageflow._temporal import TemporalSettings
from sageflow._temporal._client import aschedule_poll
from sageflow._temporal._sandbox import ServedSandbox, worker_caller_factory
from sageflow._temporal._wire import decode, encode, unpack
from sageflow._temporal._worker import connect, running_worker
from sageflow._temporal._workflow import POLL_WORKFLOW, PollArgs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def _poll_once(client: Client, schedule_id: str, seen: int) -> dict[str, Any]:
    """Trigger one poll now and return its result (waiting on the schedule's own record of
    the polls it started, never a fixed time)."""
    handle = client.get_schedule_handle(schedule_id)
    await handle.trigger()
    # No deadline of its own: a loaded machine may take long, and a poll that never starts
    # is a hang that pytest-timeout (pyproject) fails with every thread's stack.
    while True:
        actions = (await handle.describe()).info.recent_actions
        if len(actions) > seen:
            break
        await asyncio.sleep(0.05)
    started = actions[-1].action
    text = await client.get_workflow_handle(started.workflow_id).result()
    polled = decode(text)
    assert isinstance(polled, dict)
    return polled


def test_a_schedule_polls_and_runs_each_new_invoice_once(
    temporal_server: str, task_queue: str, served_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    settings = TemporalSettings(address=temporal_server, task_queue=task_queue)
    follow_up = load_flow(EXAMPLES / "new-sales-invoice-follow-up.sageflow.yaml")
    invoice = load_flow(EXAMPLES / "invoice-new-customer.sageflow.yaml")
    factory = worker_caller_factory(sandbox_url=served_sandbox.url)

    async def scenario() -> tuple[list[dict[str, Any]], list[str]]:
        client = await connect(settings)
        async with running_worker(settings, client=client, caller_for=factory):
            schedule_id = await aschedule_poll(follow_up, {}, settings=settings, env={})
            try:
                first = await _poll_once(client, schedule_id, 0)  # from now: no event yet
                caller = factory(None)
                try:
                    for customer in ("Poll One Ltd", "Poll Two Ltd"):
                        made = await arun_flow(
                            invoice, {"customer": customer}, caller=caller, journal=None
                        )
                        assert made.ok, made.error
                finally:
                    await caller.aclose()  # type: ignore[attr-defined]
                second = await _poll_once(client, schedule_id, 1)
                runs = [
                    unpack(await client.get_workflow_handle(f"sageflow-{run}").result())
                    for run in second["runs"]
                ]
                third = await _poll_once(client, schedule_id, 2)
                # A poll that died before its result (its cursor) was kept: the next one reads
                # from the older cursor and sees the same events again. Played here by a poll
                # with no previous result, backfilling from before the invoices.
                again = decode(
                    await client.execute_workflow(
                        POLL_WORKFLOW,
                        PollArgs(
                            follow_up.file,
                            follow_up.source.text,
                            encode(resolve_inputs(follow_up, {})),
                            since=(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat(),
                        ),
                        id=f"{schedule_id}-replayed",
                        task_queue=task_queue,
                        result_type=str,
                    )
                )
            finally:
                await client.get_schedule_handle(schedule_id).delete()
        return [first, second, third, again], [r["result"]["status"] for r in runs]

    (first, second, third, again), statuses = asyncio.run(scenario())

    assert first["runs"] == []
    assert second["events"] == 2
    assert len(second["runs"]) == 2
    assert statuses == ["ok", "ok"]
    assert third["runs"] == []  # nothing new; nothing run twice
    assert again["events"] >= 2
    assert again["runs"] == []  # each event's run id says it was delivered: not run again
    assert again["dup"] == again["events"]
    contacts = {r["name"]: r for r in served_sandbox.simulator().records("contacts")}
    for customer in ("Poll One Ltd", "Poll Two Ltd"):
        notes = contacts[customer]["notes"]
        assert notes.count("Follow up SI-") == 1, notes


def test_cli_poll_on_temporal_creates_then_updates_the_schedule(
    temporal_server: str,
    task_queue: str,
    served_sandbox: ServedSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("SAGEFLOW_SANDBOX_URL", raising=False)
    flow = str(EXAMPLES / "new-sales-invoice-follow-up.sageflow.yaml")
    where = ["--engine", "temporal", "--address", temporal_server, "--task-queue", task_queue]
    # No account and no served sandbox named: a sandbox this command served would die with it.
    refused = CliRunner().invoke(cli, ["poll", flow, *where])
    assert refused.exit_code == 2
    assert "--sandbox-url" in refused.output
    args = ["poll", flow, *where, "--sandbox-url", served_sandbox.url, "--json"]
    created = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert created.exit_code == 0, created.output
    shown = json.loads(created.stdout)
    assert shown["every"] == "5m"
    updated = CliRunner().invoke(cli, [*args, "--once", "-i", "days_before_due=5"])
    assert updated.exit_code == 0, updated.output
    assert json.loads(updated.stdout)["pollNow"] is True

    async def described() -> Any:
        client = await Client.connect(temporal_server)
        handle = client.get_schedule_handle(shown["scheduleId"])
        try:
            return await handle.describe()
        finally:
            await handle.delete()

    schedule = asyncio.run(described())
    action = schedule.schedule.action
    assert action.task_queue == task_queue
    assert schedule.schedule.spec.intervals[0].every == dt.timedelta(minutes=5)
