"""``fail('message')``: a flow stops its run on purpose, and whoever runs it reads its words."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sageflow._flows._expr import (
    ExpressionError,
    FlowFailedError,
    Scope,
    compile_template,
    helpers,
    render,
    unknown_functions,
)
from sageflow._flows._validate import load_flow


def _scope(**inputs: Any) -> Scope:
    return Scope(
        inputs=inputs,
        steps={},
        run={},
        env={},
        functions=helpers(lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    )


def _render(text: str, **inputs: Any) -> Any:
    return render(compile_template(text), _scope(**inputs))


def test_fail_stops_with_the_flows_own_words() -> None:
    with pytest.raises(FlowFailedError) as raised:
        _render("${{ size(inputs.found) == 1 || fail('No invoice ' + inputs.n) }}", found=[], n="X")
    assert str(raised.value) == "No invoice X"  # no ${{ }} around it, no "function error"
    assert isinstance(raised.value, ExpressionError)  # a step error like any other


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("${{ size(inputs.found) == 0 || fail('no') }}", id="or-true"),
        pytest.param("${{ size(inputs.found) == 0 ? true : fail('no') }}", id="ternary"),
        pytest.param("${{ size(inputs.found) == 1 && fail('no') }}", id="and-false"),
    ],
)
def test_a_fail_not_reached_changes_nothing(text: str) -> None:
    assert _render(text, found=[]) in (True, False)


@pytest.mark.parametrize(
    "text",
    [
        # CEL absorbs a function's error in `error || true`; a deliberate stop is not absorbed.
        pytest.param("${{ fail('stop') || true }}", id="absorbing-or"),
        pytest.param("${{ false && fail('x') || fail('stop') }}", id="second-operand"),
        pytest.param("${{ [1].map(x, fail('stop')) }}", id="inside-map"),
        pytest.param("${{ [1].exists(x, fail('stop')) }}", id="inside-exists"),
    ],
)
def test_a_fail_reached_always_stops(text: str) -> None:
    with pytest.raises(FlowFailedError, match=r"^stop$"):
        _render(text)


def test_the_message_is_one_line_and_anything_is_shown() -> None:
    with pytest.raises(FlowFailedError, match=r"^two lines$"):
        _render("${{ fail('two\\n   lines') }}")
    with pytest.raises(FlowFailedError, match=r'^\{"n": 3\}$'):
        _render("${{ fail({'n': 3}) }}")
    with pytest.raises(FlowFailedError, match="without a message"):
        _render("${{ fail('') }}")


def test_fail_is_a_known_function_and_a_typo_is_not() -> None:
    assert unknown_functions(compile_template("${{ fail('x') }}").parts[0]) == []  # type: ignore[arg-type]
    assert unknown_functions(compile_template("${{ fial('x') }}").parts[0]) == ["fial"]  # type: ignore[arg-type]


def test_a_flow_that_may_fail_is_valid() -> None:
    flow = load_flow(
        "f.sageflow.yaml",
        text=(
            "name: f\ninputs:\n  n: {type: string}\nsteps:\n"
            "  - id: found\n    uses: sage_accounting/findSalesInvoice\n"
            "    with: {invoiceNumber: '${{ inputs.n }}'}\n"
            "  - id: got\n"
            "    if: \"${{ size(steps.found.output.items) == 1 || fail('none') }}\"\n"
            "    uses: sage_accounting/getSalesInvoice\n"
            "    with: {salesInvoiceId: '${{ steps.found.output.items[0].id }}'}\n"
        ),
    )
    assert [s.id for s in flow.steps] == ["found", "got"]
