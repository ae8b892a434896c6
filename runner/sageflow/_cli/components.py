"""``sageflow components`` and ``sageflow manifests``: self-description for people and hosts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from sageflow import _manifests, _registry
from sageflow._cli._json import JsonCommand
from sageflow._component import resolve_ref as _deref


@click.group("components")
def components() -> None:
    """List and describe components."""


@components.command("list", cls=JsonCommand)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_components(as_json: bool) -> None:
    """List every installed component."""
    found = _registry.components()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "ref": c.ref,
                        "kind": c.kind,
                        "title": c.title,
                        "annotations": c.annotations.to_dict(),
                        "aliases": list(c.aliases),
                    }
                    for c in found
                ],
                indent=2,
            )
        )
        return
    width = max((len(c.ref) for c in found), default=0)
    for c in found:
        flags = "read-only" if c.annotations.read_only else "write"
        if c.annotations.destructive:
            flags = "destructive"
        click.echo(f"{c.ref.ljust(width)}  {c.kind:<7}  {flags:<11}  {c.title}")
    click.echo(f"\n{len(found)} components")


@components.command("show", cls=JsonCommand)
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the whole manifest as JSON.")
def show_component(ref: str, as_json: bool) -> None:
    """Describe a component: its inputs (type, required, choices, description) and outputs.

    REF is pack/componentKey, an alias, or a bare key; a misspelling gets close names."""
    from sageflow._cli.call import resolve

    component = resolve(ref)
    manifest = component.manifest()
    if as_json:
        click.echo(_manifests.dump(manifest), nl=False)
        return
    click.echo("\n".join(describe(manifest)))


#: Longest description shown on an input's line; the manifest (--json) has the rest.
_DESCRIPTION_WIDTH = 100


def describe(manifest: dict[str, Any]) -> list[str]:
    """A manifest as a person reads it: one line per input (nested ones as ``lines[].x``)."""
    notes = manifest["annotations"]
    kind = "read-only" if notes.get("readOnly") else "write"
    if notes.get("destructive"):
        kind = "destructive"
    if manifest.get("kind") == "trigger":
        # A trigger is polled, not called: say so first, and what a flow does with it.
        kind = f"trigger, {kind}"
    lines = [f"{manifest['ref']}: {manifest['title']} ({kind})"]
    if manifest.get("description"):
        lines.append(f"  {manifest['description']}")
    if manifest.get("aliases"):
        lines.append(f"  aliases: {', '.join(manifest['aliases'])}")
    schema = manifest["input"]
    rows = list(_fields(schema, schema, ""))
    lines.append("")
    lines.append("inputs:" if rows else "inputs: none")
    width = max((len(path) for path, *_ in rows), default=0)
    types = max((len(row[1]) for row in rows), default=0)
    for path, type_name, required, prop in rows:
        need = "required" if required else "optional"
        text = _short(str(prop.get("description", "")))
        lines.append(f"  {path.ljust(width)}  {type_name:<{types}} {need:<8}  {text}".rstrip())
        choices = _choices(prop, manifest["ref"], path)
        if choices:
            lines.append(f"  {' ' * width}  {choices}")
    outputs = list(_fields(manifest["output"], manifest["output"], "", depth=0))
    if outputs:
        lines.append("")
        lines.append(
            "each event (trigger.event in the flow it starts):"
            if manifest.get("kind") == "trigger"
            else "output:"
        )
        width = max(len(path) for path, *_ in outputs)
        types = max(len(row[1]) for row in outputs)
        for path, type_name, _required, prop in outputs:
            text = _short(str(prop.get("description", "")))
            lines.append(f"  {path.ljust(width)}  {type_name:<{types}} {text}".rstrip())
    lines.append("")
    lines.append(f"(sageflow components show {manifest['ref']} --json prints the manifest)")
    return lines


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DESCRIPTION_WIDTH else text[: _DESCRIPTION_WIDTH - 3] + "..."


def _fields(
    schema: dict[str, Any], root: dict[str, Any], prefix: str, depth: int = 3
) -> Iterator[tuple[str, str, bool, dict[str, Any]]]:
    schema = _deref(schema, root)
    required = set(schema.get("required", ()))
    for name, raw in schema.get("properties", {}).items():
        prop = _plain(_deref(raw, root), root)
        path = f"{prefix}{name}"
        yield path, _type_name(prop, root), name in required, prop
        if depth <= 0:
            continue
        item = _deref(prop.get("items", {}), root) if prop.get("type") == "array" else None
        if item is not None and item.get("properties"):
            yield from _fields(item, root, f"{path}[].", depth - 1)
        elif prop.get("type") == "object" and prop.get("properties"):
            yield from _fields(prop, root, f"{path}.", depth - 1)


def _plain(prop: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """An optional field's ``anyOf: [X, null]`` read as X (keeping the field's description)."""
    options = [o for o in prop.get("anyOf", ()) if o.get("type") != "null"]
    if len(options) == 1 and len(prop.get("anyOf", ())) == 2:
        rest = {k: v for k, v in prop.items() if k != "anyOf"}
        return {**_deref(options[0], root), **rest}
    return prop


def _type_name(prop: dict[str, Any], root: dict[str, Any]) -> str:
    if "anyOf" in prop:
        kinds = [_type_name(_deref(o, root), root) for o in prop["anyOf"]]
        kinds = [k for k in kinds if k != "null"]
        if sorted(kinds) == ["number", "string"]:
            return "decimal"  # a number, or its exact text: Sage's money and quantities
        return "|".join(dict.fromkeys(kinds)) or "any"
    kind = prop.get("type")
    if kind == "array":
        return f"list[{_type_name(_deref(prop.get('items', {}), root), root)}]"
    if isinstance(kind, list):
        return "|".join(str(k) for k in kind if k != "null")
    if kind == "string" and prop.get("format"):
        return str(prop["format"])
    if kind is None and "$ref" not in prop and "properties" in prop:
        return "object"
    return str(kind or "any")


def _choices(prop: dict[str, Any], ref: str, path: str) -> str:
    items = prop.get("items") if prop.get("type") == "array" else None
    for node, words in ((prop, "one of"), (items, "any of")):
        if isinstance(node, dict) and "enum" in node:
            labels = node.get("x-sageflow-enum-labels") or {}
            shown = [f"{v} ({labels[v]})" if v in labels else str(v) for v in node["enum"]]
            return f"{words}: " + ", ".join(shown)
    lookup = prop.get("x-sageflow-options")
    if isinstance(lookup, dict) and lookup.get("component"):
        where = ", ".join(f"{k}={v}" for k, v in (lookup.get("with") or {}).items())
        source = lookup["component"] + (f" ({where})" if where else "")
        quoted = f"'{path}'" if "[" in path else path
        return f"choices from {source}: sageflow options {ref} {quoted}"
    return ""


@click.group()
def manifests() -> None:
    """Build or check the JSON manifests."""


_DIR = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("manifests"),
    show_default=True,
    help="The manifests folder.",
)


@manifests.command("build")
@_DIR
def build(directory: Path) -> None:
    """Write every manifest from the code (never edit them by hand)."""
    try:
        written = _manifests.write(directory)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {len(written)} manifests under {directory}")


@manifests.command("check")
@_DIR
def check(directory: Path) -> None:
    """Fail if any manifest is missing, stale or extra."""
    problems = _manifests.check(directory)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        click.echo(
            f"{len(problems)} manifest problem(s): run `sageflow manifests build` and commit",
            err=True,
        )
        sys.exit(1)
    click.echo(f"manifests under {directory} match the code")
