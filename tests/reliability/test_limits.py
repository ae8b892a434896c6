"""Limits: hostile or runaway flow files are refused quickly, each with one clear located error."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest

from sageflow import arun_flow, load_flow
from sageflow._flows._problems import FlowValidationError

FILE = "limits.sageflow.yaml"
LOCATED = re.compile(r"^limits\.sageflow\.yaml:\d+:\d+: \S.*: .+$")
# Wall-clock bars only catch a hang: a loaded 2-core machine failed bars of 2 s and 15 s
# (issue 10, finding 13). That refusing costs bounded *work* (bytes read, parser events) is
# proven by counting in test_f13_timed_tests_under_load.py, not by a stopwatch.
QUICK = 60.0  # seconds; measured under 0.4 s unloaded
SIZE_BOUNDED = 60.0  # seconds; documents near the 1 MB limit, measured about 2 s unloaded

BILLION_LAUGHS = "name: lol\n" + "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
)


def step(uses: str = "sage_accounting/listContacts", **extra: str) -> str:
    lines = [f"  - id: s{len(extra)}", f"    uses: {uses}"]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines)


def nested_maps(depth: int) -> str:
    # A comprehension inside a comprehension inside ...: 10**depth evaluations.
    ten = "[0,1,2,3,4,5,6,7,8,9]"
    inner = "1"
    for level in range(depth):
        inner = f"{ten}.map(v{level}, {inner})"
    return inner


CASES = [
    pytest.param(
        BILLION_LAUGHS, "YAML aliases (*name) are not allowed", QUICK, id="billion-laughs"
    ),
    pytest.param("a: " + "[" * 50_000 + "]" * 50_000, "nested", QUICK, id="deep-flow-sequence"),
    pytest.param(
        "".join(f"{'  ' * n}k{n}:\n" for n in range(100)) + "  " * 100 + "v: 1",
        "nested deeper than 64 levels",
        QUICK,
        id="deep-mapping",
    ),
    pytest.param(
        "name: big\ndescription: " + "x" * 1_100_000,
        "the limit is 1000000",
        QUICK,
        id="huge-string",
    ),
    pytest.param(
        "name: many\nsteps: []\nx: [" + "0," * 210_000 + "0]",
        "more than 200000 values",
        SIZE_BOUNDED,
        id="too-many-values",
    ),
    pytest.param(
        "name: loop\nsteps:\n" + step(for_each="[" + "0," * 100_000 + "0]"),
        "100001 items; the limit is 100000",
        SIZE_BOUNDED,
        id="huge-literal-loop",
    ),
    pytest.param(
        "name: steps\nsteps:\n"
        + "\n".join(f"  - {{id: s{n}, uses: sage_accounting/listContacts}}" for n in range(501)),
        "501 steps; the limit is 500",
        QUICK,
        id="too-many-steps",
    ),
    pytest.param(
        "name: long\nsteps:\n" + step(**{"if": "${{ " + " + ".join(["1"] * 1200) + " > 0 }}"}),
        "the limit is 2000",
        QUICK,
        id="long-expression",
    ),
]


@pytest.mark.parametrize(("text", "message", "budget"), CASES)
def test_hostile_documents_are_refused_quickly_with_a_located_error(
    text: str, message: str, budget: float
) -> None:
    started = time.perf_counter()
    with pytest.raises(FlowValidationError) as refused:
        load_flow(FILE, text=text)
    took = time.perf_counter() - started
    assert took < budget, f"refused after {took:.2f}s"
    problems = refused.value.problems
    assert any(message in p.message for p in problems), [str(p) for p in problems]
    for problem in problems:
        assert LOCATED.match(str(problem)), str(problem)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / FILE
    path.write_text("name: big\ndescription: " + "x" * 5_000_000)
    started = time.perf_counter()
    with pytest.raises(FlowValidationError) as refused:
        load_flow(path)
    assert time.perf_counter() - started < QUICK
    assert "the limit is 1000000" in str(refused.value)
    assert str(refused.value).startswith(f"{FILE}:1:1: (document): the file is ")


class NoCalls:
    """A caller that fails the test if the runner ever gets as far as sending anything."""

    async def acall(self, component: Any, inputs: Any, options: Any = None) -> Any:
        raise AssertionError("a refused loop sent a request")


def test_a_loop_too_big_at_run_time_fails_the_step_without_a_request(tmp_path: Path) -> None:
    flow = load_flow(
        FILE,
        text="name: loop\ninputs:\n  refs: {type: array}\nsteps:\n"
        + step("sage_accounting/getContact", for_each="${{ inputs.refs }}")
        + "\n    with: {contactId: '${{ item }}'}",
    )
    started = time.perf_counter()
    result = asyncio.run(arun_flow(flow, {"refs": ["c"] * 100_001}, caller=NoCalls(), journal=None))
    assert time.perf_counter() - started < QUICK
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["type"] == "LimitError"
    assert "100001 items; the limit is 100000" in result.error["message"]


def test_a_moderately_nested_expression_loads() -> None:
    load_flow(
        FILE, text="name: ok\nsteps:\n" + step(**{"if": f"'${{{{ size({nested_maps(2)}) > 0 }}}}'"})
    )


def test_an_expression_that_explodes_combinatorially_is_refused_at_load() -> None:
    # Only loaded, never evaluated: evaluating it is the runaway this test is about.
    text = "name: boom\nsteps:\n" + step(**{"if": f"'${{{{ size({nested_maps(7)}) > 0 }}}}'"})
    started = time.perf_counter()
    with pytest.raises(FlowValidationError) as caught:
        load_flow(FILE, text=text)
    assert time.perf_counter() - started < QUICK
    (problem,) = caught.value.problems
    assert problem.line == 5  # the step's `if:` line
    assert problem.path.endswith(".if")
    assert "nest 7 deep; the limit is 3" in problem.message
