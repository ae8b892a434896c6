"""A fake pack with a trigger and a write, an in-memory server, and a caller: poll tests' kit.

The trigger is a real :class:`sageflow._component.Trigger` polled through
``sageflow._triggers.apoll`` (the path ``sageflow poll`` takes); only the server is fake: a
change log read from a sequence-number cursor, and a notes endpoint that honours idempotency
keys as Sage does, so a resumed run's repeated write is visible (or not) in ``notes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sageflow._component import READ_ONLY, WRITE, Action, Component, Inputs, Pack, Poll
from sageflow._errors import APIError, APIErrorEntry, api_error_class
from sageflow._execute import CallOptions, adrive
from sageflow._values import HTTPRequest, HTTPResponse


def _parse_error(response: HTTPResponse, request: HTTPRequest) -> APIError:
    body = response.json() or {}
    return api_error_class(response.status)(
        response.status,
        [APIErrorEntry("error", body.get("code"), body.get("message", "failed"))],
        method=request.method,
        path=request.path,
    )


PACK = Pack(
    name="polltest",
    title="Poll test pack",
    description="A trigger and a write for sageflow poll tests.",
    error_parser=_parse_error,
)


class AnyOutput(BaseModel):
    model_config = ConfigDict(extra="allow")


class ThingChangesInputs(Inputs):
    events: list[Literal["created", "updated", "deleted"]] | None = Field(
        default=None,
        description="Which changes to deliver (all by default).",
        examples=[["created"]],
    )
    kind: str | None = Field(default=None, description="Only things of this kind.", examples=["a"])


@PACK.trigger(
    key="thingChanges",
    title="Thing Changes",
    description="Things created, updated or deleted (GET /changes).",
    inputs=ThingChangesInputs,
    output=AnyOutput,
    example_input={"events": ["created"]},
    example_output={"type": "created", "id": "t1", "record": {"id": "t1"}, "at": "2025-01-01"},
)
def thing_changes(
    inputs: ThingChangesInputs, cursor: Mapping[str, Any] | None, since: datetime | None
) -> Poll:
    query: dict[str, Any] = {}
    if cursor is not None:
        query["after"] = cursor["seq"]
    elif since is not None:
        query["since"] = since.isoformat()
    else:
        query["now"] = "1"
    response = yield HTTPRequest("GET", "/changes", query=query)
    body = response.json()
    wanted = set(inputs.events or ("created", "updated", "deleted"))
    events = [
        change
        for change in body["changes"]
        if change["type"] in wanted
        and (inputs.kind is None or change["record"].get("kind") == inputs.kind)
    ]
    return {"events": events, "cursor": {"seq": body["seq"]}}


class NoteInputs(Inputs):
    text: str = Field(description="The note.", examples=["hello"], min_length=1)


@PACK.component(
    key="addNote",
    title="Add Note",
    description="POST /notes",
    inputs=NoteInputs,
    output=AnyOutput,
    annotations=WRITE,
    example_input={"text": "hello"},
    example_output={"id": "n1", "text": "hello"},
)
def add_note(inputs: NoteInputs) -> Action:
    response = yield HTTPRequest("POST", "/notes", json={"note": {"text": inputs.text}})
    return dict(response.json())


@PACK.component(
    key="listNotes",
    title="List Notes",
    description="GET /notes",
    inputs=Inputs,
    output=AnyOutput,
    annotations=READ_ONLY,
    example_input={},
    example_output={"items": []},
)
def list_notes(inputs: Inputs) -> Action:
    response = yield HTTPRequest("GET", "/notes")
    return dict(response.json())


@dataclass
class Server:
    """A change log (the trigger's source) and notes (the flow's writes)."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_notes: set[str] = field(default_factory=set)
    #: How far back a poll re-reads (the overlap a real trigger keeps on purpose).
    overlap: int = 0
    polls: int = 0
    #: Answer this many polls with a 503 (the API down for a while).
    down: int = 0

    def change(self, kind: str, thing_id: str, **record: Any) -> dict[str, Any]:
        at = f"2025-01-01T00:00:{len(self.changes):02d}Z"
        event = {"type": kind, "id": thing_id, "record": {"id": thing_id, **record}, "at": at}
        self.changes.append(event)
        return event

    def handle(self, request: HTTPRequest, key: str | None) -> HTTPResponse:
        if request.path == "/changes":
            self.polls += 1
            if self.down:
                self.down -= 1
                return HTTPResponse.from_json(503, {"code": "DOWN", "message": "try later"})
            seq = len(self.changes)
            if "now" in request.query:
                found: list[dict[str, Any]] = []
            elif "since" in request.query:
                found = [c for c in self.changes if c["at"] >= str(request.query["since"])]
            else:
                after = max(0, int(request.query["after"]) - self.overlap)
                found = self.changes[after:]
            return HTTPResponse.from_json(200, {"changes": found, "seq": seq})
        if request.path == "/notes" and request.method == "POST":
            text = request.json["note"]["text"]
            if text in self.fail_notes:
                return HTTPResponse.from_json(422, {"code": "BAD", "message": f"refused {text}"})
            if key is not None and key in self.by_key:
                return HTTPResponse.from_json(201, self.by_key[key])
            note = {"id": f"n{len(self.notes) + 1}", "text": text}
            self.notes.append(note)
            if key is not None:
                self.by_key[key] = note
            return HTTPResponse.from_json(201, note)
        if request.path == "/notes":
            return HTTPResponse.from_json(200, {"items": self.notes})
        return HTTPResponse.from_json(404, {"message": "no route"})


@dataclass
class Caller:
    server: Server
    calls: list[str] = field(default_factory=list)
    #: Raise ``crash`` once the server has handled the call with this number (1-based): a
    #: kill inside a run, after its write and before its answer.
    crash_at: int | None = None
    crash: type[BaseException] = KeyboardInterrupt

    async def acall(
        self,
        component: Component,
        inputs: Inputs | Mapping[str, Any],
        options: CallOptions = CallOptions(),  # noqa: B008
    ) -> dict[str, Any]:
        self.calls.append(component.ref)
        crash = self.crash_at is not None and len(self.calls) == self.crash_at

        async def send(request: HTTPRequest) -> HTTPResponse:
            response = self.server.handle(request, options.idempotency_key)
            if crash:  # the server did it; the answer is lost with the process
                raise self.crash("killed")
            return response

        return await adrive(component, inputs, send, PACK.error_parser, options)


FLOW = """\
name: note-each-thing
on:
  poll: polltest/thingChanges
  with: {events: [created, deleted]}
  every: 1m
steps:
  - id: note
    uses: polltest/addNote
    with: {text: "${{ trigger.event.type }} ${{ trigger.event.id }}"}
outputs:
  note: ${{ steps.note.output.id }}
"""

BATCH_FLOW = """\
name: note-batches
on:
  poll: polltest/thingChanges
  every: 30s
  batch: 2
steps:
  - id: note
    uses: polltest/addNote
    with: {text: "${{ join(pluck(trigger.events, 'id'), ',') }}"}
"""
