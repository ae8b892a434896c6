"""Payments and bank accounts: the requests the handlers build, what they refuse before
sending, and the components end to end against the sandbox (a dropped create adopted, once)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from packkit import page, run

from sage_accounting import PACK, _markers
from sage_accounting.connection import PROFILE
from sage_accounting.sandbox import DEV_TOKEN, Clock, Sandbox
from sageflow import CallOptions, HTTPRequest, InputValidationError
from sageflow._http import Client, Connection, RetryPolicy

INVOICE = "d88b0079361b4b37a3d6b4e6b41b2775"
CONTACT = "521229b29af04f3682d85b0d43ef5361"
BANK = "19e5f9768c9542ef840ab7532e231215"


def test_a_receipt_is_sent_in_its_wrapper_with_exact_amounts() -> None:
    inputs = {
        "transactionTypeId": "CUSTOMER_RECEIPT",
        "contactId": CONTACT,
        "bankAccountId": BANK,
        "date": "2024-04-05",
        "totalAmount": "120.10",
        "allocatedArtefacts": [{"artefactId": INVOICE, "amount": 0.1}],
    }
    (request,), _ = run("createContactPayment", inputs, [page([])])
    assert (request.method, request.path) == ("POST", "/contact_payments")
    assert request.json == {
        "contact_payment": {
            "transaction_type_id": "CUSTOMER_RECEIPT",
            "contact_id": CONTACT,
            "bank_account_id": BANK,
            "date": "2024-04-05",
            "total_amount": "120.10",
            "allocated_artefacts": [{"artefact_id": INVOICE, "amount": "0.1"}],
        }
    }


@pytest.mark.parametrize(
    ("key", "inputs", "where"),
    [
        pytest.param(
            "createContactPayment",
            {"transactionTypeId": "CUSTOMER_PAYMENT"},
            r"\$\.transactionTypeId",
            id="unknown-payment-type",
        ),
        pytest.param(
            "createContactPayment", {"totalAmount": "0"}, r"\$\.totalAmount", id="zero-payment"
        ),
        pytest.param(
            "createContactPayment",
            {"reference": "x" * 26},
            r"\$\.reference",
            id="reference-over-25",
        ),
        pytest.param(
            "createContactPayment",
            {"allocatedArtefacts": [{"artefactId": "../sales_invoices", "amount": "1"}]},
            r"\$\.allocatedArtefacts\[0\]\.artefactId",
            id="artefact-not-an-id",
        ),
    ],
)
def test_bad_payment_inputs_are_refused_with_their_path(
    key: str, inputs: dict[str, Any], where: str
) -> None:
    base = {
        "transactionTypeId": "CUSTOMER_RECEIPT",
        "contactId": CONTACT,
        "bankAccountId": BANK,
        "date": "2024-04-05",
        "totalAmount": "10",
    }
    with pytest.raises(InputValidationError, match=where):
        PACK.get(key).validate({**base, **inputs})


def test_an_allocation_that_does_not_sum_to_zero_is_refused_with_its_figures() -> None:
    lines = [{"artefactId": INVOICE, "amount": "20.00"}, {"artefactId": BANK, "amount": "-19.99"}]
    inputs = {
        "transactionTypeId": "CUSTOMER_ALLOCATION",
        "contactId": CONTACT,
        "allocatedArtefacts": lines,
    }
    with pytest.raises(InputValidationError) as caught:
        PACK.get("createContactAllocation").validate(inputs)
    assert "20.00, -19.99 sum to 0.01" in str(caught.value)
    balanced = [lines[0], {**lines[1], "amount": "-20.00"}]
    PACK.get("createContactAllocation").validate({**inputs, "allocatedArtefacts": balanced})


def test_an_other_payment_must_total_its_lines() -> None:
    inputs = {
        "transactionTypeId": "OTHER_PAYMENT",
        "date": "2024-04-05",
        "bankAccountId": BANK,
        "totalAmount": "12.00",
        "paymentLines": [
            {"ledgerAccountId": INVOICE, "totalAmount": "10.00"},
            {"ledgerAccountId": INVOICE, "totalAmount": "1.00"},
        ],
    }
    with pytest.raises(
        InputValidationError, match=r"totalAmount 12\.00 is not the paymentLines' total 11\.00"
    ):
        PACK.get("createOtherPayment").validate(inputs)


def _bank_item(key: str, name: str, code: int, *, nominal: int | None = None) -> dict[str, Any]:
    return {
        "id": key,
        "displayed_as": f"{name} ({code:04d})",
        "bank_account_details": {"account_name": name},
        "ledger_account": {"id": "l" + key, "displayed_as": f"{name} ({code:04d})"},
        "nominal_code": nominal,
    }


def test_find_bank_account_matches_name_and_code_exactly_across_pages() -> None:
    first = page([_bank_item("a", "Current", 1200), _bank_item("b", "Current 2", 1201)], "/p2")
    second = page([_bank_item("c", "Savings", 1220, nominal=1220)], n=2)
    sent, found = run("findBankAccount", {"name": "current"}, [first, second])
    assert sent[0].query == {
        "attributes": "all",
        "items_per_page": 200,
        "filter_inactive_bank_accounts": True,
    }
    assert len(sent) == 2  # every page
    assert [item["id"] for item in found["items"]] == ["a"]
    _, by_code = run("findBankAccount", {"nominalCode": 1220}, [first, second])
    assert [item["id"] for item in by_code["items"]] == ["c"]
    _, both = run("findBankAccount", {"name": "Current", "nominalCode": 1201}, [first, second])
    assert both["items"] == []
    sent, _ = run("findBankAccount", {"nominalCode": 1200, "includeInactive": True}, [second])
    assert "filter_inactive_bank_accounts" not in sent[0].query
    with pytest.raises(InputValidationError, match="give name or nominalCode"):
        PACK.get("findBankAccount").validate({})


def test_the_payment_marker_is_looked_for_among_that_contacts_payments_of_the_day() -> None:
    assert PACK.get("createContactPayment").marker is _markers.CONTACT_PAYMENT
    assert PACK.get("createOtherPayment").marker is _markers.OTHER_PAYMENT
    inner = {"contact_id": CONTACT, "date": "2024-04-05", "total_amount": "10"}
    create = HTTPRequest("POST", "/contact_payments", json={"contact_payment": inner})
    marked = _markers.CONTACT_PAYMENT.mark(create, "k")
    assert marked is not None
    assert marked.json["contact_payment"]["reference"] == _markers.marker_text("k")
    listing = next(_markers.CONTACT_PAYMENT.find(marked, "k"))
    assert (listing.path, listing.query) == (
        "/contact_payments",
        {
            "attributes": "reference",
            "items_per_page": 200,
            "contact_id": CONTACT,
            "from_date": "2024-04-05",
            "to_date": "2024-04-05",
        },
    )
    # A reference of the caller's own is left alone: idempotency_id alone covers that create.
    own = HTTPRequest(
        "POST", "/contact_payments", json={"contact_payment": {**inner, "reference": "R"}}
    )
    assert _markers.CONTACT_PAYMENT.mark(own, "k") is None


# -- end to end, against the sandbox ------------------------------------------------------------


def _client(sandbox: Sandbox, drop: Callable[[httpx.Request], bool] | None = None) -> Client:
    inner = sandbox.transport()

    def handle(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        if drop is not None and drop(request):
            response.read()
            raise httpx.ReadError("connection dropped after commit", request=request)
        return response

    return Client(
        Connection.with_token(sandbox.api_base, DEV_TOKEN, PROFILE),
        transport=httpx.MockTransport(handle),
        sleep=lambda _seconds: None,
        retry=RetryPolicy(random=lambda: 0.0),
    )


def _first_post(request: httpx.Request, seen: list[str]) -> bool:
    seen.append(request.method)
    return request.method == "POST" and seen.count("POST") == 1


@pytest.mark.parametrize("idempotency", [True, False], ids=["sage-idempotency", "marker-only"])
def test_a_dropped_receipt_is_adopted_and_pays_the_invoice_once(idempotency: bool) -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=idempotency)
    invoice = sandbox.records("sales_invoices")[0]
    bank = sandbox.records("bank_accounts")[0]
    seen: list[str] = []
    inputs = {
        "transactionTypeId": "CUSTOMER_RECEIPT",
        "contactId": invoice["contact"]["id"],
        "bankAccountId": bank["id"],
        "date": "2026-01-06",
        "totalAmount": "10.00",
        "allocatedArtefacts": [{"artefactId": invoice["id"], "amount": "10.00"}],
    }
    with _client(sandbox, lambda r: _first_post(r, seen)) as client:
        out = client.call("sage_accounting/createContactPayment", inputs, CallOptions("k-pay"))
    (made,) = sandbox.records("contact_payments")
    assert out["id"] == made["id"]
    assert made["reference"] == _markers.marker_text("k-pay")
    assert seen.count("POST") == 1  # found by its marker: never sent again
    paid = next(r for r in sandbox.records("sales_invoices") if r["id"] == invoice["id"])
    assert Decimal(paid["total_paid"]) == 10
    assert paid["status"]["id"] == "PART_PAID"


def test_payments_lifecycle_through_the_components() -> None:
    sandbox = Sandbox(clock=Clock.manual())
    with _client(sandbox) as client:

        def call(key: str, inputs: dict[str, Any]) -> dict[str, Any]:
            component = PACK.get(key)
            out = client.call(f"sage_accounting/{key}", inputs)
            component.output.model_validate(out)
            return out

        (current,) = call("findBankAccount", {"nominalCode": 1200})["items"]
        assert current["bank_account_type"]["id"] == "CHECKING"
        invoice = sandbox.records("sales_invoices")[0]
        customer = invoice["contact"]["id"]
        payment = call(
            "createContactPayment",
            {
                "transactionTypeId": "CUSTOMER_RECEIPT",
                "contactId": customer,
                "bankAccountId": current["id"],
                "date": "2026-01-06",
                "totalAmount": "3000.00",
                "reference": "Stripe po_1",
                "allocatedArtefacts": [{"artefactId": invoice["id"], "amount": "2940.00"}],
            },
        )
        on_account = payment["payment_on_account"]
        assert on_account["outstanding_amount"] == "60.0"
        got = call("getSalesInvoice", {"salesInvoiceId": invoice["id"]})
        assert (got["status"]["id"], got["outstanding_amount"]) == ("PAID", "0.0")
        listed = call("listContactPayments", {"contactId": customer, "fetchAll": True})
        assert [p["id"] for p in listed["items"]] == [payment["id"]]
        cleared = call(
            "updateContactPayment", {"contactPaymentId": payment["id"], "allocatedArtefacts": []}
        )
        assert cleared["payment_on_account"]["outstanding_amount"] == "3000.0"
        allocation = call(
            "createContactAllocation",
            {
                "transactionTypeId": "CUSTOMER_ALLOCATION",
                "contactId": customer,
                "allocatedArtefacts": [
                    {"artefactId": invoice["id"], "amount": "2940.00"},
                    {"artefactId": cleared["payment_on_account"]["id"], "amount": "-2940.00"},
                ],
            },
        )
        assert call("getSalesInvoice", {"salesInvoiceId": invoice["id"]})["status"]["id"] == "PAID"
        call("deleteContactAllocation", {"contactAllocationId": allocation["id"]})
        call("deleteContactPayment", {"contactPaymentId": payment["id"]})
        got = call("getSalesInvoice", {"salesInvoiceId": invoice["id"]})
        assert (got["status"]["id"], got["outstanding_amount"]) == ("UNPAID", "2940.0")
        methods = call("listPaymentMethods", {})
        assert [m["id"] for m in methods["items"]][:2] == ["CASH", "CHECK"]
        assert call("getBankAccountType", {"bankAccountTypeId": "LOAN"})["displayed_as"] == "Loan"
