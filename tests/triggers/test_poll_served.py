"""The issue's Done-when over a socket: ``sageflow sandbox serve`` in one process, invoices
created and deleted through its HTTP API, ``sageflow poll --once --json`` in another."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from sage_accounting.sandbox import DEV_TOKEN

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signals a served sandbox")

SAGEFLOW = str(Path(sys.executable).with_name("sageflow"))

FLOW = """\
name: invoice-changes
on:
  poll: sage_accounting/salesInvoiceChanges
  with: {events: [created, deleted]}
  every: 1m
steps:
  - id: settings
    uses: sage_accounting/getFinancialSettings
outputs:
  change: ${{ trigger.event.type + ' ' + trigger.event.id }}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(data: Path) -> Iterator[tuple[str, httpx.Client]]:
    port = _free_port()
    serve = ["sandbox", "serve", "--pack", "sage_accounting", "--port", str(port)]
    process = subprocess.Popen(
        [SAGEFLOW, *serve, "--data", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v3.1"
    client = httpx.Client(
        base_url=base + "/", headers={"Authorization": f"Bearer {DEV_TOKEN}"}, timeout=10
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # the server needs a moment to bind: poll it (no fixed wait)
            try:
                if client.get("user").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError("sageflow sandbox serve did not start")
            time.sleep(0.05)
        yield base, client
    finally:
        client.close()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def draft_invoice(client: httpx.Client) -> str:
    customers = client.get("contacts", params={"search": "ACME001"}).json()["$items"]
    ledgers = client.get(
        "ledger_accounts", params={"attributes": "nominal_code", "items_per_page": 200}
    ).json()["$items"]
    ledger = next(i["id"] for i in ledgers if int(i["nominal_code"]) == 4010)
    body = {
        "contact_id": customers[0]["id"],
        "date": "2025-12-01",
        "status_id": "DRAFT",
        "invoice_lines": [
            {
                "description": "Work",
                "ledger_account_id": ledger,
                "quantity": "1",
                "unit_price": "100.00",
                "tax_rate_id": "GB_STANDARD",
                "tax_amount": "20.00",
            }
        ],
    }
    created = client.post("sales_invoices", json={"sales_invoice": body})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


@pytest.mark.slow  # five CLI processes: ~30 s on a loaded machine (the rest runs in-process)
def test_done_when_against_sageflow_sandbox_serve(tmp_path: Path) -> None:
    (tmp_path / "changes.sageflow.yaml").write_text(FLOW, encoding="utf-8")
    with served(tmp_path / "served.db") as (base, client):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEFLOW_")}
        # The served sandbox as the account: every request of the poll goes over the socket.
        env.update(
            SAGEFLOW_ACCESS_TOKEN=DEV_TOKEN,
            SAGEFLOW_API_BASE=base,
            SAGEFLOW_CONFIG_DIR=str(tmp_path / "config"),
        )

        def poll() -> dict[str, Any]:
            done = subprocess.run(
                [SAGEFLOW, "poll", "changes.sageflow.yaml", "--once", "--json"],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            assert "embedded sandbox" not in done.stderr  # it really used the served one
            report: dict[str, Any] = json.loads(done.stdout)
            return report

        assert poll() == {"events": 0, "runs": []}
        created = [draft_invoice(client) for _ in range(3)]
        report = poll()
        assert report["events"] == 3
        assert [(r["event"]["type"], r["event"]["id"], r["status"]) for r in report["runs"]] == [
            ("created", invoice, "ok") for invoice in created
        ]
        assert poll() == {"events": 0, "runs": []}
        another = draft_invoice(client)
        assert client.delete(f"sales_invoices/{created[0]}").status_code == 204
        report = poll()
        assert report["events"] == 2
        assert sorted((r["event"]["type"], r["event"]["id"]) for r in report["runs"]) == sorted(
            [("created", another), ("deleted", created[0])]
        )
