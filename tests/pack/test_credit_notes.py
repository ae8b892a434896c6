"""Credit notes, quotes and estimates: the requests their handlers build, and exactly-once
creates and conversions against the sandbox when an answer is lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from packkit import first, page, run

from sage_accounting._markers import marker_text
from sage_accounting.connection import PROFILE, numbered_write
from sage_accounting.sandbox import DEV_TOKEN, Clock, Sandbox
from sageflow import CallOptions, HTTPRequest, HTTPResponse
from sageflow._http import Client, Connection, RetryPolicy

LEDGER = "9a994ff1f7f8491ba2ac8b7b8d2f5a20"
LINE = {
    "description": "Half a day refunded",
    "ledgerAccountId": LEDGER,
    "quantity": "1",
    "unitPrice": "150.00",
    "taxRateId": "GB_STANDARD",
}


def test_a_credit_note_is_sent_with_its_lines_vat_worked_out_as_an_invoices() -> None:
    sent, _ = run(
        "createSalesCreditNote",
        {"contactId": "c1", "date": "2026-04-07", "creditNoteLines": [LINE, LINE]},
    )
    rate, post = sent
    # One GET of the rate for both lines, then the POST: [G-inv]'s net x rate / 100.
    assert (rate.method, rate.path) == ("GET", "/tax_rates/GB_STANDARD")
    assert (post.method, post.path) == ("POST", "/sales_credit_notes")
    body = post.json["sales_credit_note"]
    assert set(body) == {"contact_id", "date", "credit_note_lines"}
    assert body["credit_note_lines"][0] == {
        "description": "Half a day refunded",
        "ledger_account_id": LEDGER,
        "quantity": "1",
        "unit_price": "150.00",
        "tax_rate_id": "GB_STANDARD",
        "tax_amount": "30.00",
    }


@pytest.mark.parametrize(
    ("key", "inputs", "path", "wrapper", "lines"),
    [
        pytest.param(
            "createPurchaseCreditNote",
            {"contactId": "s1", "date": "2026-03-20", "creditNoteLines": [LINE]},
            "/purchase_credit_notes",
            "purchase_credit_note",
            "credit_note_lines",
            id="purchase-credit-note",
        ),
        pytest.param(
            "createSalesQuote",
            {
                "contactId": "c1",
                "date": "2026-03-02",
                "expiryDate": "2026-04-01",
                "quoteLines": [LINE],
            },
            "/sales_quotes",
            "sales_quote",
            "quote_lines",
            id="quote",
        ),
        pytest.param(
            "updateSalesEstimate",
            {"salesEstimateId": "e1", "estimateLines": [LINE], "statusId": "ACCEPTED"},
            "/sales_estimates/e1",
            "sales_estimate",
            "estimate_lines",
            id="estimate-update",
        ),
    ],
)
def test_every_artefact_prices_its_own_lines(
    key: str, inputs: dict[str, Any], path: str, wrapper: str, lines: str
) -> None:
    sent, _ = run(key, inputs)
    write = sent[-1]
    assert write.path == path
    body = write.json[wrapper]
    assert body[lines][0]["tax_amount"] == "30.00"
    assert not {"salesEstimateId", "invoice_lines", "estimateLines"} & set(body)


def test_voiding_a_credit_note_sends_the_reason_both_ways_and_reads_either_answer() -> None:
    inputs = {"salesCreditNoteId": "n1", "voidReason": "Raised in error"}
    void = first("deleteSalesCreditNote", inputs)
    assert (void.method, void.path) == ("DELETE", "/sales_credit_notes/n1")
    assert void.query == {"void_reason": "Raised in error"}
    assert void.json == {"void_reason": "Raised in error"}
    voided = HTTPResponse.from_json(200, {"id": "n1", "status": {"id": "VOID"}})
    _, out = run("deleteSalesCreditNote", inputs, [voided])
    assert (out["voided"], out["creditNote"]["status"]["id"]) == (True, "VOID")
    _, gone = run("deleteSalesCreditNote", {"salesCreditNoteId": "n1"}, [HTTPResponse(204)])
    assert gone == {"id": "n1", "deleted": True, "voided": False}


def test_release_posts_to_the_credit_notes_release_operation() -> None:
    release = first("releasePurchaseCreditNote", {"purchaseCreditNoteId": "p1"})
    assert (release.method, release.path, release.json) == (
        "POST",
        "/purchase_credit_notes/p1/release",
        None,
    )


def test_find_by_number_keeps_only_the_whole_number() -> None:
    # Sage's search is a substring match: SCN-1 also finds SCN-10 and a reference "scn-1 refund".
    items = [
        {"id": "a", "credit_note_number": "SCN-10"},
        {"id": "b", "credit_note_number": "scn-1"},
        {"id": "c", "credit_note_number": "SCN-2", "reference": "SCN-1 refund"},
    ]
    sent, out = run("findSalesCreditNote", {"creditNoteNumber": "SCN-1"}, [page(items)])
    assert sent[0].query == {"search": "SCN-1", "attributes": "all", "items_per_page": 200}
    assert [i["id"] for i in out["items"]] == ["b"]


QUOTE = {
    "id": "q1",
    "contact": {"id": "c1"},
    "reference": "Website rebuild",
    "currency": {"id": "GBP"},
    "exchange_rate": "1.0",
    "invoice": None,
    "quote_lines": [
        {
            "description": "Consulting",
            "quantity": "2.0",
            "unit_price": "450.0",
            "unit_price_includes_tax": False,
            "tax_amount": "180.0",
            "discount_amount": "0.0",
            "ledger_account": {"id": LEDGER},
            "tax_rate": {"id": "GB_STANDARD"},
            "product": None,
        }
    ],
}


def test_converting_a_quote_copies_its_lines_and_vat_and_links_it() -> None:
    invoice = HTTPResponse.from_json(201, {"id": "i1", "invoice_number": "SI-9"})
    sent, out = run(
        "convertSalesQuoteToInvoice",
        {"salesQuoteId": "q1", "date": "2026-04-02", "statusId": "DRAFT"},
        [HTTPResponse.from_json(200, QUOTE), invoice],
    )
    read, write = sent
    assert (read.method, read.path) == ("GET", "/sales_quotes/q1")
    assert (write.method, write.path) == ("POST", "/sales_invoices")
    assert write.json == {
        "sales_invoice": {
            "contact_id": "c1",
            "original_quote_estimate_id": "q1",
            "date": "2026-04-02",
            "status_id": "DRAFT",
            "reference": "Website rebuild",
            "currency_id": "GBP",
            "exchange_rate": "1.0",
            "invoice_lines": [
                {
                    "description": "Consulting",
                    "quantity": "2.0",
                    "unit_price": "450.0",
                    "unit_price_includes_tax": False,
                    "tax_amount": "180.0",
                    "ledger_account_id": LEDGER,
                    "tax_rate_id": "GB_STANDARD",
                }
            ],
        }
    }
    assert out == {
        "invoice": {"id": "i1", "invoice_number": "SI-9"},
        "sourceId": "q1",
        "created": True,
    }


def test_a_quote_already_invoiced_returns_its_invoice_and_writes_nothing() -> None:
    done = {**QUOTE, "invoice": {"id": "i7", "displayed_as": "SI-7"}}
    sent, out = run(
        "convertSalesEstimateToInvoice",
        {"salesEstimateId": "q1", "date": "2026-04-02"},
        [HTTPResponse.from_json(200, done), HTTPResponse.from_json(200, {"id": "i7"})],
    )
    assert [(r.method, r.path) for r in sent] == [
        ("GET", "/sales_estimates/q1"),
        ("GET", "/sales_invoices/i7"),
    ]
    assert out == {"invoice": {"id": "i7"}, "sourceId": "q1", "created": False}


# --- exactly once against the sandbox, with Sage's idempotency_id off --------------------------


def _dropping(sandbox: Sandbox, drop: Callable[[httpx.Request], bool]) -> httpx.MockTransport:
    """The sandbox, losing the answer of each request ``drop`` picks after it was handled."""
    inner = sandbox.transport()

    def handle(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        if drop(request):
            response.read()
            raise httpx.ReadError("connection dropped after commit", request=request)
        return response

    return httpx.MockTransport(handle)


def _client(transport: httpx.BaseTransport, sandbox: Sandbox) -> Client:
    return Client(
        Connection.with_token(sandbox.api_base, DEV_TOKEN, PROFILE),
        transport=transport,
        sleep=lambda _seconds: None,
        retry=RetryPolicy(random=lambda: 0.0),
    )


def _first_post_lost() -> Callable[[httpx.Request], bool]:
    posts = 0

    def drop(request: httpx.Request) -> bool:
        nonlocal posts
        posts += request.method == "POST"
        return request.method == "POST" and posts == 1

    return drop


def _customer_and_account(client: Client) -> tuple[str, str]:
    contacts = client.call("sage_accounting/findContact", {"reference": "ACME001"})
    accounts = client.call(
        "sage_accounting/listLedgerAccounts", {"visible_in": "sales", "itemsPerPage": 1}
    )
    return contacts["items"][0]["id"], accounts["items"][0]["id"]


def test_a_credit_note_whose_answer_was_lost_is_adopted_not_made_twice() -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=False)
    with _client(_dropping(sandbox, _first_post_lost()), sandbox) as client:
        customer, account = _customer_and_account(client)
        inputs = {
            "contactId": customer,
            "date": "2026-04-07",
            "creditNoteLines": [{**LINE, "ledgerAccountId": account}],
        }
        out = client.call("sage_accounting/createSalesCreditNote", inputs, CallOptions("k-cn"))
    (made,) = sandbox.records("sales_credit_notes")
    assert out["id"] == made["id"]
    assert made["reference"] == marker_text("k-cn")


def test_a_conversion_whose_answer_was_lost_makes_one_invoice() -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=False)
    with _client(sandbox.transport(), sandbox) as setup:
        customer, account = _customer_and_account(setup)
        quote = setup.call(
            "sage_accounting/createSalesQuote",
            {
                "contactId": customer,
                "date": "2026-03-02",
                "expiryDate": "2026-04-01",
                "reference": "Website rebuild",
                "quoteLines": [{**LINE, "ledgerAccountId": account}],
            },
        )
    invoices = len(sandbox.records("sales_invoices"))
    convert = {"salesQuoteId": quote["id"], "date": "2026-04-02"}
    with _client(_dropping(sandbox, _first_post_lost()), sandbox) as client:
        made = client.call("sage_accounting/convertSalesQuoteToInvoice", convert, CallOptions("k"))
    with _client(sandbox.transport(), sandbox) as client:
        # A resumed run whose outcome is unknown, and a second conversion by another run.
        resumed = client.call(
            "sage_accounting/convertSalesQuoteToInvoice",
            convert,
            CallOptions("k", outcome_unknown=True),
        )
        again = client.call(
            "sage_accounting/convertSalesQuoteToInvoice", convert, CallOptions("k2")
        )
    assert len(sandbox.records("sales_invoices")) == invoices + 1
    assert made["invoice"]["id"] == resumed["invoice"]["id"] == again["invoice"]["id"]
    assert (resumed["created"], again["created"]) == (False, False)
    (invoice,) = [r for r in sandbox.records("sales_invoices") if r["id"] == made["invoice"]["id"]]
    assert invoice["original_quote_estimate"]["id"] == quote["id"]
    assert (invoice["reference"], invoice["notes"]) == ("Website rebuild", marker_text("k"))
    assert invoice["total_amount"] == "180.0"


@pytest.mark.parametrize(
    "path",
    ["/sales_credit_notes", "/purchase_credit_notes", "/sales_quotes", "/sales_estimates"],
)
def test_numbered_creates_go_one_at_a_time(path: str) -> None:
    # [G-bp]: no parallel POSTs to credit note, quote or estimate endpoints (sequential numbers);
    # their updates and the attachments, which Sage does not number, are not held back.
    assert numbered_write(HTTPRequest("POST", path, json={}))
    assert not numbered_write(HTTPRequest("PUT", f"{path}/x", json={}))
    assert not numbered_write(HTTPRequest("POST", "/attachments", json={}))
