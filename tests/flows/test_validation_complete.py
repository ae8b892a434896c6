"""Validation that misses nothing it can know: keys whatever their value, known expression
types, enums, input formats, and every operator and macro of standard CEL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sageflow._flows._api import FlowInputError, load_flow, resolve_inputs
from sageflow._flows._expr import Scope, compile_template, helpers, render
from sageflow._flows._problems import FlowValidationError

HEAD = "name: t\ninputs:\n  ref: {type: string}\n  n: {type: integer}\nsteps:\n"


def problems(text: str) -> list[str]:
    with pytest.raises(FlowValidationError) as caught:
        load_flow("f.sageflow.yaml", text=text)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("with_", "expected"),
    [
        pytest.param(
            '{name: x, nmae: "${{ inputs.ref }}"}',
            "f.sageflow.yaml:8:21: steps[0].with.nmae: unknown input for testpack/createThing"
            " (did you mean 'name'?)",
            id="misspelled-key-with-expression-value",
        ),
        pytest.param(
            "{name: x, lines: [{description: d, quantity: 1, unitPrice: 1,"
            ' unitPrise: "${{ inputs.n }}"}]}',
            "f.sageflow.yaml:8:73: steps[0].with.lines[0].unitPrise: unknown input for"
            " testpack/createThing (did you mean 'unitPrice'?)",
            id="nested-misspelled-key-with-expression-value",
        ),
        pytest.param(
            "{name: x, amount: \"${{ 'two' }}\"}",
            'f.sageflow.yaml:8:29: steps[0].with.amount: expected a number, got "two"',
            id="constant-expression-checked-as-literal",
        ),
        pytest.param(
            '{name: "${{ 1 + 2 }}"}',
            "f.sageflow.yaml:8:18: steps[0].with.name: expected a string, got 3",
            id="constant-number-in-string-field",
        ),
        pytest.param(
            '{name: "${{ inputs.n }}"}',
            "f.sageflow.yaml:8:18: steps[0].with.name: expected a string, but inputs.n is"
            " declared type: integer",
            id="integer-input-in-string-field",
        ),
        pytest.param(
            '{name: x, tags: "${{ inputs.ref }}"}',
            "f.sageflow.yaml:8:27: steps[0].with.tags: expected a list, but inputs.ref"
            " is declared type: string",
            id="string-input-in-list-field",
        ),
    ],
)
def test_expression_values_are_checked_where_known(with_: str, expected: str) -> None:
    text = HEAD + f"  - id: a\n    uses: testpack/createThing\n    with: {with_}\n"
    assert problems(text) == [expected]


def test_string_input_in_integer_field_of_a_real_component() -> None:
    text = HEAD + (
        "  - id: a\n    uses: sage_accounting/listContacts\n"
        '    with: {page: "${{ inputs.ref }}", itemsPerPage: "n${{ inputs.n }}"}\n'
    )
    assert problems(text) == [
        "f.sageflow.yaml:8:18: steps[0].with.page: expected an integer, but inputs.ref is"
        " declared type: string",
        "f.sageflow.yaml:8:53: steps[0].with.itemsPerPage: expected an integer, but text"
        " around ${{ }} makes a string",
    ]


def test_enum_literal_is_checked() -> None:
    text = HEAD + (
        "  - id: a\n    uses: sage_accounting/listContacts\n    with: {contactTypeId: CUSTOMERS}\n"
    )
    assert problems(text) == [
        "f.sageflow.yaml:8:27: steps[0].with.contactTypeId: expected 'CUSTOMER' or 'VENDOR',"
        ' got "CUSTOMERS"'
    ]


def test_types_that_fit_pass() -> None:
    # An integer input in a number field, text in a string field, an unknown-typed
    # expression (a step's output) anywhere: nothing to report now.
    flow = load_flow(
        "f.sageflow.yaml",
        text=HEAD
        + "  - id: a\n    uses: testpack/listThings\n"
        + "  - id: b\n    uses: testpack/createThing\n"
        + '    with: {name: "n-${{ inputs.n }}", amount: "${{ inputs.n }}",'
        + ' tags: "${{ steps.a.output.items }}"}\n',
    )
    assert [s.id for s in flow.steps] == ["a", "b"]


FORMATS = (
    "name: t\ninputs:\n"
    "  since: {type: string, format: date}\n"
    "  at: {type: string, format: date-time, optional: true}\n"
    "  mail: {type: string, format: email, optional: true}\n"
    "  site: {type: string, format: uri, optional: true}\n"
    "steps:\n  - id: a\n    uses: testpack/listThings\n"
)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"since": "notadate"}, "input 'since': expected a date such as 2024-01-31"),
        ({"since": "2024-02-30"}, "input 'since': expected a date such as 2024-01-31"),
        ({"since": "2024-01-31", "at": "yesterday"}, "input 'at': expected a date and time"),
        ({"since": "2024-01-31", "mail": "nobody"}, "input 'mail': expected an email address"),
        ({"since": "2024-01-31", "site": "not a uri"}, "input 'site': expected a URI"),
    ],
)
def test_input_formats_are_enforced_before_the_run(given: dict[str, str], message: str) -> None:
    flow = load_flow("f.sageflow.yaml", text=FORMATS)
    with pytest.raises(FlowInputError) as caught:
        resolve_inputs(flow, given)
    assert message in str(caught.value)


def test_input_formats_accept_valid_values() -> None:
    flow = load_flow("f.sageflow.yaml", text=FORMATS)
    given = {
        "since": "2024-02-29",
        "at": "2024-01-31T09:30:00+01:00",
        "mail": "a.b@example.co.uk",
        "site": "https://example.com/x?y=1",
    }
    assert resolve_inputs(flow, given) == given


# Every operator and macro of the CEL spec the issue names, validated in a flow and run.
CEL = [
    pytest.param("${{ !inputs.flag }}", False, id="not"),
    pytest.param("${{ !(inputs.n > 5) && inputs.n in [1, 2, 3] }}", True, id="not-and-in"),
    pytest.param("${{ 'b' in {'a': 1, 'b': 2} }}", True, id="in-map"),
    pytest.param("${{ has(inputs.name) && !has({'a': 1}.b) }}", True, id="has"),
    pytest.param("${{ [1, 5, 9].exists(x, x > 8) }}", True, id="exists"),
    pytest.param("${{ [1, 5, 9].all(x, x > 0) }}", True, id="all"),
    pytest.param("${{ [1, 5, 9].exists_one(x, x > 4) }}", False, id="exists_one"),
    pytest.param("${{ [1, 5, 9].map(x, x * 2) }}", [2, 10, 18], id="map"),
    pytest.param("${{ [1, 5, 9].filter(x, x >= 5) }}", [5, 9], id="filter"),
    pytest.param("${{ [1, 5, 9].map(x, x > 1, -x) }}", [-5, -9], id="map-filter-negate"),
]


@pytest.mark.parametrize(("text", "expected"), CEL)
def test_standard_cel_validates_and_runs(text: str, expected: Any) -> None:
    flow = load_flow(
        "f.sageflow.yaml",
        text="name: t\ninputs:\n  flag: {type: boolean}\n  n: {type: integer}\n"
        "  name: {type: string}\nsteps:\n  - id: a\n    uses: testpack/listThings\n"
        f'    if: "{text}"\n',
    )
    assert flow.steps[0].if_ is not None
    now = dt.datetime(2024, 1, 31, tzinfo=dt.UTC)
    scope = Scope(
        inputs={"flag": True, "n": 2, "name": "Acme"},
        steps={},
        run={},
        env={},
        functions=helpers(lambda: now),
    )
    assert render(compile_template(text), scope) == expected


def test_the_issue_misspelling_on_a_real_component() -> None:
    text = (
        "name: t\ninputs:\n  ref: {type: string}\nsteps:\n  - id: bill\n"
        "    uses: sage_accounting/createPurchaseInvoice\n    with:\n"
        "      contactId: c\n      date: '2024-01-31'\n      dueDate: '2024-02-29'\n"
        '      vendorRefrence: "${{ inputs.ref }}"\n'
        "      invoiceLines: [{description: d, ledgerAccountId: l, quantity: 1, unitPrice: 1}]\n"
    )
    assert problems(text) == [
        "f.sageflow.yaml:11:7: steps[0].with.vendorRefrence: unknown input for"
        " sage_accounting/createPurchaseInvoice (did you mean 'vendorReference'?)"
    ]


def test_an_input_enum_is_checked_against_the_field_enum() -> None:
    text = (
        "name: t\ninputs:\n  kind: {type: string, enum: [CUSTOMER, CUSTOMERS]}\nsteps:\n"
        "  - id: a\n    uses: sage_accounting/listContacts\n"
        '    with: {contactTypeId: "${{ inputs.kind }}"}\n'
    )
    assert problems(text) == [
        "f.sageflow.yaml:7:27: steps[0].with.contactTypeId: inputs.kind may be 'CUSTOMERS';"
        " expected 'CUSTOMER' or 'VENDOR' (did you mean 'CUSTOMER'?)"
    ]
    fitting = text.replace("enum: [CUSTOMER, CUSTOMERS]", "enum: [VENDOR, CUSTOMER]")
    assert load_flow("f.sageflow.yaml", text=fitting).steps


BOUND = (
    "name: t\ninputs:\n  net: {type: string}\n  token: {type: string, secret: true}\n"
    "  flag: {type: boolean, default: false}\nsteps:\n"
    "  - id: a\n    uses: testpack/createThing\n"
    '    with: {name: x, amount: "${{ inputs.net }}"}\n'
    "  - id: b\n    uses: testpack/useToken\n"
    '    with: {token: "${{ inputs.token }}"}\n'
    "  - id: c\n    uses: testpack/createThing\n"
    '    if: "${{ inputs.flag }}"\n'
    '    with: {name: x, amount: "${{ inputs.net }}"}\n'
    "  - id: d\n    uses: testpack/createThing\n    on_error: continue\n"
    '    with: {name: x, amount: "${{ inputs.net }}"}\n'
)


def test_an_input_bound_to_a_field_is_checked_before_the_run() -> None:
    flow = load_flow("f.sageflow.yaml", text=BOUND)
    with pytest.raises(FlowInputError) as caught:
        resolve_inputs(flow, {"net": "abc", "token": "t0k3n"})
    # Reported once, for step a: step c has an `if` and may never send it, and step d's
    # failure is tolerated by on_error: continue.
    assert caught.value.problems == [
        "input 'net': expected a number, got \"abc\" (bound to steps[0].with.amount, step 'a')"
    ]
    assert resolve_inputs(flow, {"net": "12.50", "token": "t0k3n"})["net"] == "12.50"


def test_a_question_mark_inside_a_flow_plain_scalar_reads_as_pyyaml_reads_it() -> None:
    # libyaml reads `{name: b?c}`; PyYAML (the reference) ends a flow plain scalar at `?`.
    # Found by the differential fuzz once the new examples shifted its random damage.
    text = "name: t\nsteps:\n  - id: a\n    uses: testpack/createThing\n    with: {name: b?c}\n"
    found = problems(text)
    assert len(found) == 1
    assert found[0].endswith("invalid YAML: expected ',' or '}', but got '?'")
