"""Every component's requests, held to Sage's v3.1 swagger and guides rather than to itself.

For each registered component, the example input, the least input the model takes, a maximal
one (every optional input set, nested lines too) and the maximal one less each optional line
field are driven through the handler (tests/speckit.py); each request must call an operation of
the spec, with declared query parameters and headers of the right type, a body whose every
field (nested too) is a property of the operation's schema with the right JSON type, and the
fields the spec or Sage's guides make required; and no whole-number input may accept values
outside the spec's range for the field it fills. The one accepted difference is a decimal sent
as a string where the spec says number, which Sage's guide asks for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import Field
from speckit import (
    DECIMAL_AS_STRING,
    Finding,
    Report,
    Spec,
    cases,
    check_component,
    check_request,
    load_spec,
    maximal_input,
    range_differences,
    wire_requests_for,
)

from sageflow import Component, HTTPRequest, components, get_component


def _sage_accounting() -> list[Component]:
    # This spec is Sage Accounting's; the Sage 200 pack is held to its own 11 module specs
    # (tests/pack200/test_s200_spec.py, tests/sage200/test_sandbox_sage200_fidelity.py).
    return [c for c in components() if c.pack == "sage_accounting"]


COMPONENTS = [pytest.param(c, id=c.ref) for c in _sage_accounting()]


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


def test_every_component_sends_only_what_sages_spec_declares(spec: Spec) -> None:
    # One report for the whole pack, so a failure lists every difference at once.
    report = Report()
    for component in _sage_accounting():
        check_component(component, report, spec)
    report.assert_clean()
    # The check really looked: every component sent requests, and the decimals it let through
    # are exactly the strings the guide asks for.
    assert report.requests >= 3 * len(_sage_accounting())
    assert report.allowed, "no decimal was checked: the maximal inputs lost their amounts"
    assert {d.finding.kind for d in report.allowed} == {DECIMAL_AS_STRING}


def test_requests_as_the_http_client_sends_them_match_the_spec_too(spec: Spec) -> None:
    # The client adds what the connection owns (authorization, the idempotency key where the
    # pack's profile puts it, its own headers): all of it held to the same spec.
    report = Report()
    for component in _sage_accounting():
        check_component(component, report, spec, via=wire_requests_for)
    report.assert_clean()
    assert report.requests >= 3 * len(_sage_accounting())


def test_an_idempotency_header_sage_does_not_declare_is_caught_on_the_wire(spec: Spec) -> None:
    from sageflow._http import APIProfile
    from sageflow._http._profile import header_key

    # What the client did before issue 9: X-Idempotency-Key on every write.
    old_way = APIProfile(idempotency=header_key("X-Idempotency-Key"))
    create = get_component("sage_accounting/createContact")
    sent = wire_requests_for(create, dict(create.example_input), spec, profile=old_way)
    (request,) = sent
    found = [f for f in check_request(spec, request) if f.kind != DECIMAL_AS_STRING]
    assert found == [
        Finding("header", "x-idempotency-key", "not a header parameter of POST /contacts")
    ]


@pytest.mark.parametrize("component", COMPONENTS)
def test_maximal_input_sets_every_optional_input(component: Component) -> None:
    # A maximal input that quietly left inputs out would let their wire names go unchecked.
    properties = component.input_schema().get("properties", {})
    left_out = set(properties) - set(maximal_input(component))
    allowed = {"data"} if component.key == "rawRequest" else set()  # JSON xor form body
    assert left_out == allowed


# --- The check can fail: one planted difference of each kind ---------------------------------

LINE = {
    "description": "Consulting",
    "ledger_account_id": "9a994ff1f7f8491ba2ac8b7b8d2f5a20",
    "quantity": "1",
    "unit_price": "100.00",
    "tax_rate_id": "GB_STANDARD",
    "tax_amount": "20.00",
}
INVOICE = {"contact_id": "c1", "date": "2026-03-31", "invoice_lines": [LINE]}


def _without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


PLANTED = [
    pytest.param(
        HTTPRequest("GET", "/contacts", query={"colour": "red"}),
        Finding("query", "?colour", "not a parameter of GET /contacts"),
        id="undeclared-query-parameter",
    ),
    pytest.param(
        HTTPRequest("GET", "/ledger_accounts", query={"deleted_since": "2026-01-01"}),
        Finding("query", "?deleted_since", "not a parameter of GET /ledger_accounts"),
        id="query-parameter-of-another-operation",
    ),
    pytest.param(
        HTTPRequest("GET", "/contacts", query={"show_balance": "yes"}),
        Finding("query-type", "?show_balance", "the spec says boolean"),
        id="query-parameter-wrong-type",
    ),
    pytest.param(
        HTTPRequest("GET", "/contacts", query={"items_per_page": 500}),
        Finding("query-type", "?items_per_page", "the spec allows 1..200"),
        id="query-parameter-out-of-range",
    ),
    pytest.param(
        HTTPRequest("GET", "/sales_invoices", query={"sort": "total_amount:desc"}),
        Finding("query-type", "?sort", "Sage's guide allows only"),
        id="guide-sort-key",
    ),
    pytest.param(
        HTTPRequest("GET", "/sales_orders"),
        Finding("operation", "/sales_orders", "no GET operation on this path"),
        id="unknown-path",
    ),
    pytest.param(
        HTTPRequest("PATCH", "/contacts/c1", json={"contact": {"name": "A"}}),
        Finding("operation", "/contacts/c1", "no PATCH operation"),
        id="unknown-method",
    ),
    pytest.param(
        HTTPRequest("POST", "/contacts", json={"contact": {"name": "A"}}),
        Finding("required", "$.contact.contact_type_ids", "the spec requires it"),
        id="missing-required-field",
    ),
    pytest.param(
        HTTPRequest(
            "POST",
            "/contacts",
            json={"contact": {"name": "A", "contact_type_ids": ["X"], "nmae": 1}},
        ),
        Finding("field", "$.contact.nmae", "not a property"),
        id="undeclared-body-field",
    ),
    pytest.param(
        HTTPRequest(
            "POST",
            "/contacts",
            json={"contact": {"name": "A", "contact_type_ids": ["X"], "credit_days": "30"}},
        ),
        Finding("type", "$.contact.credit_days", "the spec says integer, got '30'"),
        id="integer-sent-as-string",
    ),
    pytest.param(
        HTTPRequest("PUT", "/ledger_accounts/l1", json={"ledger_account": {"gifi_code": 80}}),
        Finding("type", "$.ledger_account.gifi_code", "the spec allows 1000..9999, got 80"),
        id="integer-out-of-range",
    ),
    pytest.param(
        HTTPRequest("POST", "/contacts", json={"contact": {"name": 7, "contact_type_ids": ["X"]}}),
        Finding("type", "$.contact.name", "the spec says string, got 7"),
        id="wrong-json-type",
    ),
    pytest.param(
        HTTPRequest(
            "POST", "/contacts", json={"contact": {"name": "A", "contact_type_ids": ["X", "Y"]}}
        ),
        Finding("type", "$.contact.contact_type_ids", "at most 1"),
        id="guide-one-contact-type",
    ),
    pytest.param(
        HTTPRequest("POST", "/contacts", json={"customer": {"name": "A"}}),
        Finding("body", "$", "wrappers ['contact']"),
        id="wrong-wrapper",
    ),
    pytest.param(
        HTTPRequest(
            "POST",
            "/sales_invoices",
            json={"sales_invoice": {**INVOICE, "invoice_lines": [_without(LINE, "tax_amount")]}},
        ),
        Finding("required", "$.sales_invoice.invoice_lines[0].tax_amount", "tax_rate_id GB_"),
        id="taxed-line-without-tax-amount",
    ),
    pytest.param(
        HTTPRequest(
            "POST",
            "/sales_invoices",
            json={"sales_invoice": {**INVOICE, "invoice_lines": [_without(LINE, "quantity")]}},
        ),
        Finding("required", "$.sales_invoice.invoice_lines[0].quantity", "guide"),
        id="line-without-quantity",
    ),
    pytest.param(
        HTTPRequest(
            "POST",
            "/sales_invoices",
            json={"sales_invoice": {**INVOICE, "invoice_lines": [{**LINE, "vat": "20"}]}},
        ),
        Finding("field", "$.sales_invoice.invoice_lines[0].vat", "not a property"),
        id="nested-undeclared-field",
    ),
    pytest.param(
        HTTPRequest(
            "POST",
            "/sales_invoices",
            json={"sales_invoice": {**INVOICE, "invoice_lines": [{**LINE, "quantity": True}]}},
        ),
        Finding("type", "$.sales_invoice.invoice_lines[0].quantity", "number, got True"),
        id="nested-wrong-type",
    ),
    pytest.param(
        HTTPRequest(
            "POST", "/sales_invoices", json={"sales_invoice": {**INVOICE, "date": "31/03/2026"}}
        ),
        Finding("type", "$.sales_invoice.date", "a date (YYYY-MM-DD)"),
        id="date-format",
    ),
    pytest.param(
        HTTPRequest(
            "POST",
            "/purchase_invoices",
            json={"purchase_invoice": {**INVOICE, "vendor_reference": "V1"}},
        ),
        Finding("required", "$.purchase_invoice.due_date", "the spec requires it"),
        id="purchase-invoice-without-due-date",
    ),
    pytest.param(
        HTTPRequest(
            "POST", "/sales_invoices", json={"sales_invoice": {**INVOICE, "idempotency_id": "k-1"}}
        ),
        Finding("type", "$.sales_invoice.idempotency_id", "32 lowercase hex"),
        id="malformed-idempotency-id",
    ),
    pytest.param(
        HTTPRequest(
            "POST",
            "/sales_invoices",
            json={"sales_invoice": {**INVOICE, "contact": {"idempotency_id": "0" * 32}}},
        ),
        Finding("field", "$.sales_invoice.contact", "not a property"),
        id="idempotency-id-only-in-the-wrapper",
    ),
    pytest.param(
        HTTPRequest("DELETE", "/purchase_invoices/p1", json={"void_reason": "x"}),
        Finding("body", "$.void_reason", "takes no JSON body"),
        id="body-on-a-delete-that-takes-none",
    ),
    pytest.param(
        HTTPRequest(
            "POST",
            "/contacts",
            headers={"X-Idempotency-Key": "k"},
            json={"contact": {"name": "A", "contact_type_ids": ["X"]}},
        ),
        Finding("header", "X-Idempotency-Key", "not a header parameter of POST /contacts"),
        id="header-the-operation-does-not-declare",
    ),
    pytest.param(
        HTTPRequest("GET", "/tax_determinations", query={"date": "2026-03-31"}),
        Finding("required", "?usage", "requires it"),
        id="missing-required-query-parameter",
    ),
]


@pytest.mark.parametrize(("request_", "expected"), PLANTED)
def test_a_planted_difference_is_caught(
    spec: Spec, request_: HTTPRequest, expected: Finding
) -> None:
    found = [f for f in check_request(spec, request_) if f.kind != DECIMAL_AS_STRING]
    assert any(
        f.kind == expected.kind and f.where == expected.where and expected.says in f.says
        for f in found
    ), f"expected {expected}, the check found {found}"


ACCEPTED = [
    pytest.param(
        HTTPRequest("POST", "/sales_invoices", json={"sales_invoice": INVOICE}),
        id="decimals-as-strings",
    ),
    pytest.param(
        HTTPRequest(
            "POST",
            "/sales_invoices",
            json={"sales_invoice": {**INVOICE, "idempotency_id": "a" * 32}},
        ),
        id="guide-idempotency-id-in-the-wrapper",
    ),
    pytest.param(
        HTTPRequest(
            "POST",
            "/sales_invoices",
            json={
                "sales_invoice": {
                    **INVOICE,
                    "invoice_lines": [{**_without(LINE, "tax_amount"), "tax_rate_id": "GB_ZERO"}],
                }
            },
        ),
        id="zero-rate-line-without-tax-amount",
    ),
    pytest.param(
        HTTPRequest(
            "DELETE",
            "/sales_invoices/s1",
            query={"void_reason": "Raised in error"},
            json={"void_reason": "Raised in error"},
        ),
        id="void-reason-in-query-and-body",
    ),
    pytest.param(HTTPRequest("GET", "/businesses", query={"active_only": True}), id="businesses"),
    pytest.param(
        HTTPRequest(
            "GET",
            "/attachments/a1/file",
            headers={"Accept": "application/octet-stream", "X-Business": "b1"},
        ),
        id="declared-and-connection-headers",
    ),
    pytest.param(
        HTTPRequest("GET", "/sales_invoices", query={"sort": "due_date:desc", "page": "2"}),
        id="guide-sort-key-and-string-page",
    ),
]


@pytest.mark.parametrize("request_", ACCEPTED)
def test_what_the_spec_and_guides_allow_passes(spec: Spec, request_: HTTPRequest) -> None:
    found = [f for f in check_request(spec, request_) if f.kind != DECIMAL_AS_STRING]
    assert found == []


def test_decimal_strings_are_the_one_allowed_difference(spec: Spec) -> None:
    found = check_request(
        spec, HTTPRequest("POST", "/sales_invoices", json={"sales_invoice": INVOICE})
    )
    assert {f.where for f in found} == {
        "$.sales_invoice.invoice_lines[0].quantity",
        "$.sales_invoice.invoice_lines[0].unit_price",
        "$.sales_invoice.invoice_lines[0].tax_amount",
    }
    assert {f.kind for f in found} == {DECIMAL_AS_STRING}
    # Not any string: a word where the spec says number is a real difference.
    bad = {**INVOICE, "invoice_lines": [{**LINE, "unit_price": "ten"}]}
    found = check_request(spec, HTTPRequest("POST", "/sales_invoices", json={"sales_invoice": bad}))
    assert (
        Finding(
            "type", "$.sales_invoice.invoice_lines[0].unit_price", "the spec says number, got 'ten'"
        )
        in found
    )


def _planted(component: Component, wrong: Callable[[HTTPRequest], HTTPRequest]) -> Component:
    """``component`` with its handler's requests altered by ``wrong`` on their way out."""
    handler = component.handler

    def planted(inputs: Any) -> Any:
        action = handler(inputs)
        request = next(action)
        try:
            while True:
                request = action.send((yield wrong(request)))
        except StopIteration as done:
            return done.value

    return dataclasses.replace(component, handler=planted)


