"""Every request the pack's components build, held to Sage's own Sage 200 OpenAPI files: the
operation exists with that method, every body field (nested too) is a property of its schema
with the right JSON type and not read-only, and the schema's required fields are sent."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from kit200 import drive

from sage200 import PACK
from sageflow import HTTPRequest
from sageflow._component import Component

SPECS = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "reference"
    / ("sage200-uk-professional-api-v1-openapi")
)
_JSON_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}


@cache
def _operations() -> dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]:
    if not SPECS.is_dir():
        pytest.skip(f"Sage 200 OpenAPI files not found at {SPECS}")
    found = {}
    for file in sorted(SPECS.glob("*.openapi.json")):
        spec = json.loads(file.read_text(encoding="utf-8"))
        for template, methods in spec["paths"].items():
            for method, operation in methods.items():
                found[(method.upper(), template)] = (operation, spec)
    return found


def _match(request: HTTPRequest) -> tuple[str, dict[str, Any], dict[str, Any]]:
    for (method, template), (operation, spec) in _operations().items():
        pattern = "^" + re.sub(r"\{[^}]+\}", r"[0-9]+", template) + "$"
        if method == request.method and re.match(pattern, request.path):
            return template, operation, spec
    raise AssertionError(f"{request.method} {request.path} is no operation of the Sage 200 spec")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _check(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> list[str]:
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    wrong = []
    if kind in _JSON_TYPES and (
        not isinstance(value, _JSON_TYPES[kind]) or (kind != "boolean" and value is True)
    ):
        return [f"{where}: {value!r} is not {kind}"]
    if kind == "array":
        for index, item in enumerate(value):
            wrong += _check(spec, schema.get("items", {}), item, f"{where}[{index}]")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name not in properties:
                wrong.append(f"{where}.{name}: not a property")
                continue
            if _resolve(spec, properties[name]).get("readOnly") or properties[name].get("readOnly"):
                wrong.append(f"{where}.{name}: read-only")
            wrong += _check(spec, properties[name], item, f"{where}.{name}")
        wrong += [
            f"{where}.{name}: required, not sent"
            for name in schema.get("required", [])
            if name not in value
        ]
    if kind == "string" and "maxLength" in schema and len(value) > schema["maxLength"]:
        wrong.append(f"{where}: longer than {schema['maxLength']}")
    return wrong


def _answer(request: HTTPRequest) -> Any:
    if request.method == "DELETE":
        return None
    if request.method == "GET" and not re.search(r"/[0-9]+$", request.path):
        return []
    return {"id": 1, "urn": "1", "reference": "ABB001", "name": "Abbey Retail Ltd"}


COMPONENTS = [pytest.param(c, id=c.key) for c in PACK.components.values()]


def _inputs(component: Component, variant: str) -> dict[str, Any]:
    if variant == "maximal":
        # Every optional input set (the shared conformance kit's filler), so every wire name
        # the component can send is held to the spec, not only the example's.
        from speckit import maximal_input

        return maximal_input(component)
    return dict(component.example_input)


@pytest.mark.parametrize("variant", ["example", "maximal"])
@pytest.mark.parametrize("component", COMPONENTS)
def test_requests_are_operations_of_the_spec(component: Component, variant: str) -> None:
    if component.key == "rawRequest":
        pytest.skip("its path is the caller's")
    inputs = _inputs(component, variant)
    _, sent = drive(component.key, inputs, iter(lambda: _answer, None))
    assert sent
    # The HTTP layer's timeout applies unless a caller asks otherwise (the seed's 2 s did not).
    assert all(request.timeout is None for request in sent)
    for request in sent:
        template, operation, spec = _match(request)
        if request.json is None:
            continue
        body = operation.get("requestBody")
        assert body is not None, f"{request.method} {template} takes no body"
        schema = body["content"]["application/json"]["schema"]
        assert _check(spec, schema, request.json, "$") == [], f"{request.method} {template}"


def test_the_check_can_fail() -> None:
    operation, spec = _operations()[("POST", "/sales_invoices")]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    found = _check(
        spec,
        schema,
        {
            "customer": 1,
            "document_goods_value": "10",
            "tax_analysis_items": [{"goods_amount": 1}],
            "is_eu_trader": True,
            "reference": "x" * 21,
        },
        "$",
    )
    assert sorted(found) == sorted(
        [
            "$.customer: not a property",
            "$.document_goods_value: '10' is not number",
            "$.tax_analysis_items[0].id: required, not sent",
            "$.is_eu_trader: read-only",
            "$.reference: longer than 20",
            "$.customer_id: required, not sent",
        ]
    )
    with pytest.raises(AssertionError, match="no operation"):
        _match(HTTPRequest("POST", "/sales_invoices/1"))
