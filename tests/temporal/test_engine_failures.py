"""Failures on Temporal read as they do locally: a component's error keeps its type, kind and
entries (and ``retry.on`` sees its kind); a flow a worker cannot load fails the run, not forever."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from sageflow._flows._api import arun_flow, load_flow
from sageflow._flows._engine import RunResult
from sageflow._temporal import TemporalSettings
from sageflow._temporal._client import TemporalRunError
from sageflow._temporal._sandbox import ServedSandbox, worker_caller_factory
from sageflow._temporal._worker import running_worker
from sageflow.sandbox import Chaos

FLOW = """
name: missing-contact
steps:
  - id: missing
    uses: sage_accounting/getContact
    with: {contactId: no-such-contact}
    retry: {max_attempts: 2, backoff: 0, on: [not_found]}
    on_error: continue
  - id: after
    uses: sage_accounting/listLedgerAccounts
    with: {search: "4010", visible_in: sales}
outputs:
  failed: ${{ steps.missing.status }}
  account: ${{ steps.after.output.items[0].displayed_as }}
"""


def test_a_component_error_on_temporal_is_the_local_one(
    temporal_server: str,
    task_queue: str,
    served_sandbox: ServedSandbox,
    tmp_path: Path,
) -> None:
    flow_file = tmp_path / "missing.sageflow.yaml"
    flow_file.write_text(FLOW)
    flow = load_flow(flow_file)
    settings = TemporalSettings(address=temporal_server, task_queue=task_queue)

    async def both() -> tuple[RunResult, RunResult, int]:
        factory = worker_caller_factory(sandbox_url=served_sandbox.url)
        async with running_worker(settings, caller_for=factory) as activities:
            remote = await arun_flow(
                flow, journal=None, env={}, run_id="r", engine="temporal", temporal=settings
            )
        caller = factory(None)
        try:
            local = await arun_flow(flow, caller=caller, journal=None, run_id="r")
        finally:
            await caller.aclose()  # type: ignore[attr-defined]
        return remote, local, activities.calls

    remote, local, calls = asyncio.run(both())

    assert remote.ok
    assert remote.outputs == local.outputs
    assert remote.outputs["failed"] == "failed"
    error = remote.steps["missing"].error
    assert error == local.steps["missing"].error
    assert error is not None
    assert error["type"] == "NotFoundError"
    assert error["kind"] == "not_found"
    assert error["attempts"] == 2  # the flow's retry.on saw the kind: retried once, by the engine
    assert error["status"] == 404
    assert calls == 3  # two attempts of the failing step, one listing: Temporal retried none


def test_a_flow_a_worker_cannot_load_fails_the_run(
    temporal_server: str, task_queue: str, served_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    flow_file = tmp_path / "missing.sageflow.yaml"
    flow_file.write_text(FLOW)
    flow = load_flow(flow_file)
    # What a worker without this pack (or with another version of it) would read.
    unknown = FLOW.replace("sage_accounting/getContact", "sage_accounting/getNoSuchThing")
    broken = dataclasses.replace(flow, source=dataclasses.replace(flow.source, text=unknown))
    settings = TemporalSettings(address=temporal_server, task_queue=task_queue)

    async def run() -> None:
        factory = worker_caller_factory(sandbox_url=served_sandbox.url)
        async with running_worker(settings, caller_for=factory):
            await arun_flow(
                broken,
                journal=tmp_path / "runs.db",
                env={},
                run_id="broken",
                engine="temporal",
                temporal=settings,
            )

    with pytest.raises(TemporalRunError, match=r"does not load on worker .*getNoSuchThing"):
        asyncio.run(run())


SLOW = """
name: too-slow
steps:
  - id: slow
    uses: sage_accounting/listLedgerAccounts
    with: {search: "4010", visible_in: sales}
    timeout: 0.2
    on_error: continue
outputs:
  status: ${{ steps.slow.status }}
"""


def test_a_step_timeout_on_temporal_is_the_local_one(
    temporal_server: str,
    task_queue: str,
    serve_sandbox: Callable[..., ServedSandbox],
    tmp_path: Path,
) -> None:
    # Every request takes a second: the step's 0.2 s timeout cuts it on either engine.
    slow = serve_sandbox(chaos=Chaos(latency=1.0))
    flow_file = tmp_path / "slow.sageflow.yaml"
    flow_file.write_text(SLOW)
    flow = load_flow(flow_file)
    settings = TemporalSettings(address=temporal_server, task_queue=task_queue)

    async def both() -> tuple[RunResult, RunResult]:
        factory = worker_caller_factory(sandbox_url=slow.url)
        async with running_worker(settings, caller_for=factory):
            remote = await arun_flow(
                flow, journal=None, env={}, run_id="t", engine="temporal", temporal=settings
            )
        caller = factory(None)
        try:
            local = await arun_flow(flow, caller=caller, journal=None, run_id="t")
        finally:
            await caller.aclose()  # type: ignore[attr-defined]
        return remote, local

    remote, local = asyncio.run(both())

    assert remote.outputs == local.outputs == {"status": "failed"}
    assert remote.steps["slow"].error == local.steps["slow"].error
    assert remote.steps["slow"].error == {
        "type": "TimeoutError",
        "message": "the step timed out",
        "kind": "timeout",
        "attempts": 1,
    }
