"""``sageflow validate``: its own module, so that checking a flow imports no engine or HTTP."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sageflow._cli._json import JsonValidateCommand
from sageflow._flows._problems import FlowValidationError, Problem
from sageflow._flows._validate import flow_warnings, load_flow

EXIT_INVALID = 2


@click.command("validate", cls=JsonValidateCommand)
@click.argument("flow_file", metavar="FLOW", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a summary.")
@click.option("--strict", is_flag=True, help="Treat warnings as problems (exit 2).")
def validate(flow_file: Path, as_json: bool, strict: bool) -> None:
    """Check a flow file and report every problem.

    Warnings (a flow that runs, but lets a wrong value through until a step sends it) are
    printed too and leave the exit status 0, unless --strict.
    """
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
    warnings = flow_warnings(flow)
    failed = strict and bool(warnings)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "valid": not failed,
                    "problems": [p.to_dict() for p in warnings] if failed else [],
                    "warnings": [p.to_dict() for p in warnings],
                    "steps": len(flow.steps),
                }
            )
        )
    else:
        for warning in warnings:
            click.echo(_warning_line(warning), err=True)
        counted = f", {len(warnings)} warning(s)" if warnings else ""
        verdict = "invalid (--strict)" if failed else "valid"
        click.echo(f"{flow_file}: {verdict} ({len(flow.steps)} steps{counted})", err=failed)
    if failed:
        sys.exit(EXIT_INVALID)


def _warning_line(problem: Problem) -> str:
    # A compiler's shape (file:line:col: warning: ...), so editors and CI annotate it.
    where = f"{problem.file}:{problem.line}:{problem.column}"
    return f"{where}: warning: {problem.path}: {problem.message}"
