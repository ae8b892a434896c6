"""Rate limits with an injected clock, the concurrency cap, one-at-a-time numbered POSTs."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from httpkit import Clock, token_connection

from sageflow import CallOptions, HTTPRequest
from sageflow._http import AsyncClient, Client, Limiter, LimitSettings, TokenBucket


def test_default_rate_is_sages_daily_quota() -> None:
    assert LimitSettings().rate == 15.0
    assert LimitSettings().max_concurrent == 150


def test_bucket_allows_a_burst_then_paces(clock: Clock) -> None:
    bucket = TokenBucket(rate=15, burst=30, clock=clock)
    waits = [bucket.reserve() for _ in range(32)]
    assert waits[:30] == [0.0] * 30
    assert waits[30] == pytest.approx(1 / 15)
    assert waits[31] == pytest.approx(2 / 15)


def test_bucket_refills_with_time(clock: Clock) -> None:
    bucket = TokenBucket(rate=15, burst=30, clock=clock)
    for _ in range(30):
        bucket.reserve()
    clock.now += 1.0
    assert [bucket.reserve() for _ in range(15)] == [0.0] * 15
    assert bucket.reserve() > 0


def test_sustained_rate_through_the_limiter(clock: Clock) -> None:
    limiter = Limiter(LimitSettings(burst=1), clock=clock, sleep=clock.sleep)
    for _ in range(151):
        with limiter.slot():
            pass
    # 150 paced requests after the first: ten seconds at 15 per second.
    assert clock.now - 1_700_000_000.0 == pytest.approx(10.0)


def _tracking_async_transport(
    counts: dict[str, int], gate: asyncio.Event | None = None
) -> httpx.MockTransport:
    async def handler(request: httpx.Request) -> httpx.Response:
        key = request.method + " " + request.url.path + " " + request.headers.get("x-business", "")
        counts[key + " now"] = counts.get(key + " now", 0) + 1
        counts[key + " max"] = max(counts.get(key + " max", 0), counts[key + " now"])
        inflight = counts.get("all now", 0) + 1
        counts["all now"] = inflight
        counts["all max"] = max(counts.get("all max", 0), inflight)
        for _ in range(5):
            await asyncio.sleep(0)
        if gate is not None:
            await gate.wait()
        counts[key + " now"] -= 1
        counts["all now"] -= 1
        return httpx.Response(201, json={})

    return httpx.MockTransport(handler)


def test_concurrency_cap() -> None:
    asyncio.run(_concurrency_cap())


async def _concurrency_cap() -> None:
    counts: dict[str, int] = {}
    gate = asyncio.Event()
    limiter = Limiter(LimitSettings(max_concurrent=3))
    client = AsyncClient(
        token_connection(), transport=_tracking_async_transport(counts, gate), limiter=limiter
    )
    tasks = [asyncio.create_task(client.send(HTTPRequest("GET", "/contacts"))) for _ in range(10)]
    for _ in range(50):
        await asyncio.sleep(0)
    assert counts["all now"] == 3
    gate.set()
    await asyncio.gather(*tasks)
    await client.aclose()
    assert counts["all max"] == 3


def test_numbered_posts_go_one_at_a_time_per_business() -> None:
    asyncio.run(_numbered_posts())


async def _numbered_posts() -> None:
    counts: dict[str, int] = {}
    client = AsyncClient(token_connection(), transport=_tracking_async_transport(counts))
    posts = [
        client.send(HTTPRequest("POST", "/contacts", json={}), CallOptions(business_id=b))
        for b in ("b1", "b2")
        for _ in range(5)
    ]
    reads = [client.send(HTTPRequest("GET", "/contacts")) for _ in range(5)]
    other = [client.send(HTTPRequest("POST", "/journals", json={})) for _ in range(5)]
    await asyncio.gather(*posts, *reads, *other)
    await client.aclose()
    assert counts["POST /v3.1/contacts b1 max"] == 1
    assert counts["POST /v3.1/contacts b2 max"] == 1
    assert counts["GET /v3.1/contacts  max"] > 1
    assert counts["POST /v3.1/journals  max"] > 1
    assert counts["all max"] > 2


def test_numbered_posts_one_at_a_time_across_threads() -> None:
    lock = threading.Lock()
    state = {"now": 0, "max": 0}
    entered = threading.Barrier(2, timeout=5)

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        if request.method == "GET":
            entered.wait()  # two GETs must be able to overlap
        with lock:
            state["now"] -= 1
        return httpx.Response(201, json={})

    client = Client(token_connection("b1"), transport=httpx.MockTransport(handler))
    threads = [
        threading.Thread(target=client.send, args=(HTTPRequest("POST", "/sales_invoices"),))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state["max"] == 1
    readers = [
        threading.Thread(target=client.send, args=(HTTPRequest("GET", "/contacts"),))
        for _ in range(2)
    ]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join()
    client.close()
    assert state["max"] == 2


def test_clients_of_one_api_share_a_limiter_across_event_loops() -> None:
    from sageflow._http._limits import shared_limiter

    first, second = shared_limiter("https://x.example/v1"), shared_limiter("https://x.example/v1")
    assert first is second
    assert shared_limiter("https://y.example/v1") is not first

    async def use() -> None:
        async with first.aslot("b1"):
            pass

    asyncio.run(use())
    asyncio.run(use())  # a second loop gets its own asyncio primitives
