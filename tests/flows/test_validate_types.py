"""An input declared ``type: string`` bound to an amount: a warning with the place and the fix.

An amount field takes a number or decimal text, so the binding is not wrong; but a string
input lets ``-i price=12,50`` (or a form's free text) through until the step sends it, which
for a step with ``if:`` is after the steps before it have written. The flow's own declaration
is where to refuse it, before anything runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sageflow._cli import cli
from sageflow._flows._validate import flow_warnings, load_flow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

FLOW = """\
name: price
inputs:
  product: {{type: string}}
  price: {price}
steps:
  - id: updated
    uses: sage_accounting/updateProduct
    with:
      productId: ${{{{ inputs.product }}}}
      costPrice: {value}
"""


def _warnings(price: str, value: str = "${{ inputs.price }}") -> list[str]:
    flow = load_flow("f.sageflow.yaml", text=FLOW.format(price=price, value=value))
    return [str(w) for w in flow_warnings(flow)]


def test_a_string_input_bound_to_an_amount_is_a_warning_with_its_fix() -> None:
    assert _warnings("{type: string}") == [
        "f.sageflow.yaml:10:18: steps[0].with.costPrice: takes a number; inputs.price is"
        " declared type: string, so a wrong value (12,50) is only refused here: declare"
        " price: {type: number}, or give it a pattern, to refuse it before anything runs"
    ]


@pytest.mark.parametrize(
    ("price", "value"),
    [
        pytest.param("{type: number}", "${{ inputs.price }}", id="number"),
        pytest.param("{type: integer}", "${{ inputs.price }}", id="integer"),
        pytest.param(
            "{type: string, pattern: '^\\d+(\\.\\d+)?$'}", "${{ inputs.price }}", id="pattern"
        ),
        pytest.param("{type: string, enum: ['1.00', '2.00']}", "${{ inputs.price }}", id="enum"),
        pytest.param("{type: string}", "${{ inputs.price }}.00", id="text-around"),
        pytest.param("{type: string}", "'12.50'", id="literal"),
        pytest.param("{type: string}", "${{ double(inputs.price) }}", id="converted"),
    ],
)
def test_no_warning_when_the_input_says_what_it_takes(price: str, value: str) -> None:
    assert _warnings(price, value) == []


def test_a_string_input_bound_to_a_text_field_is_fine() -> None:
    flow = load_flow(
        "f.sageflow.yaml",
        text=FLOW.replace("costPrice: {value}", "description: ${{{{ inputs.price }}}}").format(
            price="{type: string}", value=""
        ),
    )
    assert flow_warnings(flow) == []


@pytest.mark.parametrize(
    "example", sorted(EXAMPLES.glob("*.sageflow.yaml")), ids=lambda p: p.name.split(".")[0]
)
def test_no_example_draws_a_warning(example: Path) -> None:
    assert flow_warnings(load_flow(example)) == []


def test_the_cli_prints_warnings_and_strict_refuses_them(tmp_path: Path) -> None:
    path = tmp_path / "f.sageflow.yaml"
    path.write_text(FLOW.format(price="{type: string}", value="${{ inputs.price }}"))
    runner = CliRunner()
    done = runner.invoke(cli, ["validate", str(path)])
    assert done.exit_code == 0, done.output
    assert f"{path}:10:18: warning: steps[0].with.costPrice: takes a number" in done.stderr
    assert done.stdout == f"{path}: valid (1 steps, 1 warning(s))\n"

    strict = runner.invoke(cli, ["validate", "--strict", str(path)])
    assert strict.exit_code == 2
    assert "invalid (--strict)" in strict.stderr

    as_json = runner.invoke(cli, ["validate", "--json", str(path)])
    report = json.loads(as_json.stdout)
    assert report["valid"] is True
    assert [w["path"] for w in report["warnings"]] == ["steps[0].with.costPrice"]
