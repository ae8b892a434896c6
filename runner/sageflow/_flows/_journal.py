"""The run journal in SQLite: every run and step execution, so a crashed run can resume."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sageflow._errors import SageflowError
from sageflow._files import private_dir, private_file

DEFAULT_PATH = Path(".sageflow") / "runs.db"
_RUN_COLUMNS = (
    "id, flow_name, flow_file, flow_hash, inputs, status, started, finished, outputs, error"
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    flow_name TEXT NOT NULL,
    flow_file TEXT NOT NULL,
    flow_hash TEXT NOT NULL,
    inputs TEXT NOT NULL,
    status TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    outputs TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL,
    path TEXT NOT NULL,
    step_id TEXT NOT NULL,
    item_index INTEGER,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    output TEXT,
    error TEXT,
    PRIMARY KEY (run_id, path, attempt)
);
-- What started a run of a flow with on: ({"event": ...} or {"events": [...]}), for resume.
CREATE TABLE IF NOT EXISTS run_triggers (
    run_id TEXT PRIMARY KEY,
    payload TEXT NOT NULL
);
-- sageflow poll (sageflow._poll): where each flow's trigger stands, which run each event
-- went to, and which poller may poll a flow now. One transaction writes a poll's cursor with
-- its deliveries (and their run_triggers rows).
CREATE TABLE IF NOT EXISTS trigger_cursors (
    flow_key TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS trigger_deliveries (
    flow_key TEXT NOT NULL,
    event_key TEXT NOT NULL,
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    delivered REAL NOT NULL,
    PRIMARY KEY (flow_key, event_key)
);
CREATE INDEX IF NOT EXISTS trigger_deliveries_run ON trigger_deliveries (run_id);
CREATE TABLE IF NOT EXISTS trigger_leases (
    flow_key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires REAL NOT NULL
);
"""


_STARTED_PREFIX = (
    "INSERT OR REPLACE INTO steps (run_id, path, step_id, item_index, attempt, status, started)"
    " VALUES "
)
_FINISHED_PREFIX = (
    "INSERT OR REPLACE INTO steps (run_id, path, step_id, item_index, attempt, status, started,"
    " finished, output, error) VALUES "
)
_STARTED = _STARTED_PREFIX + "(?,?,?,?,?,?,?)"
_FINISHED = _FINISHED_PREFIX + "(?,?,?,?,?,?,?,?,?,?)"
#: Statements whose runs in a batch are written as multi-row INSERTs: (prefix, one row).
_MULTI_ROW = {
    _STARTED: (_STARTED_PREFIX, "(?,?,?,?,?,?,?)"),
    _FINISHED: (_FINISHED_PREFIX, "(?,?,?,?,?,?,?,?,?,?)"),
}
_ROWS_PER_INSERT = 500


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


# Built once: json.dumps with options builds a new encoder per call. Journaled values come from
# JSON responses and flow data, which cannot hold a reference cycle, so the per-container cycle
# bookkeeping is skipped (~15% of encoding a Sage record; a cycle would still fail, as a
# RecursionError rather than a ValueError).
_ENCODER = json.JSONEncoder(
    default=_default, ensure_ascii=False, separators=(",", ":"), check_circular=False
)


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


@dataclass(frozen=True)
class RunRecord:
    id: str
    flow_name: str
    flow_file: str
    flow_hash: str
    inputs: dict[str, Any]
    status: str
    started: float
    finished: float | None
    outputs: Any
    error: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "flow": self.flow_name,
            "file": self.flow_file,
            "flowHash": self.flow_hash,
            "inputs": self.inputs,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "outputs": self.outputs,
            "error": self.error,
        }


@dataclass(frozen=True)
class StepRecord:
    path: str
    step_id: str
    index: int | None
    attempt: int
    status: str
    started: float
    finished: float | None
    output: Any
    error: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "step": self.step_id,
            "index": self.index,
            "attempt": self.attempt,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "output": self.output,
            "error": self.error,
        }


