"""The engine inside a workflow is deterministic: a run's history replays with no difference.

A worker that takes over a run (its first one died, or evicted it from its cache) rebuilds the
engine's state by replaying the history; any effect the engine drew from outside the workflow
(the wall clock, a random id, the order loop tasks happen to finish) would make the replay
issue other commands and fail the run. Replayed here with Temporal's Replayer: a loop with
concurrency, an if, a step retried by the engine (a timer), and a step timeout.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from sageflow._flows._api import arun_flow, load_flow
from sageflow._temporal import TemporalSettings
from sageflow._temporal._sandbox import ServedSandbox, worker_caller_factory
from sageflow._temporal._worker import connect, running_worker
from sageflow._temporal._workflow import FlowWorkflow

FLOW = """
name: replayed
inputs:
  rows: {type: array, items: {type: object}}
steps:
  - id: created
    for_each: ${{ inputs.rows }}
    as: row
    concurrency: 5
    if: ${{ row.keep }}
    uses: sage_accounting/createContact
    with: {name: "${{ row.name }}", contactTypeIds: [CUSTOMER]}
    timeout: 60
  - id: missing
    uses: sage_accounting/getContact
    with: {contactId: no-such-contact}
    retry: {max_attempts: 2, backoff: 0.01, on: [not_found]}
    on_error: continue
outputs:
  made: ${{ size(steps.created.output.filter(c, c != null)) }}
  when: ${{ today() }}
"""


def test_a_run_history_replays_without_nondeterminism(
    temporal_server: str, task_queue: str, served_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    flow_file = tmp_path / "replayed.sageflow.yaml"
    flow_file.write_text(FLOW)
    rows = [{"name": f"Replay {i}", "keep": i % 3 != 0} for i in range(12)]
    settings = TemporalSettings(address=temporal_server, task_queue=task_queue)

    async def run() -> WorkflowHistory:
        client = await connect(settings)
        factory = worker_caller_factory(sandbox_url=served_sandbox.url)
        async with running_worker(settings, client=client, caller_for=factory):
            result = await arun_flow(
                load_flow(flow_file),
                {"rows": rows},
                journal=None,
                env={},
                run_id="replayed",
                engine="temporal",
                temporal=settings,
            )
        assert result.ok, result.error
        assert result.outputs["made"] == 8
        return await client.get_workflow_handle("sageflow-replayed").fetch_history()

    history = asyncio.run(run())
    replayer = Replayer(workflows=[FlowWorkflow], workflow_runner=UnsandboxedWorkflowRunner())
    replayed = asyncio.run(replayer.replay_workflow(history, raise_on_replay_failure=False))
    assert replayed.replay_failure is None
