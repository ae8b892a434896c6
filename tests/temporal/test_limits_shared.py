"""The connection-wide concurrency limit holds across workers, not per process."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from sageflow._execute import Caller
from sageflow._registry import get_component
from sageflow._temporal._limits import LIMIT_WORKFLOWS, ConnectionLimit, limit_workflow_id
from sageflow._temporal._sandbox import ServedSandbox, worker_caller_factory
from sageflow._temporal._tokens import TOKEN_WORKFLOWS
from sageflow.sandbox import Chaos

CALLS = 36
WORKERS = 3
LIMIT = 4


class ListActivities:
    def __init__(self, url: str, limit: int | None) -> None:
        self._url = url
        self._limit = limit
        self._caller: Caller | None = None

    @activity.defn(name="test.listContacts")
    async def list_contacts(self, _n: int) -> int:
        if self._caller is None:
            self._caller = worker_caller_factory(sandbox_url=self._url, limit=self._limit)(None)
        output = await self._caller.acall(
            get_component("sage_accounting/listContacts"), {"limit": 1}
        )
        return len(output["items"])

    async def aclose(self) -> None:
        if self._caller is not None:
            await self._caller.aclose()  # type: ignore[attr-defined]


@workflow.defn(name="test.LimitFanout")
class Fanout:
    @workflow.run
    async def run(self, calls: int) -> list[int]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_activity(
                        "test.listContacts",
                        n,
                        result_type=int,
                        start_to_close_timeout=timedelta(seconds=120),
                    )
                    for n in range(calls)
                )
            )
        )


async def _fan_out(address: str, task_queue: str, url: str, limit: int | None) -> list[int]:
    client = await Client.connect(address)
    clients = [
        await Client.connect(address, runtime=Runtime(telemetry=TelemetryConfig()))
        for _ in range(WORKERS)
    ]
    acts = [ListActivities(url, limit) for _ in range(WORKERS)]
    workers = [
        Worker(
            clients[i],
            task_queue=task_queue,
            workflows=[Fanout, *TOKEN_WORKFLOWS, *LIMIT_WORKFLOWS],
            activities=[acts[i].list_contacts],
            workflow_runner=UnsandboxedWorkflowRunner(),
            # Each worker alone could exceed the limit: it is the lease that holds them.
            max_concurrent_activities=CALLS // WORKERS,
        )
        for i in range(WORKERS)
    ]
    try:
        async with workers[0], workers[1], workers[2]:
            results: list[int] = await client.execute_workflow(
                Fanout.run, CALLS, id=f"limit-fanout-{task_queue}", task_queue=task_queue
            )
            if limit is not None:
                handle = client.get_workflow_handle(limit_workflow_id("sandbox-sage_accounting"))
                await handle.signal(ConnectionLimit.stop)
                await handle.result()
    finally:
        for each in acts:
            await each.aclose()
    return results


@pytest.fixture(autouse=True)
def _no_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_SANDBOX_URL", "SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("limit", [LIMIT, None], ids=["shared-limit", "per-worker-only"])
def test_requests_in_flight_never_pass_the_connection_limit(
    limit: int | None, temporal_server: str, task_queue: str, serve_sandbox: Any
) -> None:
    # Every request takes 50 ms, so requests of different workers overlap; the sandbox counts
    # the most it ever had in flight at once (and would answer 429 past the limit).
    served: ServedSandbox = serve_sandbox(chaos=Chaos(latency=0.05))
    results = asyncio.run(_fan_out(temporal_server, task_queue, served.url, limit))
    stats = served.simulator().stats
    assert results == [1] * CALLS
    if limit is not None:
        assert stats.max_in_flight <= LIMIT
        assert stats.max_in_flight >= 2  # shared, not one request at a time
    else:
        # The control: without the shared limit, three workers together go past it, which is
        # what makes the assertion above mean something.
        assert stats.max_in_flight > LIMIT


class CreateActivities:
    def __init__(self, url: str, limit: int | None) -> None:
        self._url = url
        self._limit = limit
        self._caller: Caller | None = None

    @activity.defn(name="test.createContact")
    async def create_contact(self, n: int) -> str:
        if self._caller is None:
            self._caller = worker_caller_factory(sandbox_url=self._url, limit=self._limit)(None)
        inputs = {"name": f"Fleet {n:02d}", "contactTypeIds": ["CUSTOMER"]}
        output = await self._caller.acall(get_component("sage_accounting/createContact"), inputs)
        return str(output["id"])

    async def aclose(self) -> None:
        if self._caller is not None:
            await self._caller.aclose()  # type: ignore[attr-defined]


@workflow.defn(name="test.CreateFanout")
class CreateFanout:
    @workflow.run
    async def run(self, calls: int) -> list[str]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_activity(
                        "test.createContact",
                        n,
                        result_type=str,
                        start_to_close_timeout=timedelta(seconds=120),
                    )
                    for n in range(calls)
                )
            )
        )


async def _create_fan_out(address: str, task_queue: str, url: str, limit: int | None) -> int:
    client = await Client.connect(address)
    clients = [
        await Client.connect(address, runtime=Runtime(telemetry=TelemetryConfig()))
        for _ in range(WORKERS)
    ]
    acts = [CreateActivities(url, limit) for _ in range(WORKERS)]
    workers = [
        Worker(
            clients[i],
            task_queue=task_queue,
            workflows=[CreateFanout, *LIMIT_WORKFLOWS],
            activities=[acts[i].create_contact],
            workflow_runner=UnsandboxedWorkflowRunner(),
            max_concurrent_activities=4,
        )
        for i in range(WORKERS)
    ]
    try:
        async with workers[0], workers[1], workers[2]:
            made: list[str] = await client.execute_workflow(
                CreateFanout.run, 15, id=f"create-fanout-{task_queue}", task_queue=task_queue
            )
            if limit is not None:
                handle = client.get_workflow_handle(limit_workflow_id("sandbox-sage_accounting"))
                await handle.signal(ConnectionLimit.stop)
                await handle.result()
    finally:
        for each in acts:
            await each.aclose()
    return len(set(made))


@pytest.mark.parametrize("limit", [LIMIT, None], ids=["shared-limit", "per-worker-only"])
def test_numbered_posts_go_one_at_a_time_across_workers(
    limit: int | None, temporal_server: str, task_queue: str, serve_sandbox: Any
) -> None:
    # Sage numbers contacts in sequence and asks for such POSTs one at a time per business
    # (sage-guides-facts.md §7): one worker's lock is not enough when three create at once.
    served: ServedSandbox = serve_sandbox(chaos=Chaos(latency=0.05))
    before = len(served.simulator().records("contacts"))
    made = asyncio.run(_create_fan_out(temporal_server, task_queue, served.url, limit))
    assert made == 15
    assert len(served.simulator().records("contacts")) == before + 15
    stats = served.simulator().stats
    if limit is not None:
        assert stats.max_in_flight == 1
    else:
        assert stats.max_in_flight > 1  # the control: each worker's own lock lets 3 overlap
