"""sage_ge's on-request postings (financial entries, miscellaneous operations, invoice payments,
invoices with several analytic plans) against a scripted Chift: the body in Chift's shape, the
request id on every create, and Sage GE's rules refusing locally with nothing sent."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sage_ge.connection import CHIFT, REQUEST_ID_HEADER
from sageflow import CallOptions
from sageflow._errors import InputValidationError
from sageflow._http import Client, Connection

ACCOUNT = "0f3e4c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
CONSUMER = "7d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
DATE = "Sun, 15 Mar 2026 09:00:00 GMT"
YEARS = [
    {"name": "2024", "start": "2024-01-01", "end": "2024-12-31", "closed": True},
    {"name": "2025", "start": "2025-01-01", "end": "2025-12-31", "closed": False},
    {"name": "2026", "start": "2026-01-01", "end": "2026-12-31", "closed": False},
]
JOURNALS = [
    {"id": "1", "code": "VE", "name": "Ventes", "journal_type": "customer_invoice"},
    {"id": "3", "code": "BQ", "name": "Banque", "journal_type": "financial_operation",
     "counterpart_account": "512000"},
    {"id": "4", "code": "OD", "name": "Opérations diverses",
     "journal_type": "miscellaneous_operation"},
    {"id": "5", "code": "BQ2", "name": "Ancienne banque", "journal_type": "financial_operation",
     "blocked": True},
]  # fmt: skip
WRITES = {
    "/financial-entries",
    "/miscellaneous-operation",
    "/invoices/payments",
    "/invoices/multi-analytic-plans",
}


class FakeChift:
    """Chift's answers, scripted; every request kept."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = request.url.path.removeprefix(f"/consumers/{CONSUMER}/accounting")
        if route == "/token":
            return httpx.Response(
                200, json={"access_token": "tok", "token_type": "bearer", "expires_in": 1800}
            )
        if route in ("/bookyears", "/journals"):
            items = YEARS if route == "/bookyears" else JOURNALS
            body = {"items": items, "total": len(items), "page": 1, "size": 100}
            return httpx.Response(200, json=body, headers={"date": DATE})
        if route == "/invoices/payments":
            return httpx.Response(204)
        if route in WRITES:
            return httpx.Response(200, json={"id": "X1", **json.loads(request.content)})
        return httpx.Response(404, json={"status": "error", "message": f"no route {route}"})

    def posted(self, route: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST" and r.url.path.endswith(route)]


def client(chift: FakeChift) -> Client:
    values = {"clientId": "cid", "clientSecret": "s3cret", "accountId": ACCOUNT,
              "consumerId": CONSUMER, "folderId": "DOSSIER01"}  # fmt: skip
    return Client(Connection.from_spec(CHIFT, values), transport=httpx.MockTransport(chift))


def refused(key: str, inputs: dict[str, Any], route: str) -> list[tuple[str, str]]:
    """The problems a refused call names (path, message), after checking nothing was sent."""
    chift = FakeChift()
    with client(chift) as c, pytest.raises(InputValidationError) as caught:
        c.call(f"sage_ge/{key}", inputs)
    assert chift.posted(route) == []
    return [(p.path, p.message) for p in caught.value.problems]


# -- financial entries ---------------------------------------------------------------------------

LABEL = "Prélèvement SEPA ORANGE SA facture 2026-03 n."


def bank(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "journalCode": "BQ",
        "date": "2026-03-12",
        "lines": [
            {"account": "401000", "auxiliaryAccount": "FORANGE", "label": LABEL,
             "amount": "-49.99", "matchingNumber": "AB12"},
            {"account": "627000", "label": "Frais bancaires", "amount": "-5.00",
             "vat": {"vatCode": "20", "amount": "1.00", "vatAccount": "445660"}},
        ],
    }  # fmt: skip
    raw.update(changes)
    return raw


def test_a_financial_entry_is_sent_with_cut_labels_marker_and_number() -> None:
    assert len(LABEL) == 45
    chift = FakeChift()
    with client(chift) as c:
        out = c.call("sage_ge/createFinancialEntry", bank(), CallOptions(idempotency_key="k1"))
    (post,) = chift.posted("/financial-entries")
    assert post.headers[REQUEST_ID_HEADER]
    assert post.url.params["folder_id"] == "DOSSIER01"
    assert "financial_counterpart_account" not in post.url.params
    body = json.loads(post.content)
    assert body["journal_id"] == "3"
    assert body["number"] == out["documentNumber"]
    assert body["reference"] == f"{LABEL} {out['marker']}"
    assert body["items"] == [
        {"account_type": "supplier_account", "account": "FORANGE", "amount": -49.99,
         "description": LABEL[:30], "automated_matching_number": "AB12"},
        {"account_type": "general_account", "account": "627000", "amount": -5,
         "description": "Frais bancaires",
         "tax_info": {"tax_code": "20", "tax_amount": 1, "vat_account": "445660"}},
    ]  # fmt: skip
    assert out["cutLabels"] == [0]
    assert out["entry"]["id"] == "X1"


def test_a_financial_entrys_options_go_in_chifts_query() -> None:
    chift = FakeChift()
    inputs = bank(counterpartAccount="512100", forceCurrencyExchange=True,
                  answerEarly=True, currency="USD", currencyExchangeRate="1.0842",
                  pdf="JVBERi0xLjQKJcfs", pdfName="releve mars.pdf")  # fmt: skip
    with client(chift) as c:
        c.call("sage_ge/createFinancialEntry", inputs)
    (post,) = chift.posted("/financial-entries")
    assert post.url.params["financial_counterpart_account"] == "512100"
    assert post.url.params["force_currency_exchange"] == "true"
    assert post.url.params["ignore_accounting_id"] == "true"
    body = json.loads(post.content)
    assert (body["currency"], body["currency_exchange_rate"]) == ("USD", 1.0842)
    assert (body["pdf"], body["pdf_name"]) == ("JVBERi0xLjQKJcfs", "releve mars.pdf")


@pytest.mark.parametrize(
    ("changes", "rule", "path"),
    [
        ({"lines": [{"account": "411000", "label": "Virement Dupont", "amount": "120"}]},
         "COLLECTIVE_NEEDS_AUXILIARY", "$.lines[0].auxiliaryAccount"),
        ({"journalCode": "OD"}, "JOURNAL_SCOPE", "$.journalCode"),
        ({"journalCode": "BQ2"}, "JOURNAL_OPEN", "$.journalCode"),
        ({"date": "2024-12-31"}, "POSTING_DATE_IN_OPEN_YEAR", "$.date"),
        ({"counterpartAccount": "411000"}, "COLLECTIVE_NEEDS_AUXILIARY", "$.counterpartAccount"),
        ({"lines": [{"account": "627000", "label": "Frais", "amount": "-5",
                     "vat": {"vatCode": "20", "amount": "1", "vatAccount": "401000"}}]},
         "COLLECTIVE_NEEDS_AUXILIARY", "$.lines[0].vat"),
    ],
)  # fmt: skip
def test_a_financial_entry_breaking_a_rule_is_refused_and_not_sent(
    changes: dict[str, Any], rule: str, path: str
) -> None:
    problems = refused("createFinancialEntry", bank(**changes), "/financial-entries")
    assert any(p == path and f"[{rule}]" in m and "Fix:" in m for p, m in problems), problems


def test_an_unknown_journal_is_named_with_the_dossiers() -> None:
    problems = refused("createFinancialEntry", bank(journalCode="CA"), "/financial-entries")
    assert problems[0][0] == "$.journalCode"
    assert "VE, BQ, OD, BQ2" in problems[0][1]


@pytest.mark.parametrize(
    "line",
    [
        {"account": "627000", "label": "x", "amount": "0"},
        {"account": "627000", "label": "x", "amount": "1.234"},
        {"account": "627000", "label": "x", "amount": True},
        {"account": "627000", "label": "x", "amount": "-5", "vat": {"vatCode": "20",
                                                                   "amount": "1"}},
        {"account": "401000", "auxiliaryAccount": "FORANGE", "label": "x", "amount": "-5",
         "vat": {"vatCode": "20", "amount": "0"}},
        {"account": "62A000", "label": "x", "amount": "-5"},
    ],
)  # fmt: skip
def test_hostile_bank_lines_are_refused_before_anything_is_read(line: dict[str, Any]) -> None:
    chift = FakeChift()
    with client(chift) as c, pytest.raises(InputValidationError):
        c.call("sage_ge/createFinancialEntry", bank(lines=[line]))
    assert chift.requests == []


def test_a_financial_entry_with_a_non_pdf_attachment_is_refused() -> None:
    chift = FakeChift()
    with client(chift) as c, pytest.raises(InputValidationError) as caught:
        c.call("sage_ge/createFinancialEntry", bank(pdf="aGVsbG8gd29ybGQ="))
    assert "not a PDF" in str(caught.value)
    assert chift.requests == []


# -- miscellaneous operations --------------------------------------------------------------------


def od(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "journalCode": "OD",
        "operationDate": "2026-03-31",
        "lines": [
            {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "Reclassement",
             "debit": "150.00", "analyticAccount": "PARIS"},
            {"account": "411000", "auxiliaryAccount": "CMOREAU", "label": "Reclassement",
             "credit": "100.50"},
            {"account": "658000", "label": "Écart", "credit": "49.50"},
        ],
    }  # fmt: skip
    raw.update(changes)
    return raw


def test_a_miscellaneous_operation_is_sent_with_signed_amounts_and_partners() -> None:
    chift = FakeChift()
    with client(chift) as c:
        out = c.call("sage_ge/createMiscellaneousOperation", od(status="draft"))
    (post,) = chift.posted("/miscellaneous-operation")
    assert post.headers[REQUEST_ID_HEADER]
    body = json.loads(post.content)
    assert body["journal_id"] == "4"
    assert body["operation_date"] == "2026-03-31"
    assert body["status"] == "draft"
    assert body["operation_number"] == out["operationNumber"]
    assert out["operationNumber"].startswith("SF")
    assert body["lines"] == [
        {"line_number": 1, "description": "Reclassement", "amount": -150,
         "type": "customer_account", "account_number": "411000", "partner_id": "CDUPONT",
         "analytic_account": "PARIS"},
        {"line_number": 2, "description": "Reclassement", "amount": 100.5,
         "type": "customer_account", "account_number": "411000", "partner_id": "CMOREAU"},
        {"line_number": 3, "description": "Écart", "amount": 49.5, "type": "general_account",
         "account_number": "658000"},
    ]  # fmt: skip
    # The same operation sent again carries the same number (a resumed run is recognised).
    with client(FakeChift()) as c:
        again = c.call("sage_ge/createMiscellaneousOperation", od(status="draft"))
    assert again["operationNumber"] == out["operationNumber"]


@pytest.mark.parametrize(
    ("changes", "rule", "path"),
    [
        ({"journalCode": "BQ"}, "JOURNAL_SCOPE", "$.journalCode"),
        ({"operationDate": "2024-06-30"}, "POSTING_DATE_IN_OPEN_YEAR", "$.operationDate"),
        ({"lines": [{"account": "411000", "label": "x", "debit": "10"},
                    {"account": "706000", "label": "y", "credit": "10"}]},
         "COLLECTIVE_NEEDS_AUXILIARY", "$.lines[0].auxiliaryAccount"),
        ({"lines": [{"account": "471000", "label": "x", "debit": "10"},
                    {"account": "706000", "label": "y", "credit": "9.99"}]},
         "ENTRY_BALANCED", "$.lines"),
        ({"lines": [{"account": "471000", "label": "x", "debit": "10"}]},
         "ENTRY_HAS_LINES", "$.lines"),
        ({"lines": [{"account": "471000", "label": "x", "debit": "10", "credit": "10"},
                    {"account": "706000", "label": "y"}]},
         "LINE_DEBIT_OR_CREDIT", "$.lines[0]"),
    ],
)  # fmt: skip
def test_a_miscellaneous_operation_breaking_a_rule_is_refused_and_not_sent(
    changes: dict[str, Any], rule: str, path: str
) -> None:
    problems = refused("createMiscellaneousOperation", od(**changes), "/miscellaneous-operation")
    assert any(p == path and f"[{rule}]" in m for p, m in problems), problems


def test_an_operation_line_cannot_name_an_employee() -> None:
    line = {"account": "421000", "auxiliaryAccount": "EMARTIN", "label": "x", "debit": "1"}
    chift = FakeChift()
    with client(chift) as c, pytest.raises(InputValidationError) as caught:
        c.call("sage_ge/createMiscellaneousOperation", od(lines=[line]))
    assert "42x employee" in str(caught.value)
    assert chift.requests == []


# -- invoice payments ----------------------------------------------------------------------------


def test_an_invoice_payment_is_sent_and_its_204_read() -> None:
    chift = FakeChift()
    inputs = {"date": "2026-04-02", "paymentMethodId": "VIR", "reference": "VIR 0402",
              "number": "REG-1", "currency": "EUR", "currencyExchangeRate": "1",
              "invoices": [{"invoiceId": "INV000001", "amount": "120.00"},
                           {"invoiceId": "INV000002", "amount": "30.10"}]}  # fmt: skip
    with client(chift) as c:
        out = c.call("sage_ge/createInvoicePayment", inputs)
    assert out == {"recorded": True, "total": "150.10", "invoices": 2}
    (post,) = chift.posted("/invoices/payments")
    assert post.headers[REQUEST_ID_HEADER]
    assert json.loads(post.content) == {
        "date": "2026-04-02", "payment_method_id": "VIR", "currency": "EUR",
        "currency_exchange_rate": 1, "reference": "VIR 0402", "number": "REG-1",
        "items": [{"invoice_id": "INV000001", "amount": 120},
                  {"invoice_id": "INV000002", "amount": 30.1}],
    }  # fmt: skip


def test_an_invoice_payment_in_a_closed_year_is_refused_and_not_sent() -> None:
    inputs = {"date": "2024-12-31", "paymentMethodId": "VIR",
              "invoices": [{"invoiceId": "INV000001", "amount": "120.00"}]}  # fmt: skip
    problems = refused("createInvoicePayment", inputs, "/invoices/payments")
    assert problems[0][0] == "$.date"
    assert "[POSTING_DATE_IN_OPEN_YEAR]" in problems[0][1]


@pytest.mark.parametrize(
    "invoices",
    [
        [],
        [{"invoiceId": "INV1", "amount": "0"}],
        [{"invoiceId": "INV1", "amount": "-10"}],
        [{"invoiceId": "INV1", "amount": "10"}, {"invoiceId": "INV1", "amount": "5"}],
    ],
)
def test_a_payment_with_no_zero_negative_or_twice_listed_invoice_is_refused(
    invoices: list[dict[str, Any]],
) -> None:
    chift = FakeChift()
    inputs = {"date": "2026-04-02", "paymentMethodId": "VIR", "invoices": invoices}
    with client(chift) as c, pytest.raises(InputValidationError):
        c.call("sage_ge/createInvoicePayment", inputs)
    assert chift.requests == []


# -- invoices with several analytic plans --------------------------------------------------------


def multi(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "invoiceType": "customer_invoice", "invoiceNumber": "F2026-013",
        "invoiceDate": "2026-03-10", "dueDate": "2026-04-09", "clientId": "CDUPONT",
        "lines": [{"accountNumber": "706000", "description": "Conseil", "quantity": "3",
                   "unitPrice": "33.33", "taxRate": "20", "vatCode": "20",
                   "analytic": [{"plan": "1", "account": "PARIS", "percentage": 60},
                                {"plan": "1", "account": "LYON", "percentage": 40},
                                {"plan": "2", "account": "TRAIT", "percentage": 100}]}],
    }  # fmt: skip
    raw.update(changes)
    return raw


def test_a_multi_plan_invoice_is_sent_with_its_distribution_by_plan() -> None:
    chift = FakeChift()
    with client(chift) as c:
        c.call("sage_ge/createInvoiceMultiAnalyticPlans", multi(forceFinancialPeriod="032026"))
    (post,) = chift.posted("/invoices/multi-analytic-plans")
    assert post.headers[REQUEST_ID_HEADER]
    assert post.url.params["regroup_lines"] == "true"
    assert post.url.params["force_financial_period"] == "032026"
    body = json.loads(post.content)
    assert (body["untaxed_amount"], body["tax_amount"], body["total"]) == (99.99, 20, 119.99)
    (line,) = body["lines"]
    assert "analytic_account" not in line
    assert line["analytic_distribution"] == [
        {"analytic_plan": "1", "analytic_accounts": [
            {"analytic_account": "PARIS", "percentage": 60},
            {"analytic_account": "LYON", "percentage": 40}]},
        {"analytic_plan": "2", "analytic_accounts": [
            {"analytic_account": "TRAIT", "percentage": 100}]},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("analytic", "message"),
    [
        ([{"plan": "1", "account": "PARIS", "percentage": 60}], "add up to 60"),
        ([{"plan": "1", "account": "PARIS", "percentage": "50.5"},
          {"plan": "1", "account": "LYON", "percentage": "49.5"}], "whole percentages"),
    ],
)  # fmt: skip
def test_a_distribution_not_adding_up_to_100_in_whole_percent_is_refused(
    analytic: list[dict[str, Any]], message: str
) -> None:
    inputs = multi()
    inputs["lines"][0]["analytic"] = analytic
    chift = FakeChift()
    with client(chift) as c, pytest.raises(InputValidationError) as caught:
        c.call("sage_ge/createInvoiceMultiAnalyticPlans", inputs)
    assert message in str(caught.value)
    assert chift.requests == []


def test_a_multi_plan_invoice_breaking_a_rule_or_naming_one_account_is_refused() -> None:
    problems = refused(
        "createInvoiceMultiAnalyticPlans", multi(invoiceDate="2024-03-10"),
        "/invoices/multi-analytic-plans",
    )  # fmt: skip
    assert [p for p, _ in problems] == ["$.invoiceDate"]
    inputs = multi()
    inputs["lines"][0]["analyticAccount"] = "PARIS"
    chift = FakeChift()
    with client(chift) as c, pytest.raises(InputValidationError):
        c.call("sage_ge/createInvoiceMultiAnalyticPlans", inputs)
    assert chift.requests == []


# -- analytic accounts of one plan ---------------------------------------------------------------


def test_plan_analytic_accounts_go_to_their_plans_route_with_only_the_inputs_given() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1800})
        return httpx.Response(200, json={"id": "PATIS", "name": "x", "analytic_plan": "2"})

    values = {"clientId": "cid", "clientSecret": "s3cret", "accountId": ACCOUNT,
              "consumerId": CONSUMER}  # fmt: skip
    base = f"/consumers/{CONSUMER}/accounting/analytic-accounts"
    with Client(Connection.from_spec(CHIFT, values), transport=httpx.MockTransport(answer)) as c:
        c.call("sage_ge/createAnalyticAccountMultiAnalyticPlans",
               {"analyticPlan": "2", "code": "PATIS", "name": "Pâtisserie"})  # fmt: skip
        c.call("sage_ge/updateAnalyticAccountMultiAnalyticPlans",
               {"analyticPlan": "2", "analyticAccountId": "PATIS", "active": False})  # fmt: skip
        c.call("sage_ge/getAnalyticAccountMultiAnalyticPlans",
               {"analyticPlan": "2", "analyticAccountId": "PATIS"})  # fmt: skip
        with pytest.raises(InputValidationError):  # nothing that could climb out of the route
            c.call("sage_ge/getAnalyticAccountMultiAnalyticPlans",
                   {"analyticPlan": "../1", "analyticAccountId": "PATIS"})  # fmt: skip
    create, update, get = seen[1:]
    assert (create.method, create.url.path) == ("POST", f"{base}/multi-analytic-plans/2")
    assert json.loads(create.content) == {"code": "PATIS", "name": "Pâtisserie",
                                          "currency": "EUR", "active": True}  # fmt: skip
    assert REQUEST_ID_HEADER in create.headers
    assert (update.method, update.url.path) == ("PATCH", f"{base}/PATIS/multi-analytic-plans/2")
    assert json.loads(update.content) == {"active": False}
    assert (get.method, get.url.path) == ("GET", f"{base}/PATIS/multi-analytic-plans/2")
    assert len(seen) == 4


