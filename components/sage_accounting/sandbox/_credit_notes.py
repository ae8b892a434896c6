"""Sales and purchase credit notes: an invoice in reverse, with the invoices' line arithmetic.

Sources: the swagger's postSalesCreditNotes / postPurchaseCreditNotes schemas (required
contact_id, date, credit_note_lines; purchase lines also quantity), their DELETE (a sales credit
note's takes ``void_reason``, "required unless status is DRAFT") and ``/release`` operations
[S1]; the shape of purchase_credit_notes__get_one__sage-swagger-2025-example.json (fields,
``transaction_type`` PURCHASE_CREDIT_NOTE, ``displayed_as`` "24/02/2023 - 277.20" for a credit
note with no vendor reference, ``outstanding_amount`` lowered by allocations, PART_PAID); the
/invoice_settings example [S2] (``sales_credit_note_number_prefix`` "SCN-", which the business's
settings can change). What the invoicing guide says of invoices ([G-inv]: lines, tax_amount,
DRAFT/release, void) is taken for credit notes too (inferred: no guide covers credit notes).

Credit notes hold ``outstanding_amount``, ``total_paid`` and ``status`` exactly as invoices do,
so P's allocation machinery (``_payments.Allocations``) allocates them by collection name, and
its ``owed`` counts them in contacts' balances; their double entry is posted here (``ledger``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sage_accounting.sandbox import _resources as res
from sage_accounting.sandbox._registry import READ_UPDATE_DELETE, Resource, register
from sage_accounting.sandbox._resources import (
    Business,
    Posting,
    SageError,
    invalid,
    link,
    money_text,
    parse_date,
    text,
)
from sage_accounting.sandbox._store import Record

Data = Mapping[str, Any]
LINES = "credit_note_lines"
ZERO = Decimal(0)


@dataclass(frozen=True)
class CreditKind:
    """What differs between sales and purchase credit notes."""

    collection: str
    invoices: res._Kind
    transaction_type: tuple[str, str]
    number_prefix: str | None
    #: Trade Debtors / Creditors and the tax control account (nominal codes, as invoices).
    control: int
    tax_account: int


SALES = CreditKind(
    "sales_credit_notes", res.SALES, ("SALES_CREDIT_NOTE", "Sales Credit Note"), "SCN-", 1100, 2200
)
PURCHASES = CreditKind(
    "purchase_credit_notes",
    res.PURCHASES,
    ("PURCHASE_CREDIT_NOTE", "Purchase Credit Note"),
    None,
    2100,
    2201,
)
#: Inferred from [G-inv]'s invoices: a credit note is issued (UNPAID) unless created a DRAFT,
#: which its release operation then issues; PRO_FORMA is an invoice's alone.
CREATE_STATUSES = frozenset({"UNPAID", "DRAFT"})


def _purchase_display(data: Data, day: str, total: Decimal) -> str:
    """A purchase credit note shows its vendor reference, else "DD/MM/YYYY - total" (the
    recorded example: "24/02/2023 - 277.20", the total to two places)."""
    named = text(data.get("vendor_reference")) or text(data.get("reference"))
    return named or f"{date.fromisoformat(day):%d/%m/%Y} - {total:.2f}"


def _purchase_lines_need_quantity(raw: Any) -> list[tuple[str, str]]:
    # postPurchaseCreditNotes credit_note_lines: quantity is required (sales lines: not).
    return [
        (f"{LINES}[{index}].quantity", "can't be blank")
        for index, line in enumerate(raw if isinstance(raw, list) else [])
        if isinstance(line, Mapping) and line.get("quantity") in (None, "")
    ]


def create_credit_note(kind: CreditKind, biz: Business, data: Data) -> Record:
    problems: list[tuple[str, str]] = []
    contact: Record | None = None
    day: date | None = None
    lines: list[Record] = []
    totals: dict[str, Decimal] = {}
    analysis: list[Record] = []
    for step in ("contact", "date", "lines"):
        try:
            if step == "contact":
                contact = res._contact_for(biz, kind.invoices, data.get("contact_id"))
            elif step == "date":
                day = parse_date(data.get("date"), "date")
            else:
                raw = data.get(LINES)
                lines, totals, analysis = res._lines(
                    biz, raw, purchase=kind is PURCHASES, source=LINES
                )
        except SageError as error:
            problems.extend((p[2], p[1]) for p in error.problems)
    if kind is PURCHASES:
        problems += _purchase_lines_need_quantity(data.get(LINES))
    status_id = data.get("status_id") or "UNPAID"
    if status_id not in CREATE_STATUSES:
        problems.append(("status_id", "is invalid"))
    if problems:
        raise invalid(*problems)
    assert contact is not None
    assert day is not None
    _line_flags(kind, data, lines)
    # Amounts a caller sends must match the sandbox's own (the strict choice invoices make in
    # strict mode; a registered resource has no lenient mode, see docs/sandbox-fidelity.md).
    res._check_amounts(data, lines, totals, LINES)
    currency = biz.find("currencies", data.get("currency_id") or "GBP", "currency_id")
    rate = res._exchange_rate(biz, data, currency["id"])
    issued = status_id != "DRAFT"
    if kind.number_prefix is not None:
        prefix = text(data.get("credit_note_number_prefix")) or res.settings_prefix(
            biz, kind.collection, kind.number_prefix
        )
        number = f"{prefix}{biz.next_number(kind.collection)}" if issued else f"{prefix}DRAFT"
        displayed = number
    else:
        displayed = _purchase_display(data, day.isoformat(), totals["total"])
    record = biz.stamped(kind.collection, displayed)
    record.update(
        {
            "links": [],
            "editable": True,
            "vat_reverse_charge": False,
            "transaction": res._transaction(biz, displayed) if issued else None,
            "transaction_type": {
                "id": kind.transaction_type[0],
                "displayed_as": kind.transaction_type[1],
                "$path": f"/transaction_types/{kind.transaction_type[0]}",
            },
            "is_cis": False,
            "contact": link(contact),
            "contact_name": text(data.get("contact_name")) or contact["name"],
            "contact_reference": text(data.get("contact_reference")) or contact["reference"],
            "date": day.isoformat(),
            "original_invoice_date": _original_date(data),
            "reference": text(data.get("reference")),
            "notes": text(data.get("notes")),
            "currency": link(currency),
            "exchange_rate": money_text(rate),
            "inverse_exchange_rate": money_text(res._inverse(rate)),
            "status": res._status(status_id),
            "void_reason": None,
            "last_paid": "",
            "tax_address_region": None,
            "withholding_tax_rate": None,
            "withholding_tax_amount": None,
            "base_currency_withholding_tax_amount": None,
            "tax_reconciled": False,
            "migrated": False,
            "tax_calculation_method": None,
        }
    )
    if kind is SALES:
        address = res._address_copy(biz, contact, "main_address")
        main = res._invoice_address(biz, data, "main_address", "ACCOUNTS") or address
        delivery = (
            res._invoice_address(biz, data, "delivery_address", "DELIVERY")
            or res._address_copy(biz, contact, "delivery_address")
            or address
        )
        record.update(
            {
                "credit_note_number_prefix": prefix,
                "credit_note_number": number,
                "main_address_free_form": main["displayed_as"] if main else "",
                "main_address": main,
                "delivery_address_free_form": delivery["displayed_as"] if delivery else "",
                "delivery_address": delivery,
                "terms_and_conditions": text(data.get("terms_and_conditions")),
                "sent": False,
            }
        )
    else:
        record.update(
            {
                "postponed_accounting": False,
                "import": False,
                "vat_exempt_consignment": False,
                "part_recoverable": None,
                "vendor_reference": text(data.get("vendor_reference")),
            }
        )
    res._set_amounts(record, lines, totals, analysis, LINES)
    res._in_base_currency(record, LINES)
    biz.usage[contact["id"]] = biz.usage.get(contact["id"], 0) + 1
    return biz.save(kind.collection, record)


def _original_date(data: Data) -> str | None:
    raw = data.get("original_invoice_date")
    return parse_date(raw, "original_invoice_date").isoformat() if raw else None


def _line_flags(kind: CreditKind, data: Data, lines: list[Record]) -> None:
    """A purchase line's ``is_purchase_for_resale``, kept as sent (postPurchaseCreditNotes)."""
    raw = data.get(LINES)
    if kind is not PURCHASES or not isinstance(raw, list):
        return
    for sent, line in zip(raw, lines, strict=True):
        if isinstance(sent, Mapping) and "is_purchase_for_resale" in sent:
            line["is_purchase_for_resale"] = sent["is_purchase_for_resale"] is True


