"""Every component, end to end through the HTTP layer, against the embedded sandbox.

The unit tests pin the requests each handler builds; this pins that Sage's behaviour (as the
sandbox simulates it) accepts them and that what comes back fits each output model.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sageflow import Client, get_component, open_client

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    for name in list(os.environ):
        if name.startswith("SAGEFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path))
    with open_client(stderr=io.StringIO(), pack="sage_accounting") as opened:
        yield opened


def call(client: Client, key: str, inputs: dict[str, Any]) -> dict[str, Any]:
    component = get_component(f"sage_accounting/{key}")
    out = client.call(component, inputs)
    component.output.model_validate(out)
    return out


def test_contact_lifecycle(client: Client) -> None:
    created = call(
        client,
        "createContact",
        {
            "name": "Sandbox Test Ltd",
            "contactTypeIds": ["CUSTOMER"],
            "reference": "SBX001",
            "creditLimit": 0,
            "addressName": "Head office",
            "addressLine1": "1 High Street",
            "city": "Reading",
            "postalCode": "RG1 1AA",
            "countryId": "GB",
            "deliveryName": "Warehouse",
            "deliveryLine1": "2 Dock Road",
        },
    )
    key = created["id"]
    found = call(client, "findContact", {"reference": "sbx001"})
    assert [item["id"] for item in found["items"]] == [key]
    assert call(client, "findContact", {"reference": "NOPE-404"}) == {"items": []}
    fetched = call(client, "getContact", {"contactId": key})
    assert fetched["name"] == "Sandbox Test Ltd"
    updated = call(client, "updateContact", {"contactId": key, "notes": "updated"})
    assert updated["id"] == key
    listed = call(client, "listContacts", {"contactTypeId": "CUSTOMER", "fetchAll": True})
    assert key in {item["id"] for item in listed["items"]}
    assert call(client, "deleteContact", {"contactId": key}) == {"id": key, "deleted": True}


def _sales_ledger(client: Client) -> str:
    accounts = call(client, "listLedgerAccounts", {"visible_in": "sales", "itemsPerPage": 200})
    assert accounts["items"]
    return str(accounts["items"][0]["id"])


def _contact(client: Client, kind: str) -> str:
    contacts = call(client, "listContacts", {"contactTypeId": kind})
    assert contacts["items"]
    return str(contacts["items"][0]["id"])


def test_sales_invoice_lifecycle(client: Client) -> None:
    line = {
        "description": "Consulting",
        "ledgerAccountId": _sales_ledger(client),
        "quantity": 2,
        "unitPrice": "450.00",
        "taxRateId": "GB_STANDARD",
    }
    invoice = call(
        client,
        "createSalesInvoice",
        {"contactId": _contact(client, "CUSTOMER"), "date": "2026-03-31", "invoiceLines": [line]},
    )
    key = invoice["id"]
    assert call(client, "getSalesInvoice", {"salesInvoiceId": key})["id"] == key
    call(client, "updateSalesInvoice", {"salesInvoiceId": key, "notes": "Thanks"})
    listed = call(client, "listSalesInvoices", {"from_date": "2026-03-01", "fetchAll": True})
    assert key in {item["id"] for item in listed["items"]}
    out = call(client, "deleteSalesInvoice", {"salesInvoiceId": key, "voidReason": "Test"})
    assert (out["id"], out["deleted"], out["voided"]) == (key, True, True)
    assert out["invoice"]["status"]["id"] == "VOID"
    assert out["invoice"]["void_reason"] == "Test"
    draft = call(
        client,
        "createSalesInvoice",
        {
            "contactId": _contact(client, "CUSTOMER"),
            "date": "2026-03-31",
            "statusId": "DRAFT",
            "invoiceLines": [line],
        },
    )
    gone = call(client, "deleteSalesInvoice", {"salesInvoiceId": draft["id"]})
    assert gone == {"id": draft["id"], "deleted": True, "voided": False}


def test_purchase_invoice_lifecycle(client: Client) -> None:
    line = {
        "description": "Paper",
        "ledgerAccountId": _sales_ledger(client),
        "quantity": "40",
        "unitPrice": "3.00",
        "taxRateId": "GB_STANDARD",
    }
    invoice = call(
        client,
        "createPurchaseInvoice",
        {
            "contactId": _contact(client, "VENDOR"),
            "date": "2026-03-10",
            "dueDate": "2026-04-09",
            "invoiceLines": [line],
        },
    )
    key = invoice["id"]
    assert call(client, "listPurchaseInvoices", {"contactId": invoice["contact"]["id"]})["items"]
    out = call(client, "deletePurchaseInvoice", {"purchaseInvoiceId": key})
    assert out == {"id": key, "deleted": True}


@pytest.mark.parametrize(
    "key",
    [
        "listAddressTypes",
        "listContactTypes",
        "listCountries",
        "listCurrencies",
        "listLedgerAccountTypes",
        "listTaxRates",
        "listBusinesses",
        "listContactPeople",
    ],
)
def test_lists(client: Client, key: str) -> None:
    assert call(client, key, {"fetchAll": True})["items"]


def test_singletons_and_raw_request(client: Client) -> None:
    assert call(client, "getFinancialSettings", {})["base_currency"]
    assert call(client, "getTaxRate", {"taxRateId": "GB_STANDARD"})["id"] == "GB_STANDARD"
    business = call(client, "listBusinesses", {})["items"][0]["id"]
    assert call(client, "getBusiness", {"businessId": business})["id"] == business
    raw = call(client, "rawRequest", {"method": "GET", "url": "/contacts?items_per_page=1"})
    assert raw["status"] == 200
    assert len(raw["body"]["$items"]) == 1


def test_draft_invoices_are_released(client: Client) -> None:
    line = {"description": "Draft", "ledgerAccountId": _sales_ledger(client), "quantity": 1}
    line |= {"unitPrice": "10", "taxRateId": "GB_STANDARD"}
    sale = call(
        client,
        "createSalesInvoice",
        {
            "contactId": _contact(client, "CUSTOMER"),
            "date": "2026-03-31",
            "statusId": "DRAFT",
            "invoiceLines": [line],
        },
    )
    assert sale["status"]["id"] == "DRAFT"
    released = call(client, "releaseSalesInvoice", {"salesInvoiceId": sale["id"]})
    assert released["status"]["id"] != "DRAFT"
    bill = call(
        client,
        "createPurchaseInvoice",
        {
            "contactId": _contact(client, "VENDOR"),
            "date": "2026-03-31",
            "dueDate": "2026-04-30",
            "statusId": "DRAFT",
            "invoiceLines": [line],
        },
    )
    released = call(client, "releasePurchaseInvoice", {"purchaseInvoiceId": bill["id"]})
    assert released["status"]["id"] != "DRAFT"


def test_contact_person_lifecycle(client: Client) -> None:
    contact = call(
        client,
        "createContact",
        {"name": "People Ltd", "contactTypeIds": ["VENDOR"], "addressLine1": "3 Mill Lane"},
    )
    address = call(client, "getContact", {"contactId": contact["id"]})["main_address"]["id"]
    person = call(
        client,
        "createContactPerson",
        {"addressId": address, "name": "Jane Smith", "contactPersonTypeIds": ["ACCOUNTS"]},
    )
    key = person["id"]
    assert call(client, "getContactPerson", {"contactPersonId": key})["name"] == "Jane Smith"
    changed = call(client, "updateContactPerson", {"contactPersonId": key, "jobTitle": "CFO"})
    assert changed["job_title"] == "CFO"
    people = call(client, "listContactPeople", {"contactId": contact["id"]})
    assert key in {item["id"] for item in people["items"]}
    assert call(client, "deleteContactPerson", {"contactPersonId": key})["deleted"] is True


def test_ledger_account_lifecycle(client: Client) -> None:
    created = call(
        client,
        "createLedgerAccount",
        {
            "ledgerAccountTypeId": "SALES",
            "includedInChart": True,
            "name": "Sandbox Fees",
            "displayName": "Sandbox Fees",
            "nominalCode": 4999,
        },
    )
    key = created["id"]
    assert call(client, "getLedgerAccount", {"ledgerAccountId": key})["nominal_code"] == 4999
    renamed = call(client, "updateLedgerAccount", {"accountId": key, "name": "Renamed Fees"})
    assert renamed["name"] == "Renamed Fees"
