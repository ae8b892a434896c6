"""The Python API for hosts: load a flow, run it (sync or async), or call one component."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import yaml

from sageflow._errors import SageflowError
from sageflow._execute import Caller, CallOptions
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
from sageflow._flows._journal import DEFAULT_PATH, Journal
from sageflow._flows._load import DEFAULT_LIMITS, Limits, load_source
from sageflow._flows._model import Flow, parse_flow
from sageflow._flows._problems import FlowValidationError, Problem
from sageflow._flows._validate import validate_flow
from sageflow._registry import get_component


class FlowInputError(SageflowError):
    """Run inputs that do not match the flow's declared inputs."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def load_flow(
    source: str | os.PathLike[str],
    *,
    text: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Flow:
    """Read, parse and validate a flow; raises :class:`FlowValidationError` with every problem.

    ``source`` is a path; pass ``text`` to validate a document held in memory (``source`` then
    only names it in messages).
    """
    name = str(source)
    if text is None:
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                raise FlowValidationError(
                    [
                        Problem(
                            path.name,
                            1,
                            1,
                            "(document)",
                            f"the file is {size} bytes; the limit is {limits.max_file_bytes}",
                        )
                    ]
                )
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise FlowValidationError(
                [Problem(name, 1, 1, "(document)", f"cannot read: {error}")]
            ) from None
    loaded = load_source(text, name, limits)
    flow, problems = parse_flow(loaded, limits)
    if flow is not None:
        problems += validate_flow(flow)
    if problems or flow is None:
        raise FlowValidationError(problems)
    return flow


def resolve_inputs(flow: Flow, given: Mapping[str, Any]) -> dict[str, Any]:
    """Apply defaults and check values against each input's JSON Schema (every problem at once)."""
    import jsonschema  # type: ignore[import-untyped,unused-ignore]

    problems: list[str] = []
    values: dict[str, Any] = {}
    for name in given:
        if name not in flow.inputs:
            known = ", ".join(sorted(flow.inputs)) or "none"
            problems.append(f"unknown input {name!r} (the flow declares: {known})")
    for name, spec in flow.inputs.items():
        if name in given:
            value = given[name]
        elif "default" in spec.schema:
            value = spec.default
        elif spec.required:
            problems.append(f"missing input {name!r}")
            continue
        else:
            continue
        validator = jsonschema.Draft7Validator(_json_schema(spec.schema))
        for error in validator.iter_errors(_jsonable(value)):
            shown = "[secret]" if spec.secret else json.dumps(_jsonable(value), default=str)[:60]
            message = "invalid value" if spec.secret else error.message
            problems.append(f"input {name!r}: {message} (got {shown})")
        values[name] = value
    if problems:
        raise FlowInputError(problems)
    return values


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
    """Callers from the HTTP layer: a configured account, or the embedded sandbox."""

    def factory(account: str | None) -> Caller:
        caller: Caller = _open_caller()(account or connection, debug=debug)
        return caller

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
    """
    loaded = flow if isinstance(flow, Flow) else load_flow(flow)
    values = resolve_inputs(loaded, inputs or {})
    factory: CallerFactory = (
        (lambda _account: caller)
        if caller is not None
        else default_caller_factory(connection, debug=debug)
    )
    owned = _open_journal(journal, dry_run)
    try:
        engine = Engine(
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
        return await engine.run(values, run_id=run_id)
    finally:
        if owned is not None and not isinstance(journal, Journal):
            owned.close()


def run_flow(
    flow: Flow | str | os.PathLike[str],
    inputs: Mapping[str, Any] | None = None,
    **options: Any,
) -> RunResult:
    """The synchronous twin of :func:`arun_flow` (for scripts; not inside a running loop)."""
    return asyncio.run(arun_flow(flow, inputs, **options))


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
) -> RunResult:
    """Continue a failed or interrupted run from its first step that did not complete.

    Completed steps and loop items reuse their journaled outputs; the rest are sent again with
    the same idempotency keys, so a write that was in flight when the process died is not
    repeated. Secret inputs are never journaled: pass them again in ``inputs``.
    """
    owned = _open_journal(journal, False)
    assert owned is not None
    try:
        record = owned.run(run_id)
        if record is None:
            raise ResumeRefusedError(f"no run {run_id!r} in {owned.path}")
        if record.status == "ok":
            raise ResumeRefusedError(f"run {run_id} already finished successfully")
        flow = load_flow(record.flow_file)
        if flow.hash != record.flow_hash and not force:
            raise ResumeRefusedError(
                f"{record.flow_file} has changed since run {run_id} started;"
                " use --force to resume anyway"
            )
        given = {k: v for k, v in record.inputs.items() if v != "[secret]"}
        given.update(inputs or {})
        values = resolve_inputs(flow, given)
        factory: CallerFactory = (
            (lambda _a: caller)
            if caller is not None
            else default_caller_factory(connection, debug=debug)
        )
        engine = Engine(
            flow,
            factory,
            journal=owned,
            env=os.environ if env is None else env,
            sleep=sleep,
            clock=clock,
            progress=progress,
            debug=debug,
        )
        return await engine.run(values, run_id=run_id, resume=True)
    finally:
        if not isinstance(journal, Journal):
            owned.close()


def resume_flow(run_id: str, **options: Any) -> RunResult:
    return asyncio.run(aresume_flow(run_id, **options))


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


def run_component(ref: str, inputs: Mapping[str, Any], **options: Any) -> dict[str, Any]:
    """The synchronous twin of :func:`arun_component`."""
    return asyncio.run(arun_component(ref, inputs, **options))


def read_inputs_file(path: Path) -> dict[str, Any]:
    """``--inputs FILE``: a YAML or JSON mapping of input names to values."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FlowInputError([f"{path}: expected a mapping of input names to values"])
    return data
