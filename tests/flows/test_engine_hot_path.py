"""Per-item work the engine keeps cheap: throttled progress reports, a short RunResult repr."""

from __future__ import annotations

import asyncio
import textwrap

from sageflow import load_flow
from sageflow._flows import _engine
from sageflow._flows._engine import Engine, RunResult

from .conftest import FIXED_NOW, FakeCaller, FakeServer

LOOP = """\
    name: loop
    steps:
      - id: make
        for_each: ${{ inputs.names }}
        uses: testpack/createThing
        with: {name: "${{ item }}"}
    inputs:
      names: {type: array}
"""


def _run(
    caller: FakeCaller, names: list[str], ticks: list[float]
) -> tuple[RunResult, list[tuple[str, int, int]]]:
    reports: list[tuple[str, int, int]] = []
    engine = Engine(
        load_flow("t.sageflow.yaml", text=textwrap.dedent(LOOP)),
        lambda _account: caller,
        clock=lambda: FIXED_NOW,
        progress=lambda step, done, total: reports.append((step, done, total)),
    )
    clock = iter(ticks)
    last = [0.0]

    def tick() -> float:
        last[0] = next(clock, last[0])
        return last[0]

    engine._ticks = tick
    result = asyncio.run(engine.run({"names": names}))
    return result, reports


def test_progress_is_reported_at_the_start_and_end_not_per_item(caller: FakeCaller) -> None:
    result, reports = _run(caller, [f"n{i}" for i in range(50)], [0.0])  # the clock stands still
    assert result.status == "ok"
    assert reports == [("make", 0, 50), ("make", 50, 50)]


def test_progress_is_reported_again_once_the_interval_passed(caller: FakeCaller) -> None:
    step = _engine.PROGRESS_INTERVAL
    ticks = [0.0, 0.0, step / 2, step, step * 1.5, step * 2.5, step * 2.6]
    _result, reports = _run(caller, ["a", "b", "c", "d", "e"], ticks)
    dones = [done for _, done, _ in reports]
    assert dones[0] == 0
    assert dones[-1] == 5
    assert dones == sorted(dones)
    assert 2 < len(reports) < 7


def test_a_loop_stopped_by_a_failure_reports_where_it_stopped(
    caller: FakeCaller, server: FakeServer
) -> None:
    server.fail_names = {"c": 400}
    result, reports = _run(caller, ["a", "b", "c", "d"], [0.0])
    assert result.status == "failed"
    assert reports == [("make", 0, 4), ("make", 3, 4)]


def test_the_run_result_repr_does_not_walk_every_output(caller: FakeCaller) -> None:
    result, _ = _run(caller, [f"n{i}" for i in range(200)], [0.0])
    text = repr(result)
    assert "status='ok'" in text
    assert "steps=1" in text
    assert len(text) < 200