_TEXT_FIELDS = ("reference", "notes", "contact_name", "contact_reference")


def update_credit_note(kind: CreditKind, biz: Business, record: Record, data: Data) -> Record:
    """putSalesCreditNotes / putPurchaseCreditNotes: the fields sent change; lines replace the
    credit note's lines as a whole (as the sandbox's invoices); a void one is not editable."""
    if record["status"]["id"] == "VOID":
        raise invalid(("base", "A void credit note cannot be edited"))
    updated = dict(record)
    if "contact_id" in data:
        contact = res._contact_for(biz, kind.invoices, data["contact_id"])
        updated.update(
            contact=link(contact),
            contact_name=contact["name"],
            contact_reference=contact["reference"],
        )
    if "date" in data:
        updated["date"] = parse_date(data["date"], "date").isoformat()
    if "original_invoice_date" in data:
        updated["original_invoice_date"] = _original_date(data)
    for key in (*_TEXT_FIELDS, "terms_and_conditions", "vendor_reference"):
        if key in data and key in updated:
            updated[key] = text(data[key])
    if kind is SALES:
        for key, default_type in (("main_address", "ACCOUNTS"), ("delivery_address", "DELIVERY")):
            address = res._invoice_address(biz, data, key, default_type)
            if address is not None:
                updated[key] = address
                updated[f"{key}_free_form"] = address["displayed_as"]
    if "currency_id" in data or "exchange_rate" in data:
        currency = biz.find("currencies", data.get("currency_id") or "GBP", "currency_id")
        rate = res._exchange_rate(biz, data, currency["id"])
        updated.update(
            currency=link(currency),
            exchange_rate=money_text(rate),
            inverse_exchange_rate=money_text(res._inverse(rate)),
        )
    if LINES in data:
        if kind is PURCHASES and (missing := _purchase_lines_need_quantity(data[LINES])):
            raise invalid(*missing)
        lines, totals, analysis = res._lines(
            biz, data[LINES], purchase=kind is PURCHASES, source=LINES
        )
        _line_flags(kind, data, lines)
        res._check_amounts(data, lines, totals, LINES)
        if Decimal(record["total_paid"]) > totals["total"]:
            raise invalid((LINES, "total is less than the amount already allocated"))
        res._set_amounts(updated, lines, totals, analysis, LINES)
        res._settle(updated)
    else:
        held = {
            "net": Decimal(record["net_amount"]),
            "tax": Decimal(record["tax_amount"]),
            "total": Decimal(record["total_amount"]),
            "quantity": Decimal(record["total_quantity"]),
        }
        res._check_amounts(data, [], held, LINES)
    res._in_base_currency(updated, LINES)
    if kind is PURCHASES and updated["status"]["id"] != "DRAFT":
        updated["displayed_as"] = _purchase_display(
            updated, updated["date"], Decimal(updated["total_amount"])
        )
    updated["updated_at"] = biz.clock.stamp()
    return biz.save(kind.collection, updated)


