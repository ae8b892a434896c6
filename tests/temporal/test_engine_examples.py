"""The examples on Temporal give what a local run gives: outputs, step results, journal rows."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sageflow._cli.flows import read_value_file
from sageflow._flows._api import arun_flow, load_flow
from sageflow._flows._engine import RunResult
from sageflow._flows._journal import Journal
from sageflow._temporal import TemporalSettings
from sageflow._temporal._sandbox import ServedSandbox, worker_caller_factory
from sageflow._temporal._worker import running_worker
from sageflow.sandbox import Clock

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

CASES = [
    pytest.param("invoice-new-customer", {}, ("sage_accounting",), id="invoice-new-customer"),
    pytest.param(
        "import-customers",
        {"customers": "@customers.csv"},
        ("sage_accounting",),
        id="import-customers-loop",
    ),
    pytest.param(
        "void-unpaid-invoices", {"search": "SI"}, ("sage_accounting",), id="void-unpaid-loop"
    ),
    pytest.param("enter-supplier-bill", {}, ("sage_accounting",), id="enter-supplier-bill"),
    pytest.param("sage200-invoice-customer", {}, ("sage200",), id="sage200-invoice-customer"),
]


def _inputs(given: dict[str, str]) -> dict[str, Any]:
    return {
        k: read_value_file(EXAMPLES / v[1:]) if v.startswith("@") else v for k, v in given.items()
    }


#: A record id the sandbox assigns (32 hex digits, in the order creates arrive).
_RECORD_ID = re.compile(r"\b[0-9a-f]{32}\b")


def _ids_hidden(value: Any) -> Any:
    """``value`` with record ids replaced: a loop with ``concurrency: 8`` sends its creates in
    an order that varies from run to run, on either engine, and so do the ids they get."""
    return json.loads(_RECORD_ID.sub("<id>", json.dumps(value, default=str)))


def _rows(journal: Journal, run_id: str, hide: bool) -> list[tuple[Any, ...]]:
    rows = [
        (s.path, s.step_id, s.index, s.attempt, s.status, s.output, s.error)
        for s in journal.steps(run_id)
    ]
    shown = _ids_hidden(rows) if hide else json.loads(json.dumps(rows, default=str))
    return sorted(tuple(json.dumps(v, sort_keys=True) for v in row) for row in shown)


def _comparable(result: RunResult, hide: bool) -> Any:
    shown = result.to_dict()
    shown.pop("durationSeconds")
    return _ids_hidden(shown) if hide else shown


@pytest.mark.parametrize(("name", "given", "packs"), CASES)
def test_example_on_temporal_matches_local_run(
    name: str,
    given: dict[str, str],
    packs: tuple[str, ...],
    temporal_server: str,
    task_queue: str,
    serve_sandbox: Callable[..., ServedSandbox],
    tmp_path: Path,
) -> None:
    # Two fresh sandboxes standing at the same instant, one per engine, and one run id: the
    # markers and keys a run derives from its id, and the records' dates, are then the same.
    for_temporal = serve_sandbox(packs, clock=Clock.manual())
    for_local = serve_sandbox(packs, clock=Clock.manual())
    flow = load_flow(EXAMPLES / f"{name}.sageflow.yaml")
    inputs = _inputs(given)
    run_id = f"same-{name}"
    settings = TemporalSettings(address=temporal_server, task_queue=task_queue)

    async def both() -> tuple[RunResult, RunResult, int]:
        async with running_worker(
            settings, caller_for=worker_caller_factory(sandbox_url=for_temporal.url)
        ) as activities:
            on_temporal = await arun_flow(
                flow,
                inputs,
                journal=tmp_path / "temporal.db",
                env={},
                run_id=run_id,
                engine="temporal",
                temporal=settings,
            )
        local_caller = worker_caller_factory(sandbox_url=for_local.url)(None)
        try:
            local = await arun_flow(
                flow, inputs, caller=local_caller, journal=tmp_path / "local.db", run_id=run_id
            )
        finally:
            await local_caller.aclose()  # type: ignore[attr-defined]
        return on_temporal, local, activities.calls

    on_temporal, local, calls = asyncio.run(both())

    assert local.ok, local.error
    hide = any(step.concurrency > 1 for step in flow.steps)
    assert _comparable(on_temporal, hide) == _comparable(local, hide)
    with Journal(tmp_path / "temporal.db") as t, Journal(tmp_path / "local.db") as loc:
        assert _rows(t, run_id, hide) == _rows(loc, run_id, hide)
        record = t.run(run_id)
        assert record is not None
        assert record.status == "ok"
        called = [s for s in t.steps(run_id) if s.status != "skipped"]
    # Every step (and loop item) that ran was one activity on the worker, none twice.
    assert calls == len(called)
