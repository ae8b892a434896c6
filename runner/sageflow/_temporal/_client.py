"""Starting a flow on Temporal, waiting for it, and writing its rows into the local journal.

The local SQLite journal stays the place ``sageflow runs`` reads: a Temporal run has its run
row there from the start, its step rows once it ends (or whenever ``runs show`` asks the
running workflow), and a ``temporal_runs`` row naming the workflow(s) that ran it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.service import RPCError

from sageflow._errors import SageflowError
from sageflow._flows._engine import RunResult
from sageflow._flows._journal import Journal
from sageflow._flows._model import Flow
from sageflow._temporal import TEMPORAL_RUNS_TABLE, TemporalSettings
from sageflow._temporal._codec import KEY_ENV, key_from_env
from sageflow._temporal._wire import encode, pack, unpack
from sageflow._temporal._worker import connect
from sageflow._temporal._workflow import (
    JOURNAL_QUERY,
    POLL_WORKFLOW,
    WORKFLOW_NAME,
    ActivityPolicy,
    PollArgs,
    ResumeSeed,
    RunArgs,
    result_from,
)


class TemporalRunError(SageflowError):
    """A Temporal run that could not start, or whose workflow failed outside the flow."""


@dataclass(frozen=True)
class Started:
    """A run started on Temporal and not waited for (``--detach``)."""

    run_id: str
    workflow_id: str


def workflows_of(journal: Journal, run_id: str) -> list[tuple[str, TemporalSettings]]:
    """The workflows that ran ``run_id``, oldest first ([] for a local run)."""
    journal.flush()
    journal.db.execute(TEMPORAL_RUNS_TABLE)
    rows = journal.db.execute(
        "SELECT workflow_id, address, namespace, task_queue FROM temporal_runs"
        " WHERE run_id = ? ORDER BY started",
        (run_id,),
    ).fetchall()
    env = TemporalSettings.from_env()
    return [
        (wid, TemporalSettings(address, namespace, queue, api_key=env.api_key, tls=env.tls))
        for wid, address, namespace, queue in rows
    ]


def _policy(settings: TemporalSettings) -> ActivityPolicy:
    return ActivityPolicy(
        start_to_close_seconds=settings.activity_timeout,
        heartbeat_seconds=settings.heartbeat_timeout,
        max_attempts=settings.activity_attempts,
    )


async def arun_on_temporal(
    flow: Flow,
    values: Mapping[str, Any],
    *,
    settings: TemporalSettings,
    journal: Journal | None,
    env: Mapping[str, str],
    run_id: str | None = None,
    trigger: Mapping[str, Any] | None = None,
    debug: bool = False,
    detach: bool = False,
    resume: ResumeSeed | None = None,
    client: Client | None = None,
    sandbox_url: str | None = None,
) -> RunResult | Started:
    """Start ``flow`` as a workflow and (unless ``detach``) wait for its result."""
    run_id = run_id or uuid.uuid4().hex[:16]
    _check_sealed(flow, values, env)
    client = client or await connect(settings)  # TemporalConnectError says what is wrong
    known = workflows_of(journal, run_id) if journal is not None else []
    workflow_id = f"sageflow-{run_id}" + (f"-resume-{len(known)}" if resume is not None else "")
    args = RunArgs(
        run_id=run_id,
        flow_file=flow.file,
        flow_text=flow.source.text,  # the workers parse it: they need no copy of the file
        inputs=encode(dict(values)),
        # The starter's values of the declared names only, as a local run reads them.
        env=encode({k: env[k] for k in flow.env if k in env}),
        trigger=encode(dict(trigger)) if trigger is not None else None,
        debug=debug,
        policy=_policy(settings),
        resume=resume,
        sandbox_url=sandbox_url,
    )
    if journal is not None and resume is None:
        secret = flow.secret_inputs()
        public = {k: ("[secret]" if k in secret else v) for k, v in values.items()}
        if trigger is not None:
            journal.set_run_trigger(run_id, trigger)
        journal.start_run(run_id, flow.name, flow.file, flow.hash, public)
    elif journal is not None:
        journal.set_run_status(run_id, "running")
    try:
        handle = await client.start_workflow(
            WORKFLOW_NAME,
            args,
            id=workflow_id,
            task_queue=settings.task_queue,
            result_type=str,
        )
    except RPCError as error:
        if journal is not None:
            journal.set_run_status(
                run_id, "failed", error={"type": "TemporalRunError", "message": str(error)}
            )
        raise TemporalRunError(f"cannot start workflow {workflow_id}: {error}") from None
    if journal is not None:
        journal.db.execute(TEMPORAL_RUNS_TABLE)
        journal.db.execute(
            "INSERT OR REPLACE INTO temporal_runs VALUES (?, ?, ?, ?, ?, ?)",
            (
                workflow_id,
                run_id,
                settings.address,
                settings.namespace,
                settings.task_queue,
                time.time(),
            ),
        )
    if detach:
        return Started(run_id, workflow_id)
    await _warn_if_no_worker(client, settings)
    try:
        text = await handle.result()
    except WorkflowFailureError as error:
        message = f"workflow {workflow_id} failed: {error.cause or error}"
        if journal is not None:
            journal.set_run_status(
                run_id, "failed", error={"type": "TemporalRunError", "message": message}
            )
        raise TemporalRunError(message) from None
    payload = unpack(text)
    if journal is not None:
        record_payload(journal, run_id, payload)
    return result_from(payload)


async def _warn_if_no_worker(client: Client, settings: TemporalSettings) -> None:
    """Say so when no worker polls the run's task queue: the run would wait for one in silence
    (a task queue name mistyped on the starter or the workers looks exactly like a hang)."""
    request = DescribeTaskQueueRequest(
        namespace=settings.namespace,
        task_queue=TaskQueue(name=settings.task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    try:
        described = await client.workflow_service.describe_task_queue(request)
    except RPCError:
        return  # a cluster that will not describe its queues still runs the workflow
    if not described.pollers:
        logging.getLogger("sageflow.temporal").warning(
            "no worker polls task queue %r on %s (namespace %s): the run waits until one does;"
            " start one with `sageflow worker --address %s --namespace %s --task-queue %s`",
            settings.task_queue,
            settings.address,
            settings.namespace,
            settings.address,
            settings.namespace,
            settings.task_queue,
        )


def _check_sealed(flow: Flow, values: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """A run's inputs and environment are in its workflow's history: a secret among them
    needs the history sealed (``SAGEFLOW_TEMPORAL_KEY``), or the run is refused."""
    secret = sorted(
        [k for k in flow.secret_inputs() if values.get(k) not in (None, "")]
        + [k for k, is_secret in flow.env.items() if is_secret and env.get(k)]
    )
    if secret and key_from_env() is None:
        raise TemporalRunError(
            f"{flow.file} is given secrets ({', '.join(secret)}) that Temporal would store in"
            f" the workflow's history in clear: set {KEY_ENV} (the same on this machine and"
            " every worker; sageflow._temporal._codec.new_key() makes one) to seal it"
        )


def record_payload(journal: Journal, run_id: str, payload: Mapping[str, Any]) -> None:
    """Write a workflow's journal (its result's, or its query's) into the local journal."""
    exported = payload.get("journal", payload)
    journal.put_steps(run_id, exported.get("steps") or ())
    run = exported.get("run")
    if run and run.get("status") not in (None, "running"):
        journal.set_run_status(
            run_id, run["status"], outputs=run.get("outputs") or None, error=run.get("error")
        )


