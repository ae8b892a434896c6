"""The Python API for hosts: load a flow, run it (sync or async), or call one component."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sageflow._errors import SageflowError
from sageflow._execute import Caller, CallOptions, PackCallers
from sageflow._files import MAX_INPUT_FILE_BYTES, LocalFileError, read_text_bounded
from sageflow._flows._engine import (
    CallerFactory,
    DryWrite,
    Engine,
    Progress,
    ResumeRefusedError,
    RunResult,
    Sleep,
)
from sageflow._flows._expr import Clock
from sageflow._flows._journal import DEFAULT_PATH, Journal, dumps
from sageflow._flows._load import DEFAULT_LIMITS, load_source
from sageflow._flows._model import Flow, did_you_mean, input_validator
from sageflow._flows._problems import FlowValidationError
from sageflow._flows._validate import check_bound_inputs
from sageflow._flows._validate import load_flow as load_flow  # its home; callers import it here too
from sageflow._registry import get_component

if TYPE_CHECKING:
    from sageflow._temporal import TemporalSettings


class FlowInputError(SageflowError):
    """Run inputs that do not match the flow's declared inputs."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def resolve_inputs(flow: Flow, given: Mapping[str, Any]) -> dict[str, Any]:
    """Apply defaults and check values against each input's JSON Schema (every problem at once)."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name in given:
        if name not in flow.inputs:
            known = ", ".join(sorted(flow.inputs)) or "none"
            hint = did_you_mean(name, set(flow.inputs))
            problems.append(f"unknown input {name!r}{hint} (the flow declares: {known})")
    for name, spec in flow.inputs.items():
        if name in given:
            value = given[name]
        elif "default" in spec.schema:
            value = spec.default
        elif spec.required:
            problems.append(f"missing input {name!r}{_described(spec.schema)}")
            continue
        else:
            continue
        validator = input_validator(_json_schema(spec.schema))
        for error in validator.iter_errors(_jsonable(value)):
            shown = "[secret]" if spec.secret else _excerpt(value)
            message = "invalid value" if spec.secret else _schema_message(error)
            where = "".join(f"[{p!r}]" for p in error.absolute_path)
            problems.append(f"input {name!r}{where}: {message} (got {shown})")
        values[name] = value
    if not problems:
        # Values the flow's schemas accept, checked against the fields they are bound to.
        problems = check_bound_inputs(flow, values)
    if problems:
        raise FlowInputError(problems)
    return values


def _described(schema: Mapping[str, Any]) -> str:
    """`` (array: Rows with ...)``: what a missing input is, without a trip to the flow file."""
    kind = schema.get("type")
    about = " ".join(str(schema.get("description") or "").split())
    if len(about) > 80:
        about = about[:79] + "…"
    said = ": ".join(str(part) for part in (kind, about) if part)
    return f" ({said})" if said else ""


def _excerpt(value: Any, width: int = 60) -> str:
    """A value as JSON, cut to ``width`` characters: an error quotes a CSV's rows, not all
    of them."""
    text = json.dumps(_jsonable(value), default=str, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


_FORMAT_WORDS = {
    "date": "a date such as 2024-01-31",
    "date-time": "a date and time such as 2024-01-31T09:30:00Z",
    "email": "an email address such as name@example.com",
    "uri": "a URI such as https://example.com/path",
}


def _schema_message(error: Any) -> str:
    # jsonschema starts most messages with the repr of the whole offending value: for a
    # wrongly typed CSV input that is every row. Say what was expected instead.
    if error.validator == "type":
        expected = error.validator_value
        listed = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {listed}, not {_kind(error.instance)}"
    if error.validator == "format":
        return f"expected {_FORMAT_WORDS.get(error.validator_value, error.validator_value)}"
    message = str(error.message)
    shown = repr(error.instance)
    if len(shown) > 60:
        message = message.replace(shown, _excerpt(error.instance))
    return message if len(message) <= 200 else message[:199] + "…"


def _kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    for kind, name in kinds.items():
        if isinstance(value, kind):
            return name
    if value is None:
        return "null"
    return "a number" if isinstance(value, int | float | Decimal) else type(value).__name__


def _json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in schema.items() if k not in ("secret",)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


_EVENT_KEYS = {"type", "id", "record", "at"}


def reads_trigger(flow: Flow) -> bool:
    """Whether any expression of ``flow`` reads ``trigger``."""
    values = [v for step in flow.steps for v in (step.with_, step.if_, step.for_each) if v]
    values += list(flow.outputs.values())
    return any("trigger" in expr.names for value in values for _path, expr in value.exprs())


def check_trigger_payload(flow: Flow, trigger: Mapping[str, Any] | None) -> None:
    """A flow with ``on:`` runs with the event(s) that started it; one without takes none."""
    on = flow.trigger
    if on is None:
        if trigger is not None:
            raise FlowInputError([f"{flow.file} has no on: section; it takes no trigger event"])
        return
    if trigger is None:
        if not reads_trigger(flow):
            return  # it does not look at its event: by hand it runs like any flow
        raise FlowInputError(
            [
                f"{flow.file} starts from {on.ref} events and reads trigger: run it with"
                f" `sageflow poll {flow.file}`, or give the event to handle"
                " (sageflow run --event JSON)"
            ]
        )
    wanted = "events" if on.batch is not None else "event"
    value = trigger.get(wanted)
    events = value if wanted == "events" else [value]
    if set(trigger) != {wanted} or not isinstance(events, list) or not events:
        raise FlowInputError(
            [f"the trigger of {flow.file} is {{{wanted!r}: ...}}, got keys {sorted(trigger)}"]
        )
    for event in events:
        if not isinstance(event, Mapping) or not set(event) >= _EVENT_KEYS:
            raise FlowInputError(
                [f"a trigger event is a mapping with {', '.join(sorted(_EVENT_KEYS))}"]
            )


def parse_cli_value(flow: Flow, name: str, text: str) -> Any:
    """``-i name=value``: text for string inputs, YAML scalars/collections for the others."""
    spec = flow.inputs.get(name)
    kind = spec.schema.get("type") if spec else None
    if kind == "string" or (spec is None and not text):
        return text
    try:
        from sageflow._flows._load import load_source as _load

        return _load(text, "<-i>").data if text.strip() else text
    except FlowValidationError:
        return text


def default_caller_factory(connection: str | None = None, *, debug: bool = False) -> CallerFactory:
    """Callers from the HTTP layer: a configured account, or the embedded sandbox of each
    pack a flow's steps use (one caller per pack, opened on first use)."""

    def factory(account: str | None) -> Caller:
        def open_for_pack(pack: str) -> Caller:
            caller: Caller = _open_caller()(account or connection, debug=debug, pack=pack)
            return caller

        return PackCallers(open_for_pack)

    return factory


