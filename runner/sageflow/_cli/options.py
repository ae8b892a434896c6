"""``sageflow options``: the choices for one input of a component, every page, searchable."""

from __future__ import annotations

import asyncio

import click

from sageflow._cli import log_to_stderr
from sageflow._cli._json import JsonCommand, json_text
from sageflow._cli.call import guard, resolve
from sageflow._cli.flows import DEBUG, REQUIRE_ACCOUNT, _invalid, _sandbox_beside, account_checked
from sageflow._flows._journal import DEFAULT_PATH


@click.command("options", cls=JsonCommand)
@click.argument("ref", metavar="COMPONENT")
@click.argument("path", metavar="INPUT")
@click.option("--search", help="Only choices matching this text.")
@click.option(
    "--connection",
    help="A configured connection (default: the configured account, "
    "or the embedded sandbox when none is configured).",
)
@click.option("--json", "as_json", is_flag=True, help="Print [{value, label}] as JSON.")
@REQUIRE_ACCOUNT
@DEBUG
def options(
    ref: str,
    path: str,
    search: str | None,
    connection: str | None,
    as_json: bool,
    require_account: bool,
    debug: bool,
) -> None:
    """List the choices for INPUT of COMPONENT, one "value  label" line each.

    INPUT is an input path such as contactId or 'invoiceLines[].ledgerAccountId'. An enum
    input lists its values; an input with a lookup lists every page of its list component,
    through the configured account or the embedded sandbox.
    """
    from sageflow._options import OptionsError, aoptions

    if debug:
        log_to_stderr()
    component = resolve(ref)
    # The CLI's sandbox is the one `sageflow run` uses: a run's new contact is offered here.
    with (
        account_checked(connection, require_account, component.pack),
        guard(debug),
        _sandbox_beside(DEFAULT_PATH),
    ):
        try:
            found = asyncio.run(
                aoptions(component.ref, path, search=search, connection=connection, debug=debug)
            )
        except OptionsError as error:
            _invalid(f"error: {error}")
    if as_json:
        click.echo(json_text([option.to_dict() for option in found]))
        return
    width = max((len(str(option.value)) for option in found), default=0)
    for option in found:
        click.echo(f"{str(option.value).ljust(width)}  {option.label}")
    if not found:
        click.echo("no choices" + (f" match {search!r}" if search else ""), err=True)
