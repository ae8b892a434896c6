"""The on-request postings round-tripped through the components and the Chift sandbox: what a
flow sends is posted as Sage GE would post it, and what Sage GE refuses comes back with
Chift's error code when the local checks are bypassed (raw HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sage_ge.connection import CHIFT
from sage_ge.sandbox import ACCOUNT_ID, CONSUMER_ID, DEV_TOKEN, Chaos, Clock, Sandbox
from sageflow import CallOptions
from sageflow._errors import APIError, InputValidationError
from sageflow._http import Client, Connection

TODAY = "2026-01-05"  # the manual clock's day: 2024 closed, 2025 and 2026 open


@pytest.fixture
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox(clock=Clock.manual())
    yield sandbox
    sandbox.close()


@pytest.fixture
def flow(box: Sandbox) -> Iterator[Client]:
    values = {"clientId": "cid", "clientSecret": "secret", "accountId": ACCOUNT_ID,
              "consumerId": CONSUMER_ID, "folderId": "DOSSIER01",
              "apiBase": "http://sandbox/chift"}  # fmt: skip
    with Client(Connection.from_spec(CHIFT, values), transport=box.transport()) as client:
        yield client


@pytest.fixture
def http(box: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=box.transport(),
        base_url=box.api_base,
        headers={"authorization": f"Bearer {DEV_TOKEN}"},
        params={"folder_id": "DOSSIER01"},
    ) as client:
        yield client


def code(response: httpx.Response) -> tuple[int, str | None]:
    return response.status_code, response.json().get("error_code")


def balanced(entry: dict[str, Any]) -> bool:
    debit = sum(Decimal(str(i["debit"])) for i in entry["items"])
    credit = sum(Decimal(str(i["credit"])) for i in entry["items"])
    return debit == credit


# -- financial entries ---------------------------------------------------------------------------

LABEL = "Prélèvement SEPA ORANGE SA facture 2026-01 n."


def test_a_financial_entry_is_posted_in_the_bank_journal_with_its_bank_lines(
    box: Sandbox, flow: Client
) -> None:
    inputs = {
        "journalCode": "BQ", "date": "2026-01-04", "comment": "Import Qonto",
        "lines": [
            {"account": "401000", "auxiliaryAccount": "FORANGE", "label": LABEL,
             "amount": "-49.99"},
            {"account": "627000", "label": "Frais tenue de compte", "amount": "-5",
             "vat": {"vatCode": "20", "amount": "1", "vatAccount": "445660"}},
            {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "Virement Dupont",
             "amount": "120"},
        ],
    }  # fmt: skip
    out = flow.call("sage_ge/createFinancialEntry", inputs, CallOptions(idempotency_key="fe-1"))
    assert out["cutLabels"] == [0]
    assert out["entry"]["number"] == out["documentNumber"]
    assert [i["counterpart_account"] for i in out["entry"]["items"]] == ["512000"] * 3
    assert out["entry"]["items"][0]["description"] == LABEL[:30]
    (entry,) = box.records("entries")
    assert entry["journal_id"] == "3"
    assert entry["reference"] == f"Import Qonto {LABEL} {out['marker']}"
    assert balanced(entry)
    assert [(i["account_number"], i["partner_id"], i["debit"], i["credit"])
            for i in entry["items"]] == [
        ("401000", "FORANGE", 49.99, 0.0), ("512000", None, 0.0, 49.99),
        ("627000", None, 5.0, 0.0), ("445660", None, 1.0, 0.0), ("512000", None, 0.0, 6.0),
        ("411000", "CDUPONT", 0.0, 120.0), ("512000", None, 120.0, 0.0),
    ]  # fmt: skip
    assert all(len(i["description"]) <= 30 for i in entry["items"])
    # The marker finds it again (findJournalEntry reads /journal/entries).
    found = flow.call("sage_ge/findJournalEntry", {"marker": out["marker"], "date": "2026-01-04"})
    assert [e["id"] for e in found["entries"]] == [entry["id"]]


def test_a_repeated_financial_entry_is_answered_not_posted_twice(
    box: Sandbox, flow: Client
) -> None:
    inputs = {"journalCode": "BQ", "date": "2026-01-04",
              "lines": [{"account": "627000", "label": "Frais", "amount": "-5"}]}  # fmt: skip
    box.chaos = Chaos(drop_rate=1.0)  # the connection drops after every committed write
    out = flow.call("sage_ge/createFinancialEntry", inputs, CallOptions(idempotency_key="fe-2"))
    # Found again (answered under its x-chift-client-requestid, or by its marker), not posted
    # a second time.
    assert box.stats.faults["drop"] == 1
    (entry,) = box.records("entries")
    assert out["entry"]["id"] == entry["id"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"journal_id": "4"}, 400, "ERROR_JOURNAL_NOT_GOOD_SCOPE"),
        ({"journal_id": "5"}, 400, "ERROR_JOURNAL_NOT_GOOD_SCOPE"),  # BQ2, closed
        ({"journal_id": "99"}, 404, "ERROR_JOURNAL_NOT_FOUND"),
        ({"date": "2024-06-30"}, 400, "ERROR_BOOKYEAR_NOT_FOUND"),
        ({"currency": "USD"}, 404, "ERROR_CURRENCY_NOT_FOUND"),
        ({"pdf": "aGVsbG8="}, 400, "ERROR_INVALID_BASE64_STRING"),
        ({"items": [{"account_type": "general_account", "account": "411000", "amount": 10}]},
         400, "ERROR_ACCOUNT_NUMBER_NOT_GOOD_SCOPE"),
        ({"items": [{"account_type": "general_account", "account": "999999", "amount": 10}]},
         404, "ERROR_ACCOUNT_NUMBER_NOT_FOUND"),
        ({"items": [{"account_type": "supplier_account", "account": "FNOBODY", "amount": 10}]},
         404, "ERROR_PARTNER_NOT_FOUND"),
        ({"items": [{"account_type": "employee_account", "account": "ENOBODY", "amount": 10}]},
         404, "ERROR_EMPLOYEE_NOT_FOUND"),
        ({"items": [{"account_type": "general_account", "account": "627000", "amount": -5,
                     "tax_info": {"tax_code": "99", "tax_amount": 1, "vat_account": "445660"}}]},
         404, "ERROR_TAX_CODE_NOT_FOUND"),
        ({"items": [{"account_type": "supplier_account", "account": "FORANGE", "amount": -5,
                     "tax_info": {"tax_code": "20", "tax_amount": 1}}]}, 422, None),
        ({"items": []}, 422, None),
        ({"memo": "x"}, 422, None),
    ],
)  # fmt: skip
def test_chift_refuses_a_financial_entry_sage_ge_would_reject(
    box: Sandbox, http: httpx.Client, body: dict[str, Any], status: int, error: str | None
) -> None:
    entry = {"date": "2026-01-04", "journal_id": "3", "currency": "EUR",
             "items": [{"account_type": "general_account", "account": "627000",
                        "amount": -5}]}  # fmt: skip
    answer = http.post("/financial-entries", json={**entry, **body})
    assert code(answer) == (status, error), answer.text
    assert box.records("entries") == []


def test_the_bank_account_comes_from_the_query_when_given(box: Sandbox, http: httpx.Client) -> None:
    http.post("/accounts", json={"number": "512100", "name": "Banque 2"})
    body = {
        "date": "2026-01-04",
        "journal_id": "3",
        "currency": "EUR",
        "items": [{"account_type": "general_account", "account": "627000", "amount": -5}],
    }
    answer = http.post("/financial-entries", json=body,
                       params={"financial_counterpart_account": "512100"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"][0]["counterpart_account"] == "512100"
    assert answer.json()["number"] == "BQ000001"
    (entry,) = box.records("entries")
    assert entry["items"][1]["account_number"] == "512100"


# -- miscellaneous operations --------------------------------------------------------------------


def test_a_miscellaneous_operation_is_posted_listed_and_read(box: Sandbox, flow: Client) -> None:
    inputs = {
        "journalCode": "OD", "operationDate": "2026-01-04",
        "lines": [
            {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "Reclassement",
             "debit": "150.00", "analyticAccount": "PARIS"},
            {"account": "411000", "auxiliaryAccount": "CMOREAU", "label": "Reclassement",
             "credit": "150.00"},
        ],
    }  # fmt: skip
    out = flow.call("sage_ge/createMiscellaneousOperation", inputs)
    operation = out["operation"]
    assert (operation["journal_id"], operation["status"]) == ("4", "posted")
    assert operation["operation_number"] == out["operationNumber"]
    (entry,) = box.records("entries")
    assert entry["name"] == out["operationNumber"]
    assert [(i["account_number"], i["partner_id"], i["debit"], i["credit"])
            for i in entry["items"]] == [
        ("411000", "CDUPONT", 150.0, 0.0), ("411000", "CMOREAU", 0.0, 150.0),
    ]  # fmt: skip
    assert entry["items"][0]["analytic_distribution"][0]["analytic_accounts"][0] == {
        "analytic_account": "PARIS", "percentage": 100,
    }  # fmt: skip
    listed = flow.call("sage_ge/listMiscellaneousOperations",
                       {"dateFrom": "2026-01-01", "journalIds": ["4"]})  # fmt: skip
    assert [o["id"] for o in listed["items"]] == [operation["id"]]
    assert (
        flow.call("sage_ge/listMiscellaneousOperations", {"dateFrom": "2026-01-05"})["items"] == []
    )
    got = flow.call("sage_ge/getMiscellaneousOperation", {"operationId": operation["id"]})
    assert got == operation


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"lines": []}, 400, "ERROR_NO_OPERATION_LINE"),
        ({"lines": [{"amount": 10, "type": "general_account", "account_number": "471000"},
                    {"amount": -9.99, "type": "general_account", "account_number": "658000"}]},
         400, "ERROR_OPERATION_NOT_BALANCED"),
        ({"lines": [{"amount": 10, "type": "customer_account", "account_number": "411000"},
                    {"amount": -10, "type": "general_account", "account_number": "658000"}]},
         400, "ERROR_INVALID_OPERATION_LINE_TYPE"),
        ({"lines": [{"amount": 10, "type": "general_account", "account_number": "411000"},
                    {"amount": -10, "type": "general_account", "account_number": "658000"}]},
         400, "ERROR_ACCOUNT_NUMBER_NOT_GOOD_SCOPE"),
        ({"lines": [{"amount": 10, "type": "general_account", "account_number": "471000",
                     "analytic_account": "NANTES"},
                    {"amount": -10, "type": "general_account", "account_number": "658000"}]},
         404, "ERROR_ANALYTIC_ACCOUNT_NOT_FOUND"),
        ({"journal_id": "3"}, 400, "ERROR_JOURNAL_NOT_GOOD_SCOPE"),
        ({"journal_id": "77"}, 404, "ERROR_JOURNAL_NOT_FOUND"),
        ({"operation_date": "2024-12-31"}, 400, "ERROR_BOOKYEAR_NOT_FOUND"),
        ({"status": "matched"}, 422, None),
    ],
)  # fmt: skip
def test_chift_refuses_an_operation_sage_ge_would_reject(
    box: Sandbox, http: httpx.Client, change: dict[str, Any], status: int, error: str | None
) -> None:
    http.post("/accounts", json={"number": "471000", "name": "Compte d'attente"})
    http.post("/accounts", json={"number": "658000", "name": "Charges diverses"})
    body = {
        "currency": "EUR", "operation_date": "2026-01-04", "journal_id": "4",
        "lines": [{"amount": 10, "type": "general_account", "account_number": "471000"},
                  {"amount": -10, "type": "general_account", "account_number": "658000"}],
    }  # fmt: skip
    answer = http.post("/miscellaneous-operation", json={**body, **change})
    assert code(answer) == (status, error), answer.text
    assert box.records("entries") == []
    assert box.records("operations") == []
    # Without journal_id, the dossier's only miscellaneous journal takes it.
    ok = http.post("/miscellaneous-operation", json={k: v for k, v in body.items()
                                                      if k != "journal_id"})  # fmt: skip
    assert ok.json()["journal_id"] == "4"
    assert http.get("/miscellaneous-operation/OD999999").status_code == 404


# -- invoice payments ----------------------------------------------------------------------------


def invoice(flow: Client, number: str, kind: str = "customer_invoice") -> dict[str, Any]:
    party = {"clientId": "CDUPONT"} if kind.startswith("customer") else {"supplierId": "FORANGE"}
    account = "706000" if kind.startswith("customer") else "626000"
    created: dict[str, Any] = flow.call("sage_ge/createInvoice", {
        "invoiceType": kind, "invoiceNumber": number, "invoiceDate": "2026-01-02",
        "dueDate": "2026-02-01", **party,
        "lines": [{"accountNumber": account, "quantity": 1, "unitPrice": "100", "taxRate": "20",
                   "vatCode": "20"}],
    })  # fmt: skip
    return created


def test_a_payment_settles_invoices_and_posts_one_bank_entry(box: Sandbox, flow: Client) -> None:
    sale = invoice(flow, "F1")
    purchase = invoice(flow, "A1", "supplier_invoice")
    methods = flow.call("sage_ge/listPaymentMethods", {})
    assert "VIR" in [m["id"] for m in methods["items"]]
    out = flow.call("sage_ge/createInvoicePayment", {
        "date": "2026-01-04", "paymentMethodId": "VIR", "reference": "Relevé 01",
        "invoices": [{"invoiceId": sale["id"], "amount": "120.00"},
                     {"invoiceId": purchase["id"], "amount": "50.00"}],
    }, CallOptions(idempotency_key="pay-1"))  # fmt: skip
    assert out == {"recorded": True, "total": "170.00", "invoices": 2}
    payment = box.records("entries")[-1]
    assert payment["journal_id"] == "3"
    assert balanced(payment)
    assert [(i["account_number"], i["partner_id"], i["debit"], i["credit"])
            for i in payment["items"]] == [
        ("411000", "CDUPONT", 0.0, 120.0), ("401000", "FORANGE", 50.0, 0.0),
        ("512000", None, 70.0, 0.0),
    ]  # fmt: skip
    paid = flow.call("sage_ge/listInvoicePayments", {"invoiceId": sale["id"]})["items"]
    assert [(p["dedicated_amount"], p["amount"], p["reconciled"]) for p in paid] == [
        (120.0, 170.0, True)
    ]
    assert flow.call("sage_ge/getInvoice", {"invoiceId": sale["id"]})["status"] == "paid"
    part = flow.call("sage_ge/listInvoicePayments", {"invoiceId": purchase["id"]})["items"]
    assert part[0]["reconciled"] is False
    # The same payment sent again under its request id is answered, not booked twice.
    flow.call("sage_ge/createInvoicePayment", {
        "date": "2026-01-04", "paymentMethodId": "VIR", "reference": "Relevé 01",
        "invoices": [{"invoiceId": sale["id"], "amount": "120.00"},
                     {"invoiceId": purchase["id"], "amount": "50.00"}],
    }, CallOptions(idempotency_key="pay-1"))  # fmt: skip
    assert len(box.records("entries")) == 3


def test_a_payment_is_refused_locally_in_a_closed_year_and_by_chift_otherwise(
    box: Sandbox, flow: Client, http: httpx.Client
) -> None:
    sale = invoice(flow, "F2")
    with pytest.raises(InputValidationError):
        flow.call("sage_ge/createInvoicePayment", {
            "date": "2024-12-31", "paymentMethodId": "VIR",
            "invoices": [{"invoiceId": sale["id"], "amount": "1"}],
        })  # fmt: skip
    before = len(box.records("entries"))
    body = {"date": "2026-01-04", "payment_method_id": "VIR", "currency": "EUR",
            "items": [{"invoice_id": sale["id"], "amount": 10}]}  # fmt: skip
    for change, expected in (
        ({"date": "2024-12-31"}, (400, "ERROR_BOOKYEAR_NOT_FOUND")),
        ({"items": [{"invoice_id": "INV999", "amount": 10}]}, (404, "ERROR_INVOICE_NOT_FOUND")),
        ({"items": [{"invoice_id": sale["id"], "amount": 0}]}, (422, None)),
        ({"payment_method_id": "BITCOIN"}, (404, None)),
    ):
        assert code(http.post("/invoices/payments", json={**body, **change})) == expected
    assert len(box.records("entries")) == before
    with pytest.raises(APIError) as caught:
        flow.call("sage_ge/listInvoicePayments", {"invoiceId": "INV999"})
    assert caught.value.entries[0].code == "ERROR_INVOICE_NOT_FOUND"


# -- invoices with several analytic plans --------------------------------------------------------


def test_a_multi_plan_invoice_posts_its_distribution_and_reads_back(
    box: Sandbox, flow: Client
) -> None:
    created = flow.call("sage_ge/createInvoiceMultiAnalyticPlans", {
        "invoiceType": "customer_invoice", "invoiceNumber": "F2026-M1",
        "invoiceDate": "2026-01-04", "dueDate": "2026-02-03", "clientId": "CDUPONT",
        "lines": [{"accountNumber": "706000", "quantity": 1, "unitPrice": "200", "taxRate": "20",
                   "vatCode": "20",
                   "analytic": [{"plan": "1", "account": "PARIS", "percentage": 75},
                                {"plan": "1", "account": "LYON", "percentage": 25},
                                {"plan": "2", "account": "TRAIT", "percentage": 100}]}],
    })  # fmt: skip
    distribution = created["lines"][0]["analytic_distribution"]
    assert [(p["analytic_plan"], len(p["analytic_accounts"])) for p in distribution] == [
        ("1", 2), ("2", 1),
    ]  # fmt: skip
    plans = flow.call("sage_ge/listAnalyticAccountsMultiAnalyticPlans", {})["items"]
    balances = {(a["analytic_plan"], a["id"]): a["credit"] for a in plans}
    assert balances[("1", "PARIS")] == 150.0
    assert balances[("1", "LYON")] == 50.0
    assert balances[("2", "TRAIT")] == 200.0
    again = flow.call("sage_ge/getInvoiceMultiAnalyticPlans", {"invoiceId": created["id"]})
    assert again["lines"][0]["analytic_distribution"] == distribution
    listed = flow.call(
        "sage_ge/listInvoicesMultiAnalyticPlans",
        {"invoiceType": "customer_invoice", "includeInvoiceLines": True},
    )
    assert listed["items"][0]["lines"][0]["analytic_distribution"] == distribution


def test_chift_refuses_a_multi_plan_invoice_with_a_bad_distribution_or_period(
    box: Sandbox, http: httpx.Client
) -> None:
    line = {"unit_price": 100, "quantity": 1, "untaxed_amount": 100, "tax_rate": 20,
            "tax_amount": 20, "total": 120, "account_number": "706000", "tax_code": "20",
            "analytic_distribution": [{"analytic_plan": "1", "analytic_accounts": [
                {"analytic_account": "PARIS", "percentage": 100}]}]}  # fmt: skip
    body = {"invoice_type": "customer_invoice", "currency": "EUR", "untaxed_amount": 100,
            "tax_amount": 20, "total": 120, "invoice_date": "2026-01-04",
            "due_date": "2026-02-03", "partner_id": "CDUPONT", "lines": [line]}  # fmt: skip

    def with_plan(plan: str, account: str, percentage: Any) -> dict[str, Any]:
        share = {"analytic_account": account, "percentage": percentage}
        changed = {**line, "analytic_distribution": [
            {"analytic_plan": plan, "analytic_accounts": [share]}]}  # fmt: skip
        return {**body, "lines": [changed]}

    path = "/invoices/multi-analytic-plans"
    assert code(http.post(path, json=with_plan("9", "PARIS", 100))) == (
        404, "ERROR_ANALYTIC_PLAN_NOT_FOUND",
    )  # fmt: skip
    assert code(http.post(path, json=with_plan("1", "NANTES", 100))) == (
        404, "ERROR_ANALYTIC_ACCOUNT_NOT_FOUND",
    )  # fmt: skip
    assert code(http.post(path, json=with_plan("1", "PARIS", 60)))[0] == 422
    assert code(http.post(path, json=with_plan("1", "PARIS", 99.5)))[0] == 422
    assert code(http.post(path, json=body, params={"force_financial_period": "2026-01"})) == (
        400, "ERROR_INVALID_FINANCIAL_PERIOD_FORMAT",
    )  # fmt: skip
    assert code(http.post(path, json={**body, "invoice_date": "2024-05-05"})) == (
        400, "ERROR_BOOKYEAR_NOT_FOUND",
    )  # fmt: skip
    assert box.records("entries") == []
    assert box.records("invoices") == []
    ok = http.post(path, json=body, params={"force_financial_period": "012026"})
    assert ok.status_code == 200, ok.text


# -- analytic accounts of several plans ----------------------------------------------------------


def test_analytic_accounts_are_created_read_and_updated_in_their_plan(
    box: Sandbox, flow: Client
) -> None:
    made = flow.call(
        "sage_ge/createAnalyticAccountMultiAnalyticPlans",
        {"analyticPlan": "2", "code": "PATIS", "name": "Pâtisserie"},
    )
    assert (made["id"], made["analytic_plan"], made["active"]) == ("PATIS", "2", True)
    # The same code may exist in another plan; not twice in one.
    flow.call("sage_ge/createAnalyticAccountMultiAnalyticPlans",
              {"analyticPlan": "1", "code": "PATIS", "name": "Site pâtisserie"})  # fmt: skip
    with pytest.raises(APIError) as caught:
        flow.call("sage_ge/createAnalyticAccountMultiAnalyticPlans",
                  {"analyticPlan": "2", "code": "PATIS", "name": "Encore"})  # fmt: skip
    assert (caught.value.status, caught.value.entries[0].code) == (
        409, "ERROR_ANALYTIC_ACCOUNT_ALREADY_EXISTS",
    )  # fmt: skip
    got = flow.call("sage_ge/getAnalyticAccountMultiAnalyticPlans",
                    {"analyticPlan": "2", "analyticAccountId": "PATIS"})  # fmt: skip
    assert got["name"] == "Pâtisserie"
    renamed = flow.call(
        "sage_ge/updateAnalyticAccountMultiAnalyticPlans",
        {"analyticPlan": "2", "analyticAccountId": "PATIS", "code": "PATISS", "active": False},
    )
    assert (renamed["id"], renamed["name"], renamed["active"]) == ("PATISS", "Pâtisserie", False)
    plans = flow.call("sage_ge/listAnalyticAccountsMultiAnalyticPlans", {})["items"]
    assert sorted((a["analytic_plan"], a["id"]) for a in plans if "PATIS" in a["id"]) == [
        ("1", "PATIS"), ("2", "PATISS"),
    ]  # fmt: skip
    with pytest.raises(APIError) as missing:
        flow.call("sage_ge/getAnalyticAccountMultiAnalyticPlans",
                  {"analyticPlan": "9", "analyticAccountId": "PATIS"})  # fmt: skip
    assert missing.value.entries[0].code == "ERROR_ANALYTIC_PLAN_NOT_FOUND"
    # The default plan's routes (createAnalyticAccount, updateAnalyticAccount) too.
    flow.call("sage_ge/createAnalyticAccount", {"code": "NANTES", "name": "Nantes"})
    flow.call("sage_ge/updateAnalyticAccount", {"analyticAccountId": "NANTES", "name": "Nantes C"})
    assert flow.call("sage_ge/getAnalyticAccount", {"analyticAccountId": "NANTES"})["name"] == (
        "Nantes C"
    )


def test_a_renamed_analytic_account_stays_renamed_in_the_state_file(tmp_path: Any) -> None:
    data = tmp_path / "ge.db"
    first = Sandbox(clock=Clock.manual(), data=data)
    with httpx.Client(transport=first.transport(), base_url=first.api_base,
                      headers={"authorization": f"Bearer {DEV_TOKEN}"}) as http:  # fmt: skip
        answer = http.patch("/analytic-accounts/TRAIT/multi-analytic-plans/2", json={"code": "TR"})
        assert answer.status_code == 200, answer.text
    first.close()
    again = Sandbox(clock=Clock.manual(), data=data)
    codes = {a["code"] for a in again.records("analytic_accounts") if a["analytic_plan"] == "2"}
    assert codes == {"BOUL", "TR"}
    again.close()


# -- matching (lettrage) -------------------------------------------------------------------------


def paid_sale(flow: Client, number: str, paid: str) -> tuple[str, str]:
    """A 120.00 sale and a payment of ``paid`` on it: their ids."""
    sale = invoice(flow, number)
    flow.call("sage_ge/createInvoicePayment", {
        "date": "2026-01-04", "paymentMethodId": "VIR",
        "invoices": [{"invoiceId": sale["id"], "amount": paid}],
    })  # fmt: skip
    (payment,) = flow.call("sage_ge/listInvoicePayments", {"invoiceId": sale["id"]})["items"]
    return sale["id"], payment["id"]


def test_an_invoice_and_its_payment_are_matched_with_a_lettrage_code(
    box: Sandbox, flow: Client
) -> None:
    sale, payment = paid_sale(flow, "F10", "120.00")
    done = flow.call("sage_ge/matchEntries", {"entries": [sale, payment], "clientId": "CDUPONT"})
    assert done == {"matching_number": "AA", "balance": 0.0}
    lettered = [
        (e["id"], i["account_number"], i["matching_numbers"])
        for e in box.records("entries") for i in e["items"] if i["matching_numbers"]
    ]  # fmt: skip
    assert [(a, m) for _, a, m in lettered] == [("411000", ["AA"]), ("411000", ["AA"])]
    # Matched once: a second lettrage of the same lines is refused.
    with pytest.raises(APIError) as caught:
        flow.call("sage_ge/matchEntries", {"entries": [sale, payment], "clientId": "CDUPONT"})
    assert caught.value.entries[0].code == "ERROR_ENTRY_HAS_INVALID_STATUS"


@pytest.mark.parametrize(
    ("which", "partner", "error"),
    [
        ("partial", "CDUPONT", "ERROR_AMOUNTS_NOT_BALANCED"),
        ("other", "CMOREAU", "ERROR_ENTRY_NOT_LINKED_TO_PARTNER"),
        ("missing", "CDUPONT", "ERROR_ENTRY_NOT_FOUND"),
        ("no-third-party", "CDUPONT", "ERROR_ENTRY_HAS_NO_ACCOUNT_RECEIVABLE_PAYABLE"),
    ],
)
def test_chift_refuses_a_lettrage_sage_ge_would_not_make(
    box: Sandbox, flow: Client, http: httpx.Client, which: str, partner: str, error: str
) -> None:
    sale, payment = paid_sale(flow, "F11", "100.00" if which == "partial" else "120.00")
    second = {"missing": "E999999"}.get(which, payment)
    if which == "no-third-party":
        fee = flow.call("sage_ge/createFinancialEntry", {
            "journalCode": "BQ", "date": "2026-01-04",
            "lines": [{"account": "627000", "label": "Frais", "amount": "-5"}],
        })  # fmt: skip
        second = fee["entry"]["id"]
    before = box.records("entries")
    answer = http.post("/matching", json={"entries": [sale, second], "partner_id": partner})
    assert answer.json()["error_code"] == error, answer.text
    assert box.records("entries") == before


def test_several_lettrages_at_once_report_each_one(box: Sandbox, flow: Client) -> None:
    first = paid_sale(flow, "F12", "120.00")
    second = paid_sale(flow, "F13", "60.00")
    out = flow.call("sage_ge/matchEntriesMultiple", {"matchings": [
        {"entries": list(first), "clientId": "CDUPONT"},
        {"entries": list(second), "clientId": "CDUPONT"},
    ]})  # fmt: skip
    assert (out["matched"], out["refused"]) == (1, 1)
    ok, refused = out["results"]
    assert (ok["processed"], ok["matching_number"]) == (True, "AA")
    assert refused["processed"] is False
    assert refused["error_msg"]["error_code"] == "ERROR_AMOUNTS_NOT_BALANCED"


# -- attachments, outstandings, balances ---------------------------------------------------------

PDF = "JVBERi0xLjQKJcfs"


def test_pdfs_are_attached_and_read_back_as_base_64(box: Sandbox, flow: Client) -> None:
    sale = invoice(flow, "F20")
    attached = flow.call(
        "sage_ge/addInvoicePdf", {"invoiceId": sale["id"], "pdf": PDF, "name": "F20.pdf"}
    )
    assert attached == {"attached": True}
    listed = flow.call("sage_ge/listAttachments", {"type": "invoice", "documentId": sale["id"]})
    assert [a["base64_string"] for a in listed["items"]] == [PDF]
    status = flow.call("sage_ge/getInvoice", {"invoiceId": sale["id"]})["attachments_info"]
    assert status["status"] == "yes_to_request"
    with pytest.raises(APIError) as caught:
        flow.call("sage_ge/addInvoicePdf", {"invoiceId": sale["id"], "pdf": PDF})
    assert caught.value.entries[0].code == "ERROR_ATTACHMENT_ALREADY_EXISTS"
    replaced = PDF + "AAAA"
    flow.call("sage_ge/addInvoicePdf",
              {"invoiceId": sale["id"], "pdf": replaced, "overwriteExisting": True})  # fmt: skip
    listed = flow.call("sage_ge/listAttachments", {"type": "invoice", "documentId": sale["id"]})
    assert [a["base64_string"] for a in listed["items"]] == [replaced]
    # A multi-plan invoice's PDF, sent with it, is its attachment.
    multi = flow.call("sage_ge/createInvoiceMultiAnalyticPlans", {
        "invoiceType": "customer_invoice", "invoiceDate": "2026-01-04", "dueDate": "2026-02-03",
        "clientId": "CDUPONT", "pdf": PDF, "pdfName": "F21", "paymentTermId": "30FM",
        "lines": [{"accountNumber": "706000", "quantity": 1, "unitPrice": "10", "taxRate": "20",
                   "vatCode": "20", "analytic": [{"plan": "1", "account": "PARIS",
                                                  "percentage": 100}]}],
    })  # fmt: skip
    assert multi["attachments_info"]["status"] == "yes_to_request"
    listed = flow.call("sage_ge/listAttachments", {"type": "invoice", "documentId": multi["id"]})
    assert [a["base64_string"] for a in listed["items"]] == [PDF]
    # A bank statement sent with its financial entry is the entry's attachment.
    out = flow.call("sage_ge/createFinancialEntry", {
        "journalCode": "BQ", "date": "2026-01-04", "pdf": PDF, "pdfName": "releve",
        "lines": [{"account": "627000", "label": "Frais", "amount": "-5"}],
    })  # fmt: skip
    entry = flow.call(
        "sage_ge/listAttachments", {"type": "entry", "documentId": out["entry"]["id"]}
    )
    assert len(entry["items"]) == 1


def test_outstandings_are_the_unmatched_lines_of_clients_or_suppliers(
    box: Sandbox, flow: Client
) -> None:
    matched = paid_sale(flow, "F30", "120.00")
    flow.call("sage_ge/matchEntries", {"entries": list(matched), "clientId": "CDUPONT"})
    paid_sale(flow, "F31", "100.00")
    invoice(flow, "A30", "supplier_invoice")
    clients = flow.call("sage_ge/listOutstandings", {"type": "client"})["items"]
    assert sorted((o["number"], o["open_amount"]) for o in clients) == [
        ("F31", 120.0), ("REG000002", -100.0),
    ]  # fmt: skip
    suppliers = flow.call("sage_ge/listOutstandings", {"type": "supplier"})["items"]
    assert [(o["partner_id"], o["open_amount"], o["account_number"]) for o in suppliers] == [
        ("FORANGE", -120.0, "401000")
    ]


def test_balances_sum_posted_lines_to_the_end_month_and_over_the_period(
    box: Sandbox, flow: Client
) -> None:
    invoice(flow, "F40")  # 2026-01-02: 411000 debit 120, 706000 credit 100, 445710 credit 20
    flow.call("sage_ge/createFinancialEntry", {
        "journalCode": "BQ", "date": "2025-12-30",
        "lines": [{"account": "706000", "label": "Vente comptoir", "amount": "30"}],
    })  # fmt: skip
    out = flow.call(
        "sage_ge/getAccountBalances",
        {"accounts": ["706", "512"], "startMonth": "202601", "endMonth": "202601"},
    )
    rows = {r["account_number"]: r for r in out["items"]}
    assert (rows["706000"]["credit"], rows["706000"]["period_credit"]) == (130.0, 100.0)
    assert (rows["512000"]["balance"], rows["512000"]["period_balance"]) == (30.0, 0.0)
    december = flow.call("sage_ge/getAccountBalances", {"accounts": ["706"], "endMonth": "202512"})
    assert december["items"][0]["balance"] == -30.0


def test_a_journal_entrys_distribution_must_add_up_to_100_per_plan(
    box: Sandbox, http: httpx.Client
) -> None:
    def entry(*shares: int) -> dict[str, Any]:
        accounts = [{"analytic_account": code, "percentage": share}
                    for code, share in zip(("PARIS", "LYON"), shares, strict=False)]  # fmt: skip
        return {
            "journal_id": "4", "number": "OD1", "currency": "EUR", "date": "2026-01-04",
            "items": [
                {"account_type": "general_account", "account": "706000", "debit": 10,
                 "credit": 0, "analytic_distribution": [
                     {"analytic_plan": "1", "analytic_accounts": accounts}]},
                {"account_type": "general_account", "account": "707000", "debit": 0,
                 "credit": 10},
            ],
        }  # fmt: skip

    assert http.post("/journal-entries", json=entry(60)).status_code == 422
    assert box.records("entries") == []
    assert http.post("/journal-entries", json=entry(60, 40)).status_code == 200


def test_a_salary_is_paid_to_an_employees_auxiliary_account(box: Sandbox, flow: Client) -> None:
    staff = flow.call("sage_ge/listEmployees", {})["items"]
    assert [(e["id"], e["name"], e["account_number"]) for e in staff] == [
        ("EMARTIN", "Martin Emma", "EMARTIN"), ("SDURAND", "Durand Samuel", "SDURAND"),
    ]  # fmt: skip
    flow.call("sage_ge/createFinancialEntry", {
        "journalCode": "BQ", "date": "2026-01-04",
        "lines": [{"account": "421000", "auxiliaryAccount": "EMARTIN",
                   "label": "Salaire décembre Emma Martin", "amount": "-1850.00"}],
    })  # fmt: skip
    (entry,) = box.records("entries")
    assert [(i["account_number"], i["partner_id"], i["debit"], i["credit"])
            for i in entry["items"]] == [
        ("421000", "EMARTIN", 1850.0, 0.0), ("512000", None, 0.0, 1850.0),
    ]  # fmt: skip
