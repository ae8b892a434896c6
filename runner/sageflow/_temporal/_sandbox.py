"""One served sandbox for all the workers of a run, never one in-process sandbox per worker."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sageflow._errors import SageflowError

if TYPE_CHECKING:
    from sageflow._execute import Caller
    from sageflow._flows._engine import CallerFactory
    from sageflow._http._tokens import TokenStore

#: The served sandbox's root URL (``http://127.0.0.1:8765``) for workers with no account.
#: Not ``SAGEFLOW_API_BASE``: that is already the ``apiBase`` field of a Sage Accounting
#: connection given in the environment, a real API's address, never a sandbox's.
SANDBOX_URL_ENV = "SAGEFLOW_SANDBOX_URL"


class SandboxServeError(SageflowError):
    """A sandbox could not be served (no such pack, the port would not bind)."""


@dataclass
class ServedSandbox:
    """Sandboxes served over HTTP on 127.0.0.1 from a thread of this process.

    ``url`` is the root every pack's API hangs off (``api_base(pack)`` names one); ``simulators``
    are the live objects, for a test's assertions (records, OAuth counters); ``env`` is what a
    worker process needs to reach them.
    """

    url: str
    simulators: dict[str, Any]
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)

    def simulator(self, pack: str = "sage_accounting") -> Any:
        return self.simulators[pack]

    def api_base(self, pack: str = "sage_accounting") -> str:
        return self.url + urlsplit(str(self.simulators[pack].api_base)).path

    def access_token(self, pack: str = "sage_accounting") -> str:
        return str(self.simulators[pack].access_token)

    @property
    def env(self) -> dict[str, str]:
        return {SANDBOX_URL_ENV: self.url}

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        for simulator in self.simulators.values():
            simulator.close()


def _factories(packs_wanted: tuple[str, ...]) -> list[tuple[str, Any]]:
    from sageflow._registry import packs

    installed = packs()
    chosen = packs_wanted or tuple(n for n, p in installed.items() if p.sandbox_factory)
    found = []
    for name in sorted(set(chosen)):
        pack = installed.get(name)
        if pack is None or pack.sandbox_factory is None:
            known = ", ".join(sorted(n for n, p in installed.items() if p.sandbox_factory))
            raise SandboxServeError(
                f"no pack named {name!r} has a sandbox (those that do: {known})"
            )
        found.append((name, pack.sandbox_factory))
    return found


def start_served_sandbox(
    packs: tuple[str, ...] = (),
    *,
    port: int = 0,
    options: Mapping[str, Any] | None = None,
    ready_timeout: float = 30.0,
) -> ServedSandbox:
    """Serve ``packs``' sandboxes (every pack's by default) on 127.0.0.1:``port`` (0: a free
    one, read back from the bound socket, so no pick-then-bind race) from a daemon thread.

    ``options`` go to each pack's sandbox factory (``chaos``, ``idempotency=False``, ``data``);
    state is in memory unless ``data`` names a file (then serve one pack).
    """
    import time

    import uvicorn

    from sageflow.sandbox import SandboxesASGI

    simulators: dict[str, Any] = {}
    mounts: list[tuple[str, Any]] = []
    for name, factory in _factories(packs):
        simulator = factory(**dict(options or {}))
        simulators[name] = simulator
        api_path = urlsplit(str(simulator.api_base)).path
        mounts.append((getattr(simulator, "mount_path", None) or api_path, simulator))
    config = uvicorn.Config(
        SandboxesASGI(mounts),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        # The sandboxes send Date from their own clocks, as `sageflow sandbox serve` does.
        date_header=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="sageflow-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + ready_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            for simulator in simulators.values():
                simulator.close()
            raise SandboxServeError(f"the sandbox did not start on 127.0.0.1:{port}")
        time.sleep(0.01)  # polling the server thread's flag, not waiting a fixed time
    bound = server.servers[0].sockets[0].getsockname()[1]
    return ServedSandbox(f"http://127.0.0.1:{bound}", simulators, server, thread)


@contextmanager
def served_sandbox(
    packs: tuple[str, ...] = (),
    *,
    port: int = 0,
    options: Mapping[str, Any] | None = None,
) -> Iterator[ServedSandbox]:
    """:func:`start_served_sandbox` for the length of a ``with`` block."""
    served = start_served_sandbox(packs, port=port, options=options)
    try:
        yield served
    finally:
        served.stop()


# -- a worker's callers -------------------------------------------------------------------------


class NoServedSandboxError(SageflowError):
    """A worker has no account for a pack and was given no served sandbox to reach instead."""


def sandbox_url_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The served sandbox named by ``SAGEFLOW_SANDBOX_URL`` (its root, whatever path is
    given); ``None`` when it is not set."""
    env = os.environ if environ is None else environ
    found = env.get(SANDBOX_URL_ENV, "").strip()
    if not found:
        return None
    parts = urlsplit(found)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise NoServedSandboxError(
            f"{SANDBOX_URL_ENV}={found!r} is not an http(s) URL (expected e.g. "
            "http://127.0.0.1:8765, where `sageflow sandbox serve` listens)"
        )
    # Only the root counts: each pack's API path is the pack's own, appended per pack.
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class _Address:
    api_path: str
    token: str
    headers: dict[str, str]
    profile: Any


