"""The worker: polls a task queue for flow workflows and component-call activities."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from sageflow._errors import SageflowError
from sageflow._flows._engine import CallerFactory
from sageflow._temporal import TemporalSettings
from sageflow._temporal._activities import ComponentActivities, activities_of
from sageflow._temporal._codec import data_converter
from sageflow._temporal._limits import LIMIT_WORKFLOWS
from sageflow._temporal._tokens import TOKEN_WORKFLOWS, TokenActivities
from sageflow._temporal._workflow import FlowWorkflow, PollWorkflow


class TemporalConnectError(SageflowError):
    """Temporal cannot be reached at the address, or it has no such namespace."""


async def connect(settings: TemporalSettings) -> Client:
    """A client for ``settings`` (TLS when asked, or when an API key is given), sealing what
    it sends when ``SAGEFLOW_TEMPORAL_KEY`` is set (:mod:`sageflow._temporal._codec`).

    The namespace is checked here: a mistyped one otherwise surfaces as the SDK core's
    warnings and a validation failure, each carrying gRPC's raw status bytes."""
    where = f"Temporal at {settings.address}"
    try:
        client = await Client.connect(
            settings.address,
            namespace=settings.namespace,
            api_key=settings.api_key,
            tls=settings.tls or settings.api_key is not None,
            data_converter=data_converter(),
        )
    except RuntimeError as error:  # the SDK's "Failed client connect: ..."
        text = str(error)
        if "ConnectionRefused" in text or "Connection refused" in text:
            raise TemporalConnectError(
                f"cannot reach {where}: nothing answers there (connection refused); start a"
                " server (`temporal server start-dev` for one on this machine) or give"
                " --address / SAGEFLOW_TEMPORAL_ADDRESS"
            ) from None
        raise TemporalConnectError(f"cannot reach {where}: {text.splitlines()[0][:300]}") from None
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=settings.namespace)
        )
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise TemporalConnectError(
                f"{where} has no namespace {settings.namespace!r}: give --namespace /"
                " SAGEFLOW_TEMPORAL_NAMESPACE, or create it (`temporal operator namespace"
                f" create --namespace {settings.namespace}`)"
            ) from None
        # Anything else (an API key scoped so it may not describe): the calls themselves say.
    return client


def build_worker(
    client: Client,
    settings: TemporalSettings,
    activities: ComponentActivities,
    *,
    max_concurrent_activities: int | None = None,
) -> Worker:
    """A worker for flow workflows and component calls on ``settings.task_queue``.

    The workflow runs unsandboxed: Temporal's sandbox re-imports a workflow's modules for
    every run, which for the engine means pydantic models, CEL and every pack's components;
    the engine's determinism comes from what it is given instead (workflow timers and clock,
    activities for every call, run ids from the starter), and nothing in it does I/O.
    """
    return Worker(
        client,
        task_queue=settings.task_queue,
        # TB's: one workflow per connection owns its tokens, one per app leases its limit.
        workflows=[FlowWorkflow, PollWorkflow, *TOKEN_WORKFLOWS, *LIMIT_WORKFLOWS],
        activities=[*activities_of(activities), TokenActivities().refresh_tokens],
        workflow_runner=UnsandboxedWorkflowRunner(),
        max_concurrent_activities=max_concurrent_activities,
        # Activities are async (httpx); the executor is only for the SDK's sync fallbacks.
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=4),
    )


@asynccontextmanager
async def running_worker(
    settings: TemporalSettings,
    *,
    client: Client | None = None,
    caller_for: CallerFactory | None = None,
    connection: str | None = None,
    debug: bool = False,
) -> AsyncIterator[ComponentActivities]:
    """A worker running in this event loop for the block (tests, a host's own process)."""
    client = client or await connect(settings)
    activities = ComponentActivities(caller_for, connection=connection, debug=debug)
    worker = build_worker(client, settings, activities)
    try:
        async with worker:
            yield activities
    finally:
        await activities.aclose()


async def run_worker(
    settings: TemporalSettings,
    *,
    connection: str | None = None,
    debug: bool = False,
    stop: asyncio.Event | None = None,
    on_ready: object = None,
) -> None:
    """``sageflow worker``: run until ``stop`` is set (or the task is cancelled)."""
    async with running_worker(settings, connection=connection, debug=debug):
        if callable(on_ready):
            on_ready()
        await (stop or asyncio.Event()).wait()
