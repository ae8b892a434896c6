"""``--json``: stdout is one RFC 8259 JSON document for every outcome, errors included."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import click

_STRICT = json.JSONEncoder(default=str, ensure_ascii=False, allow_nan=False)


def json_text(value: Any, *, indent: int | None = None) -> str:
    """``value`` as RFC 8259 JSON: NaN and the infinities (a CEL division by zero) become the
    strings "NaN", "Infinity" and "-Infinity" instead of bare tokens that strict parsers
    (JavaScript's JSON.parse, Go, jq) refuse."""
    encoder = (
        _STRICT
        if indent is None
        else json.JSONEncoder(default=str, ensure_ascii=False, allow_nan=False, indent=indent)
    )
    try:
        return encoder.encode(value)
    except ValueError:
        return encoder.encode(_finite(value))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def json_mode() -> bool:
    """Whether the running command was given ``--json``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.params.get("as_json"))


class JsonCommand(click.Command):
    """A command whose ``--json`` promise also holds when click itself refuses the command
    line (an unknown option, a bad value) or the command raises a ClickException: the error
    goes to stdout as ``{"status": "invalid"|"failed", "error": ...}`` as well as to stderr."""

    #: Extra keys of the error document (``validate`` reports ``"valid": false``).
    error_keys: ClassVar[Mapping[str, Any]] = {}

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        wants_json = "--json" in _options(args)
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as error:
            if wants_json:
                self._report("invalid", error.format_message())
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as error:
            if ctx.params.get("as_json"):
                status = "invalid" if error.exit_code == 2 else "failed"
                self._report(status, error.format_message())
            raise

    def _report(self, status: str, message: str) -> None:
        click.echo(json_text({**self.error_keys, "status": status, "error": message}))


class JsonValidateCommand(JsonCommand):
    error_keys: ClassVar[Mapping[str, Any]] = {"valid": False}


def _options(args: Sequence[str]) -> list[str]:
    # Only what comes before "--" can be an option.
    return list(args[: args.index("--")] if "--" in args else args)