def seed_from(journal: Journal, run_id: str) -> ResumeSeed:
    """What a resumed Temporal run starts from: the run's rows so far, and whether it died
    (still "running", or its workflow ended without a result: terminated, timed out, lost),
    in which case any step not completed may have been sent."""
    record = journal.run(run_id)
    rows = [s.to_dict() for s in journal.steps(run_id)]
    died = record is not None and (
        record.status == "running"
        or (isinstance(record.error, dict) and record.error.get("type") == "TemporalRunError")
    )
    return ResumeSeed(rows=pack(rows), crashed=died)


async def aprepare_resume(
    journal: Journal, run_id: str, settings: TemporalSettings | None
) -> TemporalSettings:
    """Before a Temporal run resumes: its rows brought in, and a run whose workflow still
    runs refused (two workflows of one run would send the same writes side by side)."""
    from sageflow._flows._engine import ResumeRefusedError

    found = workflows_of(journal, run_id)
    notice = await arefresh(journal, run_id)
    record = journal.run(run_id)
    if record is not None and record.status == "running":
        where = found[-1][0] if found else "its workflow"
        raise ResumeRefusedError(
            f"run {run_id} is still running on Temporal ({where})"
            + (f"; {notice}" if notice else "")
        )
    return settings or (found[-1][1] if found else TemporalSettings.from_env())


