"""Sandbox state: the controllable clock, per-business record collections, SQLite persistence."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Record = dict[str, Any]

#: Where a manual clock starts unless told otherwise: fixed, so tests and cassettes are stable.
DEFAULT_START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


class Clock:
    """Sandbox time: follows the wall clock by default; a manual clock moves only when told.

    Token expiry, rate limits and ``created_at`` all read this clock, so a test can make 300 s
    pass for an access token without sleeping.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._start = (start or datetime.now(UTC)).timestamp()
        self._frozen = frozen
        self._mono0 = time.monotonic()
        self._offset = 0.0

    @classmethod
    def manual(cls, start: datetime = DEFAULT_START) -> Clock:
        """A clock that stands still until :meth:`advance` is called."""
        return cls(start, frozen=True)

    def time(self) -> float:
        """Sandbox time as seconds since the epoch."""
        now = self._start + self._offset
        if not self._frozen:
            now += time.monotonic() - self._mono0
        return now

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def stamp(self) -> str:
        """Sage's timestamp format: second precision, ``Z``."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def advance(self, seconds: float) -> None:
        self._offset += seconds


class Collection:
    """The records of one resource in one business, in creation order, plus tombstones.

    ``version`` changes on every write: list results are cached per version and query, which
    keeps paging through 100,000 records linear instead of re-filtering for every page.
    """

    __slots__ = ("deleted", "name", "records", "version")

    def __init__(self, name: str) -> None:
        self.name = name
        self.records: dict[str, Record] = {}
        self.deleted: dict[str, str] = {}
        self.version = 0

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records.values())

    def get(self, key: str) -> Record | None:
        return self.records.get(key)

    def put(self, record: Record) -> None:
        self.records[record["id"]] = record
        self.version += 1

    def remove(self, key: str, when: str) -> None:
        self.records.pop(key, None)
        self.deleted[key] = when
        self.version += 1


#: How long a writer waits for another process's transaction on the same file (it holds the
#: lock for one request's writes, milliseconds, unless that process is stopped in a debugger).
BUSY_TIMEOUT = 60.0


class Persistence:
    """Write-through SQLite storage so ``sageflow sandbox serve --data FILE`` survives restarts.

    Each record is one JSON row. Everything one request writes (its records, the id counter and
    the idempotency reply) commits in one transaction (:meth:`write`): a crash at any point
    leaves all of it or none of it, so an id is never handed out twice. Several processes may
    share one file (four ``sageflow run`` beside each other on ``.sageflow/sandbox.db``): a write
    takes SQLite's write lock first (``BEGIN IMMEDIATE``) and is told whether another process
    committed since this one last read, so that it reloads before writing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT
        )
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS records (
                business TEXT, resource TEXT, id TEXT, seq INTEGER, body TEXT,
                PRIMARY KEY (business, resource, id));
            CREATE TABLE IF NOT EXISTS deleted (
                business TEXT, resource TEXT, id TEXT, at TEXT,
                PRIMARY KEY (business, resource, id));
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE IF NOT EXISTS idempotency (
                business TEXT, key TEXT, reply TEXT, PRIMARY KEY (business, key));
            CREATE INDEX IF NOT EXISTS records_by_seq ON records (seq);
            """
        )
        self._seen = self._data_version()

    def _data_version(self) -> int:
        # Changes whenever another connection (another process) commits to the file.
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        """Whether another process committed since this one last loaded or wrote."""
        return self._data_version() != self._seen

    def synced(self) -> None:
        """The caller's memory now matches the file (call inside :meth:`read` or :meth:`write`,
        whose snapshot the caller loaded)."""
        self._seen = self._data_version()

    @contextlib.contextmanager
    def write(self) -> Iterator[bool]:
        """One transaction holding the file's write lock; yields whether to reload first.

        Commits when the block ends, rolls back if it raises (or if the process dies inside).
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.changed()
            # Read before COMMIT, while no one else can commit: read after it, the version
            # could already count another process's write that this one never loaded.
            version = self._data_version()
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        self._seen = version

    @contextlib.contextmanager
    def read(self) -> Iterator[bool]:
        """A consistent snapshot of the file (WAL: readers never block writers); yields whether
        another process committed since this one last loaded, i.e. whether to reload."""
        self.db.execute("BEGIN")
        try:
            self.db.execute("SELECT COUNT(*) FROM meta").fetchone()  # starts the snapshot
            yield self.changed()
        finally:
            self.db.execute("COMMIT")

    def is_empty(self) -> bool:
        return self.db.execute("SELECT value FROM meta WHERE key='state'").fetchone() is None

    def save(self, business: str, resource: str, record: Record) -> None:
        # seq keeps creation order on reload: an update keeps the row's original seq. It is
        # read from the file (indexed), not counted here: other processes insert rows too.
        self.db.execute(
            "INSERT INTO records VALUES (?, ?, ?, "
            "(SELECT COALESCE(MAX(seq), 0) + 1 FROM records), ?) "
            "ON CONFLICT(business, resource, id) DO UPDATE SET body = excluded.body",
            (business, resource, record["id"], json.dumps(record)),
        )

    def delete(self, business: str, resource: str, key: str, when: str) -> None:
        self.db.execute(
            "DELETE FROM records WHERE business=? AND resource=? AND id=?",
            (business, resource, key),
        )
        self.db.execute(
            "INSERT OR REPLACE INTO deleted VALUES (?, ?, ?, ?)", (business, resource, key, when)
        )

    def set_state(self, state: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('state', ?)", (json.dumps(state),))

    def state(self) -> dict[str, Any]:
        row = self.db.execute("SELECT value FROM meta WHERE key='state'").fetchone()
        return dict(json.loads(row[0])) if row else {}

    def records(self) -> Iterator[tuple[str, str, Record]]:
        for business, resource, body in self.db.execute(
            "SELECT business, resource, body FROM records ORDER BY seq"
        ):
            yield business, resource, json.loads(body)

    def tombstones(self) -> Iterator[tuple[str, str, str, str]]:
        yield from self.db.execute("SELECT business, resource, id, at FROM deleted")

    def save_reply(self, business: str, key: str, reply: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?)",
            (business, key, json.dumps(reply)),
        )

    def replies(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for business, key, reply in self.db.execute("SELECT * FROM idempotency"):
            yield business, key, json.loads(reply)

    def close(self) -> None:
        self.db.close()
