"""How the journal stores rows: page size of new files, group commits, outputs read back."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from sageflow._flows._journal import _SCHEMA, Journal, dumps

RECORD = {"id": "c1", "displayed_as": "Acme é", "notes": "x" * 2500, "n": 1, "ok": True}


def test_a_new_journal_uses_large_pages_and_wal(tmp_path: Path) -> None:
    with Journal(tmp_path / "runs.db") as journal:
        assert journal.db.execute("PRAGMA page_size").fetchone() == (16384,)
        assert journal.db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_an_existing_journal_keeps_its_page_size_and_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    # A journal from before 16 KB pages: our tables, SQLite's default page size, one run.
    old.executescript(_SCHEMA)
    old.execute(
        "INSERT INTO runs (id, flow_name, flow_file, flow_hash, inputs, status, started)"
        " VALUES ('r0', 'f', 'f.yaml', 'h', '{}', 'ok', 1.0)"
    )
    old.commit()
    old.close()
    with Journal(path) as journal:
        assert journal.db.execute("PRAGMA page_size").fetchone() == (4096,)
        assert [r.id for r in journal.runs()] == ["r0"]


def test_every_item_output_is_read_back_after_group_commits(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with Journal(path, flush_rows=7) as journal:
        journal.start_run("r1", "f", "f.yaml", "h", {})
        for i in range(50):
            journal.step_started("r1", f"make[{i}]", "make", i, 1)
            journal.step_finished("r1", f"make[{i}]", 1, "ok", output={**RECORD, "n": i})
    with Journal(path) as journal:
        done = journal.completed("r1")
    assert sorted(done) == sorted(f"make[{i}]" for i in range(50))
    assert all(done[f"make[{i}]"].output == {**RECORD, "n": i} for i in range(50))


def test_a_batch_larger_than_one_insert_keeps_order_and_replaces(tmp_path: Path) -> None:
    # Batches are written as multi-row INSERTs in chunks; a path written twice in one batch
    # (a retried start, say) must end as its last write, as row-by-row inserts would.
    path = tmp_path / "runs.db"
    with Journal(path, flush_rows=10_000, flush_seconds=3600) as journal:
        journal.start_run("r1", "f", "f.yaml", "h", {})
        journal.step_started("r1", "make[0]", "make", 0, 1)
        for i in range(1200):
            journal.step_started("r1", f"make[{i}]", "make", i, 1)
            journal.step_finished("r1", f"make[{i}]", 1, "ok", output={"n": i})
        journal.step_skipped("r1", "later", "later", None)
    with Journal(path) as journal:
        records = list(journal.steps("r1"))
    assert len(records) == 1201
    assert [r.output for r in records[:1200]] == [{"n": i} for i in range(1200)]
    assert all(r.status == "ok" for r in records[:1200])
    assert records[-1].status == "skipped"


def test_dumps_is_compact_and_keeps_decimals_and_dates_as_text() -> None:
    value = {"a": Decimal("1.10"), "b": "é", "c": [1, 2.5, None, True], "d": dt.date(2024, 1, 2)}
    assert dumps(value) == '{"a":"1.10","b":"é","c":[1,2.5,null,true],"d":"2024-01-02"}'


def test_dumps_of_a_cycle_fails_rather_than_looping() -> None:
    looped: dict[str, object] = {}
    looped["self"] = looped
    with pytest.raises(RecursionError):
        dumps(looped)
