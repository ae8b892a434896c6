"""The mistakes a newcomer made writing flows from the docs alone, and what each now says.

Each case is one that cost a round trip (issue 11, item 4): a step id that does not exist, a
helper's name misspelt, a nominal code where an id goes, a lookup that found nothing, a key
one level too shallow in a component's output.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sageflow._flows._expr import ExpressionError, Scope, compile_template, helpers, render
from sageflow._flows._problems import FlowValidationError
from sageflow._flows._validate import flow_warnings, load_flow

HEAD = "name: f\nsteps:\n  - id: found\n    uses: sage_accounting/listContacts\n"


def _problems(text: str) -> list[str]:
    with pytest.raises(FlowValidationError) as raised:
        load_flow("f.sageflow.yaml", text=text)
    return [str(p) for p in raised.value.problems]


def test_a_step_id_that_exists_nowhere_lists_the_ones_that_do() -> None:
    text = HEAD + (
        "  - id: got\n    uses: sage_accounting/getContact\n"
        "    with: {contactId: '${{ steps.customer.output.items[0].id }}'}\n"
    )
    assert _problems(text) == [
        "f.sageflow.yaml:7:23: steps[1].with.contactId: no step with id 'customer'"
        " (earlier steps: found)"
    ]


def test_a_misspelt_helper_suggests_the_real_one() -> None:
    text = HEAD + "    with: {search: '${{ addDay(today(), 3) }}'}\n"
    assert _problems(text) == [
        "f.sageflow.yaml:5:20: steps[0].with.search: unknown function addDay()"
        " (did you mean addDays()?)"
    ]


def _warnings(text: str) -> list[str]:
    return [str(w) for w in flow_warnings(load_flow("f.sageflow.yaml", text=text))]


LINE = """\
name: f
steps:
  - id: quote
    uses: sage_accounting/createSalesQuote
    with:
      contactId: 0123456789abcdef0123456789abcdef
      date: 2026-01-01
      expiryDate: 2026-02-01
      quoteLines:
        - {description: Work, ledgerAccountId: ACCOUNT, quantity: 1, unitPrice: 10}
"""


def test_a_nominal_code_where_an_id_goes_is_a_warning_with_the_lookup() -> None:
    assert _warnings(LINE.replace("ACCOUNT", "'4000'")) == [
        "f.sageflow.yaml:10:48: steps[0].with.quoteLines[0].ledgerAccountId: '4000' is not"
        " an id: ledgerAccountId takes the record's id (32 characters, like"
        " 9a994ff1f7f8491ba2ac8b7b8d2f5a20), which differs between businesses; look it up in"
        " a step before this one (uses: sage_accounting/listLedgerAccounts, with: {search:"
        " '4000', visible_in: sales}) and pass ${{ steps.THAT_STEP.output.items[0].id }}"
    ]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("9a994ff1f7f8491ba2ac8b7b8d2f5a20", id="an-id"),
        pytest.param("'${{ inputs.account }}'", id="an-expression"),
    ],
)
def test_an_id_or_an_expression_draws_no_warning(value: str) -> None:
    text = LINE.replace("ACCOUNT", value).replace(
        "steps:", "inputs:\n  account: {type: string}\nsteps:"
    )
    assert _warnings(text) == []


def test_an_id_field_whose_ids_people_write_is_left_alone() -> None:
    # Tax rate ids are keys such as GB_STANDARD, not 32-character ids.
    text = LINE.replace("ACCOUNT", "9a994ff1f7f8491ba2ac8b7b8d2f5a20").replace(
        "unitPrice: 10}", "unitPrice: 10, taxRateId: GB_STANDARD}"
    )
    assert _warnings(text) == []


def _scope(steps: dict[str, Any]) -> Scope:
    return Scope(
        inputs={},
        steps=steps,
        run={},
        env={},
        functions=helpers(lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    )


def _failure(text: str, steps: dict[str, Any]) -> str:
    with pytest.raises(ExpressionError) as raised:
        render(compile_template(text), _scope(steps))
    return str(raised.value)


def test_the_first_item_of_an_empty_lookup_says_the_list_is_empty() -> None:
    said = _failure("${{ steps.found.output.items[0].id }}", {"found": {"output": {"items": []}}})
    assert said == (
        "steps.found.output.items[0]: no item 0; the list is empty (guard the step with"
        " size(...) > 0 in its if:, or stop the run in your own words with fail('...'))"
    )


def test_a_key_one_level_too_shallow_says_what_is_there() -> None:
    output = {"invoice": {"invoice_number": "SI-4"}, "sourceId": "q", "created": True}
    said = _failure("${{ steps.invoice.output.invoice_number }}", {"invoice": {"output": output}})
    assert said == (
        "steps.invoice.output.invoice_number: no such key 'invoice_number'"
        " (steps.invoice.output has: created, invoice, sourceId)"
    )


def test_a_helper_named_without_parentheses_says_to_call_it() -> None:
    text = HEAD + "    with: {search: '${{ today }}'}\n"
    assert _problems(text) == [
        "f.sageflow.yaml:5:20: steps[0].with.search: today is a function: call it, today()"
    ]


def test_a_number_in_quotes_where_a_number_goes_says_why_it_is_text() -> None:
    text = "name: f\nsteps:\n  - id: bank\n    uses: sage_accounting/findBankAccount\n"
    assert _problems(text + "    with: {nominalCode: '1220'}\n") == [
        "f.sageflow.yaml:5:25: steps[0].with.nominalCode: expected a whole number, got"
        ' "1220" (the quotes make it text: write 1220 without them)'
    ]
    # Not every string that fails is a quoted number: no hint for "two".
    assert _problems(text + "    with: {nominalCode: two}\n") == [
        'f.sageflow.yaml:5:25: steps[0].with.nominalCode: expected a whole number, got "two"'
    ]


QUOTED = """\
name: f
steps:
  - id: found
    uses: sage_accounting/findContact
    with: {search: Acme}
  - id: invoice
    uses: sage_accounting/convertSalesQuoteToInvoice
    with: {salesQuoteId: "${{ steps.found.output.items[0].id }}", date: 2026-01-01}
