"""Executes a validated flow with asyncio: conditions, loops, retries, timeouts and the journal."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sageflow._component import Component
from sageflow._errors import (
    APIError,
    InputValidationError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    SageflowError,
    ServerError,
)
from sageflow._execute import Caller, CallOptions, afirst_write, describe_write, pack_caller
from sageflow._flows._expr import Clock, ExpressionError, Scope, Template, helpers, render
from sageflow._flows._model import Flow, Step, reserved_env
from sageflow._http._redact import registered_secrets
from sageflow._registry import get_component, get_pack, known_pack
from sageflow._values import HTTPRequest, HTTPResponse

Sleep = Callable[[float], Awaitable[None]]
CallerFactory = Callable[[str | None], Caller]
#: Called as progress(step_id, done, total) while a loop runs (the CLI draws a bar with it).
Progress = Callable[[str, int, int], None]
#: Called for every write a dry run would send: (step path, request description).
DryWrite = Callable[[str, dict[str, Any]], None]


#: The least time between two progress reports of one loop (the first and last always go).
PROGRESS_INTERVAL = 0.1


class StepFailedError(SageflowError):
    """A step (or a loop item) that failed after its retries."""

    def __init__(self, path: str, error: dict[str, Any]) -> None:
        self.path = path
        self.error = error
        super().__init__(f"{path}: {error.get('message', error.get('type'))}")


class ResumeRefusedError(SageflowError):
    """Resume was asked for a run that cannot or must not continue."""


class RemoteError(SageflowError):
    """An error raised where the call ran (a Temporal activity), carried back as the dict
    :func:`error_details` made of it there: retries (``retry.on``) and ``runs show`` see the
    same kind and details as in a local run."""

    def __init__(self, details: dict[str, Any], retry_after: float | None = None) -> None:
        self.details = details
        self.retry_after = retry_after
        super().__init__(str(details.get("message", details.get("type", "error"))))


class RunJournal(Protocol):
    """What the engine writes a run to: the SQLite :class:`Journal`, or the in-workflow
    recorder of the Temporal engine (``sageflow._temporal``)."""

    def start_run(
        self, run_id: str, name: str, file: str, flow_hash: str, inputs: Mapping[str, Any]
    ) -> None: ...

    def set_run_trigger(self, run_id: str, payload: Mapping[str, Any]) -> None: ...

    def set_run_status(
        self, run_id: str, status: str, *, outputs: Any = None, error: Any = None
    ) -> None: ...

    def step_started(
        self, run_id: str, path: str, step_id: str, index: int | None, attempt: int
    ) -> None: ...

    def step_finished(
        self,
        run_id: str,
        path: str,
        attempt: int,
        status: str,
        *,
        output: Any = None,
        error: Any = None,
    ) -> None: ...

    def step_skipped(self, run_id: str, path: str, step_id: str, index: int | None) -> None: ...

    def completed(self, run_id: str) -> Mapping[str, Any]: ...

    def attempts(self, run_id: str) -> dict[str, int]: ...

    def run(self, run_id: str) -> Any: ...


@dataclass
class StepResult:
    id: str
    status: str  # ok | failed | skipped | dry-run
    output: Any = None
    error: dict[str, Any] | None = None
    items: list[dict[str, Any]] | None = None
    attempts: int = 0
    reused: bool = False

    def context(self) -> dict[str, Any]:
        """What ``steps.<id>`` shows to later expressions (no ``output`` key when skipped)."""
        out: dict[str, Any] = {"status": self.status}
        if self.status != "skipped" and self.output is not None:
            out["output"] = self.output
        if self.error is not None:
            out["error"] = self.error
        if self.items is not None:
            out["errors"] = [
                {"index": i, **(r["error"] or {})}
                for i, r in enumerate(self.items)
                if r.get("error")
            ]
        return out

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "status": self.status, "output": self.output, "error": self.error}
        if self.items is not None:
            out["items"] = self.items
        if self.status == "dry-run":
            out["outputIsExample"] = True
        return out


@dataclass(repr=False)
class RunResult:
    """The outcome of a run: what ``run_flow`` returns and ``sageflow run --json`` prints."""

    run_id: str
    flow: str
    status: str  # ok | failed
    outputs: dict[str, Any]
    steps: dict[str, StepResult]
    error: dict[str, Any] | None = None
    dry_run: bool = False
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def __repr__(self) -> str:
        # Short on purpose: on Python 3.11 asyncio.run() formats the finished main task, and
        # with it this result, while restoring the SIGINT handler; a generated repr of every
        # loop item's output cost ~25 ms per 1,000 items at the end of each run_flow().
        return (
            f"RunResult(run_id={self.run_id!r}, flow={self.flow!r}, status={self.status!r},"
            f" steps={len(self.steps)}, dry_run={self.dry_run})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "runId": self.run_id,
            "flow": self.flow,
            "status": self.status,
            "dryRun": self.dry_run,
            "durationSeconds": round(self.duration, 3),
            "outputs": self.outputs,
            "error": self.error,
            "steps": [s.to_dict() for s in self.steps.values()],
        }


def idempotency_key(run_id: str, path: str) -> str:
    """The same key for every attempt, and every resume, of one step path of one run.

    Readable on purpose (``sageflow-<run>-invoice[3]``): a support person reading the API's
    logs can tell which run and loop item sent a write.
    """
    return f"sageflow-{run_id}-{path}"


def error_kind(error: BaseException) -> str:
    """The retry category of an error, as named in a step's ``retry.on``."""
    if isinstance(error, RemoteError):
        return str(error.details.get("kind", "other"))
    if isinstance(error, RateLimitedError):
        return "rate_limited"
    if isinstance(error, ServerError):
        return "server_error"
    if isinstance(error, NotFoundError):
        return "not_found"
    if isinstance(error, APIError):
        return "api_error"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, OutcomeUnknownError):
        return "connection"  # a write cut off after it was sent; the retry looks first
    name = type(error).__name__
    module = type(error).__module__
    if module.startswith(("httpx", "httpcore")) or isinstance(error, ConnectionError):
        return "timeout" if "Timeout" in name else "connection"
    return "other"


