"""Bad input: random component inputs and random flow documents only ever give typed
validation errors that say where (a ``$``-path, or ``file:line:col: path``), never a crash.

CI runs the registered profile's 2,000 examples per test; ``SAGEFLOW_FUZZ_EXAMPLES=N`` runs more.
"""

from __future__ import annotations

import string
from decimal import Decimal
from functools import cache
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sageflow import load_flow
from sageflow._component import Component
from sageflow._errors import InputValidationError
from sageflow._flows._problems import FlowValidationError
from sageflow._registry import components

from .kit import FUZZ_PROFILE
from .schemas import from_schema, junk, mutate

FUZZ = settings.get_profile(FUZZ_PROFILE)


@cache
def _components() -> tuple[Component, ...]:
    return tuple(sorted(components(), key=lambda c: c.ref))


@cache
def _strategy(ref: str) -> st.SearchStrategy[Any]:
    component = next(c for c in _components() if c.ref == ref)
    schema = component.input_schema()
    return from_schema(schema, schema.get("$defs", {}))


def inputs_for(data: st.DataObject) -> tuple[Component, Any]:
    component = data.draw(st.sampled_from(_components()), label="component")
    value = data.draw(st.one_of(_strategy(component.ref), junk), label="from schema")
    return component, mutate(data, value)


@FUZZ
@given(st.data())
def test_fuzz_component_inputs_give_typed_errors_with_paths(data: st.DataObject) -> None:
    component, value = inputs_for(data)
    if not isinstance(value, dict):
        return  # hosts and the runner always pass a mapping (flows refuse anything else)
    try:
        component.validate(value)
    except InputValidationError as error:
        problems = error.problems
    else:
        return
    assert problems, f"{component.ref}: an error without problems"
    for problem in problems:
        assert problem.path.startswith("$"), (component.ref, str(problem))
        assert problem.message, (component.ref, str(problem))


# -- flow documents ------------------------------------------------------------------------------

EXPRESSIONS = [
    "${{ inputs.x }}",
    "${{ steps.a.output.items[0].id }}",
    "${{ item",
    "${{ 1 + }}",
    "${{ }}",
    "${{ size(steps) }}",
    "${{ env.HOME }}",
    "${{ item.name }}",
    "${{ nofn() }}",
    "${{ today() }}",
    "${{ num('12.50') * 2 }}",
    "x ${{ inputs.x }} y",
    "${{ steps.b.output }}",
]
STEP_KEYS = ["uses", "with", "if", "for_each", "as", "concurrency", "retry", "timeout", "on_error"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(string.printable, max_size=12),
    st.sampled_from(EXPRESSIONS),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from([*STEP_KEYS, "max_attempts", "on", "type"]), inner),
    ),
    max_leaves=12,
)


@st.composite
def steps(draw: st.DrawFn) -> dict[str, Any]:
    component = draw(st.sampled_from(_components()))
    step: dict[str, Any] = {"id": draw(st.sampled_from(["a", "b", "a", "Bad-Id", 3, ""]))}
    step["uses"] = draw(st.sampled_from([component.ref, component.ref, "nope/x", "x", 7]))
    # Mostly plausible inputs (values from the component's schema, with one mutation), so the
    # documents get past the parser into the manifest checks; sometimes anything at all.
    plausible = draw(_strategy(component.ref).filter(lambda v: isinstance(v, dict)))
    step["with"] = draw(st.one_of(st.just(plausible), values))
    for key in draw(st.lists(st.sampled_from(STEP_KEYS[2:]), max_size=3, unique=True)):
        step[key] = draw(values)
    return step


documents = st.one_of(
    values,
    st.fixed_dictionaries(
        {"name": scalars, "steps": st.lists(steps(), max_size=4)},
        optional={"inputs": values, "outputs": values, "env": values, "description": scalars},
    ),
)


def problems_of(text: str) -> None:
    """Loading gives a flow or a FlowValidationError whose every problem says where it is."""
    try:
        load_flow("fuzz.sageflow.yaml", text=text)
    except FlowValidationError as error:
        problems = error.problems
    else:
        return
    assert problems, "a validation error without problems"
    for problem in problems:
        assert problem.line >= 1
        assert problem.column >= 1
        assert problem.path
        assert problem.message
        assert str(problem).startswith(f"fuzz.sageflow.yaml:{problem.line}:{problem.column}: ")


def _plain(value: Any) -> Any:
    # Decimals from the schema strategies are written as YAML numbers, as a user would.
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return float("nan") if value.is_snan() else float(value)
    return value


@FUZZ
@given(documents)
def test_fuzz_flow_documents_give_located_validation_errors(document: Any) -> None:
    problems_of(yaml.safe_dump(_plain(document), allow_unicode=True, sort_keys=False))


@FUZZ
@given(documents, st.data())
def test_fuzz_damaged_flow_text_gives_located_validation_errors(
    document: Any, data: st.DataObject
) -> None:
    # Text-level damage (a cut, a stray character) reaches the YAML parser's error paths too.
    text = yaml.safe_dump(_plain(document), allow_unicode=True, sort_keys=False)
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 5))
    extra = data.draw(st.sampled_from(["", ":", "-", "'", '"', "{", "[", "\t", "&a", "*a", "!!"]))
    problems_of(text[:at] + extra + text[at + cut :])
