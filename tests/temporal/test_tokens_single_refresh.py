"""Fifty activities on three workers meet an expired token: Sage sees exactly one refresh."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.service import RPCError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from sageflow._execute import Caller
from sageflow._http._tokens import FileTokenStore, TokenSet
from sageflow._registry import get_component
from sageflow._temporal._limits import LIMIT_WORKFLOWS, ConnectionLimit, limit_workflow_id
from sageflow._temporal._sandbox import ServedSandbox, worker_caller_factory
from sageflow._temporal._tokens import (
    TOKEN_WORKFLOWS,
    ConnectionTokens,
    TokenActivities,
    TokenStatus,
    new_token_key,
    tokens_workflow_id,
)
from sageflow.sandbox import Clock

CALLS = 50
WORKERS = 3


class ListActivities:
    """A worker's one activity: a Sage call through the worker's own caller, with its own token
    file, as on a machine of its own (no file lock or process lock shared with the others)."""

    def __init__(self, store: FileTokenStore) -> None:
        self._store = store
        self._caller: Caller | None = None
        self.calls = 0

    @activity.defn(name="test.countContacts")
    async def count_contacts(self, _n: int) -> int:
        self.calls += 1
        if self._caller is None:
            self._caller = worker_caller_factory("live", token_store=self._store)(None)
        output = await self._caller.acall(
            get_component("sage_accounting/listContacts"), {"limit": 1}
        )
        return len(output["items"])

    async def aclose(self) -> None:
        if self._caller is not None:
            await self._caller.aclose()  # type: ignore[attr-defined]


@workflow.defn(name="test.Fanout")
class Fanout:
    @workflow.run
    async def run(self, calls: int) -> list[int]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_activity(
                        "test.countContacts",
                        n,
                        result_type=int,
                        start_to_close_timeout=timedelta(seconds=60),
                    )
                    for n in range(calls)
                )
            )
        )


def _configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: ServedSandbox) -> None:
    config = tmp_path / "config"
    config.mkdir(mode=0o700)
    (config / "connections.toml").write_text(
        "[connections.live]\n"
        'pack = "sage_accounting"\n'
        'kind = "oauth2"\n'
        'clientId = "sandbox-client"\n'
        'clientSecret = "not-a-real-secret"\n'
        f'apiBase = "{served.api_base()}"\n'
        f'tokenUrl = "{served.url}/oauth2/token"\n'
    )
    (config / "connections.toml").chmod(0o600)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(config))
    monkeypatch.setenv("SAGEFLOW_TOKEN_KEY", new_token_key())
    for name in ("SAGEFLOW_SANDBOX_URL", "SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)


def _refreshes(served: ServedSandbox) -> int:
    oauth = served.simulator().oauth
    return int(oauth.refreshes)


async def _fan_out(
    address: str, task_queue: str, stores: list[FileTokenStore]
) -> tuple[list[int], list[int], int, Any]:
    client = await Client.connect(address)
    # One client (and SDK runtime) per worker, as on three machines: the SDK refuses two
    # workers of one queue on one runtime.
    clients = [
        await Client.connect(address, runtime=Runtime(telemetry=TelemetryConfig()))
        for _ in range(WORKERS)
    ]
    lists = [ListActivities(store) for store in stores]
    tokens = [TokenActivities() for _ in range(WORKERS)]
    workers = [
        Worker(
            clients[i],
            task_queue=task_queue,
            workflows=[Fanout, *TOKEN_WORKFLOWS, *LIMIT_WORKFLOWS],
            activities=[lists[i].count_contacts, tokens[i].refresh_tokens],
            workflow_runner=UnsandboxedWorkflowRunner(),
            # No worker can take all fifty: the three share them.
            max_concurrent_activities=CALLS // WORKERS + 1,
        )
        for i in range(WORKERS)
    ]
    try:
        async with workers[0], workers[1], workers[2]:
            results = await client.execute_workflow(
                Fanout.run, CALLS, id=f"fanout-{task_queue}", task_queue=task_queue
            )
            owner = client.get_workflow_handle(tokens_workflow_id("live"))
            try:
                status = await owner.query(ConnectionTokens.status)
            except RPCError:
                status = None  # no token workflow ran: the assertions below say what happened
            else:
                await owner.signal(ConnectionTokens.stop)
                await owner.result()
            # The app's shared limit ran too (accounts are limited across workers): ended here,
            # so that no later test on this server meets it with no worker left to run it.
            limit = client.get_workflow_handle(limit_workflow_id("sandbox-client"))
            await limit.signal(ConnectionLimit.stop)
            await limit.result()
    finally:
        for acts in lists:
            await acts.aclose()
    per_worker = [acts.calls for acts in lists]
    return results, per_worker, sum(t.refreshes for t in tokens), status


@pytest.mark.parametrize("how", ["expired", "refused"])
def test_fifty_activities_on_three_workers_refresh_once(
    how: str,
    temporal_server: str,
    task_queue: str,
    serve_sandbox: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: ServedSandbox = serve_sandbox(clock=Clock.manual())
    _configure(tmp_path, monkeypatch, served)
    simulator = served.simulator()
    issued = simulator.issue_token()
    simulator.advance(301)  # Sage's access tokens live 300 s: this one is dead on the server
    # "expired": the stored expiry says so, every worker knows before calling. "refused": the
    # stored expiry still looks an hour away, so each worker learns it from a 401.
    expires_at = time.time() - 1 if how == "expired" else time.time() + 3600
    signed_in = TokenSet(str(issued["access_token"]), str(issued["refresh_token"]), expires_at)
    stores = [FileTokenStore(tmp_path / f"machine-{i}" / "live.json") for i in range(WORKERS)]
    for store in stores:
        store.save(signed_in)
    before = _refreshes(served)

    results, per_worker, worker_refreshes, status = asyncio.run(
        _fan_out(temporal_server, task_queue, stores)
    )

    assert _refreshes(served) - before == 1  # counted by Sage's (the sandbox's) OAuth server
    assert worker_refreshes == 1
    assert len(results) == CALLS
    assert all(count == 1 for count in results)
    assert sum(per_worker) == CALLS  # none failed and was retried
    assert all(calls > 0 for calls in per_worker), per_worker  # all three took part
    assert isinstance(status, TokenStatus)
    assert status.refreshes == 1
    assert status.expires_at is not None
    assert status.expires_at > time.time()
