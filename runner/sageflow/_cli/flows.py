"""``sageflow run|validate|resume|runs``: flows from the command line, with exit codes 0/1/2."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from sageflow._cli import log_to_stderr
from sageflow._errors import SageflowError
from sageflow._flows._api import (
    FlowInputError,
    aresume_flow,
    arun_flow,
    load_flow,
    parse_cli_value,
    read_inputs_file,
)
from sageflow._flows._engine import ResumeRefusedError, RunResult
from sageflow._flows._journal import DEFAULT_PATH, Journal, dumps
from sageflow._flows._model import Flow
from sageflow._flows._problems import FlowValidationError

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2

_JOURNAL = click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_PATH,
    show_default=True,
    help="The SQLite run journal.",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a summary.")
_INPUT = click.option(
    "-i",
    "--input",
    "pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A flow input (repeat). NAME=@FILE reads it from a .csv (rows), .json or .yaml file.",
)


def _invalid(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_INVALID)


def _load(path: Path, as_json: bool = False) -> Flow:
    try:
        return load_flow(path)
    except FlowValidationError as error:
        if as_json:  # a host parsing stdout gets JSON whatever happened
            problems = [p.to_dict() for p in error.problems]
            click.echo(json.dumps({"status": "invalid", "problems": problems}))
        for problem in error.problems:
            click.echo(str(problem), err=True)
        _invalid(f"{len(error.problems)} problem(s) in {path}")


def _inputs(flow: Flow, pairs: tuple[str, ...], file: Path | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if file is not None:
        try:
            values.update(read_inputs_file(file))
        except (OSError, ValueError, FlowInputError) as error:
            _invalid(f"--inputs {file}: {error}")
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            _invalid(f"-i {pair!r}: expected NAME=VALUE or NAME=@FILE")
        if text.startswith("@"):
            try:
                values[name.strip()] = read_value_file(Path(text[1:]))
            except (OSError, ValueError) as error:
                _invalid(f"-i {name.strip()}={text}: {error}")
        else:
            values[name.strip()] = parse_cli_value(flow, name.strip(), text)
    return values


def read_value_file(path: Path) -> Any:
    """``-i name=@file``: a CSV becomes a list of row objects; JSON and YAML are parsed."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        for number, row in enumerate(rows, start=2):
            if None in row or any(value is None for value in row.values()):
                raise ValueError(f"line {number}: the row does not have one value per column")
        return rows
    text = path.read_text(encoding="utf-8")
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"line {error.lineno}: invalid JSON: {error.msg}") from None
    if suffix in {".yaml", ".yml"}:
        from sageflow._flows._load import load_source

        try:
            return load_source(text, str(path)).data
        except FlowValidationError as error:
            raise ValueError("; ".join(str(p) for p in error.problems)) from None
    return text


def _write_outputs(result: RunResult, targets: tuple[str, ...]) -> None:
    """``--output name=FILE``: a list of objects as CSV (by suffix), anything else as JSON."""
    for target in targets:
        name, _, file = target.partition("=")
        if name not in result.outputs:
            click.echo(f"--output {target}: the flow has no output {name!r}", err=True)
            sys.exit(EXIT_INVALID)
        path = Path(file)
        value = result.outputs[name]
        text = _csv_text(name, value) if path.suffix.lower() == ".csv" else dumps(value) + "\n"
        # Written beside the target and renamed, so a failed run never leaves half a file.
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(text, encoding="utf-8", newline="")
        partial.replace(path)
        rows = f"{len(value)} rows" if isinstance(value, list) else "1 value"
        click.echo(f"wrote {name} to {path} ({rows})", err=True)


def _csv_text(name: str, value: Any) -> str:
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        click.echo(f"--output {name}=*.csv: the output is not a list of objects", err=True)
        sys.exit(EXIT_INVALID)
    # CEL maps carry no key order, so columns are sorted: the same file for the same data.
    columns = sorted({key for row in value for key in row})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in value:
        writer.writerow(
            {
                k: v if isinstance(v, str | int | float) or v is None else dumps(v)
                for k, v in row.items()
            }
        )
    return buffer.getvalue()


class _Bars:
    """One tqdm bar per loop, on stderr (hidden when stderr is not a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}

    def __call__(self, step_id: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

        bar = self.bars.get(step_id)
        if bar is None:
            bar = self.bars[step_id] = tqdm(
                total=total, desc=step_id, unit="item", file=sys.stderr, disable=None, leave=False
            )
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@contextmanager
def _sandbox_beside(journal_path: Path) -> Iterator[None]:
    """When no account is configured, the embedded sandbox keeps its state next to the journal,
    so a second run sees the first one's records and a resumed run finds what it created."""
    from sageflow._http._config import sandbox_state

    with sandbox_state(journal_path.parent / "sandbox.db"):
        yield


