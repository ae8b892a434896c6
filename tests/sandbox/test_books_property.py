"""The sandbox's books agree with themselves over random sequences of invoices, credit notes,
payments, allocations and deletions (issue 13: "what is owed equals invoices minus credit
notes minus allocations").

A small model keeps, for every artefact the test made, what it expects outstanding, and for
every contact what its balance should have moved by. After each operation the sandbox is read
back through its API and held to:

* each customer's ``show_balance`` = where it started + invoices - credit notes - receipts
  + refunds, whatever was allocated to what;
* each artefact's ``outstanding_amount`` is the model's, within [0, total], and its status is
  UNPAID at the total, PAID at zero and PART_PAID between;
* the debtors control account (1100) holds what every customer owes and the creditors
  control account (2100) what is owed to every supplier (the ledger and the contacts agree),
  and the double entry balances.

Customers and a supplier take part: a supplier's side is the mirror image (purchase invoices,
supplier payments, VENDOR_ALLOCATION with the opposite signs).

A refused operation (an over-allocation, a payment whose payment on account is allocated) must
change nothing. Credit notes join in when their resource is registered (sandbox/_credit_notes).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandboxkit import by_code, contact_id, make_client

from sage_accounting.sandbox import Clock, Sandbox
from sage_accounting.sandbox._registry import RESOURCES
from sage_accounting.sandbox._resources import entries

#: contact reference -> its side: the collection prefix, the payment and allocation types, the
#: sign an invoice takes in an allocation [G-pay], the control account.
SIDES = {
    "ACME001": ("sales", "CUSTOMER_RECEIPT", "CUSTOMER_ALLOCATION", 1, 1100),
    "NORTH01": ("sales", "CUSTOMER_RECEIPT", "CUSTOMER_ALLOCATION", 1, 1100),
    "OAK001": ("purchase", "VENDOR_PAYMENT", "VENDOR_ALLOCATION", -1, 2100),
}
CUSTOMERS = tuple(SIDES)
CREDIT_NOTES = "sales_credit_notes" in RESOURCES and "purchase_credit_notes" in RESOURCES
ZERO = Decimal(0)


@dataclass
class Books:
    """What the test expects of the sandbox's books."""

    client: httpx.Client
    sandbox: Sandbox
    customers: dict[str, str]
    start: dict[str, Decimal]
    accounts: dict[str, str]
    bank: str
    moved: dict[str, Decimal] = field(default_factory=dict)
    #: artefact id -> (collection, contact id, total, expected outstanding)
    artefacts: dict[str, list[Any]] = field(default_factory=dict)
    #: payment id -> (contact id, signed total, [(artefact id, amount)], payment on account id)
    payments: dict[str, tuple[str, Decimal, list[tuple[str, Decimal]], str | None]] = field(
        default_factory=dict
    )
    #: allocation id -> [(artefact id, amount taken off its outstanding)]
    allocations: dict[str, list[tuple[str, Decimal]]] = field(default_factory=dict)

    def move(self, contact: str, amount: Decimal) -> None:
        self.moved[contact] = self.moved.get(contact, ZERO) + amount

    def of(self, contact: str, *collections: str) -> list[str]:
        return [
            key
            for key, (collection, owner, _total, outstanding) in self.artefacts.items()
            if owner == contact and collection in collections and outstanding > 0
        ]


def _money(units: int) -> str:
    return f"{units}.00"


def _lines(books: Books, units: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "description": "Work",
            "ledger_account_id": books.accounts[prefix],
            "quantity": "1",
            "unit_price": _money(units),
            "tax_rate_id": "GB_STANDARD",
            "tax_amount": str(Decimal(units) / 5),
        }
    ]


def _side(books: Books, contact: str) -> tuple[str, str, str, int, int]:
    reference = next(ref for ref, key in books.customers.items() if key == contact)
    return SIDES[reference]


def _issue(books: Books, kind: str, contact: str, units: int) -> None:
    """An invoice (``kind`` "invoices") or credit note ("credit_notes") of the contact's side."""
    prefix = _side(books, contact)[0]
    collection = f"{prefix}_{kind}"
    lines = "invoice_lines" if kind == "invoices" else "credit_note_lines"
    body: dict[str, Any] = {
        "contact_id": contact,
        "date": "2026-01-05",
        lines: _lines(books, units, prefix),
    }
    if collection == "purchase_invoices":
        body["due_date"] = "2026-02-04"  # postPurchaseInvoices requires it
    made = books.client.post(f"/{collection}", json={collection[:-1]: body})
    assert made.status_code == 201, made.text
    total = Decimal(made.json()["total_amount"])
    assert total == Decimal(units) * Decimal("1.2")
    books.artefacts[made.json()["id"]] = [collection, contact, total, total]
    books.move(contact, total if kind == "invoices" else -total)