def _open_caller() -> Callable[..., Caller]:
    # Looked up on first use: importing httpx and the pack's sandbox is for runs, not for
    # `sageflow validate` or `--help`.
    import importlib

    for module in ("sageflow._http", "sageflow._http._config"):
        try:
            found = getattr(importlib.import_module(module), "open_caller")  # noqa: B009
        except (ImportError, AttributeError):
            continue
        return cast("Callable[..., Caller]", found)
    raise SageflowError("this installation has no HTTP layer (sageflow._http.open_caller)")


async def arun_flow(
    flow: Flow | str | os.PathLike[str],
    inputs: Mapping[str, Any] | None = None,
    *,
    caller: Caller | None = None,
    connection: str | None = None,
    journal: Journal | str | os.PathLike[str] | None = DEFAULT_PATH,
    env: Mapping[str, str] | None = None,
    dry_run: bool = False,
    sleep: Sleep = asyncio.sleep,
    clock: Clock | None = None,
    progress: Progress | None = None,
    on_dry_write: DryWrite | None = None,
    debug: bool = False,
    run_id: str | None = None,
    trigger: Mapping[str, Any] | None = None,
    engine: str = "local",
    temporal: TemporalSettings | None = None,
) -> RunResult:
    """Run a flow and return its :class:`RunResult` (``status`` is ``ok`` or ``failed``).

    Args:
        flow: a loaded :class:`Flow` or the path of a flow file.
        inputs: the flow's inputs; defaults are applied and every value checked first.
        caller: run every step through this caller (a host's, or a test's). Without one the
            HTTP layer opens the configured account, or the embedded sandbox.
        connection: the configured connection to use when ``caller`` is not given.
        journal: where to journal the run (``None``: not journaled, so not resumable).
        env: the environment to read declared ``env:`` names from (default: ``os.environ``).
        trigger: for a flow with ``on:``, what its expressions read as ``trigger``:
            ``{"event": {type, id, record, at}}``, or ``{"events": [...]}`` with ``on.batch``.
            ``poll_flow`` passes it for each event; give it to run such a flow by hand.
        engine: ``"local"`` (in this process) or ``"temporal"``: the same interpreter as a
            Temporal workflow on the workers of ``temporal`` (default: ``SAGEFLOW_TEMPORAL_*``),
            each component call an activity. ``sleep``, ``clock`` and ``progress`` are then
            Temporal's, and the run's rows reach ``journal`` when it ends.
    """
    loaded = flow if isinstance(flow, Flow) else load_flow(flow)
    check_trigger_payload(loaded, trigger)
    values = resolve_inputs(loaded, inputs or {})
    if engine == "temporal":
        return await _on_temporal(
            loaded, values, journal, env, temporal, caller, dry_run, debug, run_id, trigger
        )
    if engine != "local":
        raise FlowInputError([f"engine {engine!r}: expected 'local' or 'temporal'"])
    factory: CallerFactory = (
        (lambda _account: caller)
        if caller is not None
        else default_caller_factory(connection, debug=debug)
    )
    owned = _open_journal(journal, dry_run)
    try:
        interpreter = Engine(
            loaded,
            factory,
            journal=owned,
            env=os.environ if env is None else env,
            sleep=sleep,
            clock=clock,
            progress=progress,
            dry_run=dry_run,
            on_dry_write=on_dry_write,
            debug=debug,
        )
        return await interpreter.run(values, run_id=run_id, trigger=trigger)
    finally:
        if owned is not None and not isinstance(journal, Journal):
            owned.close()


