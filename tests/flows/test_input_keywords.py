"""An input schema's unknown keywords are refused: JSON Schema would ignore them silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from sageflow import FlowValidationError, load_flow


def _problems(tmp_path: Path, inputs: str) -> list[str]:
    flow = tmp_path / "f.sageflow.yaml"
    flow.write_text(
        f"name: f\ninputs:\n{inputs}\nsteps:\n  - id: a\n    uses: sage_accounting/listContacts\n"
        "    with: {search: '${{ inputs.desc }}'}\n"
    )
    with pytest.raises(FlowValidationError) as caught:
        load_flow(flow)
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def test_an_unquoted_comma_that_cut_a_value_short_is_named(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "  desc: {type: string, description: Net price, before VAT.}")
    assert problems == [
        "inputs.desc.before VAT.: unknown JSON Schema keyword"
        " (a comma in an unquoted value starts a new key: quote the value)"
    ]


def test_a_misspelled_keyword_gets_a_suggestion_even_when_nested(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        "  desc: {type: string, defualt: x}\n"
        "  rows: {type: array, items: {type: object,\n"
        "         properties: {n: {type: string, minLenght: 1}}}}",
    )
    assert problems == [
        "inputs.desc.defualt: unknown JSON Schema keyword (did you mean 'default'?)",
        "inputs.rows.items.properties.n.minLenght: unknown JSON Schema keyword"
        " (did you mean 'minLength'?)",
    ]


def test_known_keywords_and_extensions_pass(tmp_path: Path) -> None:
    flow = tmp_path / "ok.sageflow.yaml"
    flow.write_text(
        "name: ok\ninputs:\n"
        "  desc: {type: string, default: x, minLength: 1, secret: false, x-ui: textarea,"
        " examples: [a], description: 'One, two.'}\n"
        "steps:\n  - id: a\n    uses: sage_accounting/listContacts\n"
        "    with: {search: '${{ inputs.desc }}'}\n"
    )
    assert load_flow(flow).inputs["desc"].schema["description"] == "One, two."
