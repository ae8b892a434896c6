"""Ways in to any pack's simulator: httpx transports (no socket, sync and async) and an ASGI app."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from email.utils import format_datetime, formatdate
from typing import Any, Protocol

import httpx

from sageflow.sandbox._chaos import Chaos
from sageflow.sandbox._oauth import OAuthServer
from sageflow.sandbox._reply import Reply

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Simulator(Protocol):
    """What the transports need of a pack's simulator: one request in, one :class:`Reply` out,
    with the chaos gate's hooks around it (see :class:`sageflow.sandbox.ChaosGate`)."""

    @property
    def chaos(self) -> Chaos: ...

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply: ...

    def enter(self) -> None: ...

    def leave(self) -> None: ...

    def next_latency(self) -> float: ...


class SandboxDroppedError(ConnectionError):
    """Raised inside the ASGI app so the server closes the connection mid-response."""


def _call(sandbox: Simulator, request: httpx.Request, body: bytes) -> Reply:
    headers = {key: value for key, value in request.headers.items()}
    return sandbox.handle(
        request.method, request.url.path, request.url.query.decode("ascii"), headers, body
    )


def _response(reply: Reply, request: httpx.Request) -> httpx.Response:
    if reply.fault == "drop":
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    if reply.fault == "timeout":
        raise httpx.ReadTimeout("The read operation timed out", request=request)
    return httpx.Response(
        reply.status, headers=list(reply.headers.items()), content=reply.body, request=request
    )


class SandboxTransport(httpx.BaseTransport):
    """Sends an ``httpx.Client``'s requests straight to a Sandbox: no socket, no thread."""

    def __init__(self, sandbox: Simulator) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sandbox = self.sandbox
        body = request.read()
        sandbox.enter()
        try:
            delay = sandbox.next_latency()
            if delay > 0:
                time.sleep(delay)
            reply = _call(sandbox, request, body)
        finally:
            sandbox.leave()
        return _response(reply, request)


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """The async twin: latency is an ``asyncio.sleep``, so concurrent requests overlap."""

    def __init__(self, sandbox: Simulator) -> None:
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sandbox = self.sandbox
        body = await request.aread()
        sandbox.enter()
        try:
            delay = sandbox.next_latency()
            if delay > 0:
                await asyncio.sleep(delay)
            reply = _call(sandbox, request, body)
        finally:
            sandbox.leave()
        return _response(reply, request)


class SandboxASGI:
    """The Sandbox as an ASGI 3 application, for uvicorn (``sageflow sandbox serve``)."""

    def __init__(self, sandbox: Simulator) -> None:
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                # The client died before its body was complete (a killed runner): a real server
                # never sees such a request, so nothing is processed and no reply is stored
                # under its idempotency key (a stored 422 would be replayed on resume).
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        sandbox = self.sandbox
        sandbox.enter()
        try:
            delay = sandbox.next_latency()
            if delay > 0:
                await asyncio.sleep(delay)
            reply = sandbox.handle(
                scope["method"],
                scope["path"],
                scope.get("query_string", b"").decode("latin-1"),
                headers,
                b"".join(chunks),
            )
        finally:
            sandbox.leave()
        if reply.fault == "timeout":
            await asyncio.sleep(sandbox.chaos.timeout_seconds)
        headers = _with_date(reply.headers, sandbox)
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        raw_headers.append((b"content-length", str(len(reply.body)).encode()))
        await send({"type": "http.response.start", "status": reply.status, "headers": raw_headers})
        if reply.fault == "drop":
            # The write is committed; failing after the head makes the server close the socket
            # before the body, which a client sees as a dropped connection.
            raise SandboxDroppedError("sandbox chaos: connection dropped after commit")
        await send({"type": "http.response.body", "body": reply.body})


def _with_date(headers: Mapping[str, str], sandbox: Simulator) -> dict[str, str]:
    """``headers`` with exactly one ``Date`` (RFC 9110 §6.6.1: an origin server with a clock
    sends one): the simulator's own when it sent it, else its clock's time, else the wall
    clock. ``sageflow sandbox serve`` turns uvicorn's off, which would be a second one from
    another clock (and clients join two into one unreadable value)."""
    if any(k.lower() == "date" for k in headers):
        return dict(headers)
    clock = getattr(sandbox, "clock", None)
    now = clock.now() if clock is not None and hasattr(clock, "now") else None
    stamp = format_datetime(now, usegmt=True) if now is not None else formatdate(usegmt=True)
    return {**headers, "date": stamp}


class SandboxesASGI:
    """Several packs' simulators behind one port: a request goes to the simulator whose API
    path it starts with (``/v3.1/...``, ``/uk/sage200extra/...``), an OAuth endpoint to the
    simulator whose ``oauth`` server has it (Sage Accounting's ``/oauth2/token``, Sage ID's
    ``/oauth/token``), any other path (a typo) to the first one, which 404s as its product
    does."""

    def __init__(self, mounts: list[tuple[str, Simulator]]) -> None:
        if not mounts:
            raise ValueError("no simulator to serve")
        self.mounts = [(prefix.rstrip("/"), SandboxASGI(simulator)) for prefix, simulator in mounts]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.mounts[0][1](scope, receive, send)
            return
        path = str(scope.get("path", ""))
        for prefix, app in self.mounts:
            if prefix and (path == prefix or path.startswith(prefix + "/")):
                await app(scope, receive, send)
                return
        for _prefix, app in self.mounts:
            # Packs' authorization servers live outside their API paths: without this, each
            # but the first pack's (in name order) would be unreachable when served together.
            oauth = getattr(app.sandbox, "oauth", None)
            if isinstance(oauth, OAuthServer) and oauth.owns(path):
                await app(scope, receive, send)
                return
        await self.mounts[0][1](scope, receive, send)
