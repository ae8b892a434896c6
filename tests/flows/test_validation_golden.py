"""Golden validation messages: each broken flow and the exact lines `sageflow validate` prints."""

from __future__ import annotations

import textwrap

import pytest

from sageflow._flows._api import load_flow
from sageflow._flows._load import Limits
from sageflow._flows._problems import FlowValidationError

HEAD = "name: t\nsteps:\n"

CASES = [
    pytest.param(
        HEAD + "  - id: a\n    uses: testpack/createThing\n    with: {name: x, amount: two}\n",
        ['f.sageflow.yaml:5:29: steps[0].with.amount: expected a number, got "two"'],
        id="literal-wrong-type",
    ),
    pytest.param(
        HEAD
        + textwrap.dedent("""\
          - id: a
            uses: testpack/createThing
            with:
              name: x
              lines:
                - {description: d, quantity: two, unitPrice: 1}
        """),
        ['f.sageflow.yaml:8:36: steps[0].with.lines[0].quantity: expected a number, got "two"'],
        id="nested-wrong-type",
    ),
    pytest.param(
        HEAD + "  - id: a\n    uses: testpack/createThng\n",
        [
            "f.sageflow.yaml:4:11: steps[0].uses: unknown component: testpack has no component "
            "'createThng' (did you mean 'testpack/createThing'?)"
        ],
        id="unknown-component",
    ),
    pytest.param(
        HEAD + "  - id: a\n    uses: testpack/createThing\n    with: {name: x, colour: red}\n",
        ["f.sageflow.yaml:5:21: steps[0].with.colour: unknown input for testpack/createThing"],
        id="unknown-input",
    ),
    pytest.param(
        HEAD + "  - id: a\n    uses: testpack/createThing\n    with: {}\n",
        [
            "f.sageflow.yaml:5:11: steps[0].with: missing required input 'name' for "
            "testpack/createThing"
        ],
        id="missing-input",
    ),
    pytest.param(
        HEAD + "  - id: a\n    uses: testpack/listThings\n"
        "  - id: a\n    uses: testpack/listThings\n",
        ["f.sageflow.yaml:5:9: steps[1].id: duplicate step id 'a' (first used by steps[0])"],
        id="duplicate-id",
    ),
    pytest.param(
        HEAD + "  - id: a\n    uses: testpack/createThing\n"
        '    with: {name: "${{ steps.b.output.name }}"}\n'
        "  - id: b\n    uses: testpack/listThings\n",
        [
            "f.sageflow.yaml:5:18: steps[0].with.name: step 'b' runs later (steps[1]); "
            "only earlier steps can be used"
        ],
        id="later-step",
    ),
    pytest.param(
        HEAD + "  - id: a\n    uses: testpack/createThing\n"
        '    with: {name: "${{ steps.zzz.output.name }}"}\n',
        ["f.sageflow.yaml:5:18: steps[0].with.name: no step with id 'zzz'"],
        id="missing-step",
    ),
    pytest.param(
        HEAD + '  - id: a\n    uses: testpack/createThing\n    with: {name: "${{ 1 + }}"}\n',
        [
            "f.sageflow.yaml:5:18: steps[0].with.name: invalid expression: cannot parse '1 +': "
            "at 1:4: Syntax error: mismatched input '<EOF>'"
        ],
        id="expression-syntax",
    ),
    pytest.param(
        HEAD + '  - id: a\n    uses: testpack/createThing\n    with: {name: "${{ secrets.x }}"}\n',
        [
            "f.sageflow.yaml:5:18: steps[0].with.name: unknown variable 'secrets'; "
            "use inputs, steps, run, env or the loop variable"
        ],
        id="unknown-variable",
    ),
    pytest.param(
        HEAD + '  - id: a\n    uses: testpack/createThing\n    with: {name: "${{ item }}"}\n',
        [
            "f.sageflow.yaml:5:18: steps[0].with.name: 'item' is only available in a step "
            "with for_each"
        ],
        id="item-outside-loop",
    ),
    pytest.param(
        HEAD + "  - id: a\n    uses: testpack/createThing\n"
        "    with: {name: \"${{ readFile('/etc/passwd') }}\"}\n",
        ["f.sageflow.yaml:5:18: steps[0].with.name: unknown function readFile()"],
        id="unknown-function",
    ),
    pytest.param(
        "name: t\ninputs:\n  token: {type: string, secret: true}\nsteps:\n"
        '  - id: a\n    uses: testpack/createThing\n    with: {name: "${{ inputs.token }}"}\n',
        [
            "f.sageflow.yaml:7:18: steps[0].with.name: secret inputs.token may only be bound to "
            "a secret field"
        ],
        id="secret-in-plain-field",
    ),
    pytest.param(
        "name: t\nsteps:\n  - id: a\n    uses: testpack/createThing\n"
        '    with: {name: "${{ env.HOME }}"}\n',
        [
            "f.sageflow.yaml:5:18: steps[0].with.name: environment variable 'HOME' is not "
            "declared under env:"
        ],
        id="undeclared-env",
    ),
    pytest.param(
        HEAD + "  - id: Bad-Id\n    uses: testpack/listThings\n    retries: 3\n",
        [
            "f.sageflow.yaml:3:9: steps[0].id: step ids are snake_case (a-z, 0-9, _), got 'Bad-Id'",
            "f.sageflow.yaml:5:5: steps[0].retries: unknown key (did you mean 'retry'?)",
        ],
        id="bad-id-and-unknown-key",
    ),
    pytest.param(
        "name: t\nsteps:\n  - id: a\n    uses: testpack/listThings\n"
        "    on_error: ignore\n    concurrency: 4\n",
        [
            "f.sageflow.yaml:5:15: steps[0].on_error: expected fail or continue, got 'ignore'",
            "f.sageflow.yaml:6:5: steps[0].concurrency: `concurrency` only applies to a step "
            "with for_each",
        ],
        id="bad-on-error-and-concurrency",
    ),
    pytest.param(
        "name: t\na: &x [1]\nb: *x\nsteps: []\n",
        ["f.sageflow.yaml:3:4: (document): YAML aliases (*name) are not allowed in flows"],
        id="alias",
    ),
    pytest.param(
        "name: t\nsteps:\n  - id: a\n    uses: testpack/createThing\n"
        "    with: {name: ${{ true ? 'a' : 'b' }}}\n",
        [
            "f.sageflow.yaml:5:19: (document): invalid YAML: expected ',' or '}', but got '{' "
            "(put quotes around a value whose ${{ }} contains ': ' or '#')"
        ],
        id="unquoted-expression-in-flow-mapping",
    ),
    pytest.param(
        "name: t\nsteps:\n  - id: a\n    uses: testpack/listThings\n"
        "    if: ${{ true ? true : false }}\n",
        [
            "f.sageflow.yaml:5:25: (document): invalid YAML: mapping values are not allowed here "
            "(put quotes around a value whose ${{ }} contains ': ' or '#')"
        ],
        id="unquoted-colon",
    ),
    pytest.param(
        "- just\n- a list\n",
        ["f.sageflow.yaml:1:1: (document): a flow is a mapping with name and steps, got a list"],
        id="not-a-mapping",
    ),
    pytest.param(
        "name: t\n",
        ["f.sageflow.yaml:1:1: (document): missing required key: steps"],
        id="no-steps",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_validation_messages(text: str, expected: list[str]) -> None:
    with pytest.raises(FlowValidationError) as caught:
        load_flow("f.sageflow.yaml", text=text)
    assert [str(p) for p in caught.value.problems] == expected


def test_every_problem_is_reported_at_once() -> None:
    text = HEAD + textwrap.dedent("""\
      - id: a
        uses: testpack/createThing
        with: {name: x, amount: two, colour: red}
      - id: a
        uses: testpack/nope
    """)
    with pytest.raises(FlowValidationError) as caught:
        load_flow("f.sageflow.yaml", text=text)
    assert len(caught.value.problems) == 4


def test_expressions_in_typed_fields_are_checked_when_run_not_now() -> None:
    flow = load_flow(
        "f.sageflow.yaml",
        text="name: t\ninputs: {n: {type: number}}\nsteps:\n  - id: a\n"
        '    uses: testpack/createThing\n    with: {name: x, amount: "${{ inputs.n }}"}\n',
    )
    assert [s.id for s in flow.steps] == ["a"]


@pytest.mark.parametrize(
    ("limits", "text", "message"),
    [
        pytest.param(
            Limits(max_file_bytes=20),
            HEAD + "  - id: a\n    uses: x/y\n",
            "the file is 39 bytes; the limit is 20",
            id="file-size",
        ),
        pytest.param(
            Limits(max_steps=1),
            HEAD + "  - {id: a, uses: testpack/listThings}\n" * 2,
            "2 steps; the limit is 1",
            id="steps",
        ),
        pytest.param(
            Limits(max_expression_chars=10),
            HEAD + "  - id: a\n"
            "    uses: testpack/createThing\n"
            "    with: {name: \"${{ 'aaaaaaaaaaaaaaaa' }}\"}\n",
            "invalid expression: expression is 18 characters; the limit is 10",
            id="expression-length",
        ),
        pytest.param(
            Limits(max_loop_items=2),
            HEAD + "  - id: a\n    for_each: [1, 2, 3]\n    uses: testpack/listThings\n",
            "3 items; the limit is 2",
            id="loop-items",
        ),
        pytest.param(
            Limits(max_depth=5),
            "name: t\nx: [[[[[[[1]]]]]]]\nsteps: []\n",
            "nested deeper than 5 levels",
            id="depth",
        ),
    ],
)
def test_limits_give_clear_errors(limits: Limits, text: str, message: str) -> None:
    with pytest.raises(FlowValidationError) as caught:
        load_flow("f.sageflow.yaml", text=text, limits=limits)
    assert message in [p.message for p in caught.value.problems]


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ["name: t", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    with pytest.raises(FlowValidationError) as caught:
        load_flow("f.sageflow.yaml", text="\n".join(lines) + "\nsteps: []\n")
    assert "aliases" in str(caught.value)
