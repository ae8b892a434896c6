"""Requests the pack sends where Sage's spec or guides differ from what the sandbox once took.

Issue 9: each test names the spec operation or the guide statement ([G-...] tags of
``sage-guides-facts.md``) that the request must satisfy.
"""

from __future__ import annotations

import pytest
from packkit import first, suite_conftest

from sage_accounting import PACK
from sageflow._errors import InputValidationError


def _spec_query_names(method: str, path: str) -> set[str]:
    operation = suite_conftest().spec_operation(method, path)
    assert operation is not None
    return {p["name"] for p in operation.operation.get("parameters", []) if p.get("in") == "query"}


def test_list_ledger_accounts_never_sends_deleted_since() -> None:
    # GET /ledger_accounts has updated_or_created_since but no deleted_since in the spec.
    assert "deleted_since" not in _spec_query_names("GET", "/ledger_accounts")
    with pytest.raises(InputValidationError, match=r"\$\.deleted_since: unknown input"):
        PACK.get("listLedgerAccounts").validate({"deleted_since": "2026-01-01"})
    request = first("listLedgerAccounts", {"updated_or_created_since": "2026-01-01"})
    assert set(request.query) <= _spec_query_names("GET", "/ledger_accounts")


def test_a_401_without_a_header_reads_as_one_sentence() -> None:
    # Sage's only error that is an object: {"error": "<sentence>"} (recorded live, cauldron).
    from sage_accounting._errors import parse_error
    from sageflow import HTTPRequest, HTTPResponse

    body = suite_conftest().load_sample(
        "errors__401_authorization_header_missing__cauldron-live.json"
    )
    error = parse_error(HTTPResponse.from_json(401, body), HTTPRequest("GET", "/contacts"))
    (entry,) = error.entries
    assert entry.code is None
    assert entry.message == body["error"]
    assert str(error).count("Authorization missing") == 1


@pytest.mark.parametrize("key", ["createContact", "updateContact"])
def test_a_contact_takes_one_contact_type(key: str) -> None:
    # [G-inv]: "you cannot assign more than one contact_type_id".
    inputs = {"name": "Acme", "contactTypeIds": ["CUSTOMER", "VENDOR"]}
    if key == "updateContact":
        inputs = {"contactId": "c" * 32, "contactTypeIds": ["CUSTOMER", "VENDOR"]}
    with pytest.raises(InputValidationError, match=r"\$\.contactTypeIds"):
        PACK.get(key).validate(inputs)


def test_a_draft_delete_sends_no_reason_anywhere() -> None:
    request = first("deleteSalesInvoice", {"salesInvoiceId": "d" * 32})
    assert (request.query, request.json) == ({}, None)


def test_purchase_invoices_require_a_due_date_and_line_quantities() -> None:
    # postPurchaseInvoices: required [contact_id, date, due_date, invoice_lines]; each line
    # requires quantity.
    line = {"description": "Paper", "ledgerAccountId": "a" * 32, "unitPrice": "3"}
    inputs = {"contactId": "c" * 32, "date": "2026-03-10", "invoiceLines": [line]}
    with pytest.raises(InputValidationError) as raised:
        PACK.get("createPurchaseInvoice").validate(inputs)
    assert {str(p).split(":")[0] for p in raised.value.problems} >= {
        "$.dueDate",
        "$.invoiceLines[0].quantity",
    }


def test_pro_forma_is_a_status_an_invoice_can_be_created_with() -> None:
    # [G-inv]: status_id on create is UNPAID, DRAFT or PRO_FORMA.
    line = {"description": "x", "ledgerAccountId": "a" * 32, "quantity": 1, "unitPrice": "1"}
    line["taxAmount"] = "0.20"
    inputs = {"contactId": "c" * 32, "date": "2026-03-10", "invoiceLines": [line]}
    request = first("createSalesInvoice", {**inputs, "statusId": "PRO_FORMA"})
    assert request.json["sales_invoice"]["status_id"] == "PRO_FORMA"
