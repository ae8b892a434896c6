"""The checks every component gets for free, parametrized over the registry.

A new component needs no test of its own to be held to the contract: its manifest is valid and
committed and its example validates on both sides (pydantic and plain jsonschema). The requests
its handler builds are held to Sage's spec by tests/test_conformance_spec.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sageflow import Component, components

ROOT = Path(__file__).resolve().parent.parent


COMPONENTS = [pytest.param(c, id=c.ref) for c in components()]
MANIFESTS = ROOT / "manifests"


ISSUE_KEYS = {
    # the 28 actions of the peer (seed) component, under its keys
    "createContact", "createLedgerAccount", "createPurchaseInvoice", "createSalesInvoice",
    "deleteContact", "deleteContactPerson", "deletePurchaseInvoice", "deleteSalesInvoice",
    "getContact", "getContactPerson", "getLedgerAccount", "getPurchaseInvoice",
    "getSalesInvoice", "listAddressTypes", "listContactPeople", "listContactTypes",
    "listContacts", "listCountries", "listCurrencies", "listLedgerAccountTypes",
    "listLedgerAccounts", "listPurchaseInvoice", "listSalesInvoices", "rawRequest",
    "updateContact", "updateLedgerAccount", "updatePurchaseInvoice", "updateSalesInvoice",
    # and the 10 beyond the seed
    "createContactPerson", "updateContactPerson", "findContact", "listTaxRates", "getTaxRate",
    "listBusinesses", "getBusiness", "getFinancialSettings", "releaseSalesInvoice",
    "releasePurchaseInvoice",
    # and the lists that feed id inputs' choices (issue 11)
    "listAddresses", "listContactPersonTypes",
}  # fmt: skip


def test_at_least_the_issue_components_are_registered() -> None:
    from sage_accounting import PACK

    assert len(ISSUE_KEYS) == 40
    # Triggers (<resource>Changes) are the second kind; tests/triggers/ holds them.
    actions = {key for key, c in PACK.components.items() if c.kind == "action"}
    # Issue 13 adds the rest of the books (catalogue, payments, ...) beside these 40.
    assert actions >= ISSUE_KEYS
    assert {key for key in PACK.components if key not in actions} >= {
        "contactChanges", "contactPersonChanges", "salesInvoiceChanges",
        "purchaseInvoiceChanges", "ledgerAccountChanges",
    }  # fmt: skip
    assert PACK.aliases == {"listPurchaseInvoices": "listPurchaseInvoice"}
    assert PACK.get("listPurchaseInvoices") is PACK.get("listPurchaseInvoice")


@pytest.mark.parametrize("component", COMPONENTS)
def test_manifest_is_committed_and_matches_the_code(component: Component) -> None:
    path = MANIFESTS / component.pack / f"{component.key}.json"
    assert path.exists(), "run `sageflow manifests build`"
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(
        json.dumps(component.manifest())
    )


@pytest.mark.parametrize("component", COMPONENTS)
def test_schemas_are_valid_json_schema(component: Component) -> None:
    jsonschema.Draft202012Validator.check_schema(component.input_schema())
    jsonschema.Draft202012Validator.check_schema(component.output_schema())


@pytest.mark.parametrize("component", COMPONENTS)
def test_example_input_validates_with_pydantic_and_jsonschema(component: Component) -> None:
    component.validate(component.example_input)
    jsonschema.validate(
        component.example_input,
        component.input_schema(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


@pytest.mark.parametrize("component", COMPONENTS)
def test_example_output_validates_against_output_schema(component: Component) -> None:
    jsonschema.validate(dict(component.example_output), component.output_schema())
    component.output.model_validate(dict(component.example_output))


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_input_has_a_description_and_an_example(component: Component) -> None:
    def walk(schema: dict[str, Any], where: str) -> None:
        for name, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{where}.{name} has no description"
            assert (
                prop.get("examples")
                or prop.get("default") is not None
                or ("$ref" in prop or "items" in prop)
            ), f"{where}.{name} has no example"

    schema = component.input_schema()
    walk(schema, "$")
    for name, definition in schema.get("$defs", {}).items():
        walk(definition, f"$defs.{name}")


@pytest.mark.parametrize("component", COMPONENTS)
def test_optional_inputs_are_omitted_not_null(component: Component) -> None:
    text = json.dumps(component.input_schema())
    assert '"null"' not in text


def test_manifest_folder_has_no_file_the_code_does_not_generate() -> None:
    from sageflow import _manifests

    assert _manifests.check(Path(MANIFESTS)) == []
