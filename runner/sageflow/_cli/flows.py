"""``sageflow run|validate|resume|runs``: flows from the command line, with exit codes 0/1/2."""

from __future__ import annotations

import asyncio
import base64
import csv
import datetime as dt
import io
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from sageflow._cli import log_to_stderr
from sageflow._cli._json import JsonCommand, json_mode, json_text
from sageflow._cli.temporal import (
    refresh_from_temporal,
    run_on_temporal,
    settings_from,
    temporal_options,
)
from sageflow._errors import SageflowError
from sageflow._files import MAX_INPUT_FILE_BYTES, read_bytes_bounded, read_text_bounded
from sageflow._flows._api import (
    FlowInputError,
    aresume_flow,
    arun_flow,
    check_trigger_payload,
    load_flow,
    parse_cli_value,
    read_inputs_file,
)
from sageflow._flows._engine import ResumeRefusedError, RunResult
from sageflow._flows._journal import DEFAULT_PATH, Journal, JournalError, dumps
from sageflow._flows._load import DEFAULT_LIMITS, load_source
from sageflow._flows._model import Flow
from sageflow._flows._problems import FlowValidationError, Problem
from sageflow._http._tokens import TokenFileError

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
_T = TypeVar("_T")

_JOURNAL = click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_PATH,
    show_default=True,
    help="The SQLite run journal.",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a summary.")
REQUIRE_ACCOUNT = click.option(
    "--require-account",
    is_flag=True,
    help="Fail (exit 2) rather than use the embedded sandbox when no account is configured "
    "(also SAGEFLOW_REQUIRE_ACCOUNT=1).",
)
DEBUG = click.option("--debug", is_flag=True, help="Log requests (redacted) and show tracebacks.")
_INPUT = click.option(
    "-i",
    "--input",
    "pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A flow input (repeat). NAME=@FILE reads it from a .csv (rows), .json or .yaml file.",
)


def _invalid(message: str, problems: list[Problem] | None = None) -> NoReturn:
    """Bad input: one line on stderr (after each problem), exit 2; under ``--json`` the same
    as JSON on stdout, first."""
    if json_mode():
        report: dict[str, Any] = {"status": "invalid", "error": message.removeprefix("error: ")}
        if problems is not None:
            report["problems"] = [p.to_dict() for p in problems]
        click.echo(json_text(report))
    for problem in problems or ():
        click.echo(str(problem), err=True)
    click.echo(message, err=True)
    sys.exit(EXIT_INVALID)


def _load(path: Path) -> Flow:
    try:
        return load_flow(path)
    except FlowValidationError as error:
        _invalid(f"{len(error.problems)} problem(s) in {path}", error.problems)


def _inputs(flow: Flow, pairs: tuple[str, ...], file: Path | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    named: dict[str, str] = {}
    if file is not None:
        try:
            values.update(read_inputs_file(file))
        except FlowInputError as error:
            _invalid(f"--inputs {file}: {error}")
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            _invalid(f"-i {pair!r}: expected NAME=VALUE or NAME=@FILE")
        name = name.strip()
        if text.startswith("@"):
            spec = flow.inputs.get(name)
            schema = spec.schema if spec is not None else {}
            try:
                if schema.get("contentEncoding") == "base64":
                    values[name] = read_binary_file(Path(text[1:]))
                    # The input the schema names for the file's name gets it, unless given.
                    companion = schema.get("x-sageflow-file-name")
                    if isinstance(companion, str):
                        named[companion] = Path(text[1:]).name
                else:
                    values[name] = read_value_file(Path(text[1:]))
            except ValueError as error:
                _invalid(f"-i {name}={text}: {error}")
        else:
            values[name] = parse_cli_value(flow, name, text)
    return {**named, **values}


def read_binary_file(path: Path) -> str:
    """``-i name=@file`` for an input whose schema says ``contentEncoding: base64`` (an
    attachment's file): the file's bytes, whatever they are, base64-encoded, not parsed."""
    return base64.b64encode(read_bytes_bounded(path, MAX_INPUT_FILE_BYTES)).decode("ascii")


def read_value_file(path: Path) -> Any:
    """``-i name=@file``: a CSV becomes a list of row objects; JSON and YAML are parsed.

    Every way a file can be wrong is a ``ValueError`` whose message says where (the caller
    names the file): too big (counted while reading, not from the size it reports), not text,
    a CSV field past the csv module's limit, JSON nested past the flow loader's depth.
    """
    suffix = path.suffix.lower()
    text = read_text_bounded(path, MAX_INPUT_FILE_BYTES, encoding="utf-8-sig")
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            rows = list(reader)
        except csv.Error as error:
            raise ValueError(f"line {reader.line_num}: {error}") from None
        for number, row in enumerate(rows, start=2):
            if None in row or any(value is None for value in row.values()):
                raise ValueError(f"line {number}: the row does not have one value per column")
        return rows
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"line {error.lineno}: invalid JSON: {error.msg}") from None
        except RecursionError:
            data = None
            depth = DEFAULT_LIMITS.max_depth + 1
        else:
            depth = _depth(data, DEFAULT_LIMITS.max_depth)
        if depth > DEFAULT_LIMITS.max_depth:
            raise ValueError(f"nested deeper than {DEFAULT_LIMITS.max_depth} levels")
        return data
    if suffix in {".yaml", ".yml"}:
        limits = replace(DEFAULT_LIMITS, max_file_bytes=MAX_INPUT_FILE_BYTES)
        try:
            return load_source(text, str(path), limits).data
        except FlowValidationError as error:
            raise ValueError("; ".join(str(p) for p in error.problems)) from None
    return text


