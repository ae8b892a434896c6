"""``sageflow validate``: its own module, so that checking a flow imports no engine or HTTP."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sageflow._cli._json import JsonValidateCommand
from sageflow._flows._problems import FlowValidationError
from sageflow._flows._validate import load_flow

EXIT_INVALID = 2


@click.command("validate", cls=JsonValidateCommand)
@click.argument("flow_file", metavar="FLOW", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a summary.")
def validate(flow_file: Path, as_json: bool) -> None:
    """Check a flow file and report every problem."""
    try:
        flow = load_flow(flow_file)
    except FlowValidationError as error:
        if as_json:
            click.echo(
                json.dumps({"valid": False, "problems": [p.to_dict() for p in error.problems]})
            )
        else:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{len(error.problems)} problem(s) in {flow_file}", err=True)
        sys.exit(EXIT_INVALID)
    if as_json:
        click.echo(json.dumps({"valid": True, "problems": [], "steps": len(flow.steps)}))
    else:
        click.echo(f"{flow_file}: valid ({len(flow.steps)} steps)")
