"""Journals, the ledger, quick entries and settings: the requests built, and the sandbox's books.

A journal that does not balance is refused by the component before any request; a balanced one
moves the ledger account balances by exactly its lines, and /ledger_entries lists the same
postings the balances add up (one computation, ``sandbox._resources.entries``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from packkit import by_path, dropping_first_post, first, layer_client, page, run

from sage_accounting._markers import marker_text
from sage_accounting.sandbox import Clock, Sandbox
from sageflow import CallOptions, InputValidationError, components, get_component

ACCOUNT_A, ACCOUNT_B = "a" * 32, "b" * 32


def _journal(*lines: dict[str, Any]) -> dict[str, Any]:
    return {"date": "2026-01-31", "reference": "ACCR-JAN", "journalLines": list(lines)}


def _debit(amount: str, account: str = ACCOUNT_A) -> dict[str, Any]:
    return {"ledgerAccountId": account, "debit": amount}


def _credit(amount: str, account: str = ACCOUNT_B) -> dict[str, Any]:
    return {"ledgerAccountId": account, "credit": amount}


# --- the component: balanced or refused, before any request -------------------------------------


def test_a_balanced_journal_sends_both_sides_of_every_line() -> None:
    request = first("createJournal", _journal(_debit("1250.00"), _credit("1250.00")))
    assert (request.method, request.path) == ("POST", "/journals")
    lines = request.json["journal"]["journal_lines"]
    # postJournals requires debit and credit on every line: the side not given goes as 0.
    assert [(line["debit"], line["credit"]) for line in lines] == [
        ("1250.00", "0"),
        ("0", "1250.00"),
    ]
    assert request.json["journal"]["date"] == "2026-01-31"


def test_an_unbalanced_journal_is_refused_with_the_line_totals_before_any_request() -> None:
    component = get_component("sage_accounting/createJournal")
    unbalanced = _journal(_debit("1000.00"), _debit("250.00", ACCOUNT_B), _credit("1200.00"))
    with pytest.raises(InputValidationError) as caught:
        component.start(unbalanced)
    (problem,) = caught.value.problems
    assert problem.path == "$.journalLines"
    assert problem.message.startswith("debits 1,250.00 ≠ credits 1,200.00")
    assert "difference of 50.00" in problem.message


@pytest.mark.parametrize(
    ("line", "says"),
    [
        pytest.param(
            {"ledgerAccountId": ACCOUNT_A, "debit": "10", "credit": "10"}, "not both", id="both"
        ),
        pytest.param({"ledgerAccountId": ACCOUNT_A}, "needs a debit or a credit", id="neither"),
        pytest.param(_debit("0"), "needs a debit or a credit", id="zero"),
        pytest.param(_debit("-5"), "greater than or equal to 0", id="negative"),
        pytest.param(_debit("1.005"), "more than 2 decimal places", id="fraction-of-a-penny"),
    ],
)
def test_each_line_is_one_side_in_pence(line: dict[str, Any], says: str) -> None:
    with pytest.raises(InputValidationError) as caught:
        get_component("sage_accounting/createJournal").validate(_journal(line, _credit("5")))
    assert any(says in p.message for p in caught.value.problems), caught.value.problems


def test_a_journal_is_deleted_not_updated() -> None:
    names = {c.key for c in components()}
    assert {"listJournals", "getJournal", "createJournal", "deleteJournal"} <= names
    assert "updateJournal" not in names  # [G-jnl]: journals cannot be edited with PUT
    assert get_component("sage_accounting/deleteJournal").annotations.destructive


def test_reissue_posts_to_the_journals_reissue_action_with_no_body() -> None:
    request = first("reissueJournal", {"journalId": ACCOUNT_A})
    assert (request.method, request.path, request.json) == (
        "POST",
        f"/journals/{ACCOUNT_A}/reissue",
        None,
    )
    assert get_component("sage_accounting/reissueJournal").annotations.destructive


def test_find_journal_code_matches_the_whole_code_across_pages() -> None:
    query = "attributes=all&items_per_page=200"
    pages = [
        page([{"id": "1", "code": "ODX"}], next_link=f"/journal_codes?page=2&{query}"),
        page([{"id": "2", "code": "od"}, {"id": "3", "code": "VT"}], n=2),
    ]
    sent, out = run("findJournalCode", {"code": "OD"}, pages)
    assert [r.query.get("attributes") for r in sent] == ["all", "all"]
    assert "search" not in sent[0].query  # GET /journal_codes takes no search
    assert out == {"items": [{"id": "2", "code": "od"}]}


# --- against the sandbox ------------------------------------------------------------------------


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(clock=Clock.manual())


@pytest.fixture
def call(sandbox: Sandbox) -> Iterator[Callable[..., dict[str, Any]]]:
    with layer_client(sandbox) as client:

        def call(key: str, inputs: dict[str, Any]) -> dict[str, Any]:
            component = get_component(f"sage_accounting/{key}")
            out = client.call(component, inputs)
            component.output.model_validate(out)
            return out

        yield call


def _account(call: Callable[..., dict[str, Any]], code: int) -> str:
    found = call("listLedgerAccounts", {"search": str(code), "attributes": "nominal_code"})
    (match,) = [a for a in found["items"] if a["nominal_code"] == code]
    return str(match["id"])


def _balance(call: Callable[..., dict[str, Any]], account: str) -> tuple[Decimal, Decimal]:
    got = call("getLedgerAccount", {"ledgerAccountId": account, "showBalanceDetails": True})
    details = got["balance_details"]
    return Decimal(details["debits"]), Decimal(details["credits"])


def test_a_journal_moves_balances_and_its_entries_are_those_postings(
    call: Callable[..., dict[str, Any]],
) -> None:
    fees, accruals = _account(call, 7602), _account(call, 9998)
    before = _balance(call, fees), _balance(call, accruals)
    journal = call(
        "createJournal",
        _journal(
            {**_debit("1250.00", fees), "details": "Accountancy fees, January"},
            _credit("1250.00", accruals),
        ),
    )
    assert journal["total"] == "1250.0"
    assert journal["transaction_type"]["id"] == "JOURNAL"
    after = _balance(call, fees), _balance(call, accruals)
    assert after[0] == (before[0][0] + 1250, before[0][1])
    assert after[1] == (before[1][0], before[1][1] + 1250)

    transaction = journal["transaction"]["id"]
    entries = call("listLedgerEntries", {"transactionId": transaction, "attributes": "all"})
    shown = sorted((e["ledger_account"]["id"], e["debit"], e["credit"]) for e in entries["items"])
    assert shown == sorted([(fees, "1250.0", "0.0"), (accruals, "0.0", "1250.0")])
    one = call("getLedgerEntry", {"ledgerEntryId": entries["items"][0]["id"]})
    assert one["transaction"]["id"] == transaction
    listed = call("getTransaction", {"transactionId": transaction})
    assert (listed["total"], listed["origin"]["id"]) == ("1250.0", journal["id"])

    call("deleteJournal", {"journalId": journal["id"]})
    assert (_balance(call, fees), _balance(call, accruals)) == before
    gone = call("listLedgerEntries", {"transactionId": transaction})
    assert gone["items"] == []


def test_every_accounts_balance_is_the_sum_of_its_ledger_entries(
    call: Callable[..., dict[str, Any]],
) -> None:
    # The seed's invoices, a journal and a quick entry: every posting source at once.
    fees, bank = _account(call, 7602), _account(call, 1200)
    call("createJournal", _journal(_debit("99.99", fees), _credit("99.99", bank)))
    customer = call("findContact", {"search": "a", "contactTypeId": "CUSTOMER"})["items"][0]
    call(
        "createSalesQuickEntry",
        {
            "quickEntryTypeId": "INVOICE",
            "date": "2026-01-10",
            "contactId": customer["id"],
            "reference": "QE-1",
            "ledgerAccountId": _account(call, 4000),
            "netAmount": "100.00",
            "taxRateId": "GB_STANDARD",
            "taxAmount": "20.00",
        },
    )
    entries = call("listLedgerEntries", {"attributes": "all", "fetchAll": True})["items"]
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for entry in entries:
        key = entry["ledger_account"]["id"]
        debit, credit = sums.get(key, (Decimal(0), Decimal(0)))
        sums[key] = (debit + Decimal(entry["debit"]), credit + Decimal(entry["credit"]))
    assert len(sums) > 5
    for account, totals in sums.items():
        assert _balance(call, account) == totals, account
    # Double entry: the whole ledger balances.
    assert sum(d for d, _ in sums.values()) == sum(c for _, c in sums.values())


def test_journal_codes_are_found_by_code_and_reserved_ones_kept(
    call: Callable[..., dict[str, Any]],
) -> None:
    made = call("createJournalCode", {"name": "Ventes", "code": "VT", "journalCodeTypeId": "SALES"})
    call(
        "createJournalCode", {"name": "Ventes export", "code": "VTX", "journalCodeTypeId": "SALES"}
    )
    found = call("findJournalCode", {"code": "vt"})
    assert [c["id"] for c in found["items"]] == [made["id"]]
    renamed = call("updateJournalCode", {"journalCodeId": made["id"], "controlName": "SALES"})
    assert renamed["reserved"] is True
    with pytest.raises(Exception, match="reserved journal code cannot be deleted"):
        call("deleteJournalCode", {"journalCodeId": made["id"]})
    with pytest.raises(Exception, match="has already been taken"):
        call("createJournalCode", {"name": "Doublon", "code": "vt", "journalCodeTypeId": "SALES"})


def test_a_quick_entry_is_owed_like_an_invoice(
    call: Callable[..., dict[str, Any]],
) -> None:
    customers = call("findContact", {"search": "a", "contactTypeId": "CUSTOMER"})["items"]
    customer = customers[0]["id"]
    before = call("getContact", {"contactId": customer, "showBalance": True})["balance"]
    entry = call(
        "createSalesQuickEntry",
        {
            "quickEntryTypeId": "INVOICE",
            "date": "2026-01-10",
            "contactId": customer,
            "reference": "QE-7",
            "ledgerAccountId": _account(call, 4000),
            "netAmount": "100.00",
            "taxRateId": "GB_STANDARD",
            "taxAmount": "20.00",
        },
    )
    assert (entry["total_amount"], entry["outstanding_amount"]) == ("120.0", "120.0")
    assert entry["status"]["id"] == "UNPAID"
    assert entry["due_date"] == "2026-02-09"  # the date + the contact's 30 credit days
    after = call("getContact", {"contactId": customer, "showBalance": True})["balance"]
    assert Decimal(after) - Decimal(before) == 120
    listed = call("listSalesQuickEntries", {"contactId": customer, "statusId": "UNPAID"})
    assert [i["id"] for i in listed["items"]] == [entry["id"]]
    supplier = call("findContact", {"search": "a", "contactTypeId": "VENDOR"})["items"][0]["id"]
    with pytest.raises(Exception, match="can't find customer"):
        call("createSalesQuickEntry", {**_quick(customer), "contactId": supplier})
    call("deleteSalesQuickEntry", {"salesQuickEntryId": entry["id"]})
    assert call("getContact", {"contactId": customer, "showBalance": True})["balance"] == before


def _quick(contact: str) -> dict[str, Any]:
    return {
        "quickEntryTypeId": "INVOICE",
        "date": "2026-01-10",
        "contactId": contact,
        "reference": "QE-8",
        "ledgerAccountId": "c" * 32,
        "totalAmount": "50.00",
    }


def test_a_dropped_quick_entry_create_is_found_by_its_marker_not_repeated() -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=False)
    transport, posts = dropping_first_post(sandbox)

    with layer_client(sandbox) as setup:
        customer = setup.call(
            "sage_accounting/findContact", {"search": "a", "contactTypeId": "CUSTOMER"}
        )["items"][0]["id"]
        account = setup.call("sage_accounting/listLedgerAccounts", {"visible_in": "sales"})
    inputs = {**_quick(customer), "ledgerAccountId": account["items"][0]["id"]}
    with layer_client(sandbox, transport) as client:
        out = client.call("sage_accounting/createSalesQuickEntry", inputs, CallOptions("k-qe"))
    (made,) = sandbox.records("sales_quick_entries")
    assert out["id"] == made["id"]
    assert made["details"] == marker_text("k-qe")
    assert posts == [1]


def test_next_invoice_number_numbers_the_next_invoice(
    call: Callable[..., dict[str, Any]],
) -> None:
    settings = call("updateInvoiceSettings", {"nextInvoiceNumber": 500})
    assert settings["next_invoice_number"] == 500
    customer = call("findContact", {"search": "a", "contactTypeId": "CUSTOMER"})["items"][0]
    invoice = call(
        "createSalesInvoice",
        {
            "contactId": customer["id"],
            "date": "2026-01-10",
            "invoiceLines": [
                {
                    "description": "Work",
                    "ledgerAccountId": _account(call, 4000),
                    "quantity": "1",
                    "unitPrice": "10",
                    "taxRateId": "GB_ZERO",
                }
            ],
        },
    )
    assert invoice["invoice_number"] == "SI-500"
    assert call("getInvoiceSettings", {})["next_invoice_number"] == 501


def test_settings_and_reference_lists(call: Callable[..., dict[str, Any]]) -> None:
    business = call("getBusinessSettings", {})
    assert business["country_of_registration"]["id"] == "ENGLAND_AND_WALES"
    sales = _account(call, 4010)
    changed = call(
        "updateBusinessSettings",
        {
            "countryOfRegistrationId": "SCOTLAND",
            "defaultLedgerAccounts": {"salesLedgerAccountId": sales},
        },
    )
    assert changed["country_of_registration"]["id"] == "SCOTLAND"
    assert changed["default_ledger_accounts"]["sales_ledger_account"]["id"] == sales
    with pytest.raises(InputValidationError):  # a closed set: refused before sending
        call("updateBusinessSettings", {"countryOfRegistrationId": "ATLANTIS"})

    (profile,) = call("listTaxProfiles", {"attributes": "all"})["items"]
    updated = call("updateTaxProfile", {"taxProfileId": profile["id"], "taxNumber": "GB271828182"})
    assert updated["tax_number"] == "GB271828182"
    assert call("getExchangeRate", {"currencyId": "AUD"})["rate"] == "1.9437263272"
    with pytest.raises(Exception, match="Record not found"):
        call("getExchangeRate", {"currencyId": "EUR"})  # no live rates: not made up
    regions = call("listAddressRegions", {"countryId": "CA", "fetchAll": True})["items"]
    assert len(regions) == 10
    assert call("listAddressRegions", {"countryId": "GB"})["items"] == []
    assert call("getAddressRegion", {"addressRegionId": "CA-ON"})["name"] == "Ontario"
    countries = call("listCountriesOfRegistration", {})["items"]
    assert [c["id"] for c in countries][:2] == ["ENGLAND_AND_WALES", "WALES"]


# --- triggers and exactly-once ------------------------------------------------------------------


def _triggerkit() -> Any:
    """tests/triggers/triggerkit.py (a manual-clock sandbox polled through the HTTP layer)."""
    return by_path("sageflow_triggerkit", "triggers/triggerkit.py")


def _posted(sage: Any, amount: str = "75.00") -> dict[str, Any]:
    accounts = sage.call(
        "GET", "/ledger_accounts", query="attributes=nominal_code&items_per_page=200"
    )
    code = {a["nominal_code"]: a["id"] for a in accounts["$items"]}
    lines = [
        {"ledger_account_id": code[7602], "debit": amount, "credit": "0"},
        {"ledger_account_id": code[9998], "debit": "0", "credit": amount},
    ]
    body = {"journal": {"date": "2026-01-31", "reference": "ACCR", "journal_lines": lines}}
    return dict(sage.call("POST", "/journals", body))


def test_journal_changes_deliver_a_posted_journal_then_its_deletion_once_each() -> None:
    sage = _triggerkit().Sage()
    first = sage.poll("journalChanges", None)
    assert first.events == []
    sage.advance(30)
    journal = _posted(sage)
    events, cursor = sage.settle("journalChanges", first.cursor)
    assert [(e.type, e.id) for e in events] == [("created", journal["id"])]
    assert events[0].record["total"] == "75.0"
    sage.delete("journals", journal["id"])
    events, _ = sage.settle("journalChanges", cursor)
    assert [(e.type, e.id) for e in events] == [("deleted", journal["id"])]


def test_ledger_entry_changes_deliver_each_line_a_journal_posts() -> None:
    sage = _triggerkit().Sage()
    first = sage.poll("ledgerEntryChanges", None)
    sage.advance(30)
    journal = _posted(sage, "12.50")
    events, _ = sage.settle("ledgerEntryChanges", first.cursor)
    assert {e.type for e in events} == {"created"}
    assert sorted((e.record["debit"], e.record["credit"]) for e in events) == [
        ("0.0", "12.5"),
        ("12.5", "0.0"),
    ]
    assert {e.record["transaction"]["id"] for e in events} == {journal["transaction"]["id"]}


def test_a_dropped_journal_post_is_replayed_by_its_idempotency_id_not_posted_twice(
    sandbox: Sandbox,
) -> None:
    transport, posts = dropping_first_post(sandbox)

    with layer_client(sandbox) as setup:
        fees = setup.call("sage_accounting/listLedgerAccounts", {"search": "7602"})["items"][0]
        other = setup.call("sage_accounting/listLedgerAccounts", {"search": "9998"})["items"][0]
    inputs = _journal(_debit("40.00", fees["id"]), _credit("40.00", other["id"]))
    with layer_client(sandbox, transport) as client:
        out = client.call("sage_accounting/createJournal", inputs, CallOptions("k-journal"))
    (made,) = sandbox.records("journals")
    assert out["id"] == made["id"]
    assert posts == [2]  # sent again with the same idempotency_id: Sage's replay, one journal


def test_a_quick_entry_is_paid_by_a_customer_receipt_and_the_ledger_follows(
    call: Callable[..., dict[str, Any]],
) -> None:
    customer = call("findContact", {"search": "a", "contactTypeId": "CUSTOMER"})["items"][0]["id"]
    entry = call(
        "createSalesQuickEntry",
        {**_quick(customer), "ledgerAccountId": _account(call, 4000), "totalAmount": "120.00"},
    )
    bank = call("findBankAccount", {"nominalCode": 1200})["items"][0]["id"]
    before = _balance(call, _account(call, 1200))

    def receipt(amount: str) -> dict[str, Any]:
        payment = {
            "transactionTypeId": "CUSTOMER_RECEIPT",
            "contactId": customer,
            "bankAccountId": bank,
            "date": "2026-01-20",
            "totalAmount": amount,
            "allocatedArtefacts": [{"artefactId": entry["id"], "amount": amount}],
        }
        return call("createContactPayment", payment)

    receipt("50.00")
    part = call("getSalesQuickEntry", {"salesQuickEntryId": entry["id"]})
    assert (part["status"]["id"], part["outstanding_amount"]) == ("PART_PAID", "70.0")
    paid = receipt("70.00")
    done = call("getSalesQuickEntry", {"salesQuickEntryId": entry["id"]})
    assert (done["status"]["id"], done["outstanding_amount"]) == ("PAID", "0.0")
    # The money reached the bank account's ledger, and the receipt is a transaction.
    after = _balance(call, _account(call, 1200))
    assert after[0] - before[0] == 120
    receipts = call("listTransactions", {"transactionTypeId": "CUSTOMER_RECEIPT"})["items"]
    assert paid["transaction"]["id"] in {t["id"] for t in receipts}
    with pytest.raises(Exception, match="payments allocated cannot be deleted"):
        call("deleteSalesQuickEntry", {"salesQuickEntryId": entry["id"]})
