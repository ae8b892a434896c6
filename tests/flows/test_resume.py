"""Resume after a crash in the middle of a loop: nothing completed or in flight is sent twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sageflow._flows._api import aresume_flow, arun_flow
from sageflow._flows._engine import ResumeRefusedError
from sageflow._flows._journal import Journal

from .conftest import FakeCaller, FakeServer, SimulatedCrash

FLOW = """\
name: bulk
inputs:
  prefix: {type: string, default: c}
steps:
  - id: before
    uses: testpack/listThings
  - id: make
    for_each: ${{ [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }}
    concurrency: CONC
    uses: testpack/createThing
    with: {name: "${{ inputs.prefix }}${{ item }}"}
  - id: after
    uses: testpack/listThings
outputs:
  made: ${{ size(steps.make.output) }}
  total: ${{ steps.after.output.total }}
"""


@pytest.mark.parametrize("concurrency", [1, 4])
def test_resume_after_crash_mid_loop(tmp_path: Path, server: FakeServer, concurrency: int) -> None:
    path = tmp_path / "bulk.sageflow.yaml"
    path.write_text(FLOW.replace("CONC", str(concurrency)))
    db = tmp_path / "runs.db"

    class CrashAfterSend(FakeCaller):
        # The 6th write reaches the server, then the process "dies" before journaling it:
        # the in-flight case that only idempotency keys can make safe.
        dead = False

        async def acall(self, component, inputs, options=None):  # type: ignore[no-untyped-def]
            if self.dead:  # a killed process sends nothing more, whichever task asks
                raise SimulatedCrash("killed")
            output = await super().acall(component, inputs, options)
            if len(server.things) == 6:
                self.dead = True
                raise SimulatedCrash("killed")
            return output

    with pytest.raises(SimulatedCrash):
        asyncio.run(arun_flow(path, {}, caller=CrashAfterSend(server), journal=db, run_id="r1"))
    assert len(server.things) == 6
    with Journal(db) as journal:
        assert journal.run("r1").status == "running"

    second = FakeCaller(server)
    result = asyncio.run(aresume_flow("r1", journal=db, caller=second))
    assert result.status == "ok"
    assert result.outputs == {"made": 10, "total": 10}
    assert sorted(t["name"] for t in server.things) == [f"c{i}" for i in range(10)]
    assert result.steps["before"].reused
    # Only the unfinished items were called again, with their original keys.
    posted = [o.idempotency_key for ref, o in second.calls if ref == "testpack/createThing"]
    assert len(posted) <= 10 - 6 + concurrency
    with Journal(db) as journal:
        assert journal.run("r1").status == "ok"


def test_resume_refuses_a_changed_flow_unless_forced(tmp_path: Path, server: FakeServer) -> None:
    path = tmp_path / "bulk.sageflow.yaml"
    path.write_text(FLOW.replace("CONC", "1"))
    db = tmp_path / "runs.db"
    server.fail_names = {"c3": 500}
    failed = asyncio.run(arun_flow(path, {}, caller=FakeCaller(server), journal=db, run_id="r2"))
    assert failed.status == "failed"
    path.write_text(FLOW.replace("CONC", "2"))
    with pytest.raises(ResumeRefusedError, match="has changed"):
        asyncio.run(aresume_flow("r2", journal=db, caller=FakeCaller(server)))
    server.fail_names = {}
    result = asyncio.run(aresume_flow("r2", journal=db, caller=FakeCaller(server), force=True))
    assert result.status == "ok"
    assert len(server.things) == 10


def test_resume_refuses_unknown_and_finished_runs(tmp_path: Path, server: FakeServer) -> None:
    path = tmp_path / "bulk.sageflow.yaml"
    path.write_text(FLOW.replace("CONC", "1"))
    db = tmp_path / "runs.db"
    asyncio.run(arun_flow(path, {}, caller=FakeCaller(server), journal=db, run_id="r3"))
    with pytest.raises(ResumeRefusedError, match="already finished"):
        asyncio.run(aresume_flow("r3", journal=db, caller=FakeCaller(server)))
    with pytest.raises(ResumeRefusedError, match="no run"):
        asyncio.run(aresume_flow("nope", journal=db, caller=FakeCaller(server)))


def test_journal_records_attempts_and_paths(tmp_path: Path, server: FakeServer) -> None:
    path = tmp_path / "bulk.sageflow.yaml"
    path.write_text(
        FLOW.replace("CONC", "1").replace(
            "    uses: testpack/createThing",
            "    uses: testpack/createThing\n    retry: {max_attempts: 2, backoff: 0}",
        )
    )
    db = tmp_path / "runs.db"
    server.fail_next = [0] * 0
    server.fail_names = {}

    async def go() -> None:
        server.fail_next = []
        await arun_flow(path, {}, caller=FakeCaller(server), journal=db, run_id="r4")

    asyncio.run(go())
    with Journal(db) as journal:
        paths = [s.path for s in journal.steps("r4")]
    assert paths[:3] == ["before", "make[0]", "make[1]"]
    assert paths[-1] == "after"
