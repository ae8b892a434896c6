"""Issue 10, finding 5: expressions and literals cannot exhaust memory or run without end.

The attack: nine nested ``replace()`` built a 10 GB string (the process aborted in Rust's
allocator); three nested comprehensions over 1,000-item ``split()`` lists ran past 40 s and
ignored Ctrl-C for 20 s; ``unitPrice: 1e999999999`` passed ``validate`` and allocated ~1 GB at
run time. The budget is proven by counting (charged work, comprehension starts, peak traced
memory), and Ctrl-C and a step's timeout by showing that they stop an expression that would
otherwise run for minutes; no test here asserts how fast anything is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from sageflow import arun_flow, load_flow
from sageflow._flows import _expr
from sageflow._flows._expr import (
    MAX_SIZE,
    MAX_WORK,
    BudgetExceededError,
    Scope,
    compile_template,
    helpers,
    render,
)
from sageflow._flows._load import Limits
from sageflow._flows._problems import FlowValidationError

FILE = "budget.sageflow.yaml"
CSV_1000 = ",".join(str(i) for i in range(1000))
NINE_REPLACES = "'aaaaaaaaaa'"
for _ in range(9):
    NINE_REPLACES = f"replace({NINE_REPLACES}, 'a', 'aaaaaaaaaa')"  # 10 chars -> 10**10 chars
THREE_NESTED = (
    'split(inputs.s, ",").map(a, split(inputs.s, ",").map(b,'
    ' split(inputs.s, ",").map(c, a + b + c)))'
)


def scope(**extra: Any) -> Scope:
    return Scope(
        inputs={"s": CSV_1000},
        steps={},
        run={},
        env={},
        functions=helpers(lambda: dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
        **extra,
    )


class Counter:
    """Counts the comprehensions the budget sees start, and the work it was charged."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.starts = 0
        self.charged = 0
        original = _expr.Budget.charge

        def charge(budget: _expr.Budget, work: int = 0, size: int = 0) -> None:
            self.charged = max(self.charged, budget.work + work)
            original(budget, work, size)

        def start(items: Any, number: int) -> Any:
            self.starts += 1
            return comprehend(items, number)

        comprehend = _expr._comprehend
        monkeypatch.setattr(_expr.Budget, "charge", charge)
        monkeypatch.setitem(_expr._BUDGET_GUARDED, _expr._COMPREHEND, _expr._guarded(start))


def test_nine_nested_replaces_are_refused_before_the_string_is_built() -> None:
    template = compile_template("${{ size(" + NINE_REPLACES + ") }}")
    tracemalloc.start()
    try:
        with pytest.raises(BudgetExceededError, match="builds more than 50,000,000 characters"):
            render(template, scope())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The last string allowed is at most the budget (10**8 would have been next, then 10**10).
    assert peak < 2 * MAX_SIZE * 4, f"peak traced memory {peak:,} bytes"


def test_three_nested_comprehensions_over_1000_items_are_refused_after_bounded_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counter = Counter(monkeypatch)
    template = compile_template("${{ size(" + THREE_NESTED + ") }}")
    with pytest.raises(BudgetExceededError, match="needs more than 5,000,000 operations"):
        render(template, scope())
    # Unbounded it starts 1 + 1,000 + 1,000,000 comprehensions (10**9 items); each item is
    # charged before it runs, so the budget stops it at the item that would cross MAX_WORK.
    per_list = 1000 * _expr.ITEM_WORK
    assert 2 < counter.starts <= MAX_WORK // per_list + 3, counter.starts
    assert counter.charged <= MAX_WORK + per_list


def with_input(text: str) -> Scope:
    found = scope()
    found.inputs = {"s": text}
    return found


def test_a_long_filter_is_charged_linearly(monkeypatch: pytest.MonkeyPatch) -> None:
    # CEL's own filter() copies its result per item (n*n/2: 4,000 items were refused); the
    # rewritten one charges each item once, so twice the items is twice the work.
    template = compile_template("${{ size(split(inputs.s, ',').filter(v, v == 'x')) }}")
    charged = []
    for count in (4_000, 8_000):
        counter = Counter(monkeypatch)
        assert render(template, with_input(",".join(["x"] * count))) == count
        assert counter.starts == 1
        charged.append(counter.charged)
    assert charged[0] >= 4_000 * _expr.ITEM_WORK
    assert 1.9 * charged[0] <= charged[1] <= 2.1 * charged[0], charged


def test_ordinary_expressions_stay_well_inside_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = Counter(monkeypatch)
    template = compile_template(
        "${{ size(split(inputs.s, ',').map(a, {'n': a, 'even': int(a) % 2 == 0})"
        ".filter(r, r.even)) }}"
    )
    assert render(template, with_input(",".join(str(i) for i in range(300)))) == 150
    assert counter.starts == 2
    assert counter.charged < MAX_WORK // 10


