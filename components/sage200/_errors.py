"""Turns Sage 200's error responses into the typed APIError every layer understands.

The UK API's error body is not public (../shared/reference/sage200-samples/README.md): a 400
carries "a meaningful error message relating to the first error", gateways answer 401/403/429
with their own shapes, and a 504 from ``/sites`` means the on-premise tunnel is down. So the
body is read defensively (an object with a message under any usual key, a list of such
objects, or text) and kept, redacted, on the error as ``raw_body``.
"""

from __future__ import annotations

import json
from typing import Any

from sageflow._errors import APIError, APIErrorEntry, api_error_class
from sageflow._http._redact import redact
from sageflow._values import HTTPRequest, HTTPResponse

#: How much of an unreadable body is kept on the error.
RAW_BODY_LIMIT = 2000
_MESSAGE_KEYS = ("message", "Message", "error_description", "errorMessage", "detail", "title")
_CODE_KEYS = ("code", "Code", "error", "statusCode", "errorCode")
_SOURCE_KEYS = ("field", "source", "target", "property")
TUNNEL_DOWN = (
    "the Sage 200 API could not reach the site (504): the on-premise connection to Sage's "
    "cloud is down or slow; try again later"
)


def _first(item: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = item.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def _entries(payload: Any) -> list[APIErrorEntry]:
    if isinstance(payload, dict):
        nested = payload.get("errors") or payload.get("Errors")
        if isinstance(nested, list) and nested:
            return _entries(nested)
        payload = [payload]
    if not isinstance(payload, list):
        return []
    entries = []
    for item in payload:
        if isinstance(item, str) and item.strip():
            entries.append(APIErrorEntry(severity="error", code=None, message=item.strip()))
        elif isinstance(item, dict):
            message = _first(item, _MESSAGE_KEYS)
            code = _first(item, _CODE_KEYS)
            if message is None and code is None:
                continue
            if message is None:
                message, code = str(code), None
            entries.append(
                APIErrorEntry(
                    severity=_first(item, ("severity", "level")) or "error",
                    code=code if code != message else None,
                    message=message,
                    source=_first(item, _SOURCE_KEYS),
                )
            )
    return entries


def parse_error(response: HTTPResponse, request: HTTPRequest) -> APIError:
    """The one translation from a Sage 200 error response to an exception."""
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        payload = None
    entries = _entries(payload)
    text = response.text.strip()
    if not entries and text:
        entries = [APIErrorEntry(severity="error", code=None, message=text.splitlines()[0][:200])]
    if response.status == 504 and not entries:
        entries = [APIErrorEntry(severity="error", code=None, message=TUNNEL_DOWN)]
    retry_after = None
    raw = response.header("retry-after")
    if raw is not None:
        try:
            retry_after = float(raw)
        except ValueError:
            retry_after = None  # an HTTP date: the HTTP layer, which owns the clock, reads it
    error = api_error_class(response.status)(
        response.status,
        entries,
        method=request.method,
        path=request.path,
        retry_after=retry_after,
    )
    # Kept for whoever must see what Sage really said; redacted like the entries are.
    error.raw_body = redact(text[:RAW_BODY_LIMIT])  # type: ignore[attr-defined]
    return error