async def _on_temporal(
    flow: Flow,
    values: dict[str, Any],
    journal: Journal | str | os.PathLike[str] | None,
    env: Mapping[str, str] | None,
    temporal: TemporalSettings | None,
    caller: Caller | None,
    dry_run: bool,
    debug: bool,
    run_id: str | None,
    trigger: Mapping[str, Any] | None,
    resume: Any = None,
) -> RunResult:
    """``arun_flow(engine="temporal")`` and the resume of a Temporal run."""
    if dry_run:
        raise FlowInputError(["a dry run sends no write: run it on the local engine"])
    if caller is not None:
        raise FlowInputError(["engine 'temporal' calls components on its workers, not `caller`"])
    from sageflow._temporal import TemporalSettings as Settings
    from sageflow._temporal import require_sdk

    require_sdk()
    from sageflow._temporal._client import arun_on_temporal

    owned = _open_journal(journal, False)
    try:
        outcome = await arun_on_temporal(
            flow,
            values,
            settings=temporal or Settings.from_env(),
            journal=owned,
            env=os.environ if env is None else env,
            run_id=run_id,
            trigger=trigger,
            debug=debug,
            resume=resume,
        )
    finally:
        if owned is not None and not isinstance(journal, Journal):
            owned.close()
    assert isinstance(outcome, RunResult)  # not detached
    return outcome


def run_flow(
    flow: Flow | str | os.PathLike[str],
    inputs: Mapping[str, Any] | None = None,
    *,
    caller: Caller | None = None,
    connection: str | None = None,
    journal: Journal | str | os.PathLike[str] | None = DEFAULT_PATH,
    env: Mapping[str, str] | None = None,
    dry_run: bool = False,
    sleep: Sleep = asyncio.sleep,
    clock: Clock | None = None,
    progress: Progress | None = None,
    on_dry_write: DryWrite | None = None,
    debug: bool = False,
    run_id: str | None = None,
    trigger: Mapping[str, Any] | None = None,
    engine: str = "local",
    temporal: TemporalSettings | None = None,
) -> RunResult:
    """The synchronous twin of :func:`arun_flow` (for scripts; not inside a running loop)."""
    return asyncio.run(
        arun_flow(
            flow,
            inputs,
            caller=caller,
            connection=connection,
            journal=journal,
            env=env,
            dry_run=dry_run,
            sleep=sleep,
            clock=clock,
            progress=progress,
            on_dry_write=on_dry_write,
            debug=debug,
            run_id=run_id,
            trigger=trigger,
            engine=engine,
            temporal=temporal,
        )
    )