def test_several_matchings_are_sent_in_one_request_each_with_its_partner() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1800})
        return httpx.Response(200, json=[
            {"matching_number": "AA", "processed": True, "error_msg": None},
            {"matching_number": None, "processed": False, "error_msg": {"message": "no"}},
        ])  # fmt: skip

    values = {"clientId": "cid", "clientSecret": "s3cret", "accountId": ACCOUNT,
              "consumerId": CONSUMER}  # fmt: skip
    with Client(Connection.from_spec(CHIFT, values), transport=httpx.MockTransport(answer)) as c:
        out = c.call("sage_ge/matchEntriesMultiple", {"matchings": [
            {"entries": ["INV1", "E2"], "clientId": "CDUPONT"},
            {"entries": ["INV3", "E4"], "supplierId": "FORANGE"},
        ]})  # fmt: skip
        for bad in ({"entries": ["INV1"], "clientId": "C"},
                    {"entries": ["INV1", "INV1"], "clientId": "C"},
                    {"entries": ["INV1", "E2"], "clientId": "C", "supplierId": "F"}):  # fmt: skip
            with pytest.raises(InputValidationError):
                c.call("sage_ge/matchEntriesMultiple", {"matchings": [bad]})
    assert (out["matched"], out["refused"]) == (1, 1)
    (post,) = seen[1:]
    assert post.url.path.endswith("/matching-multiple")
    assert json.loads(post.content) == {"matchings": [
        {"entries": ["INV1", "E2"], "partner_id": "CDUPONT"},
        {"entries": ["INV3", "E4"], "partner_id": "FORANGE"},
    ]}  # fmt: skip


