"""Customers and suppliers, sites, date validation, rawRequest's guard and error parsing."""

from __future__ import annotations

from typing import Any

import pytest
from kit200 import drive

from sage200 import PACK
from sage200._errors import TUNNEL_DOWN, parse_error
from sageflow import HTTPRequest, HTTPResponse, InputValidationError
from sageflow._errors import APIError


def test_create_customer_nests_the_address() -> None:
    inputs = {
        "reference": "ABB001",
        "name": "Abbey",
        "creditLimit": "5000.00",
        "onHold": False,
        "address1": "1 High St",
        "postcode": "RG1 1AA",
    }
    output, (request,) = drive("createCustomer", inputs, [{"id": 5, "reference": "ABB001"}])
    assert (request.method, request.path) == ("POST", "/customers")
    assert request.json == {
        "on_hold": False,
        "credit_limit": 5000,
        "main_address": {"address_1": "1 High St", "postcode": "RG1 1AA"},
        "reference": "ABB001",
        "name": "Abbey",
    }
    assert output["id"] == 5


def test_update_reads_then_puts_reference_name_and_the_changes() -> None:
    current = {"id": 9, "reference": "PAP001", "name": "Paper Mills plc", "credit_limit": 10.0}
    _, (read, write) = drive(
        "updateSupplier",
        {"supplierId": 9, "creditLimit": "750"},
        [current, {**current, "credit_limit": 750.0}],
    )
    assert (read.method, read.path) == ("GET", "/suppliers/9")
    assert (write.method, write.path) == ("PUT", "/suppliers/9")
    assert write.json == {"reference": "PAP001", "name": "Paper Mills plc", "credit_limit": 750}
    _, (_, write) = drive("updateCustomer", {"customerId": 9, "name": "New"}, [current, current])
    assert write.json == {"reference": "PAP001", "name": "New"}


def test_delete_and_find() -> None:
    output, (request,) = drive("deleteCustomer", {"customerId": 12}, [None])
    assert (request.method, request.path, output) == (
        "DELETE",
        "/customers/12",
        {"id": 12, "deleted": True},
    )
    found = [{"id": 1, "reference": "O'B1", "name": "O'Brien Ltd"}]
    output, (request,) = drive(
        "findCustomer", {"reference": "O'B1", "nameContains": "O'Brien"}, [found]
    )
    assert request.query["$filter"] == "reference eq 'O''B1' and contains(name,'O''Brien')"
    assert request.query["$orderby"] == "id"
    assert output == {"items": found}
    with pytest.raises(InputValidationError, match="at least one of reference"):
        PACK.get("findSupplier").validate({})


def test_sites_and_date_validation() -> None:
    sites = [{"site_id": "s", "site_name": "S", "company_id": 1, "company_name": "C"}]
    output, (request,) = drive("listSites", {}, [sites])
    assert (request.path, dict(request.query), output) == (
        "/sites",
        {},
        {"items": sites, "count": 1},
    )
    verdict = {"classification": "Unacceptable", "message": "The period is closed."}
    output, (request,) = drive(
        "validateTransactionDate",
        {"date": "2025-01-31", "ledgerType": "LedgerTypeSales"},
        [verdict],
    )
    assert request.json == {"date": "2025-01-31T00:00:00Z", "ledger_type": "LedgerTypeSales"}
    assert output == verdict


def test_nominal_transactions_for_one_code_since_a_date() -> None:
    inputs = {
        "nominalCodeId": 2207,
        "since": "2026-03-01",
        "filter": [{"field": "credit", "operator": "gt", "value": 0}],
    }
    _, (request,) = drive("listNominalTransactions", inputs, [[]])
    assert request.path == "/nominal_codes/2207/nominal_transaction_enquiry_views"
    assert request.query["$filter"] == "(transaction_date ge 2026-03-01) and (credit gt 0)"


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/x",
        "//evil.example/x",
        "/../oauth/token",
        "/a%2Fb",
        "/x@evil",
        "customers",
        "/a\\b",
    ],
)
def test_raw_request_stays_inside_the_api(url: str) -> None:
    with pytest.raises(InputValidationError):
        PACK.get("rawRequest").validate({"method": "GET", "url": url})


@pytest.mark.parametrize("header", ["Authorization", "OCP-APIM-SUBSCRIPTION-KEY", "Cookie"])
def test_raw_request_cannot_replace_the_credentials(header: str) -> None:
    with pytest.raises(InputValidationError, match="set by the connection"):
        PACK.get("rawRequest").validate(
            {"method": "GET", "url": "/sites", "headers": {header: "x"}}
        )


def test_raw_request_may_address_another_company() -> None:
    inputs = {"method": "GET", "url": "/customers?$top=1", "headers": {"X-Company": "2"}}
    output, (request,) = drive("rawRequest", inputs, [[{"id": 1}]])
    assert (request.path, dict(request.query), dict(request.headers)) == (
        "/customers",
        {"$top": "1"},
        {"X-Company": "2"},
    )
    assert output["body"] == [{"id": 1}]


def _error(status: int, body: bytes) -> APIError:
    return parse_error(HTTPResponse(status, {}, body), HTTPRequest("POST", "/sales_invoices"))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(
            400,
            b'{"message": "The nominal code 9999 does not exist."}',
            "HTTP 400 POST /sales_invoices: The nominal code 9999 does not exist.",
            id="message-object",
        ),
        pytest.param(
            400,
            b'{"Message": "Bad", "field": "customer_id"}',
            "HTTP 400 POST /sales_invoices: Bad (customer_id)",
            id="field",
        ),
        pytest.param(
            400,
            b'[{"code": "E1", "message": "One"}, {"message": "Two"}]',
            "HTTP 400 POST /sales_invoices: E1: One; Two",
            id="list",
        ),
        pytest.param(
            401,
            b'{"statusCode": 401, "message": "Access denied due to invalid subscription key."}',
            "HTTP 401 POST /sales_invoices: 401: Access denied due to invalid subscription key.",
            id="apim-401",
        ),
        pytest.param(
            502,
            b"<html>Bad gateway</html>",
            "HTTP 502 POST /sales_invoices: <html>Bad gateway</html>",
            id="html",
        ),
        pytest.param(504, b"", f"HTTP 504 POST /sales_invoices: {TUNNEL_DOWN}", id="tunnel"),
    ],
)
def test_errors_are_parsed_defensively(status: int, body: bytes, expected: str) -> None:
    error = _error(status, body)
    assert str(error) == expected
    assert error.raw_body == body.decode()  # type: ignore[attr-defined]


def test_a_secret_in_an_error_body_is_masked() -> None:
    from sageflow._http._redact import register_secret

    register_secret("sub-key-should-not-leak-123")
    error: Any = _error(401, b'{"message": "bad key sub-key-should-not-leak-123"}')
    assert "sub-key-should-not-leak-123" not in str(error)
    assert "sub-key-should-not-leak-123" not in error.raw_body