def test_the_whole_pack_check_fails_and_names_each_planted_difference(spec: Spec) -> None:
    contacts = get_component("sage_accounting/listContacts")
    create = get_component("sage_accounting/createContact")
    invoice = get_component("sage_accounting/createSalesInvoice")

    def extra_query(request: HTTPRequest) -> HTTPRequest:
        return dataclasses.replace(request, query={**request.query, "colour": "red"})

    def string_credit_days(request: HTTPRequest) -> HTTPRequest:
        body = request.json["contact"]
        return dataclasses.replace(request, json={"contact": {**body, "credit_days": "30"}})

    def drop_quantity(request: HTTPRequest) -> HTTPRequest:
        if request.method != "POST":
            return request
        body = request.json["sales_invoice"]
        lines = [_without(line, "quantity") for line in body["invoice_lines"]]
        return dataclasses.replace(
            request, json={"sales_invoice": {**body, "invoice_lines": lines}}
        )

    report = Report()
    for component in (
        _planted(contacts, extra_query),
        _planted(create, string_credit_days),
        _planted(invoice, drop_quantity),
    ):
        check_component(component, report, spec)
    with pytest.raises(AssertionError) as failure:
        report.assert_clean()
    message = str(failure.value)
    assert (
        "sage_accounting/listContacts [example] GET /contacts: ?colour: not a parameter" in message
    )
    assert (
        "sage_accounting/createContact [maximal] POST /contacts: $.contact.credit_days: "
        "the spec says integer, got '30' (type)"
    ) in message
    assert (
        "sage_accounting/createSalesInvoice [minimal] POST /sales_invoices: "
        "$.sales_invoice.invoice_lines[0].quantity: Sage's guide requires it"
    ) in message
    # Caught in every case each component was driven with, each under its own kind.
    planted = {
        "?colour": ("query", contacts),
        "$.contact.credit_days": ("type", create),
        "$.sales_invoice.invoice_lines[0].quantity": ("required", invoice),
    }
    for where, (kind, component) in planted.items():
        caught = {d.case for d in report.differences if d.finding.where == where}
        assert caught == {case for case, _ in cases(component)}, where
        assert {d.finding.kind for d in report.differences if d.finding.where == where} == {kind}


def test_an_input_wider_than_the_spec_is_caught(spec: Spec) -> None:
    create = get_component("sage_accounting/createLedgerAccount")
    assert range_differences(create, spec) == []

    class Wider(create.inputs):  # type: ignore[name-defined,misc]
        gifiCode: int | None = Field(default=None, ge=0, description="GIFI", examples=[8000])

    wider = dataclasses.replace(create, inputs=Wider)
    (found,) = range_differences(wider, spec)
    assert str(found) == (
        "sage_accounting/createLedgerAccount [range] POST /ledger_accounts: "
        "$.ledger_account.gifi_code: input gifiCode accepts 0..None, the spec allows "
        "1000..9999 (range)"
    )
    report = Report()
    check_component(wider, report, spec)
    assert [d.finding.kind for d in report.differences] == ["range"]
