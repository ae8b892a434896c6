"""The Chift sandbox for Sage GE: token, bearer check, routes, paging, idempotency, the rules."""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from pydantic import ValidationError

from sage_ge import _rules as rules
from sage_ge.sandbox import _seed as seed
from sageflow.sandbox import (
    AsyncSandboxTransport,
    Chaos,
    ChaosGate,
    Clock,
    Collection,
    Persistence,
    Record,
    Reply,
    SandboxTransport,
    Stats,
    json_reply,
)
from sageflow.sandbox._shell import SimulatorShell, T

#: The path every Chift call of the sandbox is under (unique among the packs' sandboxes, so
#: ``sageflow sandbox serve`` can mount it beside the others).
API_PATH = "/chift"
#: Accepted as bearer on every call and never expires (curl, the runner's no-account fallback).
DEV_TOKEN = "sageflow-chift-sandbox-token"  # noqa: S105 - a published, sandbox-only credential
#: Chift's OpenAPI, ``POST /token``: "The token is valid for 30 minutes".
TOKEN_LIFETIME = 1800
#: Every list operation of the OpenAPI: ``page`` >= 1 default 1, ``size`` 1..100 default 50.
DEFAULT_SIZE = 50
MAX_SIZE = 100
#: The chift-samples README: ``x-chift-client-requestid`` is "up to 255 characters".
REQUEST_ID_HEADER = "x-chift-client-requestid"
REQUEST_ID_MAX = 255
#: ``errors__400_max_difference_months``: at most 3 months between date_from and date_to.
MAX_MONTHS = 3
CONNECTOR = "Sage Generation Experts"


