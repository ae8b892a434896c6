"""The typed filter compiles to Sage 200's OData $filter with every value a literal: each
operator, each value type, and the injection attempts a flow's data could carry."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kit200 import drive

from sage200 import PACK
from sage200._odata import Condition, ODataError, compile_filter, eq, order_by, quote
from sageflow import InputValidationError


def _compiled(*conditions: dict[str, Any], match: str = "all", raw: str | None = None) -> Any:
    parsed = [Condition.model_validate(c) for c in conditions]
    return compile_filter(parsed, match=match, raw=raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param(
            {"field": "reference", "operator": "eq", "value": "ABB001"},
            "reference eq 'ABB001'",
            id="eq-string",
        ),
        pytest.param(
            {"field": "on_hold", "operator": "ne", "value": True},
            "on_hold ne true",
            id="ne-boolean",
        ),
        pytest.param(
            {"field": "balance", "operator": "gt", "value": 1000}, "balance gt 1000", id="gt-number"
        ),
        pytest.param(
            {"field": "balance", "operator": "ge", "value": "1000.50", "type": "number"},
            "balance ge 1000.50",
            id="ge-decimal-text",
        ),
        pytest.param(
            {"field": "credit_limit", "operator": "lt", "value": 0.1},
            "credit_limit lt 0.1",
            id="lt-fraction",
        ),
        pytest.param(
            {"field": "transaction_date", "operator": "le", "value": "2026-03-31", "type": "date"},
            "transaction_date le 2026-03-31",
            id="le-date",
        ),
        pytest.param(
            {
                "field": "date_time_updated",
                "operator": "gt",
                "value": "2026-03-31T10:00:00+01:00",
                "type": "datetime",
            },
            "date_time_updated gt 2026-03-31T09:00:00Z",
            id="gt-datetime-to-utc",
        ),
        pytest.param(
            {"field": "name", "operator": "contains", "value": "Abbey"},
            "contains(name,'Abbey')",
            id="contains",
        ),
        pytest.param(
            {"field": "name", "operator": "startswith", "value": "Ab"},
            "startswith(name,'Ab')",
            id="startswith",
        ),
        pytest.param(
            {"field": "name", "operator": "endswith", "value": "Ltd"},
            "endswith(name,'Ltd')",
            id="endswith",
        ),
        pytest.param(
            {"field": "document_status", "operator": "eq", "value": "EnumDocumentStatusComplete"},
            "document_status eq 'EnumDocumentStatusComplete'",
            id="enum-quoted",
        ),
        pytest.param(
            {"field": "customer/reference", "operator": "eq", "value": "A"},
            "customer/reference eq 'A'",
            id="navigation-path",
        ),
        pytest.param(
            {"field": "reference", "operator": "eq", "value": "2026-03-31"},
            "reference eq '2026-03-31'",
            id="date-looking-text-stays-text",
        ),
    ],
)
def test_each_operator_and_value_type(condition: dict[str, Any], expected: str) -> None:
    assert _compiled(condition) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("O'Brien", "name eq 'O''Brien'", id="apostrophe"),
        pytest.param("' or 1 eq 1", "name eq ''' or 1 eq 1'", id="quote-or-true"),
        pytest.param("x') or (1 eq 1", "name eq 'x'') or (1 eq 1'", id="close-paren-or"),
        pytest.param("x) or (1 eq 1", "name eq 'x) or (1 eq 1'", id="paren-or"),
        pytest.param("''", "name eq ''''''", id="two-quotes"),
        pytest.param("a&$top=5000", "name eq 'a&$top=5000'", id="query-separator"),
    ],
)
def test_injection_attempts_stay_one_string_literal(value: str, expected: str) -> None:
    compiled = _compiled({"field": "name", "operator": "eq", "value": value})
    assert compiled == expected
    # The literal opens after "eq " and closes at the last character: every quote between is
    # doubled, so nothing after the value can be read as OData.
    inner = compiled[len("name eq '") : -1]
    assert inner.replace("''", "").count("'") == 0


def test_injection_inside_a_string_function() -> None:
    assert _compiled({"field": "name", "operator": "contains", "value": "') or (1 eq 1"}) == (
        "contains(name,''') or (1 eq 1')"
    )


@pytest.mark.parametrize(
    "field",
    [
        pytest.param("name eq 'x' or 1", id="expression"),
        pytest.param("name)", id="paren"),
        pytest.param("1name", id="leading-digit"),
        pytest.param("or", id="keyword"),
        pytest.param("customer/eq", id="keyword-in-path"),
        pytest.param("na'me", id="quote"),
        pytest.param("", id="empty"),
        pytest.param("a/b/c/d/e", id="too-deep"),
    ],
)
def test_field_names_are_identifiers(field: str) -> None:
    with pytest.raises(ValueError, match=r"field|pattern|string"):
        Condition.model_validate({"field": field, "operator": "eq", "value": "x"})


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        pytest.param(
            {"field": "d", "operator": "eq", "value": "31/03/2026", "type": "date"},
            "YYYY-MM-DD",
            id="date-format",
        ),
        pytest.param(
            {"field": "d", "operator": "eq", "value": "2026-02-30", "type": "date"},
            "calendar date",
            id="date-impossible",
        ),
        pytest.param(
            {"field": "d", "operator": "eq", "value": "2026-03-31T10:00:00", "type": "datetime"},
            "Z or an offset",
            id="datetime-no-zone",
        ),
        pytest.param(
            {"field": "d", "operator": "eq", "value": "1 or 1 eq 1", "type": "number"},
            "number",
            id="number-words",
        ),
        pytest.param(
            {"field": "d", "operator": "eq", "value": 5, "type": "boolean"},
            "true or false",
            id="boolean-from-number",
        ),
        pytest.param(
            {"field": "d", "operator": "contains", "value": 5}, "string value", id="contains-number"
        ),
        pytest.param({"field": "d", "operator": "like", "value": "x"}, "eq", id="operator"),
    ],
)
def test_values_must_fit_their_type(condition: dict[str, Any], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        Condition.model_validate(condition)


def test_all_any_and_the_raw_escape_hatch() -> None:
    a = {"field": "balance", "operator": "gt", "value": 100}
    b = {"field": "on_hold", "operator": "eq", "value": False}
    assert _compiled(a, b) == "balance gt 100 and on_hold eq false"
    assert _compiled(a, b, match="any") == "balance gt 100 or on_hold eq false"
    # Parenthesised so an "or" in either cannot widen the other.
    assert _compiled(a, b, match="any", raw="x eq 1 or y eq 2") == (
        "(x eq 1 or y eq 2) and (balance gt 100 or on_hold eq false)"
    )
    assert _compiled(raw=" credit_limit gt 0 ") == "credit_limit gt 0"
    assert _compiled() is None


def test_order_by_and_helpers() -> None:
    assert order_by("name asc, id") == "name asc,id"
    for bad in ("name; drop", "name ascending", "name asc desc", "1x", "or"):
        with pytest.raises(ODataError):
            order_by(bad)
    assert quote("it's") == "'it''s'"
    assert eq("urn", 4217) == "urn eq 4217"
    assert eq("reference", "O'B") == "reference eq 'O''B'"
    with pytest.raises(ODataError):
        eq("urn", True)


def test_a_list_sends_the_compiled_filter_and_refuses_a_bad_one_with_its_path() -> None:
    inputs = {
        "filter": [
            {"field": "name", "operator": "eq", "value": "O'Brien & Sons"},
            {
                "field": "date_time_updated",
                "operator": "gt",
                "value": "2026-03-01T00:00:00Z",
                "type": "datetime",
            },
        ],
        "orderBy": "name desc",
        "select": ["id", "name", "customer.name"],
        "expand": ["currency"],
        "top": 50,
    }
    _, (request,) = drive("listCustomers", inputs, [[]])
    assert request.path == "/customers"
    assert dict(request.query) == {
        "$filter": "name eq 'O''Brien & Sons' and date_time_updated gt 2026-03-01T00:00:00Z",
        "$orderby": "name desc",
        "$select": "id,name,customer.name",
        "$expand": "currency",
        "$top": 50,
    }
    with pytest.raises(InputValidationError) as caught:
        PACK.get("listCustomers").validate(
            {"filter": [{"field": "name)", "operator": "eq", "value": "x"}]}
        )
    assert [p.path for p in caught.value.problems] == ["$.filter[0].field"]


def _literal_end(text: str, start: int) -> int:
    """Where an OData string literal opened at ``start`` closes ('' inside is one quote)."""
    index = start + 1
    while index < len(text):
        if text[index] == "'":
            if index + 1 < len(text) and text[index + 1] == "'":
                index += 2
                continue
            return index
        index += 1
    raise AssertionError(f"unterminated literal in {text!r}")


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=40), operator=st.sampled_from(["eq", "ne", "contains", "endswith"]))
def test_no_string_value_escapes_its_literal(value: str, operator: str) -> None:
    compiled = _compiled({"field": "name", "operator": operator, "value": value})
    start = compiled.index("'")
    end = _literal_end(compiled, start)
    # The literal closes where the query's own syntax resumes: at the very end, or before the
    # function's closing parenthesis; and it reads back as the value.
    assert compiled[end + 1 :] in ("", ")")
    assert compiled[start + 1 : end].replace("''", "'") == value
