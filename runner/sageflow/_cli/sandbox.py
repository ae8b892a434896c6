"""``sageflow sandbox``: serve the embedded Sage sandbox on 127.0.0.1."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click


def _latency(_ctx: click.Context, _param: click.Parameter, raw: str | None) -> object:
    """``0.05`` for a fixed delay, ``0.01-0.2`` for a range drawn per request."""
    if raw is None:
        return 0.0
    low, sep, high = raw.partition("-")
    try:
        return (float(low), float(high)) if sep else float(low)
    except ValueError:
        raise click.BadParameter("use seconds, e.g. 0.05, or a range such as 0.01-0.2") from None


def _quiet_drops(record: logging.LogRecord) -> bool:
    """Injected dropped connections are the point of the knob, not errors worth a traceback."""
    from sageflow.sandbox import SandboxDroppedError

    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, SandboxDroppedError)


@click.group()
def sandbox() -> None:
    """The embedded sandboxes: each pack's simulator of its Sage product."""


def _packs_with_sandbox(names: tuple[str, ...]) -> list[tuple[str, Any]]:
    """The packs ``--pack`` names (or every installed pack that has a sandbox), each with its
    sandbox factory, in name order."""
    from sageflow._registry import packs

    installed = packs()
    chosen = names or tuple(n for n, p in installed.items() if p.sandbox_factory is not None)
    found = []
    for name in sorted(set(chosen)):
        pack = installed.get(name)
        if pack is None:
            known = ", ".join(sorted(installed)) or "none"
            message = f"no pack named {name!r} (installed: {known})"
            raise click.BadParameter(message, param_hint="--pack")
        if pack.sandbox_factory is None:
            raise click.BadParameter(f"the {name} pack has no sandbox", param_hint="--pack")
        found.append((name, pack.sandbox_factory))
    if not found:
        raise click.UsageError("no installed pack has a sandbox")
    return found


#: Switches a pack's sandbox may offer (Sage Accounting's all do): passed only when set, so a
#: pack without one refuses the switch by name rather than ignoring it.
_PACK_SWITCHES = {
    "idempotency": ("--no-idempotency", True),
    "idempotency_conflict": ("--idempotency-conflict", "reject"),
    "strict": ("--lenient", True),
    "past_end_page": ("--past-end-page", "last"),
}


