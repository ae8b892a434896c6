"""With no account, every worker reaches the one served sandbox, never a sandbox of its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sageflow._registry import get_component
from sageflow._temporal._sandbox import (
    NoServedSandboxError,
    ServedSandbox,
    sandbox_url_from_env,
    worker_caller_factory,
)


@pytest.fixture(autouse=True)
def _no_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_SANDBOX_URL", "SAGEFLOW_API_BASE", "SAGEFLOW_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)


async def _create_contacts(url: str, workers: int, each: int) -> list[str]:
    create = get_component("sage_accounting/createContact")
    factories = [worker_caller_factory(sandbox_url=url) for _ in range(workers)]
    callers = [factory(None) for factory in factories]

    async def one(worker: int, n: int) -> str:
        inputs = {"name": f"Worker {worker} #{n}", "contactTypeIds": ["CUSTOMER"]}
        output = await callers[worker].acall(create, inputs)
        return str(output["id"])

    try:
        return await asyncio.gather(*(one(w, n) for w in range(workers) for n in range(each)))
    finally:
        for caller in callers:
            await caller.aclose()  # type: ignore[attr-defined]


def test_three_workers_write_into_the_one_served_sandbox(served_sandbox: ServedSandbox) -> None:
    before = len(served_sandbox.simulator().records("contacts"))
    made = asyncio.run(_create_contacts(served_sandbox.url, workers=3, each=4))
    records = served_sandbox.simulator().records("contacts")
    assert len(records) == before + 12
    assert set(made) <= {record["id"] for record in records}
    # Each call went over HTTP to the served sandbox (its request counter saw them).
    assert served_sandbox.simulator().stats.requests >= 12


def test_the_environment_names_the_served_sandbox(
    served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGEFLOW_SANDBOX_URL", served_sandbox.url + "/v3.1/")
    assert sandbox_url_from_env() == served_sandbox.url  # the root; packs add their own path
    create = get_component("sage_accounting/createContact")

    async def call() -> None:
        caller = worker_caller_factory()(None)
        try:
            await caller.acall(create, {"name": "From env", "contactTypeIds": ["CUSTOMER"]})
        finally:
            await caller.aclose()  # type: ignore[attr-defined]

    asyncio.run(call())
    names = {r["name"] for r in served_sandbox.simulator().records("contacts")}
    assert "From env" in names


def test_no_account_and_no_served_sandbox_is_refused_with_the_way_out() -> None:
    create = get_component("sage_accounting/createContact")

    async def call() -> None:
        await worker_caller_factory()(None).acall(
            create, {"name": "X", "contactTypeIds": ["CUSTOMER"]}
        )

    with pytest.raises(
        NoServedSandboxError, match=r"SAGEFLOW_SANDBOX_URL=http://127\.0\.0\.1:8765"
    ):
        asyncio.run(call())


def test_a_malformed_sandbox_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEFLOW_SANDBOX_URL", "127.0.0.1:8765")
    with pytest.raises(NoServedSandboxError, match=r"SAGEFLOW_SANDBOX_URL='127.0.0.1:8765'"):
        sandbox_url_from_env()
