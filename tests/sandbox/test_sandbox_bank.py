"""The sandbox's bank movements: transfers and deposits move the bank balances through the
ledger, deposits leave cash in hand, reconciliations keep Sage's arithmetic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sandboxkit import make_client

from sage_accounting.sandbox import Clock, Sandbox


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(Sandbox(clock=Clock.manual())) as http:
        yield http


def _banks(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """The seeded bank accounts by type: CHECKING, CASH_IN_HAND, SAVINGS."""
    items = client.get("/bank_accounts", params={"attributes": "all"}).json()["$items"]
    return {item["bank_account_type"]["id"]: item for item in items}


def _balances(client: httpx.Client) -> dict[str, str]:
    return {kind: bank["balance"] for kind, bank in _banks(client).items()}


def _transfer(client: httpx.Client, source: str, target: str, **more: Any) -> httpx.Response:
    banks = _banks(client)
    body = {
        "from_bank_account_id": banks[source]["id"],
        "to_bank_account_id": banks[target]["id"],
        "date": "2026-01-05",
        "amount": "250.00",
        **more,
    }
    return client.post("/bank_transfers", json={"bank_transfer": body})


def _deposit(client: httpx.Client, source: str = "CASH_IN_HAND", **more: Any) -> httpx.Response:
    banks = _banks(client)
    body = {
        "from_bank_account_id": banks[source]["id"],
        "to_bank_account_id": banks["CHECKING"]["id"],
        "date": "2026-01-06",
        "reference": "Takings",
        "cash_amount": "100.00",
        "cheque_amount": "20.50",
        **more,
    }
    return client.post("/bank_deposits", json={"bank_deposit": body})


def test_a_transfer_moves_both_balances_and_a_delete_moves_them_back(
    client: httpx.Client,
) -> None:
    made = _transfer(client, "CHECKING", "SAVINGS", reference="SAV-01")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["transaction_type"]["id"] == "BANK_TRANSFER"
    assert (body["amount"], body["displayed_as"]) == ("250.0", "SAV-01")
    assert _balances(client) == {"CHECKING": "-250.0", "CASH_IN_HAND": "0.0", "SAVINGS": "250.0"}
    changed = client.put(
        f"/bank_transfers/{body['id']}", json={"bank_transfer": {"amount": "300.00"}}
    )
    assert changed.status_code == 200, changed.text
    assert _balances(client)["SAVINGS"] == "300.0"
    assert client.delete(f"/bank_transfers/{body['id']}").status_code == 204
    assert set(_balances(client).values()) == {"0.0"}


@pytest.mark.parametrize(
    ("target", "more", "source"),
    [
        pytest.param("CHECKING", {}, "to_bank_account_id", id="same-account-both-sides"),
        pytest.param("SAVINGS", {"amount": "0"}, "amount", id="zero"),
        pytest.param("SAVINGS", {"amount": "-5"}, "amount", id="negative"),
        pytest.param("SAVINGS", {"amount": "1.005"}, "amount", id="fraction-of-a-penny"),
        pytest.param("SAVINGS", {"to_bank_account_id": "nope"}, "to_bank_account_id", id="unknown"),
        pytest.param("SAVINGS", {"date": "2026-13-01"}, "date", id="bad-date"),
        pytest.param("SAVINGS", {"colour": "red"}, "colour", id="strict-unknown-field"),
    ],
)
def test_a_bad_transfer_is_refused_and_moves_nothing(
    client: httpx.Client, target: str, more: dict[str, str], source: str
) -> None:
    refused = _transfer(client, "CHECKING", target, **more)
    assert refused.status_code == 422
    assert [p["$source"] for p in refused.json()] == [source]
    assert set(_balances(client).values()) == {"0.0"}


def test_a_transfer_between_currencies_is_refused_as_not_simulated(client: httpx.Client) -> None:
    euro = client.post(
        "/bank_accounts",
        json={
            "bank_account": {
                "bank_account_type_id": "CHECKING",
                "nominal_code": 1230,
                "currency_id": "EUR",
                "bank_account_details": {"account_name": "Euro account"},
            }
        },
    )
    assert euro.status_code == 201, euro.text
    body = {
        "from_bank_account_id": _banks(client)["SAVINGS"]["id"],
        "to_bank_account_id": euro.json()["id"],
        "date": "2026-01-05",
        "amount": "10.00",
    }
    refused = client.post("/bank_transfers", json={"bank_transfer": body})
    assert refused.status_code == 422
    assert "not simulated" in refused.json()[0]["$message"]


def test_a_deposit_pays_cash_and_cheques_in_from_cash_in_hand(client: httpx.Client) -> None:
    made = _deposit(client)
    assert made.status_code == 201, made.text
    assert made.json()["total_amount"] == "120.5"
    assert made.json()["transaction_type"]["id"] == "DEPOSIT"
    assert _balances(client) == {"CHECKING": "120.5", "CASH_IN_HAND": "-120.5", "SAVINGS": "0.0"}
    key = made.json()["id"]
    # [S1]: no PUT on a deposit; a DELETE takes the money back.
    assert client.put(f"/bank_deposits/{key}", json={"bank_deposit": {}}).status_code == 405
    assert client.delete(f"/bank_deposits/{key}").status_code == 204
    assert set(_balances(client).values()) == {"0.0"}


@pytest.mark.parametrize(
    ("source", "more", "refused_on"),
    [
        pytest.param("SAVINGS", {}, {"from_bank_account_id"}, id="not-from-cash-in-hand"),
        pytest.param("CASH_IN_HAND", {"total_amount": "99"}, {"total_amount"}, id="bad-total"),
        pytest.param(
            "CASH_IN_HAND",
            {"cash_amount": "0", "cheque_amount": "0"},
            {"total_amount"},
            id="nothing-paid-in",
        ),
        pytest.param(
            "CASH_IN_HAND",
            {"reference": "", "cash_amount": None},
            {"reference", "cash_amount"},
            id="required",
        ),
    ],
)
def test_a_bad_deposit_is_refused_with_every_field_named(
    client: httpx.Client, source: str, more: dict[str, Any], refused_on: set[str]
) -> None:
    refused = _deposit(client, source, **more)
    assert refused.status_code == 422
    assert {p["$source"] for p in refused.json()} == refused_on


def test_a_reconciliation_keeps_sages_arithmetic_and_chains_from_the_last(
    client: httpx.Client,
) -> None:
    _deposit(client)
    _transfer(client, "CHECKING", "SAVINGS", amount="20.00")
    current = _banks(client)["CHECKING"]["id"]
    first = client.post(
        "/bank_reconciliations",
        json={
            "bank_reconciliation": {
                "bank_account_id": current,
                "statement_date": "2026-01-31",
                "statement_end_balance": "100.50",
                "status_id": "COMPLETED",
            }
        },
    )
    assert first.status_code == 201, first.text
    one = first.json()
    # From the books: 120.50 in, 20.00 out; closing = 0 + 120.50 - 20.00.
    assert (one["total_received"], one["total_paid"], one["closing_balance"]) == (
        "120.5",
        "20.0",
        "100.5",
    )
    assert (one["balance_difference"], one["status"]) == (
        "0.0",
        {"id": "COMPLETED", "displayed_as": "Completed"},
    )
    assert one["displayed_as"] == "Current (1200) - 2026-01-31"
    second = client.post(
        "/bank_reconciliations",
        json={
            "bank_reconciliation": {
                "bank_account_id": current,
                "statement_date": "2026-02-28",
                "statement_end_balance": "90",
                "total_paid": "15.00",
            }
        },
    ).json()
    assert (second["starting_balance"], second["closing_balance"]) == ("100.5", "85.5")
    assert second["balance_difference"] == "4.5"
    assert second["status"]["id"] == "DRAFT"
    wrong = client.put(
        f"/bank_reconciliations/{second['id']}",
        json={"bank_reconciliation": {"closing_balance": "1.00"}},
    )
    assert wrong.status_code == 422
    assert wrong.json()[0]["$source"] == "closing_balance"
    done = client.put(
        f"/bank_reconciliations/{second['id']}",
        json={"bank_reconciliation": {"status_id": "COMPLETED", "reconciled_balance": "90"}},
    ).json()
    assert (done["balance_difference"], done["status"]["id"]) == ("0.0", "COMPLETED")
    assert client.delete(f"/bank_reconciliations/{second['id']}").status_code == 405
    listed = client.get("/bank_reconciliations", params={"bank_account_id": current}).json()
    assert listed["$total"] == 2
    assert (
        client.get("/bank_reconciliations", params={"bank_account_id": "x"}).json()["$total"] == 0
    )


def test_transfers_sort_and_filter_by_date(client: httpx.Client) -> None:
    for day in ("2026-01-07", "2026-01-05", "2026-01-06"):
        assert _transfer(client, "CHECKING", "SAVINGS", date=day).status_code == 201
    listed = client.get(
        "/bank_transfers",
        params={"attributes": "date", "sort": "date:desc", "from_date": "2026-01-06"},
    ).json()["$items"]
    assert [t["date"] for t in listed] == ["2026-01-07", "2026-01-06"]
    refused = client.get("/bank_transfers", params={"sort": "amount"})
    assert refused.status_code == 422