@pytest.mark.parametrize(
    ("analytic", "message"),
    [
        ([{"plan": "1", "account": "PARIS", "percentage": "60"},
          {"plan": "2", "account": "TRAIT", "percentage": "100"}],
         "plan 1's percentages add up to 60"),
        ([{"plan": "1", "account": "PARIS", "percentage": "33.5"},
          {"plan": "1", "account": "LYON", "percentage": "66.5"}], "whole percentages"),
    ],
)  # fmt: skip
def test_an_entry_line_whose_distribution_chift_would_refuse_is_refused_before_sending(
    analytic: list[dict[str, Any]], message: str
) -> None:
    entry = {
        "journalCode": "OD", "date": "2026-03-10",
        "lines": [{"account": "471000", "label": "x", "debit": "10", "analytic": analytic},
                  {"account": "706000", "label": "y", "credit": "10"}],
    }  # fmt: skip
    chift = FakeChift()
    with client(chift) as c, pytest.raises(InputValidationError) as caught:
        c.call("sage_ge/createJournalEntry", entry)
    assert message in str(caught.value)
    assert chift.requests == []


@pytest.mark.parametrize(
    ("key", "inputs"),
    [
        ("createFinancialEntry", bank(currency="USD")),
        ("createMiscellaneousOperation", od(currency="USD")),
        ("createInvoicePayment", {"date": "2026-04-02", "paymentMethodId": "VIR",
                                  "currency": "USD",
                                  "invoices": [{"invoiceId": "INV1", "amount": "10"}]}),
    ],
)  # fmt: skip
def test_another_currency_than_the_dossiers_needs_its_exchange_rate(
    key: str, inputs: dict[str, Any]
) -> None:
    chift = FakeChift()
    with client(chift) as c, pytest.raises(InputValidationError) as caught:
        c.call(f"sage_ge/{key}", inputs)
    assert "exchange rate to EUR" in str(caught.value)
    assert chift.requests == []


