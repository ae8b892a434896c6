"""Issue 9's bar: against ``sageflow sandbox serve --drop-rate 0.15``, a 60-invoice flow with
concurrency 4, run and resumed until it succeeds, leaves exactly 60 invoices, each once; in both
modes (Sage's ``idempotency_id`` honoured, and ``--no-idempotency`` where markers alone do it).

Every request, the test's own reads included, may be dropped after the sandbox answered it. The
HTTP layer and the executor absorb nearly every drop inside a run (a dropped create is looked for
by its marker before it is sent again), so the first run is also SIGKILLed a third of the way in
to make sure resuming is part of it; the flow has no step retries, so any item that still fails
ends its run and the next ``sageflow resume`` takes it over as an unknown outcome.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from .kit import PROCESS_TIMEOUT, SAGEFLOW, ServedSandbox, invoice_flow, run_cli, serve_sandbox

COUNT = 60
#: Resumes allowed before the test gives up (each one needs a whole failing item to happen).
MAX_RUNS = 25


def _get(client: httpx.Client, url: str, params: dict[str, Any] | None = None) -> Any:
    """A GET through the sandbox's drops (a read is safe to repeat)."""
    for _ in range(50):
        try:
            response = client.get(url, params=params)
        except httpx.TransportError:
            continue
        response.raise_for_status()
        return response.json()
    raise AssertionError(f"GET {url} dropped 50 times")


def _invoices(served: ServedSandbox) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = _get(
            served.client,
            "sales_invoices",
            {"attributes": "reference", "items_per_page": 200, "page": page},
        )
        items.extend(body["$items"])
        if not body.get("$next"):
            return items
        page += 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "options",
    [
        pytest.param((), id="idempotency_id"),
        pytest.param(("--no-idempotency",), id="no-idempotency"),
    ],
)
def test_sixty_invoices_through_drops_run_and_resumed_until_done(
    tmp_path: Path, options: tuple[str, ...]
) -> None:
    served_at = serve_sandbox(
        tmp_path / "sandbox.db", tmp_path / "sandbox.log", "--drop-rate", "0.15", *options
    )
    with served_at as served:
        ledgers = _get(
            served.client, "ledger_accounts", {"attributes": "nominal_code", "items_per_page": 200}
        )["$items"]
        ledger = next(item["id"] for item in ledgers if int(item["nominal_code"]) == 4010)
        contact = _get(served.client, "contacts", {"contact_type_id": "CUSTOMER"})["$items"][0]
        before = len(_invoices(served))
        work = tmp_path / "work"
        work.mkdir()
        env = served.env(tmp_path / "config")
        flow = work / "drops.sageflow.yaml"
        flow.write_text(invoice_flow("drop-invoices", concurrency=4, retry=1))
        refs = [f"DROP-{n:03}" for n in range(COUNT)]
        inputs = work / "inputs.json"
        inputs.write_text(json.dumps({"refs": refs, "contact": contact["id"], "ledger": ledger}))

        log = tmp_path / "runner.log"
        with log.open("wb") as out:
            first = subprocess.Popen(
                [SAGEFLOW, "run", str(flow), "--inputs", str(inputs), "--json"],
                cwd=work,
                env=env,
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
            )
        try:
            deadline = time.monotonic() + PROCESS_TIMEOUT
            while first.poll() is None and time.monotonic() < deadline:
                if len(_invoices(served)) - before >= COUNT // 3:
                    break
                time.sleep(0.01)  # polling the sandbox's count; not a backoff
            assert first.poll() is None, f"the first run ended before the kill:\n{log.read_text()}"
            os.kill(first.pid, signal.SIGKILL)
        finally:
            if first.poll() is None:
                first.kill()
            first.wait(timeout=10)
        listed = json.loads(run_cli("runs", "list", "--json", cwd=work, env=env).stdout)
        args = ["resume", str(listed[0]["id"]), "--json"]
        result: dict[str, Any] = {}
        runs = 1
        while runs < MAX_RUNS:
            runs += 1
            done = run_cli(*args, cwd=work, env=env, timeout=120)
            assert done.stdout, done.stderr
            result = json.loads(done.stdout)
            if result["status"] == "ok":
                break
            args = ["resume", result["runId"], "--json"]
        assert result["status"] == "ok", f"not done after {runs} runs: {result.get('error')}"
        assert result["outputs"]["made"] == COUNT

        made = Counter(
            str(i.get("reference"))
            for i in _invoices(served)
            if str(i.get("reference", "")).startswith("DROP-")
        )
        assert sorted(made) == refs, "an invoice is missing"
        assert set(made.values()) == {1}, f"duplicated: {[r for r, n in made.items() if n > 1]}"
        assert len(_invoices(served)) == before + COUNT
        # For the record in the test log (README figures): how many runs it took.
        print(f"drop-rate 0.15, {options or 'default'}: {runs} runs (the first killed)")
