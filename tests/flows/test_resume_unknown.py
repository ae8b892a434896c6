"""Which calls the engine marks ``outcome_unknown`` (so their creates look for their markers)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sageflow._flows._api import aresume_flow, arun_flow

from .conftest import FakeCaller, FakeServer, SimulatedCrash

FLOW = """\
name: unknown
steps:
  - id: make
    for_each: ${{ [0, 1, 2, 3, 4, 5] }}
    concurrency: 1
    retry: {max_attempts: RETRIES, backoff: 0}
    uses: testpack/createThing
    with: {name: "c${{ item }}"}
"""


def _flow(tmp_path: Path, retries: int = 1) -> Path:
    path = tmp_path / "unknown.sageflow.yaml"
    path.write_text(FLOW.replace("RETRIES", str(retries)))
    return path


def _unknown(caller: FakeCaller) -> dict[str, bool]:
    """name -> outcome_unknown, for each createThing call (the loop's items in order)."""
    return {
        f"call{n}": options.outcome_unknown
        for n, (ref, options) in enumerate(caller.calls)
        if ref == "testpack/createThing"
    }


def test_a_fresh_run_knows_its_outcomes(tmp_path: Path, server: FakeServer) -> None:
    caller = FakeCaller(server)
    result = asyncio.run(arun_flow(_flow(tmp_path), {}, caller=caller, journal=tmp_path / "j.db"))
    assert result.ok
    assert not any(_unknown(caller).values())


def test_resuming_a_crashed_run_treats_every_unfinished_step_as_unknown(
    tmp_path: Path, server: FakeServer
) -> None:
    # The journal commits rows in groups: a kill can lose a "started" row, so a crashed run's
    # unfinished steps may all have been sent.
    db = tmp_path / "j.db"
    with pytest.raises(SimulatedCrash):
        asyncio.run(
            arun_flow(
                _flow(tmp_path),
                {},
                caller=FakeCaller(server, crash_after=3),
                journal=db,
                run_id="r",
            )
        )
    second = FakeCaller(server)
    result = asyncio.run(aresume_flow("r", journal=db, caller=second))
    assert result.ok
    flags = list(_unknown(second).values())
    assert flags
    assert all(flags)


def test_resuming_a_failed_run_looks_only_where_a_step_was_started(
    tmp_path: Path, server: FakeServer
) -> None:
    db = tmp_path / "j.db"
    server.fail_names = {"c2": 500}
    failed = asyncio.run(
        arun_flow(_flow(tmp_path), {}, caller=FakeCaller(server), journal=db, run_id="f")
    )
    assert failed.status == "failed"
    server.fail_names = {}
    second = FakeCaller(server)
    result = asyncio.run(aresume_flow("f", journal=db, caller=second))
    assert result.ok
    # c2 was sent and failed (a 500 may come after the write): unknown. c3..c5 never started.
    assert list(_unknown(second).values()) == [True, False, False, False]


def test_a_step_retry_is_an_unknown_outcome(tmp_path: Path, server: FakeServer) -> None:
    server.fail_next = [500]
    caller = FakeCaller(server)
    result = asyncio.run(
        arun_flow(_flow(tmp_path, retries=2), {}, caller=caller, journal=tmp_path / "j.db")
    )
    assert result.ok
    assert list(_unknown(caller).values())[:2] == [False, True]
