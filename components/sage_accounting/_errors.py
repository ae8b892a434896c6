"""Turns Sage's error bodies into the typed APIError every layer understands."""

from __future__ import annotations

import json
from typing import Any

from sageflow._errors import APIError, APIErrorEntry, api_error_class
from sageflow._values import HTTPRequest, HTTPResponse


def _entries(payload: Any) -> list[APIErrorEntry]:
    # Sage sends an array of {$severity, $dataCode, $message, $source}; some gateways (401 with
    # no header, 429) send a single object or an OAuth-style {"error", "error_description"}.
    if isinstance(payload, dict):
        if "error" in payload and "$message" not in payload:
            error = str(payload.get("error"))
            description = payload.get("error_description")
            if description is None and " " in error:
                # Sage's 401 without an Authorization header: {"error": "<a sentence>"}; the
                # sentence is the message, not a code (so it is not printed twice).
                return [APIErrorEntry(severity="error", code=None, message=error)]
            return [APIErrorEntry(severity="error", code=error, message=str(description or error))]
        payload = [payload]
    if not isinstance(payload, list):
        return []
    entries = []
    for item in payload:
        if not isinstance(item, dict):
            continue
        entries.append(
            APIErrorEntry(
                severity=_text(item.get("$severity")),
                code=_text(item.get("$dataCode")),
                message=_text(item.get("$message")) or "",
                source=_text(item.get("$source")),
            )
        )
    return entries


def _text(raw: Any) -> str | None:
    return None if raw is None else str(raw)


def _retry_after(response: HTTPResponse) -> float | None:
    raw = response.header("retry-after")
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None  # an HTTP date; the HTTP layer, which owns the clock, interprets that form


def parse_error(response: HTTPResponse, request: HTTPRequest) -> APIError:
    """The one translation from a Sage error response to an exception."""
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        payload = None
    entries = _entries(payload)
    if not entries and response.content:
        snippet = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        entries = [APIErrorEntry(severity="error", code=None, message=snippet)]
    return api_error_class(response.status)(
        response.status,
        entries,
        method=request.method,
        path=request.path,
        retry_after=_retry_after(response),
    )
