"""Expressions: types kept or stringified, helpers, and only referenced data passed to CEL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sageflow._flows._expr import (
    ExpressionError,
    ExpressionSyntaxError,
    Scope,
    _variables,
    compile_template,
    helpers,
    render,
)

NOW = dt.datetime(2024, 1, 31, 23, 15, tzinfo=dt.UTC)


def scope(**steps: Any) -> Scope:
    return Scope(
        inputs={"name": "Acme", "amount": 12.5, "n": 3},
        steps={k: {"status": "ok", "output": v} for k, v in steps.items()},
        run={"id": "r1", "started": "2024-01-31T23:15:00Z"},
        env={"REGION": "uk"},
        functions=helpers(lambda: NOW),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("${{ inputs.n }}", 3, id="int-kept"),
        pytest.param("${{ inputs.amount }}", 12.5, id="double-kept"),
        pytest.param("  ${{ inputs.n }}  ", 3, id="surrounding-space-ignored"),
        pytest.param("n=${{ inputs.n }}", "n=3", id="mixed-is-text"),
        pytest.param("${{ inputs.n }}${{ inputs.n }}", "33", id="two-is-text"),
        pytest.param("${{ [1, 2] }}", [1, 2], id="list-kept"),
        pytest.param("${{ {'a': true} }}", {"a": True}, id="map-kept"),
        pytest.param("no expression", "no expression", id="plain"),
        pytest.param("${{ '}}' }}", "}}", id="braces-in-string"),
        pytest.param("${{ today() }}", "2024-01-31", id="today"),
        pytest.param("${{ now() }}", "2024-01-31T23:15:00Z", id="now"),
        pytest.param("${{ addDays(today(), 1) }}", "2024-02-01", id="addDays"),
        pytest.param("${{ addMonths('2024-01-31', 1) }}", "2024-02-29", id="addMonths"),
        pytest.param("${{ num('1,234.50') + 0.5 }}", 1235.0, id="num"),
        pytest.param("${{ money(num('10.10') * 3.0) }}", "30.30", id="money"),
        pytest.param("${{ sum(['0.10', '0.20']) }}", 0.3, id="sum-exact"),
        pytest.param("${{ round(2.675, 2) }}", 2.68, id="round-half-up"),
        pytest.param("${{ default(null, 'x') }}", "x", id="default"),
        pytest.param("${{ upper(inputs.name) }}", "ACME", id="upper"),
        pytest.param("${{ 'a,b'.split(',') }}", ["a", "b"], id="split-method"),
        pytest.param("${{ join(['a', 'b'], '-') }}", "a-b", id="join"),
        pytest.param("${{ pluck([{'id': 1}, {'id': 2}], 'id') }}", [1, 2], id="pluck"),
        pytest.param("${{ run.id }}", "r1", id="run"),
        pytest.param("${{ env.REGION }}", "uk", id="env"),
    ],
)
def test_render(text: str, expected: Any) -> None:
    assert render(compile_template(text), scope()) == expected


def test_loop_variables() -> None:
    child = scope().child({"name": "x"}, 4, "contact")
    assert render(compile_template("${{ contact.name }}#${{ index }}"), child) == "x#4"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("${{ inputs.missing }}", "no such key", id="missing-key"),
        pytest.param("${{ inputs.name + 1 }}", "Unsupported operation", id="type"),
        pytest.param("${{ num('abc') }}", "not a number", id="num"),
    ],
)
def test_runtime_errors_are_typed(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        render(compile_template(text), scope())


@pytest.mark.parametrize("text", ["${{ 1 + }}", "${{ }}", "${{ open"])
def test_syntax_errors_at_compile_time(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_template(text)


def test_only_referenced_steps_are_passed() -> None:
    big = {"items": [{"name": str(i)} for i in range(10_000)]}
    context = scope(big=big, small={"id": "s"})
    expr = compile_template("${{ steps.small.output.id }}").single
    assert expr is not None
    assert _variables(expr, context) == {
        "steps": {"small": {"status": "ok", "output": {"id": "s"}}}
    }
    item_expr = compile_template("${{ item.name }}").single
    assert item_expr is not None
    assert set(_variables(item_expr, context.child({"name": "n"}, 0))) == {"item"}


def test_no_host_access() -> None:
    # CEL has no I/O; names outside the context are simply unknown.
    with pytest.raises(ExpressionError):
        render(compile_template("${{ os.environ }}"), scope())


@pytest.mark.parametrize(
    ("source", "depth"),
    [
        pytest.param("inputs.a + 1", 0, id="none"),
        pytest.param("steps.s.output.items.map(i, i.id)", 1, id="one"),
        pytest.param("xs.map(i, i.lines.filter(l, l.q > 1))", 2, id="lines-of-each"),
        pytest.param("size(xs.map(x, (x + 1)))", 1, id="plain-parens-inside"),
        pytest.param("'a.map(x, b.map(y, y))' + xs.map(x, x)", 1, id="string-literal"),
        pytest.param("xs.all(a, ys.exists(b, zs.exists_one(c, a == c)))", 3, id="three"),
    ],
)
def test_comprehension_depth(source: str, depth: int) -> None:
    from sageflow._flows._expr import comprehension_depth

    assert comprehension_depth(source) == depth


def test_four_nested_comprehensions_are_refused_when_compiled() -> None:
    from sageflow._flows._expr import ExpressionSyntaxError, compile_expr

    with pytest.raises(ExpressionSyntaxError, match="nest 4 deep; the limit is 3"):
        compile_expr("a.map(w, b.map(x, c.map(y, d.map(z, z))))")
