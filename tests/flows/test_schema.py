"""The generated flow schema: valid draft-07, completes components and accepts expressions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from sageflow._flows._schema import build_flow_schema
from sageflow._manifests import index

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def schema() -> dict[str, Any]:
    built = build_flow_schema(index())
    jsonschema.Draft7Validator.check_schema(built)
    return built


def errors(schema: dict[str, Any], text: str) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    return [e.message for e in validator.iter_errors(yaml.safe_load(text))]


def test_components_are_listed(schema: dict[str, Any]) -> None:
    refs = schema["definitions"]["step"]["properties"]["uses"]["enum"]
    assert "testpack/createThing" in refs


def test_expressions_accepted_everywhere(schema: dict[str, Any]) -> None:
    text = """\
name: t
steps:
  - id: a
    uses: testpack/createThing
    with:
      name: "${{ inputs.x }}"
      amount: "${{ inputs.y }}"
      lines: "${{ steps.b.output }}"
"""
    assert errors(schema, text) == []


def test_wrong_literal_type_is_flagged(schema: dict[str, Any]) -> None:
    text = "name: t\nsteps:\n  - id: a\n    uses: testpack/createThing\n    with: {name: [1]}\n"
    assert errors(schema, text)
    typo = "name: t\nsteps:\n  - id: a\n    uses: testpack/createThing\n    with: {nam: x}\n"
    assert errors(schema, typo)


def test_committed_schema_matches_the_sage_pack() -> None:
    committed = json.loads((ROOT / "manifests" / "flow.schema.json").read_text())
    assert committed["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert (
        "sage_accounting/createSalesInvoice"
        in committed["definitions"]["step"]["properties"]["uses"]["enum"]
    )
