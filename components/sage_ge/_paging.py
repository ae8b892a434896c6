"""Chift's paging, written once: ``page`` (from 1) and ``size`` (at most 100), answered as
``{items, total, page, size}`` (every ``ChiftPage_*`` schema of the OpenAPI)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from sageflow._component import Action, Inputs
from sageflow._errors import ResponseLimitError
from sageflow._values import HTTPRequest, HTTPResponse

#: Chift's largest page (``size`` has ``maximum: 100`` on every list operation).
MAX_SIZE = 100
#: 10,000 pages of 100 is a million records, far more than a dossier holds in one listing; a
#: server still answering past that is broken, and the listing stops instead of looping.
MAX_PAGES_PER_LISTING = 10_000

RecordT = TypeVar("RecordT")


class ListInputs(Inputs):
    """One page of a Chift listing, or with fetchAll every page."""

    page: int = Field(default=1, ge=1, description="The page to read (from 1).", examples=[1])
    size: int = Field(
        default=MAX_SIZE, ge=1, le=MAX_SIZE, description="Records per page (at most 100).",
        examples=[100],
    )  # fmt: skip
    fetchAll: bool = Field(
        default=False, description="Read every page from page on.", examples=[True]
    )
    limit: int | None = Field(
        default=None, ge=1, description="Stop after this many records.", examples=[500]
    )


class ListOutput(BaseModel, Generic[RecordT]):
    items: list[RecordT] = Field(description="The records read.")
    total: int | None = Field(description="How many records Chift says the listing holds.")
    page: int = Field(description="The first page read.")
    size: int = Field(description="The page size asked for.")
    pagesFetched: int = Field(description="Requests made.")
    mayHaveMore: bool = Field(description="Whether pages are left after the last one read.")


def page_of(body: Any, path: str) -> tuple[list[Any], int | None]:
    """A Chift page's items and total; a body of another shape is refused, naming the path."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ResponseLimitError(f"{path} did not answer a Chift page ({{items, total, ...}})")
    total = body.get("total")
    return body["items"], total if isinstance(total, int) and total >= 0 else None


def page_progress(response: HTTPResponse) -> tuple[int, int | None] | None:
    """Records in one page and the listing's total, for a progress bar; None otherwise."""
    if not response.ok or not response.content.lstrip().startswith(b"{"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return None
    total = body.get("total")
    return len(body["items"]), total if isinstance(total, int) else None


def list_action(
    path: str,
    inputs: ListInputs,
    query: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
) -> Action:
    """One page of ``path`` (with the component's own ``query``), or every page from
    ``inputs.page`` when ``fetchAll``; stops at ``limit``. With a ``body``, each page is a POST
    of it (Chift's account balances are read that way), paged by the query all the same."""
    items: list[Any] = []
    page, pages = inputs.page, 0
    previous: str | None = None
    total: int | None = None
    more = False
    while True:
        if pages >= MAX_PAGES_PER_LISTING:
            raise ResponseLimitError(
                f"the listing of {path} still had pages after {MAX_PAGES_PER_LISTING:,} "
                "requests; stopped (use limit, or a narrower filter)"
            )
        params = {**(query or {}), "page": page, "size": inputs.size}
        if body is None:
            response = yield HTTPRequest("GET", path, query=params)
        else:
            response = yield HTTPRequest("POST", path, query=params, json=dict(body))
        found, total = page_of(response.json(), path)
        pages += 1
        if len(found) > inputs.size:
            raise ResponseLimitError(
                f"{path} sent {len(found)} records for size={inputs.size}; a page larger than "
                "asked for cannot be paged safely"
            )
        # A server that ignores page sends the same page again, for ever.
        fingerprint = json.dumps(found, sort_keys=True, default=str)
        if found and fingerprint == previous:
            raise ResponseLimitError(
                f"{path} answered page={page} with the page it had just sent; stopped after "
                f"{pages} requests instead of looping"
            )
        previous = fingerprint
        items.extend(found)
        read = (page - 1) * inputs.size + len(found)
        more = (total is not None and read < total) or (total is None and len(found) == inputs.size)
        if not found or not more or not inputs.fetchAll:
            break
        if inputs.limit is not None and len(items) >= inputs.limit:
            break
        page += 1
    if inputs.limit is not None and len(items) > inputs.limit:
        items = items[: inputs.limit]
        more = True
    return {
        "items": items,
        "total": total,
        "page": inputs.page,
        "size": inputs.size,
        "pagesFetched": pages,
        "mayHaveMore": more,
    }
