"""What a simulated API answers: status, headers, body, or a fault for the transport to act out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(slots=True)
class Reply:
    """What the sandbox answers; ``fault`` tells a transport to misbehave instead of answering."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fault: str | None = None  # "drop" (after commit) or "timeout" (before processing)


def json_reply(status: int, payload: object, headers: Mapping[str, str] | None = None) -> Reply:
    merged = {"content-type": "application/json; charset=utf-8"}
    if headers:
        merged.update(headers)
    return Reply(status, merged, json.dumps(payload).encode())
