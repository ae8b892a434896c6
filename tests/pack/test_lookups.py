"""Lookup lists, tax rates, businesses and financial settings."""

from __future__ import annotations

import pytest
from packkit import first, run

from sage_accounting import PACK
from sageflow import HTTPResponse, InputValidationError


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("listAddressTypes", "/address_types"),
        ("listContactTypes", "/contact_types"),
        ("listCountries", "/countries"),
        ("listCurrencies", "/currencies"),
        ("listLedgerAccountTypes", "/ledger_account_types"),
        ("listTaxRates", "/tax_rates"),
        ("listBusinesses", "/businesses"),
    ],
)
def test_lists_take_the_seeds_paging_inputs(key: str, path: str) -> None:
    request = first(key, {"page": 3, "itemsPerPage": 200})
    assert (request.method, request.path) == ("GET", path)
    assert request.query == {"page": "3", "items_per_page": "200"}


def test_ledger_account_types_filter_by_classification() -> None:
    request = first("listLedgerAccountTypes", {"ledgerAccountClassificationId": "CURRENT_ASSETS"})
    assert request.query == {"ledger_account_classification_id": "CURRENT_ASSETS"}


def test_businesses_take_no_attributes_input() -> None:
    with pytest.raises(InputValidationError, match="unknown input"):
        PACK.get("listBusinesses").validate({"attributes": "all"})


def test_businesses_envelope_uses_items_per_page_with_underscores() -> None:
    body = {
        "$total": 1,
        "$page": 1,
        "$next": None,
        "$back": None,
        "$items_per_page": 2147483647,
        "$items": [{"id": "b"}],
    }
    _, out = run("listBusinesses", {"activeOnly": True}, [HTTPResponse.from_json(200, body)])
    assert out["itemsPerPage"] == 2147483647
    assert out["items"] == [{"id": "b"}]


def test_get_business_and_financial_settings() -> None:
    assert first("getBusiness", {"businessId": "b1"}).path == "/businesses/b1"
    sent, out = run(
        "getFinancialSettings",
        {},
        [
            HTTPResponse.from_json(
                200, {"$path": "/financial_settings", "year_end_date": "2026-12-31"}
            )
        ],
    )
    assert (sent[0].method, sent[0].path) == ("GET", "/financial_settings")
    assert out["year_end_date"] == "2026-12-31"


def test_tax_rates() -> None:
    request = first(
        "listTaxRates", {"usage": "sales", "date": "2026-03-31", "includeHistoricalData": False}
    )
    assert request.query == {
        "usage": "sales",
        "date": "2026-03-31",
        "include_historical_data": False,
    }
    request = first("getTaxRate", {"taxRateId": "GB_STANDARD", "date": "2026-03-31"})
    assert (request.path, request.query) == ("/tax_rates/GB_STANDARD", {"date": "2026-03-31"})
