"""Each simulated resource behaves as Sage's does: wrappers, shapes, create/read/update/delete."""

from __future__ import annotations

import re

import httpx
import pytest
from sandboxkit import by_code, contact_id, make_client

from sage_accounting.sandbox import Clock, Sandbox

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def test_reference_lists_have_sages_sizes(client: httpx.Client) -> None:
    assert client.get("/countries").json()["$total"] == 209
    assert client.get("/currencies").json()["$total"] == 34
    types = client.get("/contact_types").json()["$items"]
    assert [(t["id"], t["displayed_as"]) for t in types] == [
        ("CUSTOMER", "Customer"),
        ("VENDOR", "Supplier"),
    ]
    gb = client.get("/countries/GB").json()
    assert gb["displayed_as"] == "United Kingdom (GB)"
    assert client.get("/currencies/GBP").json()["displayed_as"] == "Pound Sterling (GBP)"
    assert {t["id"] for t in client.get("/address_types").json()["$items"]} >= {"DELIVERY"}


def test_tax_rates_are_the_gb_rates(client: httpx.Client) -> None:
    rates = client.get("/tax_rates", params={"attributes": "percentage"}).json()["$items"]
    assert {r["id"]: r["percentage"] for r in rates} == {
        "GB_STANDARD": "20.0",
        "GB_LOWER": "5.0",
        "GB_ZERO": "0.0",
        "GB_EXEMPT": "0.0",
        "GB_NO_TAX": "0.0",
    }
    assert client.get("/tax_rates/GB_STANDARD").json()["displayed_as"] == "Standard 20.00%"


def test_chart_of_accounts_has_uk_nominal_codes(client: httpx.Client) -> None:
    codes = {1200, 4000, 5000, 2200, 2201, 7100, 7502}
    page = client.get("/ledger_accounts", params={"attributes": "all", "items_per_page": 200})
    items = page.json()["$items"]
    assert codes <= {item["nominal_code"] for item in items}
    assert [i["nominal_code"] for i in items] == sorted(i["nominal_code"] for i in items)
    bank = by_code(client, 1200)
    assert bank["displayed_as"] == "Current (1200)"
    full = client.get(f"/ledger_accounts/{bank['id']}").json()
    assert full["ledger_account_type"]["id"] == "BANK"
    assert full["visible_in_banking"] is True


def test_system_contacts_exist_and_can_be_excluded(client: httpx.Client) -> None:
    everyone = client.get("/contacts", params={"attributes": "system"}).json()["$items"]
    system = {c["displayed_as"] for c in everyone if c["system"]}
    # contacts__list_new_uk_business__sage-guide-quickstart.json spells them so.
    assert system == {"HMRC Reclaimed (HMRC Rec)", "HMRC Payments (HMRC Pay)"}
    listed = client.get("/contacts", params={"exclude_system": "true"}).json()["$items"]
    assert not {c["displayed_as"] for c in listed} & system


def test_create_contact_round_trip(client: httpx.Client) -> None:
    response = client.post(
        "/contacts",
        json={
            "contact": {
                "name": "Zenith Homes",
                "reference": "ZEN01",
                "contact_type_ids": ["CUSTOMER"],
                "credit_limit": 2500,
                "credit_days": 21,
                "main_address": {
                    "address_line_1": "9 Elm Row",
                    "city": "Hull",
                    "postal_code": "HU2",
                },
                "main_contact_person": {"name": "Zoe Ng", "email": "zoe@zenith.example.com"},
            }
        },
    )
    assert response.status_code == 201
    contact = response.json()
    assert HEX32.match(contact["id"])
    assert contact["displayed_as"] == "Zenith Homes (ZEN01)"
    assert contact["$path"] == f"/contacts/{contact['id']}"
    assert contact["credit_limit"] == "2500.0"
    assert contact["credit_days"] == 21
    assert contact["email"] == "zoe@zenith.example.com"
    assert contact["created_at"] == contact["updated_at"] == "2026-01-05T09:00:00Z"
    assert contact["main_address"].keys() == {"id", "displayed_as", "$path"}
    again = client.get(f"/contacts/{contact['id']}").json()
    assert again == contact
    nested = client.get(f"/contacts/{contact['id']}", params={"nested_attributes": "all"}).json()
    assert nested["main_address"]["city"] == "Hull"
    assert nested["main_contact_person"]["name"] == "Zoe Ng"


def test_update_and_delete_contact(sandbox: Sandbox, client: httpx.Client) -> None:
    created = client.post(
        "/contacts", json={"contact": {"name": "Temp", "contact_type_ids": ["VENDOR"]}}
    ).json()
    assert created["displayed_as"] == "Temp"
    sandbox.advance(60)
    updated = client.put(
        f"/contacts/{created['id']}", json={"contact": {"name": "Temp Two", "reference": "TMP2"}}
    )
    assert updated.status_code == 200
    assert updated.json()["displayed_as"] == "Temp Two (TMP2)"
    assert updated.json()["updated_at"] == "2026-01-05T09:01:00Z"
    assert client.delete(f"/contacts/{created['id']}").status_code == 204
    assert client.get(f"/contacts/{created['id']}").status_code == 404


def test_contact_with_invoices_or_system_cannot_be_deleted(client: httpx.Client) -> None:
    acme = contact_id(client, "ACME001")
    refused = client.delete(f"/contacts/{acme}")
    assert refused.status_code == 422
    hmrc = contact_id(client, "HMRC Pay")
    assert client.delete(f"/contacts/{hmrc}").status_code == 422