async def aresume_flow(
    run_id: str,
    *,
    journal: Journal | str | os.PathLike[str] = DEFAULT_PATH,
    force: bool = False,
    inputs: Mapping[str, Any] | None = None,
    caller: Caller | None = None,
    connection: str | None = None,
    env: Mapping[str, str] | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Clock | None = None,
    progress: Progress | None = None,
    debug: bool = False,
    on_notice: Callable[[str], None] | None = None,
    engine: str | None = None,
    temporal: TemporalSettings | None = None,
) -> RunResult:
    """Continue a failed or interrupted run from its first step that did not complete.

    Completed steps and loop items reuse their journaled outputs; the rest are sent again with
    the same idempotency keys, so a write that was in flight when the process died is not
    repeated. Secret inputs are never journaled: pass them again in ``inputs``.

    A non-secret input given with a value other than the one the run started with is refused
    (:class:`ResumeRefusedError`): the completed steps used the old value, the rest would use
    the new one, and the run would report success over a mix of both. ``force=True`` resumes
    anyway and reports what changed through ``on_notice`` (default: a logged warning).

    A run that ran on Temporal resumes there (``engine=None``: where the run ran), as a new
    workflow seeded with the run's rows, on the workers of ``temporal`` (default: where it ran).
    """
    owned = _open_journal(journal, False)
    assert owned is not None
    try:
        record = owned.run(run_id)
        if record is None:
            raise ResumeRefusedError(f"no run {run_id!r} in {owned.path}")
        from sageflow._temporal import ran_on_temporal

        if engine == "temporal" or (engine is None and ran_on_temporal(owned, run_id)):
            from sageflow._temporal._client import aprepare_resume

            temporal = await aprepare_resume(owned, run_id, temporal)
            engine, record = "temporal", owned.run(run_id) or record
        if record.status == "ok":
            raise ResumeRefusedError(f"run {run_id} already finished successfully")
        flow = load_flow(record.flow_file)
        if flow.hash != record.flow_hash and not force:
            raise ResumeRefusedError(
                f"{record.flow_file} has changed since run {run_id} started;"
                " use --force to resume anyway"
            )
        # A secret input's journaled value is only a placeholder, whatever its text became
        # (masking may have rewritten it): never taken for the secret itself.
        secrets = flow.secret_inputs()
        given = {
            k: _journaled_number(flow, k, v)
            for k, v in record.inputs.items()
            if v != "[secret]" and k not in secrets
        }
        changed = changed_inputs(given, inputs or {}, flow.secret_inputs())
        if changed and not force:
            raise ResumeRefusedError(
                f"run {run_id} started with other input values ({'; '.join(changed)});"
                " resuming would mix old and new data: use --force to resume with the new ones"
            )
        if changed:
            notice = on_notice or _log_notice
            notice(f"resuming run {run_id} with changed inputs: {'; '.join(changed)}")
        given.update(inputs or {})
        values = resolve_inputs(flow, given)
        if changed:
            secret = flow.secret_inputs()
            owned.set_run_inputs(
                run_id, {k: ("[secret]" if k in secret else v) for k, v in values.items()}
            )
        factory: CallerFactory = (
            (lambda _a: caller)
            if caller is not None
            else default_caller_factory(connection, debug=debug)
        )
        trigger = owned.run_trigger(run_id)
        if flow.trigger is not None and trigger is None and reads_trigger(flow):
            raise ResumeRefusedError(
                f"run {run_id} has no journaled trigger event, which {record.flow_file}"
                " (a flow with on:) needs"
            )
        if engine == "temporal":
            from sageflow._temporal._client import seed_from

            return await _on_temporal(
                flow,
                values,
                owned,
                env,
                temporal,
                caller,
                False,
                debug,
                run_id,
                trigger if flow.trigger else None,
                resume=seed_from(owned, run_id),
            )
        interpreter = Engine(
            flow,
            factory,
            journal=owned,
            env=os.environ if env is None else env,
            sleep=sleep,
            clock=clock,
            progress=progress,
            debug=debug,
        )
        return await interpreter.run(
            values, run_id=run_id, resume=True, trigger=trigger if flow.trigger else None
        )
    finally:
        if not isinstance(journal, Journal):
            owned.close()


def _journaled_number(flow: Flow, name: str, value: Any) -> Any:
    """A number input as the run had it: the journal keeps a Decimal as its exact text
    ("10.5"), which the input's ``type: number`` schema would refuse on resume."""
    spec = flow.inputs.get(name)
    kind = spec.schema.get("type") if spec is not None else None
    kinds = kind if isinstance(kind, list) else [kind]
    if (
        isinstance(value, str)
        and ("number" in kinds or "integer" in kinds)
        and "string" not in kinds
    ):
        try:
            number = Decimal(value)
        except ArithmeticError:
            return value
        return number if number.is_finite() else value
    return value