def _pay(books: Books, contact: str, pick: int, share: int, extra: int) -> None:
    """A receipt paying ``share``% of one open invoice, plus ``extra`` on account."""
    prefix, payment_type = _side(books, contact)[:2]
    open_invoices = books.of(contact, f"{prefix}_invoices")
    lines: list[tuple[str, Decimal]] = []
    if open_invoices:
        key = open_invoices[pick % len(open_invoices)]
        outstanding = books.artefacts[key][3]
        amount = max(Decimal("0.01"), (outstanding * share / 100).quantize(Decimal("0.01")))
        lines.append((key, min(amount, outstanding)))
    total = sum((amount for _, amount in lines), ZERO) + extra
    if total <= 0:
        return
    body = {
        "transaction_type_id": payment_type,
        "contact_id": contact,
        "bank_account_id": books.bank,
        "date": "2026-01-06",
        "total_amount": str(total),
        "allocated_artefacts": [{"artefact_id": k, "amount": str(a)} for k, a in lines],
    }
    made = books.client.post("/contact_payments", json={"contact_payment": body})
    assert made.status_code == 201, made.text
    for key, amount in lines:
        books.artefacts[key][3] -= amount
    on_account = made.json()["payment_on_account"]
    if on_account is not None:
        assert Decimal(on_account["total_amount"]) == extra
        books.artefacts[on_account["id"]] = [
            "payment_on_account",
            contact,
            Decimal(extra),
            Decimal(extra),
        ]
    books.payments[made.json()["id"]] = (
        contact,
        total,
        lines,
        on_account["id"] if on_account else None,
    )
    books.move(contact, -total)


def _over_pay(books: Books, contact: str, pick: int) -> None:
    """Paying a penny more than is outstanding is refused, and changes nothing."""
    prefix, payment_type = _side(books, contact)[:2]
    open_invoices = books.of(contact, f"{prefix}_invoices")
    if not open_invoices:
        return
    key = open_invoices[pick % len(open_invoices)]
    too_much = str(books.artefacts[key][3] + Decimal("0.01"))
    body = {
        "transaction_type_id": payment_type,
        "contact_id": contact,
        "bank_account_id": books.bank,
        "date": "2026-01-06",
        "total_amount": too_much,
        "allocated_artefacts": [{"artefact_id": key, "amount": too_much}],
    }
    refused = books.client.post("/contact_payments", json={"contact_payment": body})
    assert refused.status_code == 422, refused.text


def _allocate(books: Books, contact: str, pick: int, share: int) -> None:
    """A credit note or payment on account set against an open invoice."""
    prefix, _, allocation_type, sign, _ = _side(books, contact)
    invoices = books.of(contact, f"{prefix}_invoices")
    credits = books.of(contact, f"{prefix}_credit_notes", "payment_on_account")
    if not invoices or not credits:
        return
    invoice, credit = invoices[pick % len(invoices)], credits[pick % len(credits)]
    room = min(books.artefacts[invoice][3], books.artefacts[credit][3])
    amount = max(Decimal("0.01"), (room * share / 100).quantize(Decimal("0.01")))
    body = {
        "transaction_type_id": allocation_type,
        "contact_id": contact,
        "allocated_artefacts": [
            {"artefact_id": invoice, "amount": str(sign * amount)},
            {"artefact_id": credit, "amount": str(-sign * amount)},
        ],
    }
    made = books.client.post("/contact_allocations", json={"contact_allocation": body})
    assert made.status_code == 201, made.text
    books.artefacts[invoice][3] -= amount
    books.artefacts[credit][3] -= amount
    books.allocations[made.json()["id"]] = [(invoice, amount), (credit, amount)]


def _delete_payment(books: Books, pick: int) -> None:
    if not books.payments:
        return
    key = sorted(books.payments)[pick % len(books.payments)]
    contact, total, lines, on_account = books.payments[key]
    response = books.client.delete(f"/contact_payments/{key}")
    if on_account is not None and books.artefacts[on_account][3] != books.artefacts[on_account][2]:
        # Its payment on account is allocated: refused until that allocation goes.
        assert response.status_code == 422, response.text
        return
    assert response.status_code == 204, response.text
    for artefact, amount in lines:
        books.artefacts[artefact][3] += amount
    if on_account is not None:
        del books.artefacts[on_account]
    del books.payments[key]
    books.move(contact, total)


