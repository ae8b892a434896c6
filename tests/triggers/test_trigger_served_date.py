"""``sageflow sandbox serve`` answers with one ``Date``, the sandbox's (RFC 9110 §6.6.1)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from sage_accounting.sandbox import DEV_TOKEN, Clock, Sandbox
from sageflow._cli.sandbox import sandbox as sandbox_group
from sageflow.sandbox import SandboxASGI
from sageflow.sandbox._reply import Reply


def test_serve_turns_uvicorns_date_off(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    result = CliRunner().invoke(
        sandbox_group, ["serve", "--pack", "sage_accounting", "--memory", "--port", "9131"]
    )
    assert result.exit_code == 0, result.output
    assert seen["date_header"] is False


def test_the_served_app_sends_one_date_from_the_sandboxs_clock() -> None:
    clock = Clock.manual(datetime(2039, 5, 6, 7, 8, 9, tzinfo=UTC))
    app = SandboxASGI(Sandbox(clock=clock))

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            return await client.get(
                "/v3.1/contacts", headers={"Authorization": f"Bearer {DEV_TOKEN}"}
            )

    response = asyncio.run(get())
    dates = response.headers.get_list("date")
    assert len(dates) == 1
    assert parsedate_to_datetime(dates[0]) == datetime(2039, 5, 6, 7, 8, 9, tzinfo=UTC)


class _NoDate:
    """A simulator that sends no Date of its own (as a pack's may not)."""

    chaos = None
    clock = Clock.manual(datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC))

    def handle(self, *args: Any) -> Reply:
        return Reply(200, {"content-type": "application/json"}, b"{}")

    def enter(self) -> None:
        return None

    def leave(self) -> None:
        return None

    def next_latency(self) -> float:
        return 0.0


def test_a_simulator_without_a_date_gets_one_from_its_clock() -> None:
    app = SandboxASGI(_NoDate())  # type: ignore[arg-type]

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            return await client.get("/anything")

    dates = asyncio.run(get()).headers.get_list("date")
    assert [parsedate_to_datetime(d) for d in dates] == [datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)]
