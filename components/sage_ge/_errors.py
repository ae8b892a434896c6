"""Chift's error answers as the typed APIError every layer understands, in one place.

Chift answers ``{status, message, error_code, detail}`` (``ChiftError``; samples in
../shared/reference/chift-samples/errors__*.json), and a 422 from its own validation
``{message, status, detail: [{loc, msg, type}]}`` (``HTTPValidationError``). ``detail`` is a
string in the first and a list in the second; both are kept, the list one entry per field.
"""

from __future__ import annotations

import json
from typing import Any

from sageflow._errors import APIError, APIErrorEntry, api_error_class
from sageflow._http._redact import redact
from sageflow._values import HTTPRequest, HTTPResponse

RAW_BODY_LIMIT = 2000


def _entries(payload: Any) -> list[APIErrorEntry]:
    if not isinstance(payload, dict):
        return []
    message = str(payload.get("message") or "").strip()
    code = payload.get("error_code")
    code = str(code) if code not in (None, "") else None
    detail = payload.get("detail")
    entries: list[APIErrorEntry] = []
    if isinstance(detail, list):
        for item in detail:
            if not isinstance(item, dict) or not item.get("msg"):
                continue
            loc = item.get("loc")
            # FastAPI's loc starts with where the value was ("body", "query"): kept, it is
            # what says which part of the request to fix.
            source = ".".join(str(p) for p in loc) if isinstance(loc, list) and loc else None
            kind = str(item.get("type") or "") or code
            entries.append(APIErrorEntry("error", kind, str(item["msg"]), source))
    elif isinstance(detail, str) and detail.strip() and detail.strip() != message:
        message = f"{message} ({detail.strip()})" if message else detail.strip()
    if message or code:
        entries.insert(0, APIErrorEntry("error", code, message or str(code)))
    return entries


def parse_error(response: HTTPResponse, request: HTTPRequest) -> APIError:
    """The one translation from a Chift error response to an exception."""
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        payload = None
    entries = _entries(payload)
    text = response.text.strip()
    if not entries:
        first = text.splitlines()[0][:200] if text else "no error details in the response"
        entries = [APIErrorEntry("error", None, first)]
    retry_after = None
    raw = response.header("retry-after")
    if raw is not None:
        try:
            retry_after = float(raw)
        except ValueError:
            retry_after = None  # an HTTP date: the HTTP layer, which owns the clock, reads it
    error = api_error_class(response.status)(
        response.status, entries, method=request.method, path=request.path, retry_after=retry_after
    )
    error.raw_body = redact(text[:RAW_BODY_LIMIT])  # type: ignore[attr-defined]
    return error


def error_code(error: APIError) -> str | None:
    """Chift's ``error_code`` (``ERROR_ENTRY_NOT_BALANCED``...) of a parsed error, if any."""
    return error.entries[0].code if error.entries else None
