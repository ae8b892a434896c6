"""Every id-like input says where its choices come from: a lookup component, or a closed enum."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from sageflow._component import Component
from sageflow._options import LABELS_KEY, OPTIONS_KEY, input_paths, input_schema_at
from sageflow._registry import components, get_component

# Sage's documents, beside the checkout as tests/conftest.py finds them.
REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


def _reference(name: str) -> Any:
    path = REFERENCE / name
    if not path.is_file():
        pytest.skip(f"Sage reference material not found at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


#: Inputs named like a code whose value the user writes, not picks from a list.
FREE_TEXT_CODES = {
    "postalCode": "a postcode of an address being entered",
    "deliveryPostalCode": "a postcode of an address being entered",
    "sortCode": "a bank's sort code, from the customer's bank details",
    "nominalCode": "the new account's own code, chosen by the user",
    "gifiCode": "a Canadian GIFI code from the government's list; Sage offers no endpoint",
    "telephoneCountryCode": "a telephone number's dialling code (Sage 200 accounts)",
    "telephoneAreaCode": "a telephone number's area code (Sage 200 accounts)",
    "itemCode": "a product's own code (a shop's SKU), chosen by the user or looked up by it",
}

#: Id inputs whose list Sage has but the pack has no list component for yet (and the sandbox no
#: route): the names below are exact, so a lookup added later makes this table fail as stale.
NO_LIST_COMPONENT_YET = {
    "ledgerAccountClassificationId": "GET /ledger_account_classifications",
}

#: Id inputs whose list depends on another input, which a lookup cannot follow (one fixed list
#: component per input): the id is then picked from that kind's own list.
CHOSEN_BY_ANOTHER_INPUT = {
    "attachmentContextId": "an invoice, credit note, quote, contact... (attachmentContextTypeId)",
    "artefactId": "an invoice, credit note or payment on account (transactionTypeId, contactId)",
    "documentId": "a Sage GE invoice or journal entry (sage_ge/listAttachments' type)",
}

_ID_LIKE = re.compile(r"(Id|Ids|Code)$")


def _inputs() -> Iterator[tuple[Component, str, Mapping[str, Any]]]:
    for component in components():
        schema = component.input_schema()
        for path in input_paths(schema):
            yield component, path, input_schema_at(schema, path)


def _choices(node: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    """(lookup, enum schema) declared on an input or on its list's items."""
    candidates = (node, node.get("items", {}))
    found = next((c[OPTIONS_KEY] for c in candidates if OPTIONS_KEY in c), None)
    enum = next((c for c in candidates if "enum" in c), None)
    return found, enum


ID_INPUTS = [
    pytest.param(c, p, n, id=f"{c.key}.{p}")
    for c, p, n in _inputs()
    if _ID_LIKE.search(p.rsplit(".", 1)[-1])
]
LOOKUPS = [
    pytest.param(c, p, found, id=f"{c.key}.{p}")
    for c, p, n in _inputs()
    if (found := _choices(n)[0]) is not None
]
ENUMS = [
    pytest.param(c, p, enum, id=f"{c.key}.{p}")
    for c, p, n in _inputs()
    if (enum := _choices(n)[1]) is not None
]


@pytest.mark.parametrize(("component", "path", "node"), ID_INPUTS)
def test_every_id_input_has_a_lookup_or_an_enum(
    component: Component, path: str, node: Mapping[str, Any]
) -> None:
    name = path.rsplit(".", 1)[-1].removesuffix("[]")
    found, enum = _choices(node)
    if name in FREE_TEXT_CODES or name in NO_LIST_COMPONENT_YET or name in CHOSEN_BY_ANOTHER_INPUT:
        assert found is None, f"{name} has a lookup now: drop it from the table"
        assert enum is None, f"{name} has an enum now: drop it from the table"
        return
    assert (found is None) != (enum is None), f"{component.ref} {path}: exactly one of the two"


def test_the_tables_of_exceptions_name_real_inputs() -> None:
    names = {p.rsplit(".", 1)[-1] for _, p, _ in _inputs()}
    assert set(FREE_TEXT_CODES) <= names
    assert set(NO_LIST_COMPONENT_YET) <= names
    assert set(CHOSEN_BY_ANOTHER_INPUT) <= names


def _output_fields(component: Component) -> set[str]:
    """Field names of one item of a list component's output."""
    schema = component.output_schema()
    items = schema["properties"]["items"]["items"]
    if "$ref" in items:
        items = schema["$defs"][items["$ref"].rsplit("/", 1)[-1]]
    return set(items["properties"])


