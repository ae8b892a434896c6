"""fetchAll through $orderby + $top + $skip: pages until a short one, limits, and servers that
would make the loop run for ever."""

from __future__ import annotations

from typing import Any

import pytest
from kit200 import drive

from sage200._paging import page_progress
from sageflow import HTTPRequest, HTTPResponse
from sageflow._errors import ResponseLimitError


def _table(count: int) -> list[dict[str, Any]]:
    return [{"id": n, "reference": f"C{n:04d}"} for n in range(1, count + 1)]


def _server(rows: list[dict[str, Any]]) -> Any:
    def answer(request: HTTPRequest) -> Any:
        top = int(request.query.get("$top", 500))  # type: ignore[arg-type]
        skip = int(request.query.get("$skip", 0))  # type: ignore[arg-type]
        return rows[skip : skip + top]

    return answer


def test_fetch_all_pages_in_order_until_a_short_page() -> None:
    rows = _table(25)
    output, sent = drive("listCustomers", {"fetchAll": True, "top": 10}, [_server(rows)] * 3)
    assert [dict(r.query) for r in sent] == [
        {"$orderby": "id", "$top": 10},
        {"$orderby": "id", "$top": 10, "$skip": 10},
        {"$orderby": "id", "$top": 10, "$skip": 20},
    ]
    assert output["items"] == rows
    assert (output["count"], output["pagesFetched"], output["mayHaveMore"]) == (25, 3, False)


def test_an_exact_multiple_costs_one_empty_page() -> None:
    output, sent = drive("listCustomers", {"fetchAll": True, "top": 10}, [_server(_table(20))] * 3)
    assert len(sent) == 3
    assert output["count"] == 20


def test_fetch_all_defaults_to_sages_page_and_the_callers_order() -> None:
    inputs = {"fetchAll": True, "orderBy": "reference desc", "skip": 5}
    output, (request,) = drive("listSuppliers", inputs, [_table(3)])
    assert dict(request.query) == {"$orderby": "reference desc", "$top": 500, "$skip": 5}
    assert output["skip"] == 5


def test_skip_alone_sends_an_order_because_sage_requires_one() -> None:
    _, (request,) = drive("listTaxCodes", {"skip": 10, "top": 5}, [[]])
    assert dict(request.query) == {"$orderby": "id", "$top": 5, "$skip": 10}
    _, (request,) = drive("listFinancialPeriods", {"skip": 12}, [[]])
    assert request.query["$orderby"] == "accounting_period_id"


def test_one_page_sends_no_paging_it_was_not_asked_for() -> None:
    output, (request,) = drive("listCurrencies", {}, [_table(2)])
    assert dict(request.query) == {}
    assert output["mayHaveMore"] is False


def test_a_full_single_page_says_more_may_follow() -> None:
    output, _ = drive("listCustomers", {"top": 2}, [_table(2)])
    assert output["mayHaveMore"] is True


def test_limit_stops_early() -> None:
    output, sent = drive(
        "listCustomers", {"fetchAll": True, "top": 10, "limit": 15}, [_server(_table(100))] * 2
    )
    assert len(sent) == 2
    assert [r["id"] for r in output["items"]] == list(range(1, 16))


def test_a_server_that_ignores_skip_is_stopped() -> None:
    with pytest.raises(ResponseLimitError, match="the page it had just sent"):
        drive("listCustomers", {"fetchAll": True, "top": 2}, [_table(2)] * 3)


def test_a_page_larger_than_asked_for_is_refused() -> None:
    with pytest.raises(ResponseLimitError, match="3 records for \\$top=2"):
        drive("listCustomers", {"fetchAll": True, "top": 2}, [_table(3)])


def test_an_answer_that_is_not_a_list_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a JSON array"):
        drive("listCustomers", {}, [{"$items": []}])


def test_progress_counts_a_bare_array() -> None:
    assert page_progress(HTTPResponse(200, {}, b"[1,2,3]")) == (3, None)
    assert page_progress(HTTPResponse(200, {}, b"{}")) is None
    assert page_progress(HTTPResponse(500, {}, b"[]")) is None
