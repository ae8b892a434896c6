"""The flow workflow: the one ``Engine`` interpreter, with Temporal's timers, clock and activities.

Nothing here does I/O. The engine takes its effects by injection, so on Temporal it gets a
caller whose every call is an activity (``sageflow.call_component``), ``asyncio.sleep`` (a
durable timer inside a workflow), ``workflow.now`` as its clock, and a journal that keeps rows
in memory: a query shows them while the run goes on, the result carries them at its end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.exceptions import CancelledError as ActivityCancelledError
from temporalio.exceptions import TimeoutError as ActivityTimeoutError

from sageflow._component import Component, Inputs
from sageflow._errors import SageflowError
from sageflow._execute import Caller, CallOptions
from sageflow._flows._engine import Engine, RemoteError, RunResult
from sageflow._flows._journal import RunRecord, StepRecord
from sageflow._temporal._wire import decode, encode, pack, unpack

WORKFLOW_NAME = "sageflow.run_flow"
ACTIVITY_NAME = "sageflow.call_component"
#: The ApplicationError type an activity raises for a component's failure (never retried by
#: Temporal: the engine's ``retry:`` decides, as in a local run).
STEP_ERROR = "SageflowStepError"
#: The query that returns the run's journal rows while it runs (``sageflow runs show``).
JOURNAL_QUERY = "journal"


@dataclass
class CallArgs:
    """One component call, as the activity receives it (every value JSON-safe)."""

    component: str
    #: The validated inputs (only the fields set), as :func:`sageflow._temporal._wire.encode`
    #: text: Decimals and dates keep their type.
    inputs: str
    idempotency_key: str | None = None
    business_id: str | None = None
    outcome_unknown: bool = False
    #: The flow connection's ``account`` (a configured connection's name), or None.
    account: str | None = None
    debug: bool = False
    #: The served sandbox the run names, for packs with no account on the worker.
    sandbox_url: str | None = None


@dataclass
class ActivityPolicy:
    """How the workflow schedules its activities (fixed per run, so replays agree)."""

    #: A call's longest run on a worker; the step's own ``timeout:`` is usually shorter.
    start_to_close_seconds: float = 600.0
    #: A worker that stops heartbeating for this long is taken as lost, and the call retried.
    heartbeat_seconds: float = 30.0
    #: Attempts after worker loss or an activity timeout (component errors are never retried
    #: by Temporal). 0: unlimited.
    max_attempts: int = 10


@dataclass
class ResumeSeed:
    """What a resumed run starts from: the journal rows of the run so far."""

    #: :meth:`StepRecord.to_dict` of every row (``_wire.pack``-ed: a big loop's rows are big).
    rows: str
    #: The run was still "running" (its process or workflow died): any step not completed
    #: may have been sent.
    crashed: bool = False


@dataclass
class RunArgs:
    """The workflow's input: the flow's text (workers need no copy of the file) and its run."""

    run_id: str
    flow_file: str
    flow_text: str
    #: The resolved inputs, ``_wire``-encoded.
    inputs: str
    #: The starter's values of the flow's declared ``env:`` names.
    env: str = "{}"
    trigger: str | None = None
    debug: bool = False
    policy: ActivityPolicy = field(default_factory=ActivityPolicy)
    resume: ResumeSeed | None = None
    #: The served sandbox every worker calls for packs with no account configured there
    #: (the one ``sageflow run --engine temporal`` started or was given); None: the worker's.
    sandbox_url: str | None = None


class RecordingJournal:
    """The engine's journal inside a workflow: rows in memory, timestamps from workflow time."""

    def __init__(self, seed: list[dict[str, Any]] | None = None, crashed: bool = False) -> None:
        self.run_row: dict[str, Any] | None = None
        self.crashed = crashed
        self.rows: dict[tuple[str, int], dict[str, Any]] = {}
        for row in seed or ():
            self.rows[(row["path"], row["attempt"])] = dict(row)

    @staticmethod
    def _now() -> float:
        return workflow.now().timestamp()

    def start_run(
        self, run_id: str, name: str, file: str, flow_hash: str, inputs: Mapping[str, Any]
    ) -> None:
        self.run_row = {
            "id": run_id,
            "flow": name,
            "file": file,
            "flowHash": flow_hash,
            "inputs": dict(inputs),
            "status": "running",
            "started": self._now(),
            "finished": None,
            "outputs": None,
            "error": None,
        }

    def set_run_trigger(self, run_id: str, payload: Mapping[str, Any]) -> None:
        pass  # the starter journals the trigger, with the run row, before the workflow starts

    def set_run_status(
        self, run_id: str, status: str, *, outputs: Any = None, error: Any = None
    ) -> None:
        if self.run_row is None:
            self.run_row = {"id": run_id, "started": self._now(), "inputs": {}}
        self.run_row.update(
            status=status,
            finished=None if status == "running" else self._now(),
            outputs=outputs,
            error=error,
        )

    def step_started(
        self, run_id: str, path: str, step_id: str, index: int | None, attempt: int
    ) -> None:
        self.rows[(path, attempt)] = {
            "path": path,
            "step": step_id,
            "index": index,
            "attempt": attempt,
            "status": "running",
            "started": self._now(),
            "finished": None,
            "output": None,
            "error": None,
        }

    def step_finished(
        self,
        run_id: str,
        path: str,
        attempt: int,
        status: str,
        *,
        output: Any = None,
        error: Any = None,
    ) -> None:
        row = self.rows[(path, attempt)]
        row.update(status=status, finished=self._now(), output=output, error=error)

    def step_skipped(self, run_id: str, path: str, step_id: str, index: int | None) -> None:
        now = self._now()
        self.rows[(path, 1)] = {
            "path": path,
            "step": step_id,
            "index": index,
            "attempt": 1,
            "status": "skipped",
            "started": now,
            "finished": now,
            "output": None,
            "error": None,
        }

    def _records(self) -> list[StepRecord]:
        # In the order they were written: workflow time stands still within a workflow task,
        # so a loop's rows share one timestamp and only their order tells them apart.
        return [
            StepRecord(
                r["path"],
                r["step"],
                r["index"],
                r["attempt"],
                r["status"],
                r["started"],
                r["finished"],
                r["output"],
                r["error"],
            )
            for r in self.rows.values()
        ]

    def completed(self, run_id: str) -> dict[str, StepRecord]:
        return {r.path: r for r in self._records() if r.status in ("ok", "skipped")}

    def attempts(self, run_id: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for path, attempt in self.rows:
            found[path] = max(found.get(path, 0), attempt)
        return found

    def run(self, run_id: str) -> RunRecord | None:
        # Resume asks only whether the run was left "running" (its worker or process died).
        status = "running" if self.crashed else "failed"
        return RunRecord(run_id, "", "", "", {}, status, 0.0, None, None, None)

    def export(self) -> dict[str, Any]:
        """The run row and every step row, as ``runs show --json`` has them."""
        return {"run": self.run_row, "steps": list(self.rows.values())}


class ActivityCaller:
    """The engine's caller inside the workflow: each component call is one activity."""

    def __init__(
        self,
        account: str | None,
        policy: ActivityPolicy,
        debug: bool,
        sandbox_url: str | None = None,
    ) -> None:
        self.account = account
        self.policy = policy
        self.debug = debug
        self.sandbox_url = sandbox_url

    async def acall(
        self,
        component: Component,
        inputs: Inputs | Mapping[str, Any],
        options: CallOptions = CallOptions(),  # noqa: B008 (frozen)
    ) -> dict[str, Any]:
        # By alias: what the activity's validate() reads back, whatever a field is named.
        set_inputs = (
            inputs.model_dump(exclude_unset=True, by_alias=True)
            if isinstance(inputs, Inputs)
            else dict(inputs)
        )
        try:
            text_inputs = encode(set_inputs)
        except TypeError as error:  # the step fails, not the workflow task (retried forever)
            raise RemoteError(
                {"type": "TypeError", "message": str(error), "kind": "other"}
            ) from None
        args = CallArgs(
            component=component.ref,
            inputs=text_inputs,
            idempotency_key=options.idempotency_key,
            business_id=options.business_id,
            outcome_unknown=options.outcome_unknown,
            account=self.account,
            debug=self.debug or options.debug,
            sandbox_url=self.sandbox_url,
        )
        policy = self.policy
        try:
            text = await workflow.execute_activity(
                ACTIVITY_NAME,
                args,
                result_type=str,
                start_to_close_timeout=dt.timedelta(seconds=policy.start_to_close_seconds),
                heartbeat_timeout=dt.timedelta(seconds=policy.heartbeat_seconds),
                retry_policy=RetryPolicy(
                    initial_interval=dt.timedelta(seconds=1),
                    maximum_interval=dt.timedelta(seconds=30),
                    maximum_attempts=policy.max_attempts,
                    non_retryable_error_types=[STEP_ERROR],
                ),
                summary=f"{component.ref} {options.idempotency_key or ''}".strip(),
            )
        except ActivityError as error:
            if isinstance(error.cause, ActivityCancelledError):
                # Cancelled by the step's timeout (asyncio.wait_for): the engine must see a
                # cancellation, which wait_for turns into the TimeoutError a local run gets.
                raise asyncio.CancelledError from None
            raise _remote(error.cause) from None
        output = decode(text)
        if not isinstance(output, dict):
            raise RemoteError(
                {"type": "TypeError", "message": f"{component.ref} returned no object"}
            )
        return output


def _remote(cause: BaseException | None) -> RemoteError:
    """The error the engine sees for a failed activity: the component's own, as the worker
    described it, or the activity's loss (timeouts after Temporal's retries ran out)."""
    if isinstance(cause, ApplicationError) and cause.type == STEP_ERROR and cause.details:
        details = cause.details[0]
        retry_after = cause.details[1] if len(cause.details) > 1 else None
        if isinstance(details, dict):
            return RemoteError(
                details, retry_after if isinstance(retry_after, int | float) else None
            )
    if isinstance(cause, ActivityTimeoutError):
        return RemoteError(
            {"type": "TimeoutError", "message": f"the call timed out ({cause})", "kind": "timeout"}
        )
    name = type(cause).__name__ if cause is not None else "ActivityError"
    return RemoteError({"type": name, "message": str(cause or name), "kind": "other"})


@workflow.defn(name=WORKFLOW_NAME)
class FlowWorkflow:
    """Runs one flow with the engine; its result is the run's result and journal rows."""

    def __init__(self) -> None:
        self._journal = RecordingJournal()

    @workflow.run
    async def run(self, args: RunArgs) -> str:
        from sageflow._flows._api import load_flow

        started = workflow.now()
        if args.resume is not None:
            self._journal = RecordingJournal(unpack(args.resume.rows), args.resume.crashed)
        try:
            flow = load_flow(args.flow_file, text=args.flow_text)
        except SageflowError as error:
            # A worker without the flow's pack (or another version of it): the run fails and
            # says why, rather than its workflow task being retried until someone looks.
            raise ApplicationError(
                f"{args.flow_file} does not load on worker {workflow.info().task_queue}: {error}",
                type=type(error).__name__,
                non_retryable=True,
            ) from None
        callers: dict[str | None, Caller] = {}

        def caller_for(account: str | None) -> Caller:
            found = callers.get(account)
            if found is None:
                found = callers[account] = ActivityCaller(
                    account, args.policy, args.debug, args.sandbox_url
                )
            return found

        engine = Engine(
            flow,
            caller_for,
            journal=self._journal,
            env=decode(args.env),
            sleep=asyncio.sleep,  # a durable timer inside a workflow
            clock=workflow.now,
            progress=None,
            debug=args.debug,
        )
        trigger = decode(args.trigger) if args.trigger is not None else None
        result = await engine.run(
            decode(args.inputs),
            run_id=args.run_id,
            resume=args.resume is not None,
            trigger=trigger,
        )
        result.duration = (workflow.now() - started).total_seconds()
        return pack(
            {
                "result": result.to_dict(),
                "reused": [s.id for s in result.steps.values() if s.reused],
                "journal": self._journal.export(),
            }
        )

    @workflow.query(name=JOURNAL_QUERY)
    def journal(self) -> str:
        """The run's rows so far (``_wire.pack``-ed), for ``runs show`` while it runs."""
        return pack(self._journal.export())


def result_from(payload: Mapping[str, Any]) -> RunResult:
    """The :class:`RunResult` a finished workflow's result describes."""
    from sageflow._flows._engine import StepResult

    data = payload["result"]
    reused = set(payload.get("reused") or ())
    steps = {
        s["id"]: StepResult(
            s["id"],
            s["status"],
            output=s.get("output"),
            error=s.get("error"),
            items=s.get("items"),
            reused=s["id"] in reused,
        )
        for s in data["steps"]
    }
    return RunResult(
        run_id=data["runId"],
        flow=data["flow"],
        status=data["status"],
        outputs=data["outputs"],
        steps=steps,
        error=data.get("error"),
        dry_run=bool(data.get("dryRun")),
        duration=float(data.get("durationSeconds") or 0.0),
    )


POLL_WORKFLOW = "sageflow.poll_flow"
POLL_ACTIVITY = "sageflow.poll_trigger"


@dataclass
class TriggerArgs:
    """One poll of a trigger, as the activity receives it."""

    ref: str
    #: The trigger's ``with:`` values and the cursor, ``_wire``-encoded (cursor None: the first).
    inputs: str
    cursor: str | None = None
    #: ISO date-time: a first poll's backfill start (``--from``); None: from now.
    since: str | None = None
    sandbox_url: str | None = None


@dataclass
class PollArgs:
    """A scheduled poll of a flow with ``on:``: what each run it starts is given."""

    flow_file: str
    flow_text: str
    inputs: str
    env: str = "{}"
    debug: bool = False
    policy: ActivityPolicy = field(default_factory=ActivityPolicy)
    sandbox_url: str | None = None
    since: str | None = None


def polled_run_id(flow_key: str, event_keys: list[str]) -> str:
    """The run of a group of events: the same id (and workflow id) however often a poll sees
    them, which is what makes a delivery once-only (the trigger's window overlaps on purpose)."""
    digest = hashlib.sha256("\n".join([flow_key, *event_keys]).encode()).hexdigest()
    return "poll-" + digest[:16]


@workflow.defn(name=POLL_WORKFLOW)
class PollWorkflow:
    """One poll of a flow's trigger (a Temporal schedule starts it every ``on.every``): the
    cursor comes from the previous poll's result, each new event (or ``on.batch`` of them)
    starts one flow run as a child workflow whose id is derived from its events."""

    @workflow.run
    async def run(self, args: PollArgs) -> str:
        from sageflow._flows._api import load_flow

        try:
            flow = load_flow(args.flow_file, text=args.flow_text)
        except SageflowError as error:
            raise ApplicationError(
                f"{args.flow_file} does not load on worker {workflow.info().task_queue}: {error}",
                type=type(error).__name__,
                non_retryable=True,
            ) from None
        trigger = flow.trigger
        if trigger is None:
            raise ApplicationError(f"{args.flow_file} has no on:", non_retryable=True)
        # A failed poll leaves no completion result: the next one starts from the last cursor.
        text = (
            workflow.get_last_completion_result(str)
            if workflow.has_last_completion_result()
            else None
        )
        last = decode(text) if text else None
        cursor = last["cursor"] if isinstance(last, dict) else None
        try:
            text = await workflow.execute_activity(
                POLL_ACTIVITY,
                TriggerArgs(
                    ref=trigger.ref,
                    inputs=encode(dict(trigger.with_)),
                    cursor=encode(cursor) if cursor is not None else None,
                    since=None if cursor is not None else args.since,
                    sandbox_url=args.sandbox_url,
                ),
                result_type=str,
                start_to_close_timeout=dt.timedelta(seconds=args.policy.start_to_close_seconds),
                heartbeat_timeout=dt.timedelta(seconds=args.policy.heartbeat_seconds),
                retry_policy=RetryPolicy(
                    maximum_attempts=args.policy.max_attempts,
                    non_retryable_error_types=[STEP_ERROR],
                ),
            )
        except ActivityError as error:
            raise ApplicationError(f"the poll failed: {_remote(error.cause)}") from None
        polled = decode(text)
        size = trigger.batch or 1
        events = polled["events"]
        key = f"{flow.name}#{trigger.ref}"
        runs: list[str] = []
        duplicates = 0
        for at in range(0, len(events), size):
            group = events[at : at + size]
            run_id = polled_run_id(key, [e["key"] for e in group])
            payload = (
                {"events": [e["event"] for e in group]}
                if trigger.batch is not None
                else {"event": group[0]["event"]}
            )
            try:
                await workflow.start_child_workflow(
                    WORKFLOW_NAME,
                    RunArgs(
                        run_id=run_id,
                        flow_file=args.flow_file,
                        flow_text=args.flow_text,
                        inputs=args.inputs,
                        env=args.env,
                        trigger=encode(payload),
                        debug=args.debug,
                        policy=args.policy,
                        sandbox_url=args.sandbox_url,
                    ),
                    id=f"sageflow-{run_id}",
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                )
            except WorkflowAlreadyStartedError:
                duplicates += 1  # an earlier poll delivered these events
                continue
            runs.append(run_id)
        return encode(
            {"cursor": polled["cursor"], "events": len(events), "runs": runs, "dup": duplicates}
        )
