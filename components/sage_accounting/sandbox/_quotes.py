"""Sales quotes and estimates, and the invoice a quote or estimate becomes.

Sources: the swagger's postSalesQuotes / postSalesEstimates (required contact_id, date,
expiry_date and quote_lines / estimate_lines, each line with description, ledger_account_id,
quantity and unit_price), putSalesQuotes (status_id), DELETE answering 204, the SalesQuote
schema (``status`` a QuoteStatus, ``invoice`` "the invoice associated with the quote", no
outstanding amount) [S1]; /artefact_statuses [S2] (ACCEPTED, ACCEPTED_BY_CUSTOMER and
DECLINED_BY_CUSTOMER are the quotes' and estimates'); the recorded quote list
(sales_quotes__list_page2_truncated__sage-guide-pagination.json: quotes show as "SQ-2"); the
/invoice_settings example [S2] (``quote_number_prefix`` "SQ-", ``estimate_number_prefix`` "SE-");
[G-sort] (quotes sort on created_at, updated_at, date, due_date and expiry_date).

Inferred, no source settles it: a quote is issued (UNPAID, Sage's "pending") unless created a
DRAFT, and numbered when created (quotes have no release operation); the expiry date may not
precede the quote's date; a quote or estimate already invoiced, or declined, cannot be invoiced
(again); one that has been invoiced can no longer be changed or deleted.

Conversion: Sage has no convert operation. ``postSalesInvoices`` takes
``original_quote_estimate_id``; the invoice then shows ``original_quote_estimate`` and the quote
its ``invoice``. ``_resources.create_invoice`` calls :func:`source_of` before it saves anything
and :func:`mark_invoiced` after.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sage_accounting.sandbox import _resources as res
from sage_accounting.sandbox._registry import Resource, register
from sage_accounting.sandbox._resources import (
    Business,
    SageError,
    invalid,
    link,
    money_text,
    parse_date,
    text,
)
from sage_accounting.sandbox._store import Record

Data = Mapping[str, Any]


@dataclass(frozen=True)
class QuoteKind:
    """What differs between quotes and estimates: names, and the number prefix."""

    collection: str
    #: The singular used in field names: quote_lines, quote_number, quote_number_prefix.
    noun: str
    number_prefix: str

    @property
    def lines(self) -> str:
        return f"{self.noun}_lines"


QUOTES = QuoteKind("sales_quotes", "quote", "SQ-")
ESTIMATES = QuoteKind("sales_estimates", "estimate", "SE-")
KINDS = {kind.collection: kind for kind in (QUOTES, ESTIMATES)}

#: /artefact_statuses names [S2], for the statuses a quote or estimate takes.
STATUS_NAMES = {
    "DRAFT": "Draft",
    "UNPAID": "Unpaid",
    "ACCEPTED": "Accepted",
    "DECLINED": "Declined",
    "ACCEPTED_BY_CUSTOMER": "Accepted by Customer",
    "DECLINED_BY_CUSTOMER": "Declined by Customer",
}
DECLINED = frozenset({"DECLINED", "DECLINED_BY_CUSTOMER"})
#: What _set_amounts adds that the SalesQuote schema has no field for (it is not allocated).
_NOT_ON_QUOTES = (
    "outstanding_amount",
    "base_currency_outstanding_amount",
    "payments_allocations_total_amount",
    "payments_allocations_total_discount",
)


def _status(status_id: Any) -> dict[str, str]:
    if status_id not in STATUS_NAMES:
        raise invalid(("status_id", "is invalid"))
    return {
        "id": status_id,
        "displayed_as": STATUS_NAMES[status_id],
        "$path": f"/artefact_statuses/{status_id}",
    }


def _lines_need_quantity(kind: QuoteKind, raw: Any) -> list[tuple[str, str]]:
    return [
        (f"{kind.lines}[{index}].quantity", "can't be blank")
        for index, line in enumerate(raw if isinstance(raw, list) else [])
        if isinstance(line, Mapping) and line.get("quantity") in (None, "")
    ]


def _amounts(
    kind: QuoteKind, biz: Business, record: Record, data: Data
) -> tuple[list[Record], dict[str, Decimal], list[Record]]:
    raw = data.get(kind.lines)
    missing = _lines_need_quantity(kind, raw)
    if missing:
        raise invalid(*missing)
    lines, totals, analysis = res._lines(biz, raw, source=kind.lines)
    res._check_amounts(data, lines, totals, kind.lines)
    return lines, totals, analysis


def _set_lines(
    kind: QuoteKind,
    record: Record,
    amounts: tuple[list[Record], dict[str, Decimal], list[Record]],
) -> None:
    res._set_amounts(record, *amounts, kind.lines)
    res._in_base_currency(record, kind.lines)
    for key in _NOT_ON_QUOTES:
        record.pop(key, None)


def create_quote(kind: QuoteKind, biz: Business, data: Data) -> Record:
    problems: list[tuple[str, str]] = []
    contact: Record | None = None
    day: date | None = None
    expiry: date | None = None
    amounts: tuple[list[Record], dict[str, Decimal], list[Record]] | None = None
    for step in ("contact", "date", "expiry_date", "lines", "status"):
        try:
            if step == "contact":
                contact = res._contact_for(biz, res.SALES, data.get("contact_id"))
            elif step == "date":
                day = parse_date(data.get("date"), "date")
            elif step == "expiry_date":
                expiry = parse_date(data.get("expiry_date"), "expiry_date")
            elif step == "lines":
                amounts = _amounts(kind, biz, {}, data)
            else:
                _status(data.get("status_id") or "UNPAID")
        except SageError as error:
            problems.extend((p[2], p[1]) for p in error.problems)
    if day and expiry and expiry < day:
        problems.append(("expiry_date", "must be on or after the date"))
    if problems:
        raise invalid(*problems)
    assert contact is not None
    assert day is not None
    assert expiry is not None
    assert amounts is not None
    currency = biz.find("currencies", data.get("currency_id") or "GBP", "currency_id")
    rate = res._exchange_rate(biz, data, currency["id"])
    prefix = text(data.get(f"{kind.noun}_number_prefix")) or res.settings_prefix(
        biz, kind.collection, kind.number_prefix
    )
    number = f"{prefix}{biz.next_number(kind.collection)}"
    record = biz.stamped(kind.collection, number)
    address = res._address_copy(biz, contact, "main_address")
    main = res._invoice_address(biz, data, "main_address", "ACCOUNTS") or address
    delivery = (
        res._invoice_address(biz, data, "delivery_address", "DELIVERY")
        or res._address_copy(biz, contact, "delivery_address")
        or address
    )
    record.update(
        {
            "links": [],
            "editable": True,
            "vat_reverse_charge": False,
            "tax_calculation_method": None,
            "contact": link(contact),
            f"{kind.noun}_number_prefix": prefix,
            f"{kind.noun}_number": number,
            "contact_name": text(data.get("contact_name")) or contact["name"],
            "contact_reference": text(data.get("contact_reference")) or contact["reference"],
            "date": day.isoformat(),
            "expiry_date": expiry.isoformat(),
            "reference": text(data.get("reference")),
            "main_address_free_form": main["displayed_as"] if main else "",
            "main_address": main,
            "delivery_address_free_form": delivery["displayed_as"] if delivery else "",
            "delivery_address": delivery,
            "notes": text(data.get("notes")),
            "terms_and_conditions": text(data.get("terms_and_conditions")),
            "currency": link(currency),
            "exchange_rate": money_text(rate),
            "inverse_exchange_rate": money_text(res._inverse(rate)),
            "status": _status(data.get("status_id") or "UNPAID"),
            "sent": False,
            "sent_by_email": False,
            "tax_reconciled": False,
            "invoice": None,
        }
    )
    _set_lines(kind, record, amounts)
    biz.usage[contact["id"]] = biz.usage.get(contact["id"], 0) + 1
    return biz.save(kind.collection, record)


def _not_invoiced(record: Record, what: str) -> None:
    if record.get("invoice"):
        raise invalid(("base", f"A quote that has been invoiced cannot be {what}"))


def update_quote(kind: QuoteKind, biz: Business, record: Record, data: Data) -> Record:
    """putSalesQuotes / putSalesEstimates: the fields sent change, ``status_id`` too (accept or
    decline); lines replace the quote's lines as a whole."""
    _not_invoiced(record, "changed")
    updated = dict(record)
    if "contact_id" in data:
        contact = res._contact_for(biz, res.SALES, data["contact_id"])
        updated.update(
            contact=link(contact),
            contact_name=contact["name"],
            contact_reference=contact["reference"],
        )
    for key in ("date", "expiry_date"):
        if key in data:
            updated[key] = parse_date(data[key], key).isoformat()
    if updated["expiry_date"] < updated["date"]:
        raise invalid(("expiry_date", "must be on or after the date"))
    if "status_id" in data:
        updated["status"] = _status(data["status_id"])
    for key in ("reference", "notes", "terms_and_conditions", "contact_name", "contact_reference"):
        if key in data:
            updated[key] = text(data[key])
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
    if kind.lines in data:
        _set_lines(kind, updated, _amounts(kind, biz, record, data))
    else:
        held = {key: Decimal(record[f"{key}_amount"]) for key in ("net", "tax", "total")} | {
            "quantity": Decimal(record["total_quantity"])
        }
        res._check_amounts(data, [], held, kind.lines)
        res._in_base_currency(updated, kind.lines)
    updated["updated_at"] = biz.clock.stamp()
    return biz.save(kind.collection, updated)


