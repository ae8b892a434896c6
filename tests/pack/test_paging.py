"""``$next`` paging, driven with response values: no network, no sandbox."""

from __future__ import annotations

from typing import Any

from sage_accounting._paging import list_action
from sageflow import HTTPRequest, HTTPResponse


def _page(n: int, items: list[dict[str, Any]], next_link: str | None) -> HTTPResponse:
    return HTTPResponse.from_json(
        200,
        {
            "$total": 5,
            "$page": n,
            "$next": next_link,
            "$back": None,
            "$itemsPerPage": 2,
            "$items": items,
        },
    )


def _run(action: Any, pages: list[HTTPResponse]) -> tuple[list[HTTPRequest], Any]:
    sent = [next(action)]
    for page in pages:
        try:
            sent.append(action.send(page))
        except StopIteration as done:
            return sent, done.value
    raise AssertionError("the action asked for more pages than given")


PAGES = [
    _page(1, [{"id": "1"}, {"id": "2"}], "/contacts?page=2&items_per_page=2"),
    _page(2, [{"id": "3"}, {"id": "4"}], "/contacts?page=3&items_per_page=2"),
    _page(3, [{"id": "5"}], None),
]


def test_one_page_by_default() -> None:
    sent, out = _run(list_action("/contacts", {"items_per_page": "2"}), PAGES[:1])
    assert len(sent) == 1
    assert [i["id"] for i in out["items"]] == ["1", "2"]
    assert out["next"] == "/contacts?page=2&items_per_page=2"


def test_fetch_all_follows_next_to_the_end() -> None:
    sent, out = _run(list_action("/contacts", {}, fetch_all=True), PAGES)
    assert [r.query for r in sent[1:]] == [
        {"page": "2", "items_per_page": "2"},
        {"page": "3", "items_per_page": "2"},
    ]
    assert [i["id"] for i in out["items"]] == ["1", "2", "3", "4", "5"]
    assert out["pagesFetched"] == 3


def test_limit_stops_early_and_truncates() -> None:
    sent, out = _run(list_action("/contacts", {}, fetch_all=True, limit=3), PAGES)
    assert len(sent) == 2
    assert [i["id"] for i in out["items"]] == ["1", "2", "3"]


def test_fetch_all_asks_for_sages_largest_page() -> None:
    # Sage's maximum page is 200 ([G-pag]); its default, 20, made 100,000 records 5,000 requests.
    sent, _ = _run(list_action("/contacts", {}, fetch_all=True), PAGES)
    assert sent[0].query == {"items_per_page": 200}


def test_fetch_all_keeps_the_page_size_a_flow_sets() -> None:
    sent, _ = _run(list_action("/contacts", {"items_per_page": "50"}, fetch_all=True), PAGES)
    assert sent[0].query == {"items_per_page": "50"}


def test_one_page_keeps_sages_default_page_size() -> None:
    sent, _ = _run(list_action("/contacts", {}), PAGES[:1])
    assert sent[0].query == {}
