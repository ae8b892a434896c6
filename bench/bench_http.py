"""Per-request overhead of the HTTP layer against plain httpx on the same in-process transport.

Run: python bench/bench_http.py [--requests 3000] [--repeats 7] [--json bench/results/http.json]

Both sides send the same requests (same URL, query, headers, body) through the same transport
in the same process, interleaved, and the median of several repeats is compared. The bar
(issue 3): the layer costs at most 1.3x plain httpx per request, without retries.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from sage_accounting.connection import PROFILE
from sageflow import HTTPRequest
from sageflow._http import AsyncClient, Client, Connection, Limiter, LimitSettings

API = "https://api.bench.example/v3.1"
TOKEN = "bench-token-0123456789"
BODY = json.dumps({"$items": [{"id": "c1", "displayed_as": "Acme"}], "$total": 1}).encode()
HEADERS = {
    "User-Agent": "sageflow/bench",
    "Accept": "application/json",
    "Authorization": f"Bearer {TOKEN}",
    "X-Business": "b1",
}


def _mock(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


def _time(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


async def _atime(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await fn()
    return (time.perf_counter() - start) / n


# The limiter code path runs (lock, semaphore, bucket), but with a quota the benchmark cannot
# reach: at Sage's real 15 requests/s the layer would, by design, measure its own pacing.
UNLIMITED = LimitSettings(requests_per_day=10**12, burst=10**9)


def _layer(transport: Any, api: str = API, token: str = TOKEN) -> Client:
    return Client(
        Connection.with_token(api, token, PROFILE, business_id="b1"),
        transport=transport,
        limiter=Limiter(UNLIMITED),
    )


def scenarios(requests: int) -> dict[str, tuple[Callable[[], float], Callable[[], float]]]:
    mock = httpx.MockTransport(_mock)
    plain = httpx.Client(transport=mock, timeout=30.0)
    layer = _layer(mock)
    get = HTTPRequest("GET", "/contacts", query={"search": "Acme", "items_per_page": 20})
    post = HTTPRequest("POST", "/journals", json={"journal": {"reference": "J1"}})
    params = {"search": "Acme", "items_per_page": "20"}
    post_headers = {**HEADERS, "X-Idempotency-Key": "k"}

    out = {
        "GET, MockTransport": (
            lambda: _time(
                lambda: plain.get(f"{API}/contacts", params=params, headers=HEADERS), requests
            ),
            lambda: _time(lambda: layer.send(get), requests),
        ),
        "POST json, MockTransport": (
            lambda: _time(
                lambda: plain.post(
                    f"{API}/journals", json={"journal": {"reference": "J1"}}, headers=post_headers
                ),
                requests,
            ),
            lambda: _time(lambda: layer.send(post), requests),
        ),
    }

    amock = httpx.MockTransport(_mock)
    aplain = httpx.AsyncClient(transport=amock, timeout=30.0)
    alayer = AsyncClient(
        Connection.with_token(API, TOKEN, PROFILE, business_id="b1"),
        transport=amock,
        limiter=Limiter(UNLIMITED),
    )
    loop = asyncio.new_event_loop()
    out["GET async, MockTransport"] = (
        lambda: loop.run_until_complete(
            _atime(lambda: aplain.get(f"{API}/contacts", params=params, headers=HEADERS), requests)
        ),
        lambda: loop.run_until_complete(_atime(lambda: alayer.send(get), requests)),
    )

    try:
        from sage_accounting.sandbox import DEV_TOKEN, IN_PROCESS_BASE_URL, Sandbox
    except ImportError:  # the sandbox is optional for this benchmark
        return out
    sandbox = Sandbox()
    transport = sandbox.transport()
    splain = httpx.Client(transport=transport, timeout=30.0)
    slayer = _layer(transport, IN_PROCESS_BASE_URL, DEV_TOKEN)
    business = sandbox.lead_business.id if hasattr(sandbox.lead_business, "id") else None
    sheaders = {**HEADERS, "Authorization": f"Bearer {DEV_TOKEN}"}
    if business:
        sheaders["X-Business"] = business
        slayer.connection.settings = type(slayer.connection.settings)(
            api_base=IN_PROCESS_BASE_URL,
            business_id=business,
            access_token=slayer.connection.settings.access_token,
        )
    sget = HTTPRequest("GET", "/ledger_accounts", query={"items_per_page": 5})
    out["GET, sandbox transport"] = (
        lambda: _time(
            lambda: splain.get(
                f"{IN_PROCESS_BASE_URL}/ledger_accounts",
                params={"items_per_page": "5"},
                headers=sheaders,
            ),
            max(1, requests // 5),
        ),
        lambda: _time(lambda: slayer.send(sget), max(1, requests // 5)),
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=Path, default=Path("bench/results/http.json"))
    parser.add_argument("--bar", type=float, default=1.3)
    args = parser.parse_args(argv)

    rows = []
    for name, (plain, layer) in scenarios(args.requests).items():
        plain()
        layer()  # warm up both sides
        plain_runs, layer_runs = [], []
        for _ in range(args.repeats):
            plain_runs.append(plain())
            layer_runs.append(layer())
        p, s = statistics.median(plain_runs), statistics.median(layer_runs)
        rows.append(
            {
                "scenario": name,
                "httpx_us": round(p * 1e6, 1),
                "sageflow_us": round(s * 1e6, 1),
                "overhead_us": round((s - p) * 1e6, 1),
                "ratio": round(s / p, 3),
            }
        )

    width = max(len(r["scenario"]) for r in rows)
    print(f"{'scenario':<{width}}  {'httpx µs':>9}  {'sageflow µs':>11}  {'ratio':>6}")
    for r in rows:
        print(
            f"{r['scenario']:<{width}}  {r['httpx_us']:>9}  {r['sageflow_us']:>11}  {r['ratio']:>6}"
        )
    worst = max(r["ratio"] for r in rows)
    verdict = "PASS" if worst <= args.bar else "FAIL"
    print(f"worst ratio {worst} (bar {args.bar}): {verdict}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "python": sys.version.split()[0],
                "httpx": httpx.__version__,
                "requests": args.requests,
                "repeats": args.repeats,
                "bar": args.bar,
                "worst_ratio": worst,
                "rows": rows,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