def delete_quote(kind: QuoteKind, biz: Business, record: Record, _q: Mapping[str, str]) -> None:
    """DELETE /sales_quotes/{key}: 204; refused once the quote is invoiced (inferred)."""
    _not_invoiced(record, "deleted")
    biz.remove(kind.collection, record["id"])


# --- The invoice a quote becomes ------------------------------------------------------------


def source_of(biz: Business, data: Data, contact_id: Any) -> tuple[Record | None, list[Any]]:
    """The quote or estimate ``original_quote_estimate_id`` names, and the problems with it.

    Checked before the invoice is saved, so a refusal leaves nothing behind.
    """
    raw = data.get("original_quote_estimate_id")
    if raw in (None, ""):
        return None, []
    for kind in KINDS.values():
        found = biz.collection(kind.collection).get(raw) if isinstance(raw, str) else None
        if found is None:
            continue
        source = "original_quote_estimate_id"
        if found.get("invoice"):
            return found, [(source, "has already been invoiced")]
        if found["status"]["id"] in DECLINED:
            return found, [(source, "was declined and cannot be invoiced")]
        if found["contact"]["id"] != contact_id:
            return found, [(source, "belongs to another contact")]
        return found, []
    return None, [("original_quote_estimate_id", "is invalid")]


def mark_invoiced(biz: Business, quote: Record, invoice: Record) -> Record:
    """The quote now reads back its ``invoice`` (SalesQuote.invoice)."""
    collection = quote["$path"].split("/")[1]
    updated = dict(quote, invoice=link(invoice), updated_at=biz.clock.stamp())
    return biz.save(collection, updated)


