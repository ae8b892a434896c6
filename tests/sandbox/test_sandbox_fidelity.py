"""The sandbox behaves as Sage's guides, spec and recordings say (issue 9, part 2).

Each test names its source: a guide tag from ``sage-guides-facts.md`` ([G-pag], [G-inv], ...),
a spec operation, or a recorded sample. docs/sandbox-fidelity.md lists them all.
"""

from __future__ import annotations

from typing import Any

import httpx
from sandboxkit import make_client

from sage_accounting.sandbox import Clock, Sandbox


def _page(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- paging [G-pag] ---------------------------------------------------------------------------


def test_a_page_past_the_end_is_the_last_page_with_its_own_number(client: httpx.Client) -> None:
    last = _page(client, "/ledger_accounts", items_per_page=10, page=4)
    past = _page(client, "/ledger_accounts", items_per_page=10, page=99)
    assert past["$items"] == last["$items"] != []
    assert past["$page"] == 4
    assert past["$next"] is None
    assert past["$back"] == "/ledger_accounts?page=3&items_per_page=10"


def test_past_the_end_can_echo_the_requested_number_behind_a_switch() -> None:
    sandbox = Sandbox(clock=Clock.manual(), past_end_page="requested")
    with make_client(sandbox) as client:
        past = _page(client, "/ledger_accounts", items_per_page=10, page=99)
    assert past["$page"] == 99
    assert past["$items"]


def test_an_empty_list_past_the_end_is_empty_with_total_zero(client: httpx.Client) -> None:
    # Inferred in [G-pag] Q2: there is no last page to fall back to.
    empty = _page(client, "/contacts", search="no such contact anywhere", page=3)
    assert (empty["$items"], empty["$total"], empty["$page"]) == ([], 0, 1)
    assert empty["$next"] is None
    assert empty["$back"] is None


def test_a_client_paging_until_an_empty_page_would_never_stop(client: httpx.Client) -> None:
    # The hazard the issue names: on Sage a loop "until $items is empty" never ends.
    pages = [_page(client, "/contacts", items_per_page=2, page=n)["$items"] for n in (50, 51)]
    assert pages[0] == pages[1] != []


def test_businesses_come_in_one_page_whatever_is_asked(client: httpx.Client) -> None:
    # [G-bp][G-qs] and businesses__list__ledgerscope-SageOneApi.json: $items_per_page 2147483647.
    listed = _page(client, "/businesses", items_per_page=1, page=2)
    assert listed["$items_per_page"] == 2147483647
    assert (listed["$page"], listed["$next"], listed["$back"]) == (1, None, None)
    assert len(listed["$items"]) == listed["$total"] == 2