class ChiftError(Exception):
    """A refusal in Chift's ``ChiftError`` shape ``{message, status: "error", error_code}``."""

    def __init__(self, status: int, message: str, code: str | None = None, detail: Any = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.detail = detail

    def reply(self) -> Reply:
        body: dict[str, Any] = {"message": self.message, "status": "error"}
        if self.code is not None:
            body["error_code"] = self.code
        if self.detail is not None:
            body["detail"] = self.detail
        return json_reply(self.status, body)


def validation_error(where: str, field: str, message: str, kind: str) -> ChiftError:
    """FastAPI's ``HTTPValidationError`` (the OpenAPI's 422 of every operation)."""
    detail = [{"loc": [where, field], "msg": message, "type": kind}]
    return ChiftError(422, "Validation error", None, detail)


# Chift's routes under /consumers/{consumer_id}/accounting that the sandbox serves: the first
# path segment(s) and the methods, each an operation of the OpenAPI (the fidelity test checks).
ROUTES: dict[str, frozenset[str]] = {
    "/folders": frozenset({"GET"}),
    "/folders/{folder_id}": frozenset({"GET"}),
    "/bookyears": frozenset({"GET"}),
    "/chart-of-accounts": frozenset({"GET"}),
    "/journals": frozenset({"GET"}),
    "/vat-codes": frozenset({"GET"}),
    "/clients": frozenset({"GET", "POST"}),
    "/clients/{client_id}": frozenset({"GET", "PATCH"}),
    "/suppliers": frozenset({"GET", "POST"}),
    "/suppliers/{supplier_id}": frozenset({"GET", "PATCH"}),
    "/accounts": frozenset({"POST"}),
    "/journal": frozenset({"POST"}),
    "/journal-entries": frozenset({"POST"}),
    "/journal/entries": frozenset({"GET"}),
    "/journal/entries/{journal_entry_id}": frozenset({"GET"}),
    "/journal/entries/multi-analytic-plans": frozenset({"GET"}),
    "/analytic-plans": frozenset({"GET"}),
    "/analytic-accounts": frozenset({"GET"}),
    "/analytic-accounts/{analytic_account_id}": frozenset({"GET"}),
    "/analytic-accounts/multi-analytic-plans": frozenset({"GET"}),
    "/invoices": frozenset({"POST"}),
    "/invoices/{invoice_id}": frozenset({"GET"}),
    "/invoices/type/{invoice_type}": frozenset({"GET"}),
}
#: Every accounting route of Chift's unified API (the OpenAPI's paths and methods; the fidelity
#: test holds this list to it). One the sandbox does not serve is a connector's gap, answered
#: 405 ``ERROR_RESOURCE_NOT_SUPPORTED``, not an unknown route's 400.
CHIFT_ROUTES: dict[str, frozenset[str]] = {
    "/folders": frozenset({"GET"}),
    "/folders/{folder_id}": frozenset({"GET"}),
    "/bookyears": frozenset({"GET"}),
    "/analytic-plans": frozenset({"GET"}),
    "/schemes": frozenset({"GET"}),
    "/clients": frozenset({"GET", "POST"}),
    "/clients/{client_id}": frozenset({"GET", "PATCH"}),
    "/suppliers": frozenset({"GET", "POST"}),
    "/suppliers/{supplier_id}": frozenset({"GET", "PATCH"}),
    "/contacts": frozenset({"GET"}),
    "/invoices": frozenset({"POST"}),
    "/invoices/multi-analytic-plans": frozenset({"POST"}),
    "/invoices/type/{invoice_type}": frozenset({"GET"}),
    "/invoices/multi-analytic-plans/type/{invoice_type}": frozenset({"GET"}),
    "/invoices/{invoice_id}": frozenset({"GET"}),
    "/invoices/multi-analytic-plans/{invoice_id}": frozenset({"GET"}),
    "/analytic-accounts": frozenset({"GET", "POST"}),
    "/analytic-accounts/multi-analytic-plans/{analytic_plan}": frozenset({"POST"}),
    "/analytic-accounts/{analytic_account_id}": frozenset({"GET", "PATCH"}),
    "/analytic-accounts/{analytic_account_id}/multi-analytic-plans/{analytic_plan}": frozenset(
        {"GET", "PATCH"}
    ),
    "/analytic-accounts/multi-analytic-plans": frozenset({"GET"}),
    "/journal/entries": frozenset({"GET"}),
    "/journal/entries/multi-analytic-plans": frozenset({"GET"}),
    "/journal/entries/{journal_entry_id}": frozenset({"GET"}),
    "/journal-entries": frozenset({"POST"}),
    "/invoices/id/{invoice_id}/payments": frozenset({"GET"}),
    "/payment-methods": frozenset({"GET"}),
    "/invoices/payments": frozenset({"POST"}),
    "/payment-terms": frozenset({"GET"}),
    "/journals": frozenset({"GET"}),
    "/journal": frozenset({"POST"}),
    "/vat-codes": frozenset({"GET"}),
    "/miscellaneous-operation": frozenset({"GET", "POST"}),
    "/miscellaneous-operation/{operation_id}": frozenset({"GET"}),
    "/matching": frozenset({"POST"}),
    "/matching-multiple": frozenset({"POST"}),
    "/attachments": frozenset({"GET"}),
    "/invoices/pdf/{invoice_id}": frozenset({"POST"}),
    "/chart-of-accounts": frozenset({"GET"}),
    "/chart-of-accounts/balance": frozenset({"POST"}),
    "/bank-accounts": frozenset({"GET", "POST"}),
    "/bank-transactions": frozenset({"POST"}),
    "/employees": frozenset({"GET"}),
    "/financial-entries": frozenset({"POST"}),
    "/expenses": frozenset({"POST"}),
    "/outstandings": frozenset({"GET"}),
    "/accounts": frozenset({"POST"}),
    "/export-fec": frozenset({"GET"}),
}
_CHIFT_PATTERNS = [
    (re.compile("^" + re.sub(r"\\{[a-z_]+\\}", "[^/]+", re.escape(t)) + "$"), t)
    for t in CHIFT_ROUTES
]
#: Body fields each create takes (the OpenAPI's ``ClientItemIn``/``SupplierItemIn``,
#: ``GenericJournalEntry``, ``GenericJournalItem``); any other is a 422 naming it.
PARTY_FIELDS = frozenset(
    {
        "external_reference",
        "first_name",
        "last_name",
        "name",
        "function",
        "is_company",
        "company_id",
        "phone",
        "mobile",
        "email",
        "language",
        "internal_notes",
        "website",
        "vat",
        "company_number",
        "iban",
        "bank_account",
        "currency",
        "active",
        "addresses",
        "account_number",
    }
)
ENTRY_FIELDS = frozenset(
    {
        "reference",
        "due_date",
        "journal_id",
        "number",
        "currency",
        "currency_exchange_rate",
        "date",
        "items",
        "pdf",
        "pdf_name",
        "posted",
        "start_date",
        "end_date",
    }
)
ITEM_FIELDS = frozenset(
    {
        "account_type",
        "account",
        "force_general_account",
        "prioritise_thirdparty_account",
        "description",
        "debit",
        "credit",
        "analytic_distribution",
        "tax_code",
        "tax_info",
        "account_info",
    }
)
#: ``ClientItemUpdate``/``SupplierItemUpdate``: the create's fields but the code.
PARTY_UPDATE_FIELDS = PARTY_FIELDS - {"account_number"}
#: ``LedgerAccountItemIn`` and ``JournalIn``.
ACCOUNT_FIELDS = frozenset({"name", "number", "type"})
JOURNAL_FIELDS = frozenset({"code", "name", "journal_type", "counterpart_account"})
#: ``JournalInType`` -> the ``JournalType`` the journal then lists with.
JOURNAL_IN_TYPES = {
    "customer_invoice": "customer_invoice", "customer_refund": "customer_refund",
    "supplier_invoice": "supplier_invoice", "supplier_refund": "supplier_refund",
    "bank": "financial_operation", "cash": "financial_operation",
    "miscellaneous_operation": "miscellaneous_operation",
}  # fmt: skip
ACCOUNT_TYPES = frozenset(
    {"bank", "cash", "other_financial", "receivable", "payable", "income", "expense",
     "other_expense", "vat", "other"}
)  # fmt: skip
#: ``InvoiceItemInMonoAnalyticPlan`` and ``InvoiceLineItemInMonoAnalyticPlan``.
INVOICE_FIELDS = frozenset(
    {
        "invoice_type", "invoice_number", "currency", "untaxed_amount", "tax_amount", "total",
        "reference", "payment_communication", "customer_memo", "payment_term_id",
        "withholding_tax", "invoice_date", "due_date", "partner_id", "journal_id", "status",
        "pdf", "pdf_name", "currency_exchange_rate", "invoice_correction",
        "nl_payment_terms_split", "shipping_country", "partner_info", "lines", "start_date",
        "end_date", "payment_method_id", "delivery_date",
    }
)  # fmt: skip
INVOICE_LINE_FIELDS = frozenset(
    {
        "line_number", "unit_price", "unit_of_measure", "quantity", "untaxed_amount",
        "tax_rate", "tax_amount", "total", "account_number", "tax_code", "description",
        "analytic_account",
    }
)  # fmt: skip
#: Chift's InvoiceType -> the journal type it is posted in, the partner's line type and side
#: (+1 debit), and the VAT account (PCG 445710 collected on sales, 445660 deductible).
INVOICE_TYPES: dict[str, tuple[str, str, int, str]] = {
    "customer_invoice": ("customer_invoice", "customer_account", 1, "445710"),
    "customer_refund": ("customer_invoice", "customer_account", -1, "445710"),
    "supplier_invoice": ("supplier_invoice", "supplier_account", -1, "445660"),
    "supplier_refund": ("supplier_invoice", "supplier_account", 1, "445660"),
}
THIRD_PARTY_TYPES = {
    "customer_account": ("clients", seed.CLIENT_COLLECTIVE),
    "supplier_account": ("suppliers", seed.SUPPLIER_COLLECTIVE),
    "employee_account": ("employees", seed.EMPLOYEE_COLLECTIVE),
}
RESOURCES = (
    "bookyears", "accounts", "journals", "vat_codes", "clients", "suppliers", "entries",
    "invoices", "analytic_plans", "analytic_accounts", "operations", "attachments",
    "employees",
)  # fmt: skip


class Folder:
    """One dossier's records."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self.id = str(record["id"])
        self.collections = {name: Collection(name) for name in RESOURCES}

    def __getitem__(self, name: str) -> Collection:
        return self.collections[name]


class Sandbox(SimulatorShell):
    """A simulated Chift unified accounting API over one Sage GE connection.

    Args:
        clock: sandbox time (:meth:`Clock.manual` for tests); it dates ``today`` for the rules,
            token expiry and every reply's ``Date`` header.
        chaos: fault injection (``sageflow.sandbox.Chaos``), settable later.
        data: a SQLite file: state loads from it when it exists and every write goes to it.
        open_years: how many fiscal years the seed leaves open: 2 (default, Sage GE's limit)
            or 3 (the oldest of three is the case Sage GE refuses entries in).
        missing_folder: a call without ``folder_id`` on this multi-dossier connection; what
            Chift answers is unknown: ``"first"`` (default, the selected dossier) or
            ``"error"`` (400 ``ERROR_CONNECTOR_CONFIGURATION``).
        repeat_request_id: a create whose ``x-chift-client-requestid`` was seen before:
            ``"replay"`` (default: the first answer again, no second record) or ``"conflict"``
            (409, as Chift's older idempotency page says; that 409's body is unknown).
        collective_error: the code of a line on a collective account without a third party:
            ``"not_good_scope"`` (default, ``ERROR_ACCOUNT_NUMBER_NOT_GOOD_SCOPE``, issue 15)
            or ``"partner_account_missing"`` (``ERROR_PARTNER_ACCOUNT_MISSING``, the 422
            example of ``POST /journal-entries``).
        max_months: the widest ``date_from``..``date_to`` window ``GET /journal/entries``
            takes (3, Chift's ``ERROR_MAX_DIFFERENCE_MONTHS`` example; whether Sage GE's
            connector applies it is unknown); ``None`` takes any window.
        idempotency: honour ``x-chift-client-requestid`` (default). ``False`` ignores it, as a
            connector that does not support it would, so a create sent twice is made twice and
            only the sender's own marker (the ``#AAAAA#`` in the entry's reference) prevents it.
    """

    api_base = f"http://sandbox{API_PATH}/consumers/{seed.CONSUMER_ID}/accounting"
    #: What ``sageflow sandbox serve`` mounts this sandbox under: /token is outside api_base.
    mount_path = API_PATH
    access_token = DEV_TOKEN
    consumer_id = seed.CONSUMER_ID
    account_id = seed.ACCOUNT_ID

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        chaos: Chaos | None = None,
        data: str | Path | None = None,
        open_years: int = 2,
        missing_folder: str = "first",
        repeat_request_id: str = "replay",
        collective_error: str = "not_good_scope",
        max_months: int | None = MAX_MONTHS,
        idempotency: bool = True,
    ) -> None:
        if open_years not in (2, 3):
            raise ValueError("open_years must be 2 or 3")
        if missing_folder not in ("first", "error"):
            raise ValueError("missing_folder must be 'first' or 'error'")
        if repeat_request_id not in ("replay", "conflict"):
            raise ValueError("repeat_request_id must be 'replay' or 'conflict'")
        if collective_error not in ("not_good_scope", "partner_account_missing"):
            raise ValueError(
                "collective_error must be 'not_good_scope' or 'partner_account_missing'"
            )
        self.clock = clock or Clock()
        self.stats = Stats()
        self._lock = threading.RLock()
        self.gate = ChaosGate(chaos or Chaos(), self.stats, self.clock.time, self._lock)
        self.open_years = open_years
        self.missing_folder = missing_folder
        self.repeat_request_id = repeat_request_id
        self.collective_error = collective_error
        self.max_months = max_months
        self.idempotency = idempotency
        self.tokens: dict[str, float] = {}
        self.folders: dict[str, Folder] = {}
        self.replies: dict[str, dict[str, Any]] = {}
        self.next_entry = 1
        self._dirty: list[tuple[str, str, Record]] = []
        self._new_replies: list[tuple[str, dict[str, Any]]] = []
        self.persist = Persistence(Path(data)) if data is not None else None
        if self.persist is None:
            self._seed()
        else:
            with self.persist.write():
                if self.persist.is_empty():
                    self._seed()
                    self._flush()
                else:
                    self._load()

    # -- public surface ------------------------------------------------------------------------

    @property
    def chaos(self) -> Chaos:
        return self.gate.chaos

    @chaos.setter
    def chaos(self, value: Chaos) -> None:
        self.gate.chaos = value

    def transport(self) -> httpx.BaseTransport:
        """An ``httpx`` transport that calls this sandbox in-process (no socket)."""
        return SandboxTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        return AsyncSandboxTransport(self)

    def describe(self, base: str) -> list[tuple[str, str]]:
        """What ``sageflow sandbox serve`` prints under the API base (``base`` is the server's
        root, ``http://127.0.0.1:<port>``)."""
        return [
            ("Token", f"POST {base.rstrip('/')}{API_PATH}/token  (any clientId, clientSecret)"),
            ("Account", self.account_id),
            ("folder_id", ", ".join(self.folders)),
        ]

    def advance(self, seconds: float) -> None:
        """Move sandbox time forward (expires tokens, refills the rate-limit bucket)."""
        self.clock.advance(seconds)

    def records(self, resource: str, folder: str = "DOSSIER01") -> list[Record]:
        """The stored records of a resource in a dossier, for assertions."""
        return list(self.folders[folder][resource])

    # -- the handler ---------------------------------------------------------------------------

    def _dispatch(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        if not path.startswith(API_PATH + "/"):
            return _unknown_route(method, path).reply()
        route = path[len(API_PATH) :]
        try:
            if route == "/token":
                if method != "POST":
                    raise ChiftError(405, "Method Not Allowed")
                return self._token(body)
            self._authenticate(headers)
            fault = self._chaos_before()
            if fault is not None:
                return fault
            prefix = f"/consumers/{self.consumer_id}/accounting"
            if not route.startswith(prefix + "/"):
                if route.startswith("/consumers/"):
                    raise ChiftError(
                        400,
                        "No active connection was found for this consumer.",
                        "ERROR_NO_ACTIVE_CONNECTION",
                    )
                raise _unknown_route(method, route)
            pairs = parse_qsl(query, keep_blank_values=True)
            request_id = headers.get(REQUEST_ID_HEADER) if self.idempotency else None
            if method == "POST" and request_id:
                if len(request_id) > REQUEST_ID_MAX:
                    raise validation_error(
                        "header", REQUEST_ID_HEADER, "at most 255 characters", "string_too_long"
                    )
                seen = self.replies.get(request_id)
                if seen is not None:
                    self.stats.replays += 1
                    if self.repeat_request_id == "conflict":
                        raise ChiftError(409, "This request id has already been used.")
                    if seen["body"] is None:  # a 204 (POST /invoices/payments)
                        return Reply(seen["status"], {}, b"")
                    return json_reply(seen["status"], seen["body"])
            reply = self._route(method, route[len(prefix) :], pairs, body)
        except ChiftError as error:
            return error.reply()
        # Only a success is kept under its id (a refused create changed nothing, and a resumed run
        # re-sends the corrected write under the same id); Chift's pages say nothing either way.
        if method == "POST" and request_id and reply.status < 300:
            stored = {
                "status": reply.status,
                "body": json.loads(reply.body) if reply.body else None,
            }
            self.replies[request_id] = stored
            self._new_replies.append((request_id, stored))
        if method != "GET" and reply.status < 300 and self.gate.drops_after_commit():
            reply.fault = "drop"
        return reply

    def _token(self, body: bytes) -> Reply:
        """``POST /token`` (``AuthItem`` in, ``Token`` out)."""
        data = _json_object(body)
        for name in ("clientId", "clientSecret", "accountId"):
            if not isinstance(data.get(name), str):
                raise validation_error("body", name, "Field required", "missing")
        extra = set(data) - {"clientId", "clientSecret", "accountId", "marketplaceId"}
        if extra:
            raise validation_error("body", sorted(extra)[0], "Extra inputs", "extra_forbidden")
        if not data["clientId"] or not data["clientSecret"] or data["accountId"] != self.account_id:
            raise ChiftError(401, "Authentication failed.", "ERROR_CHIFT_AUTHENTICATION_ERROR")
        token = secrets.token_urlsafe(24)
        expires = self.clock.time() + TOKEN_LIFETIME
        self.tokens[token] = expires
        return json_reply(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": TOKEN_LIFETIME,
                "expires_on": int(expires),
            },
        )

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            if secrets.compare_digest(token.encode(), DEV_TOKEN.encode()):
                return
            expires = self.tokens.get(token)
            if expires is not None and self.clock.time() < expires:
                return
        # Chift's errors page: ERROR_CHIFT_AUTHENTICATION_ERROR is a 401.
        raise ChiftError(
            401, "Invalid or expired access token.", "ERROR_CHIFT_AUTHENTICATION_ERROR"
        )

    def _chaos_before(self) -> Reply | None:
        fault = self.gate.before()
        if fault is None:
            return None
        if fault.status == 429:
            return json_reply(
                429,
                {"message": "Too many requests.", "status": "error"},
                {"retry-after": str(fault.throttle_seconds)},
            )
        if fault.status == 0:
            return Reply(504, {}, b"", fault="timeout")
        self.stats.faults[f"error_{fault.status}"] += 1
        return json_reply(
            fault.status,
            {"message": "Error while trying to perform your request", "status": "error"},
        )

    # -- routing -------------------------------------------------------------------------------

    def _route(self, method: str, route: str, pairs: list[tuple[str, str]], body: bytes) -> Reply:
        # Payments, miscellaneous operations, financial entries and multi-plan invoices have
        # their own module (imported here: it imports this one).
        from sage_ge.sandbox import _operations

        served = _operations.route(self, method, route, dict(pairs), body)
        if served is not None:
            return served
        parts = route.strip("/").split("/")
        template = "/" + parts[0]
        ident: str | None = None
        if parts[:2] == ["invoices", "type"] and len(parts) == 3:
            template, ident = "/invoices/type/{invoice_type}", parts[2]
        elif parts[1:] == ["multi-analytic-plans"] or parts[1:] == [
            "entries",
            "multi-analytic-plans",
        ]:
            template = route.rstrip("/")
        elif parts[:2] == ["journal", "entries"]:
            template = "/journal/entries" + ("/{journal_entry_id}" if len(parts) == 3 else "")
            ident = parts[2] if len(parts) == 3 else None
        elif len(parts) == 2:
            names = {
                "folders": "folder", "clients": "client", "invoices": "invoice",
                "analytic-accounts": "analytic_account",
            }  # fmt: skip
            template += "/{" + names.get(parts[0], "supplier") + "_id}"
            ident = parts[1]
        elif len(parts) > 1:
            template = route  # no served route has this shape (/invoices/pdf/{id}, ...)
        allowed = ROUTES.get(template)
        if allowed is None or len(parts) > 3:
            if any(pattern.match(route.rstrip("/")) for pattern, _ in _CHIFT_PATTERNS):
                raise _not_supported(method, route)
            raise _unknown_route(method, route)
        if method not in allowed:
            raise _not_supported(method, route)
        query = dict(pairs)
        if parts[0] == "folders":
            folders = [f.record for f in self.folders.values()]
            if ident is None:
                return json_reply(200, folders)  # a bare array (the README's facts)
            found = self.folders.get(ident)
            if found is None:
                raise _no_folder(ident)
            return json_reply(200, found.record)
        folder = self._folder(query)
        name = parts[0]
        if name in ("clients", "suppliers"):
            if method == "POST":
                return json_reply(200, self._create_party(folder, name, body))
            if method == "PATCH":
                return json_reply(200, self._update_party(folder, name, str(ident), body))
            if ident is not None:
                record = folder[name].get(ident)
                if record is None:
                    raise ChiftError(
                        404,
                        f"The client/supplier '{ident}' doesn't exist in the accounting system.",
                        "ERROR_PARTNER_NOT_FOUND",
                    )
                return json_reply(200, record)
            rows = list(folder[name])
            search = query.get("search", "").casefold()
            if search:
                rows = [r for r in rows if search in str(r.get("name", "")).casefold()]
            if query.get("updated_after"):
                rows = [r for r in rows if r["last_updated_on"] > query["updated_after"]]
            return self._page(rows, query)
        if name == "invoices":
            if method == "POST":
                return json_reply(200, self._create_invoice(folder, body))
            if template == "/invoices/type/{invoice_type}":
                return self._page(self._invoices(folder, str(ident), query), query)
            invoice = folder["invoices"].get(str(ident))
            if invoice is None:
                # GET /invoices/{invoice_id}'s 404 example ERROR_INVOICE_NOT_FOUND_2.
                raise ChiftError(
                    404,
                    f"The invoice '{ident}' doesn't exist in the accounting system.",
                    "ERROR_INVOICE_NOT_FOUND",
                )
            return json_reply(200, _invoice_view(invoice, query))
        if name == "accounts":
            return json_reply(200, self._create_account(folder, body))
        if template == "/journal":
            return json_reply(200, self._create_journal(folder, body))
        if name == "journal-entries":
            return json_reply(200, self._create_entry(folder, body))
        if template == "/journal/entries/multi-analytic-plans":
            return self._page(self._entries(folder, query, multi=True), query)
        if name == "analytic-plans":
            return self._page(list(folder["analytic_plans"]), query)
        if name == "analytic-accounts":
            return self._analytic_accounts(folder, template, ident, query)
        if name == "journal":
            if ident is not None:
                entry = folder["entries"].get(ident)
                if entry is None:
                    raise ChiftError(404, "The entry doesn't exist.", "ERROR_ENTRY_NOT_FOUND")
                return json_reply(200, entry)
            return self._page(self._entries(folder, query), query)
        if name == "chart-of-accounts":
            rows = [{k: v for k, v in r.items() if k != "id"} for r in folder["accounts"]]
            classes = [c.strip() for c in query.get("classes", "").split(",") if c.strip()]
            if classes:
                rows = [r for r in rows if str(r["number"]).startswith(tuple(classes))]
            if query.get("type"):
                rows = [r for r in rows if r.get("type") == query["type"]]
            return self._page(rows, query)
        if name == "bookyears":
            rows = [{k: v for k, v in r.items() if k != "id"} for r in folder["bookyears"]]
            return self._page(rows, query)
        return self._page(list(folder[{"journals": "journals"}.get(name, "vat_codes")]), query)

    def _folder(self, query: Mapping[str, str]) -> Folder:
        ident = query.get("folder_id")
        if not ident:
            if self.missing_folder == "error":
                raise ChiftError(
                    400,
                    "This connection holds several folders: give folder_id.",
                    "ERROR_CONNECTOR_CONFIGURATION",
                )
            return next(iter(self.folders.values()))
        found = self.folders.get(ident)
        if found is None:
            raise _no_folder(ident)
        return found

    def _page(self, rows: list[Record], query: Mapping[str, str]) -> Reply:
        page = _int_param(query, "page", 1, 1, None)
        size = _int_param(query, "size", DEFAULT_SIZE, 1, MAX_SIZE)
        items = rows[(page - 1) * size : page * size]
        return json_reply(200, {"items": items, "total": len(rows), "page": page, "size": size})

    # -- creates -------------------------------------------------------------------------------

    def _create_party(self, folder: Folder, kind: str, body: bytes) -> Record:
        data = _json_object(body)
        _known_fields(data, PARTY_FIELDS, "body")
        if not isinstance(data.get("name"), str) or not data["name"].strip():
            raise validation_error("body", "name", "Field required", "missing")
        if not isinstance(data.get("addresses"), list):
            raise validation_error("body", "addresses", "Field required", "missing")
        vat = data.get("vat")
        if vat is not None and (not isinstance(vat, str) or not _vat_ok(vat)):
            raise _bad_vat()
        code = data.get("account_number") or _auxiliary_code(kind, data["name"], folder[kind])
        code = str(code).upper()
        if folder[kind].get(code) is not None:
            raise ChiftError(
                400,
                f"A client/supplier already exists with the same code/id ({code}) in the "
                "accounting system.",
                "ERROR_PARTNER_ALREADY_EXISTS",
            )
        collective = seed.CLIENT_COLLECTIVE if kind == "clients" else seed.SUPPLIER_COLLECTIVE
        record = seed.party(code, data["name"], vat, collective, self.clock.stamp())
        for key, value in data.items():
            if key not in ("account_number", "addresses") and value is not None:
                record[key] = value
        record["addresses"] = data["addresses"]
        self._put(folder, kind, record)
        return record

    def _update_party(self, folder: Folder, kind: str, ident: str, body: bytes) -> Record:
        """``PATCH /clients/{id}`` and ``/suppliers/{id}``: the fields given replace theirs."""
        record = folder[kind].get(ident)
        if record is None:
            raise ChiftError(
                404,
                f"The client/supplier '{ident}' doesn't exist in the accounting system.",
                "ERROR_PARTNER_NOT_FOUND",
            )
        data = _json_object(body)
        _known_fields(data, PARTY_UPDATE_FIELDS, "body")
        vat = data.get("vat")
        if vat is not None and (not isinstance(vat, str) or not _vat_ok(vat)):
            raise _bad_vat()
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise validation_error(
                "body", "name", "String should have at least 1 character", "string_too_short"
            )
        updated = {**record, **{k: v for k, v in data.items() if v is not None}}
        updated["last_updated_on"] = self.clock.stamp()
        self._put(folder, kind, updated)
        return updated

    def _create_account(self, folder: Folder, body: bytes) -> Record:
        """``POST /accounts`` (``LedgerAccountItemIn``): a general account of the PCG."""
        data = _json_object(body)
        _known_fields(data, ACCOUNT_FIELDS, "body")
        for name in ("name", "number"):
            if not isinstance(data.get(name), str) or not data[name].strip():
                raise validation_error("body", name, "Field required", "missing")
        number = data["number"]
        # The schema: minLength 3, and in France the number follows the PCG (digits).
        if not number.isdigit() or len(number) < 3:
            raise validation_error(
                "body",
                "number",
                "A PCG account number: at least 3 digits",
                "string_pattern_mismatch",
            )
        kind = data.get("type") or "other"
        if kind not in ACCOUNT_TYPES:
            raise validation_error("body", "type", "Input should be an AccountItemType", "enum")
        if folder["accounts"].get(number) is not None:
            # errors__400_ledger_account_already_exists__chift-openapi-example.json
            raise ChiftError(
                400,
                "A ledger account already exists with the same number in the accounting system.",
                "ERROR_LEDGER_ACCOUNT_ALREADY_EXISTS",
            )
        record = {
            "id": number,
            "number": number,
            "name": data["name"],
            "active": True,
            "type": kind,
        }
        self._put(folder, "accounts", record)
        return {k: v for k, v in record.items() if k != "id"}

    def _create_journal(self, folder: Folder, body: bytes) -> Record:
        """``POST /journal`` (``JournalIn``); bank and cash journals list as
        ``financial_operation``."""
        data = _json_object(body)
        _known_fields(data, JOURNAL_FIELDS, "body")
        for name in ("code", "name", "journal_type"):
            if not isinstance(data.get(name), str) or not data[name].strip():
                raise validation_error("body", name, "Field required", "missing")
        kind = JOURNAL_IN_TYPES.get(data["journal_type"])
        if kind is None:
            raise validation_error(
                "body", "journal_type", "Input should be a JournalInType", "enum"
            )
        code = data["code"]
        if any(j["code"] == code for j in folder["journals"]):
            # POST /journal's 400 example ERROR_JOURNAL_ALREADY_EXISTS_2.
            raise ChiftError(
                400,
                f"A journal already exists with the same code ({code}) in the accounting system.",
                "ERROR_JOURNAL_ALREADY_EXISTS",
            )
        counterpart = data.get("counterpart_account")
        if counterpart is not None and folder["accounts"].get(str(counterpart)) is None:
            # POST /journal's 400 example ERROR_COUNTERPART_ACCOUNT_NOT_FOUND.
            raise ChiftError(
                400,
                "The counterpart account doesn't exist in the accounting system.",
                "ERROR_COUNTERPART_ACCOUNT_NOT_FOUND",
            )
        ident = str(
            max((int(j["id"]) for j in folder["journals"] if j["id"].isdigit()), default=0) + 1
        )
        record = {
            "id": ident, "code": code, "name": data["name"], "journal_type": kind,
            "blocked": False, "currency": "EUR", "counterpart_account": counterpart,
        }  # fmt: skip
        self._put(folder, "journals", record)
        return record

    def _create_entry(self, folder: Folder, body: bytes) -> Record:
        data = _json_object(body)
        _known_fields(data, ENTRY_FIELDS, "body")
        for name in ("journal_id", "number", "currency", "date", "items"):
            if name not in data:
                raise validation_error("body", name, "Field required", "missing")
        if not isinstance(data["items"], list) or not all(
            isinstance(i, dict) for i in data["items"]
        ):
            raise validation_error("body", "items", "Input should be a valid list", "list_type")
        try:
            day = date.fromisoformat(str(data["date"]))
        except ValueError:
            raise validation_error(
                "body", "date", "Input should be a valid date", "date_from_datetime_parsing"
            ) from None
        journal = folder["journals"].get(str(data["journal_id"]))
        if journal is None:
            raise ChiftError(
                404,
                f"The journal '{data['journal_id']}' doesn't exist in the accounting system.",
                "ERROR_JOURNAL_NOT_FOUND",
            )
        if data["currency"] != "EUR":
            raise ChiftError(
                404,
                f"No currency with code '{data['currency']}' was found in the accounting system.",
                "ERROR_CURRENCY_NOT_FOUND",
            )
        return self._post(
            folder,
            journal,
            day,
            data["items"],
            number=str(data["number"]),
            reference=data.get("reference"),
            due_date=data.get("due_date"),
            posted=bool(data.get("posted", True)),
        )

    def _post(
        self,
        folder: Folder,
        journal: Record,
        day: date,
        items: list[dict[str, Any]],
        *,
        number: str,
        reference: str | None,
        due_date: str | None,
        posted: bool = True,
    ) -> Record:
        """Check ``items`` (``GenericJournalItem``s) against the dossier and Sage GE's rules,
        then store the entry; a refusal raises before anything is stored."""
        lines, out_items, new_accounts = self._lines(folder, items, journal)
        entry = rules.Entry(
            journalCode=journal["code"],
            date=day,
            lines=tuple(lines),
            documentNumber=None,
            currency="EUR",
        )
        books = rules.Books(
            today=self.clock.now().date(),
            fiscalYears=tuple(
                rules.FiscalYear(start=y["start"], end=y["end"], closed=y["closed"])
                for y in folder["bookyears"]
            ),
            journals=tuple(
                rules.Journal(
                    code=j["code"], kind=j["journal_type"], closed=j["blocked"], id=j["id"]
                )
                for j in folder["journals"]
            ),
        )
        refusals = rules.check_entry(entry, books)
        if refusals:
            raise self._refusal(refusals[0], journal, lines)
        for account in new_accounts:
            self._put(folder, "accounts", account)
        ident = f"E{self.next_entry:06d}"
        self.next_entry += 1
        record: Record = {
            "id": ident,
            "journal_id": journal["id"],
            "journal_name": journal["name"],
            "name": number,
            "date": day.isoformat(),
            "reference": reference,
            "due_date": due_date,
            "posted": posted,
            "attachments_info": {"status": "no", "attachments": []},
            "items": [{**item, "id": f"{ident}-{n + 1}"} for n, item in enumerate(out_items)],
        }
        self._put(folder, "entries", record)
        return record

    def _create_invoice(self, folder: Folder, body: bytes) -> Record:
        """``POST /invoices``: the invoice is posted as an entry in a sales or purchase journal
        (partner on its collective, each line on its account, VAT on 445710/445660), under
        the same Sage GE rules as a journal entry."""
        data = _json_object(body)
        _known_fields(data, INVOICE_FIELDS, "body")
        required = ("invoice_type", "currency", "untaxed_amount", "tax_amount", "total")
        for name in (*required, "invoice_date", "due_date", "lines", "partner_id"):
            if data.get(name) is None:
                raise validation_error("body", name, "Field required", "missing")
        kind = INVOICE_TYPES.get(str(data["invoice_type"]))
        if kind is None:
            raise validation_error("body", "invoice_type", INVOICE_TYPE_ENUM, "enum")
        journal_type, partner_type, side, vat_account = kind
        lines = data["lines"]
        if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
            raise validation_error("body", "lines", "Input should be a valid list", "list_type")
        if not lines:
            # POST /invoices' 400 example ERROR_NO_INVOICE_LINE.
            raise ChiftError(
                400, "The invoice must contain at least one invoice line.", "ERROR_NO_INVOICE_LINE"
            )
        for n, line in enumerate(lines):
            _known_fields(line, INVOICE_LINE_FIELDS, f"lines.{n}")
            for name in ("untaxed_amount", "tax_amount", "account_number"):
                if line.get(name) is None:
                    raise validation_error("body", f"lines.{n}.{name}", "Field required", "missing")
        untaxed = _amount(data, "untaxed_amount")
        if untaxed == 0:
            # POST /invoices' 400 example ERROR_ZERO_INVOICE.
            raise ChiftError(
                400,
                "You cannot create an invoice with an untaxed amount of 0.",
                "ERROR_ZERO_INVOICE",
            )
        day = _body_date(data, "invoice_date")
        _body_date(data, "due_date")
        if data["currency"] != "EUR":
            raise ChiftError(
                404,
                f"No currency with code '{data['currency']}' was found in the accounting system.",
                "ERROR_CURRENCY_NOT_FOUND",
            )
        journal = self._invoice_journal(folder, data.get("journal_id"), journal_type)
        number = str(data.get("invoice_number") or "")
        family = {t for t, k in INVOICE_TYPES.items() if k[0] == journal_type}
        if number and any(
            i["invoice_number"] == number and i["invoice_type"] in family
            for i in folder["invoices"]
        ):
            # errors__409_invoice_number_already_used__chift-openapi-example.json
            raise ChiftError(
                409,
                "The invoice number is already used in the accounting system.",
                "ERROR_INVOICE_NUMBER_ALREADY_USED",
            )
        if not number:
            number = f"{journal['code']}{len(folder['invoices']) + 1:06d}"
        label = str(data.get("reference") or number)
        total = _amount(data, "total")
        items = [_item(partner_type, str(data["partner_id"]), side * total, label)]
        for n, line in enumerate(lines):
            amount = _amount(line, "untaxed_amount", f"lines.{n}.")
            item = _item(
                "general_account",
                str(line["account_number"]),
                -side * amount,
                str(line.get("description") or label),
            )
            if line.get("tax_code") is not None:
                item["tax_code"] = str(line["tax_code"])
            items.append(item)
            tax = _amount(line, "tax_amount", f"lines.{n}.")
            if tax:
                items.append(_item("general_account", vat_account, -side * tax, label))
        entry = self._post(
            folder,
            journal,
            day,
            items,
            number=number,
            reference=data.get("reference"),
            due_date=str(data["due_date"]),
        )
        record: Record = {
            "id": f"INV{len(folder['invoices']) + 1:06d}",
            "invoice_type": data["invoice_type"],
            "invoice_number": number,
            "currency": "EUR",
            "untaxed_amount": float(untaxed),
            "tax_amount": float(_amount(data, "tax_amount")),
            "total": float(total),
            "reference": data.get("reference"),
            "invoice_date": day.isoformat(),
            "due_date": str(data["due_date"]),
            "partner_id": str(data["partner_id"]),
            "journal_id": journal["id"],
            "status": "posted",
            "payments": [],
            "last_updated_on": self.clock.stamp(),
            "attachments_info": {"status": "no", "attachments": []},
            "lines": [_invoice_line(n, line) for n, line in enumerate(lines)],
            "entry_id": entry["id"],
        }
        self._put(folder, "invoices", record)
        return _invoice_view(record, {"include_invoice_lines": "true"})

    def _invoice_journal(self, folder: Folder, given: Any, journal_type: str) -> Record:
        """The journal an invoice is posted in: the one given, which must be of the invoice's
        kind, or the dossier's first open journal of that kind."""
        if given is None:
            for journal in folder["journals"]:
                if journal["journal_type"] == journal_type and not journal["blocked"]:
                    return journal
            raise ChiftError(
                404,
                "The journal doesn't exist in the accounting system.",
                "ERROR_JOURNAL_NOT_FOUND",
            )
        found = folder["journals"].get(str(given))
        if found is None:
            raise ChiftError(
                404,
                f"The journal '{given}' doesn't exist in the accounting system.",
                "ERROR_JOURNAL_NOT_FOUND",
            )
        if found["journal_type"] != journal_type:
            # POST /invoices' 400 example ERROR_JOURNAL_NOT_GOOD_SCOPE.
            raise ChiftError(
                400, "The journal cannot be used for this scope.", "ERROR_JOURNAL_NOT_GOOD_SCOPE"
            )
        return found

    def _invoices(self, folder: Folder, kind: str, query: Mapping[str, str]) -> list[Record]:
        if kind not in INVOICE_TYPES:
            raise validation_error("path", "invoice_type", INVOICE_TYPE_ENUM, "enum")
        rows = [i for i in folder["invoices"] if i["invoice_type"] == kind]
        start, end = _date_param(query, "date_from"), _date_param(query, "date_to")
        if start:
            rows = [r for r in rows if r["invoice_date"] >= start.isoformat()]
        if end:
            rows = [r for r in rows if r["invoice_date"] <= end.isoformat()]
        journals = [j for j in query.get("journal_ids", "").split(",") if j]
        if journals:
            rows = [r for r in rows if r["journal_id"] in journals]
        if query.get("updated_after"):
            rows = [r for r in rows if r["last_updated_on"] > query["updated_after"]]
        return [_invoice_view(r, query) for r in rows]

    def _lines(
        self, folder: Folder, items: list[dict[str, Any]], journal: Record
    ) -> tuple[list[rules.EntryLine], list[Record], list[Record]]:
        lines: list[rules.EntryLine] = []
        out: list[Record] = []
        new_accounts: list[Record] = []
        for n, item in enumerate(items):
            _known_fields(item, ITEM_FIELDS, f"items.{n}")
            kind = item.get("account_type")
            if kind not in (
                "customer_account",
                "supplier_account",
                "employee_account",
                "general_account",
            ):
                raise validation_error(
                    "body",
                    f"items.{n}.account_type",
                    "Input should be 'customer_account', 'supplier_account', "
                    "'employee_account' or 'general_account'",
                    "enum",
                )
            debit, credit = (
                _amount(item, "debit", f"items.{n}."),
                _amount(item, "credit", f"items.{n}."),
            )
            if debit < 0 or credit < 0:
                # errors__422_debit_credit_value__chift-openapi-example.json
                raise ChiftError(
                    422, "Debit and credit cannot be negative.", "ERROR_DEBIT_CREDIT_VALUE"
                )
            account = str(item.get("account") or "")
            auxiliary: str | None = None
            partner: Record | None = None
            if kind in THIRD_PARTY_TYPES:
                collection, collective = THIRD_PARTY_TYPES[kind]
                partner = folder[collection].get(account)
                if partner is None and kind == "employee_account":
                    # POST /financial-entries' 404 example ERROR_EMPLOYEE_NOT_FOUND_2.
                    raise ChiftError(
                        404,
                        f"The employee '{account}' doesn't exist in the accounting system.",
                        "ERROR_EMPLOYEE_NOT_FOUND",
                    )
                if partner is None:
                    raise ChiftError(
                        404,
                        f"The client/supplier '{account}' doesn't exist in the accounting system.",
                        "ERROR_PARTNER_NOT_FOUND",
                    )
                auxiliary = account
                account = str(
                    item.get("force_general_account")
                    or partner.get("third_party_account")
                    or collective
                )
            general = folder["accounts"].get(account)
            if general is None:
                info = item.get("account_info")
                if isinstance(info, dict) and str(info.get("account_number")) == account:
                    general = {
                        "id": account,
                        "number": account,
                        "active": True,
                        "type": "other",
                        "name": str(
                            info.get("account_name") or rules.missing_account_label(account)
                        ),
                    }
                    new_accounts.append(general)
                else:
                    raise ChiftError(
                        404,
                        f"The account number '{account}' doesn't exist in the accounting system.",
                        "ERROR_ACCOUNT_NUMBER_NOT_FOUND",
                    )
            tax = item.get("tax_code")
            if tax is not None and folder["vat_codes"].get(str(tax)) is None:
                raise ChiftError(
                    404,
                    "A used tax code doesn't exist in the accounting system.",
                    "ERROR_TAX_CODE_NOT_FOUND",
                )
            label = str(item.get("description") or general["name"])
            if journal["journal_type"] == "financial_operation":
                # Sage GE cuts bank-entry labels at 30 characters (issue 15, Qonto's rules).
                label = label[: rules.BANK_LABEL_LIMIT]
            try:
                lines.append(
                    rules.EntryLine(
                        account=account,
                        auxiliaryAccount=auxiliary,
                        label=label or account,
                        debit=debit,
                        credit=credit,
                    )
                )
            except ValidationError as error:
                first = error.errors()[0]
                raise validation_error(
                    "body", f"items.{n}.{first['loc'][0]}", first["msg"], first["type"]
                ) from None
            out.append(
                {
                    "account_number": account,
                    "account_name": general["name"],
                    "partner_id": auxiliary,
                    "partner_name": partner["name"] if partner else None,
                    "description": label,
                    "debit": float(debit),
                    "credit": float(credit),
                    "currency": "EUR",
                    "currency_exchange_rate": 1.0,
                    "matching_numbers": [],
                    "analytic_distribution": self._distribution(
                        folder,
                        item.get("analytic_distribution"),
                        f"items.{n}.analytic_distribution",
                    ),
                }
            )
        return lines, out, new_accounts

    def _refusal(
        self, refusal: rules.Refusal, journal: Record, lines: list[rules.EntryLine]
    ) -> ChiftError:
        """The Sage GE rule a refused entry broke, as the Chift error the chain answers."""
        rule = refusal.rule
        if rule == "POSTING_DATE_IN_OPEN_YEAR":
            # errors__400_bookyear_not_found__chift-openapi-example.json
            return ChiftError(
                400,
                "The accounting system is not set up for this date.",
                "ERROR_BOOKYEAR_NOT_FOUND",
                refusal.message,
            )
        if rule == "JOURNAL_OPEN":
            # The journal exists (checked before): it is closed. Chift's code for a journal
            # that cannot take this operation (POST /invoices example ERROR_JOURNAL_NOT_GOOD_SCOPE).
            return ChiftError(
                400,
                "The journal cannot be used for this scope.",
                "ERROR_JOURNAL_NOT_GOOD_SCOPE",
                refusal.message,
            )
        if rule in ("COLLECTIVE_NEEDS_AUXILIARY", "AUXILIARY_NEEDS_THIRD_PARTY_ACCOUNT"):
            account = lines[refusal.line].account if refusal.line is not None else ""
            if rule == "COLLECTIVE_NEEDS_AUXILIARY" and self.collective_error != "not_good_scope":
                # POST /journal-entries' 422 example ERROR_PARTNER_ACCOUNT_MISSING.
                return ChiftError(
                    422,
                    "Please provide a client/supplier account in the partner_id field.",
                    "ERROR_PARTNER_ACCOUNT_MISSING",
                    refusal.message,
                )
            # POST /miscellaneous-operation's 400 example ERROR_ACCOUNT_NUMBER_NOT_GOOD_SCOPE_2.
            return ChiftError(
                400,
                f"The account number '{account}' cannot be used in this type of operation",
                "ERROR_ACCOUNT_NUMBER_NOT_GOOD_SCOPE",
                refusal.message,
            )
        if rule == "LINE_DEBIT_OR_CREDIT":
            line = lines[refusal.line] if refusal.line is not None else None
            if line is not None and line.debit and line.credit:
                # POST /journal-entries' 422 example ERROR_DEBIT_CREDIT_VALUE_2.
                message = "Debit and credit cannot be both positive."
            else:
                message = "Debit and credit cannot be both zero."
            return ChiftError(422, message, "ERROR_DEBIT_CREDIT_VALUE", refusal.message)
        # ENTRY_BALANCED, ENTRY_HAS_LINES: errors__422_entry_not_balanced__chift-openapi-example
        return ChiftError(
            422, "The entry is not balanced.", "ERROR_ENTRY_NOT_BALANCED", refusal.message
        )

    def _analytic_accounts(
        self,
        folder: Folder,
        template: str,
        ident: str | None,
        query: Mapping[str, str],
        in_plan: str | None = None,
    ) -> Reply:
        """Analytic accounts with their debit, credit and balance from the posted lines'
        distributions; without ``multi-analytic-plans`` only the default (first) plan's. With
        ``ident``, that account (of ``in_plan`` when given: a code is unique in its plan only)."""
        totals: dict[tuple[str, str], list[Decimal]] = {}
        for entry in folder["entries"]:
            for item in entry["items"]:
                for plan in item.get("analytic_distribution") or []:
                    for share in plan["analytic_accounts"]:
                        key = (str(plan["analytic_plan"]), str(share["analytic_account"]))
                        part = Decimal(str(share["percentage"])) / 100
                        sums = totals.setdefault(key, [Decimal(0), Decimal(0)])
                        sums[0] += Decimal(str(item["debit"])) * part
                        sums[1] += Decimal(str(item["credit"])) * part
        default = next((p["id"] for p in folder["analytic_plans"]), None)
        rows = []
        for record in folder["analytic_accounts"]:
            debit, credit = totals.get((record["analytic_plan"], record["code"]), [0, 0])
            row = {
                **record,
                "id": record["code"],
                "debit": float(round(Decimal(debit), 2)),
                "credit": float(round(Decimal(credit), 2)),
                "balance": float(round(Decimal(debit) - Decimal(credit), 2)),
            }
            if template != "/analytic-accounts/multi-analytic-plans":
                if record["analytic_plan"] != default:
                    continue
                del row["analytic_plan"]
            rows.append(row)
        if ident is None:
            return self._page(rows, query)
        found = next(
            (r for r in rows if r["id"] == ident and in_plan in (None, r.get("analytic_plan"))),
            None,
        )
        if found is None:
            # GET /analytic-accounts/{analytic_account_id}'s 404 example.
            raise ChiftError(
                404,
                f"The analytic account '{ident}' doesn't exist in the accounting system.",
                "ERROR_ANALYTIC_ACCOUNT_NOT_FOUND",
            )
        return json_reply(200, found)

    def _distribution(self, folder: Folder, value: Any, where: str) -> list[Record]:
        """A line's ``analytic_distribution``: every plan and account must exist (POST
        /invoices' 404 examples ERROR_ANALYTIC_PLAN_NOT_FOUND, ERROR_ANALYTIC_ACCOUNT_NOT_FOUND),
        and each plan's percentages be whole and add up to 100 (``AnalyticDistributionDetail``:
        "Only whole numbers ... must equal 100%"; a 422 otherwise)."""
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
            raise validation_error("body", where, "Input should be a valid list", "list_type")
        for plan in value:
            ident = str(plan.get("analytic_plan"))
            if folder["analytic_plans"].get(ident) is None:
                raise ChiftError(
                    404,
                    f"The analytic plan '{ident}' doesn't exist in the accounting system.",
                    "ERROR_ANALYTIC_PLAN_NOT_FOUND",
                )
            shares = plan.get("analytic_accounts")
            if not isinstance(shares, list) or not all(isinstance(a, dict) for a in shares):
                raise validation_error(
                    "body",
                    f"{where}.analytic_accounts",
                    "Input should be a valid list",
                    "list_type",
                )
            for share in shares:
                code = str(share.get("analytic_account"))
                if folder["analytic_accounts"].get(f"{ident}:{code}") is None:
                    raise ChiftError(
                        404,
                        f"The analytic account '{code}' doesn't exist in the accounting system.",
                        "ERROR_ANALYTIC_ACCOUNT_NOT_FOUND",
                    )
                _amount(share, "percentage", f"{where}.analytic_accounts.")
            _whole_percentages(plan, where)
        return list(value)

    def _entries(
        self, folder: Folder, query: Mapping[str, str], *, multi: bool = False
    ) -> list[Record]:
        rows = list(folder["entries"])
        start = _date_param(query, "date_from")
        end = _date_param(query, "date_to")
        limit = self.max_months
        if start and end and limit is not None and _months_apart(start, end) > limit:
            # errors__400_max_difference_months__chift-openapi-example.json
            raise ChiftError(
                400,
                "You can retrieve maximum 3 months of data at once. The difference between "
                "'date_from' and 'date_to' is at maximum 3 months.",
                "ERROR_MAX_DIFFERENCE_MONTHS",
            )
        if start:
            rows = [r for r in rows if r["date"] >= start.isoformat()]
        if end:
            rows = [r for r in rows if r["date"] <= end.isoformat()]
        if query.get("journal_id"):
            rows = [r for r in rows if r["journal_id"] == query["journal_id"]]
        if query.get("partner_id"):
            rows = [
                r for r in rows if any(i["partner_id"] == query["partner_id"] for i in r["items"])
            ]
        if multi:
            return rows
        # The list answers ChiftPage_JournalEntryMonoAnalyticPlan_: one analytic account a line,
        # the default plan's (the first of the distribution there).
        default = next((p["id"] for p in folder["analytic_plans"]), None)
        mono = []
        for row in rows:
            items = []
            for item in row["items"]:
                plain = {k: v for k, v in item.items() if k != "analytic_distribution"}
                code = next(
                    (share["analytic_account"]
                     for plan in item.get("analytic_distribution") or []
                     if str(plan["analytic_plan"]) == default
                     for share in plan["analytic_accounts"]),
                    None,
                )  # fmt: skip
                account = folder["analytic_accounts"].get(f"{default}:{code}")
                plain["analytic_account"] = code
                plain["analytic_account_name"] = account["name"] if account else None
                items.append(plain)
            mono.append({**row, "items": items})
        return mono

    # -- state ---------------------------------------------------------------------------------

    def _seed(self) -> None:
        today = self.clock.now().date()
        stamp = self.clock.stamp()
        for record in seed.FOLDERS:
            folder = Folder(dict(record))
            for year in seed.fiscal_years(today, self.open_years):
                folder["bookyears"].put(year)
            for account in seed.accounts():
                folder["accounts"].put(account)
            for journal in seed.journals():
                folder["journals"].put(journal)
            for vat in seed.vat_codes():
                folder["vat_codes"].put(vat)
            for plan in seed.analytic_plans():
                folder["analytic_plans"].put(plan)
            for account in seed.analytic_accounts():
                folder["analytic_accounts"].put(account)
            for code, name, vat_number in seed.CLIENTS[folder.id]:
                folder["clients"].put(
                    seed.party(code, name, vat_number, seed.CLIENT_COLLECTIVE, stamp)
                )
            for code, name, vat_number in seed.SUPPLIERS[folder.id]:
                folder["suppliers"].put(
                    seed.party(code, name, vat_number, seed.SUPPLIER_COLLECTIVE, stamp)
                )
            for code, first, last, job in seed.EMPLOYEES[folder.id]:
                folder["employees"].put(seed.employee(code, first, last, job))
            self.folders[folder.id] = folder
            for name in RESOURCES:
                self._dirty.extend((folder.id, name, r) for r in folder[name])

    def _put(self, folder: Folder, name: str, record: Record) -> None:
        folder[name].put(record)
        self._dirty.append((folder.id, name, record))

    def _state(self) -> dict[str, Any]:
        return {
            "next_entry": self.next_entry,
            "folders": [f.record for f in self.folders.values()],
        }

    def _in_memory(self, work: Callable[[], T]) -> T:
        try:
            return work()
        finally:
            self._flush()

    def _written(self, result: object) -> None:
        self._flush()

    def _reload(self) -> None:
        self._load()

    def _flush(self) -> None:
        if self.persist is not None:
            for folder, name, record in self._dirty:
                self.persist.save(folder, name, record)
            for key, reply in self._new_replies:
                self.persist.save_reply(self.consumer_id, key, reply)
            self.persist.set_state(self._state())
        self._dirty.clear()
        self._new_replies.clear()

    def _load(self) -> None:
        assert self.persist is not None
        state = self.persist.state()
        try:
            self.next_entry = int(state["next_entry"])
            self.folders = {str(f["id"]): Folder(f) for f in state["folders"]}
            for business, name, record in self.persist.records():
                self.folders[business][name].put(record)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"{self.persist.path}: not a Chift (Sage GE) sandbox state file this version "
                f"can read ({error!r}); delete it to start from a fresh seed"
            ) from None
        self.replies = {key: reply for _, key, reply in self.persist.replies()}
        self._dirty.clear()
        self._new_replies.clear()
        self.persist.synced()


# -- helpers -------------------------------------------------------------------------------------


def _not_supported(method: str, route: str) -> ChiftError:
    # errors__405_resource_not_supported__chift-docs-errors.json, naming this connector.
    return ChiftError(
        405,
        f"The resource {method} - {route} is not supported by {CONNECTOR}",
        "ERROR_RESOURCE_NOT_SUPPORTED",
    )


def _unknown_route(method: str, route: str) -> ChiftError:
    # The chift-samples README (Chift's errors page): an unknown route is a 400.
    return ChiftError(
        400, f"The route {method} {route} does not exist.", "ERROR_API_RESOURCE_NOT_FOUND"
    )


def _item(kind: str, account: str, amount: Decimal, label: str) -> dict[str, Any]:
    """A ``GenericJournalItem``: a positive amount is a debit, a negative one a credit."""
    debit, credit = (amount, Decimal(0)) if amount >= 0 else (Decimal(0), -amount)
    return {
        "account_type": kind, "account": account, "debit": str(debit), "credit": str(credit),
        "description": label,
    }  # fmt: skip


def _invoice_view(record: Record, query: Mapping[str, str]) -> Record:
    """An invoice as ``InvoiceItemOutMonoAnalyticPlan``: lines only with
    ``include_invoice_lines=true`` (the OpenAPI's default is false)."""
    view = {k: v for k, v in record.items() if k != "entry_id"}
    if query.get("include_invoice_lines", "false").lower() != "true":
        view["lines"] = []
    return view


def _body_date(data: Mapping[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(str(data[name]))
    except ValueError:
        raise validation_error(
            "body", name, "Input should be a valid date", "date_from_datetime_parsing"
        ) from None


def _no_folder(ident: str) -> ChiftError:
    # No Chift code for an unknown folder is published (the OpenAPI's GET /folders/{folder_id}
    # has only the generic 400 example): a 404 without error_code, which ChiftError allows.
    return ChiftError(404, f"The folder '{ident}' doesn't exist.")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise validation_error("body", "", "JSON decode error", "json_invalid") from None
    if not isinstance(data, dict):
        raise validation_error("body", "", "Input should be a valid dictionary", "dict_type")
    return data


def _known_fields(data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise validation_error(
            "body",
            f"{where}.{extra[0]}" if where != "body" else extra[0],
            "Extra inputs are not permitted (the sandbox does not simulate this field)",
            "extra_forbidden",
        )


def _int_param(
    query: Mapping[str, str], name: str, default: int, low: int, high: int | None
) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_error(
            "query", name, "Input should be a valid integer", "int_parsing"
        ) from None
    if value < low:
        raise validation_error(
            "query", name, f"Input should be greater than or equal to {low}", "greater_than_equal"
        )
    if high is not None and value > high:
        raise validation_error(
            "query", name, f"Input should be less than or equal to {high}", "less_than_equal"
        )
    return value


def _date_param(query: Mapping[str, str], name: str) -> date | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise validation_error(
            "query", name, "Input should be a valid date", "date_parsing"
        ) from None


def _months_apart(start: date, end: date) -> float:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months + (0.5 if end.day > start.day else 0)


def _amount(item: Mapping[str, Any], name: str, prefix: str = "") -> Decimal:
    """A JSON number (or numeric string) as Decimal; ``prefix`` locates it in the body."""
    value = item.get(name)
    where = prefix + name
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise validation_error("body", where, "Input should be a valid number", "float_type")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise validation_error(
            "body", where, "Input should be a valid number", "float_parsing"
        ) from None
    if not amount.is_finite():
        raise validation_error("body", where, "Input should be a finite number", "finite_number")
    return amount


def _bad_vat() -> ChiftError:
    # errors__422_invalid_vat_format__chift-openapi-example.json, with a French example.
    return ChiftError(
        422,
        "The VAT number doesn't seem to be correct. Please remove dots and whitespaces."
        " The expected format is the following: FR40303265045.",
        "ERROR_INVALID_VAT_FORMAT",
    )


def _vat_ok(vat: str) -> bool:
    # The example message: "Please remove dots and whitespaces" (errors__422_invalid_vat_format).
    return len(vat) >= 4 and vat[:2].isalpha() and vat[:2].isupper() and vat[2:].isalnum()


def _auxiliary_code(kind: str, name: str, existing: Collection) -> str:
    """Sage GE's habit: C/F then the name's letters, upper case, made unique with a digit."""
    letters = "".join(c for c in name.upper() if c.isascii() and c.isalnum())[:8] or "TIERS"
    base = ("C" if kind == "clients" else "F") + letters
    code, n = base, 1
    while existing.get(code) is not None:
        n += 1
        code = f"{base}{n}"
    return code


def _whole_percentages(plan: Mapping[str, Any], where: str) -> None:
    """One plan of a distribution: whole percentages adding up to 100."""
    total = Decimal(0)
    for share in plan["analytic_accounts"]:
        percentage = _amount(share, "percentage", f"{where}.analytic_accounts.")
        if percentage != percentage.to_integral_value():
            raise validation_error(
                "body", f"{where}.analytic_accounts.percentage",
                "Only whole numbers are allowed", "value_error",
            )  # fmt: skip
        total += percentage
    if total != 100:
        raise validation_error(
            "body", where, f"The percentages of analytic plan {plan['analytic_plan']} add up to "
            f"{total}, not 100", "value_error",
        )  # fmt: skip


INVOICE_TYPE_ENUM = (
    "Input should be 'customer_invoice', 'customer_refund', 'supplier_invoice' or 'supplier_refund'"
)


def _invoice_line(n: int, line: Mapping[str, Any]) -> Record:
    """An invoice line as ``InvoiceLineItemOutMonoAnalyticPlan`` (amounts as JSON numbers)."""
    untaxed = float(_amount(line, "untaxed_amount", f"lines.{n}."))
    tax = float(_amount(line, "tax_amount", f"lines.{n}."))
    return {
        "line_number": line.get("line_number", n + 1),
        "unit_price": line.get("unit_price", untaxed),
        "quantity": line.get("quantity", 1),
        "untaxed_amount": untaxed,
        "tax_rate": line.get("tax_rate", 0),
        "tax_amount": tax,
        "total": line.get("total", untaxed + tax),
        "account_number": str(line["account_number"]),
        "tax_code": line.get("tax_code"),
        "description": line.get("description"),
        "analytic_account": line.get("analytic_account"),
    }
