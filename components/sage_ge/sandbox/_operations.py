"""The Chift sandbox's on-request Sage GE postings: invoice payments (with payment methods and
terms), miscellaneous operations, financial entries and invoices with several analytic plans.
Each is posted as a journal entry through ``Sandbox._post``, so Sage GE's rules (fiscal years,
closed journals, collective accounts, balance, bank labels at 30 characters) answer with the
same Chift codes as ``POST /journal-entries``.

Every behaviour cites Chift's OpenAPI (../shared/reference/chift-unified-api-openapi-3.1-spec.json)
by operation id and schema; where it is silent the choice is said.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sage_ge.sandbox._core import (
    INVOICE_TYPES,
    ChiftError,
    Folder,
    Sandbox,
    _amount,
    _body_date,
    _date_param,
    _invoice_view,
    _item,
    _json_object,
    _known_fields,
    validation_error,
)
from sageflow.sandbox import Record, Reply, json_reply

#: The routes this module serves (each an operation of Chift's OpenAPI; the fidelity test
#: checks), beside ``_core.ROUTES``.
ROUTES: dict[str, frozenset[str]] = {
    "/payment-methods": frozenset({"GET"}),
    "/payment-terms": frozenset({"GET"}),
    "/invoices/payments": frozenset({"POST"}),
    "/invoices/id/{invoice_id}/payments": frozenset({"GET"}),
    "/miscellaneous-operation": frozenset({"GET", "POST"}),
    "/miscellaneous-operation/{operation_id}": frozenset({"GET"}),
    "/financial-entries": frozenset({"POST"}),
    "/invoices/multi-analytic-plans": frozenset({"POST"}),
    "/invoices/multi-analytic-plans/type/{invoice_type}": frozenset({"GET"}),
    "/invoices/multi-analytic-plans/{invoice_id}": frozenset({"GET"}),
    "/analytic-accounts": frozenset({"POST"}),
    "/matching": frozenset({"POST"}),
    "/invoices/pdf/{invoice_id}": frozenset({"POST"}),
    "/attachments": frozenset({"GET"}),
    "/outstandings": frozenset({"GET"}),
    "/chart-of-accounts/balance": frozenset({"POST"}),
    "/employees": frozenset({"GET"}),
    "/matching-multiple": frozenset({"POST"}),
    "/analytic-accounts/{analytic_account_id}": frozenset({"PATCH"}),
    "/analytic-accounts/multi-analytic-plans/{analytic_plan}": frozenset({"POST"}),
    "/analytic-accounts/{analytic_account_id}/multi-analytic-plans/{analytic_plan}": frozenset(
        {"GET", "PATCH"}
    ),
}
#: The query parameters each GET reads (the fidelity test holds them to the operation's).
READS: dict[str, frozenset[str]] = {
    "/payment-methods": frozenset({"folder_id", "page", "size"}),
    "/payment-terms": frozenset({"folder_id", "page", "size"}),
    "/invoices/id/{invoice_id}/payments": frozenset({"folder_id", "page", "size"}),
    "/miscellaneous-operation": frozenset(
        {"folder_id", "page", "size", "date_from", "date_to", "journal_ids"}
    ),
    "/miscellaneous-operation/{operation_id}": frozenset({"folder_id"}),
    "/invoices/multi-analytic-plans/type/{invoice_type}": frozenset(
        {
            "folder_id",
            "page",
            "size",
            "date_from",
            "date_to",
            "journal_ids",
            "updated_after",
            "include_invoice_lines",
        }
    ),
    "/invoices/multi-analytic-plans/{invoice_id}": frozenset({"folder_id"}),
    "/analytic-accounts/{analytic_account_id}/multi-analytic-plans/{analytic_plan}": frozenset(
        {"folder_id"}
    ),
    "/attachments": frozenset({"folder_id", "page", "size", "type", "document_id"}),
    "/outstandings": frozenset({"folder_id", "page", "size", "type", "unposted_allowed"}),
    "/employees": frozenset({"folder_id", "page", "size"}),
}

#: ``AccountingInvoicePaymentIn`` and ``AccountingInvoicePaymentItemIn``.
PAYMENT_FIELDS = frozenset(
    {"date", "payment_method_id", "currency", "currency_exchange_rate", "reference", "number",
     "items"}
)  # fmt: skip
PAYMENT_ITEM_FIELDS = frozenset({"invoice_id", "amount"})
#: ``MiscellaneousOperationIn`` and ``MiscellaneousOperationLine``.
OPERATION_FIELDS = frozenset(
    {"operation_number", "currency", "currency_exchange_rate", "lines", "operation_date",
     "journal_id", "status"}
)  # fmt: skip
OPERATION_LINE_FIELDS = frozenset(
    {"line_number", "description", "amount", "type", "account_number", "partner_id",
     "analytic_account"}
)  # fmt: skip
#: ``MiscellaneousOperationLineType`` and ``MiscellaneousOperationStatusIn``.
OPERATION_LINE_TYPES = frozenset({"customer_account", "supplier_account", "general_account"})
OPERATION_STATUSES = frozenset({"draft", "posted"})
#: ``FinancialEntryItemIn``, ``FinancialEntryLineItem`` and ``TaxInfo``.
FINANCIAL_FIELDS = frozenset(
    {"date", "journal_id", "currency", "currency_exchange_rate", "reference", "number", "items",
     "pdf", "pdf_name"}
)  # fmt: skip
FINANCIAL_ITEM_FIELDS = frozenset(
    {"account_type", "account", "amount", "description", "tax_info", "automated_matching_number"}
)
TAX_INFO_FIELDS = frozenset(
    {"tax_code", "tax_amount", "vat_account", "reversed_vat_account", "description"}
)
ENTRY_LINE_TYPES = frozenset(
    {"customer_account", "supplier_account", "employee_account", "general_account"}
)
#: ``InvoiceLineItemInMultiAnalyticPlans``: the mono line's fields with a distribution.
MULTI_LINE_FIELDS = frozenset(
    {"line_number", "unit_price", "unit_of_measure", "quantity", "untaxed_amount", "tax_rate",
     "tax_amount", "total", "account_number", "tax_code", "description",
     "analytic_distribution"}
)  # fmt: skip
#: ``AnalyticAccountItemIn`` and ``AnalyticAccountItemUpdate`` (the same four fields).
ANALYTIC_FIELDS = frozenset({"active", "code", "name", "currency"})
#: ``MatchingIn`` and ``MultipleMatchingIn``.
MATCHING_FIELDS = frozenset({"entries", "partner_id"})
MULTIPLE_MATCHING_FIELDS = frozenset({"matchings"})
#: ``AttachmentItem`` and ``AccountBalanceFilter``.
ATTACHMENT_FIELDS = frozenset({"base64_string", "name"})
BALANCE_FIELDS = frozenset({"accounts", "start", "end"})
#: ``AccountBalanceFilter``'s months: "Format: YYYYMM".
MONTH = re.compile(r"^[0-9]{4}(0[1-9]|1[0-2])$")
#: ``pdf_name``'s pattern (``FinancialEntryItemIn``).
PDF_NAME = re.compile(r"^[a-zA-Z0-9\-_ ]{1,196}(?:.pdf)?$")
#: ``force_financial_period``: "The format is: mmYYYY" (ERROR_INVALID_FINANCIAL_PERIOD_FORMAT).
FINANCIAL_PERIOD = re.compile(r"^(0[1-9]|1[0-2])[0-9]{4}$")

#: Sage GE's usual modes de règlement (``AccountingPaymentMethod``: id, name), each paid
#: through a journal. The OpenAPI gives no values: these are French usage, all through the
#: seed's bank journal (3, BQ).
PAYMENT_METHODS: tuple[tuple[str, str, str], ...] = (
    ("VIR", "Virement", "3"),
    ("CHQ", "Chèque", "3"),
    ("PRLV", "Prélèvement", "3"),
    ("CB", "Carte bancaire", "3"),
)
#: Conditions de règlement (``AccountingPaymentTerms``: id, name); French usage (Code de
#: commerce art. L441-10 caps terms at 60 days, or 45 days end of month).
PAYMENT_TERMS: tuple[tuple[str, str], ...] = (
    ("COMPTANT", "Comptant"),
    ("30J", "30 jours net"),
    ("30FM", "30 jours fin de mois"),
    ("45FM", "45 jours fin de mois"),
    ("60J", "60 jours net"),
)

#: Longest template first: ``/invoices/multi-analytic-plans/type/{t}`` before ``.../{id}``.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile("^" + re.sub(r"\\{[a-z_]+\\}", "([^/]+)", re.escape(t)) + "$"), t)
    for t in sorted(ROUTES, key=len, reverse=True)
]


def route(
    box: Sandbox, method: str, path: str, query: Mapping[str, str], body: bytes
) -> Reply | None:
    """The answer to ``method path`` when it is one of :data:`ROUTES`, else None (``_core``
    routes it). ``/invoices/multi-analytic-plans/type/...`` is matched before
    ``/invoices/multi-analytic-plans/{invoice_id}``: the templates are tried longest first."""
    clean = path.rstrip("/")
    for pattern, template in _PATTERNS:
        found = pattern.match(clean)
        if found is None:
            continue
        if method not in ROUTES[template]:
            return None  # _core answers Chift's 405 for a known route and method it lacks
        handler = _HANDLERS[(method, template)]
        return handler(box, box._folder(query), query, body, *found.groups())
    return None


def _page(box: Sandbox, rows: list[Record], query: Mapping[str, str]) -> Reply:
    return box._page(rows, query)


# -- payment methods and terms -------------------------------------------------------------------


def _payment_methods(box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes) -> Reply:
    """``accounting_get_payment_methods``: ``ChiftPage_AccountingPaymentMethod_``."""
    return _page(box, [{"id": i, "name": n} for i, n, _ in PAYMENT_METHODS], query)


def _payment_terms(box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes) -> Reply:
    """``accounting_get_payment_terms``: ``ChiftPage_AccountingPaymentTerms_``."""
    return _page(box, [{"id": i, "name": n} for i, n in PAYMENT_TERMS], query)


# -- invoice payments ----------------------------------------------------------------------------


def _invoice(folder: Folder, ident: str) -> Record:
    invoice = folder["invoices"].get(ident)
    if invoice is None:
        # accounting_get_payments_by_invoice's 404 example ERROR_INVOICE_NOT_FOUND_2.
        raise ChiftError(
            404,
            f"The invoice '{ident}' doesn't exist in the accounting system.",
            "ERROR_INVOICE_NOT_FOUND",
        )
    return invoice


def _create_payment(box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes) -> Reply:
    """``accounting_create_invoice_payment`` (``AccountingInvoicePaymentIn``, 204 no body): one
    bank entry in the payment method's journal, each invoice's partner settled against the
    bank's counterpart account, and a ``Payment`` on each invoice (``paid`` once settled)."""
    data = _json_object(body)
    _known_fields(data, PAYMENT_FIELDS, "body")
    for name in ("date", "payment_method_id", "currency", "items"):
        if data.get(name) is None:
            raise validation_error("body", name, "Field required", "missing")
    items = data["items"]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise validation_error("body", "items", "Input should be a valid list", "list_type")
    day = _body_date(data, "date")
    _currency(data)
    method = next((m for m in PAYMENT_METHODS if m[0] == str(data["payment_method_id"])), None)
    if method is None:
        # The OpenAPI publishes no code for an unknown payment method: a 404 without one.
        raise ChiftError(
            404,
            f"The payment method '{data['payment_method_id']}' doesn't exist in the accounting "
            "system.",
        )
    journal = folder["journals"].get(method[2])
    if journal is None:
        raise ChiftError(
            404, "The journal doesn't exist in the accounting system.", "ERROR_JOURNAL_NOT_FOUND"
        )
    parts: list[tuple[Record, Decimal]] = []
    for n, item in enumerate(items):
        _known_fields(item, PAYMENT_ITEM_FIELDS, f"items.{n}")
        for name in ("invoice_id", "amount"):
            if item.get(name) is None:
                raise validation_error("body", f"items.{n}.{name}", "Field required", "missing")
        amount = _amount(item, "amount", f"items.{n}.")
        if amount <= 0:
            # AccountingInvoicePaymentItemIn.amount: exclusiveMinimum 0.
            raise validation_error(
                "body", f"items.{n}.amount", "Input should be greater than 0", "greater_than"
            )
        parts.append((_invoice(folder, str(item["invoice_id"])), amount))
    total = sum((a for _, a in parts), Decimal(0))
    number = str(data.get("number") or f"REG{len(_payments(folder)) + 1:06d}")
    label = str(data.get("reference") or number)
    bank = str(journal.get("counterpart_account") or "512000")
    lines = []
    bank_side = Decimal(0)
    for invoice, amount in parts:
        _, partner_type, side, _ = INVOICE_TYPES[invoice["invoice_type"]]
        # The payment reverses the invoice's partner line: a sale's client is credited.
        lines.append(_item(partner_type, invoice["partner_id"], -side * amount, label))
        bank_side += side * amount
    lines.append(_item("general_account", bank, bank_side, label))
    entry = box._post(folder, journal, day, lines, number=number,
                      reference=data.get("reference"), due_date=None)  # fmt: skip
    # The payment's id is its bank entry's: what POST /matching takes to match it with the
    # invoice (MatchingIn.entries: "journal entry id, invoice id or financial entry id").
    ident = entry["id"]
    for invoice, amount in parts:
        paid = (
            sum(
                (Decimal(str(p["dedicated_amount"])) for p in invoice.get("payments") or []),
                Decimal(0),
            )
            + amount
        )
        payment = {
            "id": ident, "name": number, "currency": str(data["currency"]),
            "amount": float(total), "dedicated_amount": float(amount),
            "payment_date": day.isoformat(), "journal_type": journal["journal_type"],
            "journal_id": journal["id"], "journal_name": journal["name"],
            "reconciled": paid >= Decimal(str(invoice["total"])),
            "communication": data.get("reference"), "matching_number": None,
        }  # fmt: skip
        updated = {**invoice, "payments": [*(invoice.get("payments") or []), payment],
                   "last_updated_on": box.clock.stamp()}  # fmt: skip
        if payment["reconciled"]:
            updated["status"] = "paid"  # InvoiceStatusOut
        box._put(folder, "invoices", updated)
    return Reply(204, {}, b"")