outputs:
  number: ${{ steps.invoice.output.OUTPUT }}
"""


def test_a_key_a_closed_output_never_has_is_an_error_before_anything_runs() -> None:
    # Found when the outputs are computed, the run would fail after the invoice was made.
    assert _problems(QUOTED.replace("OUTPUT", "invoice_number")) == [
        "f.sageflow.yaml:10:11: outputs.number: steps.invoice.output has no 'invoice_number'"
        " (did you mean 'invoice'?); sage_accounting/convertSalesQuoteToInvoice returns"
        " created, invoice, sourceId"
    ]
    assert _problems(QUOTED.replace("output.items[0]", "output.item[0]").replace("OUTPUT", "x"))[
        0
    ] == (
        "f.sageflow.yaml:8:26: steps[1].with.salesQuoteId: steps.found.output has no 'item'"
        " (did you mean 'items'?); sage_accounting/findContact returns items"
    )


@pytest.mark.parametrize(
    "output",
    [
        pytest.param("invoice.invoice_number", id="inside-the-record"),
        pytest.param("created", id="a-key-it-has"),
    ],
)
def test_keys_a_closed_output_has_and_keys_of_records_pass(output: str) -> None:
    assert load_flow("f.sageflow.yaml", text=QUOTED.replace("OUTPUT", output)).outputs


def test_a_record_output_takes_any_key() -> None:
    # A created record keeps every field Sage sends, so an unlisted key may well be there.
    text = (
        "name: f\nsteps:\n  - id: made\n    uses: sage_accounting/createContact\n"
        "    with: {name: A, contactTypeIds: [CUSTOMER]}\n"
        "outputs:\n  x: ${{ steps.made.output.some_field_sage_added }}\n"
    )
    assert load_flow("f.sageflow.yaml", text=text).outputs


def test_a_loop_output_is_a_list_and_is_left_alone() -> None:
    text = (
        "name: f\nsteps:\n  - id: each\n    for_each: ${{ [1, 2] }}\n"
        "    uses: sage_accounting/findContact\n    with: {search: x}\n"
        "outputs:\n  n: ${{ size(steps.each.output) }}\n"
    )
    assert load_flow("f.sageflow.yaml", text=text).outputs
