"""The Sage 200 sandbox against Sage's 11 module specs: routes, fields, types, required fields.

Named ``..._sage200_fidelity`` because ``tests/sandbox/test_sandbox_fidelity.py`` already owns
the module name ``test_sandbox_fidelity`` (the test folders are not packages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from sage200.sandbox import Clock, Sandbox
from sage200.sandbox._core import _EXPAND_TARGETS, ACTIONS, RESOURCES
from sage200.sandbox._wire import Kind

SPECS = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "reference"
    / "sage200-uk-professional-api-v1-openapi"
)
Schema = dict[str, Any]


@cache
def _specs() -> tuple[Schema, ...]:
    files = sorted(SPECS.glob("*.openapi.json"))
    if len(files) != 11:
        pytest.skip(f"the 11 Sage 200 module specs are not at {SPECS}")
    return tuple(json.loads(path.read_text(encoding="utf-8")) for path in files)


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@cache
def _operations() -> dict[tuple[str, str], tuple[Schema, Schema]]:
    """(METHOD, /path/{}) -> (the operation, the spec document holding it)."""
    out: dict[tuple[str, str], tuple[Schema, Schema]] = {}
    for spec in _specs():
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if method in {"get", "post", "put", "delete", "patch"}:
                    out[(method.upper(), _template(path))] = (operation, spec)
    return out


def _resolve(spec: Schema, schema: Schema) -> Schema:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _item(spec: Schema, schema: Schema) -> Schema:
    schema = _resolve(spec, schema)
    if schema.get("type") == "array":
        return _resolve(spec, schema["items"])
    return schema


def _request_schema(method: str, path: str) -> tuple[Schema, Schema]:
    operation, spec = _operations()[(method, path)]
    content = operation["requestBody"]["content"]
    return _item(spec, next(iter(content.values()))["schema"]), spec


def _response_schema(method: str, path: str) -> tuple[Schema, Schema]:
    operation, spec = _operations()[(method, path)]
    content = operation["responses"]["200"]["content"]
    return _item(spec, next(iter(content.values()))["schema"]), spec


def sandbox_routes() -> list[tuple[str, str]]:
    """Every (method, path template) the sandbox serves."""
    routes = [("GET", "/sites"), ("GET", "/current_user")]
    for name, resource in RESOURCES.items():
        routes += [(method, f"/{name}") for method in sorted(resource.on_collection)]
        routes += [(method, f"/{name}/{{}}") for method in sorted(resource.on_record)]
        routes += [("GET", f"/{parent}/{{}}/{name}") for parent in resource.parents]
    routes += [("POST", f"/{name}") for name in ACTIONS]
    return routes


@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(*route, id=" ".join(route)) for route in sandbox_routes()]
)
def test_every_route_exists_in_the_spec_with_that_method(method: str, path: str) -> None:
    assert (method, path) in _operations(), f"{method} {path} is not in Sage 200's module specs"


# -- field types -------------------------------------------------------------------------------


def _type_error(value: Any, schema: Schema) -> str | None:
    kind = schema.get("type")
    if value is None:
        # The module specs mark nothing nullable, yet an unset date or link must be something:
        # the sandbox answers null for those (a settlement date before settlement).
        return None
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
        if ok and schema.get("format") == "date-time":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return f"{value!r} is not a date-time"
    elif kind == "array":
        ok = isinstance(value, list)
    elif kind == "object":
        ok = isinstance(value, dict)
    else:
        return None
    return None if ok else f"{value!r} is not {kind}"


def _check(value: Any, schema: Schema, spec: Schema, path: str, problems: list[str]) -> None:
    schema = _resolve(spec, schema)
    error = _type_error(value, schema)
    if error:
        problems.append(f"{path}: {error}")
        return
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], spec, f"{path}[{index}]", problems)
    elif isinstance(value, dict) and schema.get("properties"):
        for key, inner in value.items():
            if key not in schema["properties"]:
                problems.append(f"{path}.{key}: not in the spec's schema")
            else:
                _check(inner, schema["properties"][key], spec, f"{path}.{key}", problems)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    simulator = Sandbox(clock=Clock.manual())
    yield simulator
    simulator.close()


@pytest.fixture(scope="module")
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sandbox.transport(), base_url=sandbox.api_base, headers=sandbox.headers()
    ) as http:
        yield http


def _expanded_child_schema(name: str) -> tuple[Schema, Schema] | None:
    """An expanded navigation property is ``type: object`` with no properties in the specs:
    check it against its own resource's schema instead."""
    target = _EXPAND_TARGETS.get(name)
    if target is None or ("GET", f"/{target}/{{}}") not in _operations():
        return None
    return _response_schema("GET", f"/{target}/{{}}")