def _payments(folder: Folder) -> set[str]:
    return {p["id"] for i in folder["invoices"] for p in i.get("payments") or []}


def _invoice_payments(
    box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes, ident: str
) -> Reply:
    """``accounting_get_payments_by_invoice``: ``ChiftPage_Payment_``."""
    return _page(box, list(_invoice(folder, ident).get("payments") or []), query)


# -- miscellaneous operations --------------------------------------------------------------------


def _create_operation(box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes) -> Reply:
    """``accounting_create_miscellaneous_operation`` (``MiscellaneousOperationIn`` ->
    ``MiscellaneousOperationOut``), posted in a miscellaneous journal, refused with the
    operation's 400/404 examples."""
    data = _json_object(body)
    _known_fields(data, OPERATION_FIELDS, "body")
    for name in ("currency", "lines", "operation_date"):
        if data.get(name) is None:
            raise validation_error("body", name, "Field required", "missing")
    lines = data["lines"]
    if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
        raise validation_error("body", "lines", "Input should be a valid list", "list_type")
    status = data.get("status") or "posted"
    if status not in OPERATION_STATUSES:
        raise validation_error("body", "status", "Input should be 'draft' or 'posted'", "enum")
    day = _body_date(data, "operation_date")
    if not lines:
        raise ChiftError(
            400,
            "The miscellaneous operation must contain at least one line.",
            "ERROR_NO_OPERATION_LINE",
        )
    _currency(data)
    journal = _journal_of(folder, data.get("journal_id"), "miscellaneous_operation")
    items: list[dict[str, Any]] = []
    total = Decimal(0)
    default_plan = next((p["id"] for p in folder["analytic_plans"]), None)
    stored_lines = []
    for n, line in enumerate(lines):
        _known_fields(line, OPERATION_LINE_FIELDS, f"lines.{n}")
        for name in ("amount", "type", "account_number"):
            if line.get(name) is None:
                raise validation_error("body", f"lines.{n}.{name}", "Field required", "missing")
        kind = line["type"]
        if kind not in OPERATION_LINE_TYPES:
            raise validation_error(
                "body", f"lines.{n}.type",
                "Input should be 'customer_account', 'supplier_account' or 'general_account'",
                "enum",
            )  # fmt: skip
        amount = _amount(line, "amount", f"lines.{n}.")
        total += amount
        label = str(line.get("description") or "")
        # MiscellaneousOperationLine.amount: "Positive for Credit and negative for Debit".
        if kind == "general_account":
            item = _item(kind, str(line["account_number"]), -amount, label)
        else:
            if not line.get("partner_id"):
                raise ChiftError(
                    400,
                    "A line of type 'customer_account' or 'supplier_account' must have a "
                    "'partner_id' filled in.",
                    "ERROR_INVALID_OPERATION_LINE_TYPE",
                )
            item = _item(kind, str(line["partner_id"]), -amount, label)
            item["force_general_account"] = str(line["account_number"])
        if line.get("analytic_account") is not None:
            # "the id of a analytic account - no distribution possible": all of the line on it,
            # in the default plan.
            item["analytic_distribution"] = [
                {"analytic_plan": default_plan, "analytic_accounts": [
                    {"analytic_account": str(line["analytic_account"]), "percentage": 100}]}
            ]  # fmt: skip
        items.append(item)
        stored_lines.append({
            "line_number": line.get("line_number") or 1, "description": line.get("description"),
            "amount": float(amount), "type": kind, "account_number": str(line["account_number"]),
            "partner_id": line.get("partner_id"), "analytic_account": line.get("analytic_account"),
        })  # fmt: skip
    if total != 0:
        raise ChiftError(
            400,
            "The operation is not balanced. The sum of the lines must be zero.",
            "ERROR_OPERATION_NOT_BALANCED",
        )
    ident = f"OD{len(folder['operations']) + 1:06d}"
    number = str(data.get("operation_number") or ident)
    entry = box._post(folder, journal, day, items, number=number, reference=None, due_date=None,
                      posted=status == "posted")  # fmt: skip
    record = {
        "id": ident, "operation_number": number, "currency": str(data["currency"]),
        "currency_exchange_rate": float(_amount(data, "currency_exchange_rate"))
        if data.get("currency_exchange_rate") is not None else 1.0,
        "lines": stored_lines, "operation_date": day.isoformat(), "journal_id": journal["id"],
        "status": status, "entry_id": entry["id"],
    }  # fmt: skip
    box._put(folder, "operations", record)
    return json_reply(200, _operation_view(record))


