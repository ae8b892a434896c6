"""``sageflow worker``: run flows and their component calls for a Temporal task queue."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

#: The options ``sageflow worker`` and ``sageflow run --engine temporal`` share.
_ADDRESS_HELP = "Temporal frontend host:port [env SAGEFLOW_TEMPORAL_ADDRESS, else localhost:7233]."
_NAMESPACE_HELP = "Temporal namespace [env SAGEFLOW_TEMPORAL_NAMESPACE, else default]."
_QUEUE_HELP = "Task queue of the workers [env SAGEFLOW_TEMPORAL_TASK_QUEUE, else sageflow]."


def temporal_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--address``, ``--namespace``, ``--task-queue`` on a command."""
    command = click.option("--task-queue", "task_queue", help=_QUEUE_HELP)(command)
    command = click.option("--namespace", help=_NAMESPACE_HELP)(command)
    command = click.option("--address", help=_ADDRESS_HELP)(command)
    return command


def settings_from(address: str | None, namespace: str | None, task_queue: str | None) -> Any:
    """The :class:`TemporalSettings` of the options, the environment's for those not given."""
    from dataclasses import replace

    from sageflow._temporal import (
        TemporalMissingError,
        TemporalSettings,
        TemporalSettingsError,
        require_sdk,
    )

    try:
        require_sdk()  # every Temporal command comes through here first
        settings = TemporalSettings.from_env()
    except (TemporalMissingError, TemporalSettingsError) as error:
        from sageflow._cli.flows import _invalid

        _invalid(f"error: {error}")
    return replace(
        settings,
        address=address or settings.address,
        namespace=namespace or settings.namespace,
        task_queue=task_queue or settings.task_queue,
    )


@click.command("worker")
@temporal_options
@click.option(
    "--connection",
    help="The configured connection component calls use (default: the configured account, "
    "or the served sandbox named by SAGEFLOW_SANDBOX_URL).",
)
@click.option("--debug", is_flag=True, help="Log requests (redacted).")
def worker(
    address: str | None,
    namespace: str | None,
    task_queue: str | None,
    connection: str | None,
    debug: bool,
) -> None:
    """Run a worker: flows started with --engine temporal, and their component calls."""
    from sageflow._cli import log_to_stderr

    if debug:
        log_to_stderr()
    settings = settings_from(address, namespace, task_queue)
    from sageflow._temporal._worker import TemporalConnectError, run_worker

    def ready() -> None:
        click.echo(
            f"worker on {settings.address}, namespace {settings.namespace},"
            f" task queue {settings.task_queue} (Ctrl-C stops it)",
            err=True,
        )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, connection=connection, debug=debug, stop=stop, on_ready=ready)

    try:
        asyncio.run(main())
    except TemporalConnectError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


def run_on_temporal(
    flow: Any,
    values: dict[str, Any],
    trigger: dict[str, Any] | None,
    journal_path: Any,
    settings: Any,
    as_json: bool,
    detach: bool,
) -> Any:
    """``sageflow run --engine temporal``: the run's result (its summary and ``--json`` as a
    local run's), or with ``--detach`` the run and workflow ids, printed, and exit 0."""
    from sageflow._cli._json import json_text
    from sageflow._cli.flows import EXIT_OK, _guard, _invalid
    from sageflow._flows._api import FlowInputError, resolve_inputs
    from sageflow._flows._journal import Journal
    from sageflow._temporal._client import Started, arun_on_temporal

    ctx = click.get_current_context()
    for name in ("dry_run", "connection"):
        if ctx.params.get(name):
            flag = "--" + name.replace("_", "-")
            why = (
                "a dry run sends no write: run it on the local engine"
                if name == "dry_run"
                else "the workers' connection is theirs: sageflow worker --connection"
            )
            _invalid(f"error: {flag} with --engine temporal: {why}")
    debug = bool(ctx.params.get("debug"))
    with _guard(debug):
        try:
            resolved = resolve_inputs(flow, values)
        except FlowInputError as error:
            _invalid(f"error: {error}")
        run_id = uuid.uuid4().hex[:16]
        try:
            with (
                _sandbox_for(flow, ctx.params.get("sandbox_url"), journal_path, detach) as url,
                Journal(journal_path) as journal,
            ):
                outcome = asyncio.run(
                    arun_on_temporal(
                        flow,
                        resolved,
                        settings=settings,
                        journal=journal,
                        env=dict(os.environ),
                        run_id=run_id,
                        trigger=trigger,
                        debug=debug,
                        detach=detach,
                        sandbox_url=url,
                    )
                )
        except KeyboardInterrupt:
            # Only the waiting stops: the run is a workflow, and goes on on the workers (a
            # sandbox this command served stops with it, though).
            click.echo(
                f"stopped waiting; run {run_id} goes on on Temporal (sageflow runs show {run_id})",
                err=True,
            )
            sys.exit(130)
    if isinstance(outcome, Started):
        if as_json:
            click.echo(
                json_text(
                    {
                        "runId": outcome.run_id,
                        "workflowId": outcome.workflow_id,
                        "status": "running",
                    }
                )
            )
        else:
            click.echo(
                f"run {outcome.run_id} started on Temporal as workflow {outcome.workflow_id}"
                f" (sageflow runs show {outcome.run_id})"
            )
        sys.exit(EXIT_OK)
    return outcome


