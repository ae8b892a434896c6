"""``sageflow components`` and ``sageflow manifests``: self-description for people and hosts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sageflow import _manifests, _registry
from sageflow._cli._json import JsonCommand
from sageflow._registry import UnknownComponentError, get_component


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
        click.echo(f"{c.ref.ljust(width)}  {flags:<11}  {c.title}")
    click.echo(f"\n{len(found)} components")


@components.command("show")
@click.argument("ref")
def show_component(ref: str) -> None:
    """Print a component's manifest (REF is pack/componentKey, or a bare key if unambiguous)."""
    if "/" not in ref:
        matches = [c for c in _registry.components() if c.key == ref or ref in c.aliases]
        if len(matches) == 1:
            ref = matches[0].ref
    try:
        component = get_component(ref)
    except UnknownComponentError as error:
        raise click.UsageError(str(error)) from None
    click.echo(_manifests.dump(component.manifest()), nl=False)


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
    written = _manifests.write(directory)
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
