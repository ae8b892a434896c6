"""The Sage 200 Sandbox: the gateway's checks, the site's companies, routing and OData lists."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl

import httpx

from sage200.sandbox import _books as books
from sage200.sandbox import _seed as seed
from sage200.sandbox._books import CUSTOMER, PURCHASES, SALES, SUPPLIER, Company, lookup
from sage200.sandbox._odata_parse import (
    ODataError,
    evaluate,
    parse_expand,
    parse_filter,
    parse_orderby,
    parse_select,
)
from sage200.sandbox._wire import (
    BOOL,
    DATE,
    INT,
    MONEY,
    RATE,
    TEXT,
    ApiError,
    Kind,
    bad_request,
    decode_record,
    encode,
    gateway_error,
    json_reply,
    not_found,
)
from sageflow.sandbox import AsyncSandboxTransport as _AsyncTransport
from sageflow.sandbox import (
    Chaos,
    ChaosGate,
    Clock,
    OAuthRules,
    OAuthServer,
    Persistence,
    Record,
    Reply,
    SandboxTransport,
    Stats,
)
from sageflow.sandbox._shell import SimulatorShell, T

#: The two editions' API paths (issue 14: Standard ``sage200``, Professional ``sage200extra``);
#: the sandbox answers both the same way.
API_PREFIXES = ("/uk/sage200extra/accounts/v1", "/uk/sage200/accounts/v1")
API_PREFIX = API_PREFIXES[0]
#: Accepted on every call and never expires: the no-browser way in (curl, the runner).
DEV_TOKEN = "sageflow-sandbox-token"  # noqa: S105 - a published, sandbox-only credential
#: The developer subscription key the sandbox accepts (``ocp-apim-subscription-key``).
DEV_SUBSCRIPTION_KEY = "sageflow-sandbox-subscription-key"
#: Lifetime of a Sage ID access token (not published: unknown; Sage Accounting's 300 s, so a
#: test meets expiry soon). ``Sandbox(access_token_lifetime=...)`` sets another.
ACCESS_TOKEN_LIFETIME = 300
#: Issue 14's facts: Sage ID refresh tokens live "up to 90 days (ask for the maximum)".
REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600
#: Sage ID's endpoints as the connection calls them (issue 14's facts:
#: ``https://id.sage.com/authorize?audience=s200ukipd/sage200``, ``.../oauth/token``;
#: ``sage200.connection.REVOKE_URL``), at the same paths on the sandbox's host.
SAGE_ID_PATHS = ("/authorize", "/oauth/token", "/oauth/revoke")
#: [Q]: "When 'top' is not specified, the default value is 500"; "The maximum value that can
#: be specified is 5000" (Standard, and Professional after February 2019).
DEFAULT_TOP = 500
MAX_TOP = 5000
#: [Q] documents these system query options; any other ``$`` option is refused.
#: List results kept for paging (each is the filtered, sorted rows of one query).
LIST_CACHE_SIZE = 32
QUERY_OPTIONS = frozenset(
    {"$filter", "$select", "$orderby", "$expand", "$top", "$skip", "$count", "$metadata"}
)

# Azure API Management's own refusal texts (the gateway behind ``ocp-apim-subscription-key``).
MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key when"
    " making requests to an API."
)
INVALID_KEY = (
    "Access denied due to invalid subscription key. Make sure to provide a valid key for an"
    " active subscription."
)
INVALID_TOKEN = "Unauthorized. Access token is missing or invalid."  # noqa: S105 - a message
TUNNEL_DOWN = "The connection to the Sage 200 site is not available."

Data = Mapping[str, Any]
Expander = Callable[[Company, Record], Any]


def _rendered(name: str) -> Expander:
    """An expansion to the record another collection holds under the id ``<name>_id``."""

    def expand(company: Company, record: Record) -> Any:
        target = lookup(company.collection(_EXPAND_TARGETS[name]), record.get(f"{name}_id"))
        return None if target is None else _plain(RESOURCES[_EXPAND_TARGETS[name]], target)

    return expand


_EXPAND_TARGETS = {
    "currency": "currencies",
    "default_tax_code": "tax_codes",
    "default_nominal_code": "nominal_codes",
    "customer": "customers",
    "supplier": "suppliers",
    "cost_centre": "cost_centres",
    "department": "departments",
    "report_category": "nominal_report_categories",
    "bank": "banks",
    "account_currency": "currencies",
    "cheque_currency": "currencies",
    "country_code": "country_codes",
}


def _expanders(*names: str) -> dict[str, Expander]:
    return {name: _rendered(name) for name in names}


def _stored(key: str) -> Expander:
    """An expansion kept inside the record (a customer's ``main_address``)."""
    return lambda company, record: record.get(key)


@dataclass(frozen=True)
class Resource:
    """One simulated resource: routes, the fields it shows, the writes it simulates.

    ``writable`` is the tree of body fields a write acts on (a dict value is a nested object, a
    one-item list an array of such objects); in strict mode any other field is a 400 naming it,
    never accepted and dropped.
    """

    name: str
    fields: frozenset[str]
    on_collection: frozenset[str] = frozenset({"GET"})
    on_record: frozenset[str] = frozenset({"GET"})
    writable: Mapping[str, Any] | None = None
    create: Callable[[Company, Data], Record] | None = None
    update: Callable[[Company, Record, Data], Record] | None = None
    delete: Callable[[Company, Record], None] | None = None
    expand: Mapping[str, Expander] = field(default_factory=dict)
    #: Computed fields, added on each read (a nominal account's balances).
    compute: Callable[[Company, Record], Record] | None = None
    #: A list computed on each request, never stored (``financial_year_period_views``).
    view: Callable[[Company], Iterable[Record]] | None = None
    #: ``/{parent}/{id}/{name}`` lists: parent collection -> the field linking to it.
    parents: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    """A POST that writes but stores no entity of its name (posting answers a ``urn``)."""

    name: str
    writable: Mapping[str, Any]
    run: Callable[[Company, Data], Record]


def _fields(*names: str) -> frozenset[str]:
    return frozenset({"id", *names, "date_time_created", "date_time_updated"})


TRADER = (
    "reference",
    "name",
    "short_name",
    "balance",
    "on_hold",
    "status_reason",
    "account_status_type",
    "currency_id",
    "exchange_rate_type",
    "telephone_country_code",
    "telephone_area_code",
    "telephone_subscriber_number",
    "website",
    "credit_limit",
    "default_tax_code_id",
    "vat_number",
    "payment_terms_days",
    "terms_agreed",
    "country_code_id",
    "early_settlement_discount_percent",
    "early_settlement_discount_days",
    "trading_terms",
    "default_nominal_code_id",
    "default_nominal_code_reference",
    "default_nominal_code_cost_centre",
    "default_nominal_code_department",
)
POSTED = (
    "trader_transaction_type",
    "reference",
    "second_reference",
    "queried",
    "transaction_date",
    "posted_date",
    "due_date",
    "document_goods_value",
    "document_gross_value",
    "document_tax_value",
    "document_discount_value",
    "discount_percent",
    "document_tax_discount_value",
    "document_allocated_value",
    "document_outstanding_value",
    "base_goods_value",
    "base_gross_value",
    "base_tax_value",
    "base_discount_value",
    "base_tax_discount_value",
    "base_allocated_value",
    "control_value_in_base_currency",
    "exchange_rate",
    "settled_immediately",
    "discount_days",
    "urn",
    "user_name",
    "tax_analysis_items",
    "nominal_analysis_items",
    "allocation_history_items",
)
CRUD = frozenset({"GET", "PUT", "DELETE"})
LIST_CREATE = frozenset({"GET", "POST"})
CODE_WRITABLE = {
    "code": TEXT,
    "name": TEXT,
    "contact_name": TEXT,
    "contact_details": TEXT,
    "contact_email_address": TEXT,
}
NOMINAL_WRITABLE = {
    "reference": TEXT,
    "name": TEXT,
    "cost_centre_id": INT,
    "department_id": INT,
    "report_category_id": INT,
    "nominal_account_type": TEXT,
    "account_status_type": TEXT,
    "allow_manual_journal_entries": BOOL,
}
BANK_WRITABLE = {
    **dict.fromkeys(books.BANK_TEXT, TEXT),
    "overdraft_limit": MONEY,
    "account_currency_id": INT,
}
DOCUMENT_WRITABLE: dict[str, Any] = {
    "transaction_date": DATE,
    "due_date": DATE,
    "reference": TEXT,
    "second_reference": TEXT,
    "settled_immediately": BOOL,
    "exchange_rate": RATE,
    "document_goods_value": MONEY,
    "document_tax_value": MONEY,
    "document_discount_value": MONEY,
    "document_tax_discount_value": MONEY,
    "discount_percent": MONEY,
    "discount_days": INT,
    "tax_analysis_items": [
        {
            "id": INT,
            "goods_amount": MONEY,
            "discount_amount": MONEY,
            "tax_amount": MONEY,
            "tax_discount_amount": MONEY,
        }
    ],
    "nominal_analysis_items": [
        {
            "code": TEXT,
            "cost_centre": TEXT,
            "department": TEXT,
            "narrative": TEXT,
            "value": MONEY,
            "transaction_analysis_code": TEXT,
        }
    ],
}
CASH_WRITABLE = {
    "bank_id": INT,
    "exchange_rate": RATE,
    "cheque_value": MONEY,
    "settlement_discount_value": MONEY,
    "transaction_date": DATE,
    "reference": TEXT,
    "second_reference": TEXT,
}
BANK_ENTRY_WRITABLE: dict[str, Any] = {
    "bank_id": INT,
    "narrative": TEXT,
    "transaction_date": DATE,
    "reference": TEXT,
    "second_reference": TEXT,
    "cheque_value": MONEY,
    "nominal_analysis_items": [
        {
            "code": TEXT,
            "cost_centre": TEXT,
            "department": TEXT,
            "narrative": TEXT,
            "gross_value": MONEY,
            "goods_value": MONEY,
            "tax_code_id": INT,
            "tax_value": MONEY,
        }
    ],
}


def _periods(company: Company) -> Iterable[Record]:
    return (period.view() for period in company.periods)


RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in (
        Resource(
            "customers",
            _fields(*TRADER),
            LIST_CREATE,
            CRUD,
            {**books.TRADER_FIELDS},
            create=lambda c, d: books.create_trader(c, CUSTOMER, d),
            update=lambda c, r, d: books.update_trader(c, CUSTOMER, r, d),
            delete=lambda c, r: books.delete_trader(c, CUSTOMER, r),
            expand={
                **_expanders(
                    "currency", "default_tax_code", "default_nominal_code", "country_code"
                ),
                "main_address": _stored("main_address"),
            },
        ),
        Resource(
            "suppliers",
            _fields(*TRADER),
            LIST_CREATE,
            CRUD,
            {**books.TRADER_FIELDS},
            create=lambda c, d: books.create_trader(c, SUPPLIER, d),
            update=lambda c, r, d: books.update_trader(c, SUPPLIER, r, d),
            delete=lambda c, r: books.delete_trader(c, SUPPLIER, r),
            expand={
                **_expanders(
                    "currency", "default_tax_code", "default_nominal_code", "country_code"
                ),
                "main_address": _stored("main_address"),
            },
        ),
        Resource(
            "nominal_codes",
            _fields(
                "name",
                "reference",
                "cost_centre_id",
                "cost_centre_code",
                "department_id",
                "department_code",
                "nominal_account_type",
                "account_status_type",
                "report_category_id",
                "balance_year_to_date",
                "debit_balance_year_to_date",
                "credit_balance_year_to_date",
                "brought_forward_balance",
                "allow_manual_journal_entries",
            ),
            LIST_CREATE,
            CRUD,
            NOMINAL_WRITABLE,
            create=books.create_nominal,
            update=books.update_nominal,
            delete=books.delete_nominal,
            expand=_expanders("cost_centre", "department", "report_category"),
            compute=books.nominal_balances,
        ),
        *(
            Resource(
                name,
                _fields("code", "name", "contact_name", "contact_details", "contact_email_address"),
                LIST_CREATE,
                CRUD,
                CODE_WRITABLE,
                create=lambda c, d, name=name: books.create_code(c, name, d),  # type: ignore[misc]
                update=lambda c, r, d, name=name: books.update_code(c, name, r, d),  # type: ignore[misc]
                delete=lambda c, r, name=name: books.delete_code(c, name, r),  # type: ignore[misc]
            )
            for name in ("cost_centres", "departments")
        ),
        Resource(
            "nominal_report_categories",
            _fields("account_report_type", "code", "description", "account_report_category_type"),
        ),
        Resource(
            "country_codes",
            _fields("code", "name", "eu_member"),
        ),
        Resource("ledger_types", frozenset({"id", "description", "value"}), on_record=frozenset()),
        Resource(
            "nominal_transaction_analysis_codes",
            _fields("code", "description", "active"),
            on_record=frozenset(),
        ),
        Resource(
            "tax_codes",
            _fields(
                "code",
                "name",
                "tax_rate",
                "terms",
                "terms_description",
                "is_notional_acquisition_tax",
            ),
        ),
        Resource(
            "currencies",
            _fields(
                "symbol",
                "name",
                "core_currency_rate",
                "euro_currency_rate",
                "is_base_currency",
                "is_euro_currency",
                "use_for_new_accounts",
                "exchange_rate_type",
                "exchange_rate_amendability_type",
                "currency_iso_code_id",
            ),
        ),
        Resource(
            "banks",
            _fields(
                *books.BANK_TEXT,
                "account_type",
                "account_status_type",
                "balance",
                "balance_in_base",
                "overdraft_limit",
                "account_currency_id",
            ),
            LIST_CREATE,
            CRUD,
            BANK_WRITABLE,
            create=books.create_bank,
            update=books.update_bank,
            delete=books.delete_bank,
            expand=_expanders("account_currency"),
        ),
        Resource(
            "company_details",
            _fields(
                "name",
                "telephone",
                "fax",
                "email",
                "website",
                "tax_registration_number",
                "years_accounts_held_for",
                "country_code_id",
            ),
            on_record=frozenset({"GET", "PUT"}),
            writable=dict.fromkeys(books.COMPANY_TEXT, TEXT),
            update=books.update_company_details,
            expand=_expanders("country_code"),
        ),
        Resource(
            "sales_posted_transactions",
            _fields("customer_id", "full_settlement_date", *POSTED),
            expand=_expanders("customer"),
            parents={"customers": "customer_id"},
        ),
        Resource(
            "purchase_posted_transactions",
            _fields("supplier_id", "vat_adjustment_doc_expected", *POSTED),
            expand=_expanders("supplier"),
            parents={"suppliers": "supplier_id"},
        ),
        Resource(
            "bank_posted_transactions",
            _fields(
                "bank_id",
                "bank_transaction_type",
                "entry_description",
                "reference",
                "second_reference",
                "transaction_date",
                "posted_date",
                "cheque_value",
                "cheque_discount_value",
                "cheque_to_account_currency_rate",
                "bank_cheque_to_base_currency_rate",
                "cheque_currency_id",
                "source",
                "urn",
                "user_name",
                "nominal_analysis_items",
            ),
            expand=_expanders("bank", "cheque_currency"),
            parents={"banks": "bank_id"},
        ),
        Resource(
            "nominal_transaction_enquiry_views",
            frozenset(
                {
                    "id",
                    "nominal_code_id",
                    "transaction_date",
                    "period_number",
                    "reference",
                    "narrative",
                    "transaction_analysis_code",
                    "debit",
                    "credit",
                    "user_name",
                    "source",
                    "urn",
                    "accounting_period_id",
                    "financial_year_id",
                    "financial_year_start_date",
                    "year_relative_to_current_year",
                }
            ),
            parents={"nominal_codes": "nominal_code_id"},
        ),
        Resource(
            "financial_year_period_views",
            frozenset(
                {
                    "financial_year_id",
                    "financial_year_start_date",
                    "financial_year_end_date",
                    "year_relative_to_current_year",
                    "number_of_periods_in_year",
                    "accounting_period_id",
                    "period_number",
                    "period_start_date",
                    "period_end_date",
                }
            ),
            on_record=frozenset(),
            view=_periods,
        ),
    )
}


