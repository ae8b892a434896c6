"""One named test per defect of the peer (Prismatic) Sage component that must not exist here."""

from __future__ import annotations

from decimal import Decimal

import pytest
from packkit import first, run

from sageflow import Component, HTTPResponse, components

ID = "0123456789abcdef0123456789abcdef"
LINE = {"description": "Work", "ledgerAccountId": ID, "quantity": "1", "unitPrice": "100"}


def test_delete_contact_person_calls_contact_persons_not_contacts() -> None:
    sent, out = run("deleteContactPerson", {"contactPersonId": ID}, [HTTPResponse(204)])
    assert (sent[0].method, sent[0].path) == ("DELETE", f"/contact_persons/{ID}")
    assert out == {"id": ID, "deleted": True}


@pytest.mark.parametrize("key", ["createContact", "updateContact"])
def test_main_and_delivery_addresses_are_sent_when_an_address_name_is_given(key: str) -> None:
    inputs = {
        "addressName": "Head office",
        "addressLine1": "1 High Street",
        "deliveryName": "Warehouse",
        "deliveryLine1": "2 Dock Road",
    }
    if key == "createContact":
        inputs |= {"name": "Acme", "contactTypeIds": ["CUSTOMER"]}
    else:
        inputs |= {"contactId": ID}
    contact = first(key, inputs).json["contact"]
    assert contact["main_address"] == {"name": "Head office", "address_line_1": "1 High Street"}
    assert contact["delivery_address"] == {"name": "Warehouse", "address_line_1": "2 Dock Road"}


@pytest.mark.parametrize("limit", [0, "0", "0.00"])
def test_credit_limit_zero_is_sent(limit: object) -> None:
    request = first(
        "createContact", {"name": "A", "contactTypeIds": ["CUSTOMER"], "creditLimit": limit}
    )
    assert Decimal(request.json["contact"]["credit_limit"]) == 0


def test_credit_days_zero_and_false_flags_are_sent() -> None:
    request = first("updateContact", {"contactId": ID, "creditDays": 0, "isMainAddress": False})
    contact = request.json["contact"]
    assert contact["credit_days"] == 0
    assert contact["main_address"] == {"is_main_address": False}


def test_update_sales_invoice_sends_snake_case_lines_and_net_amount_from_net_amount() -> None:
    request = first(
        "updateSalesInvoice",
        {
            "salesInvoiceId": ID,
            "netAmount": "100.00",
            "taxAmount": "20.00",
            "totalAmount": "120.00",
            "invoiceLines": [LINE],
        },
    )
    invoice = request.json["sales_invoice"]
    assert "invoiceLines" not in invoice
    assert invoice["invoice_lines"][0]["ledger_account_id"] == ID
    assert invoice["net_amount"] == "100.00"
    assert invoice["total_amount"] == "120.00"


def test_update_purchase_invoice_sends_snake_case_lines_and_net_amount_from_net_amount() -> None:
    request = first(
        "updatePurchaseInvoice",
        {"purchaseInvoiceId": ID, "netAmount": "10", "totalAmount": "12", "invoiceLines": [LINE]},
    )
    invoice = request.json["purchase_invoice"]
    assert set(invoice) == {"net_amount", "total_amount", "invoice_lines"}
    assert invoice["net_amount"] == "10"


# This pack's components (run() is its kit); tests/pack200 holds Sage 200's to the same rule.
@pytest.mark.parametrize(
    "component", [pytest.param(c, id=c.key) for c in components() if c.pack == "sage_accounting"]
)
def test_no_action_has_a_two_second_default_timeout(component: Component) -> None:
    sent, _ = run(component.key, component.example_input)
    for request in sent:
        assert request.timeout is None, "the HTTP layer's connection timeout applies by default"
    timeout = component.inputs.model_fields.get("timeout")
    assert timeout is None or timeout.default is None