def _depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests, counted without recursion and only up to ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def _check_outputs(flow: Flow, targets: tuple[str, ...]) -> list[tuple[str, Path]]:
    """Every ``-o NAME=FILE`` checked before anything is sent: the name is one of the flow's
    outputs, and FILE can be created and replaced in its directory. Discovering a typo after a
    run has sent every write would leave the writes and lose the output."""
    checked: list[tuple[str, Path]] = []
    for target in targets:
        name, sep, file = target.partition("=")
        if not sep or not name or not file:
            _invalid(f"--output {target!r}: expected NAME=FILE")
        if name not in flow.outputs:
            known = ", ".join(sorted(flow.outputs)) or "none"
            _invalid(f"--output {target}: the flow has no output {name!r} (it has: {known})")
        path = Path(file)
        problem = _unwritable_folder(path) if NAMED_FILE in file else _unwritable(file, path)
        if problem:
            _invalid(f"--output {target}: {problem}")
        checked.append((name, path))
    return checked


#: ``-o NAME=FOLDER/{fileName}``: the output is a file the flow named (``{fileName, content}``,
#: such as exportFEC's ``<SIREN>FEC<AAAAMMJJ>.txt``), written under its own name in FOLDER.
NAMED_FILE = "{fileName}"


def _unwritable_folder(path: Path) -> str | None:
    """Why a named output file cannot be written into ``path``'s folder, or None. The folder
    must exist: the flow chooses the file's name, so the folder is all the caller types, and
    a mistyped one is reported rather than created."""
    if path.name != NAMED_FILE or NAMED_FILE in str(path.parent):
        return f"{NAMED_FILE} stands for the whole file name, once: FOLDER/{NAMED_FILE}"
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        return f"the folder {folder} {what} (check its spelling, or create it first)"
    try:
        fd, probe = tempfile.mkstemp(prefix=".sageflow-output.", suffix=".partial", dir=folder)
    except OSError as error:
        return f"cannot write in {folder}: {error.strerror or error}"
    os.close(fd)
    os.unlink(probe)
    return None


def _named_file(value: Any) -> tuple[str, str] | str:
    """A named output's file name and text, or why the value is not one."""
    if not (
        isinstance(value, dict)
        and isinstance(value.get("fileName"), str)
        and isinstance(value.get("content"), str)
    ):
        return "the output is not a named file (an object with fileName and content text)"
    name = value["fileName"]
    # The name comes from the flow's data: it may only name a file in the chosen folder.
    if (
        name in ("", ".", "..")
        or name.startswith(".")
        or any(c in name for c in "/\\\0")
        or len(name.encode()) > 255
    ):
        return f"the output's fileName {name!r} is not a plain file name"
    return name, value["content"]


