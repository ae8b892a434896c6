"""Sage's wire format: the one tested place where inputs become Sage JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import Field

from sage_accounting import _wire
from sageflow import Inputs


class Line(Inputs):
    description: str = Field(description="d", examples=["x"])
    unitPrice: Decimal = Field(description="d", examples=["1.00"])
    taxAmount: Decimal | None = Field(default=None, description="d", examples=["0.20"])


class Invoice(Inputs):
    contactId: str = Field(description="d", examples=["x"])
    date: dt.date = Field(description="d", examples=["2024-01-01"])
    creditLimit: Decimal | None = Field(default=None, description="d", examples=["0"])
    addressLine1: str | None = Field(default=None, description="d", examples=["1 High St"])
    invoiceLines: list[Line] = Field(description="d", examples=[[]])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("contactTypeIds", "contact_type_ids", id="camel"),
        pytest.param("addressLine1", "address_line_1", id="digit"),
        pytest.param("updated_or_created_since", "updated_or_created_since", id="already-snake"),
        pytest.param("id", "id", id="one-word"),
    ],
)
def test_snake(name: str, expected: str) -> None:
    assert _wire.snake(name) == expected


def test_fields_sends_set_values_including_zero_and_omits_unset() -> None:
    invoice = Invoice.model_validate(
        {
            "contactId": "c1",
            "date": "2024-02-29",
            "creditLimit": 0,
            "invoiceLines": [{"description": "Work", "unitPrice": "0.10"}],
        }
    )
    assert _wire.fields(invoice) == {
        "contact_id": "c1",
        "date": "2024-02-29",
        "credit_limit": "0",
        "invoice_lines": [{"description": "Work", "unit_price": "0.10"}],
    }


def test_only_picks_a_nested_group_and_renames_it() -> None:
    invoice = Invoice.model_validate(
        {"contactId": "c1", "date": "2024-02-29", "creditLimit": 0, "invoiceLines": []}
    )
    assert _wire.fields(
        invoice, only=("creditLimit", "notes"), rename={"creditLimit": "limit"}
    ) == {"limit": "0"}
    assert _wire.query(invoice, only=("contactId",)) == {"contact_id": "c1"}


def test_money_is_an_exact_string_never_a_float() -> None:
    line = Line.model_validate({"description": "x", "unitPrice": 0.1})
    assert _wire.fields(line)["unit_price"] == "0.1"
    assert _wire.value(Decimal("1E+2")) == "100"


def test_body_wraps_in_the_singular_resource() -> None:
    assert _wire.body("sales_invoice", {"a": 1}) == {"sales_invoice": {"a": 1}}


@pytest.mark.parametrize(
    ("link", "path", "query"),
    [
        pytest.param(
            "/products?page=2&items_per_page=50&attributes=all",
            "/products",
            {"page": "2", "items_per_page": "50", "attributes": "all"},
            id="relative",
        ),
        pytest.param("/v3.1/contacts?page=3", "/contacts", {"page": "3"}, id="with-base"),
    ],
)
def test_split_relative(link: str, path: str, query: dict[str, str]) -> None:
    assert _wire.split_relative(link) == (path, query)


@pytest.mark.parametrize(
    "link", ["https://evil.example/contacts?page=2", "//evil.example/x", "contacts?page=2"]
)
def test_split_relative_refuses_links_that_leave_the_api(link: str) -> None:
    with pytest.raises(ValueError, match="relative path"):
        _wire.split_relative(link)


def test_money_reads_sage_strings() -> None:
    assert _wire.money("5009.5") == Decimal("5009.5")
    assert _wire.money(None) is None
