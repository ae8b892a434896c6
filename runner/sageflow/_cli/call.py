"""``sageflow call``: run one component from the command line, with `run`'s inputs and exits."""

from __future__ import annotations

import asyncio
import difflib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import click

from sageflow._cli import log_to_stderr
from sageflow._cli._json import JsonCommand, json_text
from sageflow._cli.flows import (
    DEBUG,
    EXIT_OK,
    REQUIRE_ACCOUNT,
    _failed,
    _inputs,
    _invalid,
    _sandbox_beside,
    account_checked,
)
from sageflow._errors import InputValidationError, SageflowError
from sageflow._flows._journal import DEFAULT_PATH
from sageflow._registry import UnknownComponentError

if TYPE_CHECKING:
    from sageflow._component import Component
    from sageflow._flows._model import Flow
    from sageflow._values import HTTPRequest, HTTPResponse


@dataclass(frozen=True)
class _Spec:
    schema: Mapping[str, Any]


class _ComponentInputs:
    """A component's inputs in the shape ``run -i`` reads a flow's: name -> schema, so that
    ``-i`` text is typed the same way (text for strings, YAML for numbers, lists, mappings)."""

    def __init__(self, component: Component) -> None:
        properties = component.input_schema().get("properties", {})
        self.inputs = {name: _Spec(schema) for name, schema in properties.items()}


def parse_inputs(component: Component, pairs: tuple[str, ...]) -> dict[str, Any]:
    """``-i name=value`` pairs typed from the component's input schema (exit 2 on a bad pair).

    ``NAME=@FILE`` for an input whose schema says ``contentEncoding: base64`` (an attachment's
    file) sends FILE's bytes base64-encoded, as ``run`` does for such a flow input.
    """
    return _inputs(cast("Flow", _ComponentInputs(component)), pairs, None)


def resolve(ref: str) -> Component:
    """The component a person named (exit 2, with close names, when there is none)."""
    from sageflow._options import find_component

    try:
        return find_component(ref)
    except UnknownComponentError as error:
        _invalid(f"error: {error}")


def check_inputs(component: Component, values: Mapping[str, Any]) -> None:
    """Exit 2 with every problem, located, before anything is sent."""
    try:
        component.validate(values)
    except InputValidationError as error:
        known = list(component.inputs.model_fields)
        shown = []
        for problem in error.problems:
            text = str(problem)
            name = problem.path.removeprefix("$.")
            if problem.message == "unknown input" and name.isidentifier():
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                text += f" (did you mean {close[0]}?)" if close else ""
            shown.append(text)
        _invalid(f"error: invalid inputs for {component.ref}: {'; '.join(shown)}")


@contextmanager
def guard(debug: bool) -> Iterator[None]:
    """Exit 2 for inputs a component refuses, 1 for an API or connection error; no traceback."""
    try:
        yield
    except InputValidationError as error:
        _invalid(f"error: {error}")
    except SageflowError as error:
        _failed(f"error: {error}")
    except Exception as error:
        if debug:
            raise
        _failed(f"internal error: {type(error).__name__}: {error} (rerun with --debug)")


async def _first_write(
    component: Component, inputs: Mapping[str, Any], connection: str | None, debug: bool
) -> tuple[dict[str, Any] | None, int]:
    """The component's reads sent, its first write described unsent (see ``afirst_write``)."""
    from sageflow._execute import CallOptions, afirst_write, describe_write, pack_caller
    from sageflow._flows._api import default_caller_factory
    from sageflow._registry import known_pack

    validated = component.validate(inputs)
    routed = default_caller_factory(connection, debug=debug)(None)
    caller: Any = pack_caller(routed, component.pack)
    options = CallOptions(debug=debug)

    async def send(request: HTTPRequest) -> HTTPResponse:
        return await caller.send(request, options)  # type: ignore[no-any-return]

    try:
        write, reads = await afirst_write(
            component, validated, send, known_pack(component.pack).error_parser
        )
        return (None if write is None else describe_write(write)), reads
    finally:
        close = getattr(routed, "aclose", None)
        if close is not None:
            await close()


def _show_dry(ref: str, write: dict[str, Any] | None, reads: int, as_json: bool) -> None:
    if as_json:
        click.echo(
            json_text({"status": "dry-run", "component": ref, "reads": reads, "write": write})
        )
        return
    sent = f" after {reads} read(s)" if reads else ""
    if write is None:
        click.echo(f"[dry run] {ref}: no write to send{sent}")
        return
    query = "&".join(f"{k}={v}" for k, v in write["query"].items())
    click.echo(
        f"[dry run] {ref} would send{sent}: {write['method']} {write['path']}"
        + (f"?{query}" if query else "")
    )
    if write["body"] is not None:
        click.echo(
            "\n".join(
                "    " + line
                for line in json.dumps(write["body"], indent=2, default=str).splitlines()
            )
        )
    click.echo("    (not sent: nothing was written)")


def _show_output(output: Mapping[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json_text(output))
        return
    click.echo(json.dumps(output, indent=2, default=str, ensure_ascii=False))


@click.command("call", cls=JsonCommand)
@click.argument("ref", metavar="COMPONENT")
@click.option(
    "-i",
    "--input",
    "pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A component input (repeat). NAME=@FILE reads it from a .csv, .json or .yaml file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the output as JSON only.")
@click.option(
    "--connection",
    help="A configured connection (default: the configured account, "
    "or the embedded sandbox when none is configured).",
)
@click.option(
    "--dry-run", is_flag=True, help="Send reads only; print the first write instead of sending it."
)
@REQUIRE_ACCOUNT
@DEBUG
def call(
    ref: str,
    pairs: tuple[str, ...],
    as_json: bool,
    connection: str | None,
    dry_run: bool,
    require_account: bool,
    debug: bool,
) -> None:
    """Run one component (pack/componentKey, or a bare key) and print its output."""
    if debug:
        log_to_stderr()
    component = resolve(ref)
    values = parse_inputs(component, pairs)
    check_inputs(component, values)
    # The CLI's sandbox is the one `sageflow run` uses, so a call sees what a run created.
    with (
        account_checked(connection, require_account, component.pack),
        guard(debug),
        _sandbox_beside(DEFAULT_PATH),
    ):
        if dry_run and not component.annotations.read_only:
            write, reads = asyncio.run(_first_write(component, values, connection, debug))
            _show_dry(component.ref, write, reads, as_json)
            raise SystemExit(EXIT_OK)
        from sageflow._flows._api import arun_component

        output = asyncio.run(
            arun_component(component.ref, values, connection=connection, debug=debug)
        )
    _show_output(output, as_json)
