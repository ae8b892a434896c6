"""SQLite persistence across restarts, the ASGI app, and the ``sageflow sandbox`` command."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sandboxkit import contact_id, make_client, new_invoice

from sage_accounting.sandbox import (
    DEV_TOKEN,
    Chaos,
    Clock,
    Sandbox,
    SandboxASGI,
    SandboxDroppedError,
    create_app,
)
from sageflow._cli.sandbox import sandbox as sandbox_group
from sageflow.sandbox import SandboxesASGI

CONTACT = {"contact": {"name": "Kept Ltd", "reference": "KEPT1", "contact_type_ids": ["CUSTOMER"]}}
#: The same contact with Sage's idempotency_id inside the wrapper ([G-idem]).
KEYED = {"contact": {**CONTACT["contact"], "idempotency_id": "0123456789abcdef0123456789abcdef"}}


def test_state_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.db"
    first = Sandbox(clock=Clock.manual(), data=data)
    with make_client(first) as client:
        kept = client.post("/contacts", json=KEYED).json()
        invoice = new_invoice(client).json()
        gone = client.post(
            "/contacts", json={"contact": {"name": "Gone", "contact_type_ids": ["VENDOR"]}}
        ).json()
        client.delete(f"/contacts/{gone['id']}")
        lead = first.lead_business.id
    first.close()

    second = Sandbox(clock=Clock.manual(), data=data)
    assert second.lead_business.id == lead
    with make_client(second) as client:
        assert client.get(f"/contacts/{kept['id']}").json() == kept
        assert client.get(f"/sales_invoices/{invoice['id']}").json() == invoice
        assert client.get(f"/contacts/{gone['id']}").status_code == 404
        deleted = client.get("/contacts", params={"deleted_since": "2020-01-01"}).json()
        assert [d["id"] for d in deleted["$items"]] == [gone["id"]]
        # Counters and indexes come back too: numbering continues, references stay unique.
        assert new_invoice(client).json()["invoice_number"] == "SI-5"
        assert client.post("/contacts", json=CONTACT).json()[0]["$source"] == "reference"
        replay = client.post("/contacts", json=KEYED)
        assert replay.json() == kept  # the stored reply survived the restart too
        newer = client.post(
            "/contacts", json={"contact": {"name": "New", "contact_type_ids": ["VENDOR"]}}
        ).json()
        assert newer["id"] not in {kept["id"], gone["id"], invoice["id"]}
        assert contact_id(client, "ACME001")
    second.close()


def _asgi_client(app: SandboxASGI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://sandbox/v3.1",
        headers={"Authorization": f"Bearer {DEV_TOKEN}"},
    )


def test_asgi_app_serves_the_api() -> None:
    app = create_app(clock=Clock.manual())

    async def go() -> tuple[int, Any, int]:
        async with _asgi_client(app) as client:
            listed = await client.get("/contacts", params={"items_per_page": 2})
            created = await client.post("/contacts", json=CONTACT)
            return listed.status_code, listed.json(), created.status_code

    status, page, created = asyncio.run(go())
    assert status == 200
    assert page["$next"] == "/contacts?page=2&items_per_page=2"
    assert created == 201


def test_asgi_drop_fails_after_commit() -> None:
    sandbox = Sandbox(clock=Clock.manual(), chaos=Chaos(drop_rate=1.0))

    async def go() -> None:
        async with _asgi_client(SandboxASGI(sandbox)) as client:
            await client.post("/contacts", json=CONTACT)

    with pytest.raises(SandboxDroppedError):
        asyncio.run(go())
    assert [c["name"] for c in sandbox.records("contacts")].count("Kept Ltd") == 1


def test_asgi_lifespan() -> None:
    app = create_app()
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_cli_serve_builds_the_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(app: SandboxesASGI, **options: Any) -> None:
        seen["app"], seen["options"] = app, options

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = CliRunner().invoke(
        sandbox_group,
        [
            "serve",
            "--pack",
            "sage_accounting",
            "--port",
            "9123",
            "--data",
            str(tmp_path / "s.db"),
            "--latency",
            "0.01-0.02",
            "--error-rate",
            "0.1",
            "--throttle-rate",
            "0.05",
            "--rate-limit",
            "10",
            "--seed",
            "7",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:9123/v3.1" in result.output
    assert DEV_TOKEN in result.output
    assert seen["options"]["host"] == "127.0.0.1"
    assert seen["options"]["port"] == 9123
    [(api_path, app)] = seen["app"].mounts
    assert api_path == "/v3.1"
    chaos = app.sandbox.chaos
    assert (chaos.latency, chaos.error_rate, chaos.throttle_rate) == ((0.01, 0.02), 0.1, 0.05)
    assert (chaos.rate_limit, chaos.seed) == (10, 7)
    assert (tmp_path / "s.db").exists()


def test_cli_rejects_a_bad_latency() -> None:
    result = CliRunner().invoke(sandbox_group, ["serve", "--latency", "fast"])
    assert result.exit_code == 2
    assert "--latency" in result.output


def test_cli_token() -> None:
    result = CliRunner().invoke(sandbox_group, ["token", "--pack", "sage_accounting"])
    assert result.exit_code == 0
    assert result.output.strip() == DEV_TOKEN