def _operation_view(record: Record) -> Record:
    return {k: v for k, v in record.items() if k != "entry_id"}


def _operations(box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes) -> Reply:
    """``accounting_get_miscellaneous_operations``: filtered by date and journals, paged."""
    rows = list(folder["operations"])
    start, end = _date_param(query, "date_from"), _date_param(query, "date_to")
    if start:
        rows = [r for r in rows if r["operation_date"] >= start.isoformat()]
    if end:
        rows = [r for r in rows if r["operation_date"] <= end.isoformat()]
    journals = [j for j in query.get("journal_ids", "").split(",") if j]
    if journals:
        rows = [r for r in rows if r["journal_id"] in journals]
    return _page(box, [_operation_view(r) for r in rows], query)


def _operation(
    box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes, ident: str
) -> Reply:
    """``accounting_get_miscellaneous_operation``; the OpenAPI publishes no code for an unknown
    id (only the generic 400 and the 422): a 404 without one, as for an unknown folder."""
    record = folder["operations"].get(ident)
    if record is None:
        raise ChiftError(
            404, f"The miscellaneous operation '{ident}' doesn't exist in the accounting system."
        )
    return json_reply(200, _operation_view(record))


# -- financial entries ---------------------------------------------------------------------------


def _create_financial_entry(
    box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes
) -> Reply:
    """``accounting_create_financial_entries`` (``FinancialEntryItemIn`` ->
    ``FinancialEntryItemOut``): each item against the bank's account (``financial_counterpart_
    account``, or the journal's ``counterpart_account``), a positive amount received (bank
    debited, the item's account credited), the VAT of ``tax_info`` added in the item's
    direction; posted in a bank or cash journal under Sage GE's rules."""
    data = _json_object(body)
    _known_fields(data, FINANCIAL_FIELDS, "body")
    for name in ("date", "journal_id", "currency", "items"):
        if data.get(name) is None:
            raise validation_error("body", name, "Field required", "missing")
    given = data["items"]
    if not isinstance(given, list) or not all(isinstance(i, dict) for i in given):
        raise validation_error("body", "items", "Input should be a valid list", "list_type")
    if not given:
        raise validation_error(  # FinancialEntryItemIn.items: minItems 1
            "body", "items", "List should have at least 1 item after validation", "too_short"
        )
    day = _body_date(data, "date")
    _currency(data)
    _pdf(data)
    for flag in ("force_currency_exchange", "ignore_accounting_id"):
        if query.get(flag, "false").lower() not in ("true", "false"):
            raise validation_error("query", flag, "Input should be a valid boolean", "bool_parsing")
    journal = _journal_of(folder, data["journal_id"], "financial_operation")
    bank = query.get("financial_counterpart_account") or journal.get("counterpart_account")
    if not bank:
        raise ChiftError(
            400,
            "A used account number cannot be used in this type of operation.",
            "ERROR_ACCOUNT_NUMBER_NOT_GOOD_SCOPE",
            "the journal has no counterpart account: give financial_counterpart_account",
        )
    items: list[dict[str, Any]] = []
    out: list[Record] = []
    for n, item in enumerate(given):
        _known_fields(item, FINANCIAL_ITEM_FIELDS, f"items.{n}")
        for name in ("account_type", "account", "amount"):
            if item.get(name) is None:
                raise validation_error("body", f"items.{n}.{name}", "Field required", "missing")
        kind = item["account_type"]
        if kind not in ENTRY_LINE_TYPES:
            raise validation_error(
                "body", f"items.{n}.account_type",
                "Input should be 'customer_account', 'supplier_account', 'employee_account' "
                "or 'general_account'", "enum",
            )  # fmt: skip
        amount = _amount(item, "amount", f"items.{n}.")
        label = str(item.get("description") or "")
        line = _item(kind, str(item["account"]), -amount, label)
        tax = _tax(item.get("tax_info"), kind, f"items.{n}.tax_info")
        moved = amount
        vat_line = None
        if tax is not None:
            line["tax_code"] = str(tax["tax_code"])
            tax_amount = _amount(tax, "tax_amount", f"items.{n}.tax_info.")
            # "The provided tax amount is added to the amount of the line item".
            signed = tax_amount if amount > 0 else -tax_amount
            moved = amount + signed
            if tax_amount:
                vat_line = _item("general_account", str(tax["vat_account"]), -signed,
                                 str(tax.get("description") or label))  # fmt: skip
        items.append(line)
        if vat_line is not None:
            items.append(vat_line)
        items.append(_item("general_account", str(bank), moved, label))
        out.append({**item, "amount": float(amount), "counterpart_account": str(bank)})
    # Without a number, Sage GE numbers the entry in its journal.
    number = str(data.get("number") or f"{journal['code']}{box.next_entry:06d}")
    entry = box._post(folder, journal, day, items, number=number,
                      reference=data.get("reference"), due_date=None)  # fmt: skip
    if data.get("pdf") is not None:
        attach(box, folder, "entry", entry, str(data["pdf"]), data.get("pdf_name"))
    for n, stored in enumerate(out):
        # The description as Sage GE keeps it: cut at 30 characters in a bank journal.
        posted = entry["items"][_posted_index(given, n)]
        stored["description"] = posted["description"] if stored.get("description") else None
    return json_reply(
        200,
        {
            "date": day.isoformat(),
            "journal_id": journal["id"],
            "currency": str(data["currency"]),
            "currency_exchange_rate": float(_amount(data, "currency_exchange_rate"))
            if data.get("currency_exchange_rate") is not None else 1.0,
            "reference": data.get("reference"),
            "id": entry["id"],
            "number": entry["name"],
            "items": out,
        },
    )  # fmt: skip


