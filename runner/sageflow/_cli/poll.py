"""``sageflow poll``: run a flow with ``on:`` for each change its trigger finds."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import sys
from collections.abc import Coroutine
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

import click

from sageflow._cli import log_to_stderr
from sageflow._cli._json import JsonCommand, json_mode, json_text
from sageflow._cli.flows import (
    _INPUT,
    _JOURNAL,
    _JSON,
    DEBUG,
    EXIT_FAILED,
    EXIT_OK,
    REQUIRE_ACCOUNT,
    _guard,
    _inputs,
    _invalid,
    _load,
    _sandbox_beside,
    account_checked,
)
from sageflow._cli.temporal import schedule_on_temporal, settings_from, temporal_options

#: The exit codes of a poller stopped with Ctrl-C or SIGTERM (128 + the signal, as a shell
#: reports them).
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
_T = TypeVar("_T")


class _TerminatedError(BaseException):
    """SIGTERM: like KeyboardInterrupt, not an error the command reports as one."""


async def _until_terminated(work: Coroutine[Any, Any, _T]) -> _T:
    """``work``, cancelled by SIGTERM (a service manager's stop) as Ctrl-C cancels it: the
    lease is released and a run it cuts off resumes at the next poll."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    terminated = False

    def stop() -> None:
        nonlocal terminated
        terminated = True
        task.cancel()

    with suppress(NotImplementedError, RuntimeError):  # no signal handlers on this platform
        loop.add_signal_handler(signal.SIGTERM, stop)
    try:
        return await task
    except asyncio.CancelledError:
        if terminated:
            raise _TerminatedError from None
        raise
    finally:
        with suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)


def _since(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _invalid(f"error: --from {text!r}: expected a date such as 2025-01-31 or 2025-01-31T09:00Z")
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _describe(run: Any) -> str:
    events = run.events
    first = events[0] if events else {}
    record = first.get("record") if first else None
    shown = record.get("displayed_as") if isinstance(record, dict) else None
    name = f"{shown} ({first.get('id')})" if shown else first.get("id") if first else None
    what = f"{first.get('type')} {name}" if first else "no event"
    if len(events) > 1:
        what += f" and {len(events) - 1} more"
    extra = " (resumed)" if run.recovered else ""
    line = f"run {run.run_id} {run.status}{extra}: {what}"
    return f"{line} ({run.error})" if run.error else line


@click.command("poll", cls=JsonCommand)
@click.argument("flow_file", metavar="FLOW", type=click.Path(path_type=Path))
@click.option("--once", is_flag=True, help="Poll once, run the flow for each new event, exit.")
@click.option(
    "--from",
    "since",
    metavar="DATE",
    help="Backfill: deliver the changes from DATE (2025-01-31 or an ISO date-time) instead of "
    "from the stored cursor; events already delivered are not delivered again.",
)
@_INPUT
@_JSON
@click.option("--connection", help="A configured connection.")
@click.option(
    "--engine",
    type=click.Choice(["local", "temporal"]),
    default="local",
    show_default=True,
    help="Poll from this process, or as a Temporal schedule whose polls and runs go to"
    " `sageflow worker`s (the command creates or updates it and returns).",
)
@temporal_options
@click.option(
    "--sandbox-url",
    help="With --engine temporal and no account: the served sandbox every worker calls.",
)
@_JOURNAL
@REQUIRE_ACCOUNT
@DEBUG
def poll(
    flow_file: Path,
    once: bool,
    since: str | None,
    pairs: tuple[str, ...],
    as_json: bool,
    connection: str | None,
    journal_path: Path,
    require_account: bool,
    debug: bool,
    engine: str = "local",
    address: str | None = None,
    namespace: str | None = None,
    task_queue: str | None = None,
    sandbox_url: str | None = None,
) -> None:
    """Run a flow with on: for each new change its trigger finds.

    Without --once it polls every on.every until stopped: Ctrl-C (exit 130) or SIGTERM (143)
    stop it, and a run it cut off resumes at the next poll. The first poll of a flow starts
    from now unless --from says otherwise. --json prints {"events": N, "runs": [...]} per
    poll. Exit 0 when every run succeeded, 1 when one failed (or another poller holds the
    flow), 2 for bad input.
    """
    if debug:
        log_to_stderr()
    flow = _load(flow_file)
    if flow.trigger is None:
        _invalid(
            f"error: {flow_file} has no on: section; poll runs flows that start from trigger"
            " events (on: {poll: pack/someChanges, every: 5m}). Run it with sageflow run"
        )
    every = flow.trigger.every_text
    values = _inputs(flow, pairs, None)
    start = _since(since)
    if engine == "temporal":
        settings = settings_from(address, namespace, task_queue)
        schedule_on_temporal(flow, values, start, journal_path, settings, as_json, once)
    failed = False

    def on_run(run: Any) -> None:
        nonlocal failed
        failed = failed or run.status != "ok"
        if not as_json:
            click.echo(_describe(run))

    def on_poll(report: Any) -> None:
        if as_json:
            if not once:
                click.echo(json_text(report.to_dict()))
            return
        dropped = f", {report.duplicates} already delivered" if report.duplicates else ""
        click.echo(f"poll: {report.events} new event(s), {len(report.runs)} run(s){dropped}")

    def on_error(error: Exception) -> None:
        nonlocal failed
        failed = True
        message = f"poll failed: {error}; polling again in {every}"
        if as_json:
            click.echo(json_text({"status": "failed", "error": str(error)}))
        click.echo(message, err=True)

    from sageflow._poll import apoll_flow

    try:
        with (
            account_checked(connection, require_account),
            _guard(debug),
            _sandbox_beside(journal_path),
        ):
            report = asyncio.run(
                _until_terminated(
                    apoll_flow(
                        flow,
                        values,
                        polls=1 if once else None,
                        since=start,
                        connection=connection,
                        journal=journal_path,
                        debug=debug,
                        on_run=on_run,
                        on_poll=on_poll,
                        on_error=None if once else on_error,
                    )
                )
            )
    except (KeyboardInterrupt, _TerminatedError) as stopped:
        message = "stopped; a run that was cut off resumes at the next poll"
        if json_mode():
            click.echo(json_text({"status": "interrupted", "error": message}))
        click.echo(message, err=True)
        sys.exit(EXIT_TERMINATED if isinstance(stopped, _TerminatedError) else EXIT_INTERRUPTED)
    if as_json and once:
        click.echo(json_text(report.to_dict()))
    sys.exit(EXIT_FAILED if failed else EXIT_OK)
