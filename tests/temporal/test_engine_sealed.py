"""With SAGEFLOW_TEMPORAL_KEY the workflow history holds no input, output or secret in clear;
without it, a run given a secret is refused before anything reaches Temporal."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.client import Client

from sageflow._flows._api import arun_flow, load_flow
from sageflow._temporal import TemporalSettings
from sageflow._temporal._client import TemporalRunError
from sageflow._temporal._codec import KEY_ENV, SealingKeyError, key_from_env, new_key
from sageflow._temporal._sandbox import ServedSandbox, worker_caller_factory
from sageflow._temporal._worker import running_worker

FLOW = """
name: sealed
inputs:
  customer: {type: string, description: The customer's name.}
  password: {type: string, secret: true, description: Not used by a step; still an input.}
steps:
  - id: created
    uses: sage_accounting/createContact
    with: {name: "${{ inputs.customer }}", contactTypeIds: [CUSTOMER]}
outputs:
  id: ${{ steps.created.output.id }}
"""

SECRET = "hunter2-never-in-history"
CUSTOMER = "Sealed Customer Plc"


def test_history_is_sealed_with_a_key(
    temporal_server: str,
    task_queue: str,
    served_sandbox: ServedSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, new_key())
    flow_file = tmp_path / "sealed.sageflow.yaml"
    flow_file.write_text(FLOW)
    settings = TemporalSettings(address=temporal_server, task_queue=task_queue)

    async def run() -> bytes:
        factory = worker_caller_factory(sandbox_url=served_sandbox.url)
        async with running_worker(settings, caller_for=factory):
            result = await arun_flow(
                load_flow(flow_file),
                {"customer": CUSTOMER, "password": SECRET},
                journal=tmp_path / "runs.db",
                env={},
                run_id="sealed",
                engine="temporal",
                temporal=settings,
            )
        assert result.ok, result.error
        assert result.outputs["id"]
        # The history as the cluster holds it: a client without the key reads raw payloads.
        plain = await Client.connect(temporal_server)
        history = await plain.get_workflow_handle("sageflow-sealed").fetch_history()
        return history.to_json().encode()

    stored = asyncio.run(run())
    for clear in (SECRET, CUSTOMER, "createContact"):
        for form in (clear.encode(), *_b64_fragments(clear)):
            assert form not in stored, clear
    # ...and that is because every payload is sealed, not because the history is empty.
    assert _b64_fragments("binary/sageflow-sealed")[0] in stored


def _b64_fragments(text: str) -> list[bytes]:
    """The base64 forms ``text`` can take inside a JSON history (payload data is base64)."""
    import base64

    raw = text.encode()
    return [base64.b64encode(raw[i:])[:16] for i in range(3) if len(raw[i:]) >= 12]


def test_a_secret_without_a_key_is_refused_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    flow_file = tmp_path / "sealed.sageflow.yaml"
    flow_file.write_text(FLOW)
    settings = TemporalSettings(address="127.0.0.1:1", task_queue="never")  # never reached
    with pytest.raises(TemporalRunError, match=rf"password.*{KEY_ENV}"):
        asyncio.run(
            arun_flow(
                load_flow(flow_file),
                {"customer": CUSTOMER, "password": SECRET},
                journal=tmp_path / "runs.db",
                engine="temporal",
                temporal=settings,
            )
        )


@pytest.mark.parametrize(
    "text", [pytest.param("short", id="too-short"), pytest.param("%%%", id="not-base64")]
)
def test_a_malformed_key_is_named_not_shown(text: str) -> None:
    with pytest.raises(SealingKeyError, match=KEY_ENV) as raised:
        key_from_env({KEY_ENV: text})
    assert text not in str(raised.value)