def _urn(post: Callable[[Company, Data], Record]) -> Callable[[Company, Data], Record]:
    # [S200 sales] ``urn``: the POST answers ``{"urn": "..."}``, a string of at most 20.
    return lambda company, data: {"urn": str(post(company, data)["urn"])}


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "sales_invoices",
            {"customer_id": INT, **DOCUMENT_WRITABLE},
            _urn(lambda c, d: books.post_document(c, SALES, d, credit=False)),
        ),
        Action(
            "sales_credit_notes",
            {
                "customer_id": INT,
                **{k: v for k, v in DOCUMENT_WRITABLE.items() if k != "due_date"},
            },
            _urn(lambda c, d: books.post_document(c, SALES, d, credit=True)),
        ),
        Action(
            "purchase_invoices",
            {"supplier_id": INT, **DOCUMENT_WRITABLE},
            _urn(lambda c, d: books.post_document(c, PURCHASES, d, credit=False)),
        ),
        Action(
            "purchase_credit_notes",
            {
                "supplier_id": INT,
                **{k: v for k, v in DOCUMENT_WRITABLE.items() if k != "due_date"},
            },
            _urn(lambda c, d: books.post_document(c, PURCHASES, d, credit=True)),
        ),
        Action(
            "sales_receipts",
            {"customer_id": INT, **CASH_WRITABLE},
            _urn(lambda c, d: books.post_cash(c, SALES, d)),
        ),
        Action(
            "purchase_payments",
            {"supplier_id": INT, **CASH_WRITABLE},
            _urn(lambda c, d: books.post_cash(c, PURCHASES, d)),
        ),
        Action(
            "sales_allocations",
            {
                "customer_id": INT,
                "allocation_date": DATE,
                "allocation_lines": [{"posted_tran_id": INT, "value_to_allocate": MONEY}],
            },
            books.allocate,
        ),
        Action(
            "bank_payment",
            BANK_ENTRY_WRITABLE,
            lambda c, d: books.post_bank_entry(c, d, receipt=False),
        ),
        Action(
            "bank_receipt",
            BANK_ENTRY_WRITABLE,
            lambda c, d: books.post_bank_entry(c, d, receipt=True),
        ),
        Action(
            "transaction_date_validation",
            {"date": DATE, "ledger_type": TEXT},
            books.validate_transaction_date,
        ),
    )
}
#: Actions that create something (answered with ``created_status``); the others answer 200.
CREATES = frozenset(ACTIONS) - {"transaction_date_validation"}


