"""Idempotency as Sage's guide describes it: a body ``idempotency_id``, not a header.

Sources ([G-idem], facts Q1): the id goes inside the resource's wrapper, is off unless sent,
replays the first result for 7 days, on a listed set of resources; ``X-Idempotency-Key`` is a
parameter only of ``POST /draft_tax_returns`` and ``POST /tax_returns/obligation_periods``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandboxkit import make_client

from sage_accounting.sandbox import Clock, Sandbox

ID = "c3a8adaa26daf36e02f3c672b69e3323"  # the guide's own example id
WEEK = 7 * 24 * 3600


def contact(name: str, idempotency_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "contact_type_ids": ["CUSTOMER"]}
    if idempotency_id is not None:
        body["idempotency_id"] = idempotency_id
    return {"contact": body}


def named(sandbox: Sandbox, name: str) -> list[dict[str, Any]]:
    return [c for c in sandbox.records("contacts") if c["name"] == name]


def test_the_header_is_ignored_on_contacts(sandbox: Sandbox, client: httpx.Client) -> None:
    key = {"X-Idempotency-Key": "same-key"}
    first = client.post("/contacts", json=contact("Header A"), headers=key)
    second = client.post("/contacts", json=contact("Header B"), headers=key)
    again = client.post("/contacts", json=contact("Header A"), headers=key)
    assert first.status_code == second.status_code == again.status_code == 201
    assert len({first.json()["id"], second.json()["id"], again.json()["id"]}) == 3
    assert len(named(sandbox, "Header A")) == 2
    assert sandbox.stats.replays == 0


def test_a_body_id_replays_the_first_result(sandbox: Sandbox, client: httpx.Client) -> None:
    first = client.post("/contacts", json=contact("Body Ltd", ID))
    second = client.post("/contacts", json=contact("Body Ltd", ID))
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(named(sandbox, "Body Ltd")) == 1
    assert sandbox.stats.replays == 1
    # The id is Sage's switch, not a field of the contact: it is not stored or echoed.
    assert "idempotency_id" not in first.json()
    other = client.post("/contacts", json=contact("Body Ltd", ID.replace("c", "d")))
    assert other.json()["id"] != first.json()["id"]


def test_ids_are_per_business(sandbox: Sandbox) -> None:
    second = list(sandbox.businesses)[1]
    with make_client(sandbox) as lead, make_client(sandbox, **{"X-Business": second}) as other:
        a = lead.post("/contacts", json=contact("Per Biz", ID))
        b = other.post("/contacts", json=contact("Per Biz", ID))
    assert a.json()["id"] != b.json()["id"]
    assert sandbox.stats.replays == 0


def test_the_replay_lasts_seven_days_of_sandbox_time(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    first = client.post("/contacts", json=contact("Week Ltd", ID)).json()
    sandbox.advance(WEEK - 1)
    assert client.post("/contacts", json=contact("Week Ltd", ID)).json()["id"] == first["id"]
    sandbox.advance(2)
    later = client.post("/contacts", json=contact("Week Ltd", ID))
    assert later.status_code == 201
    assert later.json()["id"] != first["id"]
    assert len(named(sandbox, "Week Ltd")) == 2


def test_a_reused_id_with_another_body_is_refused_by_default(client: httpx.Client) -> None:
    client.post("/contacts", json=contact("First Ltd", ID))
    reused = client.post("/contacts", json=contact("Second Ltd", ID))
    assert reused.status_code == 422
    assert reused.json()[0]["$source"] == "idempotency_id"


def test_a_reused_id_with_another_body_can_replay_instead() -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency_conflict="replay")
    with make_client(sandbox) as client:
        first = client.post("/contacts", json=contact("First Ltd", ID))
        reused = client.post("/contacts", json=contact("Second Ltd", ID))
    assert reused.status_code == 201
    assert reused.json() == first.json()
    assert not named(sandbox, "Second Ltd")


def test_the_conflict_switch_is_checked() -> None:
    with pytest.raises(ValueError, match="idempotency_conflict"):
        Sandbox(idempotency_conflict="merge")


def test_the_header_counts_on_the_tax_return_posts(sandbox: Sandbox, client: httpx.Client) -> None:
    # The sandbox simulates no MTD tax returns (the route answers 404), but the key is read
    # there and only there: the second POST is a replay of the first answer.
    key = {"X-Idempotency-Key": "0f8fad5b-d9cb-469f-a165-70867728950e"}
    client.post("/draft_tax_returns", json={"draft_tax_return": {}}, headers=key)
    client.post("/draft_tax_returns", json={"draft_tax_return": {}}, headers=key)
    assert sandbox.stats.replays == 1


def test_no_idempotency_honours_neither() -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=False)
    key = {"X-Idempotency-Key": "0f8fad5b-d9cb-469f-a165-70867728950e"}
    with make_client(sandbox) as client:
        first = client.post("/contacts", json=contact("Off Ltd", ID))
        second = client.post("/contacts", json=contact("Off Ltd", ID))
        client.post("/draft_tax_returns", json={"draft_tax_return": {}}, headers=key)
        client.post("/draft_tax_returns", json={"draft_tax_return": {}}, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert len(named(sandbox, "Off Ltd")) == 2
    assert sandbox.stats.replays == 0


def test_the_same_body_in_another_key_order_is_the_same_request(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    first = client.post("/contacts", json=contact("Order Ltd", ID))
    ((_, inner),) = contact("Order Ltd", ID).items()
    reordered = {"contact": dict(reversed(list(inner.items())))}
    again = client.post("/contacts", json=reordered)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert sandbox.stats.replays == 1