@contextmanager
def _guard(debug: bool) -> Iterator[None]:
    # Bad input is reported, never a traceback; an unexpected bug says how to see one.
    try:
        yield
    except (FlowInputError, ResumeRefusedError) as error:
        _invalid(f"error: {error}")
    except SageflowError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_FAILED)
    except Exception as error:
        if debug:
            raise
        click.echo(
            f"internal error: {type(error).__name__}: {error} (rerun with --debug)", err=True
        )
        sys.exit(EXIT_FAILED)


def _summary(result: RunResult) -> None:
    state = "succeeded" if result.ok else "FAILED"
    mode = " (dry run)" if result.dry_run else ""
    click.echo(f"run {result.run_id}: {result.flow} {state}{mode} in {result.duration:.2f}s")
    for step in result.steps.values():
        extra = ""
        if step.items is not None:
            counts: dict[str, int] = {}
            for item in step.items:
                counts[item["status"]] = counts.get(item["status"], 0) + 1
            extra = " (" + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + ")"
        if step.reused:
            extra += " (from the journal)"
        if step.status == "dry-run":
            extra += " (output is the manifest example)"
        click.echo(f"  {step.status:<8} {step.id}{extra}")
        if step.error:
            click.echo(f"           {step.error.get('message', step.error.get('type'))}")
    if result.outputs:
        click.echo("outputs:")
        for name, value in result.outputs.items():
            click.echo(f"  {name}: {dumps(value)}")
    if result.error and not result.ok:
        where = f" at step {result.error['step']}" if result.error.get("step") else ""
        click.echo(
            f"error{where}: {result.error.get('message', result.error.get('type'))}", err=True
        )


def _dry_printer(as_json: bool) -> Callable[[str, dict[str, Any]], None]:
    def show(path: str, request: dict[str, Any]) -> None:
        if as_json:
            return
        query = "&".join(f"{k}={v}" for k, v in request["query"].items())
        target = request["path"] + (f"?{query}" if query else "")
        click.echo(f"[dry run] {path}: {request['method']} {target}")
        if request["body"] is not None:
            body = json.dumps(request["body"], indent=2, default=str)
            click.echo("\n".join("    " + line for line in body.splitlines()))
        click.echo("    (later steps see the manifest's example output for this step)")

    return show


def _finish(result: RunResult, as_json: bool) -> NoReturn:
    if as_json:
        click.echo(dumps(result.to_dict()))
    else:
        _summary(result)
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


@click.command("run")
@click.argument("flow_file", metavar="FLOW", type=click.Path(path_type=Path))
@_INPUT
@click.option(
    "--inputs",
    "inputs_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A YAML or JSON file of inputs.",
)
@_JSON
@click.option(
    "--connection",
    help="A configured connection (default: the configured account, "
    "or the embedded sandbox when none is configured).",
)
@click.option("--dry-run", is_flag=True, help="Send no write: print each one instead.")
@click.option(
    "-o",
    "--output",
    "output_files",
    multiple=True,
    metavar="NAME=FILE",
    help="Also write a flow output to FILE (.csv for a list of objects, else JSON).",
)
@_JOURNAL
@click.option("--debug", is_flag=True, help="Log requests (redacted) and show tracebacks.")
def run(
    flow_file: Path,
    pairs: tuple[str, ...],
    inputs_file: Path | None,
    as_json: bool,
    connection: str | None,
    dry_run: bool,
    output_files: tuple[str, ...],
    journal_path: Path,
    debug: bool,
) -> None:
    """Run a flow (against the sandbox when no account is set)."""
    if debug:
        log_to_stderr()
    flow = _load(flow_file, as_json)
    for target in output_files:
        if "=" not in target or not target.partition("=")[2]:
            _invalid(f"--output {target!r}: expected NAME=FILE")
    values = _inputs(flow, pairs, inputs_file)
    bars = _Bars(enabled=not as_json)
    with _guard(debug), _sandbox_beside(journal_path):
        try:
            result = asyncio.run(
                arun_flow(
                    flow,
                    values,
                    connection=connection,
                    journal=journal_path,
                    dry_run=dry_run,
                    progress=bars,
                    on_dry_write=_dry_printer(as_json),
                    debug=debug,
                )
            )
        finally:
            bars.close()
    if result.ok and output_files:
        _write_outputs(result, output_files)
    _finish(result, as_json)


