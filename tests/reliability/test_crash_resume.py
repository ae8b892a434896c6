"""Crash and resume: ``sageflow run`` SIGKILLed at 10 random moments of a 200-invoice flow
against ``sageflow sandbox serve``; ``sageflow resume`` finishes it with every invoice made once.

Run against both sandbox modes: Sage's mechanism (``idempotency_id`` in the body, honoured) and
``--no-idempotency``, where only the creates' markers, looked for on resume, prevent duplicates.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest

from sage_accounting.sandbox import DEV_TOKEN, Sandbox, SandboxASGI

from .kit import (
    PROCESS_TIMEOUT,
    SAGEFLOW,
    ServedSandbox,
    invoice_flow,
    run_cli,
    sales_ids,
    serve_sandbox,
)

COUNT = 200
KILLS = 10
SEED = 20260105


def _start(args: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [SAGEFLOW, *args], cwd=cwd, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL
        )


def _run_id(cwd: Path, env: dict[str, str]) -> str | None:
    listed = run_cli("runs", "list", "--json", cwd=cwd, env=env)
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    return str(runs[0]["id"]) if runs else None


@pytest.mark.slow
@pytest.mark.parametrize(
    "options",
    [
        pytest.param((), id="idempotency_id"),
        pytest.param(("--no-idempotency",), id="no-idempotency"),
    ],
)
def test_sigkill_at_ten_moments_then_resume_makes_each_invoice_once(
    tmp_path: Path, options: tuple[str, ...]
) -> None:
    with serve_sandbox(tmp_path / "sandbox.db", tmp_path / "sandbox.log", *options) as served:
        _sigkill_then_resume(served, tmp_path)


def _sigkill_then_resume(served: ServedSandbox, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = served.env(tmp_path / "config")
    contact, ledger = sales_ids(served.client)
    flow = work / "crash.sageflow.yaml"
    flow.write_text(invoice_flow("crash-invoices", concurrency=4))
    refs = [f"CRASH-{n:03}" for n in range(COUNT)]
    inputs = work / "inputs.json"
    inputs.write_text(json.dumps({"refs": refs, "contact": contact, "ledger": ledger}))
    before = served.total("sales_invoices")
    log = tmp_path / "runner.log"

    # Kill moments are invoice counts the sandbox has reached (seeded), so that every kill lands
    # inside the loop whatever the machine's speed; a random extra delay of up to 30 ms moves
    # the kill off the exact request boundary.
    rng = random.Random(SEED)
    # At least 50 invoices stay to do after the last moment, so no kill can come too late.
    moments = sorted(rng.sample(range(3, COUNT - 50), KILLS))
    run_id: str | None = None
    interrupted = 0
    for moment in moments:
        args = (
            ["run", str(flow), "--inputs", str(inputs), "--json"]
            if run_id is None
            else ["resume", run_id, "--json"]
        )
        process = _start(args, work, env, log)
        try:
            deadline = time.monotonic() + PROCESS_TIMEOUT
            while process.poll() is None and time.monotonic() < deadline:
                if served.total("sales_invoices") - before >= moment:
                    break
                time.sleep(0.005)  # polling the sandbox's count; not a backoff
            time.sleep(rng.uniform(0, 0.03))
            assert process.poll() is None, f"the runner ended before the kill:\n{log.read_text()}"
            os.kill(process.pid, signal.SIGKILL)
            interrupted += 1
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
        run_id = run_id or _run_id(work, env)

    assert run_id is not None
    assert interrupted == KILLS, (
        f"only {interrupted} kills hit a running process\n{log.read_text()}"
    )
    made_before_resume = served.total("sales_invoices") - before
    assert made_before_resume <= COUNT

    final = run_cli("resume", run_id, "--json", cwd=work, env=env, timeout=120)
    assert final.returncode == 0, final.stderr + final.stdout
    result = json.loads(final.stdout)
    assert result["status"] == "ok"
    assert result["outputs"]["made"] == COUNT

    # The sandbox: exactly 200 new invoices, one per reference.
    crash = [
        i
        for i in served.all("sales_invoices", attributes="reference")
        if str(i.get("reference", "")).startswith("CRASH-")
    ]
    made = Counter(str(i["reference"]) for i in crash)
    assert sorted(made) == refs, "an invoice is missing"
    assert set(made.values()) == {1}, f"duplicated: {[r for r, n in made.items() if n > 1]}"
    assert served.total("sales_invoices") == before + COUNT

    # The journal agrees: each item's last successful execution names an invoice that exists,
    # and together they are exactly the sandbox's new invoices.
    shown = run_cli("runs", "show", run_id, "--json", cwd=work, env=env)
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["status"] == "ok"
    journaled: dict[str, Any] = {}
    for step in record["steps"]:
        if step["step"] == "invoices" and step["index"] is not None and step["status"] == "ok":
            journaled[step["path"]] = step["output"]["id"]
    assert len(journaled) == COUNT
    assert set(journaled.values()) == {str(i["id"]) for i in crash}


def test_a_request_cut_off_mid_body_is_not_processed_or_remembered() -> None:
    """A killed runner leaves the served sandbox half a request body followed by a disconnect;
    processing it would answer 422 and store that answer under its idempotency_id, so the
    resumed run would be replayed a permanent 422 for an invoice it never managed to send."""
    sandbox = Sandbox()
    before = sandbox.stats.requests
    body = b'{"sales_invoice": {"idempotency_id": "0123456789abcdef0123456789abcdef", "da'
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": body, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v3.1/sales_invoices",
        "query_string": b"",
        "headers": [
            (b"authorization", f"Bearer {DEV_TOKEN}".encode()),
            (b"content-type", b"application/json"),
        ],
    }
    asyncio.run(SandboxASGI(sandbox)(scope, receive, send))
    assert sent == []
    assert sandbox.stats.requests == before
    assert not sandbox.lead_business.replies