async def arefresh(journal: Journal, run_id: str, *, query_timeout: float = 10.0) -> str | None:
    """Bring a Temporal run's rows into ``journal`` (``runs show``); returns a notice when
    Temporal could not be asked (the journal is then shown as it is)."""
    found = workflows_of(journal, run_id)
    record = journal.run(run_id)
    if not found or record is None or record.status != "running":
        return None
    workflow_id, settings = found[-1]
    try:
        client = await connect(settings)
        handle = client.get_workflow_handle(workflow_id)
        described = await handle.describe()
        if described.status == WorkflowExecutionStatus.COMPLETED:
            record_payload(journal, run_id, unpack(await handle.result()))
        elif described.status == WorkflowExecutionStatus.RUNNING:
            text = await handle.query(
                JOURNAL_QUERY, result_type=str, rpc_timeout=dt.timedelta(seconds=query_timeout)
            )
            record_payload(journal, run_id, {"journal": unpack(text)})
        else:
            state = described.status.name.lower() if described.status else "gone"
            journal.set_run_status(
                run_id,
                "failed",
                error={"type": "TemporalRunError", "message": f"workflow {workflow_id} {state}"},
            )
    except (RuntimeError, RPCError, WorkflowFailureError) as error:
        return f"could not ask Temporal at {settings.address} about {workflow_id}: {error}"
    return None


def refresh(journal: Journal, run_id: str) -> str | None:
    """The synchronous twin of :func:`arefresh` (the CLI's)."""
    return asyncio.run(arefresh(journal, run_id))


def schedule_id_of(flow: Flow) -> str:
    """The Temporal schedule polling ``flow`` (one per flow and trigger, as a local poller's
    cursor and lease are)."""
    assert flow.trigger is not None
    return f"sageflow-poll-{flow.name}#{flow.trigger.ref}"


async def aschedule_poll(
    flow: Flow,
    values: Mapping[str, Any],
    *,
    settings: TemporalSettings,
    env: Mapping[str, str],
    since: dt.datetime | None = None,
    debug: bool = False,
    sandbox_url: str | None = None,
    poll_now: bool = False,
    client: Client | None = None,
) -> str:
    """Create (or update) the schedule that polls ``flow``'s trigger every ``on.every`` on the
    workers of ``settings``, its runs given ``values`` (the flow's inputs, defaults applied);
    ``poll_now`` also polls once at once. Returns the schedule id.

    Each poll is a workflow (``sageflow.poll_flow``) that takes its cursor from the previous
    poll's result and starts one run per new event, as a child workflow whose id is derived
    from the event: an event the trigger's overlapping window shows again is not run again.
    Polls never overlap (a poll still running when the next is due is skipped).
    """
    trigger = flow.trigger
    if trigger is None:
        raise TemporalRunError(f"{flow.file} has no on: section; it has no trigger to poll")
    from sageflow._flows._api import resolve_inputs

    values = resolve_inputs(flow, values)  # defaults applied, every value checked, first
    _check_sealed(flow, values, env)
    client = client or await connect(settings)
    schedule_id = schedule_id_of(flow)
    args = PollArgs(
        flow_file=flow.file,
        flow_text=flow.source.text,
        inputs=encode(dict(values)),
        env=encode({k: env[k] for k in flow.env if k in env}),
        debug=debug,
        policy=_policy(settings),
        sandbox_url=sandbox_url,
        since=since.isoformat() if since is not None else None,
    )
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            POLL_WORKFLOW, args, id=schedule_id, task_queue=settings.task_queue
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=dt.timedelta(seconds=trigger.every))]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(schedule_id, schedule, trigger_immediately=poll_now)
    except ScheduleAlreadyRunningError:
        handle = client.get_schedule_handle(schedule_id)
        await handle.update(lambda _old: ScheduleUpdate(schedule=schedule))
        if poll_now:
            await handle.trigger()
    return schedule_id
