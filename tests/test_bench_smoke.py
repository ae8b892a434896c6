"""The bench scripts still run: each one end to end at a toy size (seconds, not minutes).

The real benchmarks are scripts (``python bench/<name>.py``) whose figures live in
bench/README.md; they are far too slow for the suite. This only catches a script broken by a
change elsewhere (a renamed input, a moved import) before someone needs the figures.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Any:
    # The scripts import their helpers as top-level modules, as ``python bench/x.py`` does.
    monkeypatch.syspath_prepend(str(BENCH))

    def load(name: str) -> ModuleType:
        return importlib.import_module(name)

    return load


def _results(path: Path, key: str) -> Any:
    return json.loads(path.read_text())[key]


def test_fetchall_lists_every_record_both_ways(bench: Any, tmp_path: Path) -> None:
    out = tmp_path / "fetchall.json"
    args = ["--records", "500", "--repeats", "1", "--json", str(out)]
    assert bench("bench_fetchall").main(args) == 0
    result = _results(out, "fetchall")
    assert result["records"] == 500
    assert result["pages"] == 3
    assert set(result["peak_bytes"]) == {"layer", "by_hand", "layer_async", "by_hand_async"}
    assert all(peak > 0 for peak in result["peak_bytes"].values())


def test_ratelimit_paces_through_the_sandbox_bucket(bench: Any, tmp_path: Path) -> None:
    out = tmp_path / "ratelimit.json"
    args = ["--rates", "5", "--seconds", "2", "--workers", "1", "4", "--json", str(out)]
    bench("bench_ratelimit").main(args)  # 2 s is too short for the 5% bar; 429s are the point
    result = _results(out, "ratelimit")
    assert [run["workers"] for run in result["runs"]] == [1, 4, 4]
    assert result["runs"][-1]["latency_seconds"] > 0
    for run in result["runs"]:
        assert run["throttled"] == 0
        assert run["sandbox_seconds"] >= 2
        assert run["ok_responses"] >= 10
    # The control: without the client's limiter the sandbox's bucket does answer 429.
    assert result["no_client_limit"]["throttled"] > 0


def test_concurrency_runs_every_level(bench: Any, tmp_path: Path) -> None:
    out = tmp_path / "concurrency.json"
    args = ["--items", "8", "--repeats", "1", "--latency", "0.001", "--json", str(out)]
    bench("bench_concurrency").main(args)  # 8 items cannot show a 10x speedup
    result = _results(out, "concurrency")
    assert set(result["seconds"]) == {"1", "4", "16", "64"}
    assert result["max_in_flight"]["1"] == 1
    assert result["createContact"]["max_in_flight"]["16"] == 1


def test_cli_script_finds_what_it_reuses(bench: Any) -> None:
    # Running it spawns a dozen processes; importing proves bench_runner still exposes the
    # functions it calls, and the table builds from a result of the recorded shape.
    module = bench("bench_cli")
    result = {
        "startup": {"python_bare_seconds": 0.02, "components_list_seconds": 0.3},
        "runner_cli": {
            "help_seconds": 0.05,
            "validate_200_steps_seconds": 0.4,
            "validate_without_bytecode_env_seconds": 0.6,
            "validate_baseline_seconds": 0.7,
            "validate_baseline_as_called_seconds": 0.9,
            "baseline_ref": "HEAD~1",
        },
        "expression": {
            "context_items": 10_000,
            "median_microseconds": 5.0,
            "p95_microseconds": 6.0,
            "touching_whole_output_microseconds": 60_000.0,
            "ok": True,
        },
    }
    assert all(ok is not False for _, _, _, ok in module.rows(result))
    assert callable(module.validate_and_help)
    assert callable(module.expression)


def test_temporal_runs_the_loop_on_every_side(bench: Any, tmp_path: Path) -> None:
    pytest.importorskip("temporalio", reason="the temporal extra is not installed")
    out = tmp_path / "temporal.json"
    args = ["--items", "20", "--concurrency", "5", "--overhead-items", "4", "--repeats", "1"]
    assert bench("bench_temporal").main([*args, "--json", str(out)]) == 0
    result = _results(out, "temporal")
    assert set(result["loop_median_seconds"]) == {
        "local",
        "temporal_1_worker",
        "temporal_3_workers",
    }
    assert all(seconds > 0 for seconds in result["loop_median_seconds"].values())
    assert result["overhead_items"] == 4
