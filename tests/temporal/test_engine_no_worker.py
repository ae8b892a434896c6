"""A run started on a task queue no worker polls says so, instead of waiting in silence."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from sageflow._cli import cli
from sageflow._flows._api import arun_flow, load_flow
from sageflow._temporal import TemporalSettings
from sageflow._temporal._client import _warn_if_no_worker
from sageflow._temporal._sandbox import ServedSandbox, worker_caller_factory
from sageflow._temporal._worker import connect, running_worker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "invoice-new-customer.sageflow.yaml"


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sageflow.temporal"]


def test_a_queue_nobody_polls_is_named_with_the_command_that_fixes_it(
    temporal_server: str, task_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = TemporalSettings(address=temporal_server, task_queue=f"{task_queue}-typo")

    async def check() -> None:
        await _warn_if_no_worker(await connect(settings), settings)

    with caplog.at_level(logging.WARNING, logger="sageflow.temporal"):
        asyncio.run(check())
    [warning] = _warnings(caplog)
    assert f"no worker polls task queue '{task_queue}-typo'" in warning
    assert f"sageflow worker --address {temporal_server}" in warning
    assert f"--task-queue {task_queue}-typo" in warning


def test_a_queue_with_a_worker_gives_no_warning(
    temporal_server: str,
    task_queue: str,
    serve_sandbox: Callable[..., ServedSandbox],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    served = serve_sandbox(("sage_accounting",))
    settings = TemporalSettings(address=temporal_server, task_queue=task_queue)

    async def run() -> bool:
        factory = worker_caller_factory(sandbox_url=served.url)
        async with running_worker(settings, caller_for=factory):
            result = await arun_flow(
                load_flow(EXAMPLE),
                {},
                journal=tmp_path / "runs.db",
                env={},
                engine="temporal",
                temporal=settings,
            )
            # Asked again once the worker has surely polled: the first ask may precede its poll.
            caplog.clear()
            await _warn_if_no_worker(await connect(settings), settings)
        return bool(result.ok)

    with caplog.at_level(logging.WARNING, logger="sageflow.temporal"):
        assert asyncio.run(run())
    assert _warnings(caplog) == []


def test_nothing_at_the_address_is_one_plain_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sageflow._temporal._devserver import free_port

    monkeypatch.chdir(tmp_path)  # the run's journal

    address = f"127.0.0.1:{free_port()}"  # free: nothing listens there
    worker = CliRunner().invoke(cli, ["worker", "--address", address])
    run = CliRunner().invoke(
        cli,
        ["run", str(EXAMPLE), "--engine", "temporal", "--address", address],
        env={"SAGEFLOW_SANDBOX_URL": "http://127.0.0.1:9", "SAGEFLOW_CONFIG_DIR": str(tmp_path)},
    )
    for result in (worker, run):
        assert result.exit_code == 1
        assert f"cannot reach Temporal at {address}: nothing answers there" in result.output
        assert "tonic" not in result.output
        assert "Traceback" not in result.output


def test_a_namespace_the_server_lacks_is_named(temporal_server: str) -> None:
    result = CliRunner().invoke(
        cli, ["worker", "--address", temporal_server, "--namespace", "defualt"]
    )
    assert result.exit_code == 1
    assert f"Temporal at {temporal_server} has no namespace 'defualt'" in result.output
    assert "Status {" not in result.output  # gRPC's raw status is not a message
