"""Flow runner figures: overhead against hand-written httpx, loop concurrency, expressions, CLI.

Run: python bench/bench_runner.py [--items 1000] [--repeats 3] [--json bench/results/runner.json]

- overhead: a 1,000-item ``for_each`` creating contacts against the in-process sandbox (journal
  on, as users run it) against a hand-written async httpx script sending the same requests to a
  sandbox of the same kind, in the same run, alternated; the median of the repeats is compared.
  The bar (issue 4): at most 1.25x.
- concurrency: the same loop (fewer items) with 20 ms of sandbox latency per request,
  ``concurrency: 16`` against ``concurrency: 1``. The bar: at least 10x faster.
- expression: the median time of ``${{ item.name }}`` with a 10,000-item step output in the
  context. The bar: at most 50 microseconds.
- CLI: wall time of ``sageflow validate`` on a 200-step flow (bar < 0.5 s, issue 11; 1 s in
  issue 4) and of ``sageflow --help`` (bar < 0.15 s), each a fresh process, best of several.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from sage_accounting.connection import PROFILE
from sage_accounting.sandbox import Chaos, Sandbox
from sageflow import CallOptions, get_component
from sageflow._flows._api import arun_flow, load_flow
from sageflow._flows._expr import Scope, compile_template, helpers, render
from sageflow._http import AsyncClient, Connection, Limiter, LimitSettings

LOOP = """\
name: bench-contacts
inputs:
  count: {{type: integer, default: {count}}}
steps:
  - id: make
    for_each: ${{{{ inputs.names }}}}
    concurrency: {concurrency}
    uses: sage_accounting/createContact
    with: {{name: "${{{{ item }}}}", contactTypeIds: [CUSTOMER]}}
"""


def _flow_text(count: int, concurrency: int) -> str:
    text = LOOP.format(count=count, concurrency=concurrency)
    return text.replace("inputs:\n", "inputs:\n  names: {type: array}\n", 1)


def _caller(sandbox: Sandbox) -> AsyncClient:
    # The HTTP layer paces requests to Sage's documented 15 requests/s by default; this
    # measures the runner, so the pace is lifted (the hand-written script has none either).
    connection = Connection.with_token(sandbox.api_base, sandbox.access_token, PROFILE)
    unlimited = Limiter(LimitSettings(requests_per_day=10**12, burst=10**6, max_concurrent=1000))
    return AsyncClient(connection, transport=sandbox.async_transport(), limiter=unlimited)


async def _runner(sandbox: Sandbox, names: list[str], concurrency: int, db: Path | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sageflow.yaml"
        path.write_text(_flow_text(len(names), concurrency))
        flow = load_flow(path)
        start = time.perf_counter()
        result = await arun_flow(flow, {"names": names}, caller=_caller(sandbox), journal=db)
        took = time.perf_counter() - start
    assert result.status == "ok", result.error
    assert len(result.steps["make"].output) == len(names)
    return took


async def _handwritten(sandbox: Sandbox, names: list[str], concurrency: int) -> float:
    """What a developer would write without sageflow: an httpx client and a semaphore, and
    Sage's ``idempotency_id`` in each body (its guide recommends it for every POST), so that
    both sides ask the sandbox for the same work."""
    headers = {
        "Authorization": f"Bearer {sandbox.access_token}",
        "Accept": "application/json",
        "User-Agent": "bench",
    }
    async with httpx.AsyncClient(
        transport=sandbox.async_transport(), base_url=sandbox.api_base, headers=headers
    ) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one(name: str) -> dict[str, Any]:
            async with gate:
                body = {
                    "contact": {
                        "name": name,
                        "contact_type_ids": ["CUSTOMER"],
                        "idempotency_id": uuid.uuid4().hex,
                    }
                }
                response = await client.post("/contacts", json=body)
                response.raise_for_status()
                return dict(response.json())

        start = time.perf_counter()
        made = await asyncio.gather(*(one(n) for n in names))
        took = time.perf_counter() - start
    assert len(made) == len(names)
    return took


async def _layer_only(sandbox: Sandbox, names: list[str]) -> float:
    """The HTTP layer called directly, one component call per name: no runner at all."""
    component = get_component("sage_accounting/createContact")
    caller = _caller(sandbox)
    start = time.perf_counter()
    for i, name in enumerate(names):
        inputs = {"name": name, "contactTypeIds": ["CUSTOMER"]}
        await caller.acall(component, inputs, CallOptions(idempotency_key=f"k-{i}"))
    took = time.perf_counter() - start
    await caller.aclose()
    return took


def _side(kind: str, names: list[str], db: Path) -> float:
    # Every side starts from a collected heap: otherwise the previous side's sandbox (1,000
    # contacts of cyclic garbage) is collected during whichever side happens to run next.
    gc.collect()
    if kind == "handwritten":
        return asyncio.run(_handwritten(Sandbox(), names, 1))
    if kind == "runner":
        return asyncio.run(_runner(Sandbox(), names, 1, db))
    if kind == "layer":
        return asyncio.run(_layer_only(Sandbox(), names))
    return asyncio.run(_runner(Sandbox(), names, 1, None))


def overhead(items: int, repeats: int) -> dict[str, Any]:
    times: dict[str, list[float]] = {"handwritten": [], "runner": [], "layer": [], "bare": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            names = [f"Bench {r}-{i}" for i in range(items)]
            db = Path(tmp) / f"runs{r}.db"
            # Alternate which side goes first, so neither always runs on a warmer process.
            for kind in list(times) if r % 2 == 0 else list(times)[::-1]:
                times[kind].append(_side(kind, names, db))
    runner_times, raw_times = times["runner"], times["handwritten"]
    layer_times, bare_times = times["layer"], times["bare"]
    runner, raw = statistics.median(runner_times), statistics.median(raw_times)
    layer, bare = statistics.median(layer_times), statistics.median(bare_times)
    return {
        "items": items,
        "runner_seconds": runner,
        "handwritten_seconds": raw,
        "http_layer_only_seconds": layer,
        "runner_without_journal_seconds": bare,
        "runner_vs_http_layer": runner / layer,
        "http_layer_vs_handwritten": layer / raw,
        "ratio": runner / raw,
        "bar": 1.25,
        "ok": runner / raw <= 1.25,
        # Each repeat's two sides ran back to back: their ratio is less exposed to a neighbour
        # loading the machine for a few seconds than the ratio of the two medians.
        "paired_ratio_median": statistics.median(
            run / hand for run, hand in zip(runner_times, raw_times, strict=True)
        ),
        "runner_all": runner_times,
        "handwritten_all": raw_times,
    }


READS = """\
name: bench-reads
inputs:
  names: {{type: array}}
