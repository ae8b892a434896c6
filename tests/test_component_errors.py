"""Validation errors name the field a user wrote, whatever the field is called."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import Field

from sageflow import Inputs, InputValidationError
from sageflow._component import Component, problems_from


class Line(Inputs):
    quantity: Decimal = Field(description="How many.", examples=["1"])


class Other(Inputs):
    note: str = Field(description="A note.", examples=["x"])


class Invoice(Inputs):
    date: dt.date = Field(description="The invoice date.", examples=["2026-01-31"])
    amount: Decimal | str = Field(description="A union, on purpose.", examples=["1.00"])
    lines: list[Line] = Field(description="Lines.", examples=[[]])
    extra: Line | Other | None = Field(default=None, description="A union of models.")


def _problems(raw: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InputValidationError) as caught:
        Component(
            pack="t",
            key="k",
            title="t",
            description="d",
            inputs=Invoice,
            output=Invoice,
            handler=lambda _: iter(()),  # type: ignore[arg-type,return-value]
            connection="t",
            example_input={},
            example_output={},
        ).validate(raw)
    return {p.path: p.message for p in caught.value.problems}


def test_a_field_named_like_a_union_tag_keeps_its_name() -> None:
    found = _problems({"date": "31/02/2026", "amount": "1", "lines": []})
    assert found == {"$.date": 'expected a date (YYYY-MM-DD), got "31/02/2026"'}


def test_union_member_tags_are_dropped_from_the_path() -> None:
    found = _problems({"date": "2026-01-31", "amount": [], "lines": []})
    assert set(found) == {"$.amount"}


def test_nested_paths_and_unknown_inputs() -> None:
    found = _problems(
        {
            "date": "2026-01-31",
            "amount": "1",
            "lines": [{"quantity": "1"}, {"quantity": "two"}],
            "extra": {"quantity": "x"},
            "bogus": True,
        }
    )
    assert found["$.lines[1].quantity"] == 'expected a number, got "two"'
    assert found["$.bogus"] == "unknown input"
    assert "$.extra.quantity" in found


def test_messages_say_what_they_got_once() -> None:
    from pydantic import ValidationError

    try:
        Invoice.model_validate({"date": None, "amount": "1", "lines": []})
    except ValidationError as error:
        (problem,) = problems_from(Invoice, error)
    assert problem.path == "$.date"
    assert problem.message.count("got") == 1
    assert problem.message.startswith("null is not allowed")
