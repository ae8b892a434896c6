"""Payments and banking in the sandbox: what paying, allocating and deleting do to invoices,
balances and the ledger, and what is refused (sandbox/_payments.py, sources cited there)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandboxkit import by_code, contact_id, make_client, new_invoice

from sage_accounting.sandbox import Clock, Sandbox
from sage_accounting.sandbox._resources import entries


def _bank(client: httpx.Client, code: int = 1200) -> str:
    items = client.get("/bank_accounts", params={"attributes": "all"}).json()["$items"]
    return str(next(i["id"] for i in items if i["displayed_as"].endswith(f"({code})")))


def _pay(client: httpx.Client, **fields: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "transaction_type_id": "CUSTOMER_RECEIPT",
        "contact_id": contact_id(client, "ACME001"),
        "bank_account_id": _bank(client),
        "date": "2026-01-06",
    }
    body.update(fields)
    return client.post("/contact_payments", json={"contact_payment": body})


def _invoice(client: httpx.Client, key: str) -> dict[str, Any]:
    return dict(client.get(f"/sales_invoices/{key}").json())


def _state(client: httpx.Client, key: str) -> tuple[str, str]:
    found = _invoice(client, key)
    return found["status"]["id"], found["outstanding_amount"]


def _balance(client: httpx.Client, reference: str = "ACME001") -> Decimal:
    key = contact_id(client, reference)
    return Decimal(
        client.get(f"/contacts/{key}", params={"show_balance": "true"}).json()["balance"]
    )


def _errors(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return [(e["$source"], e["$message"]) for e in response.json()]


# -- reference data and seed -----------------------------------------------------------------


def test_payment_methods_and_bank_account_types_are_the_spec_examples(
    client: httpx.Client,
) -> None:
    # split-2025 swagger.payments.json / swagger.banking.json examples, in their order.
    methods = [i["id"] for i in client.get("/payment_methods").json()["$items"]]
    assert methods == ["CASH", "CHECK", "ELECTRONIC", "CREDIT_DEBIT", "ONLINE_PAYMENT"]
    types = client.get("/bank_account_types").json()["$items"]
    assert [t["id"] for t in types] == [
        "CHECKING",
        "SAVINGS",
        "CREDIT_CARD",
        "CASH_IN_HAND",
        "LOAN",
        "OTHER",
    ]
    assert client.get("/bank_account_types/STRIPE").status_code == 404  # [G-bank]: read-only
    assert client.post("/payment_methods", json={"payment_method": {}}).status_code == 405


def test_each_business_has_its_bank_accounts_on_the_charts_bank_ledger_accounts(
    client: httpx.Client,
) -> None:
    # [G-bank]: a new business has a CHECKING and a CASH_IN_HAND account.
    items = client.get("/bank_accounts", params={"attributes": "all"}).json()["$items"]
    shown = {i["displayed_as"]: i["bank_account_type"]["id"] for i in items}
    assert shown == {
        "Current (1200)": "CHECKING",
        "Cash in hand (1210)": "CASH_IN_HAND",
        "Business savings (1220)": "SAVINGS",
    }
    current = next(i for i in items if i["displayed_as"] == "Current (1200)")
    assert current["ledger_account"]["id"] == by_code(client, 1200)["id"]
    assert current["default_payment_method"]["id"] == "CREDIT_DEBIT"
    assert (current["balance"], current["deletable"], current["is_active"]) == ("0.0", True, True)
    other = client.get("/bank_accounts", headers={"X-Business": _second_business(client)})
    assert other.json()["$total"] == 3


def _second_business(client: httpx.Client) -> str:
    return str(client.get("/businesses").json()["$items"][1]["id"])


# -- paying invoices -------------------------------------------------------------------------


def test_paying_an_invoice_moves_it_to_part_paid_then_paid(client: httpx.Client) -> None:
    invoice = new_invoice(client).json()  # 120.00
    key = invoice["id"]
    first = _pay(
        client, total_amount="20", allocated_artefacts=[{"artefact_id": key, "amount": "20"}]
    )
    assert first.status_code == 201, first.text
    assert first.json()["payment_on_account"] is None
    assert first.json()["allocated_artefacts"][0]["artefact"]["$path"] == f"/sales_invoices/{key}"
    assert _state(client, key) == ("PART_PAID", "100.0")
    second = _pay(
        client, total_amount="100", allocated_artefacts=[{"artefact_id": key, "amount": "100"}]
    )
    assert second.status_code == 201
    assert _state(client, key) == ("PAID", "0.0")
    assert _invoice(client, key)["total_paid"] == "120.0"
    # [G-pay]: "You can only pay unpaid or part-paid invoices."
    again = _pay(
        client, total_amount="1", allocated_artefacts=[{"artefact_id": key, "amount": "1"}]
    )
    assert _errors(again) == [
        ("allocated_artefacts[0].amount", "You can only pay unpaid or part-paid invoices.")
    ]
    # [G-inv]: an invoice with payments cannot be voided until they are deleted.
    refused = client.delete(f"/sales_invoices/{key}", params={"void_reason": "x"})
    assert refused.status_code == 422


def test_an_allocation_cannot_exceed_what_is_outstanding(client: httpx.Client) -> None:
    key = new_invoice(client).json()["id"]
    over = _pay(
        client, total_amount="500", allocated_artefacts=[{"artefact_id": key, "amount": "120.01"}]
    )
    assert _errors(over) == [
        ("allocated_artefacts[0].amount", "is more than the outstanding amount")
    ]
    # [G-pay]: "total_amount may not be below the allocated sum".
    short = _pay(
        client, total_amount="50", allocated_artefacts=[{"artefact_id": key, "amount": "60"}]
    )
    assert _errors(short) == [("total_amount", "is less than the amount allocated")]
    assert _state(client, key) == ("UNPAID", "120.0")
    assert client.get("/contact_payments").json()["$total"] == 0


def test_a_refused_line_leaves_no_other_line_paid(client: httpx.Client) -> None:
    good = new_invoice(client).json()["id"]
    draft = new_invoice(client, status_id="DRAFT").json()["id"]
    response = _pay(
        client,
        total_amount="240",
        allocated_artefacts=[
            {"artefact_id": good, "amount": "120"},
            {"artefact_id": draft, "amount": "120"},  # [G-inv]: drafts take no payments
        ],
    )
    assert _errors(response) == [
        ("allocated_artefacts[1].amount", "You can only pay unpaid or part-paid invoices.")
    ]
    assert _state(client, good) == ("UNPAID", "120.0")


def test_deleting_a_payment_restores_its_invoices(client: httpx.Client) -> None:
    key = new_invoice(client).json()["id"]
    before = _balance(client)
    paid = _pay(
        client, total_amount="120", allocated_artefacts=[{"artefact_id": key, "amount": "120"}]
    ).json()
    assert _balance(client) == before - 120
    assert client.delete(f"/contact_payments/{paid['id']}").status_code == 204
    assert _state(client, key) == ("UNPAID", "120.0")
    assert _balance(client) == before
    assert client.get(f"/contact_payments/{paid['id']}").status_code == 404
    # The invoice can be voided again once its payments are gone ([G-inv]).
    voided = client.delete(f"/sales_invoices/{key}", params={"void_reason": "x"})
    assert voided.status_code == 200


def test_the_excess_of_a_payment_becomes_a_payment_on_account(client: httpx.Client) -> None:
    key = new_invoice(client).json()["id"]
    before = _balance(client)
    made = _pay(
        client,
        total_amount="150",
        reference="ACME March",
        allocated_artefacts=[{"artefact_id": key, "amount": "120"}],
    ).json()
    on_account = made["payment_on_account"]
    assert (on_account["total_amount"], on_account["outstanding_amount"]) == ("30.0", "30.0")
    assert on_account["status"]["id"] == "UNPAID"
    assert on_account["$path"] == made["$path"]
    assert on_account["id"] != made["id"]
    # What the customer owes falls by the whole payment: 120 allocated, 30 on account.
    assert _balance(client) == before - 150


def test_clearing_the_allocations_puts_the_money_on_account(client: httpx.Client) -> None:
    # [G-pay]: PUT {"contact_payment": {"allocated_artefacts": []}}, then the payment on account.
    key = new_invoice(client).json()["id"]
    made = _pay(
        client, total_amount="120", allocated_artefacts=[{"artefact_id": key, "amount": "120"}]
    ).json()
    cleared = client.put(
        f"/contact_payments/{made['id']}", json={"contact_payment": {"allocated_artefacts": []}}
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["payment_on_account"]["outstanding_amount"] == "120.0"
    assert _state(client, key) == ("UNPAID", "120.0")
    refund = _pay(
        client,
        transaction_type_id="CUSTOMER_REFUND",
        total_amount="50",
        allocated_artefacts=[
            {"artefact_id": cleared.json()["payment_on_account"]["id"], "amount": "50"}
        ],
    )
    assert refund.status_code == 201, refund.text
    on_account = client.get(f"/contact_payments/{made['id']}").json()["payment_on_account"]
    assert (on_account["outstanding_amount"], on_account["status"]["id"]) == ("70.0", "PART_PAID")
    # A refund's excess would be money paid back for nothing (inferred: refused).
    extra = _pay(
        client,
        transaction_type_id="CUSTOMER_REFUND",
        total_amount="80",
        allocated_artefacts=[{"artefact_id": on_account["id"], "amount": "70"}],
    )
    assert _errors(extra) == [("total_amount", "must equal the amount allocated for a refund")]
    # A refund cannot pay an invoice, nor a receipt a payment on account.
    wrong = _pay(
        client,
        transaction_type_id="CUSTOMER_REFUND",
        total_amount="10",
        allocated_artefacts=[{"artefact_id": key, "amount": "10"}],
    )
    assert _errors(wrong) == [
        ("allocated_artefacts[0].artefact_id", "cannot be paid by a CUSTOMER_REFUND")
    ]


def test_a_settlement_discount_clears_the_invoice_and_posts_to_discounts(
    client: httpx.Client,
) -> None:
    key = new_invoice(client).json()["id"]
    made = _pay(
        client,
        total_amount="115",
        allocated_artefacts=[{"artefact_id": key, "amount": "115", "discount": "5"}],
    )
    assert made.status_code == 201, made.text
    invoice = _invoice(client, key)
    assert (invoice["status"]["id"], invoice["outstanding_amount"]) == ("PAID", "0.0")
    assert invoice["payments_allocations_total_discount"] == "5.0"
    details = {"show_balance_details": "true"}
    allowed = client.get(f"/ledger_accounts/{by_code(client, 4009)['id']}", params=details)
    assert allowed.json()["balance_details"]["debits"] == "5.0"
    # An invoice update keeps the discount in its outstanding amount.
    client.put(f"/sales_invoices/{key}", json={"sales_invoice": {"notes": "thanks"}})
    assert _state(client, key) == ("PAID", "0.0")


def test_the_contact_and_the_artefact_must_belong_together(client: httpx.Client) -> None:
    key = new_invoice(client).json()["id"]
    supplier = contact_id(client, "OAK001")
    as_vendor = _pay(
        client,
        transaction_type_id="VENDOR_PAYMENT",
        contact_id=supplier,
        total_amount="10",
        allocated_artefacts=[{"artefact_id": key, "amount": "10"}],
    )
    assert _errors(as_vendor) == [
        ("allocated_artefacts[0].artefact_id", "belongs to another contact")
    ]
    wrong_kind = _pay(client, contact_id=supplier, total_amount="10")
    assert _errors(wrong_kind) == [("contact_id", "can't find customer")]
    blank = client.post("/contact_payments", json={"contact_payment": {}})
    assert {source for source, _ in _errors(blank)} == {"transaction_type_id"}
    bad = _pay(client, transaction_type_id="CUSTOMER_RECEIPT")
    assert {source for source, _ in _errors(bad)} == {"total_amount"}
    long = _pay(client, total_amount="1", reference="x" * 26)  # [G-pay]: 25 characters
    assert _errors(long) == [("reference", "is too long (maximum is 25 characters)")]


def test_strict_mode_refuses_payment_fields_it_does_not_act_on() -> None:
    body = {"net_amount": "10", "payment_on_account": {"total_amount": "5"}}
    for strict, status in ((True, 422), (False, 201)):
        with make_client(Sandbox(clock=Clock.manual(), strict=strict)) as client:
            response = _pay(client, total_amount="10", **body)
            assert response.status_code == status, response.text
            if strict:
                assert {s for s, _ in _errors(response)} == {
                    "net_amount",
                    "payment_on_account",
                }


# -- allocations -----------------------------------------------------------------------------


def test_a_payment_on_account_is_allocated_against_an_invoice(client: httpx.Client) -> None:
    key = new_invoice(client).json()["id"]
    made = _pay(client, total_amount="50").json()
    on_account = made["payment_on_account"]["id"]
    customer = contact_id(client, "ACME001")
    before = _balance(client)

    def allocate(*amounts: tuple[str, str]) -> httpx.Response:
        lines = [{"artefact_id": a, "amount": m} for a, m in amounts]
        body = {
            "transaction_type_id": "CUSTOMER_ALLOCATION",
            "contact_id": customer,
            "allocated_artefacts": lines,
        }
        return client.post("/contact_allocations", json={"contact_allocation": body})

    # [G-pay]: the amounts must sum to zero; the invoice is + and the payment -.
    assert _errors(allocate((key, "30"), (on_account, "-20"))) == [
        ("allocated_artefacts", "amounts must sum to zero")
    ]
    assert _errors(allocate((key, "-30"), (on_account, "30"))) == [
        ("allocated_artefacts[0].amount", "has the wrong sign for this artefact")
    ]
    assert _errors(allocate((key, "60"), (on_account, "-60"))) == [
        ("allocated_artefacts[1].amount", "is more than the outstanding amount")
    ]
    done = allocate((key, "30"), (on_account, "-30"))
    assert done.status_code == 201, done.text
    assert done.json()["displayed_as"] == "Customer Allocation - 2026-01-05"
    assert _state(client, key) == ("PART_PAID", "90.0")
    # Moving money between an invoice and a payment on account changes nothing owed.
    assert _balance(client) == before
    # A payment whose payment on account is allocated is not deleted under its allocation.
    assert client.delete(f"/contact_payments/{made['id']}").status_code == 422
    assert client.delete(f"/contact_allocations/{done.json()['id']}").status_code == 204
    assert _state(client, key) == ("UNPAID", "120.0")
    assert client.delete(f"/contact_payments/{made['id']}").status_code == 204
    assert _balance(client) == before + 50


def test_allocations_list_by_contact_and_type(client: httpx.Client) -> None:
    key = new_invoice(client).json()["id"]
    on_account = _pay(client, total_amount="10").json()["payment_on_account"]["id"]
    body = {
        "transaction_type_id": "CUSTOMER_ALLOCATION",
        "contact_id": contact_id(client, "ACME001"),
        "date": "2026-01-07",
        "allocated_artefacts": [
            {"artefact_id": key, "amount": "10"},
            {"artefact_id": on_account, "amount": "-10"},
        ],
    }
    assert client.post("/contact_allocations", json={"contact_allocation": body}).status_code == 201
    mine = {
        "contact_id": contact_id(client, "ACME001"),
        "transaction_type_id": "CUSTOMER_ALLOCATION",
    }
    assert client.get("/contact_allocations", params=mine).json()["$total"] == 1
    other = {"transaction_type_id": "VENDOR_ALLOCATION"}
    assert client.get("/contact_allocations", params=other).json()["$total"] == 0


# -- bank accounts and other payments --------------------------------------------------------


def test_a_bank_account_gets_its_own_bank_ledger_account(client: httpx.Client) -> None:
    body = {
        "bank_account_type_id": "SAVINGS",
        "nominal_code": 1230,
        "bank_account_details": {"account_name": "Reserve", "sort_code": "070407"},
    }
    made = client.post("/bank_accounts", json={"bank_account": body})
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["displayed_as"] == "Reserve (1230)"
    ledger = client.get(f"/ledger_accounts/{record['ledger_account']['id']}").json()
    assert (ledger["nominal_code"], ledger["ledger_account_type"]["id"]) == (1230, "BANK")
    assert record["currency"]["id"] == "GBP"
    # The nominal code is taken now: a second account is refused and leaves nothing behind.
    accounts = client.get("/ledger_accounts").json()["$total"]
    again = client.post("/bank_accounts", json={"bank_account": body})
    assert _errors(again) == [("nominal_code", "has already been taken")]
    neither = {k: v for k, v in body.items() if k != "nominal_code"}
    assert _errors(client.post("/bank_accounts", json={"bank_account": neither})) == [
        ("nominal_code", "can't be blank")
    ]
    assert client.get("/ledger_accounts").json()["$total"] == accounts
    renamed = client.put(
        f"/bank_accounts/{record['id']}",
        json={"bank_account": {"bank_account_details": {"account_name": "Rainy day"}}},
    )
    assert renamed.json()["displayed_as"] == "Rainy day (1230)"
    assert renamed.json()["bank_account_details"]["sort_code"] == "070407"
    # [G-bank]: "A bank account's currency cannot be changed."
    euro = client.put(
        f"/bank_accounts/{record['id']}", json={"bank_account": {"currency_id": "EUR"}}
    )
    assert _errors(euro) == [("currency_id", "cannot be changed")]
    assert client.delete(f"/bank_accounts/{record['id']}").status_code == 204


def test_a_bank_account_with_activity_is_not_deleted(client: httpx.Client) -> None:
    # [G-bank]: "Accounts with activity cannot be deleted."
    bank = _bank(client, 1210)
    assert client.get(f"/bank_accounts/{bank}").json()["deletable"] is True
    _pay(client, bank_account_id=bank, total_amount="25")
    shown = client.get(f"/bank_accounts/{bank}").json()
    assert (shown["balance"], shown["deletable"]) == ("25.0", False)
    # A list asking for the balance alone gets it worked out too.
    listed = client.get("/bank_accounts", params={"attributes": "balance"}).json()["$items"]
    assert [i["balance"] for i in listed if i["id"] == bank] == ["25.0"]
    assert client.delete(f"/bank_accounts/{bank}").status_code == 422


def test_inactive_bank_accounts_are_filtered_on_request(client: httpx.Client) -> None:
    bank = _bank(client, 1220)
    client.put(f"/bank_accounts/{bank}", json={"bank_account": {"is_active": False}})
    everyone = client.get("/bank_accounts").json()["$total"]
    active = client.get("/bank_accounts", params={"filter_inactive_bank_accounts": "true"})
    assert (everyone, active.json()["$total"]) == (3, 2)


def test_other_payments_move_the_bank_and_the_lines_accounts(client: httpx.Client) -> None:
    bank = _bank(client)
    charges = by_code(client, 7900)["id"]
    body = {
        "transaction_type_id": "OTHER_PAYMENT",
        "date": "2026-01-06",
        "bank_account_id": bank,
        "total_amount": "12.00",
        "reference": "Bank fee",
        "payment_lines": [{"ledger_account_id": charges, "total_amount": "12.00"}],
    }
    made = client.post("/other_payments", json={"other_payment": body})
    assert made.status_code == 201, made.text
    assert made.json()["payment_lines"][0]["net_amount"] == "12.0"
    assert client.get(f"/bank_accounts/{bank}").json()["balance"] == "-12.0"
    details = client.get(f"/ledger_accounts/{charges}", params={"show_balance_details": "true"})
    assert details.json()["balance_details"]["debits"] == "12.0"
    uneven = {**body, "total_amount": "13.00"}
    assert _errors(client.post("/other_payments", json={"other_payment": uneven})) == [
        ("total_amount", "does not match the lines (12.0)")
    ]
    lines = [
        {"ledger_account_id": charges, "total_amount": "12", "net_amount": "9", "tax_amount": "2"}
    ]
    bad_line = {**body, "payment_lines": lines}
    assert _errors(client.post("/other_payments", json={"other_payment": bad_line})) == [
        ("payment_lines[0].total_amount", "is not net_amount + tax_amount")
    ]
    changed = client.put(
        f"/other_payments/{made.json()['id']}", json={"other_payment": {"reference": "Fee"}}
    )
    assert (changed.json()["reference"], changed.json()["total_amount"]) == ("Fee", "12.0")
    assert client.delete(f"/other_payments/{made.json()['id']}").status_code == 204
    assert client.get(f"/bank_accounts/{bank}").json()["balance"] == "0.0"


def test_payments_list_by_contact_type_date_and_sort(client: httpx.Client) -> None:
    for day in ("2026-01-06", "2026-01-08", "2026-01-07"):
        _pay(client, total_amount="1", date=day)
    listed = client.get(
        "/contact_payments", params={"sort": "date:desc", "attributes": "date"}
    ).json()["$items"]
    assert [i["date"] for i in listed] == ["2026-01-08", "2026-01-07", "2026-01-06"]
    window = {"from_date": "2026-01-07", "to_date": "2026-01-07"}
    assert client.get("/contact_payments", params=window).json()["$total"] == 1
    vendor = {"transaction_type_id": "VENDOR_PAYMENT"}
    assert client.get("/contact_payments", params=vendor).json()["$total"] == 0
    supplier = {"contact_id": contact_id(client, "OAK001")}
    assert client.get("/contact_payments", params=supplier).json()["$total"] == 0


def test_the_ledger_stays_balanced_and_survives_a_data_file(tmp_path: Path) -> None:
    data = tmp_path / "books.db"
    sandbox = Sandbox(clock=Clock.manual(), data=data)
    with make_client(sandbox) as client:
        key = new_invoice(client).json()["id"]
        _pay(
            client, total_amount="150", allocated_artefacts=[{"artefact_id": key, "amount": "120"}]
        )
        sandbox.record_payment(new_invoice(client).json()["id"], "20")
        balance = _balance(client)
        bank = client.get(f"/bank_accounts/{_bank(client)}").json()["balance"]
    posted = entries(sandbox.lead_business)
    assert sum(p.debit for p in posted) == sum(p.credit for p in posted)
    sandbox.close()
    reopened = Sandbox(clock=Clock.manual(), data=data)
    with make_client(reopened) as client:
        assert _balance(client) == balance
        assert client.get(f"/bank_accounts/{_bank(client)}").json()["balance"] == bank == "170.0"
    reopened.close()


@pytest.mark.parametrize("amount", ["0", "-5", "1.001"])
def test_a_payment_amount_is_positive_money(client: httpx.Client, amount: str) -> None:
    response = _pay(client, total_amount=amount)
    assert [source for source, _ in _errors(response)] == ["total_amount"]


# -- the other artefacts: purchases, credit notes, quick entries ----------------------------


def test_a_supplier_payment_pays_a_purchase_invoice(client: httpx.Client) -> None:
    bill = client.get("/purchase_invoices", params={"attributes": "all"}).json()["$items"][0]
    total = Decimal(bill["total_amount"])
    paid = _pay(
        client,
        transaction_type_id="VENDOR_PAYMENT",
        contact_id=bill["contact"]["id"],
        total_amount=str(total - 1),
        allocated_artefacts=[{"artefact_id": bill["id"], "amount": str(total - 1)}],
    )
    assert paid.status_code == 201, paid.text
    after = client.get(f"/purchase_invoices/{bill['id']}").json()
    assert (after["status"]["id"], after["outstanding_amount"]) == ("PART_PAID", "1.0")
    # [G-inv]: a purchase invoice with payments is not deleted until they are.
    assert client.delete(f"/purchase_invoices/{bill['id']}").status_code == 422
    # The money left the bank.
    assert client.get(f"/bank_accounts/{_bank(client)}").json()["balance"] == f"-{total - 1}"


def _credit_note(client: httpx.Client, net: str) -> dict[str, Any]:
    body = {
        "contact_id": contact_id(client, "ACME001"),
        "date": "2026-01-05",
        "credit_note_lines": [
            {
                "description": "Returned",
                "ledger_account_id": by_code(client, 4000)["id"],
                "quantity": "1",
                "unit_price": net,
                "tax_rate_id": "GB_STANDARD",
                "tax_amount": str(Decimal(net) / 5),
            }
        ],
    }
    made = client.post("/sales_credit_notes", json={"sales_credit_note": body})
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_a_credit_note_is_allocated_to_an_invoice_or_refunded(client: httpx.Client) -> None:
    invoice = new_invoice(client).json()["id"]  # 120.00
    before = _balance(client)
    note = _credit_note(client, "50.00")  # 60.00
    assert _balance(client) == before - 60
    allocation = {
        "transaction_type_id": "CUSTOMER_ALLOCATION",
        "contact_id": contact_id(client, "ACME001"),
        "allocated_artefacts": [
            {"artefact_id": invoice, "amount": "40"},
            {"artefact_id": note["id"], "amount": "-40"},
        ],
    }
    made = client.post("/contact_allocations", json={"contact_allocation": allocation})
    assert made.status_code == 201, made.text
    assert _state(client, invoice) == ("PART_PAID", "80.0")
    held = client.get(f"/sales_credit_notes/{note['id']}").json()
    assert (held["status"]["id"], held["outstanding_amount"]) == ("PART_PAID", "20.0")
    assert _balance(client) == before - 60  # allocating moves nothing owed
    refund = _pay(
        client,
        transaction_type_id="CUSTOMER_REFUND",
        total_amount="20",
        allocated_artefacts=[{"artefact_id": note["id"], "amount": "20"}],
    )
    assert refund.status_code == 201, refund.text
    assert client.get(f"/sales_credit_notes/{note['id']}").json()["status"]["id"] == "PAID"
    assert _balance(client) == before - 40  # the refunded 20 is no longer owed back


def test_a_quick_entry_invoice_is_paid_like_an_invoice(client: httpx.Client) -> None:
    entry = {
        "quick_entry_type_id": "INVOICE",
        "reference": "QE-1",
        "contact_id": contact_id(client, "ACME001"),
        "date": "2026-01-05",
        "ledger_account_id": by_code(client, 4000)["id"],
        "net_amount": "100.00",
        "tax_amount": "20.00",
        "tax_rate_id": "GB_STANDARD",
    }
    made = client.post("/sales_quick_entries", json={"sales_quick_entry": entry})
    assert made.status_code == 201, made.text
    key = made.json()["id"]
    paid = _pay(
        client, total_amount="120", allocated_artefacts=[{"artefact_id": key, "amount": "120"}]
    )
    assert paid.status_code == 201, paid.text
    after = client.get(f"/sales_quick_entries/{key}").json()
    assert (after["status"]["id"], after["outstanding_amount"]) == ("PAID", "0.0")


def test_an_invoice_shows_its_payments_and_allocations_when_asked(client: httpx.Client) -> None:
    # [G-pay]: show_payments_allocations=true on GET of an artefact includes its allocations.
    key = new_invoice(client).json()["id"]
    paid = _pay(
        client,
        total_amount="50",
        reference="Part",
        allocated_artefacts=[{"artefact_id": key, "amount": "30"}],
    ).json()
    body = {
        "transaction_type_id": "CUSTOMER_ALLOCATION",
        "contact_id": contact_id(client, "ACME001"),
        "allocated_artefacts": [
            {"artefact_id": key, "amount": "20"},
            {"artefact_id": paid["payment_on_account"]["id"], "amount": "-20"},
        ],
    }
    allocated = client.post("/contact_allocations", json={"contact_allocation": body}).json()
    assert "payments_allocations" not in _invoice(client, key)
    shown = client.get(f"/sales_invoices/{key}", params={"show_payments_allocations": "true"})
    entries_ = shown.json()["payments_allocations"]
    assert [(e["type"], e["amount"], e["reference"]) for e in entries_] == [
        ("CUSTOMER_RECEIPT", "30.0", "Part"),
        ("CUSTOMER_ALLOCATION", "20.0", ""),
    ]
    assert entries_[0]["contact_payment"]["id"] == paid["id"]
    assert entries_[1]["contact_allocation"]["id"] == allocated["id"]
    listed = client.get(
        "/sales_invoices", params={"show_payments_allocations": "true", "search": "SI-"}
    ).json()["$items"]
    assert {len(i["payments_allocations"]) for i in listed if i["id"] == key} == {2}


def test_an_allocated_amount_is_money_to_the_penny(client: httpx.Client) -> None:
    key = new_invoice(client).json()["id"]
    response = _pay(
        client, total_amount="10", allocated_artefacts=[{"artefact_id": key, "amount": "9.999"}]
    )
    assert _errors(response) == [
        ("allocated_artefacts[0].amount", "has more than 2 decimal places")
    ]


def test_a_foreign_invoice_is_paid_in_its_currency(client: httpx.Client) -> None:
    key = new_invoice(client, currency_id="EUR", exchange_rate="1.2").json()["id"]  # 120.00 EUR
    line = [{"artefact_id": key, "amount": "60"}]
    in_pounds = _pay(client, total_amount="60", allocated_artefacts=line)
    assert _errors(in_pounds) == [
        ("allocated_artefacts[0].artefact_id", "is in another currency than the payment")
    ]
    in_euros = _pay(
        client, total_amount="60", currency_id="EUR", exchange_rate="1.25", allocated_artefacts=line
    )
    assert in_euros.status_code == 201, in_euros.text
    assert in_euros.json()["base_currency_total_amount"] == "48.0"  # 60 / 1.25
    invoice = _invoice(client, key)
    assert (invoice["outstanding_amount"], invoice["base_currency_outstanding_amount"]) == (
        "60.0",
        "50.0",  # 60 / 1.2, at the invoice's own rate
    )
    assert client.get(f"/bank_accounts/{_bank(client)}").json()["balance"] == "48.0"
