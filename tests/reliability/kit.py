"""Helpers for the reliability tests: a served sandbox, the CLI as a subprocess, lookups."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sage_accounting.sandbox import DEV_TOKEN

#: The hypothesis profile the fuzz tests use (registered in conftest.py).
FUZZ_PROFILE = "sageflow-reliability"
#: The CLI of this virtualenv (subprocesses must run the code under test, not another install).
SAGEFLOW = str(Path(sys.executable).with_name("sageflow"))
#: No subprocess of this suite may outlive this many seconds, whatever goes wrong.
PROCESS_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServedSandbox:
    """A ``sageflow sandbox serve`` process and an httpx client (based at the API) to inspect
    its state."""

    process: subprocess.Popen[bytes]
    origin: str
    client: httpx.Client

    @property
    def api_base(self) -> str:
        return self.origin + "/v3.1"

    def env(self, config_dir: Path, **extra: str) -> dict[str, str]:
        """The environment a ``sageflow`` subprocess needs to use this sandbox as its account."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEFLOW_") or k == "PATH"}
        env.update(
            SAGEFLOW_ACCESS_TOKEN=DEV_TOKEN,
            SAGEFLOW_API_BASE=self.api_base,
            SAGEFLOW_CONFIG_DIR=str(config_dir),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def all(self, resource: str, **params: Any) -> list[dict[str, Any]]:
        """Every record of a resource, following ``$next`` (the API's own paging)."""
        items: list[dict[str, Any]] = []
        url: str | None = resource
        query: dict[str, Any] | None = {"items_per_page": 200, **params}
        while url:
            page = self.client.get(url, params=query)
            page.raise_for_status()
            body = page.json()
            items.extend(body["$items"])
            # $next is relative to the API base and keeps the query.
            url, query = body.get("$next"), None
        return items

    def total(self, resource: str) -> int:
        page = self.client.get(resource, params={"items_per_page": 1})
        page.raise_for_status()
        return int(page.json()["$total"])


@contextlib.contextmanager
def serve_sandbox(data: Path, log: Path, *options: str) -> Iterator[ServedSandbox]:
    for _ in range(3):  # the free port may be taken between the probe and the bind
        port = free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    *(SAGEFLOW, "sandbox", "serve", "--pack", "sage_accounting"),
                    *("--port", str(port), "--data", str(data), *options),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        origin = f"http://127.0.0.1:{port}"
        client = httpx.Client(
            base_url=origin + "/v3.1/",
            headers={"Authorization": f"Bearer {DEV_TOKEN}"},
            timeout=10.0,
        )
        try:
            if _wait_until_up(process, client):
                yield ServedSandbox(process, origin, client)
                return
        finally:
            client.close()
            stop(process)
    raise AssertionError(f"sageflow sandbox serve did not start:\n{log.read_text()}")


def _wait_until_up(process: subprocess.Popen[bytes], client: httpx.Client) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if client.get("user").status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # polling a starting server, not waiting out a backoff
    return False


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate (then kill) a child and reap it, so no zombie or ResourceWarning is left."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def run_cli(
    *args: str, cwd: Path, env: Mapping[str, str], timeout: float = PROCESS_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SAGEFLOW, *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def sales_ids(client: httpx.Client) -> tuple[str, str]:
    """A seeded customer's id and the id of ledger account 4010 "Sales - Services"
    (``client`` is any httpx client whose base URL is the API base, with a token)."""
    ledgers = client.get(
        "ledger_accounts", params={"attributes": "nominal_code", "items_per_page": 200}
    ).json()["$items"]
    ledger = next(item["id"] for item in ledgers if int(item["nominal_code"]) == 4010)
    customers = client.get("contacts", params={"contact_type_id": "CUSTOMER"}).json()["$items"]
    return str(customers[0]["id"]), str(ledger)


def invoice_flow(name: str, concurrency: int = 8, retry: int = 8) -> str:
    """A flow creating one sales invoice per reference in ``inputs.refs`` (a ``for_each``)."""
    return f"""\
name: {name}
inputs:
  refs: {{type: array, items: {{type: string}}}}
  contact: {{type: string}}
  ledger: {{type: string}}
steps:
  - id: invoices
    for_each: ${{{{ inputs.refs }}}}
    concurrency: {concurrency}
    retry: {{max_attempts: {retry}, backoff: 0.5}}
    uses: sage_accounting/createSalesInvoice
    with:
      contactId: ${{{{ inputs.contact }}}}
      date: "2026-01-05"
      reference: ${{{{ item }}}}
      invoiceLines:
        - description: Reliability
          ledgerAccountId: ${{{{ inputs.ledger }}}}
          quantity: 1
          unitPrice: "10.00"
          taxRateId: GB_STANDARD
outputs:
  made: ${{{{ size(steps.invoices.output) }}}}
"""