@cache
def _address(pack: str) -> _Address:
    """Where a pack's API sits under a served root, with its development token and fixed
    headers, as the pack's sandbox says.

    The pack's sandbox says these about itself (Sage 200's X-Site comes from its seeded site),
    so one is built once per worker process to read them and closed at once: it serves
    nothing, every request goes to the served one.
    """
    from sageflow._http._profile import APIProfile, ConfigurationError, HTTPConnectionSpec
    from sageflow._registry import get_pack

    installed = get_pack(pack)
    if installed is None or installed.sandbox_factory is None:
        raise ConfigurationError(
            f"no credentials configured for {pack} and the pack has no sandbox to serve"
        )
    simulator = installed.sandbox_factory()
    try:
        api_path = urlsplit(str(simulator.api_base)).path
        token = str(simulator.access_token)
        headers = dict(getattr(simulator, "connection_headers", None) or {})
    finally:
        simulator.close()
    profile = APIProfile()
    for spec in installed.connections.values():
        if isinstance(spec, HTTPConnectionSpec):
            profile = spec.profile
            break
    return _Address(api_path, token, headers, profile)


def served_caller(url: str, pack: str, *, debug: bool = False, limiter: Any = None) -> Any:
    """An :class:`~sageflow._http.AsyncClient` for ``pack``'s sandbox served at ``url`` (over
    HTTP: every worker holding one sees the same records)."""
    from sageflow._http._client import AsyncClient, Connection
    from sageflow._http._config import sandbox_limiter

    address = _address(pack)
    connection = Connection.with_token(
        url.rstrip("/") + address.api_path, address.token, address.profile, headers=address.headers
    )
    # The served sandbox simulates Sage's own limits (its chaos knobs): no client-side pacing
    # unless the caller asks for a limiter (the connection-wide one, in a benchmark).
    return AsyncClient(connection, debug=debug, limiter=limiter or sandbox_limiter())


def worker_caller_factory(
    connection: str | None = None,
    *,
    sandbox_url: str | None = None,
    debug: bool = False,
    token_store: TokenStore | None = None,
    limit: int | None = None,
) -> CallerFactory:
    """The callers a worker's activities use: one per pack, opened on first use.

    A pack with a configured account (``connections.toml``, ``SAGEFLOW_*`` variables) is called
    as ``sageflow run`` would call it. A pack without one goes to the ONE served sandbox of the
    run (``sandbox_url``, else ``SAGEFLOW_SANDBOX_URL``): never a sandbox
    inside each worker, whose records the other workers would not see. With neither, the first
    call says so (:class:`NoServedSandboxError`).

    An OAuth account's tokens are the connection's token workflow's (``_tokens``): the worker
    asks it, never refreshes them itself. ``token_store`` is where this worker's copy is (the
    file ``sageflow auth login`` wrote by default): it seeds the workflow if none runs yet.

    Requests in flight are limited across all workers (``_limits``): for an account, to
    ``limit`` or Sage's 150 per app; for the served sandbox, only when ``limit`` is given (the
    sandbox simulates Sage's limits itself, with its chaos knobs).
    """
    from sageflow._execute import PackCallers
    from sageflow._http._config import (
        account_required,
        find_connection,
        no_account_error,
        open_caller,
    )

    given = sandbox_url.rstrip("/") if sandbox_url else None

    def factory(account: str | None) -> Caller:
        name = account or connection

        def open_for_pack(pack: str) -> Caller:
            config = find_connection(name, pack=pack)
            if config is not None:
                from sageflow._temporal._limits import SAGE_MAX_CONCURRENT, shared_limiter_for

                # Sage counts its limit per app: the client id when there is one.
                app = str(config.values.get("clientId") or config.name)
                shared = shared_limiter_for(app, limit or SAGE_MAX_CONCURRENT)
                options: dict[str, Any] = {} if shared is None else {"limiter": shared}
                client = open_caller(name, debug=debug, pack=pack, store=token_store, **options)
                # OAuth tokens belong to the connection's token workflow: this worker asks it
                # rather than refreshing (and rotating) them on its own.
                from sageflow._temporal._tokens import share_tokens

                share_tokens(client.connection)
                caller: Caller = client
                return caller
            if account_required():
                raise no_account_error(pack)
            url = given if given is not None else sandbox_url_from_env()
            if url is None:
                raise NoServedSandboxError(
                    f"no {pack} account is configured on this worker and no served sandbox is "
                    f"named: start one (`sageflow sandbox serve --port 8765`) and set "
                    f"{SANDBOX_URL_ENV}=http://127.0.0.1:8765 for every worker, or configure an "
                    "account (a sandbox inside each worker would give each its own records)"
                )
            limiter = None
            if limit is not None:
                from sageflow._temporal._limits import shared_limiter_for

                limiter = shared_limiter_for(f"sandbox-{pack}", limit)
            served: Caller = served_caller(url, pack, debug=debug, limiter=limiter)
            return served

        return PackCallers(open_for_pack)

    return factory
