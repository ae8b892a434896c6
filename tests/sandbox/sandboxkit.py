"""Helpers for the sandbox tests: clients for a sandbox and lookups of seeded records."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from sage_accounting.sandbox import (
    DEV_TOKEN,
    IN_PROCESS_BASE_URL,
    AsyncSandboxTransport,
    Sandbox,
    SandboxTransport,
)


def make_client(sandbox: Sandbox, **headers: str) -> httpx.Client:
    return httpx.Client(
        transport=SandboxTransport(sandbox),
        base_url=IN_PROCESS_BASE_URL,
        headers={"Authorization": f"Bearer {DEV_TOKEN}", **headers},
    )


def make_async_client(sandbox: Sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=AsyncSandboxTransport(sandbox),
        base_url=IN_PROCESS_BASE_URL,
        headers={"Authorization": f"Bearer {DEV_TOKEN}"},
    )


def by_code(client: httpx.Client, code: int) -> dict[str, Any]:
    """The seeded ledger account with that nominal code."""
    page = client.get(
        "/ledger_accounts", params={"attributes": "nominal_code", "items_per_page": 200}
    )
    return next(item for item in page.json()["$items"] if item["nominal_code"] == code)


def contact_id(client: httpx.Client, reference: str) -> str:
    found = client.get("/contacts", params={"search": reference, "attributes": "reference"})
    return str(next(i["id"] for i in found.json()["$items"] if i["reference"] == reference))


def new_invoice(client: httpx.Client, **overrides: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "contact_id": contact_id(client, "ACME001"),
        "date": "2026-01-05",
        "invoice_lines": [
            {
                "description": "Joinery",
                "ledger_account_id": by_code(client, 4000)["id"],
                "quantity": "1",
                "unit_price": "100.00",
                "tax_rate_id": "GB_STANDARD",
                # Sage v3.1 wants the line's VAT sent ([G-inv]); omitted, it books none.
                "tax_amount": "20.00",
            }
        ],
    }
    body.update(overrides)
    return client.post("/sales_invoices", json={"sales_invoice": body})


def suite() -> ModuleType:
    """``tests/conftest.py`` loaded by path: the bare name ``conftest`` is ambiguous in a full
    run (several test folders have one), a path is not."""
    name = "sageflow_suite_conftest"
    if name not in sys.modules:
        path = Path(__file__).resolve().parent.parent / "conftest.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
