"""A fake pack and an in-memory caller, so the engine is tested without HTTP or the sandbox."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from sageflow import register_pack
from sageflow._component import READ_ONLY, WRITE, Action, Component, Inputs, Pack
from sageflow._errors import APIError, APIErrorEntry, ServerError, api_error_class
from sageflow._execute import CallOptions, adrive
from sageflow._values import HTTPRequest, HTTPResponse

FIXED_NOW = dt.datetime(2024, 3, 15, 9, 30, tzinfo=dt.UTC)


def _parse_error(response: HTTPResponse, request: HTTPRequest) -> APIError:
    body = response.json() or {}
    cls = api_error_class(response.status)
    return cls(
        response.status,
        [APIErrorEntry("error", body.get("code"), body.get("message", "failed"))],
        method=request.method,
        path=request.path,
    )


class AnyOutput(BaseModel):
    model_config = ConfigDict(extra="allow")


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(description="What was sold.", examples=["Consulting"])
    quantity: Decimal = Field(description="How many.", examples=[1])
    unitPrice: Decimal = Field(description="Price of one.", examples=["10.00"])


class CreateThingInputs(Inputs):
    name: str = Field(description="The thing's name.", examples=["Acme"], min_length=1)
    amount: Decimal | None = Field(default=None, description="An amount.", examples=["12.50"])
    tags: list[str] | None = Field(default=None, description="Tags.", examples=[["a"]])
    lines: list[Line] | None = Field(default=None, description="Lines.", examples=[[]])


class ListThingsInputs(Inputs):
    search: str | None = Field(default=None, description="Filter by name.", examples=["ac"])


class TokenInputs(Inputs):
    token: SecretStr = Field(description="A secret.", examples=["********"])
    label: str = Field(default="x", description="A label.", examples=["x"])


PACK = Pack(
    name="testpack",
    title="Test pack",
    description="Fakes for runner tests.",
    error_parser=_parse_error,
)


@PACK.component(
    key="createThing",
    title="Create Thing",
    description="POST /things",
    inputs=CreateThingInputs,
    output=AnyOutput,
    annotations=WRITE,
    example_input={"name": "Acme"},
    example_output={"id": "example-id", "name": "Acme"},
)
def create_thing(inputs: CreateThingInputs) -> Action:
    body: dict[str, Any] = {"thing": {"name": inputs.name}}
    if inputs.amount is not None:
        body["thing"]["amount"] = str(inputs.amount)
    if inputs.lines is not None:
        body["thing"]["lines"] = [
            {
                "description": ln.description,
                "quantity": str(ln.quantity),
                "unit_price": str(ln.unitPrice),
            }
            for ln in inputs.lines
        ]
    response = yield HTTPRequest("POST", "/things", json=body)
    return dict(response.json())


@PACK.component(
    key="listThings",
    title="List Things",
    description="GET /things",
    inputs=ListThingsInputs,
    output=AnyOutput,
    annotations=READ_ONLY,
    example_input={},
    example_output={"items": [], "total": 0},
)
def list_things(inputs: ListThingsInputs) -> Action:
    query = {"search": inputs.search} if inputs.search else {}
    response = yield HTTPRequest("GET", "/things", query=query)
    return dict(response.json())


@PACK.component(
    key="useToken",
    title="Use Token",
    description="POST /tokens",
    inputs=TokenInputs,
    output=AnyOutput,
    annotations=WRITE,
    example_input={"token": "t"},
    example_output={"ok": True},
)
def use_token(inputs: TokenInputs) -> Action:
    response = yield HTTPRequest("POST", "/tokens", json={"label": inputs.label})
    return dict(response.json())


@pytest.fixture(autouse=True)
def _testpack() -> Any:
    # Registered only while a runner test runs, so other suites' manifest checks never see it.
    from sageflow._registry import packs

    register_pack(PACK)
    yield
    packs().pop(PACK.name, None)


@dataclass
class FakeServer:
    """Things in memory; a write with a known idempotency key returns the first result."""

    things: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_next: list[int] = field(default_factory=list)  # statuses to answer with, in order
    fail_names: dict[str, int] = field(default_factory=dict)  # name -> status, always
    latency: float = 0.0
    requests: list[tuple[str, str, Any, str | None]] = field(default_factory=list)

    def handle(self, request: HTTPRequest, key: str | None) -> HTTPResponse:
        self.requests.append((request.method, request.path, request.json, key))
        if self.fail_next:
            status = self.fail_next.pop(0)
            return HTTPResponse.from_json(status, {"message": f"injected {status}"})
        if request.method == "POST" and request.path == "/things":
            name = request.json["thing"]["name"]
            if name in self.fail_names:
                status = self.fail_names[name]
                return HTTPResponse.from_json(status, {"code": "BAD", "message": f"no {name}"})
            if key is not None and key in self.by_key:
                return HTTPResponse.from_json(201, self.by_key[key])
            thing = {"id": f"t{len(self.things) + 1}", **request.json["thing"]}
            self.things.append(thing)
            if key is not None:
                self.by_key[key] = thing
            return HTTPResponse.from_json(201, thing)
        if request.method == "GET" and request.path == "/things":
            search = request.query.get("search")
            items = [t for t in self.things if not search or str(search) in t["name"]]
            return HTTPResponse.from_json(200, {"items": items, "total": len(items)})
        if request.path == "/tokens":
            return HTTPResponse.from_json(200, {"ok": True})
        return HTTPResponse.from_json(404, {"message": "no route"})


@dataclass
class FakeCaller:
    server: FakeServer
    calls: list[tuple[str, CallOptions]] = field(default_factory=list)
    crash_after: int | None = None  # raise KeyboardInterrupt-like crash after N calls

    async def acall(
        self,
        component: Component,
        inputs: Inputs | Mapping[str, Any],
        options: CallOptions = CallOptions(),  # noqa: B008
    ) -> dict[str, Any]:
        self.calls.append((component.ref, options))
        if self.crash_after is not None and len(self.calls) > self.crash_after:
            raise SimulatedCrash("process killed")

        async def send(request: HTTPRequest) -> HTTPResponse:
            if self.server.latency:
                await asyncio.sleep(self.server.latency)
            return self.server.handle(request, options.idempotency_key)

        return await adrive(component, inputs, send, PACK.error_parser)


class SimulatedCrash(BaseException):
    """Not an Exception: like a kill, it goes through every ``except Exception``."""


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def caller(server: FakeServer) -> FakeCaller:
    return FakeCaller(server)


@pytest.fixture
def no_sleep() -> list[float]:
    return []


@pytest.fixture
def flow_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(text: str, name: str = "test.sageflow.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


__all__ = ["FIXED_NOW", "FakeCaller", "FakeServer", "ServerError", "SimulatedCrash"]
