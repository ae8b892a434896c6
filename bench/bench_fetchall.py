"""Listing 100,000 contacts: listContacts with ``fetchAll`` against a hand-written paging loop.

Run: python bench/bench_fetchall.py [--records 100000] [--repeats 11] [--per-page 200]
     [--json bench/results/fetchall.json]

Both sides list the same in-process sandbox (``SandboxTransport``, no socket), 200 records a
page, following ``$next`` to the end:

- layer: ``sageflow._http.Client.call("sage_accounting/listContacts", {"fetchAll": True})``, the
  real HTTP layer (auth header, limiter, retry policy, response values) driving the component's
  paging generator. The limiter's quota is lifted (see ``_common.unlimited_limiter``).
- by hand: what a developer writes with plain ``httpx.Client``: GET, ``raise_for_status``,
  ``extend`` the ``$items``, follow ``$next``.

Each pair runs twice: sync (``Client`` / ``httpx.Client``) and async (``AsyncClient``, what the
runner uses / ``httpx.AsyncClient``).

Throughput (records/s) is the median of interleaved repeats, without tracemalloc (it slows
allocation-heavy code several times). Peak memory is a separate run of each side under
tracemalloc, started *after* the sandbox holds its records and has answered the same query
once, so only what the listing allocates is counted (the sandbox's own 100,000 records are
not). "result" is what is still allocated once the listing returns, i.e. the records both
sides hold; the peak above it is the transient cost of paging.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from _common import RESULTS, Row, print_table, token_connection, unlimited_limiter, write_json

from sage_accounting.sandbox import Sandbox
from sageflow._http import AsyncClient, Client


def build_sandbox(records: int) -> Sandbox:
    """A sandbox holding exactly ``records`` contacts (the seed's few included)."""
    sandbox = Sandbox()
    missing = records - len(sandbox.records("contacts"))
    if missing > 0:
        sandbox.add_contacts(missing, prefix="Bench")
    return sandbox


def list_with_layer(sandbox: Sandbox, per_page: int) -> list[dict[str, Any]]:
    """Every contact through the HTTP layer and the listContacts component."""
    connection = token_connection(sandbox.api_base, sandbox.access_token)
    with Client(connection, transport=sandbox.transport(), limiter=unlimited_limiter()) as sage:
        output = sage.call(
            "sage_accounting/listContacts", {"fetchAll": True, "itemsPerPage": per_page}
        )
    items: list[dict[str, Any]] = output["items"]
    return items


def list_by_hand(sandbox: Sandbox, per_page: int) -> list[dict[str, Any]]:
    """Every contact with plain httpx: the loop a developer writes without sageflow."""
    headers = {"Authorization": f"Bearer {sandbox.access_token}", "Accept": "application/json"}
    items: list[dict[str, Any]] = []
    with httpx.Client(
        transport=sandbox.transport(), base_url=sandbox.api_base, headers=headers
    ) as client:
        url: str | None = "/contacts"
        params: dict[str, Any] | None = {"items_per_page": per_page}
        while url:
            response = client.get(url, params=params)
            response.raise_for_status()
            page = response.json()
            items.extend(page["$items"])
            # $next is relative to the API base and already carries the page size.
            url, params = page.get("$next"), None
    return items


async def _alist_with_layer(sandbox: Sandbox, per_page: int) -> list[dict[str, Any]]:
    connection = token_connection(sandbox.api_base, sandbox.access_token)
    async with AsyncClient(
        connection, transport=sandbox.async_transport(), limiter=unlimited_limiter()
    ) as sage:
        output = await sage.acall(
            "sage_accounting/listContacts", {"fetchAll": True, "itemsPerPage": per_page}
        )
    items: list[dict[str, Any]] = output["items"]
    return items


async def _alist_by_hand(sandbox: Sandbox, per_page: int) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {sandbox.access_token}", "Accept": "application/json"}
    items: list[dict[str, Any]] = []
    async with httpx.AsyncClient(
        transport=sandbox.async_transport(), base_url=sandbox.api_base, headers=headers
    ) as client:
        url: str | None = "/contacts"
        params: dict[str, Any] | None = {"items_per_page": per_page}
        while url:
            response = await client.get(url, params=params)
            response.raise_for_status()
            page = response.json()
            items.extend(page["$items"])
            url, params = page.get("$next"), None
    return items


def alist_with_layer(sandbox: Sandbox, per_page: int) -> list[dict[str, Any]]:
    """The same through ``AsyncClient`` (what the runner uses), one event loop per listing."""
    return asyncio.run(_alist_with_layer(sandbox, per_page))


def alist_by_hand(sandbox: Sandbox, per_page: int) -> list[dict[str, Any]]:
    """The same loop with ``httpx.AsyncClient``."""
    return asyncio.run(_alist_by_hand(sandbox, per_page))


Lister = Callable[[Sandbox, int], list[dict[str, Any]]]
SIDES: dict[str, Lister] = {
    "layer": list_with_layer,
    "by_hand": list_by_hand,
    "layer_async": alist_with_layer,
    "by_hand_async": alist_by_hand,
}
PAIRS = (("layer", "by_hand"), ("layer_async", "by_hand_async"))


def requests_per_fetchall(sandbox: Sandbox, inputs: dict[str, Any]) -> int:
    """How many requests one ``listContacts`` fetchAll with ``inputs`` sends (counted by the
    sandbox): the figure issue 9 asks for, default page size against Sage's old default 20."""
    connection = token_connection(sandbox.api_base, sandbox.access_token)
    before = sandbox.stats.requests
    with Client(connection, transport=sandbox.transport(), limiter=unlimited_limiter()) as sage:
        sage.call("sage_accounting/listContacts", {"fetchAll": True, **inputs})
    return sandbox.stats.requests - before


def _timed(lister: Lister, sandbox: Sandbox, per_page: int, records: int) -> float:
    start = time.perf_counter()
    got = lister(sandbox, per_page)
    took = time.perf_counter() - start
    if len(got) != records:
        raise AssertionError(f"{lister.__name__} listed {len(got)} records, not {records}")
    return took


def _memory(lister: Lister, sandbox: Sandbox, per_page: int) -> tuple[int, int]:
    """(peak, held): the most the listing had allocated at once, and what is still allocated
    while its result is alive (the records themselves, roughly)."""
    gc.collect()
    tracemalloc.start()
    try:
        # Blocks allocated before start() (the sandbox's records, its list cache) are not
        # traced at all: only what this listing allocates is counted.
        got = lister(sandbox, per_page)
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del got
    return peak, held


def measure(records: int, repeats: int, per_page: int = 200) -> dict[str, Any]:
    """Throughput and peak memory of both sides on one sandbox; the core of the benchmark."""
    start = time.perf_counter()
    sandbox = build_sandbox(records)
    setup = time.perf_counter() - start
    # Warm-up: fills the sandbox's list cache for this query and imports everything lazily
    # imported, so neither side pays a one-off cost the other does not.
    for lister in SIDES.values():
        _timed(lister, sandbox, per_page, records)
    times: dict[str, list[float]] = {name: [] for name in SIDES}
    for r in range(repeats):
        # Alternate which side goes first: the machine is shared and drifts.
        order = list(SIDES.items()) if r % 2 == 0 else list(reversed(SIDES.items()))
        for name, lister in order:
            times[name].append(_timed(lister, sandbox, per_page, records))
    memory = {name: _memory(lister, sandbox, per_page) for name, lister in SIDES.items()}
    median = {name: statistics.median(values) for name, values in times.items()}
    return {
        "records": records,
        "items_per_page": per_page,
        "pages": -(-records // per_page),
        "repeats": repeats,
        "sandbox_setup_seconds": setup,
        "seconds": median,
        "seconds_all": times,
        "records_per_second": {name: records / secs for name, secs in median.items()},
        "peak_bytes": {name: peak for name, (peak, _) in memory.items()},
        "held_bytes": {name: held for name, (_, held) in memory.items()},
        "time_ratio": {a: median[a] / median[b] for a, b in PAIRS},
        "memory_ratio": {a: memory[a][0] / memory[b][0] for a, b in PAIRS},
    }


def rows(result: dict[str, Any]) -> list[Row]:
    rps, peak, held = result["records_per_second"], result["peak_bytes"], result["held_bytes"]
    n = f"{result['records']:,}"
    out: list[Row] = []
    for layer, hand in PAIRS:
        kind = "async" if layer.endswith("async") else "sync"
        out += [
            (f"fetchAll {n}, layer ({kind})", f"{rps[layer]:,.0f} records/s", "", None),
            (f"hand loop {n}, httpx ({kind})", f"{rps[hand]:,.0f} records/s", "", None),
            ("  time, layer vs hand", f"{result['time_ratio'][layer]:.2f}x", "", None),
            (
                f"peak memory, layer ({kind})",
                f"{peak[layer] / 2**20:.1f} MiB (result {held[layer] / 2**20:.1f} MiB)",
                "",
                None,
            ),
            (
                f"peak memory, hand loop ({kind})",
                f"{peak[hand] / 2**20:.1f} MiB (result {held[hand] / 2**20:.1f} MiB)",
                "",
                None,
            ),
            ("  memory, layer vs hand", f"{result['memory_ratio'][layer]:.2f}x", "", None),
        ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--per-page", type=int, default=200)
    parser.add_argument("--json", type=Path, default=RESULTS / "fetchall.json")
    parser.add_argument(
        "--requests-only",
        action="store_true",
        help="only count the requests of one fetchAll: default page size vs itemsPerPage 20",
    )
    args = parser.parse_args(argv)
    if args.requests_only:
        sandbox = build_sandbox(args.records)
        default = requests_per_fetchall(sandbox, {})
        old_default = requests_per_fetchall(sandbox, {"itemsPerPage": 20})
        print(
            f"fetchAll of {args.records:,} contacts: {default:,} requests with the default", end=" "
        )
        print(f"page size; {old_default:,} with itemsPerPage 20 (Sage's default, used before)")
        return 0
    result = measure(args.records, args.repeats, args.per_page)
    print_table(
        f"fetchAll vs hand-written paging, {result['pages']} pages of {args.per_page}, "
        f"median of {args.repeats}",
        rows(result),
    )
    write_json(args.json, {"fetchall": result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
