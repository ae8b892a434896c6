"""The one-request shapes most Sage 200 components are made of: get, write, delete, post."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sage200._wire import read
from sageflow._component import Action
from sageflow._errors import UnsafeRequestError
from sageflow._values import HTTPRequest, Method


def record_path(collection: str, key: int) -> str:
    """``/{collection}/{key}``: Sage 200's ids are integers, so one safe path segment."""
    if isinstance(key, bool) or not isinstance(key, int) or key < 1:
        raise UnsafeRequestError(f"refusing {key!r} as a record id: Sage 200 ids are integers")
    return f"/{collection}/{key}"


def get_one(path: str) -> Action:
    """GET one record and return it as Sage sent it."""
    response = yield HTTPRequest("GET", path)
    return _record(read(response), path)


def write_one(method: Method, path: str, payload: Mapping[str, Any]) -> Action:
    """POST or PUT one record (Sage 200 bodies have no wrapper); return Sage's answer."""
    response = yield HTTPRequest(method, path, json=dict(payload))
    return _record(read(response), path)


def delete_one(key: int, path: str) -> Action:
    """DELETE one record; the id is echoed back since Sage answers with no body."""
    yield HTTPRequest("DELETE", path)
    return {"id": key, "deleted": True}


def _record(body: Any, path: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError(f"{path} did not answer with a JSON object")
    return body