def refresh_from_temporal(journal_path: Any, run_id: str) -> None:
    """``runs show`` of a run still running on Temporal: its rows so far (or its end) are
    brought into the journal first; a local run's costs one SELECT."""
    from sageflow._flows._journal import Journal, JournalError
    from sageflow._temporal import ran_on_temporal

    try:
        with Journal(journal_path) as journal:
            if not ran_on_temporal(journal, run_id):
                return
            from sageflow._temporal._client import refresh

            notice = refresh(journal, run_id)
    except JournalError:
        return  # the show that follows reports the journal's problem
    if notice:
        click.echo(f"warning: {notice}", err=True)


@contextmanager
def _sandbox_for(
    flow: Any, given: str | None, journal_path: Path, detach: bool
) -> Iterator[str | None]:
    """The served sandbox the run's workers call for packs with no account here: the one
    ``--sandbox-url`` (or ``SAGEFLOW_SANDBOX_URL``) names, else one served by this command
    for the run, never one inside each worker. None when every pack has an account."""
    from sageflow._cli.flows import _invalid
    from sageflow._http._config import account_required, find_connection, pack_state_file
    from sageflow._temporal._sandbox import sandbox_url_from_env, served_sandbox

    if given:
        yield given.rstrip("/")
        return
    used = sorted({step.uses.partition("/")[0] for step in flow.steps})
    bare = [pack for pack in used if find_connection(pack=pack) is None]
    named = sandbox_url_from_env()
    if not bare or named is not None or account_required():
        yield named  # the workers' own settings decide (and refuse, if they must)
        return
    if detach:
        _invalid(
            f"error: --detach: no account is configured for {', '.join(bare)}, and a sandbox"
            " this command served would stop when it returns: start one"
            " (sageflow sandbox serve --port 8765) and pass --sandbox-url http://127.0.0.1:8765"
        )
    # One pack: the state file a local run uses, so runs on either engine see the same records.
    options = (
        {"data": pack_state_file(journal_path.parent / "sandbox.db", bare[0])}
        if len(bare) == 1
        else {}
    )
    if options:
        from sageflow._files import private_dir, private_file

        private_dir(journal_path.parent)
        private_file(options["data"])
    with served_sandbox(tuple(bare), options=options) as served:
        click.echo(
            f"sageflow: no account configured — serving the sandbox on {served.url}", err=True
        )
        yield served.url


def schedule_on_temporal(
    flow: Any,
    values: dict[str, Any],
    since: Any,
    journal_path: Path,
    settings: Any,
    as_json: bool,
    poll_now: bool,
) -> None:
    """``sageflow poll --engine temporal``: the flow's schedule created or updated (and with
    ``--once``, one poll started now); prints its id and exits 0."""
    from sageflow._cli._json import json_text
    from sageflow._cli.flows import EXIT_OK, _guard, _invalid
    from sageflow._flows._api import FlowInputError
    from sageflow._temporal._client import aschedule_poll

    ctx = click.get_current_context()
    if ctx.params.get("connection"):
        _invalid(
            "error: --connection with --engine temporal: the workers' connection is theirs:"
            " sageflow worker --connection"
        )
    debug = bool(ctx.params.get("debug"))
    with (
        _guard(debug),
        # A schedule outlives this command: a sandbox it served would stop with it.
        _sandbox_for(flow, ctx.params.get("sandbox_url"), journal_path, True) as url,
    ):
        try:
            schedule_id = asyncio.run(
                aschedule_poll(
                    flow,
                    values,
                    settings=settings,
                    env=dict(os.environ),
                    since=since,
                    debug=debug,
                    sandbox_url=url,
                    poll_now=poll_now,
                )
            )
        except FlowInputError as error:
            _invalid(f"error: {error}")
    every = flow.trigger.every_text
    if as_json:
        click.echo(json_text({"scheduleId": schedule_id, "every": every, "pollNow": poll_now}))
    else:
        now = "; polling once now" if poll_now else ""
        click.echo(
            f"schedule {schedule_id}: polls every {every} on task queue {settings.task_queue}"
            f"{now} (temporal schedule describe --schedule-id '{schedule_id}')"
        )
    sys.exit(EXIT_OK)
