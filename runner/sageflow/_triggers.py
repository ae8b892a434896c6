"""Polling a trigger: its events and next cursor, through the same Caller and HTTP layer as actions.

A trigger's poll is a pure generator (see :class:`sageflow._component.Trigger`); this module is
where a poller meets it. :func:`apoll` binds the cursor to the trigger, runs it through any
:class:`~sageflow._execute.Caller` (auth, retries, limits, redaction are the HTTP layer's, as for
an action) and reads its output into a :class:`PollResult`. The caller stores
``PollResult.cursor`` and hands it back on the next poll; the cursor holds the dedupe memory, so
a caller that always stores it never receives an event twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, Literal, cast, get_args

from sageflow._component import Component, Inputs, Poll, Trigger
from sageflow._errors import SageflowError
from sageflow._execute import Caller, CallOptions
from sageflow._registry import get_component

EventType = Literal["created", "updated", "deleted"]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)

__all__ = [
    "EVENT_TYPES",
    "CursorError",
    "Event",
    "EventType",
    "NotATriggerError",
    "PollResult",
    "TriggerOutputError",
    "apoll",
    "bind",
    "poll",
    "read_result",
]


class NotATriggerError(SageflowError):
    """A reference given to poll that names an action, not a trigger."""


class CursorError(SageflowError):
    """A cursor the trigger cannot read: another trigger's, edited by hand, or from a newer
    version. Polling from it could lose or repeat changes, so the poll refuses it."""


class TriggerOutputError(SageflowError):
    """A trigger's poll returned something that is not ``{"events": [...], "cursor": {...}}``."""


@dataclass(frozen=True)
class Event:
    """One change: a record created, updated or deleted at a server instant."""

    type: EventType
    id: str
    #: The record as the API sent it; for ``deleted``, the tombstone (``{id, $path, deleted_at}``).
    record: dict[str, Any]
    #: ISO 8601 UTC instant of the change (``updated_at``, or ``deleted_at``).
    at: str

    @property
    def key(self) -> str:
        """The change's stable identity: the same change always has the same key."""
        return f"{self.type}:{self.id}@{self.at}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "record": self.record, "at": self.at}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Event:
        kind = raw.get("type")
        if kind not in EVENT_TYPES:
            raise TriggerOutputError(f"an event's type must be one of {EVENT_TYPES}, not {kind!r}")
        ident, record, at = raw.get("id"), raw.get("record"), raw.get("at")
        if not isinstance(ident, str) or not isinstance(at, str) or not isinstance(record, dict):
            raise TriggerOutputError(
                f"an event needs a string id, a string at and a record object, got {sorted(raw)!r}"
            )
        return cls(cast("EventType", kind), ident, record, at)


@dataclass(frozen=True)
class PollResult:
    """What one poll found: events oldest first (no two with the same key), and the cursor."""

    events: list[Event]
    #: JSON-serialisable and opaque: store it and pass it to the next poll.
    cursor: dict[str, Any]


def bind(
    trigger: Trigger, cursor: Mapping[str, Any] | None, since: datetime | None = None
) -> Component:
    """``trigger`` as a component whose handler is one poll from ``cursor``.

    Any Caller runs a component to its output; binding the cursor into the handler is how a
    poll goes through exactly the path an action's call takes.
    """
    frozen_cursor = dict(cursor) if cursor is not None else None

    def one_poll(inputs: Inputs) -> Poll:
        return trigger.poll(inputs, frozen_cursor, since)

    return replace(trigger, handler=one_poll)


def read_result(output: Mapping[str, Any]) -> PollResult:
    """A poll's output as a :class:`PollResult`, refusing a malformed one."""
    events, cursor = output.get("events"), output.get("cursor")
    if not isinstance(events, list) or not isinstance(cursor, dict):
        raise TriggerOutputError(
            f"a poll must return events (a list) and cursor (an object), got {sorted(output)!r}"
        )
    read = [Event.from_dict(e) for e in events]
    keys = [e.key for e in read]
    if len(set(keys)) != len(keys):
        raise TriggerOutputError("a poll returned the same event twice")
    return PollResult(read, cursor)


def _as_instant(since: datetime | date | None) -> datetime | None:
    """A backfill start as an aware UTC instant: a date is its midnight UTC, a naive time UTC."""
    if since is None:
        return None
    if not isinstance(since, datetime):
        since = datetime.combine(since, time(0), tzinfo=UTC)
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return since.astimezone(UTC)


def _trigger(ref: str) -> Trigger:
    component = get_component(ref)
    if not isinstance(component, Trigger):
        raise NotATriggerError(
            f"{component.ref} is an {component.kind}, not a trigger: "
            "poll one of the <resource>Changes components"
        )
    return component


async def apoll(
    ref: str,
    inputs: Mapping[str, Any],
    cursor: Mapping[str, Any] | None,
    *,
    since: datetime | date | None = None,
    caller: Caller,
) -> PollResult:
    """One poll of the trigger ``ref`` ("pack/key") with its ``with:`` inputs.

    With ``cursor`` None and no ``since``, the first poll starts "from now": no events, and a
    cursor at the server's current time. With ``cursor`` None and ``since``, it delivers the
    changes at or after ``since`` (backfill). ``since`` is ignored once there is a cursor.
    Raises :class:`~sageflow._errors.InputValidationError` for bad inputs (before any
    request), and the pack's typed errors for API failures; the cursor is then unchanged,
    so polling again from it loses nothing.
    """
    trigger = _trigger(ref)
    validated = trigger.validate(inputs)
    output = await caller.acall(bind(trigger, cursor, _as_instant(since)), validated, CallOptions())
    return read_result(output)


def poll(
    ref: str,
    inputs: Mapping[str, Any],
    cursor: Mapping[str, Any] | None,
    *,
    since: datetime | date | None = None,
    caller: Caller,
) -> PollResult:
    """The synchronous twin of :func:`apoll` (it runs its own event loop)."""
    return asyncio.run(apoll(ref, inputs, cursor, since=since, caller=caller))
