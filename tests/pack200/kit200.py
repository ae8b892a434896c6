"""Helpers for the Sage 200 pack's tests: drive a pure handler with canned responses."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sage200 import PACK
from sageflow import HTTPRequest, HTTPResponse

Answer = Any | Callable[[HTTPRequest], Any]


def drive(
    key: str, inputs: dict[str, Any], answers: Iterable[Answer] = ()
) -> tuple[dict[str, Any], list[HTTPRequest]]:
    """Run ``sage200/<key>`` with ``inputs``; each request gets the next answer (a JSON body, or
    a function of the request). Returns the output and every request the handler made."""
    component = PACK.get(key)
    action = component.start(inputs)
    pending = iter(answers)
    sent: list[HTTPRequest] = []
    try:
        request = next(action)
        while True:
            sent.append(request)
            answer = next(pending)
            body = answer(request) if callable(answer) else answer
            request = action.send(HTTPResponse(200, {}, json.dumps(body).encode()))
    except StopIteration as done:
        return dict(done.value), sent


def requests_of(key: str, inputs: dict[str, Any], answer: Any = None) -> list[HTTPRequest]:
    """The requests ``key`` makes, every one answered with ``answer`` (default: an empty list)."""

    def reply(request: HTTPRequest) -> Any:
        return [] if answer is None and request.method == "GET" else (answer or {"urn": "1"})

    _, sent = drive(key, inputs, iter(lambda: reply, None))
    return sent
