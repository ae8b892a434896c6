"""The Chift sandbox's on-request postings (sandbox/_operations.py) held to Chift's OpenAPI, as
test_sandbox_chift_fidelity.py holds the rest: every route an operation with the query
parameters it reads, every body field it accepts a property of the schema, every answer
conforming to the response schema, every error code one Chift publishes."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from test_sandbox_chift_fidelity import (
    conforms,
    operation,
    published_codes,
    response_schema,
    schema,
    spec,
)

from sage_ge.sandbox import DEV_TOKEN, ROUTES, Clock, Sandbox
from sage_ge.sandbox import _core as core
from sage_ge.sandbox import _operations as ops


def test_every_route_is_an_operation_with_its_query_parameters() -> None:
    for template, methods in ops.ROUTES.items():
        assert methods <= core.CHIFT_ROUTES[template], template
        # Each method of a route served in one place: here or in _core.
        assert not methods & ROUTES.get(template, frozenset()), template
        for method in methods:
            op = operation(template, method)
            if method == "GET":
                declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
                assert ops.READS[template] <= declared, (template, ops.READS[template] - declared)
    assert set(ops.READS) == {t for t, m in ops.ROUTES.items() if "GET" in m}


def test_query_parameters_of_the_creates_are_the_operations() -> None:
    for template, read in (
        ("/financial-entries",
         {"financial_counterpart_account", "force_currency_exchange", "ignore_accounting_id"}),
        ("/invoices/multi-analytic-plans", {"force_financial_period", "regroup_lines"}),
    ):  # fmt: skip
        op = operation(template, "POST")
        declared = {p["name"] for p in op["parameters"] if p["in"] == "query"}
        assert read <= declared, template


def test_accepted_body_fields_are_the_schemas() -> None:
    assert set(schema("AccountingInvoicePaymentIn")["properties"]) == ops.PAYMENT_FIELDS
    assert set(schema("AccountingInvoicePaymentItemIn")["properties"]) == ops.PAYMENT_ITEM_FIELDS
    assert set(schema("MiscellaneousOperationIn")["properties"]) == ops.OPERATION_FIELDS
    assert set(schema("MiscellaneousOperationLine")["properties"]) == ops.OPERATION_LINE_FIELDS
    assert set(schema("MiscellaneousOperationLineType")["enum"]) == ops.OPERATION_LINE_TYPES
    assert set(schema("MiscellaneousOperationStatusIn")["enum"]) == ops.OPERATION_STATUSES
    assert set(schema("FinancialEntryItemIn")["properties"]) == ops.FINANCIAL_FIELDS
    assert set(schema("FinancialEntryLineItem")["properties"]) == ops.FINANCIAL_ITEM_FIELDS
    assert set(schema("TaxInfo")["properties"]) == ops.TAX_INFO_FIELDS
    assert set(schema("EntryLineType")["enum"]) == ops.ENTRY_LINE_TYPES
    line = schema("InvoiceLineItemInMultiAnalyticPlans")
    assert set(line["properties"]) == ops.MULTI_LINE_FIELDS
    # The multi-plan invoice is the mono one but for its lines' distribution.
    assert set(schema("InvoiceItemInMultiAnalyticPlans")["properties"]) == core.INVOICE_FIELDS
    assert set(schema("AttachmentItem")["properties"]) == ops.ATTACHMENT_FIELDS
    assert set(schema("AccountBalanceFilter")["properties"]) == ops.BALANCE_FIELDS
    assert set(schema("MatchingIn")["properties"]) == ops.MATCHING_FIELDS
    assert set(schema("MultipleMatchingIn")["properties"]) == ops.MULTIPLE_MATCHING_FIELDS
    for name in ("AnalyticAccountItemIn", "AnalyticAccountItemUpdate"):
        assert set(schema(name)["properties"]) == ops.ANALYTIC_FIELDS
    pdf_name = schema("FinancialEntryItemIn")["properties"]["pdf_name"]["anyOf"][0]["pattern"]
    assert pdf_name == ops.PDF_NAME.pattern


def test_answers_conform_to_the_response_schemas() -> None:
    spec()
    box = Sandbox(clock=Clock.manual())
    http = httpx.Client(
        transport=box.transport(),
        base_url=box.api_base,
        headers={"authorization": f"Bearer {DEV_TOKEN}"},
    )
    line = {"unit_price": 100, "quantity": 1, "untaxed_amount": 100, "tax_rate": 20,
            "tax_amount": 20, "total": 120, "account_number": "706000", "tax_code": "20",
            "description": "Prestation",
            "analytic_distribution": [{"analytic_plan": "1", "analytic_accounts": [
                {"analytic_account": "PARIS", "percentage": 100}]}]}  # fmt: skip
    invoice = {"invoice_type": "customer_invoice", "invoice_number": "F1", "currency": "EUR",
               "untaxed_amount": 100, "tax_amount": 20, "total": 120,
               "invoice_date": "2026-01-04", "due_date": "2026-02-03", "partner_id": "CDUPONT",
               "lines": [line]}  # fmt: skip
    made = http.post("/invoices/multi-analytic-plans", json=invoice)
    assert made.status_code == 200, made.text
    conforms(made.json(), response_schema("/invoices/multi-analytic-plans", "POST"), "multi")
    financial = {
        "date": "2026-01-04", "journal_id": "3", "currency": "EUR", "reference": "r #ABCDE#",
        "number": "BQ1",
        "items": [{"account_type": "customer_account", "account": "CDUPONT", "amount": 120,
                   "description": "Virement Dupont", "automated_matching_number": "AA"},
                  {"account_type": "general_account", "account": "627000", "amount": -5,
                   "tax_info": {"tax_code": "20", "tax_amount": 1, "vat_account": "445660"}}],
    }  # fmt: skip
    entry = http.post("/financial-entries", json=financial)
    assert entry.status_code == 200, entry.text
    conforms(entry.json(), response_schema("/financial-entries", "POST"), "financial-entries")
    operation_body = {
        "currency": "EUR", "operation_date": "2026-01-04", "journal_id": "4",
        "lines": [{"amount": -10, "type": "customer_account", "account_number": "411000",
                   "partner_id": "CDUPONT", "description": "x", "analytic_account": "PARIS"},
                  {"amount": 10, "type": "customer_account", "account_number": "411000",
                   "partner_id": "CMOREAU", "line_number": 2}],
    }  # fmt: skip
    made_op = http.post("/miscellaneous-operation", json=operation_body)
    assert made_op.status_code == 200, made_op.text
    conforms(made_op.json(), response_schema("/miscellaneous-operation", "POST"), "operation")
    paid = http.post("/invoices/payments", json={
        "date": "2026-01-05", "payment_method_id": "VIR", "currency": "EUR",
        "items": [{"invoice_id": made.json()["id"], "amount": 120}],
    })  # fmt: skip
    assert (paid.status_code, paid.content) == (204, b"")
    pdf = http.post(f"/invoices/pdf/{made.json()['id']}",
                    json={"base64_string": "JVBERi0xLjQKJcfs", "name": "F1.pdf"})  # fmt: skip
    assert (pdf.status_code, pdf.content) == (204, b"")
    balance = http.post(
        "/chart-of-accounts/balance", json={"accounts": ["4", "7"], "end": "202601"}
    )
    assert balance.status_code == 200, balance.text
    assert balance.json()["items"]
    conforms(balance.json(), response_schema("/chart-of-accounts/balance", "POST"), "balance")
    ids = {
        "{invoice_id}": made.json()["id"],
        "{invoice_type}": "customer_invoice",
        "{operation_id}": made_op.json()["id"],
        "{analytic_account_id}": "TRAIT",
        "{analytic_plan}": "2",
    }
    for template, methods in ops.ROUTES.items():
        if "GET" not in methods:
            continue
        path = template
        for placeholder, value in ids.items():
            path = path.replace(placeholder, value)
        params = {
            "/attachments": {"type": "invoice", "document_id": made.json()["id"]},
            "/outstandings": {"type": "client", "unposted_allowed": "false"},
        }.get(template, {"include_invoice_lines": "true"})
        answer = http.get(path, params=params)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.json()["items"] if "items" in answer.json() else answer.json()
        conforms(answer.json(), response_schema(template, "GET"), f"GET {path}")
    for method, template, path, body in (
        ("POST", "/analytic-accounts", "/analytic-accounts",
         {"code": "NANTES", "name": "Nantes", "currency": "EUR"}),
        ("PATCH", "/analytic-accounts/{analytic_account_id}", "/analytic-accounts/NANTES",
         {"name": "Nantes Centre"}),
        ("POST", "/analytic-accounts/multi-analytic-plans/{analytic_plan}",
         "/analytic-accounts/multi-analytic-plans/2",
         {"code": "PATIS", "name": "Pâtisserie", "currency": "EUR", "active": True}),
        ("PATCH", "/analytic-accounts/{analytic_account_id}/multi-analytic-plans/{analytic_plan}",
         "/analytic-accounts/PATIS/multi-analytic-plans/2", {"active": False}),
    ):  # fmt: skip
        written = http.request(method, path, json=body)
        assert written.status_code == 200, (path, written.text)
        conforms(written.json(), response_schema(template, method), f"{method} {path}")
    second = http.post("/invoices", json={**invoice, "invoice_number": "F3", "lines": [
        {k: v for k, v in line.items() if k != "analytic_distribution"}]}).json()  # fmt: skip
    paid_too = http.post("/invoices/payments", json={
        "date": "2026-01-05", "payment_method_id": "CHQ", "currency": "EUR",
        "items": [{"invoice_id": second["id"], "amount": 120}],
    })  # fmt: skip
    assert paid_too.status_code == 204
    payments = http.get(f"/invoices/id/{second['id']}/payments").json()["items"]
    matched = http.post("/matching", json={"entries": [second["id"], payments[0]["id"]],
                                           "partner_id": "CDUPONT"})  # fmt: skip
    assert matched.status_code == 200, matched.text
    conforms(matched.json(), response_schema("/matching", "POST"), "POST matching")
    several = http.post("/matching-multiple", json={"matchings": [
        {"entries": [made.json()["id"], "E999999"], "partner_id": "CDUPONT"}]})  # fmt: skip
    assert several.status_code == 200, several.text
    conforms(several.json(), response_schema("/matching-multiple", "POST"), "matching-multiple")
    # A mono invoice reads back through the multi-plan route too (its one account at 100 %).
    mono = http.post("/invoices", json={**invoice, "invoice_number": "F2",
                                        "lines": [{**{k: v for k, v in line.items()
                                                      if k != "analytic_distribution"},
                                                   "analytic_account": "LYON"}]})  # fmt: skip
    read = http.get(f"/invoices/multi-analytic-plans/{mono.json()['id']}").json()
    assert read["lines"][0]["analytic_distribution"] == [
        {"analytic_plan": "1", "analytic_accounts": [
            {"analytic_account": "LYON", "percentage": 100}]}
    ]  # fmt: skip
    conforms(read, response_schema("/invoices/multi-analytic-plans/{invoice_id}", "GET"), "mono")
    # ... and the mono route still answers its own shape after a multi-plan invoice.
    back = http.get(f"/invoices/{made.json()['id']}", params={"include_invoice_lines": "true"})
    conforms(back.json(), response_schema("/invoices/{invoice_id}", "GET"), "GET invoice")
    box.close()


def test_every_error_code_the_operations_answer_is_chifts() -> None:
    spec()
    source = Path(ops.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'"(ERROR_[A-Z_]+)"', source))
    assert {"ERROR_OPERATION_NOT_BALANCED", "ERROR_NO_OPERATION_LINE"} <= used
    assert used <= published_codes(), sorted(used - published_codes())


def test_a_method_chift_lacks_on_these_routes_is_its_405() -> None:
    box = Sandbox(clock=Clock.manual())
    http = httpx.Client(
        transport=box.transport(),
        base_url=box.api_base,
        headers={"authorization": f"Bearer {DEV_TOKEN}"},
    )
    for method, path in (("DELETE", "/miscellaneous-operation"), ("GET", "/financial-entries"),
                         ("PATCH", "/invoices/payments"), ("GET", "/schemes")):  # fmt: skip
        answer = http.request(method, path)
        assert (answer.status_code, answer.json()["error_code"]) == (
            405, "ERROR_RESOURCE_NOT_SUPPORTED",
        ), path  # fmt: skip
    box.close()
