"""The fixtures every Temporal test stands on: the dev server answers, the served sandbox too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from temporalio.api.workflowservice.v1 import ListNamespacesRequest
from temporalio.client import Client

from sageflow._temporal._devserver import DevServer, DevServerError, start_dev_server
from sageflow._temporal._sandbox import ServedSandbox


def test_dev_server_serves_its_namespace(temporal_dev_server: DevServer) -> None:
    assert "default" in asyncio.run(_namespaces(temporal_dev_server.address))
    assert temporal_dev_server.running()


async def _namespaces(address: str) -> list[str]:
    client = await Client.connect(address)
    reply = await client.workflow_service.list_namespaces(ListNamespacesRequest())
    return [namespace.namespace_info.name for namespace in reply.namespaces]


def test_a_missing_binary_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEFLOW_TEMPORAL_BIN", str(tmp_path / "nowhere" / "temporal"))
    with pytest.raises(DevServerError, match=r"SAGEFLOW_TEMPORAL_BIN=.*no such file"):
        start_dev_server()


def test_a_binary_that_exits_is_reported_with_its_output(tmp_path: Path) -> None:
    fake = tmp_path / "temporal"
    fake.write_text("#!/bin/sh\necho 'bind: address already in use' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(DevServerError, match="address already in use"):
        start_dev_server(binary=fake, attempts=2)


def test_served_sandbox_answers_over_http(served_sandbox: ServedSandbox) -> None:
    headers = {"Authorization": f"Bearer {served_sandbox.access_token()}"}
    reply = httpx.get(served_sandbox.api_base() + "/contacts", headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.json()["$total"] == len(served_sandbox.simulator().records("contacts"))
    token = httpx.post(
        served_sandbox.url + "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "nope", "client_id": "x"},
    )
    assert token.status_code == 400  # the OAuth server is served on the same root
