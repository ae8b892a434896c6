"""bench/bench_triggers.py still runs, at a toy size, and its counts hold (requests, not time)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_trigger_cost_bench_counts_one_request_per_idle_poll(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))  # as ``python bench/x.py`` puts it first
    out = tmp_path / "triggers.json"
    assert (
        importlib.import_module("bench_triggers").main(["--changes", "250", "--json", str(out)])
        == 0
    )
    result = json.loads(out.read_text())
    contacts = result["triggers"]["sage_accounting/contactChanges"]
    assert contacts == {
        "first_poll": 1,
        "idle": 1,
        "idle_events": 0,
        "idle_with_deletions": 2,
        "idle_with_deletions_events": 0,
    }
    assert result["triggers"]["sage_accounting/ledgerAccountChanges"]["idle"] == 1
    assert "idle_with_deletions" not in result["triggers"]["sage_accounting/ledgerAccountChanges"]
    assert result["after_changes"] == {"changes": 250, "requests": 2, "events": 250}
