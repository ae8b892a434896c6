"""Sage's real recorded responses parse into the pack's output models (skips without ../shared)."""

from __future__ import annotations

from typing import Any

import pytest
from packkit import load_sample, run

from sage_accounting._models import ListOutput
from sage_accounting._resources import (
    Business,
    Contact,
    FinancialSettings,
    PurchaseInvoice,
    SalesInvoice,
)
from sageflow import HTTPResponse


def _listed(name: str) -> dict[str, Any]:
    _, out = run("listContacts", {}, [HTTPResponse.from_json(200, load_sample(name))])
    return out


@pytest.mark.parametrize(
    "name",
    [
        "contacts__get_one_customer__DeskproApps-sage.json",
        "contacts__get_one_supplier__DeskproApps-sage.json",
    ],
)
def test_contacts(name: str) -> None:
    contact = Contact.model_validate(load_sample(name))
    assert contact.id is not None
    assert len(contact.id) == 32
    assert contact.contact_types
    assert contact.main_address is not None
    # Money stays Sage's exact string; integers stay integers.
    assert contact.credit_limit is None or isinstance(contact.credit_limit, str)
    assert contact.model_extra
    assert "tax_treatment" in contact.model_extra


def test_sales_invoice() -> None:
    invoice = SalesInvoice.model_validate(
        load_sample("sales_invoices__get_one__DeskproApps-sage.json")
    )
    assert invoice.total_amount == "6011.4"
    assert invoice.invoice_lines
    assert invoice.status is not None


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("sales_invoices__list_attributes_all__DeskproApps-sage.json", SalesInvoice),
        (
            "sales_invoices__list_paged_attributes_date_sorted__ledgerscope-SageOneApi.json",
            SalesInvoice,
        ),
        ("purchase_invoices__list_attributes_all__DeskproApps-sage.json", PurchaseInvoice),
        ("businesses__list__ledgerscope-SageOneApi.json", Business),
    ],
)
def test_lists(name: str, model: type[Any]) -> None:
    out = _listed(name)
    parsed = ListOutput[model].model_validate(out)  # type: ignore[valid-type]
    assert parsed.items
    assert parsed.total >= len(parsed.items)


def test_businesses_items_per_page_is_read_from_its_odd_key() -> None:
    assert _listed("businesses__list__ledgerscope-SageOneApi.json")["itemsPerPage"] == 2147483647


def test_products_next_link_is_kept_relative() -> None:
    out = _listed("products__list_paged_attributes_all__ledgerscope-SageOneApi.json")
    assert out["next"].startswith("/products?")


def test_contact_types() -> None:
    out = _listed("contact_types__list__DeskproApps-sage.json")
    assert {item["id"] for item in out["items"]} >= {"CUSTOMER", "VENDOR"}


def test_financial_settings_is_a_singleton_without_id() -> None:
    settings = FinancialSettings.model_validate(
        load_sample("financial_settings__get__ledgerscope-SageOneApi.json")
    )
    assert settings.path == "/financial_settings"
    assert settings.base_currency is not None
