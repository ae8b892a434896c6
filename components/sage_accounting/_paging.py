"""Sage's list envelope and ``$next`` paging, written once for every list action."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sage_accounting._wire import split_relative
from sageflow._component import Action
from sageflow._errors import ResponseLimitError
from sageflow._values import HTTPRequest, HTTPResponse, QueryValue

MAX_ITEMS_PER_PAGE = 200
#: The most requests one listing may take. 10,000 pages of 200 is two million records, more than
#: a Sage business holds; a server still answering with a ``$next`` past that is broken or
#: hostile, and following it would never end.
MAX_PAGES_PER_LISTING = 10_000


def envelope_items(page: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = page.get("$items")
    if not isinstance(items, list):
        raise ValueError("the response is not a Sage list: it has no $items array")
    return items


def page_progress(response: HTTPResponse) -> tuple[int, int | None] | None:
    """Records in one page and ``$total``, for a progress bar; None for anything but a page."""
    if not response.ok or not response.content.startswith(b"{"):
        return None
    try:
        page = response.json()
    except ValueError:
        return None
    items = page.get("$items") if isinstance(page, dict) else None
    if not isinstance(items, list):
        return None
    total = page.get("$total")
    return len(items), total if isinstance(total, int) else None


def _page_key(path: str, query: Mapping[str, QueryValue]) -> tuple[str, tuple[str, ...]]:
    return path, tuple(sorted(f"{k}={v}" for k, v in query.items()))


def _page_number(query: Mapping[str, QueryValue]) -> int | None:
    raw = query.get("page")
    return int(raw) if isinstance(raw, str | int) and str(raw).isdigit() else None


def list_action(
    path: str,
    query: Mapping[str, QueryValue],
    *,
    fetch_all: bool = False,
    limit: int | None = None,
    on_page: Callable[[HTTPResponse], None] | None = None,
) -> Action:
    """Fetch one page, or with ``fetch_all`` follow ``$next`` to the end (or to ``limit`` items).

    The output keeps Sage's paging facts (total, page, next link) so a flow that pages by hand
    still can, while ``fetchAll`` spares every user the loop. ``on_page`` is shown each page's
    response as it arrives (a trigger reads the server's ``Date`` and each page's ``$total``).
    """
    query = dict(query)
    if fetch_all and "items_per_page" not in query:
        # Sage's default page is 20 and its maximum 200 ([G-pag], the spec's every list): asking
        # for 200 makes a 100,000-record fetchAll 500 requests instead of 5,000.
        query["items_per_page"] = MAX_ITEMS_PER_PAGE
    request = HTTPRequest("GET", path, query=query)
    response = yield request
    if on_page is not None:
        on_page(response)
    page: Mapping[str, Any] = response.json()
    items = envelope_items(page)
    pages = 1
    seen = {_page_key(path, request.query)}
    number = _page_number(request.query) or 1
    while fetch_all and page.get("$next") and (limit is None or len(items) < limit):
        link = str(page["$next"])
        next_path, next_query = split_relative(link)
        # A $next back to a page already fetched (the same link, or a lower page number) would
        # loop for ever, as would a server that never stops answering with one.
        key, next_number = _page_key(next_path, next_query), _page_number(next_query)
        if key in seen or (next_number is not None and next_number <= number):
            raise ResponseLimitError(
                f"the API's $next link {link!r} points back to a page already fetched "
                f"(page {number} was just read); stopped after {pages} pages instead of looping"
            )
        if pages >= MAX_PAGES_PER_LISTING:
            raise ResponseLimitError(
                f"the listing of {path} still has a $next link after "
                f"{MAX_PAGES_PER_LISTING:,} pages; stopped (use limit, or filters, to fetch less)"
            )
        seen.add(key)
        number = next_number or number + 1
        response = yield HTTPRequest("GET", next_path, query=next_query)
        if on_page is not None:
            on_page(response)
        page = response.json()
        items.extend(envelope_items(page))
        pages += 1
    if limit is not None:
        items = items[:limit]
    return {
        "items": items,
        "total": page.get("$total", len(items)),
        "page": page.get("$page", 1),
        "itemsPerPage": page.get("$itemsPerPage", page.get("$items_per_page")),
        "next": page.get("$next"),
        "back": page.get("$back"),
        "pagesFetched": pages,
    }