def _check_response(method: str, path: str, body: Any) -> list[str]:
    schema, spec = _response_schema(method, path)
    problems: list[str] = []
    rows = body if isinstance(body, list) else [body]
    for index, row in enumerate(rows):
        _check(row, schema, spec, f"{path}[{index}]", problems)
        for key, value in row.items():
            child = _expanded_child_schema(key) if isinstance(value, dict) else None
            if child is not None:
                _check(value, child[0], child[1], f"{path}[{index}].{key}", problems)
    return problems


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_every_field_returned_is_in_the_spec_with_its_type(client: httpx.Client, name: str) -> None:
    resource = RESOURCES[name]
    params = {"$expand": ",".join(resource.expand)} if resource.expand else {}
    response = client.get(f"/{name}", params=params)
    assert response.status_code == 200, response.text
    rows = response.json()
    assert rows, f"the seed has no {name}: nothing would be checked"
    assert _check_response("GET", f"/{name}", rows) == []
    assert {key for row in rows for key in row} - set(resource.expand) <= resource.fields
    if "GET" in resource.on_record:
        one = client.get(f"/{name}/{rows[-1]['id']}", params=params)
        assert one.status_code == 200, one.text
        assert _check_response("GET", f"/{name}/{{}}", one.json()) == []


def test_sites_and_current_user_match_the_spec(client: httpx.Client) -> None:
    assert _check_response("GET", "/sites", client.get("/sites").json()) == []
    assert _check_response("GET", "/current_user", client.get("/current_user").json()) == []


def _writable_problems(writable: Any, schema: Schema, spec: Schema, path: str) -> list[str]:
    problems: list[str] = []
    properties = _resolve(spec, schema).get("properties", {})
    required = set(_resolve(spec, schema).get("required", []))
    for key, inner in writable.items():
        where = f"{path}{key}"
        if key not in properties:
            problems.append(f"{where}: not in the spec's request schema")
            continue
        field = _resolve(spec, properties[key])
        if field.get("readOnly") and key not in required:
            problems.append(f"{where}: read-only in the spec")
        if isinstance(inner, Kind):
            declared = field.get("type", "?")
            if field.get("format") == "date-time":
                declared += "/date-time"
            if inner.spec_type != declared:
                problems.append(
                    f"{where}: the sandbox takes {inner.spec_type}, the spec {declared}"
                )
        elif isinstance(inner, dict):
            if field.get("type") != "object":
                problems.append(f"{where}: the sandbox takes an object, the spec a {field['type']}")
            else:
                problems += _writable_problems(inner, field, spec, where + ".")
        elif isinstance(inner, list):
            if field.get("type") != "array":
                problems.append(f"{where}: the sandbox takes an array, the spec a {field['type']}")
            else:
                problems += _writable_problems(inner[0], field["items"], spec, where + "[].")
    return problems


def _writes() -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for name, resource in RESOURCES.items():
        if resource.writable is None:
            continue
        if "POST" in resource.on_collection:
            out.append(("POST", f"/{name}", resource.writable))
        if "PUT" in resource.on_record:
            out.append(("PUT", f"/{name}/{{}}", resource.writable))
    out += [("POST", f"/{name}", action.writable) for name, action in ACTIONS.items()]
    return out


@pytest.mark.parametrize(("method", "path", "writable"), _writes(), ids=lambda v: str(v)[:40])
def test_every_field_accepted_is_in_the_spec_with_its_type(
    method: str, path: str, writable: Any
) -> None:
    schema, spec = _request_schema(method, path)
    assert _writable_problems(writable, schema, spec, "") == []


# -- required fields ---------------------------------------------------------------------------


