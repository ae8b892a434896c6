"""Random broken documents only ever produce validation problems, never another exception."""

from __future__ import annotations

import os
import string
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sageflow._flows._api import load_flow
from sageflow._flows._model import CONNECTION_KEYS, RETRY_KEYS, STEP_KEYS, TOP_KEYS
from sageflow._flows._problems import FlowValidationError, Problem

# The flow format's own keys come from the model, so a key added there is fuzzed too; the rest
# are input-schema and component-input names that random documents should also hit.
KEYS = sorted(
    TOP_KEYS
    | STEP_KEYS
    | RETRY_KEYS
    | CONNECTION_KEYS
    | {"type", "secret", "search", "amount", "lines", "quantity"}
)
EXPRS = [
    "${{ inputs.x }}",
    "${{ steps.a.output }}",
    "${{ item",
    "${{ 1 + }}",
    "${{ }}",
    "${{ size(steps) }}",
    "${{ env.HOME }}",
    "${{ item.name }}",
    "${{ nofn() }}",
]
USES = ["testpack/createThing", "testpack/listThings", "nope/x", "x", ""]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True),
    st.text(string.printable, max_size=12),
    st.sampled_from(EXPRS),
    st.sampled_from(USES),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    ),
    max_leaves=25,
)
steps = st.lists(
    st.fixed_dictionaries(
        {"id": st.sampled_from(["a", "b", "a", "Bad", 3])},
        optional={
            k: values
            for k in [
                "uses",
                "with",
                "if",
                "for_each",
                "retry",
                "on_error",
                "concurrency",
                "timeout",
                "as",
            ]
        },
    ),
    max_size=4,
)
documents = st.one_of(
    values,
    st.fixed_dictionaries(
        {"name": scalars, "steps": steps},
        optional={"inputs": values, "outputs": values, "env": values},
    ),
)


# CI's bounded profile; SAGEFLOW_FUZZ_EXAMPLES=20000 for a long run.
EXAMPLES = int(os.environ.get("SAGEFLOW_FUZZ_EXAMPLES", "500"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_random_documents_give_only_validation_errors(document: Any) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    problems = _problems(text)
    for problem in problems:
        assert problem.line >= 1
        assert problem.column >= 1
        assert problem.path


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=200))
def test_random_text_gives_only_validation_errors(text: str) -> None:
    _problems(text)


def _problems(text: str) -> list[Problem]:
    """Every problem (none when the document is valid); any other exception fails the test."""
    try:
        load_flow("fuzz.sageflow.yaml", text=text)
    except FlowValidationError as error:
        if not error.problems:
            raise AssertionError("a validation error without problems") from error
        return error.problems
    return []


RUNTIME_EXPRS = [
    "${{ inputs.v }}",
    "${{ inputs.v.x }}",
    "${{ inputs.v[3] }}",
    "${{ num(inputs.v) }}",
    "${{ size(inputs.v) }}",
    "${{ inputs.v + 1 }}",
    "${{ money(inputs.v) }}",
    "x${{ inputs.v }}",
    "${{ addDays(inputs.v, 1) }}",
    "${{ upper(inputs.v) }}",
    "${{ 1 / 0 }}",
]


@settings(max_examples=max(50, EXAMPLES // 5), deadline=None)
@given(
    value=st.recursive(scalars, lambda i: st.lists(i, max_size=3), max_leaves=5),
    name_expr=st.sampled_from(RUNTIME_EXPRS),
    loop_expr=st.sampled_from(["${{ inputs.v }}", "${{ [inputs.v] }}", "${{ inputs.v.items }}"]),
)
def test_runtime_failures_are_typed(value: Any, name_expr: str, loop_expr: str) -> None:
    """Whatever the input value, a valid flow ends ok or failed with a typed error."""
    import asyncio
    import json

    from sageflow._flows._api import arun_flow

    from .conftest import FakeCaller, FakeServer

    text = (
        "name: rt\ninputs:\n  v: {}\nsteps:\n"
        f"  - id: a\n    uses: testpack/createThing\n    with: {{name: {json.dumps(name_expr)}}}\n"
        f"    on_error: continue\n"
        f"  - id: b\n    for_each: {json.dumps(loop_expr)}\n    uses: testpack/createThing\n"
        '    with: {name: "${{ string(index) }}", amount: "${{ item }}"}\n'
        'outputs:\n  o: "${{ steps.a.status }}"\n'
    )
    flow = load_flow("rt.sageflow.yaml", text=text)
    result = asyncio.run(
        arun_flow(flow, {"v": value}, caller=FakeCaller(FakeServer()), journal=None)
    )
    assert result.status in ("ok", "failed")
    if result.status == "failed":
        assert result.error is not None
        assert result.error["type"]
    json.dumps(result.to_dict(), default=str)
