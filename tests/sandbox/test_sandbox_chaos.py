"""Chaos knobs: injected errors, dropped connections after commit, timeouts, rate limits."""

from __future__ import annotations

import asyncio
import types

import httpx
import pytest
from sandboxkit import make_async_client, make_client

from sage_accounting.sandbox import Chaos, Clock, Sandbox
from sageflow.sandbox import _transports

CONTACT = {"contact": {"name": "Chaos Ltd", "contact_type_ids": ["CUSTOMER"]}}
KEYED = {"contact": {**CONTACT["contact"], "idempotency_id": "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"}}


def _chaotic(**knobs: object) -> Sandbox:
    return Sandbox(clock=Clock.manual(), chaos=Chaos(**knobs))  # type: ignore[arg-type]


@pytest.fixture
def fake_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Latency without real waiting: record the delays, yield control to the loop once."""
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(_transports, "asyncio", types.SimpleNamespace(sleep=sleep))
    monkeypatch.setattr(_transports, "time", types.SimpleNamespace(sleep=slept.append))
    return slept


@pytest.mark.parametrize(
    ("knob", "status"),
    [
        pytest.param("error_rate", 500, id="500"),
        pytest.param("unavailable_rate", 503, id="503"),
        pytest.param("throttle_rate", 429, id="429"),
    ],
)
def test_injected_errors_happen_before_processing(knob: str, status: int) -> None:
    sandbox = _chaotic(**{knob: 1.0, "retry_after": 7})
    with make_client(sandbox) as client:
        response = client.post("/contacts", json=CONTACT)
    assert response.status_code == status
    assert response.json()[0]["$severity"] == "error"
    if status == 429:
        assert response.headers["retry-after"] == "7"
        assert sandbox.stats.throttled == 1
    assert not [c for c in sandbox.records("contacts") if c["name"] == "Chaos Ltd"]


def test_rates_are_seeded_and_roughly_right() -> None:
    def statuses() -> list[int]:
        sandbox = _chaotic(error_rate=0.1, throttle_rate=0.1, seed=42)
        with make_client(sandbox) as client:
            return [client.get("/contact_types").status_code for _ in range(1000)]

    first = statuses()
    assert first == statuses()
    assert 60 < first.count(500) < 140
    assert 60 < first.count(429) < 140


def test_dropped_connection_after_commit() -> None:
    sandbox = _chaotic(drop_rate=1.0)
    with make_client(sandbox) as client, pytest.raises(httpx.RemoteProtocolError):
        client.post("/contacts", json=KEYED)
    assert len([c for c in sandbox.records("contacts") if c["name"] == "Chaos Ltd"]) == 1
    sandbox.chaos.drop_rate = 0.0
    with make_client(sandbox) as client:
        retry = client.post("/contacts", json=KEYED)
    assert retry.status_code == 201
    assert len([c for c in sandbox.records("contacts") if c["name"] == "Chaos Ltd"]) == 1
    assert sandbox.stats.faults["drop"] == 1


def test_timeout_raises_read_timeout_without_committing() -> None:
    sandbox = _chaotic(timeout_rate=1.0)
    with make_client(sandbox) as client, pytest.raises(httpx.ReadTimeout):
        client.post("/contacts", json=CONTACT)
    assert not [c for c in sandbox.records("contacts") if c["name"] == "Chaos Ltd"]


def test_rate_limit_in_sandbox_seconds() -> None:
    sandbox = _chaotic(rate_limit=5)
    with make_client(sandbox) as client:
        statuses = [client.get("/contact_types").status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        throttled = client.get("/contact_types")
        assert throttled.headers["retry-after"] == "1"
        sandbox.advance(0.2)  # one token back
        assert client.get("/contact_types").status_code == 200
        assert client.get("/contact_types").status_code == 429
        sandbox.advance(1)
        assert [client.get("/contact_types").status_code for _ in range(5)] == [200] * 5
    assert sandbox.stats.throttled == 3
    assert sandbox.stats.requests == 14


def test_latency_and_concurrency_limit_async(fake_sleep: list[float]) -> None:
    sandbox = _chaotic(latency=0.05, concurrency_limit=4)

    async def burst() -> list[int]:
        async with make_async_client(sandbox) as client:
            responses = await asyncio.gather(*(client.get("/contact_types") for _ in range(10)))
        return [r.status_code for r in responses]

    statuses = asyncio.run(burst())
    assert fake_sleep == [0.05] * 10
    assert sandbox.stats.max_in_flight == 10
    assert statuses.count(429) == 6
    assert statuses.count(200) == 4


def test_latency_range_is_drawn_per_request(fake_sleep: list[float]) -> None:
    sandbox = _chaotic(latency=(0.01, 0.02), seed=3)
    with make_client(sandbox) as client:
        for _ in range(5):
            client.get("/contact_types")
    assert len(set(fake_sleep)) == 5
    assert all(0.01 <= s <= 0.02 for s in fake_sleep)


def test_oauth_is_exempt_from_chaos() -> None:
    sandbox = _chaotic(error_rate=1.0)
    with httpx.Client(
        transport=_transports.SandboxTransport(sandbox), base_url="http://sandbox"
    ) as client:
        response = client.post("/oauth2/token", data={"grant_type": "refresh_token"})
    assert response.status_code == 400
