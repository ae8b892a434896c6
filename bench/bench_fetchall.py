"""Listing 100,000 contacts: listContacts with ``fetchAll`` against a hand-written paging loop.

Run: python bench/bench_fetchall.py [--records 100000] [--repeats 5] [--per-page 200]
     [--json bench/results/fetchall.json]

Both sides list the same in-process sandbox (``SandboxTransport``, no socket), 200 records a
page, following ``$next`` to the end:

- layer: ``sageflow._http.Client.call("sage_accounting/listContacts", {"fetchAll": True})``, the
  real HTTP layer (auth header, limiter, retry policy, response values) driving the component's
  paging generator. The limiter's quota is lifted (see ``_common.unlimited_limiter``).
- by hand: what a developer writes with plain ``httpx.Client``: GET, ``raise_for_status``,
  ``extend`` the ``$items``, follow ``$next``.

Throughput (records/s) is the median of interleaved repeats, without tracemalloc (it slows
allocation-heavy code several times). Peak memory is a separate run of each side under
tracemalloc, started *after* the sandbox holds its records and has answered the same query
once, so only what the listing allocates is counted (the sandbox's own 100,000 records are
not). The records both sides hold at the end are most of that peak.
"""

from __future__ import annotations

import argparse
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
from sageflow._http import Client


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


Lister = Callable[[Sandbox, int], list[dict[str, Any]]]
SIDES: dict[str, Lister] = {"layer": list_with_layer, "by_hand": list_by_hand}


def _timed(lister: Lister, sandbox: Sandbox, per_page: int, records: int) -> float:
    start = time.perf_counter()
    got = lister(sandbox, per_page)
    took = time.perf_counter() - start
    if len(got) != records:
        raise AssertionError(f"{lister.__name__} listed {len(got)} records, not {records}")
    return took


def _peak_bytes(lister: Lister, sandbox: Sandbox, per_page: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        # Blocks allocated before start() (the sandbox's records, its list cache) are not
        # traced at all: the peak is what this listing allocated, live at the worst moment.
        got = lister(sandbox, per_page)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del got
    return peak


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
    peaks = {name: _peak_bytes(lister, sandbox, per_page) for name, lister in SIDES.items()}
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
        "peak_bytes": peaks,
        "time_ratio": median["layer"] / median["by_hand"],
        "memory_ratio": peaks["layer"] / peaks["by_hand"],
    }


def rows(result: dict[str, Any]) -> list[Row]:
    rps, peak = result["records_per_second"], result["peak_bytes"]
    n = f"{result['records']:,}"
    return [
        (f"fetchAll {n} (layer)", f"{rps['layer']:,.0f} records/s", "", None),
        (f"hand loop {n} (httpx)", f"{rps['by_hand']:,.0f} records/s", "", None),
        ("  time, layer vs hand", f"{result['time_ratio']:.2f}x", "", None),
        ("peak memory, layer", f"{peak['layer'] / 2**20:.1f} MiB", "", None),
        ("peak memory, hand loop", f"{peak['by_hand'] / 2**20:.1f} MiB", "", None),
        ("  memory, layer vs hand", f"{result['memory_ratio']:.2f}x", "", None),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--per-page", type=int, default=200)
    parser.add_argument("--json", type=Path, default=RESULTS / "fetchall.json")
    args = parser.parse_args(argv)
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