def error_details(error: BaseException) -> dict[str, Any]:
    """What a step's failure journals and reports: type, message, kind and the API's entries
    (unmasked: the engine masks the run's secrets, an activity the connection's)."""
    if isinstance(error, RemoteError):
        return dict(error.details)
    if isinstance(error, APIError):
        details = error.to_dict()
    elif isinstance(error, InputValidationError):
        details = {
            "type": "InputValidationError",
            "message": str(error),
            "problems": [{"path": p.path, "message": p.message} for p in error.problems],
        }
    elif isinstance(error, TimeoutError):
        details = {"type": "TimeoutError", "message": "the step timed out"}
    else:
        details = {"type": type(error).__name__, "message": str(error) or type(error).__name__}
    details["kind"] = error_kind(error)
    return details


def _retryable(error: BaseException, on: tuple[str, ...]) -> bool:
    if isinstance(error, InputValidationError | ExpressionError):
        return False  # the same inputs fail the same way
    return "any" in on or error_kind(error) in on


class Engine:
    """Runs one flow. Inject ``sleep`` and ``clock`` to test retries and dates without waiting."""

    def __init__(
        self,
        flow: Flow,
        caller_for: CallerFactory,
        *,
        journal: RunJournal | None = None,
        env: Mapping[str, str] | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock | None = None,
        progress: Progress | None = None,
        dry_run: bool = False,
        on_dry_write: DryWrite | None = None,
        debug: bool = False,
    ) -> None:
        self.flow = flow
        self.caller_for = caller_for
        self.journal = journal
        # A connection's own variables (SAGEFLOW_ACCESS_TOKEN, ...) never reach a flow, even
        # one built without the validator that refuses them.
        self.env = {k: v for k, v in (env or {}).items() if k in flow.env and not reserved_env(k)}
        self.sleep = sleep
        self.clock: Clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.progress = progress
        self.dry_run = dry_run
        self.on_dry_write = on_dry_write
        self.debug = debug
        self.functions = helpers(self.clock)
        self._callers: dict[str | None, Caller] = {}
        self._secrets: list[str] = []
        self._ticks: Callable[[], float] = time.monotonic
        self._last_progress = float("-inf")
        self._unreported: tuple[str, int, int] | None = None

    # -- public ---------------------------------------------------------------------------------

    async def run(
        self,
        inputs: Mapping[str, Any],
        *,
        run_id: str | None = None,
        resume: bool = False,
        trigger: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """Run (or with ``resume``, continue) the flow; ``trigger`` is what a flow with ``on:``
        reads as ``trigger`` (``{"event": ...}``, or ``{"events": [...]}`` when batched)."""
        run_id = run_id or uuid.uuid4().hex[:16]
        started = time.perf_counter()
        secret_names = self.flow.secret_inputs()
        self._secrets = [
            str(v) for k, v in inputs.items() if k in secret_names and v not in (None, "")
        ] + [v for k, v in self.env.items() if self.flow.env.get(k) and v]
        completed: dict[str, Any] = {}
        attempts: dict[str, int] = {}
        crashed = False
        if self.journal is not None:
            if resume:
                completed = dict(self.journal.completed(run_id))
                attempts = self.journal.attempts(run_id)
                previous = self.journal.run(run_id)
                # Still "running": the process died. The journal commits step rows in groups,
                # so the last rows before the crash may be lost, "started" ones included: any
                # step not completed may have been sent.
                crashed = previous is not None and previous.status == "running"
                self.journal.set_run_status(run_id, "running")
            else:
                public = self._scrub(
                    {k: ("[secret]" if k in secret_names else v) for k, v in inputs.items()}
                )
                if trigger is not None:  # first: a run row without it could not resume
                    self.journal.set_run_trigger(run_id, trigger)
                self.journal.start_run(
                    run_id, self.flow.name, self.flow.file, self.flow.hash, public
                )
        steps: dict[str, Mapping[str, Any]] = {}
        results: dict[str, StepResult] = {}
        scope = Scope(
            inputs=dict(inputs),
            steps=steps,
            run={
                "id": run_id,
                "started": self.clock().isoformat().replace("+00:00", "Z"),
                "flow": self.flow.name,
            },
            env=self.env,
            functions=self.functions,
            cancelled=_cancel_check(),
            max_work=self.flow.limits.max_expression_work,
            max_size=self.flow.limits.max_expression_size,
            trigger=trigger,
        )
        ctx = _RunContext(run_id, completed, attempts, crashed)
        try:
            failure = await self._steps(scope, ctx, steps, results)
        finally:
            # Also on a crash-like exit (cancelled, interrupted), so connections are released;
            # the journal then still says "running", which is what resume looks for.
            await self._close_callers()
        outputs: dict[str, Any] = {}
        if failure is None:
            try:
                outputs = {
                    name: self._render(value.compiled, scope)
                    for name, value in self.flow.outputs.items()
                }
            except ExpressionError as error:
                failure = {"step": None, **self._error(error)}
        outputs = self._scrub(outputs)
        status = "failed" if failure else "ok"
        if self.journal is not None:
            self.journal.set_run_status(run_id, status, outputs=outputs or None, error=failure)
        return RunResult(
            run_id=run_id,
            flow=self.flow.name,
            status=status,
            outputs=outputs,
            steps=results,
            error=failure,
            dry_run=self.dry_run,
            duration=time.perf_counter() - started,
        )

    async def _steps(
        self,
        scope: Scope,
        ctx: _RunContext,
        steps: dict[str, Mapping[str, Any]],
        results: dict[str, StepResult],
    ) -> dict[str, Any] | None:
        for step in self.flow.steps:
            try:
                result = await self._step(step, scope, ctx)
            except Exception as error:  # a bug must fail the run, not leave it "running"
                failed = (
                    error
                    if isinstance(error, StepFailedError)
                    else StepFailedError(step.id, self._error(error))
                )
                result = StepResult(step.id, "failed", error=failed.error)
                if failed.path != step.id and failed.error.get("items") is not None:
                    result.items = failed.error.pop("items")
                results[step.id] = result
                steps[step.id] = result.context()
                if step.on_error == "fail":
                    return {"step": step.id, **failed.error}
                continue
            results[step.id] = result
            steps[step.id] = result.context()
        return None

    # -- steps ----------------------------------------------------------------------------------

    async def _step(self, step: Step, scope: Scope, ctx: _RunContext) -> StepResult:
        if step.timeout is not None:
            # The step's timeout also bounds its expressions (CEL runs without yielding).
            scope = dataclasses.replace(scope, timeout=step.timeout)
        per_item_if = step.if_ is not None and step.for_each is not None and _reads_loop(step)
        if step.if_ is not None and not per_item_if:
            done = ctx.completed.get(step.id)
            if done is not None and done.status == "skipped":
                return StepResult(step.id, "skipped", reused=True)
            if not self._truthy(step, scope):
                if self.journal is not None:
                    self.journal.step_skipped(ctx.run_id, step.id, step.id, None)
                return StepResult(step.id, "skipped")
        component = get_component(step.uses)
        if step.for_each is None:
            return await self._call(step, component, scope, ctx, step.id, None)
        try:
            items = self._render(step.for_each.compiled, scope)
        except ExpressionError as error:
            raise StepFailedError(step.id, self._error(error)) from None
        if not isinstance(items, list):
            raise StepFailedError(
                step.id,
                {
                    "type": "ExpressionError",
                    "message": f"for_each gave {type(items).__name__}, not a list",
                },
            )
        if len(items) > self.flow.limits.max_loop_items:
            raise StepFailedError(
                step.id,
                {
                    "type": "LimitError",
                    "message": f"for_each gave {len(items)} items;"
                    f" the limit is {self.flow.limits.max_loop_items}",
                },
            )
        return await self._loop(step, component, scope, ctx, items, per_item_if)

    async def _loop(
        self,
        step: Step,
        component: Component,
        scope: Scope,
        ctx: _RunContext,
        items: list[Any],
        per_item_if: bool,
    ) -> StepResult:
        total = len(items)
        records: list[dict[str, Any]] = [
            {"status": "pending", "output": None, "error": None}
        ] * total
        records = [dict(r) for r in records]
        next_index = 0
        done = 0
        stop = False

        async def worker() -> None:
            nonlocal next_index, done, stop
            while not stop and next_index < total:
                index = next_index
                next_index += 1
                item_scope = scope.child(items[index], index, step.as_)
                path = f"{step.id}[{index}]"
                if per_item_if:
                    reused = ctx.completed.get(path)
                    skip = reused is not None and reused.status == "skipped"
                    if not skip and reused is None:
                        try:
                            skip = not self._truthy(step, item_scope)
                        except StepFailedError as failed:
                            records[index] = {
                                "status": "failed",
                                "output": None,
                                "error": failed.error,
                            }
                            stop = stop or step.on_error == "fail"
                            done += 1
                            continue
                    if skip:
                        if self.journal is not None and reused is None:
                            self.journal.step_skipped(ctx.run_id, path, step.id, index)
                        records[index] = {"status": "skipped", "output": None, "error": None}
                        done += 1
                        self._progress(step.id, done, total)
                        continue
                try:
                    result = await self._call(step, component, item_scope, ctx, path, index)
                    records[index] = {
                        "status": result.status,
                        "output": result.output,
                        "error": None,
                    }
                except StepFailedError as failed:
                    records[index] = {"status": "failed", "output": None, "error": failed.error}
                    if step.on_error == "fail":
                        stop = True
                done += 1
                self._progress(step.id, done, total)

        self._progress(step.id, 0, total)
        workers = [
            asyncio.ensure_future(worker()) for _ in range(min(step.concurrency, total) or 1)
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            self._flush_progress()  # a loop stopped by a failure shows where it stopped
        failed = [i for i, r in enumerate(records) if r["status"] == "failed"]
        outputs = [r["output"] for r in records]
        if failed:
            first = records[failed[0]]["error"] or {}
            error = {
                "type": "LoopFailed",
                "message": f"{len(failed)} of {total} items failed; first, {step.id}[{failed[0]}]: "
                f"{first.get('message', first.get('type'))}",
                "failedIndexes": failed,
                "items": records,
            }
            if step.on_error == "fail":
                raise StepFailedError(f"{step.id}[]", error)
            result = StepResult(
                step.id,
                "failed",
                output=outputs,
                error={k: v for k, v in error.items() if k != "items"},
                items=records,
            )
            return result
        status = "dry-run" if any(r["status"] == "dry-run" for r in records) else "ok"
        return StepResult(step.id, status, output=outputs, items=records)

    def _truthy(self, step: Step, scope: Scope) -> bool:
        assert step.if_ is not None
        try:
            value = self._render(step.if_.compiled, scope)
        except ExpressionError as error:
            raise StepFailedError(step.id, self._error(error)) from None
        return bool(value)

    async def _call(
        self,
        step: Step,
        component: Component,
        scope: Scope,
        ctx: _RunContext,
        path: str,
        index: int | None,
    ) -> StepResult:
        reused = ctx.completed.get(path)
        if reused is not None:
            return StepResult(step.id, reused.status, output=reused.output, reused=True)
        try:
            raw = self._render(step.with_.compiled, scope)
            if not isinstance(raw, dict):
                raise ExpressionError(f"`with` gave {type(raw).__name__}, not a mapping of inputs")
            # Validated here, before anything is sent: a bad value never reaches Sage.
            inputs = component.validate(raw)
        except (ExpressionError, InputValidationError) as error:
            raise StepFailedError(path, self._error(error)) from None
        connection = self.flow.connections.get(step.connection or "")
        if self.dry_run and not component.annotations.read_only:
            return await self._dry(step, component, inputs, path, connection)
        options = CallOptions(
            idempotency_key=idempotency_key(ctx.run_id, path),
            business_id=connection.business_id if connection else None,
            debug=self.debug,
            on_response=self._listing_progress(step, component) if index is None else None,
        )
        try:
            caller = self._caller(connection.account if connection else None)
        except SageflowError as error:  # no credentials, no sandbox: the step cannot start
            raise StepFailedError(path, self._error(error)) from None
        first = ctx.attempts.get(path, 0)
        # A step that was started before (in a run being resumed) or whose attempt failed may
        # have taken effect: its creates look for their markers before writing again.
        unknown = first > 0 or ctx.crashed
        attempt = 0
        while True:
            attempt += 1
            number = first + attempt
            if self.journal is not None:
                self.journal.step_started(ctx.run_id, path, step.id, index, number)
            try:
                if unknown or attempt > 1:
                    options = replace(options, outcome_unknown=True)
                call = caller.acall(component, inputs, options)
                output = await (asyncio.wait_for(call, step.timeout) if step.timeout else call)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # every failure is typed, journaled and maybe retried
                details = self._error(error)
                if self.journal is not None:
                    self.journal.step_finished(ctx.run_id, path, number, "failed", error=details)
                if attempt < step.retry.max_attempts and _retryable(error, step.retry.on):
                    await self.sleep(self._backoff(step, attempt, error))
                    continue
                details["attempts"] = attempt
                raise StepFailedError(path, details) from None
            output = self._scrub(output)
            if self.journal is not None:
                self.journal.step_finished(ctx.run_id, path, number, "ok", output=output)
            return StepResult(step.id, "ok", output=output, attempts=attempt)

    def _backoff(self, step: Step, attempt: int, error: BaseException) -> float:
        delay = min(step.retry.backoff * (2 ** (attempt - 1)), step.retry.max_backoff)
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > delay:
            # The server said when to come back; still capped so a bad header can't stall a run.
            delay = min(float(retry_after), max(step.retry.max_backoff, delay))
        return float(delay)

    async def _dry(
        self, step: Step, component: Component, inputs: Any, path: str, connection: Any
    ) -> StepResult:
        # The reads a write needs (tax rates, a lookup) are sent, so the write shown is the
        # one a real run would send; a caller that only runs whole calls shows the first
        # request instead.
        try:
            caller = pack_caller(
                self._caller(connection.account if connection else None), component.pack
            )
        except SageflowError as error:
            raise StepFailedError(path, self._error(error)) from None
        single = getattr(caller, "send", None)
        options = CallOptions(
            business_id=connection.business_id if connection else None, debug=self.debug
        )

        async def send(request: HTTPRequest) -> HTTPResponse:
            return await single(request, options)  # type: ignore[misc, no-any-return]

        try:
            request, _reads = await afirst_write(
                component,
                inputs,
                send if single is not None else None,
                known_pack(component.pack).error_parser,
            )
        except Exception as error:  # a failed read fails the step, as in a real run
            raise StepFailedError(path, self._error(error)) from None
        description = describe_write(request)
        description["component"] = component.ref
        if self.on_dry_write is not None:
            self.on_dry_write(path, description)
        example = dict(component.example_output)
        return StepResult(step.id, "dry-run", output=example)

    # -- helpers --------------------------------------------------------------------------------

    def _render(self, value: Any, scope: Scope) -> Any:
        if isinstance(value, Template):
            return render(value, scope)
        if isinstance(value, dict):
            return {k: self._render(v, scope) for k, v in value.items()}
        if isinstance(value, list):
            return [self._render(v, scope) for v in value]
        return value

    def _error(self, error: BaseException) -> dict[str, Any]:
        scrubbed: dict[str, Any] = self._scrub(error_details(error))
        return scrubbed

    def _scrub(self, value: Any) -> Any:
        # A secret bound to a secret field can come back inside an error (pydantic quotes the
        # bad value), and a server can echo a connection's token in a response: neither may
        # reach the journal, the JSON output, an output file or a log.
        secrets = registered_secrets()
        if self._secrets:
            secrets = (*self._secrets, *secrets)
        return _masked(value, _finder(secrets)) if secrets else value

    def _caller(self, account: str | None) -> Caller:
        caller = self._callers.get(account)
        if caller is None:
            caller = self.caller_for(account)
            self._callers[account] = caller
        return caller

    async def _close_callers(self) -> None:
        for caller in self._callers.values():
            close = getattr(caller, "aclose", None)
            if close is not None:
                await close()
        self._callers.clear()

    def _listing_progress(
        self, step: Step, component: Component
    ) -> Callable[[HTTPResponse], None] | None:
        """A long listing (``fetchAll``) gets a bar like a loop: records fetched of the total.

        What a page is belongs to the pack; the bar appears from the second page on, so a
        one-request step never draws one.
        """
        pack = get_pack(component.pack)
        reader = pack.page_progress if pack is not None else None
        if self.progress is None or reader is None:
            return None
        fetched = 0
        pages = 0

        def seen(response: HTTPResponse) -> None:
            nonlocal fetched, pages
            counted = reader(response)
            if counted is None:
                return
            pages += 1
            fetched += counted[0]
            if pages >= 2:
                total = counted[1] if counted[1] is not None else fetched
                self._progress(step.id, min(fetched, total), total)

        return seen

    def _progress(self, step_id: str, done: int, total: int) -> None:
        # Called per loop item; the callback (a terminal bar) is told at most every
        # PROGRESS_INTERVAL seconds, and always at the start and the end of the loop: redrawing
        # a bar per item cost more than an in-process request.
        if self.progress is None:
            return
        now = self._ticks()
        if 0 < done < total and now - self._last_progress < PROGRESS_INTERVAL:
            self._unreported = (step_id, done, total)
            return
        self._last_progress = now
        self._unreported = None
        self.progress(step_id, done, total)

    def _flush_progress(self) -> None:
        if self._unreported is not None and self.progress is not None:
            self._last_progress = self._ticks()
            self.progress(*self._unreported)
            self._unreported = None


@dataclass
class _RunContext:
    run_id: str
    completed: dict[str, Any]
    attempts: dict[str, int] = field(default_factory=dict)
    #: Resuming a run whose process died: every step not completed may have been in flight.
    crashed: bool = False


@functools.lru_cache(maxsize=16)
def _finder(secrets: tuple[str, ...]) -> re.Pattern[str]:
    # One search per string instead of one per secret: this runs on every step's output.
    ordered = sorted(set(secrets), key=len, reverse=True)  # a secret holding another: whole
    return re.compile("|".join(re.escape(secret) for secret in ordered))


def _masked(value: Any, finder: re.Pattern[str]) -> Any:
    """A copy of ``value`` with every secret ``finder`` finds masked."""
    if isinstance(value, str):
        return finder.sub("[secret]", value) if finder.search(value) else value
    if isinstance(value, dict):
        return {k: _masked(v, finder) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, finder) for v in value]
    return value


def _cancel_check() -> Callable[[], bool] | None:
    """Whether the task running the flow was cancelled: Ctrl-C under asyncio.run() cancels
    it, and an expression polls this so that it stops instead of running to its end."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return None
    if task is None:
        return None
    return lambda: task.cancelling() > 0


def _reads_loop(step: Step) -> bool:
    assert step.if_ is not None
    return any(step.as_ in expr.names or "index" in expr.names for _, expr in step.if_.exprs())