def release_credit_note(kind: CreditKind, biz: Business, record: Record, _data: Data) -> Record:
    """postSalesCreditNotesKeyRelease / postPurchaseCreditNotesKeyRelease: a DRAFT is issued
    (UNPAID), and only then numbered and given a transaction, as [G-inv] says of invoices."""
    if record["status"]["id"] != "DRAFT":
        raise invalid(("status", "Only draft credit notes can be released"))
    updated = dict(record, status=res._status("UNPAID"), updated_at=biz.clock.stamp())
    if kind.number_prefix is not None:
        prefix = record.get("credit_note_number_prefix") or res.settings_prefix(
            biz, kind.collection, kind.number_prefix
        )
        number = f"{prefix}{biz.next_number(kind.collection)}"
        updated.update(credit_note_number=number, displayed_as=number)
    updated["transaction"] = res._transaction(biz, updated["displayed_as"])
    return biz.save(kind.collection, updated)


def delete_credit_note(
    kind: CreditKind, biz: Business, record: Record, q: Mapping[str, str]
) -> Record | None:
    """A draft is deleted (204). An issued sales credit note is voided with a reason and
    answered (200, as deleteSalesCreditNotesKey declares); a purchase credit note is deleted
    (204, as purchase invoices, [G-inv]). Either is refused while it has allocations ([G-inv]
    says so of invoices: "cannot be voided until they are deleted")."""
    status = record["status"]["id"]
    if status == "DRAFT":
        biz.remove(kind.collection, record["id"])
        return None
    if Decimal(record["total_paid"]) != 0:
        raise invalid(("base", "A credit note with allocations cannot be voided or deleted"))
    if kind is PURCHASES:
        biz.remove(kind.collection, record["id"])
        return None
    if status == "VOID":
        raise invalid(("base", "The credit note is already void"))
    reason = text(q.get("void_reason"))
    if not reason:
        raise invalid(("void_reason", "can't be blank"))
    updated = dict(record)
    updated.update(
        status=res._status("VOID"),
        void_reason=reason,
        editable=False,
        outstanding_amount="0.0",
        base_currency_outstanding_amount="0.0",
        updated_at=biz.clock.stamp(),
    )
    return biz.save(kind.collection, updated)


