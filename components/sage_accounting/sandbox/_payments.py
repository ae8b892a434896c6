"""Money in and out of the simulated books: bank accounts, payment methods, contact payments and
allocations, other payments, and the one allocation machinery every allocation goes through.

Sources (``../shared/reference/``): the swagger's ``postBankAccounts``, ``postContactPayments``,
``postContactAllocations`` and ``postOtherPayments`` (fields, required ones); the Payments guide
[G-pay] and Banking guide [G-bank] in ``sage-guides-facts.md`` sections 3 and 5; the recorded
samples ``bank_accounts__get_one``, ``bank_accounts__list_paged_attributes`` and
``contact_payments__get_one_payment_on_account`` (record shapes); the split-2025 swagger's
examples of ``/payment_methods``, ``/bank_account_types``, ``/contact_allocations/{key}`` and
``/other_payments/{key}``. What is inferred is said where it is done and in
``docs/sandbox-fidelity.md`` ("Payments and banking").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sage_accounting.sandbox import _resources as res
from sage_accounting.sandbox._registry import READ, Resource, register
from sage_accounting.sandbox._resources import (
    Business,
    Posting,
    invalid,
    link,
    money_text,
    parse_date,
    parse_decimal,
    text,
)
from sage_accounting.sandbox._store import Record

ZERO = Decimal(0)
CENT = Decimal("0.01")

# split-2025 swagger.banking.json, GET /bank_account_types example: these six, in this order.
# STRIPE exists but is read-only and absent from the list [G-bank].
BANK_ACCOUNT_TYPES = (
    ("CHECKING", "Current"),
    ("SAVINGS", "Savings"),
    ("CREDIT_CARD", "Credit Card"),
    ("CASH_IN_HAND", "Cash in Hand"),
    ("LOAN", "Loan"),
    ("OTHER", "Other"),
)
# split-2025 swagger.payments.json, GET /payment_methods example: these five, in this order.
PAYMENT_METHODS = (
    ("CASH", "Cash"),
    ("CHECK", "Cheque"),
    ("ELECTRONIC", "Electronic"),
    ("CREDIT_DEBIT", "Credit/Debit Card"),
    ("ONLINE_PAYMENT", "PayPal"),
)
# Displayed names: "Customer Receipt", "Customer Allocation" and "Other Receipt" are in Sage's
# examples; the others follow them (inferred; the UK UI says "Supplier" for VENDOR).
TRANSACTION_TYPES = {
    "CUSTOMER_RECEIPT": "Customer Receipt",
    "VENDOR_PAYMENT": "Supplier Payment",
    "CUSTOMER_REFUND": "Customer Refund",
    "VENDOR_REFUND": "Supplier Refund",
    "CUSTOMER_ALLOCATION": "Customer Allocation",
    "VENDOR_ALLOCATION": "Supplier Allocation",
    "OTHER_RECEIPT": "Other Receipt",
    "OTHER_PAYMENT": "Other Payment",
}
#: The statuses an artefact can take a payment or allocation in [G-pay], [G-inv].
PAYABLE = frozenset({"UNPAID", "PART_PAID"})
#: [G-pay]: "Allocating a fully paid artefact returns 422 'You can only pay unpaid or part-paid
#: invoices.'", and the message does not say which artefact.
NOT_PAYABLE = "You can only pay unpaid or part-paid invoices."
#: [G-pay]: a contact payment's reference "is limited to 25 characters".
REFERENCE_MAX = 25
#: What a payment on account is found under when it is an artefact (its own id, the payment's
#: path: contact_payments__get_one_payment_on_account and the /contact_allocations example).
ON_ACCOUNT = "payment_on_account"
#: Discount accounts of Sage's UK chart (inferred: the seed's chart has none, so the seed adds
#: them): a settlement discount is booked to them instead of the bank.
DISCOUNT_ALLOWED = (4009, "Discounts allowed", "SALES")
DISCOUNT_RECEIVED = (5009, "Discounts received", "DIRECT_EXPENSES")


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _type_link(key: str) -> dict[str, str]:
    return {
        "id": key,
        "displayed_as": TRANSACTION_TYPES[key],
        "$path": f"/transaction_types/{key}",
    }


def _transaction(biz: Business, displayed: str | None) -> Record:
    key = biz.new_id()
    return {"id": key, "displayed_as": displayed, "$path": f"/transactions/{key}"}


def _choice(raw: Any, allowed: Iterable[str], source: str) -> str:
    if raw in (None, ""):
        raise invalid((source, "can't be blank"))
    if not isinstance(raw, str) or raw not in allowed:
        raise invalid((source, "is invalid"))
    return raw


def _amount(raw: Any, source: str, *, positive: bool = True) -> Decimal:
    value = parse_decimal(raw, source)
    if positive and value <= 0:
        raise invalid((source, "must be greater than 0"))
    if value != _round(value):
        raise invalid((source, "has more than 2 decimal places"))
    return value


def _base_currency(biz: Business) -> str:
    return str(biz.collection("_settings").records["financial_settings"]["base_currency"]["id"])


def _currency_and_rate(
    biz: Business, data: Mapping[str, Any], default: str
) -> tuple[Record, Decimal]:
    """The currency (default: the contact's or the base currency) and its exchange rate.

    [G-pay]: "exchange_rate defaults to 1"; a rate other than 1 in the base currency is refused.
    """
    currency = biz.find("currencies", data.get("currency_id") or default, "currency_id")
    raw = data.get("exchange_rate")
    rate = Decimal(1) if raw is None else parse_decimal(raw, "exchange_rate")
    if rate <= 0:
        raise invalid(("exchange_rate", "must be greater than 0"))
    if currency["id"] == _base_currency(biz) and rate != 1:
        raise invalid(("exchange_rate", "must be 1 in the base currency"))
    return currency, rate


# ---------------------------------------------------------------------------------------------
# Bank accounts


def _default_method(type_id: str) -> str:
    # Both recorded bank accounts of type CHECKING default to CREDIT_DEBIT and the CASH_IN_HAND
    # one to CASH (bank_accounts__list_paged_attributes); other types follow CHECKING (inferred).
    return "CASH" if type_id == "CASH_IN_HAND" else "CREDIT_DEBIT"


def _bank_details(data: Mapping[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    sent = data.get("bank_account_details")
    if sent is not None and not isinstance(sent, Mapping):
        raise invalid(("bank_account_details", "is invalid"))
    out: dict[str, Any] = dict(current or dict.fromkeys(_DETAILS))
    for key in _DETAILS:
        if sent is not None and key in sent:
            out[key] = text(sent[key]) or None
    return out


_DETAILS = ("account_name", "account_number", "sort_code", "bic", "iban")


def _bank_name(record: Mapping[str, Any], ledger: Mapping[str, Any]) -> str:
    # "Bank Account (1200)": the account name and the ledger account's code (both samples).
    return f"{record['bank_account_details']['account_name']} ({ledger['nominal_code']:04d})"


def create_bank_account(biz: Business, data: Mapping[str, Any]) -> Record:
    """postBankAccounts: a bank account on a BANK ledger account, named or made for it.

    ``ledger_account_id`` attaches an existing BANK ledger account that no other bank account
    uses; otherwise ``nominal_code`` makes a new BANK ledger account named after the account.
    Sage's behaviour with neither is unknown: the sandbox refuses (strict), naming nominal_code.
    Everything is checked before the ledger account is made, so a 422 leaves nothing behind.
    """
    problems: list[tuple[str, str]] = []
    type_id = data.get("bank_account_type_id")
    if type_id in (None, ""):
        problems.append(("bank_account_type_id", "can't be blank"))
    elif biz.collection("bank_account_types").get(str(type_id)) is None:
        problems.append(("bank_account_type_id", "is invalid"))
    details = _bank_details(data, None)
    if not details["account_name"]:
        problems.append(("bank_account_details.account_name", "can't be blank"))
    ledger_id, code = data.get("ledger_account_id"), data.get("nominal_code")
    ledger: Record | None = None
    if ledger_id not in (None, ""):
        ledger = biz.collection("ledger_accounts").get(str(ledger_id))
        if ledger is None or ledger["ledger_account_type"]["id"] != "BANK" or _bank_of(biz, ledger):
            problems.append(("ledger_account_id", "is invalid"))
    elif code is None:
        problems.append(("nominal_code", "can't be blank"))
    elif not isinstance(code, int) or isinstance(code, bool) or not 1 <= code <= 99999999:
        problems.append(("nominal_code", "is invalid"))
    elif code in biz.nominal_codes:
        problems.append(("nominal_code", "has already been taken"))
    if problems:
        raise invalid(*problems)
    type_link = link(biz.find("bank_account_types", type_id, "bank_account_type_id"))
    method = biz.find(
        "payment_methods",
        data.get("default_payment_method_id") or _default_method(str(type_id)),
        "default_payment_method_id",
    )
    currency = biz.find("currencies", data.get("currency_id") or _base_currency(biz), "currency_id")
    gifi = res._gifi(data.get("gifi_code"))
    if ledger is None:
        ledger = res.create_ledger_account(
            biz,
            {
                "ledger_account_type_id": "BANK",
                "name": details["account_name"],
                "nominal_code": code,
                "included_in_chart": True,
                "tax_rate_id": "GB_NO_TAX",
            },
            scopes=("bank", "journals", "reporting"),
        )
    record = biz.stamped("bank_accounts", "")
    record.update(
        {
            "links": [],
            "bank_account_details": details,
            "ledger_account": link(ledger),
            "bank_account_type": type_link,
            "balance": "0.0",
            "main_address": None,
            "main_contact_person": None,
            # Both recorded samples show null here; the code is the ledger account's.
            "nominal_code": None,
            "editable": True,
            "deletable": True,
            "journal_code": None,
            "default_payment_method": link(method),
            "gifi_code": gifi,
            "is_active": data.get("is_active") is not False,
            "currency": link(currency),
        }
    )
    record["displayed_as"] = _bank_name(record, ledger)
    return biz.save("bank_accounts", record)


def update_bank_account(biz: Business, record: Record, data: Mapping[str, Any]) -> Record:
    """putBankAccounts. [G-bank]: "A bank account's currency cannot be changed." A new name or
    nominal code goes to the bank's ledger account too (they are one account in Sage's UI)."""
    updated = dict(record)
    if "currency_id" in data and data["currency_id"] != record["currency"]["id"]:
        raise invalid(("currency_id", "cannot be changed"))
    if "bank_account_type_id" in data:
        found = biz.find("bank_account_types", data["bank_account_type_id"], "bank_account_type_id")
        updated["bank_account_type"] = link(found)
    if "default_payment_method_id" in data:
        method = data["default_payment_method_id"]
        found = biz.find("payment_methods", method, "default_payment_method_id")
        updated["default_payment_method"] = link(found)
    if "gifi_code" in data:
        updated["gifi_code"] = res._gifi(data["gifi_code"])
    if "is_active" in data:
        updated["is_active"] = data["is_active"] is not False
    updated["bank_account_details"] = _bank_details(data, record["bank_account_details"])
    if not updated["bank_account_details"]["account_name"]:
        raise invalid(("bank_account_details.account_name", "can't be blank"))
    if "ledger_account_id" in data and data["ledger_account_id"] != record["ledger_account"]["id"]:
        raise invalid(("ledger_account_id", "cannot be changed"))
    ledger = biz.collection("ledger_accounts").records[record["ledger_account"]["id"]]
    change: dict[str, Any] = {}
    name = updated["bank_account_details"]["account_name"]
    if name != record["bank_account_details"]["account_name"]:
        change.update(name=name, display_name=name)
    if "nominal_code" in data and data["nominal_code"] is not None:
        change["nominal_code"] = data["nominal_code"]
    if change:
        ledger = res.update_ledger_account(biz, ledger, change)
        updated["ledger_account"] = link(ledger)
    updated["displayed_as"] = _bank_name(updated, ledger)
    updated["updated_at"] = biz.clock.stamp()
    return biz.save("bank_accounts", updated)


def delete_bank_account(biz: Business, record: Record, q: Mapping[str, str]) -> None:
    """[G-bank]: "Accounts with activity cannot be deleted." Its ledger account stays in the
    chart (Sage's handling of it is unknown; the sandbox never removes ledger accounts)."""
    if _has_activity(biz, record):
        raise invalid(("base", "A bank account with transactions cannot be deleted"))
    biz.remove("bank_accounts", record["id"])


def _has_activity(biz: Business, record: Record) -> bool:
    return _in_use(biz)(record)


def _in_use(biz: Business) -> Callable[[Record], bool]:
    """Whether a bank account has activity: postings on its ledger account (payments,
    transfers, journals...) or a payment naming it. Worked out once per request."""
    posted = {p.account for p in res.entries(biz)}
    named = {
        (r.get("bank_account") or {}).get("$path")
        for name in ("contact_payments", "other_payments")
        for r in biz.collection(name).records.values()
    }
    return lambda record: record["ledger_account"]["id"] in posted or record["$path"] in named


def _bank_of(biz: Business, ledger: Mapping[str, Any]) -> Record | None:
    return next(
        (
            r
            for r in biz.collection("bank_accounts").records.values()
            if r["ledger_account"]["id"] == ledger["id"]
        ),
        None,
    )


def bank_account(biz: Business, key: Any, source: str = "bank_account_id") -> Record:
    """A bank account a write names, or a 422 naming ``source`` (K's transfers use it too)."""
    return biz.find("bank_accounts", key, source)


def _bank_view(biz: Business) -> Callable[[Record], Record]:
    """A bank account's ``balance`` is its ledger account's (debits less credits, all dates:
    money in is positive, inferred) and it is ``deletable`` only without activity [G-bank]."""
    totals = res.ledger_totals(biz, None, None)
    in_use = _in_use(biz)

    def view(item: Record) -> Record:
        record = biz.collection("bank_accounts").get(str(item.get("id")))
        if record is None or not {"balance", "deletable"} & item.keys():
            # A list without those attributes shows neither.
            return item
        out = dict(item)
        if "balance" in item:
            debits, credits = totals.get(record["ledger_account"]["id"], (ZERO, ZERO))
            out["balance"] = money_text(debits - credits)
        if "deletable" in item:
            out["deletable"] = not in_use(record)
        return out

    return view


def _bank_matches(biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    def matches(record: Record, q: Mapping[str, str]) -> bool:
        # getBankAccounts filter_inactive_bank_accounts; exclude_stripe has nothing to drop
        # (the sandbox has no STRIPE accounts).
        return not (q.get("filter_inactive_bank_accounts") == "true" and not record["is_active"])

    return matches


#: The seeded bank accounts, on the seed chart's BANK ledger accounts: a new UK business has a
#: CHECKING and a CASH_IN_HAND account [G-bank]; the savings account is the chart's 1220.
SEEDED_BANKS = ((1200, "CHECKING"), (1210, "CASH_IN_HAND"), (1220, "SAVINGS"))


def _seed_banking(biz: Business, index: int) -> None:
    for code, name, type_id in (DISCOUNT_ALLOWED, DISCOUNT_RECEIVED):
        if code not in biz.nominal_codes:
            res.create_ledger_account(
                biz,
                {
                    "ledger_account_type_id": type_id,
                    "name": name,
                    "nominal_code": code,
                    "included_in_chart": True,
                    "tax_rate_id": "GB_NO_TAX",
                },
            )
    for code, type_id in SEEDED_BANKS:
        ledger_id = biz.nominal_codes.get(code)
        if ledger_id is None:
            continue
        ledger = biz.collection("ledger_accounts").records[ledger_id]
        create_bank_account(
            biz,
            {
                "bank_account_type_id": type_id,
                "ledger_account_id": ledger_id,
                "bank_account_details": {"account_name": ledger["name"]},
            },
        )


def default_bank_account(biz: Business) -> Record:
    """The business's first current account (what ``Sandbox.record_payment`` pays into)."""
    for record in biz.collection("bank_accounts").records.values():
        if record["bank_account_type"]["id"] == "CHECKING":
            return record
    raise invalid(("bank_account_id", "can't be blank"))


# ---------------------------------------------------------------------------------------------
# The allocation machinery


@dataclass(frozen=True)
class ArtefactKind:
    """What can be allocated, by collection; payments on account are found inside payments.

    ``side`` is the contact type the artefact belongs to; ``debt`` is True for what the contact
    owes (an invoice) and False for what lowers it (a credit note). A quick entry is either, by
    its ``quick_entry_type`` (INVOICE or CREDIT_NOTE): ``debt`` is None.
    """

    collection: str
    side: str
    debt: bool | None


ARTEFACTS = {
    kind.collection: kind
    for kind in (
        ArtefactKind("sales_invoices", "CUSTOMER", True),
        ArtefactKind("sales_credit_notes", "CUSTOMER", False),
        ArtefactKind("sales_quick_entries", "CUSTOMER", None),
        ArtefactKind("purchase_invoices", "VENDOR", True),
        ArtefactKind("purchase_credit_notes", "VENDOR", False),
        ArtefactKind("purchase_quick_entries", "VENDOR", None),
    )
}
#: Credit notes are C's records (``_credit_notes.py``); they count in balances by this name.
#: Quick entries (J's ``_journals.py``) count themselves (their resource's ``owed``).
CREDIT_NOTES = ("sales_credit_notes", "purchase_credit_notes")


def is_debt(collection: str, artefact: Mapping[str, Any]) -> bool:
    """Whether the artefact is what the contact owes (an invoice) or a credit in its favour."""
    kind = ARTEFACTS.get(collection)
    if kind is None:  # a payment on account
        return False
    if kind.debt is None:
        return bool((artefact.get("quick_entry_type") or {}).get("id") == "INVOICE")
    return kind.debt


class Allocations:
    """Changes to artefacts, checked together and saved together.

    Each ``allocate``/``deallocate`` works on the pending copy of its artefact, so several lines
    on one invoice add up, and nothing is saved until :meth:`commit`: a refused line leaves no
    other line's change behind. A payment on account lives inside its contact payment, so the
    pending copy of that payment is changed instead.
    """

    def __init__(self, biz: Business) -> None:
        self.biz = biz
        self.pending: dict[tuple[str, str], Record] = {}
        self.day = biz.clock.now().date().isoformat()

    def record(self, collection: str, key: str) -> Record | None:
        pending = self.pending.get((collection, key))
        return pending if pending is not None else self.biz.collection(collection).get(key)

    def find(self, artefact_id: Any, contact: Record, source: str) -> tuple[str, str, Record]:
        """(collection, record id, artefact) of an artefact of ``contact``, or 422 at ``source``.

        A payment on account is found by its own id and answered as ``(contact_payments,
        payment id, the payment on account)``.
        """
        if not isinstance(artefact_id, str) or not artefact_id:
            raise invalid((source, "can't be blank" if artefact_id in (None, "") else "is invalid"))
        for collection in ARTEFACTS:
            found = self.record(collection, artefact_id)
            if found is not None:
                if found["contact"]["id"] != contact["id"]:
                    raise invalid((source, "belongs to another contact"))
                return collection, artefact_id, found
        for payment in self.biz.collection("contact_payments").records.values():
            current = self.record("contact_payments", payment["id"]) or payment
            on_account = current.get(ON_ACCOUNT)
            if on_account and on_account["id"] == artefact_id:
                if current["contact"]["id"] != contact["id"]:
                    raise invalid((source, "belongs to another contact"))
                return "contact_payments", payment["id"], on_account
        raise invalid((source, "is invalid"))

    def allocate(
        self,
        collection: str,
        key: str,
        amount: Decimal,
        source: str,
        discount: Decimal = ZERO,
    ) -> Record:
        """Lower the artefact's outstanding amount by ``amount`` + ``discount``.

        Refused when the artefact is not UNPAID or PART_PAID [G-pay] or when it would go below
        zero (an allocation cannot exceed what is outstanding: the amount would be a payment
        on account, which [G-pay] makes of a payment's excess, never of an artefact's).
        """
        return self._change(collection, key, amount, discount, source)

    def deallocate(
        self,
        collection: str,
        key: str,
        amount: Decimal,
        discount: Decimal = ZERO,
    ) -> Record:
        """Undo an allocation: the outstanding amount goes back up, and the status with it
        ([G-inv]: an invoice whose payments are deleted "returns to UNPAID")."""
        return self._change(collection, key, -amount, -discount, "base")

    def _change(
        self, collection: str, key: str, amount: Decimal, discount: Decimal, source: str
    ) -> Record:
        holder = self.record(collection, key)
        if holder is None:
            raise invalid((source, "is invalid"))
        if collection == "contact_payments":
            on_account = holder.get(ON_ACCOUNT)
            if on_account is None:
                raise invalid((source, "is invalid"))
            changed = dict(holder, **{ON_ACCOUNT: _settled(on_account, amount, discount, source)})
        else:
            changed = _settled(holder, amount, discount, source)
            changed["updated_at"] = self.biz.clock.stamp()
            if amount > 0 and "last_paid" in changed:
                changed["last_paid"] = self.day
        self.pending[(collection, key)] = changed
        return changed

    def commit(self) -> None:
        for (collection, _key), record in self.pending.items():
            self.biz.save(collection, record)
        self.pending.clear()


def _settled(record: Record, amount: Decimal, discount: Decimal, source: str) -> Record:
    status = record["status"]["id"]
    total = Decimal(record["total_amount"])
    outstanding = Decimal(record["outstanding_amount"]) - amount - discount
    if amount + discount > 0 and status not in PAYABLE:
        raise invalid((source, NOT_PAYABLE))
    if amount + discount < 0 and status not in {*PAYABLE, "PAID"}:
        raise invalid((source, "is invalid"))
    if outstanding < 0:
        raise invalid((source, "is more than the outstanding amount"))
    if outstanding > total:
        raise invalid((source, "is more than was allocated"))
    updated = dict(record)
    if "total_paid" in record:
        updated["total_paid"] = money_text(Decimal(record["total_paid"]) + amount)
        updated["payments_allocations_total_amount"] = updated["total_paid"]
        held = Decimal(record.get("payments_allocations_total_discount") or 0)
        updated["payments_allocations_total_discount"] = money_text(held + discount)
    updated["outstanding_amount"] = money_text(outstanding)
    rate = Decimal(record.get("exchange_rate") or 1)
    updated["base_currency_outstanding_amount"] = money_text(_round(outstanding / rate))
    # [G-inv]: PART_PAID and PAID come only from payments and allocations.
    new_status = "PAID" if outstanding == 0 else "UNPAID" if outstanding == total else "PART_PAID"
    updated["status"] = res._status(new_status)
    return updated


def _contact(biz: Business, key: Any, side: str) -> Record:
    contact = biz.find("contacts", key, "contact_id")
    if side not in {t["id"] for t in contact["contact_types"]}:
        # The invoices' words for a contact of the wrong kind ([G-bp]).
        who = "customer" if side == "CUSTOMER" else "supplier"
        raise invalid(("contact_id", f"can't find {who}"))
    return contact


def _artefact_line(
    collection: str, key: str, artefact: Record, biz: Business, amount: Decimal
) -> Record:
    shown = {"id": artefact["id"], "displayed_as": artefact["displayed_as"]}
    # A payment on account's $path is its payment's (the /contact_allocations example).
    shown["$path"] = f"/{collection}/{key}"
    return {"id": biz.new_id(), "artefact": shown, "amount": money_text(amount)}


# ---------------------------------------------------------------------------------------------
# Contact payments

#: transaction type -> (contact side, money comes in, a refund). [G-pay] names the four types.
#: Receipts and payments pay invoices (positive amounts) and may net credit notes off them
#: (negative amounts); refunds pay back credit notes and payments on account [G-pay: "use the
#: returned payment_on_account id"] (positive amounts).
_PAYMENTS: dict[str, tuple[str, bool, bool]] = {
    "CUSTOMER_RECEIPT": ("CUSTOMER", True, False),
    "VENDOR_PAYMENT": ("VENDOR", False, False),
    "CUSTOMER_REFUND": ("CUSTOMER", False, True),
    "VENDOR_REFUND": ("VENDOR", True, True),
}


def _payment_fields(record: Record) -> dict[str, Any]:
    """A stored payment as the body that would make it (what a PUT changes from)."""
    return {
        "transaction_type_id": record["transaction_type"]["id"],
        "contact_id": record["contact"]["id"],
        "bank_account_id": record["bank_account"]["id"],
        "date": record["date"],
        "total_amount": record["total_amount"],
        "payment_method_id": record["payment_method"]["id"],
        "currency_id": record["currency"]["id"],
        "exchange_rate": record["exchange_rate"],
        "reference": record["reference"],
        "allocated_artefacts": [
            {
                "artefact_id": line["artefact"]["id"],
                "amount": line["amount"],
                "discount": line.get("discount", "0.0"),
            }
            for line in record["allocated_artefacts"]
        ],
    }


def _unallocate(plan: Allocations, record: Record) -> None:
    for line in record["allocated_artefacts"]:
        collection, key = _where(line)
        amount, discount = Decimal(line["amount"]), Decimal(line.get("discount") or 0)
        plan.deallocate(collection, key, abs(amount), discount)


def _where(line: Mapping[str, Any]) -> tuple[str, str]:
    parts = line["artefact"]["$path"].strip("/").split("/")
    return parts[0], parts[1]


def create_payment(biz: Business, data: Mapping[str, Any]) -> Record:
    """postContactPayments: the payment, its allocations and any payment on account."""
    plan = Allocations(biz)
    record = _build_payment(biz, plan, data, None)
    plan.commit()
    return biz.save("contact_payments", record)


def update_payment(biz: Business, record: Record, data: Mapping[str, Any]) -> Record:
    """putContactPayments: fields not sent keep their values; ``allocated_artefacts`` sent
    replaces the allocations ([G-pay]: ``[]`` clears them, the money becomes a payment on
    account)."""
    plan = Allocations(biz)
    _unallocate(plan, record)
    merged = {**_payment_fields(record), **data}
    updated = _build_payment(biz, plan, merged, record)
    plan.commit()
    return biz.save("contact_payments", updated)


def delete_payment(biz: Business, record: Record, q: Mapping[str, str]) -> None:
    """deleteContactPaymentsKey: its allocations are undone (the invoices go back to UNPAID or
    PART_PAID [G-inv]). A payment on account already allocated elsewhere is refused until that
    allocation is deleted (Sage's behaviour is unknown; the strict choice)."""
    on_account = record.get(ON_ACCOUNT)
    if on_account and Decimal(on_account["outstanding_amount"]) != Decimal(
        on_account["total_amount"]
    ):
        raise invalid(("base", "The payment on account is allocated; delete its allocation first"))
    plan = Allocations(biz)
    _unallocate(plan, record)
    plan.commit()
    biz.remove("contact_payments", record["id"])


def _build_payment(
    biz: Business, plan: Allocations, data: Mapping[str, Any], current: Record | None
) -> Record:
    type_id = _choice(data.get("transaction_type_id"), _PAYMENTS, "transaction_type_id")
    side, money_in, refund = _PAYMENTS[type_id]
    problems = [
        (name, "can't be blank")
        for name in ("contact_id", "bank_account_id", "date", "total_amount")
        if data.get(name) in (None, "")
    ]
    if problems:
        raise invalid(*problems)
    contact = _contact(biz, data["contact_id"], side)
    bank = bank_account(biz, data["bank_account_id"])
    day = parse_date(data["date"], "date").isoformat()
    total = _amount(data["total_amount"], "total_amount")
    method = biz.find(
        "payment_methods",
        # [G-pay]: "payment_method_id has a default": the bank account's.
        data.get("payment_method_id") or bank["default_payment_method"]["id"],
        "payment_method_id",
    )
    contact_currency = (contact.get("currency") or {}).get("id") or _base_currency(biz)
    currency, rate = _currency_and_rate(biz, data, contact_currency)
    reference = text(data.get("reference"))
    if len(reference) > REFERENCE_MAX:
        raise invalid(("reference", f"is too long (maximum is {REFERENCE_MAX} characters)"))
    lines = data.get("allocated_artefacts") or []
    if not isinstance(lines, list):
        raise invalid(("allocated_artefacts", "is invalid"))
    allocated, discounts, shown = ZERO, ZERO, []
    for index, line in enumerate(lines):
        where = f"allocated_artefacts[{index}]"
        if not isinstance(line, Mapping):
            raise invalid((where, "is invalid"))
        collection, key, artefact = plan.find(
            line.get("artefact_id"), contact, f"{where}.artefact_id"
        )
        on_account = collection == "contact_payments"
        debt = is_debt(collection, artefact)
        if (
            (refund and debt)
            or (on_account and not refund)
            or (current is not None and key == current["id"])
        ):
            raise invalid((f"{where}.artefact_id", f"cannot be paid by a {type_id}"))
        artefact_currency = (artefact.get("currency") or {}).get("id") or currency["id"]
        if artefact_currency != currency["id"]:
            raise invalid((f"{where}.artefact_id", "is in another currency than the payment"))
        amount = _amount(line.get("amount"), f"{where}.amount", positive=False)
        discount = _amount(line.get("discount") or 0, f"{where}.discount", positive=False)
        sign = 1 if refund or debt else -1
        if amount == 0 or (amount > 0) != (sign > 0) or discount < 0 or (discount and sign < 0):
            raise invalid((f"{where}.amount", "has the wrong sign for this artefact"))
        plan.allocate(collection, key, abs(amount), f"{where}.amount", discount)
        allocated += amount
        discounts += discount
        out = _artefact_line(collection, key, artefact, biz, amount)
        out["discount"] = money_text(discount)
        shown.append(out)
    # [G-pay]: "total_amount may not be below the allocated sum. Any excess becomes a payment
    # on account". A refund's excess would be money paid back for nothing: refused (inferred).
    if allocated > total:
        raise invalid(("total_amount", "is less than the amount allocated"))
    if allocated < 0:
        raise invalid(("allocated_artefacts", "credit notes exceed the invoices paid"))
    excess = total - allocated
    if excess and type_id in {"CUSTOMER_REFUND", "VENDOR_REFUND"}:
        raise invalid(("total_amount", "must equal the amount allocated for a refund"))
    record = dict(current) if current is not None else biz.stamped("contact_payments", "")
    if current is None:
        record["links"] = []
        record["transaction"] = _transaction(biz, reference or None)
    record.update(
        {
            "displayed_as": reference or None,
            "transaction_type": _type_link(type_id),
            "payment_method": link(method),
            "contact": link(contact),
            "bank_account": link(bank),
            "date": day,
            "net_amount": "0.0",
            "tax_amount": "0.0",
            "total_amount": money_text(total),
            "currency": link(currency),
            "exchange_rate": money_text(rate),
            "base_currency_net_amount": "0.0",
            "base_currency_tax_amount": "0.0",
            "base_currency_total_amount": money_text(_round(total / rate)),
            "base_currency_currency_charge": "0.0",
            "reference": reference,
            "allocated_artefacts": shown,
            "tax_rate": None,
            "editable": False,
            "updated_at": biz.clock.stamp(),
            "_discount": money_text(discounts),
            "_money_in": money_in,
        }
    )
    record[ON_ACCOUNT] = _on_account(biz, record, current, contact, excess, rate)
    return record


def _on_account(
    biz: Business,
    record: Record,
    current: Record | None,
    contact: Record,
    excess: Decimal,
    rate: Decimal,
) -> Record | None:
    """The payment on account a payment's excess becomes (its own id, the payment's $path and
    dates; shape of contact_payments__get_one_payment_on_account)."""
    held = (current or {}).get(ON_ACCOUNT)
    used = Decimal(held["total_amount"]) - Decimal(held["outstanding_amount"]) if held else ZERO
    if excess < used:
        raise invalid(("total_amount", "is less than its payment on account already allocated"))
    if not excess:
        return None
    outstanding = excess - used
    status = "UNPAID" if not used else "PAID" if not outstanding else "PART_PAID"
    return {
        "id": held["id"] if held else biz.new_id(),
        "displayed_as": record["displayed_as"],
        "$path": record["$path"],
        "created_at": held["created_at"] if held else record["created_at"],
        "updated_at": record["updated_at"],
        "contact_name": contact["name"],
        "contact_reference": contact.get("reference") or "",
        "contact": link(contact),
        "date": record["date"],
        "reference": record["reference"],
        "net_amount": money_text(excess),
        "tax_amount": "0.0",
        "total_amount": money_text(excess),
        "outstanding_amount": money_text(outstanding),
        "currency": record["currency"],
        "exchange_rate": record["exchange_rate"],
        "base_currency_net_amount": money_text(_round(excess / rate)),
        "base_currency_tax_amount": "0.0",
        "base_currency_total_amount": money_text(_round(excess / rate)),
        "base_currency_outstanding_amount": money_text(_round(outstanding / rate)),
        "status": res._status(status),
    }


def _payment_ledger(biz: Business) -> Iterator[Posting]:
    """A receipt debits its bank's ledger account and credits the debtors control account with
    its total; a supplier payment the reverse through creditors; refunds the opposite ways.
    A settlement discount moves from the control account to Discounts allowed/received
    without touching the bank. Accounts inferred from the seed's controls (as invoices)."""
    code = biz.nominal_codes.get
    for record in biz.collection("contact_payments").records.values():
        type_id = record["transaction_type"]["id"]
        customer = type_id.startswith("CUSTOMER")
        control = code(1100 if customer else 2100)
        bank = biz.collection("bank_accounts").get(record["bank_account"]["id"])
        total = Decimal(record["base_currency_total_amount"])
        money_in = bool(record["_money_in"])
        made = (record["date"], record, record["transaction"], type_id, record["reference"])
        if bank is not None:
            yield _post(made, bank["ledger_account"]["id"], total, debit=money_in)
        if control is not None:
            yield _post(made, control, total, debit=not money_in)
        discount = _round(Decimal(record["_discount"]) / Decimal(record["exchange_rate"]))
        account = code(DISCOUNT_ALLOWED[0] if customer else DISCOUNT_RECEIVED[0])
        if discount and control is not None and account is not None:
            yield _post(made, account, discount, debit=customer)
            yield _post(made, control, discount, debit=not customer)


def _post(
    made: tuple[str, Record, Record | None, str, str], account: str, amount: Decimal, *, debit: bool
) -> Posting:
    day, source, transaction, type_id, details = made
    debits, credits = (amount, ZERO) if debit else (ZERO, amount)
    return Posting(day, account, debits, credits, source, transaction, type_id, details)


def _owed(biz: Business) -> Iterator[tuple[str, Decimal]]:
    """What lowers a contact's balance: its payments on account not yet allocated, and its
    issued credit notes' outstanding amounts (C's records, counted here once)."""
    for record in biz.collection("contact_payments").records.values():
        on_account = record.get(ON_ACCOUNT)
        if on_account:
            outstanding = Decimal(on_account["base_currency_outstanding_amount"])
            yield record["contact"]["id"], -outstanding
    for name in CREDIT_NOTES:
        for record in biz.collection(name).records.values():
            if record["status"]["id"] in {"DRAFT", "VOID", "PRO_FORMA"}:
                continue
            base = record.get("base_currency_outstanding_amount") or record["outstanding_amount"]
            yield record["contact"]["id"], -Decimal(str(base))


def _dated(record: Record, q: Mapping[str, str]) -> bool:
    start, end = q.get("from_date"), q.get("to_date")
    return not ((start and record["date"] < start) or (end and record["date"] > end))


def _linked(record: Record, q: Mapping[str, str], *names: str) -> bool:
    for name in names:
        wanted = q.get(f"{name}_id")
        if wanted and (record.get(name) or {}).get("id") != wanted:
            return False
    return True


def _payment_matches(biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    # getContactPayments and getOtherPayments: contact_id, bank_account_id,
    # transaction_type_id, from_date, to_date (on the payment date).
    def matches(record: Record, q: Mapping[str, str]) -> bool:
        return _linked(record, q, "contact", "bank_account", "transaction_type") and _dated(
            record, q
        )

    return matches


# ---------------------------------------------------------------------------------------------
# Contact allocations

#: [G-pay]: "For a CUSTOMER_ALLOCATION, the invoice is + and the credit note or payment is −.
#: Vendor allocations use the opposite signs."
_ALLOCATIONS = {"CUSTOMER_ALLOCATION": ("CUSTOMER", 1), "VENDOR_ALLOCATION": ("VENDOR", -1)}


def create_allocation(biz: Business, data: Mapping[str, Any]) -> Record:
    plan = Allocations(biz)
    record = _build_allocation(biz, plan, data, None)
    plan.commit()
    return biz.save("contact_allocations", record)


def update_allocation(biz: Business, record: Record, data: Mapping[str, Any]) -> Record:
    plan = Allocations(biz)
    _unallocate(plan, record)
    merged = {
        "transaction_type_id": record["transaction_type"]["id"],
        "contact_id": record["contact"]["id"],
        "date": record["date"],
        "allocated_artefacts": [
            {"artefact_id": line["artefact"]["id"], "amount": line["amount"]}
            for line in record["allocated_artefacts"]
        ],
        **data,
    }
    updated = _build_allocation(biz, plan, merged, record)
    plan.commit()
    return biz.save("contact_allocations", updated)


def delete_allocation(biz: Business, record: Record, q: Mapping[str, str]) -> None:
    plan = Allocations(biz)
    _unallocate(plan, record)
    plan.commit()
    biz.remove("contact_allocations", record["id"])


def _build_allocation(
    biz: Business, plan: Allocations, data: Mapping[str, Any], current: Record | None
) -> Record:
    type_id = _choice(data.get("transaction_type_id"), _ALLOCATIONS, "transaction_type_id")
    side, invoice_sign = _ALLOCATIONS[type_id]
    contact = _contact(biz, data.get("contact_id"), side)
    day = (
        parse_date(data["date"], "date").isoformat()
        if data.get("date") not in (None, "")
        else biz.clock.now().date().isoformat()
    )
    lines = data.get("allocated_artefacts")
    if not isinstance(lines, list) or not lines:
        raise invalid(("allocated_artefacts", "can't be blank"))
    total, shown = ZERO, []
    for index, line in enumerate(lines):
        where = f"allocated_artefacts[{index}]"
        if not isinstance(line, Mapping):
            raise invalid((where, "is invalid"))
        collection, key, artefact = plan.find(
            line.get("artefact_id"), contact, f"{where}.artefact_id"
        )
        debt = is_debt(collection, artefact)
        amount = _amount(line.get("amount"), f"{where}.amount", positive=False)
        wanted = invoice_sign if debt else -invoice_sign
        if amount == 0 or (amount > 0) != (wanted > 0):
            raise invalid((f"{where}.amount", "has the wrong sign for this artefact"))
        plan.allocate(collection, key, abs(amount), f"{where}.amount")
        total += amount
        shown.append(_artefact_line(collection, key, artefact, biz, amount))
    # [G-pay]: "the amounts in a contact_allocations call must sum to zero".
    if total != 0:
        raise invalid(("allocated_artefacts", "amounts must sum to zero"))
    record = dict(current) if current is not None else biz.stamped("contact_allocations", "")
    if current is None:
        record["links"] = []
        record["transaction"] = _transaction(biz, None)
    record.update(
        {
            # "Customer Allocation - 2024-04-05" (the /contact_allocations examples).
            "displayed_as": f"{TRANSACTION_TYPES[type_id]} - {day}",
            "transaction_type": _type_link(type_id),
            "date": day,
            "contact": link(contact),
            "allocated_artefacts": shown,
            "updated_at": biz.clock.stamp(),
        }
    )
    return record


def _allocation_matches(biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    # getContactAllocations: contact_id, transaction_type_id.
    def matches(record: Record, q: Mapping[str, str]) -> bool:
        return _linked(record, q, "contact", "transaction_type")

    return matches


# ---------------------------------------------------------------------------------------------
# Other payments

_OTHER = {"OTHER_RECEIPT": True, "OTHER_PAYMENT": False}


def create_other_payment(biz: Business, data: Mapping[str, Any]) -> Record:
    return biz.save("other_payments", _build_other(biz, data, None))


def update_other_payment(biz: Business, record: Record, data: Mapping[str, Any]) -> Record:
    merged = {**record["_input"], **data}
    return biz.save("other_payments", _build_other(biz, merged, record))


def _build_other(biz: Business, data: Mapping[str, Any], current: Record | None) -> Record:
    """postOtherPayments: money in or out with lines on ledger accounts, no invoice.

    ``bank_account_id`` is not marked required in the spec, but the money has to go through
    one: the sandbox requires it (strict). Each line's ``tax_amount`` is booked as sent (zero
    when omitted, as on invoices [G-inv]) and its ``net_amount`` defaults to total - tax; the
    line amounts and the header totals must add up.
    """
    type_id = _choice(data.get("transaction_type_id"), _OTHER, "transaction_type_id")
    problems = [
        (name, "can't be blank")
        for name in ("date", "total_amount", "bank_account_id")
        if data.get(name) in (None, "")
    ]
    raw_lines = data.get("payment_lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        problems.append(("payment_lines", "can't be blank"))
    if problems:
        raise invalid(*problems)
    assert isinstance(raw_lines, list)
    day = parse_date(data["date"], "date").isoformat()
    total = _amount(data["total_amount"], "total_amount")
    bank = bank_account(biz, data["bank_account_id"])
    method = biz.find(
        "payment_methods",
        data.get("payment_method_id") or bank["default_payment_method"]["id"],
        "payment_method_id",
    )
    contact = (
        biz.find("contacts", data["contact_id"], "contact_id")
        if data.get("contact_id") not in (None, "")
        else None
    )
    reference = text(data.get("reference"))
    lines, net_sum, tax_sum, total_sum = [], ZERO, ZERO, ZERO
    for index, line in enumerate(raw_lines):
        where = f"payment_lines[{index}]"
        if not isinstance(line, Mapping):
            raise invalid((where, "is invalid"))
        ledger = biz.find(
            "ledger_accounts", line.get("ledger_account_id"), f"{where}.ledger_account_id"
        )
        line_total = _amount(line.get("total_amount"), f"{where}.total_amount")
        tax = _amount(line.get("tax_amount") or 0, f"{where}.tax_amount", positive=False)
        net = (
            _amount(line["net_amount"], f"{where}.net_amount", positive=False)
            if line.get("net_amount") not in (None, "")
            else line_total - tax
        )
        if net + tax != line_total:
            raise invalid((f"{where}.total_amount", "is not net_amount + tax_amount"))
        rate = biz.find(
            "tax_rates", line.get("tax_rate_id") or ledger["tax_rate"]["id"], f"{where}.tax_rate_id"
        )
        details = text(line.get("details")) or reference
        lines.append(
            {
                "id": biz.new_id(),
                "displayed_as": details,
                "ledger_account": link(ledger),
                "details": details,
                "tax_rate": link(rate),
                "net_amount": money_text(net),
                "tax_amount": money_text(tax),
                "total_amount": money_text(line_total),
                "tax_breakdown": [],
                "is_purchase_for_resale": False,
                "trade_of_asset": False,
                "gst_amount": None,
                "pst_amount": None,
                "tax_recoverable": None,
            }
        )
        net_sum, tax_sum, total_sum = net_sum + net, tax_sum + tax, total_sum + line_total
    checks = (("total_amount", total, total_sum), ("net_amount", None, net_sum))
    for name, given, summed in (*checks, ("tax_amount", None, tax_sum)):
        value = given if given is not None else data.get(name)
        if value not in (None, "") and parse_decimal(value, name) != summed:
            raise invalid((name, f"does not match the lines ({money_text(summed)})"))
    record = dict(current) if current is not None else biz.stamped("other_payments", "")
    if current is None:
        record["transaction"] = _transaction(biz, reference or None)
    record.update(
        {
            "displayed_as": reference or None,
            "transaction_type": _type_link(type_id),
            "base_currency_total_itc_amount": None,
            "total_itc_amount": None,
            "base_currency_total_itr_amount": None,
            "total_itr_amount": None,
            "part_recoverable": None,
            "payment_method": link(method),
            "contact": link(contact) if contact else None,
            "bank_account": link(bank),
            "tax_address_region": None,
            "date": day,
            "net_amount": money_text(net_sum),
            "tax_amount": money_text(tax_sum),
            "total_amount": money_text(total),
            "reference": reference,
            "payment_lines": lines,
            "editable": True,
            "deletable": True,
            "withholding_tax_rate": None,
            "withholding_tax_amount": None,
            "updated_at": biz.clock.stamp(),
            "_input": {k: v for k, v in data.items() if k != "idempotency_id"},
        }
    )
    return record


def _other_ledger(biz: Business) -> Iterator[Posting]:
    """An other receipt debits the bank with its total and credits each line's account with
    its net and Sales Tax Control (2200) with its VAT; an other payment the reverse, through
    Purchase Tax Control (2201) (the invoices' accounts; inferred)."""
    code = biz.nominal_codes.get
    for record in biz.collection("other_payments").records.values():
        money_in = record["transaction_type"]["id"] == "OTHER_RECEIPT"
        type_id = record["transaction_type"]["id"]
        made = (record["date"], record, record["transaction"], type_id, record["reference"])
        bank = biz.collection("bank_accounts").get(record["bank_account"]["id"])
        if bank is not None:
            yield _post(
                made, bank["ledger_account"]["id"], Decimal(record["total_amount"]), debit=money_in
            )
        tax_account = code(2200 if money_in else 2201)
        for line in record["payment_lines"]:
            yield _post(
                (record["date"], record, record["transaction"], type_id, line["details"]),
                line["ledger_account"]["id"],
                Decimal(line["net_amount"]),
                debit=not money_in,
            )
            if tax_account is not None:
                yield _post(made, tax_account, Decimal(line["tax_amount"]), debit=not money_in)


# ---------------------------------------------------------------------------------------------
# An artefact's payments and allocations (show_payments_allocations)


def payments_allocations(biz: Business) -> dict[str, list[Record]]:
    """Artefact id -> its ``payments_allocations``: one entry per payment or allocation line
    on it, oldest first, in the swagger's PaymentAllocation shape (``type`` is the
    transaction type id: inferred, the spec only says "the type of the payment/allocation")."""
    out: dict[str, list[Record]] = {}
    for name in ("contact_payments", "contact_allocations"):
        for record in biz.collection(name).records.values():
            payment = name == "contact_payments"
            for line in record["allocated_artefacts"]:
                amount = Decimal(line["amount"])
                out.setdefault(line["artefact"]["id"], []).append(
                    {
                        "id": line["id"],
                        "displayed_as": record["displayed_as"],
                        "links": [],
                        "date": record["date"],
                        "type": record["transaction_type"]["id"],
                        "reference": record.get("reference", ""),
                        "amount": money_text(abs(amount)),
                        "discount": line.get("discount", "0.0"),
                        "stripe_transaction_id": None,
                        "contact_payment": link(record) if payment else None,
                        "contact_allocation": None if payment else link(record),
                        "artefact": line["artefact"],
                        "negative_payment": amount < 0,
                    }
                )
    return out


# ---------------------------------------------------------------------------------------------
# What tests and the CLI use instead of HTTP


def pay(biz: Business, invoice_id: str, amount: Decimal) -> Record:
    """Receive (or pay) ``amount`` against one invoice into the first current account, as a
    real contact payment; returns the invoice (``Sandbox.record_payment``)."""
    for collection, kind in (
        ("sales_invoices", "CUSTOMER_RECEIPT"),
        ("purchase_invoices", "VENDOR_PAYMENT"),
    ):
        invoice = biz.collection(collection).get(invoice_id)
        if invoice is None:
            continue
        create_payment(
            biz,
            {
                "transaction_type_id": kind,
                "contact_id": invoice["contact"]["id"],
                "bank_account_id": default_bank_account(biz)["id"],
                "date": biz.clock.now().date().isoformat(),
                "total_amount": money_text(amount),
                "currency_id": invoice["currency"]["id"],
                "exchange_rate": invoice["exchange_rate"],
                "allocated_artefacts": [{"artefact_id": invoice_id, "amount": money_text(amount)}],
            },
        )
        return biz.collection(collection).records[invoice_id]
    raise KeyError(invoice_id)


# ---------------------------------------------------------------------------------------------
# Registration


def _reference(name: str, rows: Iterable[tuple[str, str]]) -> Callable[[], list[Record]]:
    def records() -> list[Record]:
        return [
            {"id": key, "displayed_as": shown, "$path": f"/{name}/{key}"} for key, shown in rows
        ]

    return records


_DATED_SORT = frozenset({"created_at", "updated_at", "date"})  # [G-qs] sort, facts section 8

register(
    Resource(
        "payment_methods",
        "payment_method",
        on_collection=READ,
        on_record=READ,
        shared=True,
        reference=_reference("payment_methods", PAYMENT_METHODS),
    )
)
register(
    Resource(
        "bank_account_types",
        "bank_account_type",
        on_collection=READ,
        on_record=READ,
        shared=True,
        reference=_reference("bank_account_types", BANK_ACCOUNT_TYPES),
    )
)
register(
    Resource(
        "bank_accounts",
        "bank_account",
        create=create_bank_account,
        update=update_bank_account,
        delete=delete_bank_account,
        simulated={
            "bank_account_type_id": None,
            "ledger_account_id": None,
            "nominal_code": None,
            "default_payment_method_id": None,
            "gifi_code": None,
            "is_active": None,
            "currency_id": None,
            "bank_account_details": dict.fromkeys(_DETAILS),
        },
        filters=frozenset({"filter_inactive_bank_accounts", "exclude_stripe"}),
        matches=_bank_matches,
        seed=_seed_banking,
        computed=_bank_view,
    )
)
register(
    Resource(
        "contact_payments",
        "contact_payment",
        create=create_payment,
        update=update_payment,
        delete=delete_payment,
        simulated={
            "transaction_type_id": None,
            "contact_id": None,
            "bank_account_id": None,
            "date": None,
            "total_amount": None,
            "payment_method_id": None,
            "currency_id": None,
            "exchange_rate": None,
            "reference": None,
            "allocated_artefacts": [{"artefact_id": None, "amount": None, "discount": None}],
        },
        filters=frozenset(
            {"contact_id", "bank_account_id", "transaction_type_id", "from_date", "to_date"}
        ),
        matches=_payment_matches,
        sortable=_DATED_SORT,
        ledger=_payment_ledger,
        owed=_owed,
    )
)
register(
    Resource(
        "contact_allocations",
        "contact_allocation",
        create=create_allocation,
        update=update_allocation,
        delete=delete_allocation,
        simulated={
            "transaction_type_id": None,
            "contact_id": None,
            "date": None,
            "allocated_artefacts": [{"artefact_id": None, "amount": None}],
        },
        filters=frozenset({"contact_id", "transaction_type_id"}),
        matches=_allocation_matches,
        sortable=_DATED_SORT,
    )
)
register(
    Resource(
        "other_payments",
        "other_payment",
        create=create_other_payment,
        update=update_other_payment,
        simulated={
            "transaction_type_id": None,
            "date": None,
            "total_amount": None,
            "payment_method_id": None,
            "contact_id": None,
            "bank_account_id": None,
            "net_amount": None,
            "tax_amount": None,
            "reference": None,
            "payment_lines": [
                {
                    "ledger_account_id": None,
                    "total_amount": None,
                    "details": None,
                    "tax_rate_id": None,
                    "net_amount": None,
                    "tax_amount": None,
                }
            ],
        },
        filters=frozenset(
            {"contact_id", "bank_account_id", "transaction_type_id", "from_date", "to_date"}
        ),
        matches=_payment_matches,
        sortable=_DATED_SORT,
        ledger=_other_ledger,
    )
)

__all__ = [
    "ARTEFACTS",
    "Allocations",
    "bank_account",
    "default_bank_account",
    "is_debt",
    "pay",
    "payments_allocations",
]
