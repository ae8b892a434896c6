"""Comprehensions run item by item in Python: CEL's own results, linear work (issue 10, F5)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import cel
import pytest
import yaml

from sageflow._flows import _expr
from sageflow._flows._expr import (
    BudgetExceededError,
    ExpressionError,
    Scope,
    compile_expr,
    compile_template,
    from_cel,
    helpers,
    render,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2024, 1, 31, tzinfo=dt.UTC)
INPUTS: dict[str, Any] = {
    "xs": [1, 2, 3, 4],
    "empty": [],
    "m": {"a": 1, "b": 2, "c": 3},
    "rows": [
        {"name": "ann", "factor": 2, "lines": [{"qty": 1}, {"qty": 3}]},
        {"name": "bob", "factor": 5, "lines": []},
        {"name": "cy", "factor": 1, "lines": [{"qty": 2}]},
    ],
}


def scope(inputs: dict[str, Any] | None = None, **steps: Any) -> Scope:
    return Scope(
        inputs=INPUTS if inputs is None else inputs,
        steps={k: {"status": "ok", "output": v} for k, v in steps.items()},
        run={},
        env={},
        functions=helpers(lambda: NOW),
    )


SAME_AS_CEL = [
    "inputs.xs.map(x, x * 2)",
    "inputs.xs.filter(x, x % 2 == 0)",
    "inputs.xs.all(x, x > 0)",
    "inputs.xs.all(x, x > 2)",
    "inputs.xs.exists(x, x == 3)",
    "inputs.xs.exists(x, x == 99)",
    "inputs.xs.exists_one(x, x == 3)",
    "inputs.xs.exists_one(x, x > 1)",
    "inputs.xs.map(x, x > 2, x * 10)",
    "inputs.xs.map(x, x > 2 ? 'big' : 'small')",
    "inputs.xs.filter(x, x in [1, 3])",
    "inputs.xs.exists(x, 4 / (3 - x) == 2)",  # true at x == 1, before x == 3 would fail
    "inputs.xs.all(x, 6 / (3 - x) > 3)",  # false at x == 2, before x == 3 would fail
    "inputs.empty.map(x, x)",
    "inputs.empty.filter(x, true)",
    "inputs.empty.all(x, false)",
    "inputs.empty.exists(x, true)",
    "inputs.empty.exists_one(x, true)",
    "inputs.empty.map(x, true, x)",
    "inputs.m.map(k, k)",
    "inputs.m.map(k, inputs.m[k] * 2)",
    "inputs.m.filter(k, inputs.m[k] > 1)",
    "inputs.m.all(k, k != '')",
    "{'a': 1, 'b': 2}.map(k, k + '!')",
    "[1, 2, 3].map(x, x + 1)",
    "(inputs.xs + [9]).map(x, x)",
    "inputs.xs.filter(x, x > 1).map(x, x * x)",
    "size(inputs.xs.map(x, x)) + size(inputs.xs.filter(x, x > 2))",
    "inputs.xs.map(a, inputs.xs.map(b, a * b))",
    "inputs.xs.map(x, inputs.xs.map(x, x + 1))",  # the inner x hides the outer
    "inputs.rows.map(r, r.lines.map(l, l.qty * r.factor))",
    "inputs.rows.filter(r, r.lines.exists(l, l.qty > 2)).map(r, r.name)",
    "inputs.xs.map(a, inputs.xs.filter(b, inputs.xs.exists(c, a + b == c)))",
    "inputs.rows.map(r, {'n': r.name, 'qty': r.lines.map(l, l.qty), 'has': has(r.lines)})",
    "inputs.rows.map(r, upper(r.name) + '/' + string(r.factor))",
    "inputs.rows.map(r, r.factor > 1, sum(r.lines.map(l, l.qty)))",
]


def native(source: str) -> Any:
    """CEL's own result, or the kind of failure it raises."""
    raw = {name: getattr(f, "__wrapped__", f) for name, f in helpers(lambda: NOW).items()}
    try:
        return from_cel(cel.compile(source).execute(cel.Context({"inputs": INPUTS}, raw)))
    except Exception as error:  # any failure of CEL's: compared by kind
        return type(error)