steps:
  - id: look
    for_each: ${{{{ inputs.names }}}}
    concurrency: {concurrency}
    uses: sage_accounting/findContact
    with: {{search: "${{{{ item }}}}"}}
"""


async def _reads(sandbox: Sandbox, names: list[str], concurrency: int, db: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reads.sageflow.yaml"
        path.write_text(READS.format(concurrency=concurrency))
        flow = load_flow(path)
        start = time.perf_counter()
        result = await arun_flow(flow, {"names": names}, caller=_caller(sandbox), journal=db)
        took = time.perf_counter() - start
    assert result.status == "ok", result.error
    return took


def concurrency(items: int, latency: float) -> dict[str, Any]:
    # Reads: the HTTP layer deliberately sends creations of Sage's numbered records (contacts,
    # invoices) one at a time per business, so a loop of createContact cannot overlap at all.
    times, creates = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for conc in (1, 4, 16, 64):
            sandbox = Sandbox(chaos=Chaos(latency=latency))
            names = [f"Cust{i % 50}" for i in range(items)]
            times[conc] = asyncio.run(_reads(sandbox, names, conc, Path(tmp) / f"c{conc}.db"))
        for conc in (1, 16):
            sandbox = Sandbox(chaos=Chaos(latency=latency))
            names = [f"C{conc}-{i}" for i in range(items // 4)]
            creates[conc] = asyncio.run(_runner(sandbox, names, conc, Path(tmp) / f"w{conc}.db"))
    speedup = times[1] / times[16]
    return {
        "items": items,
        "component": "sage_accounting/findContact",
        "createContact_seconds_1_vs_16": {str(k): v for k, v in creates.items()},
        "createContact_items": items // 4,
        "latency_seconds": latency,
        "seconds": {str(k): v for k, v in times.items()},
        "speedup_16_vs_1": speedup,
        "bar": 10.0,
        "ok": speedup >= 10.0,
    }


def expression(samples: int) -> dict[str, Any]:
    big = {"items": [{"id": f"id{i}", "name": f"Contact {i}", "n": i} for i in range(10_000)]}
    scope = Scope(
        inputs={},
        steps={"listed": {"status": "ok", "output": big}},
        run={"id": "bench"},
        env={},
        functions=helpers(lambda: dt.datetime.now(dt.UTC)),
    ).child(big["items"][42], 42)
    template = compile_template("${{ item.name }}")
    for _ in range(200):
        render(template, scope)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        render(template, scope)
        times.append(time.perf_counter() - start)
    median_us = statistics.median(times) * 1e6
    # For contrast: an expression that does read the 10,000 items pays for converting them.
    touching = compile_template("${{ size(steps.listed.output.items) }}")
    start = time.perf_counter()
    for _ in range(20):
        render(touching, scope)
    touching_us = (time.perf_counter() - start) / 20 * 1e6
    # A map over every item (the invoice export's rows): linear, about a second or two for
    # 10,000; CEL's own map() copied its result per item (minutes, and over budget).
    rows = compile_template("${{ steps.listed.output.items.map(i, {'id': i.id, 'n': i.name}) }}")
    start = time.perf_counter()
    mapped = render(rows, scope)
    map_seconds = time.perf_counter() - start
    return {
        "map_10000_items_seconds": map_seconds,
        "map_10000_items_ok": len(mapped) == 10_000,
        "context_items": 10_000,
        "median_microseconds": median_us,
        "p95_microseconds": sorted(times)[int(samples * 0.95)] * 1e6,
        "touching_whole_output_microseconds": touching_us,
        "bar": 50.0,
        "ok": median_us <= 50.0,
    }


def _best_wall(args: list[str], tries: int, env: dict[str, str] | None = None) -> float:
    best = float("inf")
    for _ in range(tries):
        start = time.perf_counter()
        done = subprocess.run(args, capture_output=True, check=False, env=env)
        best = min(best, time.perf_counter() - start)
        if done.returncode not in (0,):
            raise RuntimeError(f"{args} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return best


def big_flow(steps: int = 200) -> str:
    """The flow ``sageflow validate`` is timed on: ``steps`` createContact steps, each with a
    literal, a mixed-text expression and (after the first) an ``if`` reading the previous step."""
    lines = ["name: big", "inputs:", "  who: {type: string, default: x}", "steps:"]
    for i in range(steps):
        lines += [
            f"  - id: s{i}",
            "    uses: sage_accounting/createContact",
            f'    with: {{name: "${{{{ inputs.who }}}} {i}", contactTypeIds: [CUSTOMER]}}',
        ]
        if i:
            lines.append(f"    if: ${{{{ steps.s{i - 1}.status == 'ok' }}}}")
    return "\n".join(lines) + "\n"


def bytecode_env(cache: Path, source: Path | None = None) -> dict[str, str]:
    """The environment of an installed sageflow: bytecode cached (pip compiles it at install).

    A development shell often sets PYTHONDONTWRITEBYTECODE, and an editable install then
    compiles every sageflow module from source on each command (0.1-0.2 s of validate). The
    bytecode goes to ``cache`` (PYTHONPYCACHEPREFIX), not into the checkout. ``source``: a
    directory holding another tree's ``runner/`` and ``components/``, imported before the
    installed one (the baseline of a before/after comparison).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(source / d) for d in ("runner", "components"))
    return env


