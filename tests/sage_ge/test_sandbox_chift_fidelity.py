"""The Chift sandbox held to Chift's OpenAPI: every route it serves is an operation there with
that method and the query parameters it reads; every body field it accepts or answers is in the
operation's schema; every error it answers has Chift's shape and a code Chift publishes."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from sage_ge.sandbox import DEV_TOKEN, ROUTES, Clock, Sandbox
from sage_ge.sandbox import _core as core

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
SPEC = REFERENCE / "chift-unified-api-openapi-3.1-spec.json"
SAMPLES_README = REFERENCE / "chift-samples" / "README.md"
PREFIX = "/consumers/{consumer_id}/accounting"

#: The query parameters the sandbox reads on each GET (besides folder_id, page, size on lists).
READS: dict[str, set[str]] = {
    "/folders": set(),
    "/folders/{folder_id}": set(),
    "/bookyears": {"folder_id", "page", "size"},
    "/chart-of-accounts": {"folder_id", "page", "size", "classes", "type"},
    "/journals": {"folder_id", "page", "size"},
    "/vat-codes": {"folder_id", "page", "size"},
    "/clients": {"folder_id", "page", "size", "search", "updated_after"},
    "/clients/{client_id}": {"folder_id"},
    "/suppliers": {"folder_id", "page", "size", "search", "updated_after"},
    "/suppliers/{supplier_id}": {"folder_id"},
    "/journal/entries": {
        "folder_id", "page", "size", "journal_id", "date_from", "date_to", "partner_id",
    },
    "/journal/entries/{journal_entry_id}": {"folder_id"},
    "/journal/entries/multi-analytic-plans": {
        "folder_id", "page", "size", "journal_id", "date_from", "date_to", "partner_id",
    },
    "/analytic-plans": {"folder_id", "page", "size"},
    "/analytic-accounts": {"folder_id", "page", "size"},
    "/analytic-accounts/{analytic_account_id}": {"folder_id"},
    "/analytic-accounts/multi-analytic-plans": {"folder_id", "page", "size"},
    "/invoices/{invoice_id}": {"folder_id", "include_invoice_lines"},
    "/invoices/type/{invoice_type}": {
        "folder_id", "page", "size", "date_from", "date_to", "journal_ids", "updated_after",
        "include_invoice_lines",
    },
}  # fmt: skip


INVOICE = {
    "invoice_type": "customer_invoice", "invoice_number": "F2026-0001", "currency": "EUR",
    "untaxed_amount": 100, "tax_amount": 20, "total": 120, "invoice_date": "2026-01-04",
    "due_date": "2026-02-03", "partner_id": "CDUPONT", "reference": "Commande 12",
    "lines": [{"unit_price": 50, "quantity": 2, "untaxed_amount": 100, "tax_rate": 20,
               "tax_amount": 20, "total": 120, "account_number": "706000", "tax_code": "20",
               "description": "Prestation"}],
}  # fmt: skip


@cache
def spec() -> dict[str, Any]:
    if not SPEC.is_file():
        pytest.skip(f"Chift's OpenAPI not found at {SPEC} (../shared is absent)")
    loaded: dict[str, Any] = json.loads(SPEC.read_text(encoding="utf-8"))
    return loaded


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = spec()["components"]["schemas"][name]
    return found


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema(node["$ref"].rsplit("/", 1)[-1])
    return node


def variants(node: dict[str, Any]) -> list[dict[str, Any]]:
    node = resolve(node)
    found = []
    for key in ("anyOf", "oneOf"):
        for option in node.get(key, []):
            found.extend(variants(option))
    return found or [node]


def conforms(value: Any, node: dict[str, Any], where: str) -> None:
    """Every object key of ``value`` is a property of its schema, recursively; required ones
    are present."""
    if isinstance(value, dict):
        objects = [v for v in variants(node) if "properties" in v]
        if not objects:
            return  # a free-form object (additionalProperties)
        shape = objects[0]
        unknown = set(value) - set(shape["properties"])
        assert not unknown, f"{where}: {sorted(unknown)} not in {shape.get('title')}"
        missing = set(shape.get("required", [])) - set(value)
        assert not missing, f"{where}: required {sorted(missing)} missing"
        for key, item in value.items():
            conforms(item, shape["properties"][key], f"{where}.{key}")
    elif isinstance(value, list):
        arrays = [v for v in variants(node) if v.get("type") == "array"]
        assert arrays, f"{where}: a list where the schema has none"
        for n, item in enumerate(value):
            conforms(item, arrays[0]["items"], f"{where}[{n}]")


def operation(template: str, method: str) -> dict[str, Any]:
    paths = spec()["paths"]
    path = PREFIX + template if template != "/token" else template
    assert path in paths, f"{path} is not in Chift's OpenAPI"
    assert method.lower() in paths[path], f"{method} {path} is not in Chift's OpenAPI"
    found: dict[str, Any] = paths[path][method.lower()]
    return found


def test_every_route_is_an_operation_with_its_query_parameters() -> None:
    operation("/token", "POST")
    for template, methods in ROUTES.items():
        for method in methods:
            op = operation(template, method)
            if method == "GET":
                declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
                assert READS[template] <= declared, (template, READS[template] - declared)


def test_the_sandboxs_list_of_chift_routes_is_the_openapis() -> None:
    paths = spec()["paths"]
    listed = {
        path[len(PREFIX) :]: frozenset(m.upper() for m in methods)
        for path, methods in paths.items()
        if path.startswith(PREFIX + "/")
    }
    assert listed == core.CHIFT_ROUTES
    for template, methods in ROUTES.items():
        assert methods <= core.CHIFT_ROUTES[template], template


def test_accepted_body_fields_are_the_schemas() -> None:
    for name in ("ClientItemIn", "SupplierItemIn"):
        assert set(schema(name)["properties"]) == core.PARTY_FIELDS
    assert set(schema("GenericJournalEntry")["properties"]) == core.ENTRY_FIELDS
    assert set(schema("GenericJournalItem")["properties"]) == core.ITEM_FIELDS
    assert set(schema("InvoiceItemInMonoAnalyticPlan")["properties"]) == core.INVOICE_FIELDS
    line = schema("InvoiceLineItemInMonoAnalyticPlan")
    assert set(line["properties"]) == core.INVOICE_LINE_FIELDS
    assert set(schema("InvoiceType")["enum"]) == set(core.INVOICE_TYPES)
    for name in ("ClientItemUpdate", "SupplierItemUpdate"):
        assert set(schema(name)["properties"]) == core.PARTY_UPDATE_FIELDS
    assert set(schema("LedgerAccountItemIn")["properties"]) == core.ACCOUNT_FIELDS
    assert set(schema("JournalIn")["properties"]) == core.JOURNAL_FIELDS
    assert set(schema("JournalInType")["enum"]) == set(core.JOURNAL_IN_TYPES)
    assert set(schema("AccountItemType")["enum"]) == core.ACCOUNT_TYPES
    assert set(core.JOURNAL_IN_TYPES.values()) <= set(schema("JournalType")["enum"])
    assert set(schema("AuthItem")["properties"]) == {
        "clientId", "clientSecret", "accountId", "marketplaceId",
    }  # fmt: skip


def response_schema(template: str, method: str, status: str = "200") -> dict[str, Any]:
    content = operation(template, method)["responses"][status]["content"]
    found: dict[str, Any] = content["application/json"]["schema"]
    return found


def test_answers_conform_to_the_response_schemas() -> None:
    box = Sandbox(clock=Clock.manual())
    http = httpx.Client(
        transport=box.transport(),
        base_url=box.api_base,
        headers={"authorization": f"Bearer {DEV_TOKEN}"},
    )
    entry = {
        "journal_id": "1", "number": "F1", "currency": "EUR", "date": "2026-01-04",
        "reference": "ref #ABCDE#",
        "items": [
            {"account_type": "customer_account", "account": "CDUPONT", "debit": 120, "credit": 0},
            {"account_type": "general_account", "account": "706000", "debit": 0, "credit": 100,
             "tax_code": "20", "description": "Prestation",
             "analytic_distribution": [{"analytic_plan": "1", "analytic_accounts": [
                 {"analytic_account": "PARIS", "percentage": 100}]}]},
            {"account_type": "general_account", "account": "445710", "debit": 0, "credit": 20},
        ],
    }  # fmt: skip
    created = http.post("/journal-entries", json=entry)
    assert created.status_code == 200, created.text
    conforms(created.json(), response_schema("/journal-entries", "POST"), "POST journal-entries")
    client = http.post("/clients", json={"name": "Petit Café", "addresses": []})
    conforms(client.json(), response_schema("/clients", "POST"), "POST clients")
    supplier = http.post("/suppliers", json={"name": "La Poste", "addresses": []})
    conforms(supplier.json(), response_schema("/suppliers", "POST"), "POST suppliers")
    invoice = http.post("/invoices", json=INVOICE)
    assert invoice.status_code == 200, invoice.text
    conforms(invoice.json(), response_schema("/invoices", "POST"), "POST invoices")
    for template, method, path, body in (
        ("/accounts", "POST", "/accounts", {"number": "758000", "name": "Produits divers"}),
        ("/journal", "POST", "/journal", {"code": "BQ3", "name": "Banque 3",
                                          "journal_type": "bank", "counterpart_account": "512000"}),
        ("/clients/{client_id}", "PATCH", "/clients/CDUPONT", {"email": "compta@dupont.fr"}),
        ("/suppliers/{supplier_id}", "PATCH", "/suppliers/FORANGE", {"phone": "0102030405"}),
    ):  # fmt: skip
        written = http.request(method, path, json=body)
        assert written.status_code == 200, written.text
        conforms(written.json(), response_schema(template, method), f"{method} {path}")
    token = httpx.Client(transport=box.transport()).post(
        "http://sandbox/chift/token",
        json={"clientId": "c", "clientSecret": "s", "accountId": box.account_id},
    )
    conforms(token.json(), response_schema("/token", "POST"), "POST token")
    ids = {
        "{folder_id}": "DOSSIER01",
        "{client_id}": "CDUPONT",
        "{supplier_id}": "FORANGE",
        "{journal_entry_id}": created.json()["id"],
        "{invoice_id}": invoice.json()["id"],
        "{invoice_type}": "customer_invoice",
        "{analytic_account_id}": "PARIS",
    }
    for template, methods in ROUTES.items():
        if "GET" not in methods:
            continue
        path = template
        for placeholder, value in ids.items():
            path = path.replace(placeholder, value)
        answer = http.get(
            path, params={"include_invoice_lines": "true"} if "invoice" in path else {}
        )
        assert answer.status_code == 200, (path, answer.text)
        conforms(answer.json(), response_schema(template, "GET"), f"GET {path}")
    box.close()


def published_codes() -> set[str]:
    """Every error code in Chift's OpenAPI, plus the platform codes of Chift's errors page
    (listed in the samples' README)."""
    text = SPEC.read_text(encoding="utf-8")
    if SAMPLES_README.is_file():
        text += SAMPLES_README.read_text(encoding="utf-8")
    return set(re.findall(r"ERROR_[A-Z_]+[A-Z]", text))


def test_every_error_code_the_sandbox_answers_is_chifts() -> None:
    spec()
    source = Path(core.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'"(ERROR_[A-Z_]+)"', source))
    assert "ERROR_ENTRY_NOT_BALANCED" in used
    assert used <= published_codes(), sorted(used - published_codes())


def test_error_bodies_have_chifts_shapes() -> None:
    box = Sandbox(clock=Clock.manual())
    http = httpx.Client(transport=box.transport(), base_url=box.api_base)
    chift_error = set(schema("ChiftError")["properties"])
    validation = set(schema("HTTPValidationError")["properties"])
    item = set(schema("ValidationError")["properties"])
    bearer = {"authorization": f"Bearer {DEV_TOKEN}"}
    answers = [
        http.get("/journals"),
        http.get("/clients/NOBODY", headers=bearer),
        http.get("/journals", params={"size": 500}, headers=bearer),
        http.post("/journal-entries", json={"journal_id": "1"}, headers=bearer),
        http.delete("/clients/CDUPONT", headers=bearer),
    ]
    for answer in answers:
        body = answer.json()
        assert answer.status_code >= 400
        assert body["status"] == "error"
        if isinstance(body.get("detail"), list):
            assert set(body) <= validation
            assert all(set(d) <= item and {"loc", "msg", "type"} <= set(d) for d in body["detail"])
        else:
            assert set(body) <= chift_error
    box.close()