def credit_note_postings(kind: CreditKind) -> Callable[[Business], Iterable[Posting]]:
    """The reverse of an invoice's double entry: a sales credit note credits Trade Debtors
    (1100) with its total and debits each line's account with its net and Sales Tax Control
    (2200) with its VAT; a purchase credit note the reverse through 2100 and 2201. Drafts and
    void ones post nothing (inferred from [G-inv]'s invoices)."""
    sale = kind is SALES

    def postings(biz: Business) -> Iterable[Posting]:
        control = biz.nominal_codes.get(kind.control)
        tax_account = biz.nominal_codes.get(kind.tax_account)
        for record in biz.collection(kind.collection).records.values():
            if record["status"]["id"] in {"DRAFT", "VOID"}:
                continue
            shown = record["displayed_as"]
            sides = [
                (control, Decimal(record["base_currency_total_amount"]), not sale, shown),
                (tax_account, Decimal(record["base_currency_tax_amount"]), sale, shown),
            ]
            sides += [
                (
                    line["ledger_account"]["id"],
                    Decimal(line["base_currency_net_amount"]),
                    sale,
                    line.get("description", ""),
                )
                for line in record[LINES]
            ]
            for account, amount, debit, details in sides:
                if account is None or not amount:
                    continue
                debits, credits = (amount, ZERO) if debit else (ZERO, amount)
                yield Posting(
                    record["date"],
                    account,
                    debits,
                    credits,
                    record,
                    record.get("transaction"),
                    kind.transaction_type[0],
                    details,
                )

    return postings


def _matches(biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    """getSalesCreditNotes' filters: the invoices' (contact_id, status_id, from_date, to_date,
    search over number, references and contact name) and ``has_attachments``."""
    from sage_accounting.sandbox._attachments import attached

    with_files = attached(biz)

    def matches(record: Record, q: Mapping[str, str]) -> bool:
        wanted = q.get("has_attachments")
        if wanted in {"true", "false"} and (record["id"] in with_files) != (wanted == "true"):
            return False
        return res._invoice_matches(record, q)

    return matches


#: The invoices' header fields, less due_date (credit notes have none), plus the invoice date.
_HEADER_IN: dict[str, Any] = {
    **{k: v for k, v in res._INVOICE_IN.items() if k != "due_date"},
    "original_invoice_date": None,
}
_SIMULATED: dict[CreditKind, dict[str, Any]] = {
    SALES: {
        **_HEADER_IN,
        "credit_note_number_prefix": None,
        "terms_and_conditions": None,
        "main_address": res._INVOICE_ADDRESS_IN,
        "delivery_address": res._INVOICE_ADDRESS_IN,
        LINES: [{**res._LINE_IN, "discount_amount": None, "discount_percentage": None}],
    },
    PURCHASES: {
        **_HEADER_IN,
        "vendor_reference": None,
        LINES: [{**res._LINE_IN, "is_purchase_for_resale": None}],
    },
}
#: [G-sort]: credit notes sort on created_at, updated_at and date.
_SORTABLE = frozenset({"created_at", "updated_at", "date"})
_FILTERS = frozenset(
    {"contact_id", "status_id", "from_date", "to_date", "search", "has_attachments"}
)


def _register(kind: CreditKind) -> None:
    def create(biz: Business, data: Data) -> Record:
        return create_credit_note(kind, biz, data)

    def update(biz: Business, record: Record, data: Data) -> Record:
        return update_credit_note(kind, biz, record, data)

    def delete(biz: Business, record: Record, q: Mapping[str, str]) -> Record | None:
        return delete_credit_note(kind, biz, record, q)

    def release(biz: Business, record: Record, data: Data) -> Record:
        return release_credit_note(kind, biz, record, data)

    def reload(biz: Business, record: Record) -> None:
        contact = record["contact"]["id"]
        biz.usage[contact] = biz.usage.get(contact, 0) + 1

    register(
        Resource(
            kind.collection,
            kind.collection[:-1],
            on_record=READ_UPDATE_DELETE,
            create=create,
            update=update,
            delete=delete,
            actions={"release": release},
            simulated=_SIMULATED[kind],
            create_only=frozenset({"status_id", "credit_note_number_prefix"}),
            filters=_FILTERS,
            matches=_matches,
            sortable=_SORTABLE,
            reload=reload,
            ledger=credit_note_postings(kind),
        )
    )


for _kind in (SALES, PURCHASES):
    _register(_kind)