def changed_inputs(
    recorded: Mapping[str, Any], given: Mapping[str, Any], secret: Any = ()
) -> list[str]:
    """What ``given`` changes in a run's journaled inputs, one short phrase per input.

    Values are compared as values (10.50 is 10.5) and as the journal stores them (a Decimal
    as its text), so repeating the value a run started with is no change. Secret inputs are
    never journaled: not compared.
    """
    changes: list[str] = []
    for name, value in given.items():
        if name in secret:
            continue
        new = json.loads(dumps(value))
        if name not in recorded:
            changes.append(f"{name}: not given -> {_excerpt(value, 40)}")
            continue
        if recorded[name] == value:
            continue
        old = json.loads(dumps(recorded[name]))
        if new == old:
            continue
        if isinstance(old, list) and isinstance(new, list):
            first = next(
                (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
                min(len(old), len(new)),
            )
            changes.append(
                f"{name}: {len(old)} -> {len(new)} items, first difference at item {first}"
            )
        else:
            changes.append(f"{name}: {_excerpt(recorded[name], 40)} -> {_excerpt(value, 40)}")
    return changes


def _log_notice(message: str) -> None:
    logging.getLogger("sageflow.flows").warning(message)


def resume_flow(
    run_id: str,
    *,
    journal: Journal | str | os.PathLike[str] = DEFAULT_PATH,
    force: bool = False,
    inputs: Mapping[str, Any] | None = None,
    caller: Caller | None = None,
    connection: str | None = None,
    env: Mapping[str, str] | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Clock | None = None,
    progress: Progress | None = None,
    debug: bool = False,
    on_notice: Callable[[str], None] | None = None,
    engine: str | None = None,
    temporal: TemporalSettings | None = None,
) -> RunResult:
    """The synchronous twin of :func:`aresume_flow` (for scripts; not inside a running loop)."""
    return asyncio.run(
        aresume_flow(
            run_id,
            journal=journal,
            force=force,
            inputs=inputs,
            caller=caller,
            connection=connection,
            env=env,
            sleep=sleep,
            clock=clock,
            progress=progress,
            debug=debug,
            on_notice=on_notice,
            engine=engine,
            temporal=temporal,
        )
    )


def _open_journal(
    journal: Journal | str | os.PathLike[str] | None, dry_run: bool
) -> Journal | None:
    if journal is None or dry_run:
        return None
    if isinstance(journal, Journal):
        return journal
    return Journal(Path(journal))


async def arun_component(
    ref: str,
    inputs: Mapping[str, Any],
    *,
    caller: Caller | None = None,
    connection: str | None = None,
    idempotency_key: str | None = None,
    business_id: str | None = None,
    debug: bool = False,
) -> dict[str, Any]:
    """Call one component (``pack/key``) with validated inputs and return its output."""
    component = get_component(ref)
    validated = component.validate(inputs)
    owned = caller is None
    the_caller = (
        caller if caller is not None else default_caller_factory(connection, debug=debug)(None)
    )
    try:
        return await the_caller.acall(
            component,
            validated,
            CallOptions(idempotency_key=idempotency_key, business_id=business_id, debug=debug),
        )
    finally:
        close = getattr(the_caller, "aclose", None)
        if owned and close is not None:
            await close()


def run_component(
    ref: str,
    inputs: Mapping[str, Any],
    *,
    caller: Caller | None = None,
    connection: str | None = None,
    idempotency_key: str | None = None,
    business_id: str | None = None,
    debug: bool = False,
) -> dict[str, Any]:
    """The synchronous twin of :func:`arun_component`."""
    return asyncio.run(
        arun_component(
            ref,
            inputs,
            caller=caller,
            connection=connection,
            idempotency_key=idempotency_key,
            business_id=business_id,
            debug=debug,
        )
    )


def read_inputs_file(path: Path) -> dict[str, Any]:
    """``--inputs FILE``: a YAML or JSON mapping of input names to values.

    Read like a flow file (size-bounded, one document, no aliases, depth and value counts
    limited): inputs come from the same places as flows and deserve the same suspicion.
    """
    try:
        text = read_text_bounded(path, MAX_INPUT_FILE_BYTES)
    except LocalFileError as error:
        raise FlowInputError([f"{path} {error}"]) from None
    if not text.strip():
        return {}
    limits = replace(DEFAULT_LIMITS, max_file_bytes=MAX_INPUT_FILE_BYTES)
    try:
        data = load_source(text, str(path), limits).data
    except FlowValidationError as error:
        raise FlowInputError([str(problem) for problem in error.problems]) from None
    if not isinstance(data, dict):
        raise FlowInputError([f"{path}: expected a mapping of input names to values"])
    return data
