"""One served sandbox for all the workers of a run, never one in-process sandbox per worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sageflow._errors import SageflowError

#: The served sandbox's root URL (``http://127.0.0.1:8765``) for workers with no account.
SANDBOX_URL_ENV = "SAGEFLOW_SANDBOX_URL"
#: The name the issue's brief also uses for it; read when ``SAGEFLOW_SANDBOX_URL`` is unset.
API_BASE_ENV = "SAGEFLOW_API_BASE"


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
