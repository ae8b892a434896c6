"""The sandbox behaves as Sage's guides, spec and recordings say (issue 9, part 2).

Each test names its source: a guide tag from ``sage-guides-facts.md`` ([G-pag], [G-inv], ...),
a spec operation, or a recorded sample. docs/sandbox-fidelity.md lists them all.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sandboxkit import by_code, contact_id, make_client, new_invoice, suite

from sage_accounting.sandbox import Clock, Sandbox


def _page(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- paging [G-pag] ---------------------------------------------------------------------------


def test_a_page_past_the_end_is_the_last_page_with_its_own_number(client: httpx.Client) -> None:
    # The seed's chart grows as resources are added; the last page is computed, not assumed.
    count = _page(client, "/ledger_accounts", items_per_page=10)["$total"]
    pages = -(-count // 10)
    assert pages > 1
    last = _page(client, "/ledger_accounts", items_per_page=10, page=pages)
    past = _page(client, "/ledger_accounts", items_per_page=10, page=99)
    assert past["$items"] == last["$items"] != []
    assert past["$page"] == pages
    assert past["$next"] is None
    assert past["$back"] == f"/ledger_accounts?page={pages - 1}&items_per_page=10"


def test_past_the_end_can_echo_the_requested_number_behind_a_switch() -> None:
    sandbox = Sandbox(clock=Clock.manual(), past_end_page="requested")
    with make_client(sandbox) as client:
        past = _page(client, "/ledger_accounts", items_per_page=10, page=99)
    assert past["$page"] == 99
    assert past["$items"]


def test_an_empty_list_past_the_end_is_empty_with_total_zero(client: httpx.Client) -> None:
    # Inferred in [G-pag] Q2: there is no last page to fall back to.
    empty = _page(client, "/contacts", search="no such contact anywhere", page=3)
    assert (empty["$items"], empty["$total"], empty["$page"]) == ([], 0, 1)
    assert empty["$next"] is None
    assert empty["$back"] is None


def test_a_client_paging_until_an_empty_page_would_never_stop(client: httpx.Client) -> None:
    # The hazard the issue names: on Sage a loop "until $items is empty" never ends.
    pages = [_page(client, "/contacts", items_per_page=2, page=n)["$items"] for n in (50, 51)]
    assert pages[0] == pages[1] != []


def test_businesses_come_in_one_page_whatever_is_asked(client: httpx.Client) -> None:
    # [G-bp][G-qs] and businesses__list__ledgerscope-SageOneApi.json: $items_per_page 2147483647.
    listed = _page(client, "/businesses", items_per_page=1, page=2)
    assert listed["$items_per_page"] == 2147483647
    assert (listed["$page"], listed["$next"], listed["$back"]) == (1, None, None)
    assert len(listed["$items"]) == listed["$total"] == 2


# -- contacts [G-inv] -------------------------------------------------------------------------


def test_a_contact_takes_one_contact_type(client: httpx.Client) -> None:
    # [G-inv]: "you cannot assign more than one contact_type_id".
    both = {"name": "Both Ltd", "contact_type_ids": ["CUSTOMER", "VENDOR"]}
    refused = client.post("/contacts", json={"contact": both})
    assert refused.status_code == 422
    assert refused.json()[0]["$source"] == "contact_type_ids"
    key = contact_id(client, "ACME001")
    update = client.put(f"/contacts/{key}", json={"contact": {"contact_type_ids": ["A", "B"]}})
    assert update.status_code == 422
    update = client.put(
        f"/contacts/{key}", json={"contact": {"contact_type_ids": ["CUSTOMER", "VENDOR"]}}
    )
    assert update.json()[0]["$source"] == "contact_type_ids"


# -- invoices [G-inv], postPurchaseInvoices ---------------------------------------------------


def test_a_draft_reads_si_draft_with_no_transaction_until_released(client: httpx.Client) -> None:
    draft = new_invoice(client, status_id="DRAFT").json()
    assert (draft["invoice_number"], draft["displayed_as"]) == ("SI-DRAFT", "SI-DRAFT")
    assert draft["transaction"] is None
    issued = new_invoice(client).json()  # a draft takes no number: the next one is last + 1
    assert issued["invoice_number"] == "SI-4"
    assert issued["transaction"]["$path"].startswith("/transactions/")
    released = client.post(f"/sales_invoices/{draft['id']}/release").json()
    assert (released["invoice_number"], released["status"]["id"]) == ("SI-5", "UNPAID")
    assert released["transaction"] is not None


def test_pro_forma_is_allowed_on_create_and_released_like_a_draft(client: httpx.Client) -> None:
    pro_forma = new_invoice(client, status_id="PRO_FORMA")
    assert pro_forma.status_code == 201, pro_forma.text
    assert pro_forma.json()["status"]["id"] == "PRO_FORMA"
    assert pro_forma.json()["transaction"] is None
    released = client.post(f"/sales_invoices/{pro_forma.json()['id']}/release").json()
    assert released["status"]["id"] == "UNPAID"
    assert new_invoice(client, status_id="PAID").status_code == 422


def test_purchase_invoices_need_a_due_date_and_line_quantities(client: httpx.Client) -> None:
    line = {
        "description": "Boards",
        "ledger_account_id": by_code(client, 5000)["id"],
        "unit_price": "12.5",
        "tax_rate_id": "GB_STANDARD",
        "tax_amount": "2.50",
    }
    body = {"contact_id": contact_id(client, "OAK001"), "date": "2026-01-05"}
    refused = client.post(
        "/purchase_invoices", json={"purchase_invoice": {**body, "invoice_lines": [line]}}
    )
    assert refused.status_code == 422
    assert {p["$source"] for p in refused.json()} == {"due_date", "invoice_lines[0].quantity"}
    body |= {"due_date": "2026-02-04", "invoice_lines": [{**line, "quantity": "1"}]}
    assert client.post("/purchase_invoices", json={"purchase_invoice": body}).status_code == 201


@pytest.mark.parametrize(
    ("params", "body"),
    [
        pytest.param({"void_reason": "Typo"}, None, id="query-the-spec"),
        pytest.param({}, {"void_reason": "Typo"}, id="body-the-guide"),
        pytest.param({"void_reason": "Typo"}, {"void_reason": "Typo"}, id="both-the-pack"),
    ],
)
def test_void_reason_in_the_query_or_the_body(
    client: httpx.Client, params: dict[str, str], body: dict[str, str] | None
) -> None:
    # [G-inv] sends a JSON body; the spec (DELETE /sales_invoices/{key}) a query parameter.
    invoice = new_invoice(client).json()
    voided = client.request("DELETE", f"/sales_invoices/{invoice['id']}", params=params, json=body)
    assert voided.status_code == 200, voided.text
    assert (voided.json()["status"]["id"], voided.json()["void_reason"]) == ("VOID", "Typo")


def test_void_without_a_reason_or_with_two_is_refused(client: httpx.Client) -> None:
    invoice = new_invoice(client).json()
    path = f"/sales_invoices/{invoice['id']}"
    assert client.request("DELETE", path, json={}).json()[0]["$source"] == "void_reason"
    two = client.request("DELETE", path, params={"void_reason": "a"}, json={"void_reason": "b"})
    assert two.status_code == 422
    assert two.json()[0]["$source"] == "void_reason"


def test_invoice_header_inputs_are_kept(client: httpx.Client) -> None:
    # postSalesInvoices: invoice_number_prefix, contact_name, contact_reference, main_address,
    # delivery_address, currency_id and exchange_rate were accepted and dropped before.
    delivery = {"address_line_1": "2 Dock Road", "city": "Slough", "postal_code": "SL1 1AA"}
    invoice = new_invoice(
        client,
        invoice_number_prefix="JOB-",
        contact_name="Acme (Sheffield)",
        contact_reference="ACME-S",
        delivery_address=delivery,
        currency_id="EUR",
        exchange_rate="1.25",
    )
    assert invoice.status_code == 201, invoice.text
    got = invoice.json()
    assert (got["invoice_number"], got["invoice_number_prefix"]) == ("JOB-4", "JOB-")
    assert (got["contact_name"], got["contact_reference"]) == ("Acme (Sheffield)", "ACME-S")
    assert got["delivery_address"]["address_line_1"] == "2 Dock Road"
    assert got["delivery_address_free_form"] == "2 Dock Road\nSlough\nSL1 1AA"
    assert got["delivery_address"]["country_group"]["id"] == "GBIE"
    assert got["main_address"]["address_line_1"] == "1 Foundry Road"  # the contact's, copied
    assert (got["currency"]["id"], got["exchange_rate"], got["inverse_exchange_rate"]) == (
        "EUR",
        "1.25",
        "0.8",
    )
    # 100.00 EUR + 20.00 VAT at 1.25 EUR to the pound: 80.00 + 16.00 GBP.
    assert got["total_amount"] == "120.0"
    assert (got["base_currency_net_amount"], got["base_currency_total_amount"]) == ("80.0", "96.0")
    assert got["invoice_lines"][0]["base_currency_unit_price"] == "80.0"


def test_a_foreign_currency_without_a_rate_is_refused(client: httpx.Client) -> None:
    # The sandbox has no live exchange rates: it refuses rather than book a made-up one.
    assert new_invoice(client, currency_id="EUR").json()[0]["$source"] == "exchange_rate"
    assert new_invoice(client, exchange_rate="1.2").json()[0]["$source"] == "exchange_rate"


# -- contact inputs once dropped: postContacts / putContacts / contact_persons ----------------


def _contact(client: httpx.Client, key: str) -> dict[str, Any]:
    return _page(client, f"/contacts/{key}", nested_attributes="all")


def test_delivery_address_and_bank_details_are_kept(client: httpx.Client) -> None:
    body = {
        "name": "Dock Ltd",
        "contact_type_ids": ["CUSTOMER"],
        "main_address": {"address_line_1": "1 High Street", "city": "Reading"},
        "delivery_address": {"address_line_1": "2 Dock Road", "city": "Slough", "name": "Yard"},
        "bank_account_details": {"account_number": "12345678", "sort_code": "123456"},
    }
    created = client.post("/contacts", json={"contact": body})
    assert created.status_code == 201, created.text
    got = _contact(client, created.json()["id"])
    assert got["main_address"]["address_line_1"] == "1 High Street"
    assert got["delivery_address"]["address_line_1"] == "2 Dock Road"
    assert got["delivery_address"]["name"] == "Yard"
    assert got["delivery_address"]["is_main_address"] is False
    assert got["main_address"]["country_group"]["id"] == "GBIE"
    assert got["bank_account_details"] == {
        "account_name": None,
        "account_number": "12345678",
        "sort_code": "123456",
        "bic": None,
        "iban": None,
    }
    # An invoice to this customer is delivered to the delivery address, billed to the main one.
    invoice = new_invoice(client, contact_id=got["id"]).json()
    assert invoice["delivery_address"]["address_line_1"] == "2 Dock Road"
    assert invoice["main_address"]["address_line_1"] == "1 High Street"


def test_update_contact_changes_its_address_and_bank_details(client: httpx.Client) -> None:
    key = contact_id(client, "ACME001")
    before = _contact(client, key)
    change = {
        "main_address": {"address_line_1": "9 New Road", "postal_code": "S2 9ZZ"},
        "delivery_address": {"address_line_1": "Gate B", "city": "Rotherham"},
        "bank_account_details": {"iban": "GB29NWBK60161331926819"},
    }
    updated = client.put(f"/contacts/{key}", json={"contact": change})
    assert updated.status_code == 200, updated.text
    got = _contact(client, key)
    main = got["main_address"]
    assert main["id"] == before["main_address"]["id"]  # the same record, changed
    assert (main["address_line_1"], main["city"], main["postal_code"]) == (
        "9 New Road",
        "Sheffield",
        "S2 9ZZ",
    )
    assert got["delivery_address"]["id"] != main["id"]
    assert got["delivery_address"]["city"] == "Rotherham"
    assert got["bank_account_details"]["iban"] == "GB29NWBK60161331926819"


def test_contact_person_types_and_main_and_preferred_flags(client: httpx.Client) -> None:
    key = contact_id(client, "ACME001")
    contact = _contact(client, key)
    address = contact["main_address"]["id"]
    alice = contact["main_contact_person"]["id"]
    body = {
        "address_id": address,
        "name": "Dan Evans",
        "contact_person_type_ids": ["SALES", "PURCHASING"],
        "is_main_contact": True,
        "is_preferred_contact": True,
    }
    created = client.post("/contact_persons", json={"contact_person": body})
    assert created.status_code == 201, created.text
    dan = created.json()
    assert [t["id"] for t in dan["contact_person_types"]] == ["SALES", "PURCHASING"]
    assert (dan["is_main_contact"], dan["is_preferred_contact"]) == (True, True)
    after = _contact(client, key)
    assert after["main_contact_person"]["id"] == dan["id"]
    assert after["preferred_contact_person"]["id"] == dan["id"]
    # Only one main contact per contact (spec): Alice lost the flag.
    assert _page(client, f"/contact_persons/{alice}")["is_main_contact"] is False
    change = {"contact_person_type_ids": ["ACCOUNTS"], "is_main_contact": False}
    updated = client.put(f"/contact_persons/{dan['id']}", json={"contact_person": change})
    assert [t["id"] for t in updated.json()["contact_person_types"]] == ["ACCOUNTS"]
    assert _contact(client, key)["main_contact_person"] is None
    missing = {"address_id": address, "name": "No Role"}
    refused = client.post("/contact_persons", json={"contact_person": missing})
    assert refused.json()[0]["$source"] == "contact_person_type_ids"


# -- balances follow from the invoices and payments held --------------------------------------


def test_contact_balance_is_what_its_issued_invoices_still_owe(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    # GET /contacts show_balance; Contact.balance "the contact balance".
    key = contact_id(client, "ACME001")
    before = _page(client, f"/contacts/{key}", show_balance="true")["balance"]
    assert "balance" not in _page(client, f"/contacts/{key}")  # only when asked for
    invoice = new_invoice(client).json()  # 120.00
    new_invoice(client, status_id="DRAFT")  # a draft owes nothing ([G-inv]: no transaction)
    sandbox.record_payment(invoice["id"], "20")
    after = _page(client, f"/contacts/{key}", show_balance="true")["balance"]
    assert Decimal(after) - Decimal(before) == Decimal("100")
    listed = _page(client, "/contacts", search="ACME001", show_balance="true")["$items"]
    assert listed[0]["balance"] == after


def test_ledger_balance_details_follow_the_invoices(sandbox: Sandbox, client: httpx.Client) -> None:
    # GET /ledger_accounts/{key} show_balance_details, from_date, to_date; the shape of
    # journals__post_201__sage-guide-journals.json's balance_details.
    sales = by_code(client, 4000)["id"]
    debtors = by_code(client, 1100)["id"]
    vat = by_code(client, 2200)["id"]
    window = {"show_balance_details": "true", "from_date": "2026-01-01", "to_date": "2026-01-31"}
    assert _page(client, f"/ledger_accounts/{sales}")["balance_details"] is None
    empty = _page(client, f"/ledger_accounts/{sales}", **window)["balance_details"]
    assert empty == {
        "balance": "0.0",
        "credit_or_debit": "debit",
        "credits": "0.0",
        "debits": "0.0",
        "from_date": "2026-01-01",
        "to_date": "2026-01-31",
    }
    invoice = new_invoice(client).json()  # 2026-01-05: 100.00 net + 20.00 VAT to 4000
    new_invoice(client, date="2026-02-05")  # outside the window
    sandbox.record_payment(invoice["id"], "50")
    got = {
        account: _page(client, f"/ledger_accounts/{account}", **window)["balance_details"]
        for account in (sales, debtors, vat)
    }
    assert (got[sales]["credits"], got[sales]["credit_or_debit"]) == ("100.0", "credit")
    assert (got[vat]["balance"], got[vat]["credit_or_debit"]) == ("20.0", "credit")
    # The payment is dated by the sandbox clock (2026-01-05): debtors 120 debit, 50 credit.
    assert (got[debtors]["debits"], got[debtors]["credits"]) == ("120.0", "50.0")
    assert (got[debtors]["balance"], got[debtors]["credit_or_debit"]) == ("70.0", "debit")
    listed = _page(client, "/ledger_accounts", search="Sales - Products", **window)["$items"]
    assert listed[0]["balance_details"] == got[sales]


# -- ledger account inputs and reference data -------------------------------------------------


def test_ledger_account_flags_are_kept(client: httpx.Client) -> None:
    # postLedgerAccounts / putLedgerAccounts: visible_in_*, fixed_tax_rate, gifi_code.
    body = {
        "ledger_account_type_id": "OTHER_INCOME",
        "included_in_chart": True,
        "name": "Grants",
        "display_name": "Grants",
        "nominal_code": 42,
        "visible_in_sales": True,
        "visible_in_journals": False,
        "fixed_tax_rate": True,
        "gifi_code": 8000,
    }
    created = client.post("/ledger_accounts", json={"ledger_account": body}).json()
    assert created["displayed_as"] == "Grants (0042)"
    assert created["display_formatted"] == "0042 - Grants"
    assert created["visible_scopes"] == ["reporting", "sales"]
    assert (created["visible_in_sales"], created["visible_in_journals"]) == (True, False)
    assert (created["fixed_tax_rate"], created["gifi_code"]) == (True, 8000)
    change = {"visible_in_banking": True, "ledger_account_type_id": "LINE_OF_CREDIT"}
    updated = client.put(f"/ledger_accounts/{created['id']}", json={"ledger_account": change})
    assert updated.json()["visible_in_banking"] is True
    assert updated.json()["ledger_account_group"] == {
        "id": "LIABILITY",
        "displayed_as": "Liability",
    }


def test_reference_data_has_sages_names_and_counts(client: httpx.Client) -> None:
    rates = _page(client, "/tax_rates")
    assert rates == suite().load_sample("tax_rates__list__sage-swagger-2025-example.json")
    standard = _page(client, "/tax_rates/GB_STANDARD")
    assert (standard["name"], standard["agency"]) == ("STANDARD", None)
    types = _page(client, "/ledger_account_types")
    assert types["$total"] == 13  # the split-2025 swagger's example lists 13
    assert {"FUTURE_ASSETS", "LINE_OF_CREDIT"} <= {t["id"] for t in types["$items"]}
    system = _page(client, "/contacts", exclude_system="false", search="HMRC")["$items"]
    assert {c["displayed_as"] for c in system} == {
        "HMRC Reclaimed (HMRC Rec)",
        "HMRC Payments (HMRC Pay)",
    }


# -- strict mode: nothing accepted and dropped ------------------------------------------------


@pytest.mark.parametrize(
    ("path", "wrapper", "body", "field"),
    [
        pytest.param(
            "/contacts",
            "contact",
            {"name": "X", "contact_type_ids": ["CUSTOMER"], "credit_terms": "end_of_month"},
            "credit_terms",
            id="contact-top",
        ),
        pytest.param(
            "/contacts",
            "contact",
            {
                "name": "X",
                "contact_type_ids": ["CUSTOMER"],
                "main_address": {"address_line_1": "1 Road", "bank_account_id": "b" * 32},
            },
            "main_address.bank_account_id",
            id="contact-nested",
        ),
        pytest.param(
            "/ledger_accounts",
            "ledger_account",
            {
                "ledger_account_type_id": "SALES",
                "included_in_chart": True,
                "name": "CIS",
                "display_name": "CIS",
                "nominal_code": 4444,
                "cis_labour": True,
            },
            "cis_labour",
            id="ledger",
        ),
    ],
)
def test_strict_mode_refuses_what_it_would_drop(
    client: httpx.Client, path: str, wrapper: str, body: dict[str, Any], field: str
) -> None:
    refused = client.post(path, json={wrapper: body})
    assert refused.status_code == 422
    assert [p["$source"] for p in refused.json()] == [field]
    assert "not simulated" in refused.json()[0]["$message"]


def test_strict_mode_refuses_unsimulated_invoice_line_fields(client: httpx.Client) -> None:
    line = {
        "description": "Joinery",
        "ledger_account_id": by_code(client, 4000)["id"],
        "quantity": "1",
        "unit_price": "100.00",
        "tax_rate_id": "GB_STANDARD",
        "tax_amount": "20.00",
        "trade_of_asset": True,
    }
    refused = new_invoice(client, invoice_lines=[line], vat_reverse_charge=True)
    assert {p["$source"] for p in refused.json()} == {
        "vat_reverse_charge",
        "invoice_lines[0].trade_of_asset",
    }


def test_sent_totals_must_agree_with_the_lines(client: httpx.Client) -> None:
    # Whether Sage keeps a mismatched total or refuses it is unknown: strict mode refuses.
    assert new_invoice(client, net_amount="100.00", total_amount="120.00").status_code == 201
    wrong = new_invoice(client, total_amount="999.00")
    assert wrong.status_code == 422
    assert wrong.json()[0]["$source"] == "total_amount"


def test_the_lenient_switch_accepts_and_ignores() -> None:
    sandbox = Sandbox(clock=Clock.manual(), strict=False)
    with make_client(sandbox) as client:
        body = {"name": "X", "contact_type_ids": ["CUSTOMER"], "credit_terms": "end_of_month"}
        assert client.post("/contacts", json={"contact": body}).status_code == 201
        assert new_invoice(client, total_amount="999.00").status_code == 201


def test_serve_offers_the_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from click.testing import CliRunner

    from sageflow._cli.sandbox import sandbox as sandbox_group

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(app=app))
    default = CliRunner().invoke(sandbox_group, ["serve", "--pack", "sage_accounting", "--memory"])
    assert default.exit_code == 0, default.output
    served = seen["app"].mounts[0][1].sandbox
    assert (served.strict, served.past_end_page) == (True, "last")
    switched = CliRunner().invoke(
        sandbox_group,
        [
            "serve",
            "--pack",
            "sage_accounting",
            "--memory",
            "--lenient",
            "--past-end-page",
            "requested",
        ],
    )
    assert switched.exit_code == 0, switched.output
    served = seen["app"].mounts[0][1].sandbox
    assert (served.strict, served.past_end_page) == (False, "requested")


def test_strict_mode_refuses_a_status_change_by_put(client: httpx.Client) -> None:
    # [G-inv]: PAID/PART_PAID come from payments, a draft ends with release: a PUT that sends
    # status_id would have it dropped, so strict mode refuses it.
    invoice = new_invoice(client).json()
    change = {"status_id": "PAID", "invoice_number_prefix": "X-"}
    refused = client.put(f"/sales_invoices/{invoice['id']}", json={"sales_invoice": change})
    assert refused.status_code == 422
    assert {p["$source"] for p in refused.json()} == {"status_id", "invoice_number_prefix"}


def test_a_refused_contact_update_changes_no_address(client: httpx.Client) -> None:
    key = contact_id(client, "ACME001")
    before = _contact(client, key)
    change = {
        "main_address": {"address_line_1": "9 New Road"},
        "delivery_address": {"address_line_1": "Gate B", "country_id": "XX"},
    }
    refused = client.put(f"/contacts/{key}", json={"contact": change})
    assert refused.status_code == 422
    assert refused.json()[0]["$source"] == "delivery_address.country_id"
    assert _contact(client, key) == before
    addresses = _page(client, "/addresses", contact_id=key)["$items"]
    assert len(addresses) == 1
