"""Sage 200's paging, written once: ``$top`` + ``$skip`` over an ``$orderby``, bare arrays.

Sage 200 lists answer with a bare JSON array (every list operation's response schema is
``type: array``) and no total or next link: a page shorter than ``$top`` is the last one.
``$skip`` needs ``$orderby`` ("Failure to do so will result in an error", [Q]), so a paged
listing always sends an order: the caller's, or the resource's key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sage200._models import ListInputs
from sage200._odata import DEFAULT_TOP, MAX_TOP, compile_filter, list_query
from sage200._wire import read
from sageflow._component import Action
from sageflow._errors import ResponseLimitError
from sageflow._values import HTTPRequest, HTTPResponse

#: The most requests one listing may take: 10,000 pages of up to 5,000 records is far more
#: than a company holds; a server still sending full pages past that is broken or hostile.
MAX_PAGES_PER_LISTING = 10_000


def page_items(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise ValueError("the response is not a Sage 200 list: expected a JSON array")
    return body


def page_progress(response: HTTPResponse) -> tuple[int, int | None] | None:
    """Records in one page (Sage 200 gives no total), for a progress bar; None otherwise."""
    if not response.ok or not response.content.lstrip().startswith(b"["):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return (len(body), None) if isinstance(body, list) else None


def list_action(
    path: str,
    inputs: ListInputs,
    *,
    order: str | None,
    extra_filter: str | None = None,
) -> Action:
    """One page, or with ``fetchAll`` every page, of ``path`` filtered as the inputs say.

    Args:
        order: the resource's key order, used when paging needs one and the caller gave none
            (``None`` for a resource with no stable key: then only one page can be read).
        extra_filter: a condition the component itself adds (a customer's id), and-ed in.
    """
    raw = inputs.rawFilter
    if extra_filter:
        raw = f"({raw}) and {extra_filter}" if raw else extra_filter
    where = compile_filter(inputs.filter or (), match=inputs.match, raw=raw)
    paging = inputs.fetchAll or inputs.skip is not None
    sort = inputs.orderBy or (order if paging else None)
    if paging and sort is None:
        raise ValueError(
            f"{path} has no key to page in order; give orderBy to use skip or fetchAll"
        )
    top = inputs.top or (DEFAULT_TOP if inputs.fetchAll else None)
    first = inputs.skip or 0
    query = list_query(
        filter=where,
        order=sort,
        select=inputs.select or (),
        expand=inputs.expand or (),
        top=top,
        skip=first,
    )
    return (yield from _pages(path, query, top=top, skip=first, inputs=inputs))


def _pages(
    path: str, query: Mapping[str, Any], *, top: int | None, skip: int, inputs: ListInputs
) -> Action:
    items: list[Any] = []
    page = page_items(read((yield HTTPRequest("GET", path, query=dict(query)))))
    pages = 1
    _check_size(path, page, top)
    items.extend(page)
    full = top is not None and len(page) == top
    previous = _fingerprint(page)
    while inputs.fetchAll and full and (inputs.limit is None or len(items) < inputs.limit):
        assert top is not None  # fetchAll always sets a page size
        if pages >= MAX_PAGES_PER_LISTING:
            raise ResponseLimitError(
                f"the listing of {path} still had full pages after {MAX_PAGES_PER_LISTING:,} "
                "requests; stopped (use limit, or a filter, to fetch less)"
            )
        page_query = {**query, "$skip": skip + len(items)}
        page = page_items(read((yield HTTPRequest("GET", path, query=page_query))))
        pages += 1
        _check_size(path, page, top)
        # A server that ignores $skip sends the same page again, for ever.
        fingerprint = _fingerprint(page)
        if page and fingerprint == previous:
            raise ResponseLimitError(
                f"{path} answered $skip={page_query['$skip']} with the page it had just sent; "
                f"stopped after {pages} requests instead of looping"
            )
        previous = fingerprint
        items.extend(page)
        full = len(page) == top
    if inputs.limit is not None:
        items = items[: inputs.limit]
    return {
        "items": items,
        "count": len(items),
        "skip": skip,
        "top": top,
        "pagesFetched": pages,
        "mayHaveMore": full,
    }


def _check_size(path: str, page: list[Any], top: int | None) -> None:
    if top is not None and len(page) > top:
        raise ResponseLimitError(
            f"{path} sent {len(page)} records for $top={top}; a page larger than asked for "
            "cannot be paged safely"
        )
    if len(page) > MAX_TOP and top is None:
        # Sage's cap is 5,000 per request [Q]; more means the list is not what it claims.
        raise ResponseLimitError(
            f"{path} sent {len(page)} records in one page (Sage's cap is 5000)"
        )


def _fingerprint(page: list[Any]) -> str:
    return json.dumps(page, sort_keys=True, default=str)
