"""The limit workflow's leases: shares never add up past the limit, even while they shrink."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from sageflow._temporal._limits import (
    LIMIT_WORKFLOWS,
    ConnectionLimit,
    LeaseAsk,
    LimitState,
    LimitStatus,
)


async def _leases(address: str, task_queue: str) -> tuple[list[int], LimitStatus]:
    client = await Client.connect(address)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=LIMIT_WORKFLOWS,
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow(
            ConnectionLimit.run,
            LimitState("app", limit=4, lease_seconds=3600),
            id=f"limit-{uuid.uuid4().hex}",
            task_queue=task_queue,
        )

        async def lease(worker: str, want: int, in_use: int) -> int:
            grant = await handle.execute_update(
                ConnectionLimit.lease, LeaseAsk(worker, want, in_use)
            )
            return grant.permits

        granted = [
            await lease("a", want=4, in_use=0),  # alone: all it asks for
            await lease("b", want=4, in_use=0),  # nothing left
            await lease("a", want=4, in_use=4),  # contended: cut to a fair 2, but 4 in flight
            await lease("b", want=4, in_use=0),  # still nothing: a's requests hold the rest
            await lease("a", want=4, in_use=2),  # a's in flight fell to its share
            await lease("b", want=4, in_use=0),  # b gets the 2 that freed
        ]
        status = await handle.query(ConnectionLimit.status)
        await handle.signal(ConnectionLimit.stop)
        await handle.result()
    return granted, status


def test_a_share_cut_back_is_held_until_its_requests_end(
    temporal_server: str, task_queue: str
) -> None:
    granted, status = asyncio.run(_leases(temporal_server, task_queue))
    assert granted == [4, 0, 2, 0, 2, 2]
    assert status.held == {"a": 2, "b": 2}
    assert sum(status.held.values()) <= status.limit