def test_contact_persons(client: httpx.Client) -> None:
    acme = contact_id(client, "ACME001")
    created = client.post(
        "/contact_persons",
        json={
            "contact_person": {
                "contact_id": acme,
                "name": "Dan Acme",
                "email": "dan@acme.example.com",
                "contact_person_type_ids": ["SALES"],
            }
        },
    )
    assert created.status_code == 201
    person = created.json()
    assert person["contact_person_types"][0]["id"] == "SALES"
    people = client.get("/contact_persons", params={"contact_id": acme}).json()
    assert {p["displayed_as"] for p in people["$items"]} == {"Alice Carter", "Dan Acme"}
    assert (
        client.put(
            f"/contact_persons/{person['id']}", json={"contact_person": {"job_title": "Buyer"}}
        ).json()["job_title"]
        == "Buyer"
    )
    assert client.delete(f"/contact_persons/{person['id']}").status_code == 204


def test_ledger_accounts_create_update_and_no_delete(client: httpx.Client) -> None:
    created = client.post(
        "/ledger_accounts",
        json={
            "ledger_account": {
                "ledger_account_type_id": "OVERHEADS",
                "included_in_chart": True,
                "name": "Subscriptions",
                "display_name": "Subscriptions",
                "nominal_code": 7710,
                "tax_rate_id": "GB_STANDARD",
            }
        },
    )
    assert created.status_code == 201
    account = created.json()
    assert account["displayed_as"] == "Subscriptions (7710)"
    renamed = client.put(
        f"/ledger_accounts/{account['id']}", json={"ledger_account": {"name": "Software subs"}}
    )
    assert renamed.json()["displayed_as"] == "Software subs (7710)"
    refused = client.delete(f"/ledger_accounts/{account['id']}")
    assert refused.status_code == 405
    assert "DELETE" not in refused.headers["allow"]
    duplicate = client.post(
        "/ledger_accounts",
        json={
            "ledger_account": {
                "ledger_account_type_id": "OVERHEADS",
                "included_in_chart": True,
                "name": "Again",
                "display_name": "Again",
                "nominal_code": 7710,
            }
        },
    )
    assert duplicate.status_code == 422
    assert duplicate.json()[0]["$source"] == "nominal_code"


def test_ledger_account_filters(client: httpx.Client) -> None:
    sales = client.get("/ledger_accounts", params={"visible_in": "sales", "items_per_page": 200})
    names = {i["displayed_as"] for i in sales.json()["$items"]}
    assert "Sales - Products (4000)" in names
    assert "Current (1200)" not in names
    banks = client.get("/ledger_accounts", params={"ledger_account_type_id": "BANK"}).json()
    assert banks["$total"] == 3


def test_businesses_user_and_x_business(sandbox: Sandbox) -> None:
    with make_client(sandbox) as client:
        listed = client.get("/businesses").json()
        assert listed["$total"] == 2
        assert "$items_per_page" in listed
        assert "$itemsPerPage" not in listed
        lead, second = (b["id"] for b in listed["$items"])
        assert client.get("/contacts").headers["x-business"] == lead
        one = client.get(f"/businesses/{second}").json()
        assert one["name"] == "Harbour Lights Cafe"
        user = client.get("/user").json()
        assert user["email"] == "sam.sandbox@example.com"
    with make_client(sandbox, **{"X-Business": second}) as other:
        response = other.post(
            "/contacts", json={"contact": {"name": "Only here", "contact_type_ids": ["CUSTOMER"]}}
        )
        assert response.headers["x-business"] == second
        assert other.get("/contacts", params={"search": "only here"}).json()["$total"] == 1
    with make_client(sandbox) as lead_client:
        assert lead_client.get("/contacts", params={"search": "only here"}).json()["$total"] == 0
    with make_client(sandbox, **{"X-Business": "0" * 32}) as stranger:
        refused = stranger.get("/contacts")
    assert refused.status_code == 403
    # [G-ar][G-err]: Sage's 403 body is always MultiUserAccessDenied.
    assert refused.json()[0]["$dataCode"] == "MultiUserAccessDenied"


def test_financial_settings_singleton(client: httpx.Client) -> None:
    settings = client.get("/financial_settings").json()
    assert "id" not in settings
    assert settings["$path"] == "/financial_settings"
    assert settings["base_currency"]["id"] == "GBP"
    updated = client.put(
        "/financial_settings", json={"financial_settings": {"accounting_type": "cash"}}
    )
    assert updated.json()["accounting_type"] == "cash"
    bad = client.put("/financial_settings", json={"financial_settings": {"accounting_type": "x"}})
    assert bad.status_code == 422


def test_ids_are_deterministic() -> None:
    def first_contacts() -> list[str]:
        with make_client(Sandbox(clock=Clock.manual())) as client:
            return [c["id"] for c in client.get("/contacts").json()["$items"]]

    assert first_contacts() == first_contacts()


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/contacts/" + "0" * 32, id="contact"),
        pytest.param("/sales_invoices/nope", id="invoice"),
        pytest.param("/countries/ZZ", id="country"),
    ],
)
def test_unknown_record_is_404(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()[0]["$dataCode"] == "RecordNotFound"
