"""``sageflow validate`` does only a check's work: what it imports, and what it compiles once.

Counted, not timed (bench/bench_cli.py times it): each shortcut below must leave validation's
verdict unchanged, so each test pins the shortcut against the slow path it replaces.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sageflow._flows import _expr
from sageflow._flows._model import plainly_valid

#: What checking a flow has no use for: the engine and its event loop, the journal, the HTTP
#: client, and jsonschema for input schemas that use only the common keywords.
NOT_FOR_VALIDATE = (
    "asyncio",
    "sqlite3",
    "httpx",
    "jsonschema",
    "sageflow._flows._engine",
    "sageflow._flows._api",
    "sageflow._flows._journal",
    "sageflow._execute",
)

FLOW = """\
name: two-steps
inputs:
  who: {type: string, description: "Customer name", default: Acme}
  count: {type: integer, optional: true}
  tags: {type: array, items: {type: string}, examples: [[a, b]]}
steps:
  - id: found
    uses: sage_accounting/findContact
    with: {search: "${{ inputs.who }}", contactTypeId: CUSTOMER}
  - id: made
    if: ${{ !(size(steps.found.output.items) > 0) }}
    uses: sage_accounting/createContact
    with: {name: "${{ inputs.who }}", contactTypeIds: [CUSTOMER]}
"""


def _validate_in_child(flow: Path) -> tuple[int, set[str]]:
    script = (
        "import sys, json\n"
        "from sageflow._cli import main\n"
        "try:\n"
        f"    main(['validate', {str(flow)!r}])\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "print(json.dumps([code, sorted(sys.modules)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    code, modules = json.loads(done.stdout.splitlines()[-1])
    return code, set(modules)


def test_validate_imports_neither_the_engine_nor_jsonschema(tmp_path: Path) -> None:
    flow = tmp_path / "f.sageflow.yaml"
    flow.write_text(FLOW)
    code, loaded = _validate_in_child(flow)
    assert code in (0, None)
    assert "sageflow._flows._validate" in loaded  # it did validate
    assert "sage_accounting.contacts" in loaded  # against the component's own model
    assert not loaded & set(NOT_FOR_VALIDATE)


def test_an_unusual_input_schema_is_still_checked_by_jsonschema(tmp_path: Path) -> None:
    flow = tmp_path / "f.sageflow.yaml"
    flow.write_text(
        "name: f\ninputs:\n  n: {type: integer, minimum: not-a-number}\n"
        "steps:\n  - id: a\n    uses: sage_accounting/listContacts\n"
    )
    code, loaded = _validate_in_child(flow)
    assert code == 2
    assert "jsonschema" in loaded


# -- plainly_valid: a shortcut that must never call a schema valid that jsonschema refuses ------

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["string", "integer", "number", "boolean", "array", "object", "null"]),
    st.sampled_from(["strng", "date", "", "x"]),
    st.lists(st.sampled_from(["a", "b", "a", 1]), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), st.just({"type": "string"}), max_size=2),
)
_keys = st.sampled_from(
    [
        "type",
        "description",
        "title",
        "$comment",
        "format",
        "default",
        "const",
        "optional",
        "writeOnly",
        "readOnly",
        "enum",
        "examples",
        "required",
        "items",
        "properties",
        "minimum",
        "pattern",
    ]
)
_schemas = st.recursive(
    st.dictionaries(_keys, _values, max_size=4),
    lambda inner: st.dictionaries(
        _keys, st.one_of(_values, inner, st.dictionaries(st.text(max_size=2), inner)), max_size=4
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(_schemas)
def test_what_plainly_valid_accepts_draft_7_accepts(schema: dict[str, Any]) -> None:
    if plainly_valid(schema):
        jsonschema.Draft7Validator.check_schema(schema)


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "string", "description": "Name", "default": "x"}, id="string"),
        pytest.param({"type": "integer", "optional": True}, id="optional"),
        pytest.param({"type": "string", "format": "date", "secret": None}, id="secret-kept-out"),
        pytest.param(
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            id="object",
        ),
        pytest.param({"type": "array", "items": {"type": "number"}}, id="array"),
        pytest.param({"type": "string", "enum": ["A", "B"]}, id="enum"),
    ],
)
def test_common_input_schemas_take_the_shortcut(schema: dict[str, Any]) -> None:
    schema.pop("secret", None)  # the parser removes sageflow's own keyword before checking
    assert plainly_valid(schema)


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param({"type": "strng"}, id="unknown-type"),
        pytest.param({"type": ["string", "null"]}, id="type-list"),
        pytest.param({"description": 3}, id="description-number"),
        pytest.param({"required": ["a", "a"]}, id="required-twice"),
        pytest.param({"minimum": 1}, id="keyword-outside-the-list"),
        pytest.param({"items": {"type": "x"}}, id="nested-bad"),
        pytest.param({"readOnly": "yes"}, id="readOnly-text"),
    ],
)
def test_anything_else_is_left_to_jsonschema(schema: dict[str, Any]) -> None:
    assert not plainly_valid(schema)


# -- compiled expressions are shared by source ---------------------------------------------------


def test_the_same_expression_text_compiles_once() -> None:
    source = "steps.unique_for_this_test.output.id"
    first = _expr.compile_expr(source)
    assert _expr.compile_expr(source) is first
    # A different limit is a different compile (the limit is part of the verdict).
    with pytest.raises(_expr.ExpressionSyntaxError, match="limit is 10"):
        _expr.compile_expr(source, max_chars=10)


def test_a_failed_compile_is_not_kept() -> None:
    with pytest.raises(_expr.ExpressionSyntaxError):
        _expr.compile_expr("1 +")
    assert not any(key[0] == "1 +" for key in _expr._COMPILED)
    with pytest.raises(_expr.ExpressionSyntaxError):
        _expr.compile_expr("1 +")


@pytest.mark.parametrize("module", ["sageflow", "sageflow._cli"])
def test_python_dash_m_runs_the_command(module: str, tmp_path: Path) -> None:
    # `python -X importtime -m sageflow._cli validate ...` is how start-up is profiled; it
    # used to run nothing (the package had no __main__) and print nothing.
    flow = tmp_path / "f.sageflow.yaml"
    flow.write_text(FLOW)
    done = subprocess.run(
        [sys.executable, "-m", module, "validate", str(flow)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{flow}: valid (2 steps)\n"