@pytest.mark.parametrize(("component", "path", "found"), LOOKUPS)
def test_each_lookup_names_a_read_only_list_and_fields_it_returns(
    component: Component, path: str, found: Mapping[str, Any]
) -> None:
    lister = get_component(found["component"])
    assert lister.annotations.read_only
    fields = _output_fields(lister)
    assert found["value"] in fields
    assert found["label"] in fields
    if "search" in found:
        assert found["search"] in lister.inputs.model_fields
    # The fixed inputs are valid inputs of the list (a typo would list everything).
    lister.validate({**found.get("with", {}), "fetchAll": True})
    assert set(found) <= {"component", "value", "label", "search", "with"}


@pytest.mark.parametrize(("component", "path", "enum"), ENUMS)
def test_each_enum_is_labelled_and_its_values_are_what_the_model_accepts(
    component: Component, path: str, enum: Mapping[str, Any]
) -> None:
    if component.key == "rawRequest":
        return  # HTTP methods and body kinds: words, not Sage records
    # Labels are a mapping (manifests sort its keys), so only the set of values must agree.
    assert sorted(enum[LABELS_KEY]) == sorted(enum["enum"])
    assert all(isinstance(label, str) and label for label in enum[LABELS_KEY].values())


def test_contact_types_are_the_ones_sage_lists() -> None:
    sample = _reference("sage-accounting-v3.1-samples/contact_types__list__DeskproApps-sage.json")
    listed = {item["id"]: item["displayed_as"] for item in sample["$items"]}
    schema = get_component("sage_accounting/createContact").input_schema()
    assert schema["properties"]["contactTypeIds"]["items"][LABELS_KEY] == listed


def test_ledger_account_areas_are_the_swagger_enum() -> None:
    spec = _reference("sage-accounting-v3.1-swagger.json")
    params = {p["name"]: p for p in spec["paths"]["/ledger_accounts"]["get"]["parameters"]}
    schema = get_component("sage_accounting/listLedgerAccounts").input_schema()
    for name in ("visible_in", "not_visible_in"):
        assert sorted(schema["properties"][name]["enum"]) == sorted(params[name]["enum"])


def test_the_sandbox_knows_every_enum_value_of_contact_types() -> None:
    from sage_accounting.sandbox import _seed

    schema = get_component("sage_accounting/listContacts").input_schema()
    assert schema["properties"]["contactTypeId"]["enum"] == [k for k, _ in _seed.CONTACT_TYPES]


@pytest.mark.parametrize(
    ("ref", "inputs", "where"),
    [
        pytest.param(
            "sage_accounting/listContacts",
            {"contactTypeId": "CUSTOMERS"},
            "$.contactTypeId",
            id="contact-type-typo",
        ),
        pytest.param(
            "sage_accounting/createContact",
            {"name": "A", "contactTypeIds": ["SUPPLIER"]},
            "$.contactTypeIds[0]",
            id="contact-types-item",
        ),
        pytest.param(
            "sage_accounting/listLedgerAccounts",
            {"visible_in": "purchasing"},
            "$.visible_in",
            id="area-not-in-swagger",
        ),
        pytest.param(
            "sage_accounting/listSalesInvoices",
            {"statusId": "unpaid"},
            "$.statusId",
            id="status-case",
        ),
    ],
)
def test_a_value_outside_a_closed_set_is_refused_with_its_path(
    ref: str, inputs: dict[str, Any], where: str
) -> None:
    from sageflow import InputValidationError

    with pytest.raises(InputValidationError) as caught:
        get_component(ref).validate(inputs)
    assert [p.path for p in caught.value.problems] == [where]
    assert "expected" in caught.value.problems[0].message


def test_a_flow_with_a_misspelt_contact_type_is_invalid_before_it_runs() -> None:
    # Issue 11: `contactTypeId: CUSTOMERS` used to match nothing, so find-then-create made a
    # duplicate customer; the enum makes `sageflow validate` refuse it with its place.
    from sageflow import FlowValidationError, load_flow

    text = (
        "name: dup\n"
        "steps:\n"
        "  - id: found\n"
        "    uses: sage_accounting/findContact\n"
        "    with: {search: acme, contactTypeId: CUSTOMERS}\n"
    )
    with pytest.raises(FlowValidationError) as caught:
        load_flow("dup.sageflow.yaml", text=text)
    [problem] = caught.value.problems
    assert problem.path == "steps[0].with.contactTypeId"
    assert (problem.line, problem.message) == (
        5,
        "expected 'CUSTOMER' or 'VENDOR', got \"CUSTOMERS\"",
    )