def test_string_concatenation_is_charged_operand_by_operand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    operands = 0
    charge_operand = _expr._BUDGET_GUARDED[_expr._OPERAND]

    def counted(value: Any) -> Any:
        nonlocal operands
        operands += 1
        return charge_operand(value)

    monkeypatch.setitem(_expr._BUDGET_GUARDED, _expr._OPERAND, counted)
    megabyte = "x" * 1_000_000
    # 400 copies of a 1 MB string: 400 MB built natively by CEL's `+`, no helper involved.
    template = compile_template("${{ " + " + ".join(["x"] * 400) + " }}")
    with pytest.raises(BudgetExceededError, match="builds more than"):
        render(template, scope().child(megabyte, 0, "x"))
    # Each operand is charged before CEL appends it: refused after ~50 MB, not 400.
    assert 0 < operands <= MAX_SIZE // len(megabyte) + 2, operands


def test_errors_absorbed_by_cel_still_stop_the_expression() -> None:
    # `||` and exists() swallow an error when another branch is true: the budget's stop must
    # not be swallowed with it.
    template = compile_template("${{ size(" + NINE_REPLACES + ") > 0 || true }}")
    with pytest.raises(BudgetExceededError):
        render(template, scope())


def test_a_cancelled_run_stops_the_expression_at_the_next_item() -> None:
    polls = 0

    def cancelled() -> bool:
        nonlocal polls
        polls += 1
        return polls > 50

    template = compile_template("${{ size(" + THREE_NESTED + ") }}")
    with pytest.raises(asyncio.CancelledError):
        render(template, scope(cancelled=cancelled, max_work=10**15))
    assert polls == 51


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to itself")
def test_ctrl_c_interrupts_an_expression_that_would_run_for_minutes() -> None:
    template = compile_template("${{ size(" + THREE_NESTED + ") }}")
    unbounded = scope(max_work=10**15, max_size=10**15)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))

    def interrupted() -> None:
        try:
            timer.start()
            # Without an interruption this is ~10**9 items, minutes of CEL.
            render(template, unbounded)
        finally:
            timer.cancel()

    # Everything the signal can land in runs inside the `raises` block, so an early or a late
    # signal cannot escape into the test session.
    with pytest.raises(KeyboardInterrupt):
        interrupted()


def test_a_step_timeout_bounds_its_expressions(tmp_path: Path) -> None:
    flow = load_flow(
        FILE,
        limits=Limits(max_expression_work=10**15),  # only the timeout can stop it
        text=(
            "name: slow\ninputs:\n  s: {type: string}\nsteps:\n"
            "  - id: c\n    uses: sage_accounting/getContact\n    timeout: 0.2\n"
            "    with: {contactId: '${{ string(size(" + THREE_NESTED + ")) }}'}\n"
        ),
    )

    class NoCalls:
        async def acall(self, component: Any, inputs: Any, options: Any = None) -> Any:
            raise AssertionError("the expression should not have finished")

    result = asyncio.run(arun_flow(flow, {"s": CSV_1000}, caller=NoCalls(), journal=None))
    assert result.status == "failed"
    assert result.error is not None
    assert "still running after 0.2 s" in result.error["message"]


def refused(text: str) -> list[str]:
    with pytest.raises(FlowValidationError) as caught:
        load_flow(FILE, text=text)
    return [str(p) for p in caught.value.problems]


LINE = (
    "name: lit\nsteps:\n  - id: inv\n    uses: sage_accounting/createSalesInvoice\n    with:\n"
    "      contactId: abc\n      date: '2024-01-01'\n      invoiceLines:\n"
    "        - {{description: x, ledgerAccountId: abc, quantity: 1, unitPrice: {price},"
    " taxRateId: GB_STANDARD}}\n"
)


@pytest.mark.parametrize(
    "price",
    [
        pytest.param("1e999999999", id="huge-exponent"),
        pytest.param("1" * 5000, id="5000-digit-integer"),
        pytest.param("1234567890123456", id="16-digit-integer"),
        pytest.param("0.12345678901", id="11-places"),
        pytest.param("1e-999999999", id="tiny-exponent"),
        pytest.param(".nan", id="yaml-nan"),
        pytest.param("NaN", id="nan"),
        pytest.param(".inf", id="yaml-infinity"),
        pytest.param("-Infinity", id="infinity"),
        pytest.param("'${{ 1e999999999 }}'", id="expression-overflow"),
        pytest.param("'${{ 12345678901234567.0 }}'", id="expression-digits"),
    ],
)
def test_a_literal_that_cannot_be_a_sage_amount_is_refused_where_it_is_written(
    price: str,
) -> None:
    problems = refused(LINE.format(price=price))
    located = [p for p in problems if p.startswith(f"{FILE}:9:") and "unitPrice" in p]
    assert located, problems
    assert all(re.match(rf"^{re.escape(FILE)}:\d+:\d+: \S+: .+$", p) for p in problems)


@pytest.mark.parametrize("price", ["12.50", "0.0000000001", "999999999999999", "1e3", "-7.25"])
def test_ordinary_amounts_pass(price: str) -> None:
    load_flow(FILE, text=LINE.format(price=price))


def test_amount_helpers_refuse_to_write_out_a_gigabyte_of_digits() -> None:
    for text in ("${{ money('1e999999999') }}", "${{ round(1.5, 1000000000) }}"):
        with pytest.raises(_expr.ExpressionError, match=r"not an amount|places must be"):
            render(compile_template(text), scope())
