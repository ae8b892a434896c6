"""Creating, updating and deleting Sage 200 sandbox records: traders, codes, nominal accounts,
banks and company details."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sage200.sandbox import Clock, Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    simulator = Sandbox(clock=Clock.manual())
    yield simulator
    simulator.close()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sandbox.transport(), base_url=sandbox.api_base, headers=sandbox.headers()
    ) as http:
        yield http


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


def _refused(response: httpx.Response, text: str) -> None:
    assert response.status_code == 400, response.text
    assert text in response.json()["Message"]


@pytest.mark.parametrize("name", ["customers", "suppliers"])
def test_trader_lifecycle(sandbox: Sandbox, client: httpx.Client, name: str) -> None:
    created = _ok(
        client.post(
            f"/{name}",
            json={
                "reference": "NEW001",
                "name": "New Account Ltd",
                "credit_limit": 2500,
                "main_address": {"address_1": "2 Low Road", "postcode": "AB1 2CD"},
            },
        )
    )
    assert isinstance(created["id"], int)
    assert created["balance"] == 0
    assert created["default_nominal_code_reference"] == ("4000" if name == "customers" else "5000")
    assert "main_address" not in created
    _refused(client.post(f"/{name}", json={"reference": "NEW001", "name": "Twin"}), "already")
    _refused(client.post(f"/{name}", json={"name": "No reference"}), "reference field")
    _refused(client.post(f"/{name}", json={"reference": "TOOLONG01", "name": "x"}), "at most 8")
    _refused(client.post(f"/{name}", json={"reference": "X", "name": "x", "balance": 5}), "balance")
    sandbox.advance(10)
    updated = _ok(
        client.put(
            f"/{name}/{created['id']}",
            json={"name": "Renamed Ltd", "main_address": {"city": "York"}},
        )
    )
    assert updated["name"] == "Renamed Ltd"
    assert updated["date_time_updated"] > created["date_time_updated"]
    address = _ok(client.get(f"/{name}/{created['id']}", params={"$expand": "main_address"}))
    assert address["main_address"]["address_1"] == "2 Low Road"
    assert address["main_address"]["city"] == "York"
    found = _ok(client.get(f"/{name}", params={"$filter": "contains(name, 'renamed')"}))
    assert [row["id"] for row in found] == [created["id"]]
    assert client.delete(f"/{name}/{created['id']}").status_code == 200
    assert client.get(f"/{name}/{created['id']}").status_code == 404


def test_accounts_with_transactions_are_not_deleted(sandbox: Sandbox, client: httpx.Client) -> None:
    customer = sandbox.company().find("customers", reference="ABB001")
    assert customer is not None
    _refused(client.delete(f"/customers/{customer['id']}"), "has transactions")


def test_codes_and_nominal_accounts(sandbox: Sandbox, client: httpx.Client) -> None:
    centre = _ok(client.post("/cost_centres", json={"code": "MKT", "name": "Marketing"}))
    _refused(client.post("/cost_centres", json={"code": "MKT"}), "already exists")
    _refused(client.post("/departments", json={"code": "LONG"}), "at most 3")
    category = sandbox.company().find("nominal_report_categories", code="70")
    assert category is not None
    account = _ok(
        client.post(
            "/nominal_codes",
            json={
                "reference": "7600",
                "name": "Advertising",
                "cost_centre_id": centre["id"],
                "report_category_id": category["id"],
            },
        )
    )
    assert (account["cost_centre_code"], account["department_code"]) == ("MKT", "")
    assert account["balance_year_to_date"] == 0
    _refused(
        client.post(
            "/nominal_codes",
            json={
                "reference": "7600",
                "cost_centre_id": centre["id"],
                "report_category_id": category["id"],
            },
        ),
        "already exists",
    )
    _refused(client.post("/nominal_codes", json={"reference": "7601"}), "report_category_id")
    _refused(client.delete(f"/cost_centres/{centre['id']}"), "used by nominal codes")
    _refused(client.put(f"/nominal_codes/{account['id']}", json={"reference": "7700"}), "cannot")
    expanded = _ok(client.get(f"/nominal_codes/{account['id']}", params={"$expand": "cost_centre"}))
    assert expanded["cost_centre"]["name"] == "Marketing"
    # A customer can now post to it.
    customer = sandbox.company().find("customers", reference="BRI001")
    assert customer is not None
    invoice = {
        "customer_id": customer["id"],
        "document_goods_value": 5,
        "nominal_analysis_items": [{"code": "7600", "cost_centre": "MKT", "value": 5}],
    }
    _ok(client.post("/sales_invoices", json=invoice))
    _refused(client.delete(f"/nominal_codes/{account['id']}"), "in use")
    debtors = sandbox.company().find("nominal_codes", reference="1100")
    assert debtors is not None
    _refused(client.delete(f"/nominal_codes/{debtors['id']}"), "in use")


def test_banks_and_company_details(sandbox: Sandbox, client: httpx.Client) -> None:
    bank = _ok(
        client.post(
            "/banks",
            json={
                "code": "1220",
                "description": "Savings",
                "sort_code": "20-00-00",
                "bank_account_nominal_reference": "1210",
            },
        )
    )
    assert bank["balance"] == 0
    _refused(
        client.post(
            "/banks",
            json={"code": "1230", "sort_code": "1", "bank_account_nominal_reference": "0000"},
        ),
        "nominal code 0000 does not exist",
    )
    details = _ok(client.get("/company_details"))
    assert len(details) == 1
    renamed = _ok(client.put(f"/company_details/{details[0]['id']}", json={"telephone": "1"}))
    assert renamed["telephone"] == "1"
    assert client.post("/company_details", json={}).status_code == 405
    periods = _ok(
        client.get("/financial_year_period_views", params={"$filter": "period_number eq 1"})
    )
    assert [row["year_relative_to_current_year"] for row in periods] == [-1, 0, 1]


def test_reference_lists(client: httpx.Client) -> None:
    rates = {row["code"]: row["tax_rate"] for row in _ok(client.get("/tax_codes"))}
    assert rates == {0: 0, 1: 20, 2: 0, 5: 5, 9: 0}
    currencies = _ok(client.get("/currencies", params={"$filter": "is_base_currency eq true"}))
    assert [row["name"] for row in currencies] == ["Pound Sterling"]
    assert {row["value"] for row in _ok(client.get("/ledger_types"))} >= {"LedgerTypeSales"}
    assert _ok(client.get("/country_codes", params={"$filter": "code eq 'GB'"}))[0]["name"] == (
        "United Kingdom"
    )
    assert _ok(client.get("/nominal_transaction_analysis_codes"))
    assert _ok(client.get("/current_user"))["logon_name"] == "sageflow"