def canonical(value: Any, unordered: bool) -> str:
    """repr (2 and 2.0 are equal in Python, not in CEL) with map keys sorted: CEL's maps have
    no order, so neither have a map's keys as a comprehension walks them."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {canonical(value[k], False)}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        items = [canonical(v, False) for v in value]
        return "[" + ", ".join(sorted(items) if unordered else items) + "]"
    return repr(value)


@pytest.mark.parametrize("source", SAME_AS_CEL)
def test_results_are_cels_own(source: str) -> None:
    expr = compile_expr(source)
    assert expr.bodies, "not rewritten: this would compare CEL with itself"
    expected = native(source)
    assert not isinstance(expected, type), expected
    got = render(compile_template("${{ " + source + " }}"), scope())
    over_a_map = "m." in source or source.startswith("{")
    assert canonical(got, over_a_map) == canonical(expected, over_a_map)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("inputs.xs.map(x, 1 / (x - 2))", "division by zero"),
        ("inputs.xs.exists(x, 1 / (x - 1) > 5)", "division by zero"),
        ("inputs.rows.map(r, r.lines.map(l, l.qty / (l.qty - 1)))", "division by zero"),
        ("inputs.xs.all(x, x)", "all() needs true or false from its condition, got int"),
        ("inputs.rows[0].name.map(c, c)", "map() needs a list or a map, got string"),
        ("inputs.xs.map(x, x.foo)", ""),
    ],
)
def test_a_failing_body_fails_as_in_cel_and_says_why(source: str, message: str) -> None:
    assert native(source) in (ZeroDivisionError, TypeError, RuntimeError, ValueError)
    with pytest.raises(ExpressionError, match=r"^\$\{\{ [^\n]*" + re.escape(message)) as caught:
        render(compile_template("${{ " + source + " }}"), scope())
    assert source in str(caught.value)
    assert "_sf_" not in str(caught.value)


class Charged:
    """The largest work any evaluation's budget was charged."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.work = 0
        original = _expr.Budget.charge

        def charge(budget: _expr.Budget, work: int = 0, size: int = 0) -> None:
            self.work = max(self.work, budget.work + work)
            original(budget, work, size)

        monkeypatch.setattr(_expr.Budget, "charge", charge)


def invoices(count: int) -> list[dict[str, Any]]:
    return [
        {
            "invoice_number": f"SI-{n}",
            "contact_name": "Acme Trading Ltd",
            "date": "2024-01-01",
            "due_date": "2024-01-31",
            "net_amount": "100.00",
            "tax_amount": "20.00",
            "total_amount": "120.00",
            "outstanding_amount": "0.00",
            "status": {"id": "PAID", "displayed_as": "Paid"},
        }
        for n in range(count)
    ]


def test_the_invoice_export_maps_20000_invoices_in_linear_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flow = yaml.safe_load((ROOT / "examples" / "export-invoices-since.sageflow.yaml").read_text())
    template = compile_template(flow["outputs"]["rows"])
    charged = []
    for count in (2_000, 20_000):
        counter = Charged(monkeypatch)
        rows = render(template, scope(invoices={"items": invoices(count)}))
        assert len(rows) == count
        assert rows[-1]["number"] == f"SI-{count - 1}"
        assert rows[-1]["status"] == "PAID"
        charged.append(counter.work)
    # CEL's own map would copy 20,000 * 20,001 / 2 items: 200 million, forty budgets.
    assert charged[1] < _expr.MAX_WORK // 2, charged
    assert 9.5 * charged[0] <= charged[1] <= 10.5 * charged[0], charged


def test_a_body_is_handed_only_the_steps_it_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    template = compile_template(
        "${{ steps.big.output.items.map(i, i + steps.small.output.n).filter(v, v > 0) }}"
    )
    items = list(range(1_000))
    counter = Charged(monkeypatch)
    out = render(template, scope(big={"items": items}, small={"n": 1}))
    assert out == [i + 1 for i in items]
    # Handing the whole steps map (1,000 items) to each of 2,000 bodies would be 2 million.
    assert counter.work < 2_000 * (_expr.ITEM_WORK + 20), counter.work


def test_nested_comprehensions_are_charged_per_inner_item(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counter = Charged(monkeypatch)
    source = "${{ inputs.xs.map(a, inputs.xs.map(b, inputs.xs.map(c, a + b + c))) }}"
    xs = list(range(30))
    out = render(compile_template(source), scope({"xs": xs}))
    assert out[29][29][29] == 87
    assert counter.work >= 30**3 * _expr.ITEM_WORK


def test_a_comprehension_left_to_cel_keeps_the_quadratic_charge() -> None:
    # A loop variable named like one of the flow's is not taken apart (it would hide it):
    # CEL runs that one, and its n*n/2 copies are charged before it starts.
    source = "${{ size(split(inputs.s, ',').filter(index, index == 'x')) }}"
    template = compile_template(source)
    single = template.single
    assert single is not None
    assert not single.bodies
    few = scope({"s": ",".join(["x"] * 100)})
    assert render(template, few) == 100
    with pytest.raises(BudgetExceededError, match="needs more than 5,000,000 operations"):
        render(template, scope({"s": ",".join(["x"] * 4_000)}))