def _unwritable(file: str, path: Path) -> str | None:
    """Why ``path`` cannot be written as a new file by rename in its directory, or None."""
    if file.endswith(("/", os.sep)) or path.name in ("", ".", ".."):
        return f"names a directory, not a file (FOLDER/{NAMED_FILE} writes a file the flow names)"
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    except OSError as error:
        return f"cannot write in {path.parent}: {error.strerror or error}"
    if info is not None and stat.S_ISDIR(info.st_mode):
        return "is a directory"
    if info is not None and not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
        return "is not a regular file (a device, pipe or socket)"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The probe is what the write does: a private temporary file in the same directory.
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    except OSError as error:
        return f"cannot write in {path.parent}: {error.strerror or error}"
    os.close(fd)
    os.unlink(probe)
    return None


def _write_outputs(
    result: RunResult, targets: list[tuple[str, Path]], outputs: dict[str, Any]
) -> str | None:
    """``--output name=FILE``: a list of objects as CSV (by suffix), anything else as JSON.

    Returns why a file could not be written (the run itself is over and journaled)."""
    for name, path in targets:
        value = result.outputs.get(name)
        if path.suffix.lower() == ".csv":
            declared = outputs.get(name)
            text = _csv_text(value, str(getattr(declared, "raw", declared or "")))
            if text is None:
                return f"--output {name}={path}: the output is not a list of objects (for a CSV)"
        elif path.name == NAMED_FILE:
            named = _named_file(value)
            if isinstance(named, str):
                return f"--output {name}={path}: {named}"
            path, text = path.parent / named[0], named[1]
        else:
            text = json_text(value) + "\n"
        try:
            write_replacing(path, text.encode("utf-8"))
        except OSError as error:
            return f"--output {name}={path}: cannot write: {error.strerror or error}"
        rows = f"{len(value)} rows" if isinstance(value, list) else "1 value"
        click.echo(f"wrote {name} to {path} ({rows})", err=True)
    return None


def write_replacing(path: Path, data: bytes) -> None:
    """Write ``data`` to a new private file beside ``path``, then rename it over ``path``.

    mkstemp opens a fresh random name with O_EXCL (and O_NOFOLLOW where there is one), so a
    link planted at a predictable temporary name cannot redirect the write; the rename is
    atomic, so a reader sees the old file or the new one, never half of it, and a link at
    ``path`` itself is replaced, not followed. A new file is 0600 (its rows are business
    data); replacing a file keeps that file's mode.
    """
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        try:
            kept = path.lstat()
        except OSError:
            kept = None
        if kept is not None and stat.S_ISREG(kept.st_mode):
            os.fchmod(fd, stat.S_IMODE(kept.st_mode))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


#: OWASP's CSV injection guidance: a cell a spreadsheet would read as a formula (or that a
#: leading tab or carriage return hides) is prefixed with a single quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: ...except a plain number ("-12.50" is how Sage writes a credit): no formula, and a quote
#: would turn every negative amount into text.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _csv_cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value) if isinstance(value, str | Decimal) else dumps(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


#: A quoted key before a colon: a map literal's key in an output expression's text.
_LITERAL_KEY = re.compile(r"""(["'])((?:\\.|(?!\1).)*?)\1\s*:""")


def column_order(source: str, rows: list[dict[str, Any]]) -> list[str]:
    """CSV columns in the order the flow wrote its map literal's keys (CEL's maps keep no
    order: without this the columns come out shuffled from one run to the next), then any
    other key in the order first seen in the rows."""
    seen = list(dict.fromkeys(key for row in rows for key in row))
    written = [m.group(2) for m in _LITERAL_KEY.finditer(source)]
    place = {key: i for i, key in reversed(list(enumerate(written)))}
    return sorted(seen, key=lambda key: (place.get(key, len(written)), seen.index(key)))


def _csv_text(value: Any, source: str = "") -> str | None:
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        return None
    columns = column_order(source, value)
    buffer = io.StringIO()
    # RFC 4180's CRLF: the csv writer quotes a field holding a character of the line
    # terminator, so a carriage return inside a value cannot split a row in two.
    writer = csv.DictWriter(
        buffer, fieldnames=[_csv_cell(c) for c in columns], lineterminator="\r\n"
    )
    writer.writeheader()
    for row in value:
        writer.writerow({_csv_cell(k): _csv_cell(v) for k, v in row.items()})
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


