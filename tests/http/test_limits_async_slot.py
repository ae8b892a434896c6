"""The async slot releases what it took on every exit: normal, error, cancellation mid-wait."""

from __future__ import annotations

import asyncio

import pytest

from sageflow._http import Limiter, LimitSettings


def _limiter(max_concurrent: int = 150) -> Limiter:
    return Limiter(
        LimitSettings(requests_per_day=10**12, burst=10**6, max_concurrent=max_concurrent)
    )


def test_writes_to_one_business_wait_for_each_other_but_not_for_others() -> None:
    limiter = _limiter()
    order: list[str] = []

    async def write(business: str, name: str) -> None:
        async with limiter.aslot(business):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    async def go() -> None:
        await asyncio.gather(write("b1", "a"), write("b1", "b"), write("b2", "c"))

    asyncio.run(go())
    assert order.index("a out") < order.index("b in")
    assert order.index("c in") < order.index("a out")


def test_an_error_in_the_body_releases_the_lock_and_the_slot() -> None:
    limiter = _limiter(max_concurrent=1)

    async def go() -> None:
        with pytest.raises(RuntimeError):
            async with limiter.aslot("b1"):
                raise RuntimeError("boom")
        async with limiter.aslot("b1"):  # would hang if either were still held
            pass

    asyncio.run(asyncio.wait_for(go(), 2))


def test_cancelled_while_waiting_for_the_slot_releases_the_business_lock() -> None:
    limiter = _limiter(max_concurrent=1)

    async def go() -> None:
        holder_in, release = asyncio.Event(), asyncio.Event()

        async def holder() -> None:
            async with limiter.aslot(None):
                holder_in.set()
                await release.wait()

        task = asyncio.ensure_future(holder())
        await holder_in.wait()
        waiter = asyncio.ensure_future(limiter.aslot("b1").__aenter__())
        await asyncio.sleep(0.01)  # the waiter holds b1's lock and waits for the slot
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        release.set()
        await task
        async with limiter.aslot("b1"):  # b1's lock was given back by the cancelled waiter
            pass

    asyncio.run(asyncio.wait_for(go(), 2))


def test_a_quota_wait_is_served_before_the_body_runs() -> None:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    limiter = Limiter(LimitSettings(requests_per_day=86_400, burst=1), asleep=fake_sleep)

    async def go() -> None:
        for _ in range(3):
            async with limiter.aslot(None):
                pass

    asyncio.run(go())
    assert len(waits) == 2
    assert all(0 < w <= 2.0 for w in waits)
