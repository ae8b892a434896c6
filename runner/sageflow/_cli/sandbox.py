"""``sageflow sandbox``: serve the embedded Sage sandbox on 127.0.0.1."""

from __future__ import annotations

import logging
from pathlib import Path

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
    from sage_accounting.sandbox import SandboxDroppedError

    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, SandboxDroppedError)


@click.group()
def sandbox() -> None:
    """The embedded Sage Business Cloud Accounting sandbox."""


@sandbox.command()
@click.option("--port", default=8765, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file holding the sandbox's state [default: .sageflow/sandbox.db, the one "
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
    """Serve the sandbox on 127.0.0.1 for curl, Postman or a host platform.

    Call it with ``Authorization: Bearer sageflow-sandbox-token`` (printed at start), or go
    through /oauth2/authorize and /oauth2/token like a real Sage app.
    """
    # Imported here so ``sageflow --help`` does not pay for uvicorn.
    import uvicorn

    from sage_accounting.sandbox import DEV_TOKEN, Chaos, Sandbox, create_app

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
    if not memory and data is None:
        from sageflow._flows._journal import DEFAULT_PATH

        # The file `sageflow run`, `call` and `options` use when no account is configured.
        data = DEFAULT_PATH.parent / "sandbox.db"
    if data is not None:
        from sageflow._files import private_dir, private_file

        private_dir(data.parent)
        private_file(data)  # business data: 0600 before SQLite creates it with the umask's mode
    simulator = Sandbox(
        chaos=chaos,
        data=data,
        idempotency=not no_idempotency,
        idempotency_conflict=idempotency_conflict,
        strict=not lenient,
        past_end_page=past_end_page,
    )
    base = f"http://127.0.0.1:{port}"
    click.echo(f"Sage sandbox on {base}")
    click.echo(f"  API base:     {base}/v3.1")
    click.echo(f"  OAuth:        {base}/oauth2/authorize, {base}/oauth2/token")
    click.echo(f"  Access token: {DEV_TOKEN}  (never expires)")
    click.echo(f"  Business:     {simulator.lead_business.name} ({simulator.lead_business.id})")
    click.echo(f"  State:        {data if data else 'in memory'}")
    click.echo(
        "  Idempotency:  "
        + ("off (every POST writes)" if no_idempotency else "idempotency_id in the body, 7 days")
    )
    logging.getLogger("uvicorn.error").addFilter(_quiet_drops)
    try:
        uvicorn.run(
            create_app(simulator), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    finally:
        simulator.close()


@sandbox.command()
def token() -> None:
    """Print the sandbox's development access token (for curl and scripts)."""
    from sage_accounting.sandbox import DEV_TOKEN

    click.echo(DEV_TOKEN)
