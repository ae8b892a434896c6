"""The sandbox's journals, quick entries, ledger views and settings, over HTTP, with sources.

Each test names the behaviour of docs/sandbox-fidelity.md it holds ("Journals, the ledger and
quick entries", "Settings and their reference lists").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sandboxkit import by_code, make_client

from sage_accounting.sandbox import Clock, Sandbox


def _journal(client: httpx.Client, *lines: tuple[int, str, str], **extra: Any) -> httpx.Response:
    body = {
        "date": "2026-01-31",
        "reference": "ACCR-JAN",
        "journal_lines": [
            {"ledger_account_id": by_code(client, code)["id"], "debit": debit, "credit": credit}
            for code, debit, credit in lines
        ],
        **extra,
    }
    return client.post("/journals", json={"journal": body})


def _problems(response: httpx.Response) -> list[tuple[str, str]]:
    return [(p["$source"], p["$message"]) for p in response.json()]


def test_an_unbalanced_journal_is_a_422_naming_both_totals(client: httpx.Client) -> None:
    # [G-jnl]: "the total must balance".
    refused = _journal(client, (7602, "1250.00", "0"), (9998, "0", "1200.00"))
    assert refused.status_code == 422
    assert _problems(refused) == [
        ("base", "The journal does not balance: debits 1250.00, credits 1200.00")
    ]
    assert client.get("/journals").json()["$total"] == 0


@pytest.mark.parametrize(
    ("debit", "credit", "source", "message"),
    [
        pytest.param("5", "5", "journal_lines[0]", "not both", id="both-sides"),
        pytest.param("0", "0", "journal_lines[0]", "needs a debit or a credit", id="no-side"),
        pytest.param("-5", "0", "journal_lines[0].debit", "greater than or equal", id="negative"),
        pytest.param("5.001", "0", "journal_lines[0].debit", "2 decimal", id="sub-penny"),
        pytest.param(None, "0", "journal_lines[0].debit", "is not a number", id="missing"),
    ],
)
def test_each_line_is_one_side(
    client: httpx.Client, debit: str | None, credit: str, source: str, message: str
) -> None:
    line: dict[str, Any] = {"ledger_account_id": by_code(client, 7602)["id"], "credit": credit}
    if debit is not None:
        line["debit"] = debit
    body = {"date": "2026-01-31", "reference": "J", "journal_lines": [line]}
    refused = client.post("/journals", json={"journal": body})
    assert refused.status_code == 422
    ((where, says),) = _problems(refused)
    assert where == source
    assert message in says


def test_a_journal_has_the_recorded_shape_and_no_put(client: httpx.Client) -> None:
    posted = _journal(client, (7602, "350.00", "0"), (8000, "0", "350.00"), total="350.00")
    assert posted.status_code == 201
    journal = posted.json()
    # The shape of journals__get_one__sage-swagger-2025-example.json.
    assert journal["total"] == "350.0"
    assert journal["transaction_type"]["id"] == "JOURNAL"
    assert journal["journal_code"] is None
    assert journal["migrated"] is False
    line = journal["journal_lines"][0]
    assert (line["debit"], line["credit"], line["cleared"]) == ("350.0", "0.0", False)
    assert line["journal_line_foreign_currency"]["exchange_rate"] is None
    put = client.put(f"/journals/{journal['id']}", json={"journal": {"reference": "X"}})
    assert put.status_code == 405  # [G-jnl]: journals cannot be edited with PUT
    assert client.delete(f"/journals/{journal['id']}").status_code == 204
    wrong_total = _journal(client, (7602, "1.00", "0"), (8000, "0", "1.00"), total="2.00")
    assert _problems(wrong_total) == [("total", "must equal the journal's debits (1.00)")]


def test_strict_mode_refuses_what_journals_do_not_simulate(client: httpx.Client) -> None:
    refused = _journal(
        client, (7602, "1.00", "0"), (8000, "0", "1.00"), journal_code={"code": "OD"}
    )
    assert refused.status_code == 422
    assert _problems(refused)[0][0] == "journal_code"


def test_entries_and_transactions_are_views_of_the_postings(client: httpx.Client) -> None:
    journal = _journal(client, (7602, "10.00", "0"), (1200, "0", "10.00")).json()
    transaction = journal["transaction"]["id"]
    entries = client.get(
        "/ledger_entries", params={"transaction_id": transaction, "attributes": "all"}
    ).json()["$items"]
    assert {e["displayed_as"] for e in entries} == {"2026-01-31"}
    assert sorted((e["debit"], e["credit"]) for e in entries) == [("0.0", "10.0"), ("10.0", "0.0")]
    # Stable ids: the same posting is the same entry on every request.
    again = client.get("/ledger_entries", params={"transaction_id": transaction}).json()
    assert [e["id"] for e in again["$items"]] == [e["id"] for e in entries]
    one = client.get(f"/transactions/{transaction}").json()
    assert (one["total"], one["origin"]["id"], one["reference"]) == (
        "10.0",
        journal["id"],
        "ACCR-JAN",
    )
    journals = client.get("/transactions", params={"transaction_type_id": "JOURNAL"}).json()
    assert [t["id"] for t in journals["$items"]] == [transaction]
    invoices = client.get("/transactions", params={"transaction_type_id": "SALES_INVOICE"})
    assert invoices.json()["$total"] == 3  # the seed's three issued sales invoices
    assert client.post("/ledger_entries", json={"ledger_entry": {}}).status_code == 405


def test_a_reserved_journal_code_cannot_be_deleted(client: httpx.Client) -> None:
    body = {"name": "Banque", "code": "BQ", "journal_code_type_id": "BANK", "control_name": "BANK"}
    code = client.post("/journal_codes", json={"journal_code": body}).json()
    assert code["reserved"] is True
    refused = client.delete(f"/journal_codes/{code['id']}")
    assert _problems(refused) == [("base", "A reserved journal code cannot be deleted")]
    unknown_type = {**body, "code": "B2", "journal_code_type_id": "NOPE"}
    bad = client.post("/journal_codes", json={"journal_code": unknown_type})
    assert _problems(bad) == [("journal_code_type_id", "is invalid")]


def _customer(client: httpx.Client) -> str:
    found = client.get("/contacts", params={"contact_type_id": "CUSTOMER"}).json()["$items"]
    return str(found[0]["id"])


def test_a_quick_entrys_total_is_net_plus_tax(client: httpx.Client) -> None:
    body = {
        "quick_entry_type_id": "CREDIT_NOTE",
        "date": "2026-01-10",
        "contact_id": _customer(client),
        "reference": "QE-CN",
        "ledger_account_id": by_code(client, 4000)["id"],
        "net_amount": "100.00",
        "tax_amount": "20.00",
        "total_amount": "130.00",
    }
    refused = client.post("/sales_quick_entries", json={"sales_quick_entry": body})
    assert _problems(refused) == [("total_amount", "must equal net + tax (120.00)")]
    made = client.post(
        "/sales_quick_entries", json={"sales_quick_entry": {**body, "total_amount": "120.00"}}
    ).json()
    assert made["transaction_type"]["id"] == "SALES_QUICK_ENTRY_CREDIT_NOTE"
    # A sales credit note credits Trade Debtors with its total.
    debtors = by_code(client, 1100)["id"]
    entries = client.get(
        "/ledger_entries",
        params={"transaction_id": made["transaction"]["id"], "ledger_account_id": debtors},
    ).json()["$items"]
    (entry,) = [client.get(f"/ledger_entries/{e['id']}").json() for e in entries]
    assert (entry["debit"], entry["credit"]) == ("0.0", "120.0")
    strict = client.post(
        "/sales_quick_entries", json={"sales_quick_entry": {**body, "currency_id": "EUR"}}
    )
    assert _problems(strict)[0][0] == "currency_id"


def test_invoice_settings_number_the_next_invoice_within_the_schemas_range(
    client: httpx.Client,
) -> None:
    assert client.get("/invoice_settings").json()["next_invoice_number"] == 4  # after SI-3
    too_big = client.put(
        "/invoice_settings", json={"invoice_settings": {"next_invoice_number": 10**9}}
    )
    assert _problems(too_big) == [("next_invoice_number", "must be between 1 and 999999999")]
    terms = client.put(
        "/invoice_settings", json={"invoice_settings": {"customer_credit_terms": "someday"}}
    )
    assert terms.status_code == 422
    quick = client.put("/invoice_settings", json={"invoice_settings": {"quick_entry_prefix": "Q"}})
    assert _problems(quick)[0][0] == "quick_entry_prefix"  # not simulated: refused, not dropped
    blank = {"invoice_settings": {"sales_invoice_number_prefix": " "}}
    assert _problems(client.put("/invoice_settings", json=blank)) == [
        ("sales_invoice_number_prefix", "can't be blank")
    ]
    numbering = {"sales_invoice_number_prefix": "INV-", "next_credit_note_number": 40}
    shown = client.put("/invoice_settings", json={"invoice_settings": numbering}).json()
    assert (shown["sales_invoice_number_prefix"], shown["next_credit_note_number"]) == ("INV-", 40)
    line = {
        "description": "Work",
        "ledger_account_id": by_code(client, 4000)["id"],
        "quantity": "1",
        "unit_price": "10.00",
        "tax_rate_id": "GB_ZERO",
    }
    invoice = {"contact_id": _customer(client), "date": "2026-01-10", "invoice_lines": [line]}
    made = client.post("/sales_invoices", json={"sales_invoice": invoice}).json()
    assert made["invoice_number"] == "INV-4"  # the settings' prefix, the next number
    headings = {"document_headings": {"sales_invoice": "Tax Invoice"}}
    saved = client.put("/invoice_settings", json={"invoice_settings": headings}).json()
    assert saved["document_headings"]["sales_invoice"] == "Tax Invoice"
    assert saved["document_headings"]["statement"] == "Statement"


def test_settings_reference_lists_come_from_the_examples() -> None:
    sandbox = Sandbox(clock=Clock.manual())
    with make_client(sandbox) as client:
        bad = client.put(
            "/business_settings",
            json={
                "business_settings": {"default_ledger_accounts": {"sales_ledger_account_id": "x"}}
            },
        )
        assert _problems(bad) == [("default_ledger_accounts.sales_ledger_account_id", "is invalid")]
        assert client.get("/exchange_rates/EUR").status_code == 404
        rates = client.get("/exchange_rates", params={"attributes": "all"}).json()["$items"]
        assert {r["displayed_as"] for r in rates} == {"GBP -> AUD", "GBP -> GBP"}
        assert client.get("/countries_of_registration").json()["$total"] == 5
        profile = client.get("/tax_profiles").json()["$items"][0]
        frequency = {"tax_return_frequency_id": "WEEKLY"}
        refused = client.put(f"/tax_profiles/{profile['id']}", json={"tax_profile": frequency})
        assert _problems(refused) == [("tax_return_frequency_id", "is invalid")]
        assert client.post("/tax_profiles", json={"tax_profile": {}}).status_code == 405


def test_journals_settings_and_quick_entries_survive_a_restart_on_a_data_file(
    tmp_path: Path,
) -> None:
    data = tmp_path / "sandbox.db"
    with make_client(Sandbox(clock=Clock.manual(), data=data)) as first:
        journal = _journal(first, (7602, "5.00", "0"), (9998, "0", "5.00")).json()
        first.put("/invoice_settings", json={"invoice_settings": {"next_invoice_number": 77}})
        settings = {"business_settings": {"country_of_registration_id": "WALES"}}
        first.put("/business_settings", json=settings)
        entries = first.get(
            "/ledger_entries", params={"transaction_id": journal["transaction"]["id"]}
        )
    with make_client(Sandbox(clock=Clock.manual(), data=data)) as second:
        assert second.get(f"/journals/{journal['id']}").json()["total"] == "5.0"
        again = second.get(
            "/ledger_entries", params={"transaction_id": journal["transaction"]["id"]}
        )
        assert again.json()["$items"] == entries.json()["$items"]
        assert second.get("/invoice_settings").json()["next_invoice_number"] == 77
        country = second.get("/business_settings").json()["country_of_registration"]
        assert country["id"] == "WALES"


def test_reissue_voids_the_journal_and_posts_it_again(client: httpx.Client) -> None:
    # [S1] postJournalsKeyReissue: "voiding the existing one and creating a new one", 201.
    old = _journal(client, (7602, "60.00", "0"), (9998, "0", "60.00")).json()
    reissued = client.post(f"/journals/{old['id']}/reissue")
    assert reissued.status_code == 201
    new = reissued.json()
    assert new["id"] != old["id"]
    assert new["transaction"]["id"] != old["transaction"]["id"]
    assert [(line["debit"], line["credit"]) for line in new["journal_lines"]] == [
        (line["debit"], line["credit"]) for line in old["journal_lines"]
    ]
    assert client.get(f"/journals/{old['id']}").status_code == 404
    assert [j["id"] for j in client.get("/journals").json()["$items"]] == [new["id"]]
    gone = client.get("/ledger_entries", params={"transaction_id": old["transaction"]["id"]})
    assert gone.json()["$total"] == 0
    posted = client.get("/ledger_entries", params={"transaction_id": new["transaction"]["id"]})
    assert posted.json()["$total"] == 2
    # The old id again: nothing left to void.
    assert client.post(f"/journals/{old['id']}/reissue").status_code == 404


def test_every_transaction_type_the_sandbox_posts_is_listed(client: httpx.Client) -> None:
    from sage_accounting.sandbox import _credit_notes, _journals, _payments

    posted = {
        *_payments.TRANSACTION_TYPES,
        *(kind.transaction_type[0] for kind in (_credit_notes.SALES, _credit_notes.PURCHASES)),
        "SALES_INVOICE",
        "PURCHASE_INVOICE",
        "JOURNAL",
        "BANK_TRANSFER",
        "DEPOSIT",
    }
    assert posted <= set(_journals.TRANSACTION_TYPES)
    _journal(client, (7602, "1.00", "0"), (9998, "0", "1.00"))
    entries = client.get("/ledger_entries", params={"attributes": "transaction_type"}).json()
    for entry in entries["$items"]:
        key = entry["transaction_type"]["id"]
        assert client.get(f"/transaction_types/{key}").status_code == 200, key
