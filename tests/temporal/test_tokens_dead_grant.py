"""A dead grant on the token workflow reaches the worker as the local error: sign in again."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from sageflow._errors import ReauthorizationRequiredError
from sageflow._http._tokens import FileTokenStore, TokenSet
from sageflow._registry import get_component
from sageflow._temporal._limits import LIMIT_WORKFLOWS, ConnectionLimit, limit_workflow_id
from sageflow._temporal._sandbox import ServedSandbox, worker_caller_factory
from sageflow._temporal._tokens import (
    TOKEN_WORKFLOWS,
    ConnectionTokens,
    TokenActivities,
    new_token_key,
    tokens_workflow_id,
)


@activity.defn(name="test.tryList")
async def try_list(_n: int) -> str:
    caller = worker_caller_factory("gone")(None)
    try:
        await caller.acall(get_component("sage_accounting/listContacts"), {"limit": 1})
    except ReauthorizationRequiredError as error:
        return f"{type(error).__name__}: {error}"
    finally:
        await caller.aclose()  # type: ignore[attr-defined]
    return "no error"


@workflow.defn(name="test.TryList")
class TryList:
    @workflow.run
    async def run(self) -> str:
        return str(
            await workflow.execute_activity(
                "test.tryList", 0, start_to_close_timeout=timedelta(seconds=60)
            )
        )


def test_a_refused_refresh_says_to_sign_in_again(
    temporal_server: str,
    task_queue: str,
    serve_sandbox: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: ServedSandbox = serve_sandbox()
    config = tmp_path / "config"
    config.mkdir(mode=0o700)
    toml = config / "connections.toml"
    toml.write_text(
        "[connections.gone]\n"
        'pack = "sage_accounting"\n'
        'clientId = "sandbox-client"\n'
        'clientSecret = "not-a-real-secret"\n'
        f'apiBase = "{served.api_base()}"\n'
        f'tokenUrl = "{served.url}/oauth2/token"\n'
    )
    toml.chmod(0o600)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(config))
    monkeypatch.setenv("SAGEFLOW_TOKEN_KEY", new_token_key())
    for name in ("SAGEFLOW_SANDBOX_URL", "SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    # Tokens the server never issued (or long revoked): the refresh is refused, invalid_grant.
    never_issued = TokenSet("never-issued-access", "never-issued-refresh", time.time() - 1)
    FileTokenStore(name="gone").save(never_issued)

    async def run() -> str:
        client = await Client.connect(temporal_server)
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[TryList, *TOKEN_WORKFLOWS, *LIMIT_WORKFLOWS],
            activities=[try_list, TokenActivities().refresh_tokens],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            said = await client.execute_workflow(
                TryList.run, id=f"try-{task_queue}", task_queue=task_queue
            )
            for handle, stop in (
                (client.get_workflow_handle(tokens_workflow_id("gone")), ConnectionTokens.stop),
                (
                    client.get_workflow_handle(limit_workflow_id("sandbox-client")),
                    ConnectionLimit.stop,
                ),
            ):
                # The limit's is started by the first request, which never went out here.
                with contextlib.suppress(RPCError):
                    await handle.signal(stop)
                    await handle.result()
        return str(said)

    said = asyncio.run(run())
    assert said.startswith("ReauthorizationRequiredError")
    assert "sageflow auth login" in said
    assert "never-issued" not in said
    assert served.simulator().oauth.refreshes == 0