def cli(tries: int, baseline: Path | None = None) -> dict[str, Any]:
    """``sageflow validate`` of a 200-step flow and ``sageflow --help``, best of ``tries``
    fresh processes each, bytecode cached as an installed package has it (one warm-up run
    writes it). The caller's own environment is timed too, for context. With ``baseline`` (a
    tree exported from an older commit), its validate is timed in the same run, alternated."""
    # What the `sageflow` console script runs, spelled out so that a baseline tree on
    # PYTHONPATH is started the same way as the installed one.
    run = [sys.executable, "-c", "import sys; from sageflow._cli import main; sys.exit(main())"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.sageflow.yaml"
        path.write_text(big_flow())
        env = bytecode_env(Path(tmp) / "pycache")
        sides: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "validate": ([*run, "validate", str(path)], env),
            "help": ([*run, "--help"], env),
            "validate_as_called": ([*run, "validate", str(path)], None),
        }
        if baseline is not None:
            old = bytecode_env(Path(tmp) / "pycache-baseline", baseline)
            sides["validate_baseline"] = ([*run, "validate", str(path)], old)
            as_called = {**os.environ, "PYTHONPATH": old["PYTHONPATH"]}
            sides["validate_baseline_as_called"] = ([*run, "validate", str(path)], as_called)
        best = dict.fromkeys(sides, float("inf"))
        for args, side_env in sides.values():
            _best_wall(args, 1, side_env)  # warm-up: writes the bytecode
        for _ in range(tries):  # alternated, so that a busy moment hits every side alike
            for name, (args, side_env) in sides.items():
                best[name] = min(best[name], _best_wall(args, 1, side_env))
    result = {
        "validate_200_steps_seconds": best["validate"],
        "validate_bar": 0.5,
        "help_seconds": best["help"],
        "help_bar": 0.15,
        "validate_without_bytecode_env_seconds": best["validate_as_called"],
        "ok": best["validate"] < 0.5 and best["help"] < 0.15,
    }
    if baseline is not None:
        result["validate_baseline_seconds"] = best["validate_baseline"]
        result["validate_baseline_as_called_seconds"] = best["validate_baseline_as_called"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency-items", type=int, default=160)
    parser.add_argument("--json", type=Path, default=Path("bench/results/runner.json"))
    args = parser.parse_args(argv)

    results = {
        "overhead": overhead(args.items, args.repeats),
        "concurrency": concurrency(args.latency_items, 0.020),
        "expression": expression(5000),
        "cli": cli(5),
    }
    o, c, e, k = (results[x] for x in ("overhead", "concurrency", "expression", "cli"))
    rows = [
        (
            f"for_each x{o['items']} vs httpx script",
            f"{o['runner_seconds']:.3f}s vs {o['handwritten_seconds']:.3f}s = {o['ratio']:.2f}x",
            "<= 1.25x",
            o["ok"],
        ),
        (
            f"concurrency 16 vs 1 ({c['items']} findContact, 20 ms)",
            f"{c['seconds']['1']:.2f}s vs {c['seconds']['16']:.2f}s = {c['speedup_16_vs_1']:.1f}x",
            ">= 10x",
            c["ok"],
        ),
        (
            "  runner vs the HTTP layer called directly",
            f"{o['runner_seconds']:.3f}s vs {o['http_layer_only_seconds']:.3f}s = "
            f"{o['runner_vs_http_layer']:.2f}x",
            "",
            True,
        ),
        ("  HTTP layer vs the httpx script", f"{o['http_layer_vs_handwritten']:.2f}x", "", True),
        ("  runner without a journal", f"{o['runner_without_journal_seconds']:.3f}s", "", True),
        (
            "  (concurrency 4 / 64)",
            f"{c['seconds']['4']:.2f}s / {c['seconds']['64']:.2f}s",
            "",
            True,
        ),
        (
            f"  createContact x{c['createContact_items']}, concurrency 1 / 16",
            f"{c['createContact_seconds_1_vs_16']['1']:.2f}s / "
            f"{c['createContact_seconds_1_vs_16']['16']:.2f}s (serialized by design)",
            "",
            True,
        ),
        (
            "${{ item.name }}, 10,000-item context",
            f"median {e['median_microseconds']:.1f} us (p95 {e['p95_microseconds']:.1f})",
            "<= 50 us",
            e["ok"],
        ),
        (
            "  .map() over the 10,000 items",
            f"{e['map_10000_items_seconds']:.2f}s",
            "",
            e["map_10000_items_ok"],
        ),
        (
            "sageflow validate, 200 steps",
            f"{k['validate_200_steps_seconds']:.3f}s",
            "< 0.5 s",
            k["validate_200_steps_seconds"] < 0.5,
        ),
        ("sageflow --help", f"{k['help_seconds']:.3f}s", "< 0.15 s", k["help_seconds"] < 0.15),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'result':<40} {'bar':<9} ok")
    for name, value, bar, ok in rows:
        print(f"{name.ljust(width)}  {value:<40} {bar:<9} {'yes' if ok else 'NO'}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