def _one_pack(flow: Flow) -> str | None:
    """The pack a flow calls, when it calls one: what ``--require-account`` names if no
    account is configured for it."""
    used = {step.uses.partition("/")[0] for step in flow.steps}
    return used.pop() if len(used) == 1 else None


@contextmanager
def account_checked(
    name: str | None, require_account: bool, pack: str | None = None
) -> Iterator[None]:
    """Check the connection before anything runs, then keep ``--require-account`` in force
    for the command (the run opens its caller later, inside the engine). ``pack``: the pack
    the command calls, when it is one (``call``, ``options``)."""
    from sageflow._http._config import requiring_account

    _check_connection(name, require_account, pack)
    with requiring_account(True) if require_account else _nothing():
        yield


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _check_connection(
    name: str | None, require_account: bool = False, pack: str | None = None
) -> None:
    """A damaged ``connections.toml`` or token file, half a set of credentials in the
    environment, or no account under ``--require-account`` is bad input: said once, before
    the run starts, rather than as every step's error in a run journaled as failed."""
    from sageflow._http._config import (
        AccountRequiredError,
        ConfigFileError,
        IncompleteCredentialsError,
        account_required,
        connect,
        find_connection,
        no_account_error,
    )

    try:
        config = find_connection(name, pack=pack)
        if config is not None:
            connect(config)
        elif account_required(require_account or None):
            raise no_account_error(pack)
    except (
        ConfigFileError,
        TokenFileError,
        IncompleteCredentialsError,
        AccountRequiredError,
    ) as error:
        _invalid(f"error: {error}")
    except SageflowError:
        return  # anything else is reported by the run, where it happens


_GIVE_INPUTS = (
    "give each input with -i NAME=VALUE (-i NAME=@FILE reads a file: .json, or .csv for a list"
    " of rows), or all of them with --inputs FILE.json"
)


@contextmanager
def _guard(debug: bool) -> Iterator[None]:
    # Bad input is reported, never a traceback; an unexpected bug says how to see one.
    try:
        yield
    except (FlowInputError, ResumeRefusedError, JournalError, TokenFileError) as error:
        problems = getattr(error, "problems", ())
        if any(p.startswith("missing input") for p in problems):
            # A first run without inputs is the usual way to learn that a flow needs some.
            _invalid(f"error: {error}\n  {_GIVE_INPUTS}")
        _invalid(f"error: {error}")
    except SageflowError as error:
        _failed(f"error: {error}")
    except Exception as error:
        if debug:
            raise
        _failed(f"internal error: {type(error).__name__}: {error} (rerun with --debug)")


def _failed(message: str) -> NoReturn:
    if json_mode():
        click.echo(json_text({"status": "failed", "error": message.removeprefix("error: ")}))
    click.echo(message, err=True)
    sys.exit(EXIT_FAILED)


#: A summary line shows this many items of a list, then how many more there are.
SHOWN_ITEMS = 10
#: ...and this many characters of a value (a step output, a long text), then how many more.
SHOWN_CHARS = 300


def shorten(value: Any, items: int = SHOWN_ITEMS, chars: int = SHOWN_CHARS) -> str:
    """``value`` as one line for a person: lists cut to ``items`` with a count of the rest
    (a 1,500-row import's references are ``[...10 shown..., "... 1,490 more"]``), the text
    cut to ``chars``. ``--json`` and ``-o`` give the whole value."""
    text = dumps(_cut(value, items))
    if len(text) > chars:
        text = f"{text[:chars]}... ({len(text) - chars:,} more characters)"
    return text


def _cut(value: Any, items: int) -> Any:
    if isinstance(value, list):
        kept = [_cut(item, items) for item in value[:items]]
        if len(value) > items:
            kept.append(f"... {len(value) - items:,} more ({len(value):,} items)")
        return kept
    if isinstance(value, dict):
        return {key: _cut(item, items) for key, item in value.items()}
    return value


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
            click.echo(f"  {name}: {shorten(value, chars=2000)}")
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


def _finish(result: RunResult, as_json: bool, output_error: str | None = None) -> NoReturn:
    if as_json:
        report = result.to_dict()
        if output_error:
            report["outputError"] = output_error
        click.echo(json_text(report))
    else:
        _summary(result)
    if output_error:
        click.echo(f"error: {output_error}", err=True)
    sys.exit(EXIT_OK if result.ok and not output_error else EXIT_FAILED)


