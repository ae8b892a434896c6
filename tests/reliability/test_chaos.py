"""Chaos: 500s, 429s with Retry-After, drops after commit, timeouts; no invoice lost or doubled.

Run in both sandbox modes: Sage's own mechanism (``idempotency_id`` honoured) and
``idempotency=False``, where only the markers the creates carry keep them exactly once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest

from sage_accounting.connection import PROFILE
from sage_accounting.sandbox import DEV_TOKEN, Chaos, Clock, Sandbox
from sageflow import arun_flow, load_flow
from sageflow._http import AsyncClient, Connection, RetryPolicy

from .kit import invoice_flow, sales_ids

COUNT = 300


class FakeSleep:
    """Records every wait and returns at once: backoff is asserted, never waited out."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)  # still yield, so concurrent items interleave as they would


#: The sandbox's two modes (``sageflow sandbox serve`` and ``--no-idempotency``).
MODES = [
    pytest.param(True, id="idempotency_id"),
    pytest.param(False, id="no-idempotency"),
]


@pytest.mark.slow
@pytest.mark.parametrize("idempotency", MODES)
def test_300_invoices_through_chaos_exactly_once(tmp_path: Path, idempotency: bool) -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=idempotency)
    with httpx.Client(
        transport=sandbox.transport(),
        base_url=sandbox.api_base + "/",
        headers={"Authorization": f"Bearer {DEV_TOKEN}"},
    ) as lookup:
        contact, ledger = sales_ids(lookup)
    before = len(sandbox.records("sales_invoices"))
    # Faults start after the lookups so that every one of them lands on the flow's requests.
    sandbox.chaos = Chaos(
        error_rate=0.10,
        throttle_rate=0.10,
        retry_after=1,
        drop_rate=0.05,
        timeout_rate=0.05,
        seed=6,
    )
    sleep = FakeSleep()
    caller = AsyncClient(
        Connection.with_token(sandbox.api_base, DEV_TOKEN, PROFILE),
        transport=sandbox.async_transport(),
        sleep=sleep,
        retry=RetryPolicy(random=lambda: 0.5),
    )
    path = tmp_path / "chaos.sageflow.yaml"
    path.write_text(invoice_flow("chaos-invoices"))
    refs = [f"CHAOS-{n:03}" for n in range(COUNT)]

    result = asyncio.run(
        arun_flow(
            load_flow(path),
            {"refs": refs, "contact": contact, "ledger": ledger},
            caller=caller,
            journal=tmp_path / "runs.db",
            sleep=sleep,
        )
    )

    assert result.status == "ok", result.error
    assert result.outputs["made"] == COUNT
    invoices = sandbox.records("sales_invoices")
    made = Counter(str(i.get("reference")) for i in invoices)
    made = Counter({ref: n for ref, n in made.items() if ref.startswith("CHAOS-")})
    assert sorted(made) == refs, "an invoice is missing"
    assert set(made.values()) == {1}, f"duplicated: {[r for r, n in made.items() if n > 1]}"
    assert len(invoices) == before + COUNT
    # Each item's output is the invoice the sandbox holds (a replayed reply, after a drop).
    outputs = result.steps["invoices"].output
    assert {o["id"] for o in outputs} == {i["id"] for i in invoices if i.get("reference") in made}
    # The faults really happened. A drop after commit leaves the write's outcome unknown: the
    # executor looks for the invoice's marker and adopts what it finds (in both modes; with
    # Sage's mechanism a re-sent create would also be replayed by its idempotency_id).
    faults = sandbox.stats.faults
    assert faults["error_500"] > 20, faults
    assert faults["error_429"] > 20, faults
    assert faults["timeout"] > 5, faults
    assert faults["drop"] > 5, faults
    if not idempotency:
        assert sandbox.stats.replays == 0
    assert 1.0 in sleep.waits  # Retry-After honoured (through the injected sleep)
