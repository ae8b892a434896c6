"""``sageflow auth``: sign a person in to Sage, show what the stored grant reaches, revoke it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click
import httpx

from sageflow._cli._json import JsonCommand, json_text
from sageflow._errors import SageflowError
from sageflow._http._client import Client, Connection
from sageflow._http._config import (
    ConfigFileError,
    ConnectionConfig,
    config_file,
    connect,
    find_connection,
)
from sageflow._http._oauth import login as run_login
from sageflow._http._oauth import revoke
from sageflow._http._redact import redact
from sageflow._http._tokens import FileTokenStore, TokenFileError
from sageflow._registry import packs
from sageflow._values import HTTPRequest

# Tests and hosts pass these through ``obj`` (CliRunner.invoke(..., obj={...})): an httpx
# transport to reach a mock or the sandbox, and what "open the browser" means.
_TRANSPORT = "transport"
_OPEN_URL = "open_url"
_CLOCK = "clock"


def _obj(ctx: click.Context) -> dict[str, Any]:
    return ctx.obj if isinstance(ctx.obj, dict) else {}


def _fail(error: BaseException) -> click.ClickException:
    return click.ClickException(redact(str(error)))


class _BadFile(click.ClickException):
    """A configuration or token file that cannot be used: bad input, so exit 2 like ``run``."""

    exit_code = 2


def _config(name: str | None) -> ConnectionConfig:
    try:
        config = find_connection(name)
    except ConfigFileError as error:
        raise _BadFile(redact(str(error))) from None
    except SageflowError as error:
        raise _fail(error) from None
    if config is None:
        raise click.ClickException(
            "no Sage account configured (flows use the embedded sandbox). Set "
            "SAGEFLOW_CLIENT_ID and SAGEFLOW_CLIENT_SECRET, or add a connection to "
            f"{config_file()}"
        )
    return config


def _connection(ctx: click.Context, config: ConnectionConfig) -> Connection:
    clock = _obj(ctx).get(_CLOCK)
    try:
        return connect(config, store=FileTokenStore(name=config.name), clock=clock)
    except TokenFileError as error:
        raise _BadFile(redact(str(error))) from None
    except SageflowError as error:
        raise _fail(error) from None


def _when(epoch: float | None, now: float) -> str:
    if epoch is None:
        return "unknown"
    stamp = datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    left = epoch - now
    if left <= 0:
        return f"{stamp} (expired)"
    if left < 3600:
        return f"{stamp} (in {left / 60:.0f} min)"
    return f"{stamp} (in {left / 86400:.1f} days)"


@click.group("auth")
@click.option("--debug", is_flag=True, help="Log requests and responses (secrets masked).")
@click.pass_context
def auth(ctx: click.Context, debug: bool) -> None:
    """Sign in to Sage, show or revoke stored tokens."""
    ctx.ensure_object(dict)
    ctx.obj.setdefault("debug", debug)
    if debug:
        logging.basicConfig(level=logging.WARNING)
        logging.getLogger("sageflow").setLevel(logging.DEBUG)


@auth.command()
@click.option("--connection", "name", help="A connection named in connections.toml.")
@click.option("--no-browser", is_flag=True, help="Only print the URL to open.")
@click.option("--port", default=0, show_default="a free port", help="Callback port.")
@click.option("--wait", default=300.0, show_default=True, help="Seconds to wait for sign-in.")
@click.pass_context
def login(ctx: click.Context, name: str | None, no_browser: bool, port: int, wait: float) -> None:
    """Sign in through the browser (PKCE) and store the tokens."""
    config = _config(name)
    connection = _connection(ctx, config)
    if connection.tokens is None:
        raise click.ClickException(
            f"connection {config.name!r} uses a fixed access token; nothing to sign in to"
        )
    manager = connection.tokens
    obj = _obj(ctx)
    open_url: Callable[[str], Any] | None = obj.get(_OPEN_URL)
    if no_browser and open_url is None:
        open_url = _ignore
    clock = obj.get(_CLOCK) or time.time
    with httpx.Client(transport=obj.get(_TRANSPORT), timeout=30.0) as http:
        try:
            tokens = run_login(
                manager.client,
                manager.store,
                http,
                open_url=open_url,
                echo=click.echo,
                port=port,
                wait=wait,
                clock=clock,
            )
        except SageflowError as error:
            raise _fail(error) from None
    click.echo(
        f"Signed in ({config.name}); access token valid until {_when(tokens.expires_at, clock())}"
    )


def _ignore(url: str) -> None:
    """--no-browser: the URL is already printed."""


@auth.command(cls=JsonCommand)
@click.option("--connection", "name", help="A connection named in connections.toml.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """Show the signed-in user, the businesses and the token expiry times."""
    config = _config(name)
    connection = _connection(ctx, config)
    obj = _obj(ctx)
    now = (obj.get(_CLOCK) or time.time)()
    report: dict[str, Any] = {"connection": config.name, "source": config.source}
    if connection.tokens is not None:
        tokens = connection.tokens.tokens
        if tokens is None:
            raise click.ClickException(
                f"not signed in ({config.name}): run `{connection.profile.login_command}`"
            )
        report["accessTokenExpires"] = _when(tokens.expires_at, now)
        report["refreshTokenExpires"] = _when(tokens.refresh_expires_at, now)
        report["scope"] = tokens.scope
    profile = connection.profile
    with Client(connection, transport=obj.get(_TRANSPORT), debug=bool(obj.get("debug"))) as api:
        try:
            if profile.user_path:
                report["user"] = _read(api, profile.user_path, config.pack)
            if profile.businesses_path:
                report["businesses"] = _read(api, profile.businesses_path, config.pack)
        except SageflowError as error:
            raise _fail(error) from None
    if connection.tokens is not None and connection.tokens.tokens is not None:
        # The reads may have refreshed: show the times that hold now.
        report["accessTokenExpires"] = _when(connection.tokens.tokens.expires_at, now)
    if as_json:
        click.echo(json_text(report, indent=2))
        return
    click.echo(f"Connection: {config.name} ({config.source})")
    user = report.get("user")
    if isinstance(user, dict):
        who = (
            user.get("displayed_as")
            or user.get("friendly_name")  # Sage 200's /current_user
            or " ".join(str(user.get(k, "")) for k in ("first_name", "last_name")).strip()
        )
        address = user.get("email") or user.get("email_address")
        email = f" <{address}>" if address else ""
        click.echo(f"User: {who}{email}")
    businesses = report.get("businesses")
    items = businesses.get("$items", []) if isinstance(businesses, dict) else businesses or []
    click.echo("Businesses:")
    for business in items:
        if isinstance(business, dict):
            label = business.get("displayed_as") or business.get("name")
            key = business.get("id")
            if key is None and "site_id" in business:
                # Sage 200's /sites: one row per company of a site, both named by the headers
                # a connection sends (siteId, companyId).
                key = f"site {business['site_id']} company {business.get('company_id')}"
                label = f"{business.get('company_name')} ({business.get('site_name')})"
            click.echo(f"  {key}  {label}")
    if "accessTokenExpires" in report:
        click.echo(f"Access token expires: {report['accessTokenExpires']}")
        click.echo(f"Refresh token expires: {report['refreshTokenExpires']}")


def _read(api: Client, path: str, pack: str) -> Any:
    request = HTTPRequest("GET", path)
    response = api.send(request)
    if not response.ok:
        raise packs()[pack].error_parser(response, request)
    return response.json()


@auth.command()
@click.option("--connection", "name", help="A connection named in connections.toml.")
@click.pass_context
def logout(ctx: click.Context, name: str | None) -> None:
    """Revoke the stored refresh token and delete it."""
    config = _config(name)
    try:
        store = FileTokenStore(name=config.name)
        connection = connect(config, store=store, clock=_obj(ctx).get(_CLOCK))
    except TokenFileError as error:
        # Nothing in a damaged file can be revoked, but the file must still go: a logout
        # that refuses to clean up leaves the user stuck with it.
        error.path.unlink(missing_ok=True)
        click.echo(f"warning: {redact(str(error)).split(';')[0]}", err=True)
        click.echo(f"Signed out ({config.name}): damaged token file deleted (nothing revoked).")
        return
    except SageflowError as error:
        raise _fail(error) from None
    manager = connection.tokens
    if manager is None:
        raise click.ClickException(f"connection {config.name!r} stores no tokens")
    tokens = manager.tokens
    if tokens is None:
        click.echo(f"Not signed in ({config.name}); nothing to revoke.")
        return
    revoked = False
    with httpx.Client(transport=_obj(ctx).get(_TRANSPORT), timeout=30.0) as http:
        try:
            revoked = revoke(manager.client, http, tokens)
        except (SageflowError, httpx.HTTPError) as error:
            # Deleting still matters: the local copy must go even if the server is unreachable.
            click.echo(f"warning: revoke failed: {redact(str(error))}", err=True)
    manager.store.delete()
    click.echo(f"Signed out ({config.name}): token {'revoked and ' if revoked else ''}deleted.")