def _plain(resource: Resource, record: Record) -> Record:
    """A record as the API shows it without ``$expand``: its fields, nothing nested-on-demand."""
    return {key: value for key, value in record.items() if key in resource.fields}


def _unsimulated(data: Any, spec: Mapping[str, Any], path: str = "") -> str | None:
    """The first body field outside ``spec`` (its path), or None."""
    if not isinstance(data, Mapping):
        return None
    for key, value in data.items():
        where = f"{path}{key}"
        if key not in spec:
            return where
        inner = spec[key]
        if isinstance(inner, dict):
            found = _unsimulated(value, inner, where + ".")
        elif isinstance(inner, list) and isinstance(value, list):
            found = next(
                (
                    hit
                    for index, item in enumerate(value)
                    if (hit := _unsimulated(item, inner[0], f"{where}[{index}]."))
                ),
                None,
            )
        else:
            found = None
        if found:
            return found
    return None


def _check_types(data: Any, spec: Mapping[str, Any], path: str = "") -> None:
    """Refuses (400, the first error) a simulated field whose JSON type is not the spec's."""
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        inner = spec.get(key)
        where = f"{path}{key}"
        if isinstance(inner, Kind):
            inner.check(value, where)
        elif isinstance(inner, dict):
            if not isinstance(value, Mapping):
                raise bad_request(f"The value of '{where}' is not an object.")
            _check_types(value, inner, where + ".")
        elif isinstance(inner, list):
            if not isinstance(value, list):
                raise bad_request(f"The value of '{where}' is not an array.")
            for index, item in enumerate(value):
                if not isinstance(item, Mapping):
                    raise bad_request(f"The value of '{where}[{index}]' is not an object.")
                _check_types(item, inner[0], f"{where}[{index}].")


