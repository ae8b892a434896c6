"""A host that never imports Python validates with jsonschema against the committed manifests;
sageflow validates with pydantic. The two must reach the same verdict: on every example, and on
a table of inputs that must be refused (and a few edge inputs that must be accepted)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sageflow import Component, InputValidationError, components
from sageflow._registry import get_component

MANIFESTS = Path(__file__).resolve().parent.parent / "manifests"
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


@cache
def _schema(ref: str) -> dict[str, Any]:
    pack, key = ref.split("/")
    manifest = json.loads((MANIFESTS / pack / f"{key}.json").read_text(encoding="utf-8"))
    return dict(manifest["input"])


def _jsonschema_accepts(ref: str, inputs: dict[str, Any]) -> bool:
    return jsonschema.Draft202012Validator(_schema(ref), format_checker=FORMATS).is_valid(inputs)


def _pydantic_accepts(ref: str, inputs: dict[str, Any]) -> bool:
    try:
        get_component(ref).validate(inputs)
    except InputValidationError:
        return False
    return True


@pytest.mark.parametrize("component", [pytest.param(c, id=c.ref) for c in components()])
def test_both_accept_every_example(component: Component) -> None:
    example = dict(component.example_input)
    assert _pydantic_accepts(component.ref, example)
    assert _jsonschema_accepts(component.ref, example)


C = "sage_accounting/"
LINE = {"description": "Work", "ledgerAccountId": "L1", "quantity": "1", "unitPrice": "10"}
SALE = {"contactId": "C1", "date": "2026-03-31", "invoiceLines": [LINE]}
CONTACT = {"name": "Acme", "contactTypeIds": ["CUSTOMER"]}
RAW = {"method": "GET", "url": "/contacts"}

INVALID = [
    # wrong types
    pytest.param("listContacts", {"itemsPerPage": "100"}, id="int-as-string"),
    pytest.param("listContacts", {"itemsPerPage": 10.5}, id="int-as-fraction"),
    pytest.param("listContacts", {"fetchAll": "true"}, id="bool-as-string"),
    pytest.param("listContacts", {"fetchAll": 1}, id="bool-as-int"),
    pytest.param("createContact", {**CONTACT, "contactTypeIds": "CUSTOMER"}, id="list-as-string"),
    pytest.param("createContact", {**CONTACT, "name": 7}, id="string-as-int"),
    pytest.param("createContact", {**CONTACT, "creditDays": "30"}, id="days-as-string"),
    pytest.param(
        "createSalesInvoice", {**SALE, "invoiceLines": json.dumps([LINE])}, id="json-in-a-string"
    ),
    pytest.param(
        "createSalesInvoice",
        {**SALE, "invoiceLines": [{**LINE, "quantity": [1]}]},
        id="line-qty-list",
    ),
    # unknown keys, missing keys, null
    pytest.param("getContact", {"contactId": "x", "contact_id": "x"}, id="unknown-key"),
    pytest.param(
        "createSalesInvoice",
        {**SALE, "invoiceLines": [{**LINE, "unit_price": "1"}]},
        id="unknown-line-key",
    ),
    pytest.param("getContact", {}, id="missing-required"),
    pytest.param(
        "createSalesInvoice", {k: v for k, v in SALE.items() if k != "date"}, id="missing-date"
    ),
    pytest.param("createSalesInvoice", {**SALE, "invoiceLines": []}, id="no-lines"),
    pytest.param("createContact", {**CONTACT, "contactTypeIds": []}, id="no-contact-types"),
    pytest.param("getContact", {"contactId": ""}, id="empty-id"),
    pytest.param("listContacts", {"search": None}, id="null-optional"),
    pytest.param("getContact", {"contactId": None}, id="null-required"),
    pytest.param(
        "createSalesInvoice",
        {**SALE, "invoiceLines": [{**LINE, "taxRateId": None}]},
        id="null-in-line",
    ),
    # paging ranges
    pytest.param("listContacts", {"itemsPerPage": 0}, id="items-per-page-0"),
    pytest.param("listContacts", {"itemsPerPage": 201}, id="items-per-page-201"),
    pytest.param("listContacts", {"page": 0}, id="page-0"),
    pytest.param("listContacts", {"fetchAll": True, "limit": 0}, id="limit-0"),
    # dates
    pytest.param("createSalesInvoice", {**SALE, "date": "31/03/2026"}, id="date-dmy"),
    pytest.param("createSalesInvoice", {**SALE, "date": "2026-13-01"}, id="date-month-13"),
    pytest.param("createSalesInvoice", {**SALE, "date": "20260331"}, id="date-compact"),
    pytest.param(
        "createSalesInvoice", {**SALE, "date": "2026-03-31T10:00:00Z"}, id="date-with-time"
    ),
    pytest.param("createSalesInvoice", {**SALE, "date": 1774915200}, id="date-as-timestamp"),
    pytest.param("listContacts", {"updated_or_created_since": "yesterday"}, id="since-words"),
    pytest.param("listContacts", {"updated_or_created_since": 1774915200}, id="since-number"),
    pytest.param("listSalesInvoices", {"from_date": "2026-02-30"}, id="from-date-feb-30"),
    # money
    pytest.param("createSalesInvoice", {**SALE, "totalAmount": "12,50"}, id="money-comma"),
    pytest.param("createSalesInvoice", {**SALE, "totalAmount": "£10"}, id="money-currency-sign"),
    pytest.param("createSalesInvoice", {**SALE, "totalAmount": "abc"}, id="money-words"),
    pytest.param("createSalesInvoice", {**SALE, "totalAmount": ""}, id="money-empty"),
    pytest.param("createSalesInvoice", {**SALE, "totalAmount": "NaN"}, id="money-nan"),
    pytest.param("createSalesInvoice", {**SALE, "totalAmount": " 1.5"}, id="money-space"),
    pytest.param("createSalesInvoice", {**SALE, "totalAmount": "1_000"}, id="money-underscore"),
    pytest.param("createSalesInvoice", {**SALE, "totalAmount": True}, id="money-bool"),
    pytest.param("createContact", {**CONTACT, "creditLimit": "5,000"}, id="credit-limit-comma"),
    # rawRequest
    pytest.param("rawRequest", {**RAW, "url": "https://evil.example/x"}, id="url-absolute"),
    pytest.param("rawRequest", {**RAW, "url": "//evil.example/x"}, id="url-protocol-relative"),
    pytest.param("rawRequest", {**RAW, "url": "contacts"}, id="url-no-slash"),
    pytest.param("rawRequest", {**RAW, "url": "/../oauth/token"}, id="url-climb"),
    pytest.param("rawRequest", {**RAW, "url": "/a/../b"}, id="url-dot-dot"),
    pytest.param("rawRequest", {**RAW, "url": "/%2e%2e/x"}, id="url-encoded-dots"),
    pytest.param("rawRequest", {**RAW, "url": "/a%2Fb"}, id="url-encoded-slash"),
    pytest.param("rawRequest", {**RAW, "url": "/a\\b"}, id="url-backslash"),
    pytest.param("rawRequest", {**RAW, "url": "/x@evil.example"}, id="url-userinfo"),
    pytest.param("rawRequest", {**RAW, "url": "/javascript:alert(1)"}, id="url-scheme"),
    pytest.param("rawRequest", {**RAW, "url": "/a\tb"}, id="url-control"),
    pytest.param("rawRequest", {**RAW, "method": "TRACE"}, id="method"),
    pytest.param("rawRequest", {**RAW, "headers": {"Authorization": "Bearer x"}}, id="auth-header"),
    pytest.param("rawRequest", {**RAW, "headers": {"AUTHORIZATION": "x"}}, id="auth-header-upper"),
    pytest.param("rawRequest", {**RAW, "responseType": "xml"}, id="response-type"),
    pytest.param("rawRequest", {**RAW, "fileData": {"f": "not base64!"}}, id="file-not-base64"),
    pytest.param("rawRequest", {**RAW, "maxRetries": -1}, id="retries-negative"),
    # findContact needs a criterion
    pytest.param("findContact", {"contactTypeId": "CUSTOMER"}, id="find-without-criterion"),
]


@pytest.mark.parametrize(("key", "inputs"), INVALID)
def test_both_refuse(key: str, inputs: dict[str, Any]) -> None:
    assert not _pydantic_accepts(C + key, inputs), "pydantic accepted it"
    assert not _jsonschema_accepts(C + key, inputs), "jsonschema accepted it"


VALID = [
    pytest.param("createSalesInvoice", {**SALE, "totalAmount": 12.5}, id="money-number"),
    pytest.param(
        "createSalesInvoice", {**SALE, "totalAmount": "-0.10"}, id="money-negative-string"
    ),
    pytest.param("createSalesInvoice", {**SALE, "totalAmount": 0}, id="money-zero"),
    pytest.param("createContact", {**CONTACT, "creditLimit": "0"}, id="credit-limit-zero"),
    pytest.param("listContacts", {"updated_or_created_since": "2026-03-31"}, id="since-date"),
    pytest.param(
        "listContacts", {"updated_or_created_since": "2026-03-31T10:00:00Z"}, id="since-utc"
    ),
    pytest.param("listContacts", {"deleted_since": "2026-03-31T10:00:00+01:00"}, id="since-offset"),
    pytest.param("listContacts", {"itemsPerPage": 200, "page": 1}, id="items-per-page-200"),
    pytest.param("rawRequest", {**RAW, "url": "/contacts?search=a%20b"}, id="url-query"),
    pytest.param("rawRequest", {**RAW, "headers": {"X-Business": "b"}}, id="x-business"),
    pytest.param("findContact", {"email": "a@b.example"}, id="find-by-email"),
]


@pytest.mark.parametrize(("key", "inputs"), VALID)
def test_both_accept(key: str, inputs: dict[str, Any]) -> None:
    assert _pydantic_accepts(C + key, inputs), "pydantic refused it"
    assert _jsonschema_accepts(C + key, inputs), "jsonschema refused it"
