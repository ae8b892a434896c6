"""A flow on `sageflow worker`'s own worker with an OAuth account: its token is refreshed by the
connection's token workflow, once, and its calls go through the app's shared limit."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from sageflow._flows._api import arun_flow, load_flow
from sageflow._http._tokens import FileTokenStore, TokenSet
from sageflow._temporal import TemporalSettings
from sageflow._temporal._limits import ConnectionLimit, limit_workflow_id
from sageflow._temporal._sandbox import ServedSandbox
from sageflow._temporal._tokens import ConnectionTokens, new_token_key, tokens_workflow_id
from sageflow._temporal._worker import running_worker
from sageflow.sandbox import Clock

FLOW = """
name: read-contacts
inputs:
  n: {type: array}
steps:
  - id: read
    for_each: ${{ inputs.n }}
    concurrency: 5
    uses: sage_accounting/listContacts
    with: {limit: 1}
outputs:
  reads: ${{ size(steps.read.output) }}
"""


def test_a_run_on_the_fleet_refreshes_an_expired_token_once(
    temporal_server: str,
    task_queue: str,
    serve_sandbox: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: ServedSandbox = serve_sandbox(clock=Clock.manual())
    config = tmp_path / "config"
    config.mkdir(mode=0o700)
    toml = config / "connections.toml"
    toml.write_text(
        "[connections.fleet]\n"
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
    simulator = served.simulator()
    issued = simulator.issue_token()
    simulator.advance(301)
    FileTokenStore(name="fleet").save(
        TokenSet(str(issued["access_token"]), str(issued["refresh_token"]), time.time() - 1)
    )
    flow_file = tmp_path / "read.sageflow.yaml"
    flow_file.write_text(FLOW)
    settings = TemporalSettings(address=temporal_server, task_queue=task_queue)

    async def run() -> Any:
        async with running_worker(settings, connection="fleet"):
            result = await arun_flow(
                load_flow(flow_file),
                {"n": list(range(12))},
                journal=None,
                env={},
                engine="temporal",
                temporal=settings,
            )
            client = await Client.connect(temporal_server)
            for handle, stop in (
                (client.get_workflow_handle(tokens_workflow_id("fleet")), ConnectionTokens.stop),
                (
                    client.get_workflow_handle(limit_workflow_id("sandbox-client")),
                    ConnectionLimit.stop,
                ),
            ):
                await handle.signal(stop)
                await handle.result()
        return result

    result = asyncio.run(run())
    assert result.ok, result.error
    assert result.outputs == {"reads": 12}
    assert simulator.oauth.refreshes == 1