@sandbox.command()
@click.option(
    "--pack",
    "pack_names",
    multiple=True,
    help="Whose sandbox to serve; repeat for several [default: every pack's, each on its own"
    " API path of the one port].",
)
@click.option("--port", default=8765, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file holding the sandbox's state, with one --pack [default: "
    ".sageflow/sandbox-PACK.db for each pack, the ones "
    "`sageflow run` uses without an account, so curl shows what the runs created].",
)
@click.option(
    "--memory",
    is_flag=True,
    help="Keep the state in memory: a throwaway sandbox, fresh at each start.",
)
@click.option(
    "--latency", callback=_latency, help="Seconds added per request, or a range like 0.01-0.2."
)
@click.option("--error-rate", default=0.0, help="Share of API requests answered 500.")
@click.option("--unavailable-rate", default=0.0, help="Share answered 503.")
@click.option("--throttle-rate", default=0.0, help="Share answered 429 with Retry-After.")
@click.option("--retry-after", default=1, show_default=True, help="Retry-After seconds on 429s.")
@click.option("--drop-rate", default=0.0, help="Share whose connection drops after commit.")
@click.option("--timeout-rate", default=0.0, help="Share that stall for --timeout-seconds.")
@click.option("--timeout-seconds", default=30.0, show_default=True)
@click.option("--rate-limit", type=float, help="Requests per second before 429s.")
@click.option("--concurrency-limit", type=int, help="Requests in flight before 429s.")
@click.option("--seed", default=0, show_default=True, help="Seed of the chaos random source.")
@click.option(
    "--no-idempotency",
    is_flag=True,
    help="Honour neither a body idempotency_id nor X-Idempotency-Key: every POST writes"
    " (exercises a client's fallback; by default the sandbox honours them as Sage's guide says).",
)
@click.option(
    "--idempotency-conflict",
    type=click.Choice(["reject", "replay"]),
    default="reject",
    show_default=True,
    help="A reused idempotency_id with a different body: 422, or the first result again"
    " (Sage's behaviour is not documented).",
)
@click.option(
    "--lenient",
    is_flag=True,
    help="Accept and ignore body fields the sandbox does not simulate (by default they are a"
    " 422 naming the field, so that nothing is silently dropped; docs/sandbox-fidelity.md).",
)
@click.option(
    "--past-end-page",
    type=click.Choice(["last", "requested"]),
    default="last",
    show_default=True,
    help="$page of a page asked for past the end, which answers with the last page"
    " (Sage's guide does not say which number it shows).",
)
def serve(
    pack_names: tuple[str, ...],
    port: int,
    data: Path | None,
    memory: bool,
    latency: float | tuple[float, float],
    error_rate: float,
    unavailable_rate: float,
    throttle_rate: float,
    retry_after: int,
    drop_rate: float,
    timeout_rate: float,
    timeout_seconds: float,
    rate_limit: float | None,
    concurrency_limit: int | None,
    seed: int,
    no_idempotency: bool,
    idempotency_conflict: str,
    lenient: bool,
    past_end_page: str,
) -> None:
    """Serve a pack's sandbox on 127.0.0.1 for curl, Postman or a host platform.

    Call it with the access token printed at start (``Authorization: Bearer ...``); the Sage
    Accounting sandbox also runs /oauth2/authorize and /oauth2/token like a real Sage app.
    """
    # Imported here so ``sageflow --help`` does not pay for uvicorn.
    import uvicorn

    from sageflow.sandbox import Chaos, SandboxesASGI

    served = _packs_with_sandbox(pack_names)
    chaos = Chaos(
        latency=latency,
        error_rate=error_rate,
        unavailable_rate=unavailable_rate,
        throttle_rate=throttle_rate,
        retry_after=retry_after,
        drop_rate=drop_rate,
        timeout_rate=timeout_rate,
        timeout_seconds=timeout_seconds,
        rate_limit=rate_limit,
        concurrency_limit=concurrency_limit,
        seed=seed,
    )
    if memory and data is not None:
        raise click.UsageError("--memory and --data: choose one")
    if data is not None and len(served) > 1:
        raise click.UsageError("--data names one pack's file: serve that pack alone with --pack")
    chosen = {
        "idempotency": not no_idempotency,
        "idempotency_conflict": idempotency_conflict,
        "strict": not lenient,
        "past_end_page": past_end_page,
    }
    switches = {k: v for k, v in chosen.items() if v != _PACK_SWITCHES[k][1]}
    base = f"http://127.0.0.1:{port}"
    mounts: list[tuple[str, Any]] = []
    try:
        for pack, factory in served:
            state = None if memory else (data or _default_state(pack))
            if state is not None:
                from sageflow._files import private_dir, private_file

                private_dir(state.parent)
                private_file(state)  # business data: 0600 before SQLite creates it
            try:
                simulator = factory(chaos=chaos, data=state, **switches)
            except TypeError as error:
                used = [_PACK_SWITCHES[k][0] for k in switches if k in str(error)]
                raise click.UsageError(
                    f"the {pack} sandbox has no {' '.join(used) or 'such'} switch ({error});"
                    " serve the packs that have it with --pack"
                ) from None
            api_path = urlsplit(str(simulator.api_base)).path
            # A sandbox whose routes outside its API base share a root (Chift's /chift/token
            # beside /chift/consumers/...) names that root as its mount_path.
            mounts.append((getattr(simulator, "mount_path", None) or api_path, simulator))
            click.echo(f"{pack} sandbox on {base}")
            click.echo(f"  API base:     {base}{api_path}")
            click.echo(f"  Access token: {simulator.access_token}  (never expires)")
            describe = getattr(simulator, "describe", None)
            for label, value in describe(base) if describe is not None else ():
                click.echo(f"  {label + ':':<13} {value}")
            click.echo(f"  State:        {state if state else 'in memory'}")
        logging.getLogger("uvicorn.error").addFilter(_quiet_drops)
        uvicorn.run(
            SandboxesASGI(mounts),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            # The sandboxes send Date from their own clocks (RFC 9110 §6.6.1); uvicorn's would
            # be a second one, and triggers read the server's time from it.
            date_header=False,
        )
    finally:
        for _path, simulator in mounts:
            simulator.close()


def _default_state(pack: str) -> Path:
    from sageflow._flows._journal import DEFAULT_PATH
    from sageflow._http._config import pack_state_file

    # The file `sageflow run`, `call` and `options` use when no account is configured.
    return pack_state_file(DEFAULT_PATH.parent / "sandbox.db", pack)


@sandbox.command()
@click.option("--pack", "pack_names", multiple=True, help="Whose sandbox [default: every pack's].")
def token(pack_names: tuple[str, ...]) -> None:
    """Print the sandboxes' development access tokens (for curl and scripts).

    With one pack, the token alone (``TOKEN=$(sageflow sandbox token --pack ...)``); with
    several, one ``pack: token`` line each.
    """
    served = _packs_with_sandbox(pack_names)
    for pack, factory in served:
        simulator = factory()
        try:
            token = str(simulator.access_token)
        finally:
            simulator.close()
        click.echo(token if len(served) == 1 else f"{pack}: {token}")