def _delete_allocation(books: Books, pick: int) -> None:
    if not books.allocations:
        return
    key = sorted(books.allocations)[pick % len(books.allocations)]
    assert books.client.delete(f"/contact_allocations/{key}").status_code == 204
    for artefact, amount in books.allocations.pop(key):
        books.artefacts[artefact][3] += amount


def _check(books: Books) -> None:
    client = books.client
    for contact, start in books.start.items():
        shown = client.get(f"/contacts/{contact}", params={"show_balance": "true"}).json()
        assert Decimal(shown["balance"]) == start + books.moved.get(contact, ZERO)
    on_account = {}
    for key, payment in books.payments.items():
        if payment[3] is not None:
            on_account[payment[3]] = client.get(f"/contact_payments/{key}").json()[
                "payment_on_account"
            ]
    for key, (collection, _contact, total, outstanding) in books.artefacts.items():
        record = (
            on_account[key]
            if collection == "payment_on_account"
            else client.get(f"/{collection}/{key}").json()
        )
        held = Decimal(record["outstanding_amount"])
        assert held == outstanding, (collection, record["displayed_as"])
        assert ZERO <= held <= total == Decimal(record["total_amount"])
        status = "PAID" if held == 0 else "UNPAID" if held == total else "PART_PAID"
        assert record["status"]["id"] == status
    # The ledger and the contacts agree: debtors control holds what all customers owe, and
    # creditors control what is owed to all suppliers (their balances are shown positive).
    for contact_type, code, side in (("CUSTOMER", 1100, "debit"), ("VENDOR", 2100, "credit")):
        listed = client.get(
            "/contacts",
            params={"contact_type_id": contact_type, "show_balance": "true", "items_per_page": 200},
        ).json()["$items"]
        owed = sum((Decimal(c["balance"]) for c in listed), ZERO)
        control = client.get(
            f"/ledger_accounts/{by_code(client, code)['id']}",
            params={"show_balance_details": "true"},
        ).json()["balance_details"]
        sign = 1 if control["credit_or_debit"] == side else -1
        assert sign * Decimal(control["balance"]) == owed, contact_type
    posted = entries(books.sandbox.lead_business)
    assert sum(p.debit for p in posted) == sum(p.credit for p in posted)


@contextmanager
def _books() -> Iterator[Books]:
    sandbox = Sandbox(clock=Clock.manual())
    with make_client(sandbox) as client:
        customers = {ref: contact_id(client, ref) for ref in CUSTOMERS}
        start = {
            key: Decimal(
                client.get(f"/contacts/{key}", params={"show_balance": "true"}).json()["balance"]
            )
            for key in customers.values()
        }
        bank = client.get("/bank_accounts").json()["$items"][0]["id"]
        accounts = {"sales": by_code(client, 4000)["id"], "purchase": by_code(client, 5000)["id"]}
        yield Books(client, sandbox, customers, start, accounts, bank)
    sandbox.close()


@pytest.fixture
def fresh() -> Iterator[Books]:
    with _books() as books:
        yield books


def test_the_set_up_starts_from_agreeing_books(fresh: Books) -> None:
    _check(fresh)
    assert all(balance > 0 for balance in fresh.start.values())  # the seed's invoices


KINDS = ["invoice", "pay", "over_pay", "allocate", "delete_payment", "delete_allocation"]
if CREDIT_NOTES:
    KINDS.append("credit")

operation = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, len(CUSTOMERS) - 1),
    st.integers(1, 400),
    st.integers(1, 100),
    st.sampled_from([0, 0, 5, 25]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=14))
def test_what_is_owed_is_invoices_less_credit_notes_less_payments(
    operations: list[tuple[str, int, int, int, int]],
) -> None:
    with _books() as books:
        # An open invoice each to start from, so the first payments have something to pay.
        for contact in books.customers.values():
            _issue(books, "invoices", contact, 100)
        for kind, who, units, share, extra in operations:
            contact = books.customers[CUSTOMERS[who]]
            if kind == "invoice":
                _issue(books, "invoices", contact, units)
            elif kind == "credit":
                _issue(books, "credit_notes", contact, max(1, units // 4))
            elif kind == "pay":
                _pay(books, contact, units, share, extra)
            elif kind == "over_pay":
                _over_pay(books, contact, units)
            elif kind == "allocate":
                _allocate(books, contact, units, share)
            elif kind == "delete_payment":
                _delete_payment(books, units)
            else:
                _delete_allocation(books, units)
            _check(books)
