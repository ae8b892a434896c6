"""A missing key or index is named by the part of the expression that asked for it, and a
field that Sage lists only return with ``attributes`` says so (issue 11 item 7)."""

from __future__ import annotations

import datetime as dt

import pytest

from sageflow._flows._expr import ExpressionError, Scope, compile_template, helpers, render

LISTED = {"id": "c1", "displayed_as": "Acme (ACME001)", "$path": "/contacts/c1"}


def scope(items: list[dict[str, str]]) -> Scope:
    now = dt.datetime(2024, 1, 31, tzinfo=dt.UTC)
    return Scope(
        inputs={"name": "Acme"},
        steps={"customers": {"status": "ok", "output": {"items": items}}},
        run={},
        env={},
        functions=helpers(lambda: now),
    )


@pytest.mark.parametrize(
    ("text", "items", "message"),
    [
        pytest.param(
            "${{ steps.customers.output.items.filter(c, num(c.credit_limit) > 100.0) }}",
            [LISTED],
            "c.credit_limit: no such key 'credit_limit': Sage lists return only id,"
            " displayed_as and $path unless the step asks for attributes: credit_limit"
            " (step 'customers')",
            id="listed-record-missing-attribute",
        ),
        pytest.param(
            "${{ steps.customers.output.items[0]['credit_limit'] }}",
            [LISTED],
            "steps.customers.output.items[0]['credit_limit']: no such key 'credit_limit':"
            " Sage lists return only id, displayed_as and $path unless the step asks for"
            " attributes: credit_limit (step 'customers')",
            id="listed-record-missing-attribute-subscript",
        ),
        pytest.param(
            "${{ steps.customers.output.items[0].credit_limit }}",
            [{**LISTED, "name": "Acme"}],
            "steps.customers.output.items[0].credit_limit: no such key 'credit_limit'"
            " (steps.customers.output.items[0] has: $path, displayed_as, id, name)",
            id="full-record-missing-key-says-what-it-has",
        ),
        pytest.param(
            "${{ 'Dear ' + steps.customers.output.items[40].displayed_as + ', ...' }}",
            [LISTED, LISTED],
            "steps.customers.output.items[40]: no item 40; the list has 2 (counted from 0)",
            id="index-out-of-range",
        ),
        pytest.param(
            "${{ inputs.nmae }}",
            [],
            "inputs.nmae: no such key 'nmae'",
            id="missing-input-key",
        ),
    ],
)
def test_lookup_failures_name_the_part(
    text: str, items: list[dict[str, str]], message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        render(compile_template(text), scope(items))
    assert str(caught.value) == message


def test_a_part_not_found_keeps_a_short_expression() -> None:
    long = " + ".join(["'x'"] * 40)
    with pytest.raises(ExpressionError) as caught:
        render(compile_template("${{ {'a': 1}[inputs.name] + " + long + " }}"), scope([]))
    text = str(caught.value)
    assert text.endswith(": no such key 'Acme'")
    assert len(text) < 130


def test_a_loop_over_listed_records_gets_the_hint() -> None:
    loop = scope([LISTED]).child(LISTED, 0, "customer")
    with pytest.raises(ExpressionError) as caught:
        render(compile_template("${{ customer.credit_limit }}"), loop)
    assert str(caught.value) == (
        "customer.credit_limit: no such key 'credit_limit': Sage lists return only id,"
        " displayed_as and $path unless the step that listed the records asks for"
        " attributes: credit_limit"
    )
