"""The one-request shapes most components are made of: get one, write one, delete one, list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from sage_accounting import _wire
from sage_accounting._models import PageControls, list_query
from sage_accounting._paging import list_action
from sageflow._component import Action
from sageflow._errors import UnsafeRequestError
from sageflow._values import HTTPRequest, Method, QueryValue


def record_path(collection: str, key: str) -> str:
    """``/{collection}/{key}`` with ``key`` as exactly one path segment.

    Input validation already holds ids to Sage's alphabet; this is the second wall for ids that
    reach a handler another way: the id is percent-encoded as a segment (``/``, ``?``, ``#``
    cannot end it), and ``.``/``..``, which a server would resolve as a climb, are refused.
    """
    if key in ("", ".", ".."):
        raise UnsafeRequestError(f"refusing {key!r} as a record id: an id is one path segment")
    return f"/{collection}/{quote(key, safe='')}"


def get_one(path: str, query: Mapping[str, QueryValue] | None = None) -> Action:
    """GET one record and return it as Sage sent it."""
    response = yield HTTPRequest("GET", path, query=dict(query or {}))
    return dict(response.json())


def write_one(method: Method, path: str, resource: str, payload: Mapping[str, Any]) -> Action:
    """POST or PUT one record in Sage's wrapper (``{"contact": {...}}``); return Sage's record."""
    response = yield HTTPRequest(method, path, json=_wire.body(resource, payload))
    return dict(response.json())


def delete_one(key: str, path: str, query: Mapping[str, QueryValue] | None = None) -> Action:
    """DELETE one record; Sage answers 204 with no body, so the id is echoed back."""
    yield HTTPRequest("DELETE", path, query=dict(query or {}))
    return {"id": key, "deleted": True}


def list_of(path: str, inputs: PageControls, rename: dict[str, str] | None = None) -> Action:
    """A list action: the inputs' set filters as Sage's query, one page or every page."""
    return (
        yield from list_action(
            path,
            list_query(inputs, rename=rename),
            fetch_all=inputs.fetchAll,
            limit=inputs.limit,
        )
    )


def attributes_query(inputs: BaseModel, *names: str) -> dict[str, QueryValue]:
    """The query of a single-record GET: the named optional inputs, snake_cased, when set."""
    return _wire.query(inputs, only=names)


def find_by(path: str, field: str, value: str) -> Action:
    """Records of the list at ``path`` whose ``field`` is ``value`` (case aside), every page,
    with all their attributes.

    Sage's ``search`` is a substring match over several fields ("SCN-1" also finds SCN-10 and
    a reference holding "scn-1"), so it narrows the download and the comparison here decides.
    """
    wanted = value.casefold()
    query: dict[str, QueryValue] = {"search": value, "attributes": "all", "items_per_page": 200}
    found = yield from list_action(path, query, fetch_all=True)
    return {"items": [i for i in found["items"] if str(i.get(field) or "").casefold() == wanted]}