@click.command("run", cls=JsonCommand)
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
    help="Also write a flow output to FILE (.csv for a list of objects, else JSON); "
    "FOLDER/{fileName} writes a named file the flow made (an existing FOLDER). Checked "
    "before anything is sent.",
)
@click.option(
    "--dry-run-outputs",
    is_flag=True,
    help="With --dry-run, still write the -o files (their data is the manifests' examples).",
)
@click.option(
    "--event",
    "events",
    multiple=True,
    metavar="JSON",
    help="For a flow with on:, the trigger event to handle ({type, id, record, at}, or "
    "@FILE); repeat it for a flow with on.batch. sageflow poll is how such flows usually run.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "temporal"]),
    default="local",
    show_default=True,
    help="Run in this process, or as a Temporal workflow on `sageflow worker`s.",
)
@temporal_options
@click.option("--detach", is_flag=True, help="With --engine temporal: print the run and return.")
@click.option(
    "--sandbox-url",
    help="With --engine temporal and no account: the served sandbox (sageflow sandbox serve)"
    " every worker calls [default: one this command serves for the run].",
)
@_JOURNAL
@REQUIRE_ACCOUNT
@DEBUG
def run(
    flow_file: Path,
    pairs: tuple[str, ...],
    inputs_file: Path | None,
    as_json: bool,
    connection: str | None,
    dry_run: bool,
    output_files: tuple[str, ...],
    dry_run_outputs: bool,
    events: tuple[str, ...],
    journal_path: Path,
    require_account: bool,
    debug: bool,
    engine: str = "local",
    address: str | None = None,
    namespace: str | None = None,
    task_queue: str | None = None,
    detach: bool = False,
    sandbox_url: str | None = None,
) -> None:
    """Run a flow (against the sandbox when no account is set)."""
    if debug:
        log_to_stderr()
    flow = _load(flow_file)
    targets = _check_outputs(flow, output_files)
    values = _inputs(flow, pairs, inputs_file)
    trigger = _trigger_events(flow, events)
    if dry_run and targets and not dry_run_outputs:
        # A dry run's outputs are built from manifest examples: writing them over a real
        # export would replace real data with samples.
        for name, path in targets:
            click.echo(
                f"dry run: not writing {name} to {path} (add --dry-run-outputs to write "
                "the example data)",
                err=True,
            )
        targets = []
    if engine == "temporal" or detach:
        temporal = settings_from(address, namespace, task_queue)
        ran = run_on_temporal(flow, values, trigger, journal_path, temporal, as_json, detach)
        output_error = _write_outputs(ran, targets, flow.outputs) if ran.ok and targets else None
        _finish(ran, as_json, output_error)
    bars = _Bars(enabled=not as_json)
    with (
        account_checked(connection, require_account, _one_pack(flow)),
        _guard(debug),
        _sandbox_beside(journal_path),
    ):
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
                    trigger=trigger,
                )
            )
        finally:
            bars.close()
    output_error = _write_outputs(result, targets, flow.outputs) if result.ok and targets else None
    _finish(result, as_json, output_error)


def _trigger_events(flow: Flow, events: tuple[str, ...]) -> dict[str, Any] | None:
    """``--event JSON`` (or ``@FILE``), checked against the flow's ``on:`` before the run."""
    if not events:
        return None  # a flow with on: is refused by the run, pointing at sageflow poll
    read: list[Any] = []
    for text in events:
        try:
            value = read_value_file(Path(text[1:])) if text.startswith("@") else json.loads(text)
        except (ValueError, OSError) as error:
            _invalid(f"error: --event {text[:60]}: {error}")
        read.append(value)
    if flow.trigger is not None and flow.trigger.batch is None and len(read) > 1:
        _invalid("error: --event: this flow takes one event per run (it has no on.batch)")
    trigger = {"events": read} if flow.trigger is not None and flow.trigger.batch else None
    trigger = trigger or {"event": read[0]}
    try:
        check_trigger_payload(flow, trigger)
    except FlowInputError as error:
        _invalid(f"error: --event: {error}")
    return trigger