@click.command("validate")
@click.argument("flow_file", metavar="FLOW", type=click.Path(path_type=Path))
@_JSON
def validate(flow_file: Path, as_json: bool) -> None:
    """Check a flow file and report every problem."""
    try:
        flow = load_flow(flow_file)
    except FlowValidationError as error:
        if as_json:
            click.echo(
                json.dumps({"valid": False, "problems": [p.to_dict() for p in error.problems]})
            )
        else:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{len(error.problems)} problem(s) in {flow_file}", err=True)
        sys.exit(EXIT_INVALID)
    if as_json:
        click.echo(json.dumps({"valid": True, "problems": [], "steps": len(flow.steps)}))
    else:
        click.echo(f"{flow_file}: valid ({len(flow.steps)} steps)")


@click.command("resume")
@click.argument("run_id", metavar="ID")
@click.option("--force", is_flag=True, help="Resume even though the flow file has changed.")
@_INPUT
@_JSON
@click.option("--connection", help="A configured connection.")
@_JOURNAL
@click.option("--debug", is_flag=True, help="Log requests (redacted) and show tracebacks.")
def resume(
    run_id: str,
    force: bool,
    pairs: tuple[str, ...],
    as_json: bool,
    connection: str | None,
    journal_path: Path,
    debug: bool,
) -> None:
    """Continue a failed or interrupted run."""
    if debug:
        log_to_stderr()
    if not journal_path.exists():
        _invalid(f"error: no journal at {journal_path}")
    given: dict[str, Any] = {}
    if pairs:
        # Typed like `run -i`: the flow's declared input types decide how text is read.
        with Journal(journal_path) as journal:
            record = journal.run(run_id)
        if record is None:
            _invalid(f"error: no run {run_id!r} in {journal_path}")
        flow = _load(Path(record.flow_file))
        given = _inputs(flow, pairs, None)
    bars = _Bars(enabled=not as_json)
    with _guard(debug), _sandbox_beside(journal_path):
        try:
            result = asyncio.run(
                aresume_flow(
                    run_id,
                    journal=journal_path,
                    force=force,
                    inputs=given,
                    connection=connection,
                    progress=bars,
                    debug=debug,
                )
            )
        except FlowValidationError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            _invalid("the flow file is no longer valid")
        finally:
            bars.close()
    _finish(result, as_json)


@click.group("runs")
def runs() -> None:
    """List journaled runs or show one."""


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


@runs.command("list")
@_JSON
@click.option("--limit", default=50, show_default=True, help="How many runs, newest first.")
@_JOURNAL
def list_runs(as_json: bool, limit: int, journal_path: Path) -> None:
    """List runs, newest first."""
    if not journal_path.exists():
        click.echo("[]" if as_json else f"no runs yet ({journal_path} does not exist)")
        return
    with Journal(journal_path) as journal:
        found = journal.runs(limit)
    if as_json:
        click.echo(dumps([r.to_dict() for r in found]))
        return
    for r in found:
        click.echo(f"{r.id}  {r.status:<8} {_when(r.started)}  {r.flow_name}  ({r.flow_file})")


@runs.command("show")
@click.argument("run_id", metavar="ID")
@_JSON
@_JOURNAL
def show_run(run_id: str, as_json: bool, journal_path: Path) -> None:
    """Show one run and each step execution."""
    if not journal_path.exists():
        _invalid(f"error: no journal at {journal_path}")
    with Journal(journal_path) as journal:
        record = journal.run(run_id)
        if record is None:
            _invalid(f"error: no run {run_id!r} in {journal_path}")
        steps = list(journal.steps(run_id))
    if as_json:
        click.echo(dumps({**record.to_dict(), "steps": [s.to_dict() for s in steps]}))
        return
    click.echo(f"run {record.id}: {record.flow_name} ({record.flow_file}) {record.status}")
    click.echo(f"  started {_when(record.started)}, finished {_when(record.finished)}")
    click.echo(f"  inputs {dumps(record.inputs)}")
    for s in steps:
        took = f"{(s.finished - s.started) * 1000:.0f} ms" if s.finished else "in flight"
        click.echo(f"  {s.status:<8} {s.path:<24} attempt {s.attempt}  {took}")
        if s.error:
            click.echo(f"           {s.error.get('message', s.error.get('type'))}")
    if record.error:
        click.echo(f"error: {record.error.get('message', record.error.get('type'))}")