def _valid_bodies(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """A body each POST accepts, built from the seed."""
    company = sandbox.company()
    customer = company.find("customers", reference="BRI001")
    supplier = company.find("suppliers", reference="PAP001")
    bank = company.find("banks", code="1200")
    category = company.find("nominal_report_categories", code="70")
    assert customer
    assert supplier
    assert bank
    assert category
    document = {"document_goods_value": 10, "document_tax_value": 2}
    return {
        "/customers": {"reference": "NEW001", "name": "New Customer Ltd"},
        "/suppliers": {"reference": "NEW001", "name": "New Supplier Ltd"},
        "/nominal_codes": {"reference": "7600", "report_category_id": category["id"]},
        "/cost_centres": {"code": "NEW"},
        "/departments": {"code": "NEW"},
        "/banks": {
            "code": "1220",
            "sort_code": "20-00-00",
            "bank_account_nominal_reference": "1200",
        },
        "/sales_invoices": {"customer_id": customer["id"], **document},
        "/sales_credit_notes": {"customer_id": customer["id"], **document},
        "/purchase_invoices": {"supplier_id": supplier["id"], **document},
        "/purchase_credit_notes": {"supplier_id": supplier["id"], **document},
        "/sales_receipts": {
            "customer_id": customer["id"],
            "bank_id": bank["id"],
            "cheque_value": 5,
        },
        "/purchase_payments": {
            "supplier_id": supplier["id"],
            "bank_id": bank["id"],
            "cheque_value": 5,
        },
        "/bank_payment": {
            "bank_id": bank["id"],
            "nominal_analysis_items": [{"code": "7900", "goods_value": 3}],
        },
        "/bank_receipt": {
            "bank_id": bank["id"],
            "nominal_analysis_items": [{"code": "4010", "goods_value": 3}],
        },
        "/transaction_date_validation": {"date": "2026-01-05", "ledger_type": "LedgerTypeSales"},
    }


def _posts() -> list[str]:
    paths = [f"/{name}" for name, r in RESOURCES.items() if "POST" in r.on_collection]
    return paths + [f"/{name}" for name in ACTIONS if name != "sales_allocations"]


@pytest.mark.parametrize("path", _posts())
def test_required_fields_are_required(path: str) -> None:
    simulator = Sandbox(clock=Clock.manual())
    body = _valid_bodies(simulator)[path]
    schema, _spec = _request_schema("POST", path)
    required = set(schema.get("required", []))
    with httpx.Client(
        transport=simulator.transport(), base_url=simulator.api_base, headers=simulator.headers()
    ) as http:
        for field in sorted(required):
            assert field in body, f"the example body for {path} lacks required {field}"
            response = http.post(path, json={k: v for k, v in body.items() if k != field})
            assert response.status_code == 400, (field, response.text)
        accepted = http.post(path, json=body)
        assert accepted.status_code == 200, accepted.text
        # The answer is the spec's: a urn, the record, or the validation.
        problems = _check_response("POST", path, accepted.json()) if accepted.content else []
        assert problems == []
    simulator.close()


def test_required_fields_of_array_items_are_required(sandbox: Sandbox) -> None:
    simulator = Sandbox(clock=Clock.manual())
    bodies = _valid_bodies(simulator)
    with httpx.Client(
        transport=simulator.transport(), base_url=simulator.api_base, headers=simulator.headers()
    ) as http:
        invoice = bodies["/sales_invoices"]
        no_tax_id = {**invoice, "tax_analysis_items": [{"goods_amount": 10, "tax_amount": 2}]}
        assert http.post("/sales_invoices", json=no_tax_id).status_code == 400
        no_code = {**invoice, "nominal_analysis_items": [{"value": 10}]}
        assert http.post("/sales_invoices", json=no_code).status_code == 400
        customer = bodies["/sales_invoices"]["customer_id"]
        for line in ({"posted_tran_id": 1}, {"value_to_allocate": 1}):
            body = {"customer_id": customer, "allocation_lines": [line, line]}
            assert http.post("/sales_allocations", json=body).status_code == 400
    simulator.close()


def test_spec_success_status_is_200() -> None:
    """Every operation of the module specs documents 200 (and 400) only: the default answer."""
    for method, path in sandbox_routes():
        operation, _ = _operations()[(method, path)]
        assert "200" in operation["responses"], (method, path)