def test_a_multi_plan_invoice_sends_the_invoices_other_fields_as_chift_names_them() -> None:
    chift = FakeChift()
    inputs = multi(status="draft", paymentTermId="30FM", paymentMethodId="VIR",
                   paymentCommunication="F2026-013", customerMemo="Merci",
                   startDate="2026-03-01", endDate="2026-03-31", deliveryDate="2026-03-09",
                   shippingCountry="FR", pdf="JVBERi0xLjQKJcfs", pdfName="F2026-013.pdf",
                   currency="USD", currencyExchangeRate="1.0842")  # fmt: skip
    inputs["lines"][0]["unitOfMeasure"] = "hour"
    with client(chift) as c:
        c.call("sage_ge/createInvoiceMultiAnalyticPlans", inputs)
    body = json.loads(chift.posted("/invoices/multi-analytic-plans")[0].content)
    assert {k: body[k] for k in (
        "status", "payment_term_id", "payment_method_id", "payment_communication",
        "customer_memo", "start_date", "end_date", "delivery_date", "shipping_country", "pdf",
        "pdf_name", "currency", "currency_exchange_rate")} == {
        "status": "draft", "payment_term_id": "30FM", "payment_method_id": "VIR",
        "payment_communication": "F2026-013", "customer_memo": "Merci",
        "start_date": "2026-03-01", "end_date": "2026-03-31", "delivery_date": "2026-03-09",
        "shipping_country": "FR", "pdf": "JVBERi0xLjQKJcfs", "pdf_name": "F2026-013.pdf",
        "currency": "USD", "currency_exchange_rate": 1.0842,
    }  # fmt: skip
    assert body["lines"][0]["unit_of_measure"] == "hour"
    for bad in ({"startDate": "2026-03-31", "endDate": "2026-03-01"}, {"pdf": "aGVsbG8gd29y"}):
        with client(FakeChift()) as c, pytest.raises(InputValidationError):
            c.call("sage_ge/createInvoiceMultiAnalyticPlans", multi(**bad))
