"""Request and response values: what pure handlers produce and consume instead of doing I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
ResponseType = Literal["json", "text", "binary"]
QueryValue = str | int | bool | Sequence[str]


@dataclass(frozen=True)
class UploadFile:
    """One file part of a multipart body."""

    field: str
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class RetryOverride:
    """Per-request adjustments to the HTTP layer's one retry policy (rawRequest exposes these).

    ``None`` means "keep the connection's policy". Handlers only *describe* the wish; the HTTP
    layer is the only place that interprets it.
    """

    max_retries: int | None = None
    retry_delay: float | None = None
    exponential_backoff: bool | None = None
    retry_all_errors: bool | None = None


@dataclass(frozen=True)
class HTTPRequest:
    """A request a handler wants sent, relative to the connection's API base.

    ``path`` always starts with ``/`` and never carries a scheme or host: the HTTP layer joins it
    to the configured base, which is how a handler is kept from reaching anywhere else.
    """

    method: Method
    path: str
    query: Mapping[str, QueryValue] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    form: Mapping[str, str] | None = None
    files: Sequence[UploadFile] = ()
    response_type: ResponseType = "json"
    # Statuses the handler inspects itself (e.g. 404 in find-or-create); any other error status
    # is raised by the executor as the pack's typed API error.
    expect: frozenset[int] = frozenset()
    timeout: float | None = None
    retry: RetryOverride | None = None
    # Ask the HTTP layer to log this request and its response (redacted), as rawRequest's
    # debugRequest does, whatever the logger's level.
    debug: bool = False
    # Set by the executor, not by handlers: the write carries a marker the executor looks for
    # when its outcome is unknown, so the HTTP layer must hand an unknown outcome back
    # (OutcomeUnknownError) instead of repeating the write itself.
    reconciled: bool = False
    # Set by the executor, not by handlers: which write of its call this is (1, 2, ...), from
    # which the HTTP layer derives the write's idempotency key. A write sent again after an
    # unknown outcome keeps its number, so its key is the same; 0 for a read.
    write_no: int = 0

    @property
    def is_write(self) -> bool:
        return self.method != "GET"

    def query_pairs(self) -> list[tuple[str, str]]:
        """The query flattened the way Sage reads it: lists repeat the key, booleans are words."""
        pairs: list[tuple[str, str]] = []
        for key, value in self.query.items():
            if isinstance(value, bool):
                pairs.append((key, "true" if value else "false"))
            elif isinstance(value, str | int):
                pairs.append((key, str(value)))
            else:
                pairs.extend((key, str(item)) for item in value)
        return pairs


@dataclass(frozen=True)
class HTTPResponse:
    """A response handed back to a handler."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""

    @classmethod
    def from_json(
        cls, status: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> HTTPResponse:
        merged = {"content-type": "application/json", **(headers or {})}
        return cls(status=status, headers=merged, content=json.dumps(body).encode())

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    def json(self) -> Any:
        if not self.content:
            return None
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")