@dataclass(frozen=True)
class _Query:
    node: Any
    select: list[str] | None
    orderby: list[tuple[str, bool]] | None
    expand: list[str]
    top: int
    skip: int
    count: bool


class Sandbox(SimulatorShell):
    """A simulated Sage 200 (Standard and Professional) API, usable synchronously.

    Args:
        clock: sandbox time; :meth:`Clock.manual` for tests that advance it by hand.
        chaos: fault injection (``sageflow.sandbox.Chaos``), also settable later.
        data: a SQLite file; state is loaded from it when it exists and every write goes to it.
        require_auth: refuse calls without the subscription key and a valid bearer token.
        strict: refuse (400 naming the field) a body field the sandbox does not simulate, rather
            than accept and drop it; ``False`` accepts and ignores such fields.
        gateway_timeout_rate: share of API requests answered 504 before processing (the
            on-premise tunnel failing for a moment; issue 14's facts list 504).
        tunnel_down: every call answers 504 and ``/sites`` an empty list with it, as Sage 200
            does when a site's on-premise tunnel is down (issue 14's facts).
        top_above_max: what ``$top`` above 5000 gets; unknown ([Q] gives the maximum, not the
            answer): ``"error"`` (default, a 400) or ``"clamp"`` (5000 records).
        count: where ``$count=true`` puts the count; unknown for Sage 200's bare-array lists:
            ``"envelope"`` (default; OData v4 JSON: ``{"@odata.count": n, "value": [...]}``)
            or ``"header"`` (the bare array, the count in ``X-Total-Count``).
        created_status: the status of a successful POST that creates: 200 (default; every
            operation of the module specs documents 200) or 201 (Sage's FAQ lists 201 Created).
        case_insensitive: ``$filter`` text comparisons ignore case (default; inferred: Sage 200
            runs on SQL Server, whose default collation ignores case).
        navigation_paths: ``$filter``/``$orderby`` may read an expandable record's field
            (``customer/reference eq 'ABB001'``), as OData's path expressions do (default);
            [Q] does not mention them (unknown), ``False`` refuses them with a 400.
        access_token_lifetime: seconds a Sage ID access token lives (unpublished: unknown).
        rotate_refresh_tokens: whether Sage ID rotates the refresh token on every refresh
            (unknown: Sage ID is an Auth0 tenant, where rotation is a per-app setting).
            ``True`` (default, as Sage Accounting does): a refresh answers a new refresh
            token and the one used is refused from then on. ``False``: no new refresh token,
            the one used stays valid until it expires.
        refresh_absolute: whether a rotated refresh token keeps the grant's first expiry (an
            absolute 90 days, ``True``) or lives 90 days from its own issue (default);
            unknown, the facts say only "up to 90 days".
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        chaos: Chaos | None = None,
        data: str | Path | None = None,
        require_auth: bool = True,
        strict: bool = True,
        gateway_timeout_rate: float = 0.0,
        tunnel_down: bool = False,
        top_above_max: str = "error",
        count: str = "envelope",
        created_status: int = 200,
        case_insensitive: bool = True,
        navigation_paths: bool = True,
        access_token_lifetime: int = ACCESS_TOKEN_LIFETIME,
        rotate_refresh_tokens: bool = True,
        refresh_absolute: bool = False,
    ) -> None:
        if top_above_max not in {"error", "clamp"}:
            raise ValueError("top_above_max must be 'error' or 'clamp'")
        if count not in {"envelope", "header"}:
            raise ValueError("count must be 'envelope' or 'header'")
        if created_status not in {200, 201}:
            raise ValueError("created_status must be 200 or 201")
        self.clock = clock or Clock()
        self.stats = Stats()
        self._lock = threading.RLock()
        self.gate = ChaosGate(chaos or Chaos(), self.stats, self.clock.time, self._lock)
        self.require_auth = require_auth
        self.strict = strict
        self.gateway_timeout_rate = gateway_timeout_rate
        self.tunnel_down = tunnel_down
        self.top_above_max = top_above_max
        self.count_style = count
        self.created_status = created_status
        self.case_insensitive = case_insensitive
        self.navigation_paths = navigation_paths
        self.oauth = OAuthServer(
            self.clock,
            sage_id_rules(access_token_lifetime, rotate_refresh_tokens, refresh_absolute),
            str(_CURRENT_USER["id"]),
        )
        self._lists: dict[tuple[Any, ...], list[Record]] = {}
        #: How many list results were computed rather than read from the cache (for tests).
        self.list_builds = 0
        self.companies: dict[int, Company] = {}
        self.persist = Persistence(Path(data)) if data is not None else None
        if self.persist is None:
            self._seed()
        else:
            with self.persist.write():
                if self.persist.is_empty():
                    self._seed()
                    self._save_all()
                else:
                    self._load()

    # -- public surface (the same as sage_accounting.sandbox.Sandbox's) -------------------------

    #: Where requests go in-process, and with what token (the runner's sandbox fallback).
    api_base = "http://sandbox200" + API_PREFIX
    access_token = DEV_TOKEN
    subscription_key = DEV_SUBSCRIPTION_KEY
    site_id = seed.SITE_ID

    @property
    def chaos(self) -> Chaos:
        return self.gate.chaos

    @chaos.setter
    def chaos(self, value: Chaos) -> None:
        self.gate.chaos = value

    @property
    def company_id(self) -> int:
        """The lead company's id (``X-Company``)."""
        return next(iter(self.companies))

    def headers(self, company: int | None = None) -> dict[str, str]:
        """What a client sends on every company call: token, subscription key, site, company."""
        return {
            "Authorization": f"Bearer {self.access_token}",
            "ocp-apim-subscription-key": self.subscription_key,
            "X-Site": self.site_id,
            "X-Company": str(company if company is not None else self.company_id),
        }

    def describe(self, base: str) -> list[tuple[str, str]]:
        """What ``sageflow sandbox serve`` prints under the API base: headers, Sage ID."""
        companies = ", ".join(f"{c.id} ({c.name})" for c in self.companies.values())
        return [
            ("Sub. key", f"{self.subscription_key}  (ocp-apim-subscription-key)"),
            ("X-Site", self.site_id),
            ("X-Company", companies),
            ("Sage ID", f"{base}/authorize, {base}/oauth/token"),
        ]

    def transport(self) -> httpx.BaseTransport:
        """An ``httpx`` transport that calls this sandbox in-process (no socket)."""
        return SandboxTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        return _AsyncTransport(self)

    def company(self, company_id: int | None = None) -> Company:
        return self.companies[company_id if company_id is not None else self.company_id]

    def records(self, resource: str, company: int | None = None) -> list[Record]:
        """The stored records of a resource, for assertions."""
        return list(self.company(company).collection(resource))

    def issue_token(self, client_id: str = "sandbox-client") -> dict[str, Any]:
        """A token pair as Sage ID's token endpoint would return it, without the browser."""
        with self._lock:
            return self.oauth.issue(client_id, SCOPES)

    def advance(self, seconds: float) -> None:
        """Move sandbox time forward (expires issued tokens, refills the rate-limit bucket)."""
        self.clock.advance(seconds)

    # -- the handler -----------------------------------------------------------------------------

    def _dispatch(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        if self.oauth.owns(path):
            # Sage ID is another host (id.sage.com): no subscription key, no chaos.
            return self.oauth.handle(method, path, query, headers, body)
        prefix = next((p for p in API_PREFIXES if path.startswith(p + "/")), None)
        if prefix is None:
            return gateway_error(404, "Resource not found")
        refused = self._authenticate(headers)
        if refused is not None:
            return refused
        fault = self._chaos_before()
        if fault is not None:
            return fault
        route = path[len(prefix) :].strip("/")
        if self.tunnel_down:
            payload: object = [] if route == "sites" else {"Message": TUNNEL_DOWN}
            return json_reply(504, payload)
        try:
            reply = self._route(method, route, query, headers, body)
        except ApiError as error:
            return error.reply()
        except ODataError as error:
            return bad_request(str(error)).reply()
        if method != "GET" and reply.status < 300 and self.gate.drops_after_commit():
            reply.fault = "drop"
        return reply

    def _authenticate(self, headers: Mapping[str, str]) -> Reply | None:
        """The gateway's checks: the subscription key first, then the bearer token (issue 14:
        every request carries both; missing or wrong ones are a 401)."""
        if not self.require_auth:
            return None
        key = headers.get("ocp-apim-subscription-key")
        if not key:
            return gateway_error(401, MISSING_KEY)
        if not secrets.compare_digest(key.encode(), self.subscription_key.encode()):
            return gateway_error(401, INVALID_KEY)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        # An expired token gets the same 401 as an unknown one (the gateway's one text).
        if scheme.lower() == "bearer" and token and self.oauth.token_state(token) == "ok":
            return None
        return gateway_error(401, INVALID_TOKEN, {"www-authenticate": "Bearer"})

    def _chaos_before(self) -> Reply | None:
        """429/503/504 carry ``Retry-After`` so clients back off (issue 14: "No public rate
        limit: back off on 429/503/504"); the bodies are the gateway's shape."""
        fault = self.gate.before()
        rate = self.gateway_timeout_rate
        if fault is None and rate and self.gate.random.random() < rate:
            self.stats.faults["error_504"] += 1
            return gateway_error(504, TUNNEL_DOWN, {"retry-after": str(self.chaos.retry_after)})
        if fault is None:
            return None
        if fault.status == 429:
            return gateway_error(
                429,
                f"Rate limit is exceeded. Try again in {fault.throttle_seconds} seconds.",
                {"retry-after": str(fault.throttle_seconds)},
            )
        if fault.status == 0:
            return Reply(504, {}, b"", fault="timeout")
        self.stats.faults[f"error_{fault.status}"] += 1
        if fault.status == 503:
            return gateway_error(
                503, "The service is unavailable.", {"retry-after": str(self.chaos.retry_after)}
            )
        return json_reply(500, {"Message": "An error has occurred."})

    # -- routing ---------------------------------------------------------------------------------

    def _route(
        self, method: str, route: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        parts = route.split("/") if route else []
        pairs = parse_qsl(query, keep_blank_values=True)
        if parts == ["sites"]:
            self._allow(method, frozenset({"GET"}))
            return json_reply(200, self._sites())
        if parts == ["current_user"]:
            self._allow(method, frozenset({"GET"}))
            return json_reply(200, _CURRENT_USER)
        company = self._company(headers)
        if not parts:
            raise _no_route(route)
        name = parts[0]
        action = ACTIONS.get(name)
        if action is not None and len(parts) == 1:
            self._allow(method, frozenset({"POST"}))
            data = self._body(body, action.writable)
            result = action.run(company, data)
            status = self.created_status if name in CREATES else 200
            return json_reply(status, result)
        if len(parts) == 3 and parts[2] in RESOURCES:
            child = RESOURCES[parts[2]]
            link = child.parents.get(name)
            if link is None or name not in RESOURCES:
                raise _no_route(route)
            self._allow(method, frozenset({"GET"}))
            owner = lookup(company.collection(name), _int_id(parts[1]))
            if owner is None:
                raise not_found()
            return self._list(company, child, pairs, owner_link=(link, owner["id"]))
        resource = RESOURCES.get(name)
        if resource is None or len(parts) > 2 or (len(parts) == 2 and not resource.on_record):
            raise _no_route(route)
        if len(parts) == 1:
            self._allow(method, resource.on_collection)
            if method == "GET":
                return self._list(company, resource, pairs)
            assert resource.create is not None
            data = self._body(body, resource.writable or {})
            created = resource.create(company, data)
            return json_reply(self.created_status, self._one(company, resource, created, []))
        self._allow(method, resource.on_record)
        record = lookup(company.collection(name), _int_id(parts[1]))
        if record is None:
            raise not_found()
        if method == "GET":
            return json_reply(200, self._one(company, resource, record, pairs))
        if method == "DELETE":
            assert resource.delete is not None
            resource.delete(company, record)
            return Reply(200 if self.created_status == 200 else 204, {}, b"")
        assert resource.update is not None
        data = self._body(body, resource.writable or {})
        updated = resource.update(company, record, data)
        return json_reply(200, self._one(company, resource, updated, []))

    def _allow(self, method: str, allowed: frozenset[str]) -> None:
        if method not in allowed:
            # ASP.NET Web API's wording for a verb the route does not take.
            raise ApiError(
                405,
                f"The requested resource does not support http method '{method}'.",
                {"allow": ", ".join(sorted(allowed))},
            )

    def _company(self, headers: Mapping[str, str]) -> Company:
        """``X-Site`` and ``X-Company`` pick the company (issue 14's facts; both from ``/sites``).

        Inferred, as Sage publishes no example: a missing or malformed header is a 400 (a
        malformed request, [F]); a site or company the user cannot reach is a 403.
        """
        site = headers.get("x-site")
        raw = headers.get("x-company")
        if not site:
            raise bad_request("The X-Site header is required (a site_id from GET /sites).")
        if not raw:
            raise bad_request("The X-Company header is required (a company_id from GET /sites).")
        try:
            company_id = int(raw)
        except ValueError:
            raise bad_request(f"The X-Company header {raw!r} is not an integer.") from None
        if site.strip().lower() != self.site_id:
            raise ApiError(403, "The user does not have access to the requested site.")
        company = self.companies.get(company_id)
        if company is None:
            raise ApiError(403, "The user does not have access to the requested company.")
        return company

    def _sites(self) -> list[Record]:
        # [S200 general] ``GET /sites``: one row per company the user can reach.
        return [
            {
                "company_id": company.id,
                "company_name": company.name,
                "site_id": self.site_id,
                "site_name": seed.SITE_NAME,
                "site_short_name": seed.SITE_SHORT_NAME,
            }
            for company in self.companies.values()
        ]

    def _body(self, body: bytes, writable: Mapping[str, Any]) -> Data:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise bad_request("The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise bad_request("The request body must be a JSON object.")
        if self.strict:
            extra = _unsimulated(data, writable)
            if extra is not None:
                raise bad_request(
                    f"The field '{extra}' is not simulated by the sandbox (strict mode);"
                    " Sandbox(strict=False) accepts and ignores it."
                )
        _check_types(data, writable)
        return data

    # -- reading ---------------------------------------------------------------------------------

    def _query(self, resource: Resource, pairs: list[tuple[str, str]], *, one: bool) -> _Query:
        options: dict[str, str] = {}
        for key, value in pairs:
            if not key.startswith("$"):
                continue  # other parameters are not OData options; the API ignores them
            if key not in QUERY_OPTIONS:
                raise bad_request(f"The query parameter '{key}' is not supported.")
            if key in options:
                raise bad_request(f"The query parameter '{key}' is given more than once.")
            options[key] = value
        if one and set(options) - {"$select", "$expand", "$metadata"}:
            raise bad_request("Only $select and $expand apply to a single record.")
        expandable = frozenset(resource.expand)
        expand = parse_expand(options["$expand"], expandable) if "$expand" in options else []
        select = (
            parse_select(options["$select"], resource.fields, expandable)
            if "$select" in options
            else None
        )
        navigations = self._navigations(resource)
        node = (
            parse_filter(options["$filter"], resource.fields, navigations)
            if "$filter" in options
            else None
        )
        orderby = (
            parse_orderby(options["$orderby"], resource.fields, navigations)
            if "$orderby" in options
            else None
        )
        top = _count_option(options, "$top", DEFAULT_TOP)
        if top > MAX_TOP:
            if self.top_above_max == "error":
                raise bad_request(f"The $top value {top} is above the maximum of {MAX_TOP}.")
            top = MAX_TOP
        skip = _count_option(options, "$skip", 0)
        if "$skip" in options and orderby is None:
            # [Q]: "When using $skip, you must also use the $orderby parameter. Failure to do so
            # will result in an error."
            raise bad_request("$skip requires $orderby.")
        count = options.get("$count", "false").lower()
        if count not in {"true", "false"}:
            raise bad_request("The $count value must be true or false.")
        return _Query(node, select, orderby, expand, top, skip, count == "true")

    def _navigations(self, resource: Resource) -> dict[str, frozenset[str]]:
        """What ``$filter`` and ``$orderby`` may reach through ``navigation/field`` paths."""
        if not self.navigation_paths:
            return {}
        out = {
            name: RESOURCES[target].fields
            for name in resource.expand
            if (target := _EXPAND_TARGETS.get(name)) is not None
        }
        if "main_address" in resource.expand:
            out["main_address"] = frozenset(books.ADDRESS_TEXT) | {"country", "contact_name"}
        return out

    def _list(
        self,
        company: Company,
        resource: Resource,
        pairs: list[tuple[str, str]],
        owner_link: tuple[str, int] | None = None,
    ) -> Reply:
        query = self._query(resource, pairs, one=False)
        rows = self._matching(company, resource, pairs, owner_link, query)
        total = len(rows)
        page = rows[query.skip : query.skip + query.top]
        items = [self._shape(company, resource, row, query.expand, query.select) for row in page]
        if query.count:
            if self.count_style == "envelope":
                return json_reply(200, {"@odata.count": total, "value": items})
            return json_reply(200, items, {"x-total-count": str(total)})
        return json_reply(200, items)

    def _matching(
        self,
        company: Company,
        resource: Resource,
        pairs: list[tuple[str, str]],
        owner_link: tuple[str, int] | None,
        query: _Query,
    ) -> list[Record]:
        """The filtered, sorted rows of a list, cached until the company's next write: paging
        through N records with ``$skip`` filters and sorts them once, not once a page."""
        options = tuple((k, v) for k, v in pairs if k in {"$filter", "$orderby"})
        versions = tuple(c.version for c in company.collections.values())
        key = (id(company), resource.name, owner_link, options, versions)
        cached = self._lists.get(key)
        if cached is not None:
            return cached
        self.list_builds += 1
        if resource.view is not None:
            source: Iterable[Record] = resource.view(company)
        else:
            source = company.collection(resource.name)
        rows = [self._computed(company, resource, record) for record in source]
        if owner_link is not None:
            link, owner = owner_link
            rows = [row for row in rows if row.get(link) == owner]

        def resolve(row: Mapping[str, Any], path: str) -> Any:
            head, _, tail = path.partition("/")
            child = resource.expand[head](company, cast(Record, row))
            return child.get(tail) if isinstance(child, dict) else None

        def value(row: Record, name: str) -> Any:
            return resolve(row, name) if "/" in name else row.get(name)

        if query.node is not None:
            rows = [
                row
                for row in rows
                if evaluate(query.node, row, fold=self.case_insensitive, resolve=resolve)
            ]
        if query.orderby:
            for field_name, descending in reversed(query.orderby):
                rows.sort(key=lambda row: _sort_key(value(row, field_name)), reverse=descending)
        if len(self._lists) >= LIST_CACHE_SIZE:
            self._lists.pop(next(iter(self._lists)))
        self._lists[key] = rows
        return rows

    def _computed(self, company: Company, resource: Resource, record: Record) -> Record:
        return resource.compute(company, record) if resource.compute else record

    def _one(
        self, company: Company, resource: Resource, record: Record, pairs: list[tuple[str, str]]
    ) -> Record:
        query = self._query(resource, pairs, one=True)
        row = self._computed(company, resource, record)
        return self._shape(company, resource, row, query.expand, query.select)

    def _shape(
        self,
        company: Company,
        resource: Resource,
        row: Record,
        expand: list[str],
        select: list[str] | None,
    ) -> Record:
        out = _plain(resource, row)
        for name in expand:
            out[name] = resource.expand[name](company, row)
        if select is None or "*" in select:
            return out
        picked: Record = {}
        for item in select:
            head, _, tail = item.partition(".")
            if not tail:
                if head in out:
                    picked[head] = out[head]
                continue
            child = out.get(head)
            if head not in expand:
                raise bad_request(f"$select of '{item}' needs $expand={head}.")
            if isinstance(child, dict):
                kept = picked.setdefault(head, {})
                if tail not in child:
                    raise bad_request(f"Could not find a property named '{tail}' on '{head}'.")
                kept[tail] = child[tail]
            else:
                picked[head] = None
        return picked

    # -- state -----------------------------------------------------------------------------------

    def _seed(self) -> None:
        now = self.clock.now()
        for index, (company_id, name) in enumerate(seed.COMPANIES):
            company = Company(company_id, name, self.clock, books.calendar_periods(now.year))
            seed.seed_reference(company)
            if index == 0:
                seed.seed_books(company)
            company.dirty.clear()
            self.companies[company_id] = company

    def _new_company(self, company_id: int, name: str, year: int) -> Company:
        return Company(company_id, name, self.clock, books.calendar_periods(year))

    def _state(self) -> dict[str, Any]:
        return {
            "year": next(iter(self.companies.values())).periods[12].year_start.year,
            "companies": {
                str(c.id): {"name": c.name, "next_ids": c.next_ids, "next_urn": c.next_urn}
                for c in self.companies.values()
            },
        }

    def _save_all(self) -> None:
        assert self.persist is not None
        for company in self.companies.values():
            for name, collection in company.collections.items():
                for record in collection:
                    self.persist.save(str(company.id), name, encode(record))
        self.persist.set_state(self._state())

    def _in_memory(self, work: Callable[[], T]) -> T:
        try:
            return work()
        finally:
            self._flush()

    def _written(self, result: object) -> None:
        # A refused write may have changed memory before it was refused: the file is right.
        if not isinstance(result, Reply) or result.status < 300:
            self._flush()
        else:
            self._discard()

    def _reload(self) -> None:
        self._load()

    def _flush(self) -> None:
        """Write what this request changed, in the request's transaction."""
        for company in self.companies.values():
            if self.persist is not None:
                for name, record in company.dirty:
                    self.persist.save(str(company.id), name, encode(record))
                for name, key, when in company.removed:
                    self.persist.delete(str(company.id), name, str(key), when)
            company.dirty.clear()
            company.removed.clear()
        if self.persist is not None:
            self.persist.set_state(self._state())

    def _load(self) -> None:
        assert self.persist is not None
        state = self.persist.state()
        self.companies = {}
        self._lists.clear()
        try:
            year = int(state["year"])
            for key, info in state["companies"].items():
                company = self._new_company(int(key), info["name"], year)
                company.next_ids = dict(info["next_ids"])
                company.next_urn = int(info["next_urn"])
                company.controls.update(seed.CONTROLS)
                self.companies[company.id] = company
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(
                f"{self.persist.path}: not a Sage 200 sandbox state file this version can read"
                f" ({error!r}); delete it to start from a fresh seed"
            ) from None
        for business, name, record in self.persist.records():
            self.companies[int(business)].collection(name).put(decode_record(record))
        self.persist.synced()

    def _discard(self) -> None:
        """A refused write may have changed memory before it was refused: reload the file."""
        assert self.persist is not None
        if any(c.dirty or c.removed for c in self.companies.values()):
            self._load()


_CURRENT_USER: Record = {
    "id": 1,
    "logon_name": books.USER_NAME,
    "friendly_name": "Sageflow Sandbox User",
    "email_address": "sandbox@example.co.uk",
    "is_web_user": True,
    "last_logon_date_time": "2026-01-05T09:00:00",
}


#: What the connection asks Sage ID for (``sage200.connection.SCOPES``).
SCOPES = "openid profile email offline_access"


def sage_id_rules(
    access_lifetime: int = ACCESS_TOKEN_LIFETIME,
    rotate_refresh: bool = True,
    refresh_absolute: bool = False,
) -> OAuthRules:
    """Sage ID (an Auth0 tenant) as the Sage 200 connection meets it.

    Known (issue 14's facts): the paths, the scopes, refresh tokens of up to 90 days. Unknown,
    so parameters: the access token's lifetime and the refresh token's rotation. Auth0's own
    shapes otherwise: ``token_type: Bearer``, the scope granted echoed, no refresh token
    lifetime in the answer, and an empty 200 from ``/oauth/revoke``.
    """
    authorize, token, revoke = SAGE_ID_PATHS
    return OAuthRules(
        authorize_path=authorize,
        token_path=token,
        revoke_path=revoke,
        access_lifetime=access_lifetime,
        refresh_lifetime=REFRESH_TOKEN_LIFETIME,
        rotate_refresh=rotate_refresh,
        refresh_absolute=refresh_absolute,
        token_type="Bearer",  # noqa: S106 - a token type, not a secret
        dev_token=DEV_TOKEN,
    )


def _no_route(route: str) -> ApiError:
    # ASP.NET Web API's wording for a URI no route matches.
    return not_found(f"No HTTP resource was found that matches the request URI '{route}'.")


def _int_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise bad_request(f"The value '{text}' is not a valid record id.") from None


def _count_option(options: Mapping[str, str], key: str, default: int) -> int:
    if key not in options:
        return default
    raw = options[key]
    if not raw.isdigit():
        raise bad_request(f"The {key} value '{raw}' is not a non-negative integer.")
    return int(raw)


def _sort_key(value: Any) -> tuple[int, Any]:
    # Nulls first, as SQL Server sorts them ascending; text ignoring case, as its collation does.
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.casefold())
    return (1, value)
