"""The Chift sandbox's on-request writes for Sage GE: client/supplier update, ledger account
and journal creation, each with Chift's refusals."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sage_ge.sandbox import DEV_TOKEN, Clock, Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(clock=Clock.manual())
    yield box
    box.close()


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sandbox.transport(),
        base_url=sandbox.api_base,
        headers={"authorization": f"Bearer {DEV_TOKEN}"},
    ) as client:
        yield client


def code(response: httpx.Response) -> tuple[int, str | None]:
    return response.status_code, response.json().get("error_code")


def test_update_client_and_supplier(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.advance(60)
    updated = http.patch("/clients/CDUPONT", json={"email": "compta@dupont.fr", "name": None})
    assert updated.status_code == 200
    assert updated.json()["email"] == "compta@dupont.fr"
    assert updated.json()["name"] == "Dupont SARL"  # null leaves a field as it is
    assert updated.json()["last_updated_on"] == "2026-01-05T09:01:00Z"
    assert http.get("/clients/CDUPONT").json()["email"] == "compta@dupont.fr"
    after = http.get("/clients", params={"updated_after": "2026-01-05T09:00:30Z"}).json()
    assert [c["id"] for c in after["items"]] == ["CDUPONT"]
    assert code(http.patch("/suppliers/FNOBODY", json={})) == (404, "ERROR_PARTNER_NOT_FOUND")
    bad_vat = http.patch("/suppliers/FORANGE", json={"vat": "FR 89.38"})
    assert code(bad_vat) == (422, "ERROR_INVALID_VAT_FORMAT")
    code_change = http.patch("/clients/CDUPONT", json={"account_number": "CAUTRE"})
    assert code_change.status_code == 422  # not a field of ClientItemUpdate


def test_create_ledger_account(http: httpx.Client) -> None:
    made = http.post("/accounts", json={"number": "758000", "name": "Produits divers"})
    assert made.json() == {
        "number": "758000", "name": "Produits divers", "active": True, "type": "other",
    }  # fmt: skip
    classes = http.get("/chart-of-accounts", params={"classes": "75"}).json()["items"]
    assert [a["number"] for a in classes] == ["758000"]
    again = http.post("/accounts", json={"number": "758000", "name": "Autre"})
    assert code(again) == (400, "ERROR_LEDGER_ACCOUNT_ALREADY_EXISTS")
    assert http.post("/accounts", json={"number": "75A", "name": "X"}).status_code == 422
    assert http.post("/accounts", json={"number": "75", "name": "X"}).status_code == 422


def test_create_journal(http: httpx.Client) -> None:
    body = {"code": "BQ3", "name": "Banque 3", "journal_type": "bank",
            "counterpart_account": "512000"}  # fmt: skip
    made = http.post("/journal", json=body).json()
    assert (made["id"], made["journal_type"], made["blocked"]) == (
        "6",
        "financial_operation",
        False,
    )
    # The new bank journal takes entries and cuts their labels at 30 characters.
    label = "Prélèvement SEPA Orange facture mensuelle décembre"
    entry = {
        "journal_id": "6", "number": "P1", "currency": "EUR", "date": "2026-01-04",
        "items": [
            {"account_type": "supplier_account", "account": "FORANGE", "debit": 30, "credit": 0,
             "description": label},
            {"account_type": "general_account", "account": "512000", "debit": 0, "credit": 30,
             "description": label},
        ],
    }  # fmt: skip
    posted = http.post("/journal-entries", json=entry).json()
    assert {i["description"] for i in posted["items"]} == {label[:30]}
    assert code(http.post("/journal", json=body)) == (400, "ERROR_JOURNAL_ALREADY_EXISTS")
    lost = {**body, "code": "BQ4", "counterpart_account": "519999"}
    assert code(http.post("/journal", json=lost)) == (400, "ERROR_COUNTERPART_ACCOUNT_NOT_FOUND")
    assert (
        http.post("/journal", json={**body, "code": "X", "journal_type": "bk"}).status_code == 422
    )
