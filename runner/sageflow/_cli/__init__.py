"""The ``sageflow`` command: a click group whose subcommands load only when used."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from sageflow._version import __version__

#: name -> "module:attribute". Subcommands live in their own modules and are imported on
#: demand, so ``sageflow --help`` does not pay for pydantic models, CEL or httpx.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "call": ("sageflow._cli.call:call", "Run one component and print its output."),
    "components": ("sageflow._cli.components:components", "List and describe components."),
    "options": ("sageflow._cli.options:options", "List the choices for a component's input."),
    "manifests": ("sageflow._cli.components:manifests", "Build or check the JSON manifests."),
    "auth": ("sageflow._cli.auth:auth", "Sign in to Sage, show or revoke stored tokens."),
    "sandbox": ("sageflow._cli.sandbox:sandbox", "Serve the embedded Sage sandbox on 127.0.0.1."),
    "run": ("sageflow._cli.flows:run", "Run a flow (against the sandbox when no account is set)."),
    "validate": ("sageflow._cli.validate:validate", "Check a flow file and report every problem."),
    "resume": ("sageflow._cli.flows:resume", "Continue a failed or interrupted run."),
    "poll": ("sageflow._cli.poll:poll", "Run a flow with on: for each change its trigger finds."),
    "runs": ("sageflow._cli.flows:runs", "List journaled runs or show one."),
    "worker": ("sageflow._cli.temporal:worker", "Run flows and calls for a Temporal task queue."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module_name, _, attribute = SUBCOMMANDS[cmd_name][0].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        with_debug(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help text comes from the table, so listing commands imports nothing.
        rows = [(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sageflow")
@click.option(
    "--debug",
    is_flag=True,
    help="Log every request and response on stderr (secrets masked).",
)
def cli(debug: bool) -> None:
    """Drive Sage accounting from declarative YAML flows, or try it in the embedded sandbox."""
    if debug:
        log_to_stderr()
    else:
        show_warnings()


def show_warnings() -> None:
    """The ``sageflow`` logger's warnings (the sandbox notice, a kept token response) as plain
    lines on stderr; a host that imports sageflow instead decides where they go."""
    _stderr_handler(debug=False)


def log_to_stderr() -> None:
    """Debug logging of the ``sageflow`` logger to stderr, masked; once however often asked
    (``sageflow --debug run --debug`` must not print every line twice)."""
    _stderr_handler(debug=True)


def _stderr_handler(debug: bool) -> None:
    import logging

    class Formatter(logging.Formatter):
        # Warnings as their bare message (as a user reads them); debug lines timestamped.
        def format(self, record: logging.LogRecord) -> str:
            if record.levelno >= logging.WARNING:
                return record.getMessage()
            return super().format(record)

    class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
        # Whatever sys.stderr is now, not when the handler was made: a host (or a test) that
        # runs the CLI in-process swaps it between commands.
        @property
        def stream(self) -> Any:
            return sys.stderr

        @stream.setter
        def stream(self, _value: Any) -> None:
            pass

    logger = logging.getLogger("sageflow")
    handler = next((h for h in logger.handlers if type(h).__name__ == "StderrHandler"), None)
    if handler is None:
        handler = StderrHandler()
        # On the handler, not the logger: a logger's filters do not see its children's records
        # (sageflow.http, sageflow.flows, ...), a handler's see everything it prints.
        handler.addFilter(_redacting)
        handler.setFormatter(Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)
    if debug:
        handler.setLevel(logging.DEBUG)
        logger.setLevel(logging.DEBUG)


_FILTER: list[Any] = []


def _redacting(record: Any) -> bool:
    # Imported at the first record, not when the handler is installed: the redaction rules
    # bring pydantic, which a command that logs nothing (validate, --help) need not load.
    if not _FILTER:
        from sageflow._http._redact import RedactingFilter

        _FILTER.append(RedactingFilter())
    return bool(_FILTER[0].filter(record))


def with_debug(command: click.Command) -> None:
    """``--debug`` on ``command`` and every subcommand that does not declare its own, so that
    it is accepted wherever a user puts it (``sageflow validate --debug``)."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_debug(sub)
    if not any(param.name == "debug" for param in command.params):
        command.params.append(
            click.Option(
                ["--debug"],
                is_flag=True,
                expose_value=False,
                callback=_debug_flag,
                help="Log on stderr (secrets masked).",
            )
        )


def _debug_flag(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        log_to_stderr()
        if isinstance(ctx.obj, dict):
            # A group that keeps its settings in ctx.obj (auth) sees the flag too.
            ctx.obj["debug"] = True


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv, prog_name="sageflow")
