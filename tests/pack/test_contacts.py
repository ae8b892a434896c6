"""Contacts and contact persons: requests built from inputs, and findContact's matching."""

from __future__ import annotations

import pytest
from packkit import first, page, run

from sage_accounting import PACK
from sageflow import HTTPResponse, InputValidationError

ID = "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"


def test_get_contact_sends_only_the_query_inputs_given() -> None:
    request = first("getContact", {"contactId": ID, "showBalance": True, "nestedAttributes": "all"})
    assert (request.method, request.path) == ("GET", f"/contacts/{ID}")
    assert request.query == {"show_balance": True, "nested_attributes": "all"}


def test_list_contacts_maps_filters_to_sage_names() -> None:
    request = first(
        "listContacts",
        {
            "contactTypeId": "VENDOR",
            "itemsPerPage": 50,
            "page": 2,
            "updated_or_created_since": "2026-01-02T03:04:05Z",
            "email": "a@b.example",
            "excludeSystem": True,
            "fetchAll": False,
        },
    )
    assert request.path == "/contacts"
    assert request.query == {
        "contact_type_id": "VENDOR",
        "items_per_page": "50",
        "page": "2",
        "updated_or_created_since": "2026-01-02T03:04:05+00:00",
        "email": "a@b.example",
        "exclude_system": True,
    }


def test_create_contact_groups_bank_details_and_renames_ledgers() -> None:
    request = first(
        "createContact",
        {
            "name": "Acme",
            "contactTypeIds": ["CUSTOMER"],  # one type only ([G-inv])
            "defaultSalesLedgerId": "L1",
            "defaultPurchaseLedgerId": "L2",
            "sortCode": "12-34-56",
            "accountNumber": "12345678",
        },
    )
    assert request.method == "POST"
    assert request.json == {
        "contact": {
            "name": "Acme",
            "contact_type_ids": ["CUSTOMER"],
            "default_sales_ledger_account_id": "L1",
            "default_purchase_ledger_account_id": "L2",
            "bank_account_details": {"account_number": "12345678", "sort_code": "12-34-56"},
        }
    }


def test_update_contact_sends_only_what_was_given() -> None:
    request = first("updateContact", {"contactId": ID, "notes": "x"})
    assert (request.method, request.path) == ("PUT", f"/contacts/{ID}")
    assert request.json == {"contact": {"notes": "x"}}


def test_create_contact_requires_name_and_types() -> None:
    with pytest.raises(InputValidationError) as caught:
        PACK.get("createContact").validate({"contactTypeIds": []})
    text = str(caught.value)
    assert "$.name" in text
    assert "$.contactTypeIds" in text


def test_delete_contact() -> None:
    sent, out = run("deleteContact", {"contactId": ID}, [HTTPResponse(204)])
    assert (sent[0].method, sent[0].path) == ("DELETE", f"/contacts/{ID}")
    assert out == {"id": ID, "deleted": True}


ACME = {"id": "1", "name": "Acme Ltd", "reference": "ACME001", "email": "x@acme.example"}
ACME_TOO = {"id": "2", "name": "Acme Ltd Trading", "reference": "ACME002", "email": None}


def test_find_contact_by_reference_keeps_only_exact_matches_across_pages() -> None:
    sent, out = run(
        "findContact",
        {"reference": "acme001", "contactTypeId": "CUSTOMER"},
        [page([ACME_TOO], "/contacts?page=2&search=acme001"), page([ACME], n=2)],
    )
    assert sent[0].query == {
        "items_per_page": 200,
        "attributes": "all",
        "contact_type_id": "CUSTOMER",
        "search": "acme001",
    }
    assert sent[1].query == {"page": "2", "search": "acme001"}
    assert out == {"items": [ACME]}


def test_find_contact_by_email_uses_sages_email_filter() -> None:
    sent, out = run("findContact", {"email": "X@ACME.example"}, [page([ACME, ACME_TOO])])
    assert sent[0].query["email"] == "X@ACME.example"
    assert "search" not in sent[0].query
    assert out == {"items": [ACME]}


def test_find_contact_returns_no_items_when_nothing_matches() -> None:
    _, out = run("findContact", {"name": "Nobody"}, [page([ACME])])
    assert out == {"items": []}


def test_find_contact_by_search_returns_everything_sage_matched_up_to_limit() -> None:
    _, out = run("findContact", {"search": "acme", "limit": 1}, [page([ACME, ACME_TOO])])
    assert out == {"items": [ACME]}


def test_find_contact_needs_a_criterion() -> None:
    with pytest.raises(InputValidationError, match="at least one of search"):
        PACK.get("findContact").validate({"contactTypeId": "CUSTOMER"})


PERSON = "1778d9c2a9a245c99835ac6e25390ef4"


def test_contact_person_actions_use_contact_persons() -> None:
    assert (
        first("getContactPerson", {"contactPersonId": PERSON}).path == f"/contact_persons/{PERSON}"
    )
    listing = first("listContactPeople", {"contactId": ID, "addressId": "A1"})
    assert (listing.path, listing.query) == (
        "/contact_persons",
        {"contact_id": ID, "address_id": "A1"},
    )
    created = first(
        "createContactPerson",
        {
            "addressId": "A1",
            "name": "Jane",
            "contactPersonTypeIds": ["ACCOUNTS"],
            "isMainContact": False,
        },
    )
    assert created.json == {
        "contact_person": {
            "is_main_contact": False,
            "address_id": "A1",
            "name": "Jane",
            "contact_person_type_ids": ["ACCOUNTS"],
        }
    }
    updated = first("updateContactPerson", {"contactPersonId": PERSON, "jobTitle": "CFO"})
    assert (updated.method, updated.path) == ("PUT", f"/contact_persons/{PERSON}")
    assert updated.json == {"contact_person": {"job_title": "CFO"}}