def _matches(biz: Business) -> Callable[[Record, Mapping[str, str]], bool]:
    """getSalesQuotes' filters: contact_id, status_id, from_date, to_date, search (number,
    reference, contact name) and has_attachments."""
    from sage_accounting.sandbox._attachments import attached

    with_files = attached(biz)

    def matches(record: Record, q: Mapping[str, str]) -> bool:
        wanted = q.get("has_attachments")
        if wanted in {"true", "false"} and (record["id"] in with_files) != (wanted == "true"):
            return False
        return res._invoice_matches(record, q)

    return matches


def _simulated(kind: QuoteKind) -> dict[str, Any]:
    header = {k: v for k, v in res._INVOICE_IN.items() if k != "due_date"}
    return {
        **header,
        "expiry_date": None,
        f"{kind.noun}_number_prefix": None,
        "terms_and_conditions": None,
        "main_address": res._INVOICE_ADDRESS_IN,
        "delivery_address": res._INVOICE_ADDRESS_IN,
        kind.lines: [{**res._LINE_IN, "discount_amount": None, "discount_percentage": None}],
    }


#: [G-sort]: "sales_quotes (the same keys [as invoices] plus expiry_date)"; getSalesEstimates
#: declares no sort parameter.
_SORTABLE = frozenset({"created_at", "updated_at", "date", "due_date", "expiry_date"})
_FILTERS = frozenset(
    {"contact_id", "status_id", "from_date", "to_date", "search", "has_attachments"}
)


def _register(kind: QuoteKind) -> None:
    def create(biz: Business, data: Data) -> Record:
        return create_quote(kind, biz, data)

    def update(biz: Business, record: Record, data: Data) -> Record:
        return update_quote(kind, biz, record, data)

    def delete(biz: Business, record: Record, q: Mapping[str, str]) -> None:
        delete_quote(kind, biz, record, q)

    def reload(biz: Business, record: Record) -> None:
        contact = record["contact"]["id"]
        biz.usage[contact] = biz.usage.get(contact, 0) + 1

    register(
        Resource(
            kind.collection,
            kind.collection[:-1],
            create=create,
            update=update,
            delete=delete,
            simulated=_simulated(kind),
            create_only=frozenset({f"{kind.noun}_number_prefix"}),
            filters=_FILTERS,
            matches=_matches,
            sortable=_SORTABLE if kind is QUOTES else frozenset(),
            reload=reload,
        )
    )


for _kind in (QUOTES, ESTIMATES):
    _register(_kind)
