"""Concurrency scaling of ``for_each``: the real runner against a sandbox with 20 ms latency.

Run: python bench/bench_concurrency.py [--items 256] [--repeats 3] [--latency 0.02]
     [--json bench/results/concurrency.json]

A flow whose one step loops ``sage_accounting/getContact`` over ``--items`` contact ids runs
through ``sageflow.arun_flow`` (journal on, as users run it) and the HTTP layer's
``AsyncClient`` on the in-process async sandbox transport, with ``concurrency`` 1, 4, 16 and
64. Each request waits ``Chaos(latency=0.02)`` in the sandbox (an ``asyncio.sleep``, so
concurrent requests overlap as they would over a network). The levels run in a rotated order
in each repeat and the median wall time is reported, with the speedup against concurrency 1.
The bar (issue 4): concurrency 16 at least 10x faster than 1.

A read, on purpose: the HTTP layer sends POSTs to Sage's numbered resources (contacts,
invoices, credit notes...) one at a time per business, as Sage asks integrators to, so a loop
of createContact cannot overlap whatever its ``concurrency``; a short createContact loop is
timed at 1 and 16 to show it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import RESULTS, Row, print_table, token_connection, unlimited_limiter, write_json

from sage_accounting.sandbox import Chaos, Sandbox
from sageflow import arun_flow, load_flow
from sageflow._http import AsyncClient

LEVELS = (1, 4, 16, 64)

READS = """\
name: bench-concurrency-reads
inputs:
  ids: {{type: array}}
steps:
  - id: look
    for_each: ${{{{ inputs.ids }}}}
    concurrency: {concurrency}
    uses: sage_accounting/getContact
    with: {{contactId: "${{{{ item }}}}"}}
"""

CREATES = """\
name: bench-concurrency-creates
inputs:
  names: {{type: array}}
steps:
  - id: make
    for_each: ${{{{ inputs.names }}}}
    concurrency: {concurrency}
    uses: sage_accounting/createContact
    with: {{name: "${{{{ item }}}}", contactTypeIds: [CUSTOMER]}}
"""


async def _run(text: str, inputs: dict[str, Any], sandbox: Sandbox, tmp: Path) -> float:
    path = tmp / "bench.sageflow.yaml"
    path.write_text(text)
    flow = load_flow(path)
    connection = token_connection(sandbox.api_base, sandbox.access_token)
    # The quota is lifted so the loop, not the layer's 15 requests/s pacing, is measured.
    async with AsyncClient(
        connection, transport=sandbox.async_transport(), limiter=unlimited_limiter()
    ) as caller:
        start = time.perf_counter()
        result = await arun_flow(flow, inputs, caller=caller, journal=tmp / "runs.db")
        took = time.perf_counter() - start
    if result.status != "ok":
        raise AssertionError(f"the flow failed: {result.error}")
    return took


def time_reads(items: int, concurrency: int, latency: float) -> tuple[float, int]:
    """Wall time of one getContact loop, and the most requests the sandbox saw at once."""
    sandbox = Sandbox(chaos=Chaos(latency=latency))
    seeded = [record["id"] for record in sandbox.records("contacts")]
    ids = [seeded[i % len(seeded)] for i in range(items)]
    with tempfile.TemporaryDirectory() as tmp:
        took = asyncio.run(
            _run(READS.format(concurrency=concurrency), {"ids": ids}, sandbox, Path(tmp))
        )
    if sandbox.stats.by_status[200] != items:
        raise AssertionError(f"{sandbox.stats.by_status[200]} reads answered, not {items}")
    return took, sandbox.stats.max_in_flight


def time_creates(items: int, concurrency: int, latency: float) -> tuple[float, int]:
    sandbox = Sandbox(chaos=Chaos(latency=latency))
    names = [f"Bench {concurrency}-{i}" for i in range(items)]
    with tempfile.TemporaryDirectory() as tmp:
        text = CREATES.format(concurrency=concurrency)
        took = asyncio.run(_run(text, {"names": names}, sandbox, Path(tmp)))
    return took, sandbox.stats.max_in_flight


def measure(
    items: int, repeats: int, latency: float = 0.02, levels: tuple[int, ...] = LEVELS
) -> dict[str, Any]:
    """Median wall time per level over rotated repeats; the core of the benchmark."""
    times: dict[int, list[float]] = {level: [] for level in levels}
    in_flight: dict[int, int] = dict.fromkeys(levels, 0)
    for r in range(repeats):
        # Rotate the order: a noisy neighbour should not always land on the same level.
        order = levels[r % len(levels) :] + levels[: r % len(levels)]
        for level in order:
            took, most = time_reads(items, level, latency)
            times[level].append(took)
            in_flight[level] = max(in_flight[level], most)
    median = {level: statistics.median(values) for level, values in times.items()}
    base = median[levels[0]]
    create_items = max(4, items // 8)
    creates = {level: time_creates(create_items, level, latency) for level in (1, 16)}
    return {
        "component": "sage_accounting/getContact",
        "items": items,
        "latency_seconds": latency,
        "repeats": repeats,
        "seconds": {str(k): v for k, v in median.items()},
        "seconds_all": {str(k): v for k, v in times.items()},
        "speedup": {str(k): base / v for k, v in median.items()},
        "max_in_flight": {str(k): v for k, v in in_flight.items()},
        "ideal_seconds": {str(k): latency * -(-items // k) for k in levels},
        "createContact": {
            "items": create_items,
            "seconds": {str(k): v[0] for k, v in creates.items()},
            "max_in_flight": {str(k): v[1] for k, v in creates.items()},
            "note": "POSTs to numbered resources are sent one at a time per business",
        },
        "bar_16_vs_1": 10.0,
        "ok": 16 in median and base / median[16] >= 10.0,
    }


def rows(result: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    n, ms = result["items"], result["latency_seconds"] * 1000
    for level, secs in result["seconds"].items():
        speed = result["speedup"][level]
        is_bar = level == "16"
        out.append(
            (
                f"getContact x{n}, {ms:g} ms, concurrency {level}",
                f"{secs:.3f}s, {speed:.1f}x (in flight {result['max_in_flight'][level]}, "
                f"ideal {result['ideal_seconds'][level]:.2f}s)",
                ">= 10x" if is_bar else "",
                speed >= 10.0 if is_bar else None,
            )
        )
    made = result["createContact"]
    out.append(
        (
            f"  createContact x{made['items']}, concurrency 1 / 16",
            f"{made['seconds']['1']:.3f}s / {made['seconds']['16']:.3f}s "
            f"(in flight {made['max_in_flight']['16']}: serialized by design)",
            "",
            None,
        )
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--json", type=Path, default=RESULTS / "concurrency.json")
    args = parser.parse_args(argv)
    result = measure(args.items, args.repeats, args.latency)
    print_table(
        f"for_each concurrency scaling, median of {args.repeats}; POSTs to numbered resources "
        "are serialized per business by the HTTP layer, so the loop is a read",
        rows(result),
    )
    write_json(args.json, {"concurrency": result})
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