def _posted_index(given: list[dict[str, Any]], n: int) -> int:
    """Where item ``n``'s own line is among the posted lines (each item: its line, its VAT
    line when it has VAT, its bank line)."""
    position = 0
    for item in given[:n]:
        tax = item.get("tax_info")
        position += 3 if isinstance(tax, dict) and tax.get("tax_amount") else 2
    return position


def _tax(value: Any, kind: str, where: str) -> dict[str, Any] | None:
    """``TaxInfo``: "only supported for general accounts"; the VAT account "is mandatory if
    tax amount is different from 0"."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise validation_error("body", where, "Input should be a valid dictionary", "dict_type")
    _known_fields(value, TAX_INFO_FIELDS, where)
    for name in ("tax_code", "tax_amount"):
        if value.get(name) is None:
            raise validation_error("body", f"{where}.{name}", "Field required", "missing")
    if kind != "general_account":
        raise validation_error(
            "body", where, "tax_info is only supported for general accounts", "value_error"
        )
    amount = _amount(value, "tax_amount", f"{where}.")
    if amount < 0:
        raise validation_error(
            "body", f"{where}.tax_amount", "The amount must be positive", "greater_than_equal"
        )
    if amount and not value.get("vat_account"):
        raise validation_error(
            "body", f"{where}.vat_account",
            "The account is mandatory if tax amount is different from 0", "missing",
        )  # fmt: skip
    return value


# -- invoices with several analytic plans --------------------------------------------------------


def _create_multi_invoice(
    box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes
) -> Reply:
    """``accounting_create_invoice_multiple_plans`` (``InvoiceItemInMultiAnalyticPlans`` ->
    ``InvoiceItemOutMultiAnalyticPlans``): ``POST /invoices``'s posting, each line's untaxed
    amount distributed over the plans of its ``analytic_distribution``."""
    period = query.get("force_financial_period")
    if period is not None and not FINANCIAL_PERIOD.fullmatch(period):
        raise ChiftError(
            400,
            "The forced financial period must be 6 numbers (e.g. 02 for february and 2022 => "
            "022022)",
            "ERROR_INVALID_FINANCIAL_PERIOD_FORMAT",
        )
    regroup = query.get("regroup_lines", "true")
    if regroup not in ("true", "false"):  # BoolParam
        raise validation_error("query", "regroup_lines", "Input should be 'true' or 'false'",
                               "enum")  # fmt: skip
    data = _json_object(body)
    _pdf(data)
    lines = data.get("lines")
    distributions: list[list[Record]] = []
    if isinstance(lines, list):
        mono_lines = []
        for n, line in enumerate(lines):
            if not isinstance(line, dict):
                raise validation_error("body", f"lines.{n}", "Input should be a valid dictionary",
                                       "dict_type")  # fmt: skip
            _known_fields(line, MULTI_LINE_FIELDS, f"lines.{n}")
            for name in ("unit_price", "quantity", "tax_rate", "total", "tax_code"):
                if line.get(name) is None:
                    raise validation_error("body", f"lines.{n}.{name}", "Field required",
                                           "missing")  # fmt: skip
            where = f"lines.{n}.analytic_distribution"
            distribution = box._distribution(folder, line.get("analytic_distribution"), where)
            distributions.append(distribution)
            mono_lines.append({k: v for k, v in line.items() if k != "analytic_distribution"})
        data = {**data, "lines": mono_lines}
    created = box._create_invoice(folder, json.dumps(data).encode())
    invoice = folder["invoices"].get(str(created["id"]))
    assert invoice is not None
    entry = folder["entries"].get(invoice["entry_id"])
    assert entry is not None
    posted = [dict(i) for i in entry["items"]]
    for position, distribution in zip(_line_items(invoice), distributions, strict=True):
        posted[position]["analytic_distribution"] = distribution
    box._put(folder, "entries", {**entry, "items": posted})
    if data.get("pdf") is not None:
        attach(box, folder, "invoice", invoice, str(data["pdf"]), data.get("pdf_name"))
        invoice = folder["invoices"].get(invoice["id"]) or invoice
    return json_reply(200, _multi_view(folder, invoice, {"include_invoice_lines": "true"}))


def _line_items(invoice: Record) -> list[int]:
    """Where each invoice line's own line is in its entry: the partner's line comes first,
    then each line followed by its VAT line when it has VAT (``Sandbox._create_invoice``)."""
    positions, position = [], 1
    for line in invoice["lines"]:
        positions.append(position)
        position += 2 if line["tax_amount"] else 1
    return positions


def _multi_view(folder: Folder, invoice: Record, query: Mapping[str, str]) -> Record:
    """An invoice as ``InvoiceItemOutMultiAnalyticPlans``: each line's distribution as posted
    on its entry line, or its one ``analytic_account`` at 100 % of the default plan."""
    view = _invoice_view(invoice, query)
    if not view["lines"]:
        return view
    entry = folder["entries"].get(str(invoice.get("entry_id")))
    items = entry["items"] if entry is not None else []
    default = next((p["id"] for p in folder["analytic_plans"]), None)
    lines = []
    for line, position in zip(view["lines"], _line_items(invoice), strict=True):
        code = line.get("analytic_account")
        line = {k: v for k, v in line.items() if k != "analytic_account"}
        posted = items[position].get("analytic_distribution") if position < len(items) else None
        if posted:
            line["analytic_distribution"] = posted
        elif code:
            line["analytic_distribution"] = [{"analytic_plan": default, "analytic_accounts": [
                {"analytic_account": code, "percentage": 100}]}]  # fmt: skip
        else:
            line["analytic_distribution"] = []
        lines.append(line)
    return {**view, "lines": lines}


def _multi_invoices(
    box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes, kind: str
) -> Reply:
    """``accounting_get_invoices_by_type_multi_analytic_plans``."""
    rows = box._invoices(folder, kind, query)
    return _page(box, [_multi_view(folder, folder["invoices"].get(r["id"]) or r, query)
                       for r in rows], query)  # fmt: skip


def _multi_invoice(
    box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes, ident: str
) -> Reply:
    """``accounting_get_invoice_multi_analytic_plans`` (lines always included: the operation
    has no ``include_invoice_lines``)."""
    return json_reply(
        200, _multi_view(folder, _invoice(folder, ident), {"include_invoice_lines": "true"})
    )


# -- analytic account writes --------------------------------------------------------------------

_MULTI_LIST = "/analytic-accounts/multi-analytic-plans"
_MONO_ONE = "/analytic-accounts/{analytic_account_id}"


def _plan(folder: Folder, plan: str | None) -> str:
    """The plan named, which must exist, or the default (first) one the mono-plan routes use."""
    if plan is None:
        default = next((p["id"] for p in folder["analytic_plans"]), None)
        if default is None:
            raise ChiftError(404, "The analytic plan doesn't exist in the accounting system.",
                             "ERROR_ANALYTIC_PLAN_NOT_FOUND")  # fmt: skip
        return str(default)
    if folder["analytic_plans"].get(plan) is None:
        # POST /invoices/multi-analytic-plans' 404 example ERROR_ANALYTIC_PLAN_NOT_FOUND_2.
        raise ChiftError(
            404,
            f"The analytic plan '{plan}' doesn't exist in the accounting system.",
            "ERROR_ANALYTIC_PLAN_NOT_FOUND",
        )
    return plan


def _analytic_text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise validation_error("body", name, "String should have at least 1 character",
                               "string_too_short")  # fmt: skip
    return value


def _create_analytic(
    box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes, plan: str | None = None
) -> Reply:
    """``accounting_create_analytic_account`` (the default plan) and
    ``accounting_create_analytic_account_multi_plans`` (``AnalyticAccountItemIn``); a code
    already in the plan is the 409 ``ERROR_ANALYTIC_ACCOUNT_ALREADY_EXISTS``."""
    plan_id = _plan(folder, plan)
    data = _json_object(body)
    _known_fields(data, ANALYTIC_FIELDS, "body")
    for name in ("code", "name", "currency"):
        if data.get(name) is None:
            raise validation_error("body", name, "Field required", "missing")
    code, name = _analytic_text(data, "code"), _analytic_text(data, "name")
    if folder["analytic_accounts"].get(f"{plan_id}:{code}") is not None:
        raise ChiftError(
            409,
            f"An analytic account with the same code/id ({code}) already exists in the "
            "accounting system.",
            "ERROR_ANALYTIC_ACCOUNT_ALREADY_EXISTS",
        )
    record = {"id": f"{plan_id}:{code}", "code": code, "name": name,
              "active": data.get("active") is not False, "currency": str(data["currency"]),
              "analytic_plan": plan_id}  # fmt: skip
    box._put(folder, "analytic_accounts", record)
    if plan is None:
        return box._analytic_accounts(folder, _MONO_ONE, code, {})
    return box._analytic_accounts(folder, _MULTI_LIST, code, {}, in_plan=plan_id)


def _update_analytic(
    box: Sandbox,
    folder: Folder,
    query: Mapping[str, str],
    body: bytes,
    ident: str,
    plan: str | None = None,
) -> Reply:
    """``accounting_update_analytic_account`` and ``..._multi_plans``
    (``AnalyticAccountItemUpdate``): the fields given replace theirs (a null leaves one as it
    is). A new code moves the account; lines already posted keep the code they were posted
    with (what Sage GE does to them is unknown)."""
    plan_id = _plan(folder, plan)
    key = f"{plan_id}:{ident}"
    record = folder["analytic_accounts"].get(key)
    if record is None:
        raise ChiftError(
            404,
            f"The analytic account '{ident}' doesn't exist in the analytic plan '{plan_id}' of "
            "the accounting system.",
            "ERROR_ANALYTIC_ACCOUNT_NOT_FOUND",
        )
    data = _json_object(body)
    _known_fields(data, ANALYTIC_FIELDS, "body")
    for name in ("code", "name", "currency"):
        if data.get(name) is not None:
            _analytic_text(data, name)
    updated = {**record, **{k: v for k, v in data.items() if v is not None}}
    code = str(updated["code"])
    if code != record["code"]:
        if folder["analytic_accounts"].get(f"{plan_id}:{code}") is not None:
            raise ChiftError(
                409,
                f"An analytic account with the same code/id ({code}) already exists in the "
                "accounting system.",
                "ERROR_ANALYTIC_ACCOUNT_ALREADY_EXISTS",
            )
        stamp = box.clock.stamp()
        folder["analytic_accounts"].remove(key, stamp)
        if box.persist is not None:  # inside the request's write transaction
            box.persist.delete(folder.id, "analytic_accounts", key, stamp)
        updated["id"] = f"{plan_id}:{code}"
    box._put(folder, "analytic_accounts", updated)
    if plan is None:
        return box._analytic_accounts(folder, _MONO_ONE, code, {})
    return box._analytic_accounts(folder, _MULTI_LIST, code, {}, in_plan=plan_id)


def _plan_analytic(
    box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes, ident: str, plan: str
) -> Reply:
    """``accounting_get_analytic_account_multi_plans``."""
    return box._analytic_accounts(folder, _MULTI_LIST, ident, {}, in_plan=_plan(folder, plan))


def _plan_create(
    box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes, plan: str
) -> Reply:
    return _create_analytic(box, folder, query, body, plan)


# -- matching (lettrage) ------------------------------------------------------------------------


def _lettrage_code(n: int) -> str:
    """The ``n``-th of Sage GE's lettrage codes: AA, AB, ... ZZ, then AAA, AAB, ..."""
    width = 2
    while n >= 26**width:
        n -= 26**width
        width += 1
    letters = ""
    for _ in range(width):
        n, rest = divmod(n, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _match(box: Sandbox, folder: Folder, data: Any, where: str) -> Record:
    """One ``MatchingIn``: every entry (a journal entry's, an invoice's or a payment's id) has
    a line of the partner, on one receivable/payable account, posted and not yet matched, and
    those lines balance; they then share a new lettrage code. Checked whole before anything
    is written, so a refusal changes nothing."""
    if not isinstance(data, dict):
        raise validation_error("body", where, "Input should be a valid dictionary", "dict_type")
    _known_fields(data, MATCHING_FIELDS, where)
    ids, partner = data.get("entries"), data.get("partner_id")
    if not isinstance(ids, list) or len(ids) < 2 or not all(isinstance(i, str) for i in ids):
        # MatchingIn.entries: minItems 2.
        raise validation_error(
            "body", f"{where}.entries", "List should have at least 2 items after validation",
            "too_short",
        )  # fmt: skip
    if not isinstance(partner, str) or not partner:
        raise validation_error("body", f"{where}.partner_id", "Field required", "missing")
    touched: list[tuple[Record, list[int]]] = []
    accounts: set[str] = set()
    balance = Decimal(0)
    for ident in ids:
        entry = folder["entries"].get(ident)
        if entry is None:
            invoice = folder["invoices"].get(ident)
            entry = folder["entries"].get(str(invoice["entry_id"])) if invoice else None
        if entry is None:
            raise ChiftError(
                404,
                f"The entry '{ident}' doesn't exist in the accounting system.",
                "ERROR_ENTRY_NOT_FOUND",
            )
        if any(seen["id"] == entry["id"] for seen, _ in touched):
            continue  # an invoice named beside its own entry
        third = [n for n, i in enumerate(entry["items"]) if i.get("partner_id")]
        mine = [n for n in third if entry["items"][n]["partner_id"] == partner]
        if not third:
            raise ChiftError(
                400,
                f"Entry '{ident}' doesn't have a receivable/payable account linked to partner "
                f"'{partner}'.",
                "ERROR_ENTRY_HAS_NO_ACCOUNT_RECEIVABLE_PAYABLE",
            )
        if not mine:
            raise ChiftError(
                400,
                f"Entry '{ident}' is not linked to partner '{partner}'.",
                "ERROR_ENTRY_NOT_LINKED_TO_PARTNER",
            )
        if not entry.get("posted", True) or any(
            entry["items"][n].get("matching_numbers") for n in mine
        ):
            raise ChiftError(
                400,
                "The entry doesn't have the correct status to be matched.",
                "ERROR_ENTRY_HAS_INVALID_STATUS",
            )
        for n in mine:
            item = entry["items"][n]
            accounts.add(str(item["account_number"]))
            balance += Decimal(str(item["debit"])) - Decimal(str(item["credit"]))
        touched.append((entry, mine))
    if len(accounts) > 1:
        raise ChiftError(
            400,
            "The entries have different receivable/payable accounts.",
            "ERROR_MULTIPLE_GL_ACCOUNTS",
        )
    if balance != 0:
        # Whether Sage GE takes a partial lettrage through Chift is unknown: MatchingOut's
        # balance "should be zero if the matching is complete", and both operations publish
        # this code. The sandbox takes complete matchings only.
        raise ChiftError(
            400, "The amounts of the entries are not balanced.", "ERROR_AMOUNTS_NOT_BALANCED"
        )
    used = {
        code
        for entry in folder["entries"]
        for item in entry["items"]
        for code in item.get("matching_numbers") or []
    }
    code = next(_lettrage_code(n) for n in range(len(used) + 1) if _lettrage_code(n) not in used)
    for entry, lines in touched:
        items = [dict(i) for i in entry["items"]]
        for n in lines:
            items[n]["matching_numbers"] = [code]
        box._put(folder, "entries", {**entry, "items": items})
    return {"matching_number": code, "balance": float(balance)}


def _matching(box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes) -> Reply:
    """``accounting_match_entries`` (``MatchingIn`` -> ``MatchingOut``)."""
    return json_reply(200, _match(box, folder, _json_object(body), "body"))


def _matching_multiple(
    box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes
) -> Reply:
    """``accounting_match_entries_multiple`` (``MultipleMatchingIn`` -> a list of
    ``MultipleMatchingOut``): each matching on its own, a refused one answered
    ``processed: false`` with its error rather than failing the others."""
    data = _json_object(body)
    _known_fields(data, MULTIPLE_MATCHING_FIELDS, "body")
    matchings = data.get("matchings")
    if not isinstance(matchings, list):
        raise validation_error("body", "matchings", "Field required", "missing")
    for n, matching in enumerate(matchings):  # a malformed one is the request's 422
        if not isinstance(matching, dict):
            raise validation_error("body", f"matchings.{n}", "Input should be a valid "
                                   "dictionary", "dict_type")  # fmt: skip
    answers: list[Record] = []
    for n, matching in enumerate(matchings):
        try:
            done = _match(box, folder, matching, f"matchings.{n}")
        except ChiftError as error:
            if error.status == 422:
                raise
            answers.append({"matching_number": None, "processed": False,
                            "error_msg": {"message": error.message,
                                          "error_code": error.code}})  # fmt: skip
        else:
            answers.append({"matching_number": done["matching_number"], "processed": True,
                            "error_msg": None})  # fmt: skip
    return json_reply(200, answers)


# -- attachments (pièces jointes) ----------------------------------------------------------------


def attach(box: Sandbox, folder: Folder, kind: str, document: Record, pdf: str,
           name: str | None) -> None:  # fmt: skip
    """Keep a PDF for ``GET /attachments`` and mark the document ``yes_to_request``
    (``ItemAttachmentInfoOut``: "an attachment exists but cannot be returned inline")."""
    ident = f"ATT{len(folder['attachments']) + 1:06d}"
    box._put(folder, "attachments", {"id": ident, "type": kind, "document_id": document["id"],
                                      "base64_string": pdf, "name": name})  # fmt: skip
    collection = "invoices" if kind == "invoice" else "entries"
    box._put(folder, collection, {**document,
                                  "attachments_info": {"status": "yes_to_request",
                                                       "attachments": []}})  # fmt: skip


def _add_invoice_pdf(
    box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes, ident: str
) -> Reply:
    """``accounting_add_attachment`` (``AttachmentItem``, 204): a second PDF without
    ``overwrite_existing=true`` is the 400 ``ERROR_ATTACHMENT_ALREADY_EXISTS``."""
    invoice = _invoice(folder, ident)
    overwrite = query.get("overwrite_existing", "false")
    if overwrite not in ("true", "false"):  # BoolParam
        raise validation_error("query", "overwrite_existing", "Input should be 'true' or "
                               "'false'", "enum")  # fmt: skip
    data = _json_object(body)
    _known_fields(data, ATTACHMENT_FIELDS, "body")
    if not isinstance(data.get("base64_string"), str):
        raise validation_error("body", "base64_string", "Field required", "missing")
    _pdf({"pdf": data["base64_string"], "pdf_name": data.get("name")})
    existing = [a for a in folder["attachments"]
                if a["type"] == "invoice" and a["document_id"] == ident]  # fmt: skip
    if existing and overwrite != "true":
        raise ChiftError(
            400, "An attachment already exists for this invoice.",
            "ERROR_ATTACHMENT_ALREADY_EXISTS",
        )  # fmt: skip
    for old in existing:
        stamp = box.clock.stamp()
        folder["attachments"].remove(old["id"], stamp)
        if box.persist is not None:  # inside the request's write transaction
            box.persist.delete(folder.id, "attachments", old["id"], stamp)
    attach(box, folder, "invoice", invoice, data["base64_string"], data.get("name"))
    return Reply(204, {}, b"")


def _attachments(box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes) -> Reply:
    """``accounting_get_attachments``: an invoice's or entry's files as base 64
    (``AttachmentItemOut``). Both parameters are required; an unknown document is its 404."""
    kind, document = query.get("type"), query.get("document_id")
    if kind not in ("invoice", "entry"):
        raise validation_error("query", "type", "Input should be 'invoice' or 'entry'", "enum")
    if not document:
        raise validation_error("query", "document_id", "Field required", "missing")
    if kind == "invoice":
        _invoice(folder, document)
    elif folder["entries"].get(document) is None:
        raise ChiftError(404, f"The entry '{document}' doesn't exist in the accounting system.",
                         "ERROR_ENTRY_NOT_FOUND")  # fmt: skip
    rows = [{"id": a["id"], "base64_string": a["base64_string"]} for a in folder["attachments"]
            if a["type"] == kind and a["document_id"] == document]  # fmt: skip
    return _page(box, rows, query)


# -- outstandings (encours) and balances (soldes) ------------------------------------------------


def _outstandings(box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes) -> Reply:
    """``accounting_get_outstandings`` (``OutstandingItem``): a client's or supplier's lines
    not yet matched (non lettrées), each its entry's number, date and signed amount (a debit
    positive), open for the whole of it. Both parameters are required."""
    kind = query.get("type")
    if kind not in ("client", "supplier"):
        raise validation_error("query", "type", "Input should be 'client' or 'supplier'", "enum")
    unposted = query.get("unposted_allowed")
    if unposted not in ("true", "false"):
        raise validation_error("query", "unposted_allowed", "Input should be 'true' or 'false'",
                               "enum")  # fmt: skip
    parties = folder["clients" if kind == "client" else "suppliers"]
    journals = {j["id"]: j for j in folder["journals"]}
    rows = []
    for entry in folder["entries"]:
        if not entry.get("posted", True) and unposted == "false":
            continue
        journal = journals.get(entry["journal_id"], {})
        for item in entry["items"]:
            partner = item.get("partner_id")
            if not partner or parties.get(partner) is None or item.get("matching_numbers"):
                continue
            amount = float(Decimal(str(item["debit"])) - Decimal(str(item["credit"])))
            rows.append({
                "id": item["id"], "number": entry["name"], "journal_id": entry["journal_id"],
                "journal_type": journal.get("journal_type", "unknown"), "date": entry["date"],
                "due_date": entry.get("due_date"), "currency": "EUR",
                "currency_exchange_rate": 1.0, "amount": amount, "open_amount": amount,
                "partner_id": partner, "account_number": item["account_number"],
                "reference": entry.get("reference"), "matching_numbers": [],
                "posted": bool(entry.get("posted", True)),
            })  # fmt: skip
    return _page(box, rows, query)


def _month_end(month: str) -> str:
    year, number = int(month[:4]), int(month[4:])
    following = date(year + number // 12, number % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1).isoformat()


def _balances(box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes) -> Reply:
    """``accounting_get_accounts_balances`` (``AccountBalanceFilter`` -> ``AccountBalance``):
    the accounts whose number starts with one of ``accounts``, their posted debits and credits
    up to the end of ``end``, and the same from the start of ``start`` (the whole history
    without it), paged like a listing."""
    data = _json_object(body)
    _known_fields(data, BALANCE_FIELDS, "body")
    prefixes = data.get("accounts")
    if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
        raise validation_error("body", "accounts", "Input should be a valid list", "list_type")
    for name in ("start", "end"):
        value = data.get(name)
        if name == "end" and value is None:
            raise validation_error("body", "end", "Field required", "missing")
        if value is not None and not (isinstance(value, str) and MONTH.fullmatch(value)):
            raise validation_error("body", name, "A month, YYYYMM", "string_pattern_mismatch")
    end = _month_end(str(data["end"]))
    start = f"{data['start'][:4]}-{data['start'][4:]}-01" if data.get("start") else ""
    sums: dict[str, list[Decimal]] = {}
    for entry in folder["entries"]:
        if not entry.get("posted", True) or entry["date"] > end:
            continue
        for item in entry["items"]:
            number = str(item["account_number"])
            if not number.startswith(tuple(prefixes)):
                continue
            row = sums.setdefault(number, [Decimal(0)] * 4)
            debit, credit = Decimal(str(item["debit"])), Decimal(str(item["credit"]))
            row[0] += debit
            row[1] += credit
            if entry["date"] >= start:
                row[2] += debit
                row[3] += credit
    rows = []
    for account in folder["accounts"]:
        number = str(account["number"])
        if not number.startswith(tuple(prefixes)):
            continue
        debit, credit, period_debit, period_credit = sums.get(number, [Decimal(0)] * 4)
        rows.append({
            "account_number": number, "account_name": account["name"],
            "debit": float(debit), "credit": float(credit), "balance": float(debit - credit),
            "period_debit": float(period_debit), "period_credit": float(period_credit),
            "period_balance": float(period_debit - period_credit),
        })  # fmt: skip
    return _page(box, rows, query)


# -- employees (salariés) -------------------------------------------------------------------------


def _employees(box: Sandbox, folder: Folder, query: Mapping[str, str], body: bytes) -> Reply:
    """``accounting_get_employees`` (``EmployeeItem``): each with its auxiliary account, which an
    ``employee_account`` line of an entry names (it lands on 421000)."""
    rows = [{k: v for k, v in e.items() if k != "third_party_account"} for e in folder["employees"]]
    return _page(box, rows, query)


# -- shared ----------------------------------------------------------------------------------------


def _currency(data: Mapping[str, Any]) -> None:
    if data["currency"] != "EUR":
        # The seeded dossiers keep their books in euros only.
        raise ChiftError(
            404,
            f"No currency with code '{data['currency']}' was found in the accounting system.",
            "ERROR_CURRENCY_NOT_FOUND",
        )
    if data.get("currency_exchange_rate") is not None:
        _amount(data, "currency_exchange_rate")


def _journal_of(folder: Folder, given: Any, kind: str) -> Record:
    """The journal named, which must be of ``kind`` (ERROR_JOURNAL_NOT_GOOD_SCOPE), or without
    one the dossier's only journal of that kind (ERROR_MULTIPLE_JOURNALS when several):
    ``MiscellaneousOperationIn.journal_id``'s description."""
    if given is None:
        found = [j for j in folder["journals"] if j["journal_type"] == kind]
        if len(found) == 1:
            return found[0]
        if found:
            raise ChiftError(
                404,
                "Multiple journals were found. Please indicate the wanted journal in the request.",
                "ERROR_MULTIPLE_JOURNALS",
            )
        raise ChiftError(
            404, "The journal doesn't exist in the accounting system.", "ERROR_JOURNAL_NOT_FOUND"
        )
    journal = folder["journals"].get(str(given))
    if journal is None:
        raise ChiftError(
            404,
            f"The journal '{given}' doesn't exist in the accounting system.",
            "ERROR_JOURNAL_NOT_FOUND",
        )
    if journal["journal_type"] != kind:
        raise ChiftError(
            400, "The journal cannot be used for this scope.", "ERROR_JOURNAL_NOT_GOOD_SCOPE"
        )
    return journal


def _pdf(data: Mapping[str, Any]) -> None:
    """``pdf``: "Base 64 string representing the PDF" (ERROR_INVALID_BASE64_STRING, the code
    POST /invoices/multi-analytic-plans publishes); ``pdf_name``'s pattern."""
    pdf = data.get("pdf")
    if pdf is not None:
        try:
            head = base64.b64decode(str(pdf)[:8], validate=True)
        except (binascii.Error, ValueError):
            head = b""
        if not head.startswith(b"%PDF-"):
            raise ChiftError(
                400,
                "The document is not a valid base64 string representing a PDF.",
                "ERROR_INVALID_BASE64_STRING",
            )
    name = data.get("pdf_name")
    if name is not None and not (isinstance(name, str) and PDF_NAME.fullmatch(name)):
        raise validation_error("body", "pdf_name", "String should match pattern",
                               "string_pattern_mismatch")  # fmt: skip


Handler = Callable[..., Reply]
_HANDLERS: dict[tuple[str, str], Handler] = {
    ("GET", "/payment-methods"): _payment_methods,
    ("GET", "/payment-terms"): _payment_terms,
    ("POST", "/invoices/payments"): _create_payment,
    ("GET", "/invoices/id/{invoice_id}/payments"): _invoice_payments,
    ("POST", "/miscellaneous-operation"): _create_operation,
    ("GET", "/miscellaneous-operation"): _operations,
    ("GET", "/miscellaneous-operation/{operation_id}"): _operation,
    ("POST", "/financial-entries"): _create_financial_entry,
    ("POST", "/invoices/multi-analytic-plans"): _create_multi_invoice,
    ("GET", "/invoices/multi-analytic-plans/type/{invoice_type}"): _multi_invoices,
    ("GET", "/invoices/multi-analytic-plans/{invoice_id}"): _multi_invoice,
    ("POST", "/analytic-accounts"): _create_analytic,
    ("POST", "/matching"): _matching,
    ("POST", "/invoices/pdf/{invoice_id}"): _add_invoice_pdf,
    ("GET", "/attachments"): _attachments,
    ("GET", "/outstandings"): _outstandings,
    ("POST", "/chart-of-accounts/balance"): _balances,
    ("GET", "/employees"): _employees,
    ("POST", "/matching-multiple"): _matching_multiple,
    ("PATCH", "/analytic-accounts/{analytic_account_id}"): _update_analytic,
    ("POST", "/analytic-accounts/multi-analytic-plans/{analytic_plan}"): _plan_create,
    ("GET", "/analytic-accounts/{analytic_account_id}/multi-analytic-plans/{analytic_plan}"): (
        _plan_analytic
    ),
    ("PATCH", "/analytic-accounts/{analytic_account_id}/multi-analytic-plans/{analytic_plan}"): (
        _update_analytic
    ),
}
