"""A worker's limit renewer ends when cancelled, even when Temporal's client reports the
cancelled update as an error (the SDK's "Timeout or cancellation waiting for update")."""

from __future__ import annotations

import asyncio
from typing import Any

from sageflow._temporal._limits import LeaseGrant, SharedLimiter


class UpdateThatHangs:
    """A Temporal client whose lease update answers once, then waits for ever; cancelled, it
    raises an ordinary exception, as ``WorkflowUpdateRPCTimeoutOrCancelledError`` is."""

    def __init__(self) -> None:
        self.asked = 0
        self.waiting = asyncio.Event()

    async def execute_update_with_start_workflow(self, *args: Any, **kwargs: Any) -> LeaseGrant:
        self.asked += 1
        if self.asked == 1:
            return LeaseGrant(permits=4, lease_seconds=60.0, renew_in=0.0)
        self.waiting.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise RuntimeError("Timeout or cancellation waiting for update") from None
        raise AssertionError("unreachable")


def test_a_renewer_cancelled_mid_update_ends() -> None:
    async def scenario() -> bool:
        client = UpdateThatHangs()
        limiter = SharedLimiter(client, "app", task_queue="q", limit=4, renew_every=0.0)
        await limiter._gate_ready()
        await client.waiting.wait()  # the renewer is inside its second update
        renewer = limiter._renewer
        assert renewer is not None
        # As asyncio.run's shutdown does: every task at once. The update's own task (inside
        # wait_for) cancelled first ends with the SDK's error before its caller runs, and
        # wait_for then hands that error, not CancelledError, to the cancelled renewer.
        for task in asyncio.all_tasks() - {asyncio.current_task(), renewer}:
            task.cancel()
        renewer.cancel()
        # Before the fix the renewer logged the "error" and renewed again, for ever: this wait
        # is the hang guard, far above the few milliseconds a cancelled task takes.
        done, _ = await asyncio.wait({renewer}, timeout=30)
        return renewer in done and renewer.cancelled()

    assert asyncio.run(scenario())