@click.command("resume", cls=JsonCommand)
@click.argument("run_id", metavar="ID")
@click.option(
    "--force",
    is_flag=True,
    help="Resume even though the flow file or an input (-i) has changed; says what changed.",
)
@_INPUT
@_JSON
@click.option("--connection", help="A configured connection.")
@_JOURNAL
@REQUIRE_ACCOUNT
@DEBUG
def resume(
    run_id: str,
    force: bool,
    pairs: tuple[str, ...],
    as_json: bool,
    connection: str | None,
    journal_path: Path,
    require_account: bool,
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
        record = _read_journal(journal_path, lambda journal: journal.run(run_id))
        if record is None:
            _invalid(f"error: no run {run_id!r} in {journal_path}")
        flow = _load(Path(record.flow_file))
        given = _inputs(flow, pairs, None)
    bars = _Bars(enabled=not as_json)
    with account_checked(connection, require_account), _guard(debug), _sandbox_beside(journal_path):
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
                    on_notice=lambda message: click.echo(f"warning: {message}", err=True),
                )
            )
        except FlowValidationError as error:
            _invalid(f"{_problem_file(error)}: the flow file is no longer valid", error.problems)
        finally:
            bars.close()
    _finish(result, as_json)


def _read_journal(path: Path, read: Callable[[Journal], _T]) -> _T:
    """``read`` on the journal at ``path``; a file that is not a journal is bad input."""
    try:
        with Journal(path) as journal:
            return read(journal)
    except JournalError as error:
        _invalid(f"error: {error}")


def _problem_file(error: FlowValidationError) -> str:
    return error.problems[0].file if error.problems else "the flow"


@click.group("runs")
def runs() -> None:
    """List journaled runs or show one."""


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


@runs.command("list", cls=JsonCommand)
@_JSON
@click.option("--limit", default=50, show_default=True, help="How many runs, newest first.")
@_JOURNAL
def list_runs(as_json: bool, limit: int, journal_path: Path) -> None:
    """List runs, newest first."""
    if not journal_path.exists():
        click.echo("[]" if as_json else f"no runs yet ({journal_path} does not exist)")
        return
    found = _read_journal(journal_path, lambda journal: journal.runs(limit))
    if as_json:
        click.echo(json_text([r.to_dict() for r in found]))
        return
    for r in found:
        click.echo(f"{r.id}  {r.status:<8} {_when(r.started)}  {r.flow_name}  ({r.flow_file})")


@runs.command("show", cls=JsonCommand)
@click.argument("run_id", metavar="ID")
@_JSON
@_JOURNAL
def show_run(run_id: str, as_json: bool, journal_path: Path) -> None:
    """Show one run and each step execution."""
    if not journal_path.exists():
        _invalid(f"error: no journal at {journal_path}")
    refresh_from_temporal(journal_path, run_id)
    record, steps, trigger = _read_journal(
        journal_path,
        lambda journal: (
            journal.run(run_id),
            list(journal.steps(run_id)),
            journal.run_trigger(run_id),
        ),
    )
    if record is None:
        _invalid(f"error: no run {run_id!r} in {journal_path}")
    if as_json:
        shown = {**record.to_dict(), "steps": [s.to_dict() for s in steps]}
        if trigger is not None:
            shown["trigger"] = trigger  # what a flow with on: read as trigger
        click.echo(json_text(shown))
        return
    click.echo(f"run {record.id}: {record.flow_name} ({record.flow_file}) {record.status}")
    click.echo(f"  started {_when(record.started)}, finished {_when(record.finished)}")
    click.echo(f"  inputs {shorten(record.inputs, chars=2000)}")
    for event in (trigger or {}).get("events") or [(trigger or {}).get("event")]:
        if isinstance(event, dict):
            click.echo(f"  trigger {event.get('type')} {event.get('id')} at {event.get('at')}")
    for s in steps:
        took = f"{(s.finished - s.started) * 1000:.0f} ms" if s.finished else "in flight"
        click.echo(f"  {s.status:<8} {s.path:<24} attempt {s.attempt}  {took}")
        if s.output is not None:
            click.echo(f"           output {shorten(s.output)}")
        if s.error:
            click.echo(f"           {s.error.get('message', s.error.get('type'))}")
    if record.error:
        click.echo(f"error: {record.error.get('message', record.error.get('type'))}")
