"""Sage 200 money leaves the pack as exact decimals and dates as dates, never floats.

Sage 200 sends amounts as JSON numbers; the pack reads them with ``parse_float=Decimal``
(``sage200._wire.read``) and outputs them as the decimal string of the digits Sage sent, the
form the first pack's amounts take (``sage200._wire.shape``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sage200 import PACK
from sage200._records import Customer, PostedTransaction
from sage200._wire import shape
from sage200.connection import PROFILE
from sage200.sandbox import DEFAULT_START, Clock, Sandbox
from sageflow._http import Client, Connection
from sageflow._values import HTTPResponse

CALLS = Path(__file__).resolve().parents[2] / "cassettes" / "sage200" / "calls.json"


def _floats(value: Any, path: str = "$") -> list[str]:
    if isinstance(value, float):
        return [f"{path} = {value!r}"]
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _floats(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [f for n, v in enumerate(value) for f in _floats(v, f"{path}[{n}]")]
    return []


@pytest.fixture
def client() -> Iterator[tuple[Client, Sandbox]]:
    sandbox = Sandbox(clock=Clock.manual(DEFAULT_START))
    headers = {k: v for k, v in sandbox.headers().items() if k != "Authorization"}
    connection = Connection.with_token(
        sandbox.api_base, sandbox.access_token, PROFILE, headers=headers
    )
    with Client(connection, transport=sandbox.transport()) as http:
        yield http, sandbox
    sandbox.close()


def test_a_sandbox_round_trip_keeps_tenths_exact(client: tuple[Client, Sandbox]) -> None:
    http, sandbox = client
    posted = http.call(
        "sage200/postSalesInvoice",
        {
            "customerId": sandbox.records("customers")[0]["id"],
            "transactionDate": "2026-01-20",
            "reference": "INV-TENTHS",
            "nominalAnalysis": [
                {"nominalAccount": "4000", "value": "0.10"},
                {"nominalAccount": "4000", "value": "0.20"},
            ],
            "taxAnalysis": [
                {"taxCodeId": sandbox.records("tax_codes")[0]["id"], "goodsAmount": "0.30",
                 "taxAmount": "0.06"},
            ],
        },
    )  # fmt: skip
    (found,) = http.call("sage200/findSalesPostedTransaction", {"urn": posted["urn"]})["items"]

    assert _floats(found) == []
    goods = [Decimal(line["value"]) for line in found["nominal_analysis_items"]]
    assert goods == [Decimal("0.1"), Decimal("0.2")]
    # 0.1 + 0.2 is 0.3 here; as floats it would be 0.30000000000000004.
    assert Decimal(found["document_goods_value"]) == sum(goods) == Decimal("0.30")
    assert Decimal(found["document_tax_value"]) == Decimal("0.06")
    assert Decimal(found["document_gross_value"]) == Decimal("0.36")
    assert found["transaction_date"] == "2026-01-20"
    jsonschema.validate(found, PostedTransaction.model_json_schema(mode="serialization"))
    # A Python host reading the output through the model gets Decimals and dates.
    record = PostedTransaction.model_validate(found)
    assert record.document_gross_value == Decimal("0.36")
    assert str(record.transaction_date) == "2026-01-20"


def _get_customer(body: bytes) -> dict[str, Any]:
    action = PACK.get("getCustomer").start({"customerId": 7})
    next(action)
    try:
        action.send(HTTPResponse(200, {"content-type": "application/json"}, body))
    except StopIteration as done:
        return dict(done.value)
    raise AssertionError("getCustomer asked for a second request")


def test_every_digit_sage_sends_is_kept() -> None:
    # More digits than a double holds: a float would answer 12345678901234568.0.
    output = _get_customer(
        b'{"id": 7, "balance": 12345678901234567.89, "credit_limit": 1e2,'
        b' "on_hold": false, "early_settlement_discount_percent": 2.50,'
        b' "payment_terms_days": 30, "date_time_updated": "2026-01-05T09:00:00.000Z"}'
    )
    assert output == {
        "id": 7,
        "balance": "12345678901234567.89",
        "credit_limit": "100",
        "on_hold": False,
        # Not a declared field, still never a float; integers stay integers.
        "early_settlement_discount_percent": "2.50",
        "payment_terms_days": 30,
        "date_time_updated": "2026-01-05T09:00:00.000Z",
    }


def test_an_integral_amount_is_a_decimal_string_too() -> None:
    assert shape(Customer, {"balance": 0, "credit_limit": Decimal("5000.00")}) == {
        "balance": "0",
        "credit_limit": "5000.00",
    }


@pytest.mark.parametrize(
    ("sent", "date"),
    [
        pytest.param("2026-03-31T00:00:00", "2026-03-31", id="midnight"),
        pytest.param("2026-03-31T00:00:00Z", "2026-03-31", id="midnight-utc"),
        pytest.param("2026-03-31T00:00:00.000+01:00", "2026-03-31", id="offset"),
        pytest.param("2026-03-31", "2026-03-31", id="a-date"),
    ],
)
def test_dates_are_the_day_sage_names(sent: str, date: str) -> None:
    assert shape(PostedTransaction, {"transaction_date": sent}) == {"transaction_date": date}


@pytest.mark.parametrize(
    ("record", "message"),
    [
        pytest.param(
            {"nominal_analysis_items": [{"value": "lots"}]},
            "nominal_analysis_items[0].value = 'lots', which is not an amount",
            id="amount",
        ),
        pytest.param(
            {"due_date": "31/03/2026"}, "due_date = '31/03/2026', which is not a date", id="date"
        ),
        pytest.param({"due_date": "2026-02-30T00:00:00"}, "which is not a date", id="no-such-day"),
    ],
)
def test_a_value_that_is_not_what_the_spec_says_is_named(
    record: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match="Sage 200 sent") as caught:
        shape(PostedTransaction, record)
    assert message in str(caught.value)


def test_no_recorded_output_holds_a_float() -> None:
    calls = json.loads(CALLS.read_text(encoding="utf-8"))
    found = {key: _floats(call["output"]) for key, call in calls.items()}
    assert {key: floats for key, floats in found.items() if floats} == {}


def test_no_example_output_holds_a_float() -> None:
    PACK.load_all()
    found = {
        key: _floats(component.example_output)
        for key, component in PACK.components.items()
        if _floats(component.example_output)
    }
    assert found == {}


def test_the_transport_is_not_needed_for_shaping() -> None:
    # shape() is pure: the same record shaped twice is the same output.
    record = {"document_gross_value": Decimal("1200.00"), "due_date": "2026-04-30T00:00:00Z"}
    once = shape(PostedTransaction, record)
    assert (
        shape(PostedTransaction, once)
        == once
        == {
            "document_gross_value": "1200.00",
            "due_date": "2026-04-30",
        }
    )


def test_a_list_page_is_shaped_item_by_item(client: tuple[Client, Sandbox]) -> None:
    http, _ = client
    page = http.call("sage200/listCustomers", {"top": 3})
    assert page["count"] == 3
    assert _floats(page) == []
    assert all(isinstance(item["balance"], str) for item in page["items"])