class JournalError(SageflowError):
    """A journal file that is not a sageflow journal, or cannot be read (names the file)."""


_SQLITE_HEADER = b"SQLite format 3\x00"
_OUR_COLUMNS = {
    "runs": {"id", "flow_name", "flow_file", "flow_hash", "inputs", "status", "started"},
    "steps": {"run_id", "path", "step_id", "item_index", "attempt", "status", "started"},
}


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLite touches it (switching to WAL writes)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as error:
        raise JournalError(f"{path}: cannot open the journal: {error.strerror or error}") from None
    if head and head != _SQLITE_HEADER:
        raise JournalError(f"{path}: not a sageflow journal (not an SQLite database)")


class Journal:
    """One SQLite file holding every run and step execution.

    Step rows are group-committed: buffered and written in one transaction every
    ``flush_seconds`` or ``flush_rows`` (and whenever a run changes status or is read).
    A commit per row would cost more than the request it records (an in-process sandbox answers
    in ~0.2 ms); what a kill can lose is the last fraction of a second of rows, starts and
    completions alike. Resume therefore treats every step of a crashed run that is not
    completed as possibly sent: it is sent again with the same idempotency key (which Sage
    honours for 7 days on the resources its guide lists) and its create first looks for its
    marker (``CallOptions.outcome_unknown``), so nothing is written twice either way.
    """

    def __init__(
        self,
        path: Path | str = DEFAULT_PATH,
        *,
        flush_seconds: float = 0.25,
        flush_rows: int = 500,
    ) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            # Journals hold business data (inputs, every record a step returned): the folder
            # is 0700 and the database 0600, whatever the umask.
            private_dir(self.path.parent)
            _check_header(self.path)
            private_file(self.path)
        try:
            self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            self._check_tables()
            # A step's output is typically a whole Sage record (2-3 KB of JSON): with SQLite's
            # default 4 KB pages that is one page per row, and writing a 1,000-item loop cost
            # ~45 us a row; 16 KB pages hold several rows (~8 us a row). Only a new file takes
            # it (it must precede the switch to WAL); an existing journal keeps its page size.
            self.db.execute("PRAGMA page_size=16384")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise JournalError(f"{self.path}: not a usable sageflow journal: {error}") from None
        self._max_variables = self.db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.flush_seconds = flush_seconds
        self.flush_rows = flush_rows
        self._pending: list[tuple[str, tuple[Any, ...]]] = []
        # Unflushed "started" rows, so a finish can fold into them: one row write, not two.
        self._starts: dict[tuple[str, str, int], int] = {}
        self._last_flush = time.monotonic()
        # Batches are committed on one writer thread: SQLite releases the GIL while it works, so
        # the event loop keeps sending requests meanwhile. Every other statement waits for the
        # writer first, so the connection is never used by two threads at once.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sageflow-journal")
        self._batches: list[Future[None]] = []

    def _check_tables(self) -> None:
        """Refuse an SQLite database of someone else's before adding our tables to it."""
        tables = {
            name for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if not tables:
            return
        for table, needed in _OUR_COLUMNS.items():
            columns = (
                {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
                if table in tables
                else set()
            )
            if not needed <= columns:
                self.db.close()
                shown = ", ".join(sorted(tables)[:5])
                raise JournalError(
                    f"{self.path}: an SQLite database that is not a sageflow journal "
                    f"(its tables: {shown})"
                )

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        self._pending.append((sql, params))
        if (
            len(self._pending) >= self.flush_rows
            or time.monotonic() - self._last_flush >= self.flush_seconds
        ):
            self.flush(wait=False)

    def flush(self, *, wait: bool = True) -> None:
        """Commit every buffered row in one transaction; ``wait=False`` leaves it in flight."""
        self._last_flush = time.monotonic()
        if self._pending:
            pending, self._pending = self._pending, []
            self._starts.clear()
            self._batches.append(self._writer.submit(self._commit, pending))
        if wait:
            batches, self._batches = self._batches, []
            for batch in batches:
                batch.result()  # re-raises a failed commit here, in the caller's thread
        else:
            self._batches = [b for b in self._batches if not b.done() or b.exception()]

    def _commit(self, pending: list[tuple[str, tuple[Any, ...]]]) -> None:
        self.db.execute("BEGIN")
        try:
            # Runs of the same statement go through executemany: one call into SQLite for
            # hundreds of rows instead of a Python round trip (and a GIL hand-over) per row.
            start = 0
            while start < len(pending):
                sql = pending[start][0]
                end = start
                while end < len(pending) and pending[end][0] == sql:
                    end += 1
                rows = [params for _, params in pending[start:end]]
                if sql in _MULTI_ROW:
                    self._insert_rows(sql, rows)
                else:
                    self.db.executemany(sql, rows)
                start = end
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _insert_rows(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        # One multi-row INSERT per chunk instead of executemany: executemany re-takes the GIL
        # after every row it steps, so a commit on the writer thread stole the event loop's
        # thread hundreds of times per batch; this way SQLite does all of a chunk's work with
        # the GIL released. Rows are inserted in order, so OR REPLACE resolves as before.
        prefix, placeholder = _MULTI_ROW[sql]
        per = max(1, min(_ROWS_PER_INSERT, self._max_variables // len(rows[0])))
        for at in range(0, len(rows), per):
            chunk = rows[at : at + per]
            self.db.execute(
                prefix + ",".join([placeholder] * len(chunk)),
                [value for row in chunk for value in row],
            )

    def close(self) -> None:
        self.flush()
        self._writer.shutdown(wait=True)
        self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_run(
        self, run_id: str, name: str, file: str, flow_hash: str, inputs: Mapping[str, Any]
    ) -> None:
        self.flush()
        self.db.execute(
            "INSERT INTO runs (id, flow_name, flow_file, flow_hash, inputs, status, started)"
            " VALUES (?, ?, ?, ?, ?, 'running', ?)",
            (run_id, name, file, flow_hash, dumps(dict(inputs)), time.time()),
        )

    def set_run_trigger(self, run_id: str, payload: Mapping[str, Any]) -> None:
        """What started ``run_id`` (``trigger`` in its expressions), kept for resume."""
        self.flush()
        self.db.execute(
            "INSERT OR REPLACE INTO run_triggers (run_id, payload) VALUES (?, ?)",
            (run_id, dumps(dict(payload))),
        )

    def run_trigger(self, run_id: str) -> dict[str, Any] | None:
        self.flush()
        with self._reading():
            row = self.db.execute(
                "SELECT payload FROM run_triggers WHERE run_id = ?", (run_id,)
            ).fetchone()
            return None if row is None else dict(json.loads(row[0]))

    def set_run_inputs(self, run_id: str, inputs: Mapping[str, Any]) -> None:
        """A forced resume's new inputs, so the next resume compares against what ran last."""
        self.flush()
        self.db.execute("UPDATE runs SET inputs = ? WHERE id = ?", (dumps(dict(inputs)), run_id))

    def set_run_status(
        self, run_id: str, status: str, *, outputs: Any = None, error: Any = None
    ) -> None:
        self.flush()
        finished = None if status == "running" else time.time()
        self.db.execute(
            "UPDATE runs SET status = ?, finished = ?, outputs = ?, error = ? WHERE id = ?",
            (
                status,
                finished,
                None if outputs is None else dumps(outputs),
                None if error is None else dumps(error),
                run_id,
            ),
        )

    def step_started(
        self, run_id: str, path: str, step_id: str, index: int | None, attempt: int
    ) -> None:
        self._write(_STARTED, (run_id, path, step_id, index, attempt, "running", time.time()))
        if self._pending:  # still buffered (not flushed by this very write)
            self._starts[(run_id, path, attempt)] = len(self._pending) - 1

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
        output_text = None if output is None else dumps(output)
        error_text = None if error is None else dumps(error)
        at = self._starts.pop((run_id, path, attempt), None)
        if at is not None and at < len(self._pending):
            _sql, (rid, rpath, step_id, index, rattempt, _running, started) = self._pending[at]
            self._pending[at] = (
                _FINISHED,
                (
                    rid,
                    rpath,
                    step_id,
                    index,
                    rattempt,
                    status,
                    started,
                    time.time(),
                    output_text,
                    error_text,
                ),
            )
            return
        self._write(
            "UPDATE steps SET status = ?, finished = ?, output = ?, error = ?"
            " WHERE run_id = ? AND path = ? AND attempt = ?",
            (status, time.time(), output_text, error_text, run_id, path, attempt),
        )

    def step_skipped(self, run_id: str, path: str, step_id: str, index: int | None) -> None:
        now = time.time()
        self._write(
            "INSERT OR REPLACE INTO steps"
            " (run_id, path, step_id, item_index, attempt, status, started, finished)"
            " VALUES (?, ?, ?, ?, 1, 'skipped', ?, ?)",
            (run_id, path, step_id, index, now, now),
        )

    def put_steps(self, run_id: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Step rows a run recorded elsewhere (a Temporal workflow's, shaped as
        :meth:`StepRecord.to_dict`), replacing any row of the same path and attempt."""
        self.flush()
        values = [
            (
                run_id,
                r["path"],
                r["step"],
                r["index"],
                r["attempt"],
                r["status"],
                r["started"],
                r["finished"],
                None if r["output"] is None else dumps(r["output"]),
                None if r["error"] is None else dumps(r["error"]),
            )
            for r in rows
        ]
        if values:
            self._batches.append(
                self._writer.submit(self._commit, [(_FINISHED, v) for v in values])
            )
            self.flush()

    def completed(self, run_id: str) -> dict[str, StepRecord]:
        """The final record of every step path that finished (ok or skipped), by path."""
        done: dict[str, StepRecord] = {}
        for record in self.steps(run_id):
            if record.status in ("ok", "skipped"):
                done[record.path] = record
        return done

    def attempts(self, run_id: str) -> dict[str, int]:
        self.flush()
        rows = self.db.execute(
            "SELECT path, MAX(attempt) FROM steps WHERE run_id = ? GROUP BY path", (run_id,)
        )
        return {path: attempt for path, attempt in rows}

    def run(self, run_id: str) -> RunRecord | None:
        self.flush()
        with self._reading():
            row = self.db.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?",  # noqa: S608 (constant columns)
                (run_id,),
            ).fetchone()
            return _run(row) if row else None

    def runs(self, limit: int = 50) -> list[RunRecord]:
        self.flush()
        with self._reading():
            rows = self.db.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY started DESC LIMIT ?",  # noqa: S608
                (limit,),
            )
            return [_run(row) for row in rows]

    def steps(self, run_id: str) -> Iterator[StepRecord]:
        self.flush()
        with self._reading():
            rows = self.db.execute(
                "SELECT path, step_id, item_index, attempt, status, started, finished, output,"
                " error FROM steps WHERE run_id = ? ORDER BY started, rowid",
                (run_id,),
            ).fetchall()
            found = [
                StepRecord(
                    path,
                    step_id,
                    index,
                    attempt,
                    status,
                    started,
                    finished,
                    None if output is None else json.loads(output),
                    None if error is None else json.loads(error),
                )
                for path, step_id, index, attempt, status, started, finished, output, error in rows
            ]
        yield from found

    @contextmanager
    def _reading(self) -> Iterator[None]:
        # A damaged page or a row some other program wrote: one line naming the file.
        try:
            yield
        except (sqlite3.Error, ValueError, TypeError) as error:
            raise JournalError(f"{self.path}: the journal cannot be read: {error}") from None


def _run(row: tuple[Any, ...]) -> RunRecord:
    rid, name, file, flow_hash, inputs, status, started, finished, outputs, error = row
    return RunRecord(
        rid,
        name,
        file,
        flow_hash,
        json.loads(inputs),
        status,
        started,
        finished,
        None if outputs is None else json.loads(outputs),
        None if error is None else json.loads(error),
    )
