"""One Sage 200 company's books: its records, and the rules its writes follow.

Every rule cites its source in docs/sandbox-fidelity.md ("Sage 200"): the module specs'
schemas and descriptions ([S200] with the module), Sage's query guide and FAQ ([Q], [F]), issue
14's facts, or "inferred" where nothing public says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Any, cast

from sage200.sandbox._wire import (
    BOOL,
    CENT,
    INT,
    MONEY,
    RATE_PLACES,
    TEXT,
    ApiError,
    bad_request,
    boolean,
    day,
    integer,
    money,
    rate,
    text,
    wire_date,
)
from sageflow.sandbox import Clock, Collection, Record

ZERO = Decimal("0.00")
ACTIVE = "AccountStatusActive"
#: [S200 sales] "Posting a sales invoice does not actually create a 'sales invoice' entity, but a
#: Posted Transaction of type 'TradingAccountEntryTypeInvoice'".
INVOICE = "TradingAccountEntryTypeInvoice"
CREDIT_NOTE = "TradingAccountEntryTypeCreditNote"
#: Sage 200's one enum value for both a sales receipt and a purchase payment (inferred: the
#: Sage 200 SDK's TradingAccountEntryTypeEnum names it so).
RECEIPT_OR_PAYMENT = "TradingAccountEntryTypePurchasePaymentSalesReceipt"
#: A settlement discount taken with a receipt or payment (inferred from the same enum).
DISCOUNT = "TradingAccountEntryTypeDiscount"
#: An allocation's history entry (inferred from the Sage 200 SDK's enum naming).
ALLOCATION_ENTRY = "TradingRevaluationAllocationEntryTypeAllocation"
#: Who the sandbox says posted a transaction (``user_name``); the logon of ``/current_user``.
USER_NAME = "sageflow"

#: Every collection a company keeps (the order is the seed order).
COLLECTIONS = (
    "currencies",
    "tax_codes",
    "nominal_report_categories",
    "country_codes",
    "ledger_types",
    "nominal_transaction_analysis_codes",
    "cost_centres",
    "departments",
    "nominal_codes",
    "banks",
    "customers",
    "suppliers",
    "sales_posted_transactions",
    "purchase_posted_transactions",
    "bank_posted_transactions",
    "nominal_transaction_enquiry_views",
    "company_details",
)


def lookup(collection: Collection, key: Any) -> Record | None:
    """A record by its integer id (a Collection keys records by ``record["id"]``, an int here)."""
    if isinstance(key, bool) or not isinstance(key, int):
        return None
    return collection.records.get(cast(str, key))


#: Where each collection's ids start. Invented, like every value; chosen so that the pack's
#: examples (customer 27825, supplier 31102, bank 3301, tax code 1729, ...) name seeded records.
ID_BASES = {
    "customers": 27825,
    "suppliers": 31102,
    "banks": 3301,
    "tax_codes": 1728,
    "currencies": 2101,
    "nominal_report_categories": 1401,
    "nominal_codes": 2201,
    "cost_centres": 301,
    "departments": 401,
    "country_codes": 801,
    "ledger_types": 1,
    "nominal_transaction_analysis_codes": 51,
    "company_details": 1,
    "sales_posted_transactions": 90211,
    "purchase_posted_transactions": 90544,
    "bank_posted_transactions": 70001,
    "nominal_transaction_enquiry_views": 500001,
    "allocation_history_items": 80001,
}


@dataclass(frozen=True)
class Period:
    """One accounting period of a financial year (``/financial_year_period_views``)."""

    financial_year_id: int
    year_start: date
    year_end: date
    relative: int
    periods: int
    accounting_period_id: int
    number: int
    start: date
    end: date

    def view(self) -> Record:
        return {
            "financial_year_id": self.financial_year_id,
            "financial_year_start_date": wire_date(self.year_start),
            "financial_year_end_date": wire_date(self.year_end),
            "year_relative_to_current_year": self.relative,
            "number_of_periods_in_year": self.periods,
            "accounting_period_id": self.accounting_period_id,
            "period_number": self.number,
            "period_start_date": wire_date(self.start),
            "period_end_date": wire_date(self.end),
        }


def calendar_periods(current_year: int, years: Iterable[int] = (-1, 0, 1)) -> list[Period]:
    """Calendar-month periods for the years around ``current_year`` (the seed's UK company
    keeps its books January to December; ids are invented)."""
    out = []
    for relative in years:
        year = current_year + relative
        for month in range(1, 13):
            start = date(year, month, 1)
            end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
            out.append(
                Period(
                    financial_year_id=year - 2000,
                    year_start=date(year, 1, 1),
                    year_end=date(year, 12, 31),
                    relative=relative,
                    periods=12,
                    accounting_period_id=(year - 2000) * 100 + month,
                    number=month,
                    start=start,
                    end=end,
                )
            )
    return out


@dataclass
class Company:
    """A company of the site: collections of records, its id counters and its control codes."""

    id: int
    name: str
    clock: Clock
    periods: list[Period]
    collections: dict[str, Collection] = field(default_factory=dict)
    next_ids: dict[str, int] = field(default_factory=dict)
    next_urn: int = 1
    #: Control accounts postings use: (reference, cost centre, department) by role (inferred:
    #: Sage 200's ledger settings name them; the seed's chart has one of each).
    controls: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: What the current request wrote, for the state file (see ``Sandbox._persisted``).
    dirty: list[tuple[str, Record]] = field(default_factory=list)
    #: ``nominal_totals``' last answer and the postings' version it was read at.
    totals: tuple[int, dict[int, tuple[Decimal, Decimal, Decimal]]] | None = None
    removed: list[tuple[str, int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in COLLECTIONS:
            self.collections.setdefault(name, Collection(name))

    def collection(self, name: str) -> Collection:
        return self.collections[name]

    def stamp(self) -> str:
        """``date_time_created``/``date_time_updated``: UTC with milliseconds and ``Z``, so the
        value read back can be put into ``$filter=date_time_updated gt ...`` unchanged ([Q]
        requires the ``Z``)."""
        now = self.clock.now()
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"

    def today(self) -> date:
        return self.clock.now().astimezone(UTC).date()

    def new_id(self, collection: str) -> int:
        """The next id of a collection: each counts from its own base (``ID_BASES``), as each
        Sage 200 table has its own identity column, so an id says what it is at a glance."""
        last = self.next_ids.get(collection, ID_BASES.get(collection, 1000) - 1)
        self.next_ids[collection] = last + 1
        return last + 1

    def new_urn(self) -> int:
        self.next_urn += 1
        return self.next_urn

    def put(self, name: str, record: Record) -> Record:
        self.collection(name).put(record)
        self.dirty.append((name, record))
        return record

    def remove(self, name: str, record: Record) -> None:
        when = self.stamp()
        self.collection(name).remove(cast(str, record["id"]), when)
        self.removed.append((name, record["id"], when))

    def touch(self, name: str, record: Record) -> None:
        record["date_time_updated"] = self.stamp()
        self.put(name, record)

    def new_record(self, collection: str, /, **values: Any) -> Record:
        stamp = self.stamp()
        return {
            "id": self.new_id(collection),
            **values,
            "date_time_created": stamp,
            "date_time_updated": stamp,
        }

    def period_of(self, when: date) -> Period | None:
        for period in self.periods:
            if period.start <= when <= period.end:
                return period
        return None

    # -- look-ups the rules share ----------------------------------------------------------------

    def find(self, collection: str, /, **values: Any) -> Record | None:
        for record in self.collection(collection):
            if all(record.get(key) == value for key, value in values.items()):
                return record
        return None

    def nominal(self, reference: str, cost_centre: str = "", department: str = "") -> Record | None:
        """A nominal account by code, cost centre and department ([S200 nominal]: an account is
        the three together; blank codes name the company-wide account)."""
        for record in self.collection("nominal_codes"):
            if (
                record["reference"] == reference
                and record["cost_centre_code"] == cost_centre
                and record["department_code"] == department
            ):
                return record
        return None


# -- customers and suppliers --------------------------------------------------------------------

#: Fields a customer or supplier create/update acts on, with their maximum lengths
#: ([S200 sales] ``customer``, [S200 purchases] ``supplier``).
TRADER_TEXT = {
    "reference": 8,
    "name": 60,
    "short_name": 8,
    "status_reason": 256,
    "account_status_type": 20,
    "telephone_country_code": 5,
    "telephone_area_code": 20,
    "telephone_subscriber_number": 200,
    "website": 200,
    "vat_number": 30,
    "default_nominal_code_reference": 8,
    "default_nominal_code_cost_centre": 3,
    "default_nominal_code_department": 3,
    "trading_terms": 30,
}
ADDRESS_TEXT = {
    "address_1": 60,
    "address_2": 60,
    "address_3": 60,
    "address_4": 60,
    "city": 60,
    "county": 60,
    "postcode": 10,
}
TRADER_FIELDS: dict[str, Any] = {
    **dict.fromkeys(TRADER_TEXT, TEXT),
    "on_hold": BOOL,
    "currency_id": INT,
    "credit_limit": MONEY,
    "default_tax_code_id": INT,
    "payment_terms_days": INT,
    "terms_agreed": BOOL,
    "country_code_id": INT,
    "early_settlement_discount_percent": MONEY,
    "early_settlement_discount_days": INT,
    "main_address": dict.fromkeys(ADDRESS_TEXT, TEXT),
}
#: The account kind's names: (collection, its posted transactions, the id field linking them).
CUSTOMER = ("customers", "sales_posted_transactions", "customer_id")
SUPPLIER = ("suppliers", "purchase_posted_transactions", "supplier_id")


def _address(data: Any, owner: str, owner_id: int, company: Company) -> Record:
    if not isinstance(data, Mapping):
        raise bad_request("The value of 'main_address' is not an object.")
    address: Record = {"id": owner_id, owner: owner_id}
    for key, length in ADDRESS_TEXT.items():
        address[key] = text(data[key], f"main_address.{key}", length) if key in data else ""
    # Read-only in the specs: the country follows the address's country code, the contact name
    # the account's default contact (the seed's accounts are all UK ones without contacts).
    address["country"] = "United Kingdom"
    address["contact_name"] = ""
    address["date_time_created"] = address["date_time_updated"] = company.stamp()
    return address


def _trader_values(company: Company, data: Mapping[str, Any], record: Record) -> None:
    for key, length in TRADER_TEXT.items():
        if key in data:
            record[key] = text(data[key], key, length)
    for key in ("on_hold", "terms_agreed"):
        if key in data:
            record[key] = boolean(data[key], key)
    if "credit_limit" in data:
        record["credit_limit"] = money(data["credit_limit"], "credit_limit")
    for key in ("payment_terms_days", "early_settlement_discount_days"):
        if key in data:
            days = integer(data[key], key)
            if not 0 <= days <= 32767:  # int16 in the spec
                raise bad_request(f"The value of '{key}' is out of range.")
            record[key] = days
    if "early_settlement_discount_percent" in data:
        percent = money(
            data["early_settlement_discount_percent"], "early_settlement_discount_percent"
        )
        if percent > 100:
            raise bad_request("The value of 'early_settlement_discount_percent' is over 100.")
        record["early_settlement_discount_percent"] = percent
    if "country_code_id" in data:
        if lookup(company.collection("country_codes"), data["country_code_id"]) is None:
            raise bad_request(f"The country code {data['country_code_id']!r} does not exist.")
        record["country_code_id"] = data["country_code_id"]
    if "currency_id" in data:
        if lookup(company.collection("currencies"), data["currency_id"]) is None:
            raise bad_request(f"The currency {data['currency_id']!r} does not exist.")
        record["currency_id"] = data["currency_id"]
    if "default_tax_code_id" in data:
        if lookup(company.collection("tax_codes"), data["default_tax_code_id"]) is None:
            raise bad_request(f"The tax code {data['default_tax_code_id']!r} does not exist.")
        record["default_tax_code_id"] = data["default_tax_code_id"]
    if record["account_status_type"] not in {ACTIVE, "AccountStatusHidden"}:
        raise bad_request(
            f"The value '{record['account_status_type']}' is not valid for account_status_type."
        )
    nominal = company.nominal(
        record["default_nominal_code_reference"],
        record["default_nominal_code_cost_centre"],
        record["default_nominal_code_department"],
    )
    if nominal is None:
        raise bad_request(
            "The default nominal code "
            f"{record['default_nominal_code_reference']}/"
            f"{record['default_nominal_code_cost_centre']}/"
            f"{record['default_nominal_code_department']} does not exist."
        )
    record["default_nominal_code_id"] = nominal["id"]


def create_trader(company: Company, kind: tuple[str, str, str], data: Mapping[str, Any]) -> Record:
    """A new customer or supplier; ``reference`` and ``name`` are required and the reference is
    unique ([S200 sales]/[S200 purchases] ``required``; uniqueness inferred: it is the account's
    key in Sage 200's screens)."""
    name, _, link = kind
    for required in ("reference", "name"):
        if not data.get(required):
            raise bad_request(f"The {required} field is required.")
    reference = text(data["reference"], "reference", 8)
    if company.find(name, reference=reference) is not None:
        raise bad_request(f"An account with the reference '{reference}' already exists.")
    base = company.find("currencies", is_base_currency=True)
    tax = company.find("tax_codes", code=1)
    home = company.find("country_codes", code="GB")
    sales = name == "customers"
    default_nominal = company.controls["sales" if sales else "purchases"]
    record = company.new_record(
        name,
        reference=reference,
        name="",
        short_name=reference[:8],
        balance=ZERO,
        on_hold=False,
        status_reason="",
        account_status_type=ACTIVE,
        currency_id=base["id"] if base else None,
        exchange_rate_type="ExchangeRateSingle",
        telephone_country_code="",
        telephone_area_code="",
        telephone_subscriber_number="",
        website="",
        credit_limit=ZERO,
        default_tax_code_id=tax["id"] if tax else None,
        vat_number="",
        payment_terms_days=30,
        terms_agreed=True,
        country_code_id=home["id"] if home else None,
        early_settlement_discount_percent=ZERO,
        early_settlement_discount_days=0,
        trading_terms="",
        default_nominal_code_id=None,
        default_nominal_code_reference=default_nominal[0],
        default_nominal_code_cost_centre=default_nominal[1],
        default_nominal_code_department=default_nominal[2],
    )
    _trader_values(company, data, record)
    record["main_address"] = _address(data.get("main_address", {}), link, record["id"], company)
    return company.put(name, record)


def update_trader(
    company: Company, kind: tuple[str, str, str], record: Record, data: Mapping[str, Any]
) -> Record:
    name, _, link = kind
    if "reference" in data and data["reference"] != record["reference"]:
        reference = text(data["reference"], "reference", 8)
        if company.find(name, reference=reference) is not None:
            raise bad_request(f"An account with the reference '{reference}' already exists.")
    if "name" in data and not data["name"]:
        raise bad_request("The name field is required.")
    updated = dict(record)
    _trader_values(company, data, updated)
    if "main_address" in data:
        fresh = _address(data["main_address"], link, record["id"], company)
        merged = dict(record["main_address"])
        merged.update({key: fresh[key] for key in ADDRESS_TEXT if key in data["main_address"]})
        merged["date_time_updated"] = company.stamp()
        updated["main_address"] = merged
    company.touch(name, updated)
    return updated


def delete_trader(company: Company, kind: tuple[str, str, str], record: Record) -> None:
    """Refused while the account has transactions (inferred: Sage 200 keeps an account's
    history; its screens refuse to delete an account with transactions)."""
    name, posted, link = kind
    if company.find(posted, **{link: record["id"]}) is not None:
        raise bad_request(
            f"The account '{record['reference']}' has transactions and cannot be deleted."
        )
    company.remove(name, record)


# -- nominal codes, cost centres, departments, banks, company details ---------------------------


def create_code(company: Company, name: str, data: Mapping[str, Any]) -> Record:
    """A cost centre or department: ``code`` (at most 3 characters, unique) is required
    ([S200 nominal] ``cost_centre``/``department``; the blank code is the seeded default)."""
    if "code" not in data:
        raise bad_request("The code field is required.")
    code = text(data["code"], "code", 3)
    if company.find(name, code=code) is not None:
        raise bad_request(f"The code '{code}' already exists.")
    record = company.new_record(
        name, code=code, name="", contact_name="", contact_details="", contact_email_address=""
    )
    return company.put(name, update_code_values(record, data))


def update_code_values(record: Record, data: Mapping[str, Any]) -> Record:
    for key, length in (
        ("name", 60),
        ("contact_name", 60),
        ("contact_details", 60),
        ("contact_email_address", 255),
    ):
        if key in data:
            record[key] = text(data[key], key, length)
    return record


def update_code(company: Company, name: str, record: Record, data: Mapping[str, Any]) -> Record:
    if "code" in data and data["code"] != record["code"]:
        raise bad_request("The code of an existing record cannot be changed.")
    updated = update_code_values(dict(record), data)
    company.touch(name, updated)
    return updated


def delete_code(company: Company, name: str, record: Record) -> None:
    """Refused while a nominal account uses it (inferred)."""
    key = "cost_centre_id" if name == "cost_centres" else "department_id"
    if company.find("nominal_codes", **{key: record["id"]}) is not None:
        raise bad_request(f"The code '{record['code']}' is used by nominal codes.")
    company.remove(name, record)


NOMINAL_ACCOUNT_TYPES = frozenset(
    {"NominalAccountTypePosting", "NominalAccountTypeHeading", "NominalAccountTypeMemorandum"}
)


def create_nominal(company: Company, data: Mapping[str, Any]) -> Record:
    """A nominal account: ``reference`` and ``report_category_id`` are required
    ([S200 nominal] ``nominal_code``); reference + cost centre + department is unique."""
    if not data.get("reference"):
        raise bad_request("The reference field is required.")
    if "report_category_id" not in data:
        raise bad_request("The report_category_id field is required.")
    reference = text(data["reference"], "reference", 8)
    category = lookup(company.collection("nominal_report_categories"), data["report_category_id"])
    if category is None:
        raise bad_request(f"The report category {data['report_category_id']!r} does not exist.")
    cost_centre = _code_ref(company, "cost_centres", data.get("cost_centre_id"))
    department = _code_ref(company, "departments", data.get("department_id"))
    if company.nominal(reference, cost_centre["code"], department["code"]) is not None:
        raise bad_request(
            f"The nominal code {reference}/{cost_centre['code']}/{department['code']}"
            " already exists."
        )
    record = company.new_record(
        "nominal_codes",
        name="",
        reference=reference,
        cost_centre_id=cost_centre["id"],
        cost_centre_code=cost_centre["code"],
        department_id=department["id"],
        department_code=department["code"],
        nominal_account_type="NominalAccountTypePosting",
        account_status_type=ACTIVE,
        report_category_id=category["id"],
        allow_manual_journal_entries=True,
    )
    return company.put("nominal_codes", _nominal_values(record, data))


def _code_ref(company: Company, name: str, key: Any) -> Record:
    found = company.find(name, code="") if key is None else lookup(company.collection(name), key)
    if found is None:
        raise bad_request(f"The {name[:-1].replace('_', ' ')} {key!r} does not exist.")
    return found


def _nominal_values(record: Record, data: Mapping[str, Any]) -> Record:
    if "name" in data:
        record["name"] = text(data["name"], "name", 60)
    if "nominal_account_type" in data:
        kind = text(data["nominal_account_type"], "nominal_account_type")
        if kind not in NOMINAL_ACCOUNT_TYPES:
            raise bad_request(f"The value '{kind}' is not valid for nominal_account_type.")
        record["nominal_account_type"] = kind
    if "account_status_type" in data:
        status = text(data["account_status_type"], "account_status_type")
        if status not in {ACTIVE, "AccountStatusHidden"}:
            raise bad_request(f"The value '{status}' is not valid for account_status_type.")
        record["account_status_type"] = status
    if "allow_manual_journal_entries" in data:
        record["allow_manual_journal_entries"] = boolean(
            data["allow_manual_journal_entries"], "allow_manual_journal_entries"
        )
    return record


def update_nominal(company: Company, record: Record, data: Mapping[str, Any]) -> Record:
    for fixed in ("reference", "cost_centre_id", "department_id"):
        if fixed in data and data[fixed] != record[fixed]:
            raise bad_request(f"The {fixed} of an existing nominal code cannot be changed.")
    categories = company.collection("nominal_report_categories")
    if "report_category_id" in data and lookup(categories, data["report_category_id"]) is None:
        raise bad_request(f"The report category {data['report_category_id']!r} does not exist.")
    updated = _nominal_values(dict(record), data)
    if "report_category_id" in data:
        updated["report_category_id"] = data["report_category_id"]
    company.touch("nominal_codes", updated)
    return updated


def delete_nominal(company: Company, record: Record) -> None:
    """Refused once the account has postings or is a control account (inferred)."""
    key = (record["reference"], record["cost_centre_code"], record["department_code"])
    if key in company.controls.values() or company.find(
        "nominal_transaction_enquiry_views", nominal_code_id=record["id"]
    ):
        raise bad_request(
            f"The nominal code {record['reference']} is in use and cannot be deleted."
        )
    company.remove("nominal_codes", record)


def nominal_balances(company: Company, record: Record) -> Record:
    """The year-to-date balances of a nominal account, from its postings in the current year."""
    debit, credit, brought_forward = nominal_totals(company).get(record["id"], (ZERO, ZERO, ZERO))
    return {
        **record,
        "balance_year_to_date": debit - credit,
        "debit_balance_year_to_date": debit,
        "credit_balance_year_to_date": credit,
        "brought_forward_balance": brought_forward,
    }


def nominal_totals(company: Company) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """(debits this year, credits this year, balance brought forward) by nominal account, read
    from the postings once per change of them rather than once per account."""
    entries = company.collection("nominal_transaction_enquiry_views")
    cached = company.totals
    if cached is not None and cached[0] == entries.version:
        return cached[1]
    totals: dict[int, tuple[Decimal, Decimal, Decimal]] = {}
    for entry in entries:
        debit, credit, brought_forward = totals.get(entry["nominal_code_id"], (ZERO, ZERO, ZERO))
        if entry["year_relative_to_current_year"] == 0:
            debit += entry["debit"]
            credit += entry["credit"]
        elif entry["year_relative_to_current_year"] < 0:
            brought_forward += entry["debit"] - entry["credit"]
        totals[entry["nominal_code_id"]] = (debit, credit, brought_forward)
    company.totals = (entries.version, totals)
    return totals


BANK_TEXT = {
    "code": 8,
    "description": 60,
    "sort_code": 20,
    "account_no": 30,
    "bank_name": 60,
    "account_name": 60,
    "iban": 60,
    "bic": 60,
    "bank_account_nominal_reference": 8,
    "bank_account_nominal_cost_centre": 3,
    "bank_account_nominal_department": 3,
}


def create_bank(company: Company, data: Mapping[str, Any]) -> Record:
    """A bank account: ``code`` and ``sort_code`` are required ([S200 cash-book] ``bank``); its
    nominal account must exist (inferred)."""
    for required in ("code", "sort_code"):
        if not data.get(required):
            raise bad_request(f"The {required} field is required.")
    code = text(data["code"], "code", 8)
    if company.find("banks", code=code) is not None:
        raise bad_request(f"The bank code '{code}' already exists.")
    base = company.find("currencies", is_base_currency=True)
    record = company.new_record(
        "banks",
        code=code,
        description="",
        sort_code="",
        account_no="",
        bank_name="",
        account_type="BankAccountTypeCurrent",
        account_status_type=ACTIVE,
        balance=ZERO,
        balance_in_base=ZERO,
        overdraft_limit=ZERO,
        account_name="",
        iban="",
        bic="",
        account_currency_id=base["id"] if base else None,
        bank_account_nominal_reference=code,
        bank_account_nominal_cost_centre="",
        bank_account_nominal_department="",
    )
    return company.put("banks", _bank_values(company, record, data))


def _bank_values(company: Company, record: Record, data: Mapping[str, Any]) -> Record:
    for key, length in BANK_TEXT.items():
        if key in data:
            record[key] = text(data[key], key, length)
    if "overdraft_limit" in data:
        record["overdraft_limit"] = money(data["overdraft_limit"], "overdraft_limit")
    if "account_currency_id" in data:
        if lookup(company.collection("currencies"), data["account_currency_id"]) is None:
            raise bad_request(f"The currency {data['account_currency_id']!r} does not exist.")
        record["account_currency_id"] = data["account_currency_id"]
    nominal = company.nominal(
        record["bank_account_nominal_reference"],
        record["bank_account_nominal_cost_centre"],
        record["bank_account_nominal_department"],
    )
    if nominal is None:
        raise bad_request(
            f"The bank's nominal code {record['bank_account_nominal_reference']} does not exist."
        )
    return record


def update_bank(company: Company, record: Record, data: Mapping[str, Any]) -> Record:
    changed = "code" in data and data["code"] != record["code"]
    if changed and company.find("banks", code=data["code"]) is not None:
        raise bad_request(f"The bank code '{data['code']}' already exists.")
    updated = _bank_values(company, dict(record), data)
    company.touch("banks", updated)
    return updated


def delete_bank(company: Company, record: Record) -> None:
    if company.find("bank_posted_transactions", bank_id=record["id"]) is not None:
        raise bad_request(f"The bank '{record['code']}' has transactions and cannot be deleted.")
    company.remove("banks", record)


COMPANY_TEXT = {
    "name": 60,
    "telephone": 30,
    "fax": 30,
    "email": 255,
    "website": 255,
    "tax_registration_number": 30,
}


def update_company_details(company: Company, record: Record, data: Mapping[str, Any]) -> Record:
    updated = dict(record)
    for key, length in COMPANY_TEXT.items():
        if key in data:
            updated[key] = text(data[key], key, length)
    company.touch("company_details", updated)
    return updated


# -- posting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    """One side of the trading ledgers: sales (customers) or purchases (suppliers)."""

    accounts: str
    posted: str
    link: str
    control: str  # the control account role: "debtors" or "creditors"
    tax: str  # the tax control role: "sales_tax" or "purchase_tax"
    source: str  # the nominal enquiry's ``source``
    sign: int  # +1: an invoice debits the control account (sales); -1: credits it (purchases)


SALES = Ledger(
    "customers", "sales_posted_transactions", "customer_id", "debtors", "sales_tax", "SL", 1
)
PURCHASES = Ledger(
    "suppliers",
    "purchase_posted_transactions",
    "supplier_id",
    "creditors",
    "purchase_tax",
    "PL",
    -1,
)


def _date_in_books(
    company: Company, data: Mapping[str, Any], key: str = "transaction_date"
) -> date:
    when = day(data[key], key) if key in data else company.today()
    if company.period_of(when) is None:
        raise bad_request(
            f"The {key.replace('_', ' ')} {when.isoformat()} is not in a financial year of the"
            " company."
        )
    return when


def _sum(items: Iterable[Mapping[str, Any]], key: str) -> Decimal:
    return sum((item[key] for item in items), ZERO)


def post_document(
    company: Company, ledger: Ledger, data: Mapping[str, Any], *, credit: bool
) -> Record:
    """Posts an invoice or credit note: no document is stored, only the posted transaction,
    whose ``urn`` the POST answers ([S200 sales]/[S200 purchases] ``sales_invoice``...).

    The header's ``tax_analysis_items`` (one per tax code) and ``nominal_analysis_items`` must
    add up to the document's values ([S200] item descriptions: "Must add up to the headline
    value"); an item's omitted amounts default to the document's values when it is the only
    item (the same descriptions: "This defaults to the document_goods_value").
    """
    if ledger.link not in data:
        raise bad_request(f"The {ledger.link} field is required.")
    account = lookup(company.collection(ledger.accounts), data[ledger.link])
    if account is None:
        raise bad_request(f"The {ledger.accounts[:-1]} {data[ledger.link]!r} does not exist.")
    when = _date_in_books(company, data)
    goods = money(data.get("document_goods_value", 0), "document_goods_value")
    tax = money(data.get("document_tax_value", 0), "document_tax_value")
    discount = money(data.get("document_discount_value", 0), "document_discount_value")
    tax_discount = money(data.get("document_tax_discount_value", 0), "document_tax_discount_value")
    if goods + tax == 0:
        raise bad_request("The document has no value: document_goods_value is required.")
    reference = text(data.get("reference", ""), "reference", 20)
    second_reference = text(data.get("second_reference", ""), "second_reference", 20)
    settled = boolean(data.get("settled_immediately", False), "settled_immediately")
    tax_items = _tax_items(company, account, data, goods, tax, discount, tax_discount)
    nominal_items = _nominal_items(company, account, data, goods, reference)
    fx = exchange_rate(company, account, data)
    if "due_date" in data and not credit:
        due = day(data["due_date"], "due_date")
    else:
        due = when + timedelta(days=account["payment_terms_days"])
    gross = goods + tax
    urn = company.new_urn()
    discount_percent = money(data.get("discount_percent", 0), "discount_percent")
    discount_days = integer(data.get("discount_days", 0), "discount_days")
    outstanding = ZERO if settled else gross
    record = company.new_record(
        ledger.posted,
        **{ledger.link: account["id"]},
        trader_transaction_type=CREDIT_NOTE if credit else INVOICE,
        reference=reference,
        second_reference=second_reference,
        queried="",
        transaction_date=wire_date(when),
        posted_date=wire_date(company.today()),
        due_date=wire_date(due),
        full_settlement_date=wire_date(when) if settled else None,
        vat_adjustment_doc_expected=False,
        document_goods_value=goods,
        document_gross_value=gross,
        document_tax_value=tax,
        document_discount_value=discount,
        discount_percent=discount_percent,
        document_tax_discount_value=tax_discount,
        document_allocated_value=gross - outstanding,
        document_outstanding_value=outstanding,
        base_goods_value=to_base(goods, fx),
        base_gross_value=to_base(gross, fx),
        base_tax_value=to_base(tax, fx),
        base_discount_value=to_base(discount, fx),
        base_tax_discount_value=to_base(tax_discount, fx),
        base_allocated_value=to_base(gross - outstanding, fx),
        control_value_in_base_currency=to_base(gross, fx),
        exchange_rate=fx,
        settled_immediately=settled,
        discount_days=discount_days,
        urn=urn,
        user_name=USER_NAME,
        tax_analysis_items=[
            {
                "id": item["tax"]["id"],
                "code": item["tax"]["code"],
                "name": item["tax"]["name"],
                "entry_type": "TaxAccountEntryTypeStandard",
                "goods_amount": item["goods_amount"],
                "tax_amount": item["tax_amount"],
                "tax_discount_amount": item["tax_discount_amount"],
            }
            for item in tax_items
        ],
        nominal_analysis_items=[
            {
                "code": item["nominal"]["reference"],
                "cost_centre": item["nominal"]["cost_centre_code"],
                "department": item["nominal"]["department_code"],
                "name": item["nominal"]["name"],
                "location": "",
                "reference": reference,
                "narrative": item["narrative"],
                "value": item["value"],
                "base_value": to_base(item["value"], fx),
                "transaction_analysis_code": item["transaction_analysis_code"],
                "source": ledger.source,
            }
            for item in nominal_items
        ],
        allocation_history_items=[],
    )
    company.put(ledger.posted, record)
    # Sales: an invoice raises what the customer owes; purchases: what the company owes. One
    # settled immediately was paid at once, so the account owes nothing more (inferred: the
    # request names no bank, so the payment side is not posted to the nominal ledger).
    direction = -1 if credit else 1
    if not settled:
        _move_balance(company, ledger.accounts, account, direction * gross)
    # Double entry: the control account takes the gross, the analysis lines the goods and the
    # tax control the tax; sales invoices debit the control account, purchase invoices credit it.
    # In base currency; the control account takes the lines' and the tax's own base values,
    # so that rounding each of them cannot unbalance the entry.
    lines = [
        (
            (
                item["nominal"]["reference"],
                item["nominal"]["cost_centre_code"],
                item["nominal"]["department_code"],
            ),
            -to_base(item["value"], fx),
            item["narrative"],
        )
        for item in nominal_items
    ]
    lines.append((company.controls[ledger.tax], -to_base(tax, fx), ""))
    control = -sum((amount for _, amount, _ in lines), ZERO)
    entries = [(company.controls[ledger.control], control, ""), *lines]
    sign = ledger.sign * direction
    _post_nominal(
        company,
        [(key, sign * amount, narrative) for key, amount, narrative in entries],
        when,
        reference or account["reference"],
        ledger.source,
        urn,
    )
    return record


def exchange_rate(company: Company, account: Record, data: Mapping[str, Any]) -> Decimal:
    """The document's rate (foreign units per base unit): the account currency's by default
    ([S200 sales] "This defaults to the customer exchange rate"); a base-currency account's is
    1, and another value for it is refused (inferred)."""
    currency = lookup(company.collection("currencies"), account["currency_id"])
    default = currency["core_currency_rate"] if currency else Decimal(1)
    if "exchange_rate" not in data or data["exchange_rate"] is None:
        return Decimal(default).quantize(RATE_PLACES)
    given = rate(data["exchange_rate"], "exchange_rate")
    if currency is not None and currency["is_base_currency"] and given != 1:
        raise bad_request(
            f"The exchange rate of an account in the base currency is 1, not {given.normalize()}."
        )
    return given


def to_base(amount: Decimal, fx: Decimal) -> Decimal:
    return (amount / fx).quantize(CENT)


def _tax_items(
    company: Company,
    account: Record,
    data: Mapping[str, Any],
    goods: Decimal,
    tax: Decimal,
    discount: Decimal,
    tax_discount: Decimal,
) -> list[Record]:
    raw = data.get("tax_analysis_items")
    if raw is None:
        raw = [{"id": account["default_tax_code_id"]}]
    if not isinstance(raw, list) or not raw:
        raise bad_request("tax_analysis_items must be a non-empty array.")
    defaults = {
        "goods_amount": goods,
        "discount_amount": discount,
        "tax_amount": tax,
        "tax_discount_amount": tax_discount,
    }
    items: list[Record] = []
    seen: set[int] = set()
    for index, item in enumerate(raw):
        where = f"tax_analysis_items[{index}]"
        if not isinstance(item, Mapping):
            raise bad_request(f"{where} is not an object.")
        if "id" not in item:
            raise bad_request(f"{where}.id is required.")
        code = lookup(company.collection("tax_codes"), item["id"])
        if code is None:
            raise bad_request(f"{where}.id: the tax code {item['id']!r} does not exist.")
        if code["id"] in seen:
            raise bad_request(f"{where}.id: the tax code {code['code']} appears twice.")
        seen.add(code["id"])
        parsed: Record = {"tax": code}
        for key, default in defaults.items():
            if key in item:
                parsed[key] = money(item[key], f"{where}.{key}")
            else:
                parsed[key] = default if len(raw) == 1 else ZERO
        items.append(parsed)
    for key, header in (
        ("goods_amount", "document_goods_value"),
        ("tax_amount", "document_tax_value"),
        ("discount_amount", "document_discount_value"),
        ("tax_discount_amount", "document_tax_discount_value"),
    ):
        total = _sum(items, key)
        if total != defaults[key]:
            raise bad_request(
                f"The tax analysis {key} values add up to {total}, not the {header} of"
                f" {defaults[key]}."
            )
    return items


def _nominal_items(
    company: Company, account: Record, data: Mapping[str, Any], goods: Decimal, reference: str
) -> list[Record]:
    raw = data.get("nominal_analysis_items")
    if raw is None:
        raw = [
            {
                "code": account["default_nominal_code_reference"],
                "cost_centre": account["default_nominal_code_cost_centre"],
                "department": account["default_nominal_code_department"],
            }
        ]
    if not isinstance(raw, list) or not raw:
        raise bad_request("nominal_analysis_items must be a non-empty array.")
    items: list[Record] = []
    for index, item in enumerate(raw):
        where = f"nominal_analysis_items[{index}]"
        if not isinstance(item, Mapping):
            raise bad_request(f"{where} is not an object.")
        if "code" not in item:
            raise bad_request(f"{where}.code is required.")
        code = text(item["code"], f"{where}.code", 8)
        cost_centre = text(item.get("cost_centre", ""), f"{where}.cost_centre", 3)
        department = text(item.get("department", ""), f"{where}.department", 3)
        nominal = company.nominal(code, cost_centre, department)
        if nominal is None:
            raise bad_request(
                f"{where}: the nominal code {code}/{cost_centre}/{department} does not exist."
            )
        if "value" in item:
            value = money(item["value"], f"{where}.value")
        elif len(raw) == 1:
            value = goods
        else:
            raise bad_request(f"{where}.value is required when there are several items.")
        items.append(
            {
                "nominal": nominal,
                "value": value,
                "narrative": text(item.get("narrative", ""), f"{where}.narrative", 6000),
                "transaction_analysis_code": text(
                    item.get("transaction_analysis_code", ""),
                    f"{where}.transaction_analysis_code",
                    20,
                ),
            }
        )
    total = _sum(items, "value")
    if total != goods:
        raise bad_request(
            f"The nominal analysis values add up to {total}, not the document_goods_value of"
            f" {goods}."
        )
    return items


def _move_balance(company: Company, name: str, record: Record, amount: Decimal) -> None:
    # The stored record, not the caller's copy: one request may move a balance twice.
    updated = dict(lookup(company.collection(name), record["id"]) or record)
    updated["balance"] = updated["balance"] + amount
    if name == "banks":
        updated["balance_in_base"] = updated["balance"]
    company.touch(name, updated)


def _post_nominal(
    company: Company,
    entries: Iterable[tuple[tuple[str, str, str], Decimal, str]],
    when: date,
    reference: str,
    source: str,
    urn: int,
) -> None:
    """One nominal enquiry row per account the transaction touches (debits positive)."""
    period = company.period_of(when)
    assert period is not None  # the caller checked the date is in the books
    for (code, cost_centre, department), amount, narrative in entries:
        if amount == 0:
            continue
        nominal = company.nominal(code, cost_centre, department)
        if nominal is None:  # pragma: no cover - control codes are seeded and cannot be deleted
            raise ApiError(500, f"The control account {code} is missing.")
        company.put(
            "nominal_transaction_enquiry_views",
            company.new_record(
                "nominal_transaction_enquiry_views",
                nominal_code_id=nominal["id"],
                transaction_date=wire_date(when),
                period_number=period.number,
                reference=reference,
                narrative=narrative,
                transaction_analysis_code="",
                debit=amount if amount > 0 else ZERO,
                credit=-amount if amount < 0 else ZERO,
                user_name=USER_NAME,
                source=source,
                urn=urn,
                accounting_period_id=period.accounting_period_id,
                financial_year_id=period.financial_year_id,
                financial_year_start_date=wire_date(period.year_start),
                year_relative_to_current_year=period.relative,
            ),
        )


def post_cash(company: Company, ledger: Ledger, data: Mapping[str, Any]) -> Record:
    """A sales receipt or purchase payment: unallocated until ``/sales_allocations`` matches it
    to invoices; the account's balance and the bank's move at once ([S200 sales]
    ``sales_receipt``, [S200 purchases] ``purchase_payment``: ``bank_id`` and ``cheque_value``
    required)."""
    for required in (ledger.link, "bank_id", "cheque_value"):
        if required not in data:
            raise bad_request(f"The {required} field is required.")
    account = lookup(company.collection(ledger.accounts), data[ledger.link])
    if account is None:
        raise bad_request(f"The {ledger.accounts[:-1]} {data[ledger.link]!r} does not exist.")
    bank = lookup(company.collection("banks"), data["bank_id"])
    if bank is None:
        raise bad_request(f"The bank {data['bank_id']!r} does not exist.")
    value = money(data["cheque_value"], "cheque_value")
    if value == 0:
        raise bad_request("The cheque_value must be more than zero.")
    when = _date_in_books(company, data)
    reference = text(data.get("reference", ""), "reference", 20)
    second_reference = text(data.get("second_reference", ""), "second_reference", 20)
    discount = money(data.get("settlement_discount_value", 0), "settlement_discount_value")
    fx = exchange_rate(company, account, data)
    urn = company.new_urn()
    record = _cash_record(company, ledger, account, RECEIPT_OR_PAYMENT, value, when, urn, fx)
    record["reference"], record["second_reference"] = reference, second_reference
    company.put(ledger.posted, record)
    _move_balance(company, ledger.accounts, account, -value)
    # A receipt pays into the bank (sales), a payment out of it (purchases).
    # The seed's banks keep the base currency: the bank and the nominal ledger take the base
    # value, the account its own currency's.
    in_base = to_base(value, fx)
    _move_balance(company, "banks", bank, ledger.sign * in_base)
    bank_key = _bank_nominal(bank)
    _post_nominal(
        company,
        [
            (bank_key, ledger.sign * in_base, ""),
            (company.controls[ledger.control], -ledger.sign * in_base, ""),
        ],
        when,
        reference or account["reference"],
        ledger.source,
        urn,
    )
    _bank_entry(
        company,
        bank,
        "BankTransactionTypeSalesReceipt"
        if ledger is SALES
        else "BankTransactionTypePurchasePayment",
        ledger.sign * in_base,
        when,
        reference,
        second_reference,
        ledger.source,
        urn,
        [],
    )
    if discount:
        _settlement_discount(company, ledger, account, discount, when, reference, fx)
    return record


def _cash_record(
    company: Company,
    ledger: Ledger,
    account: Record,
    kind: str,
    value: Decimal,
    when: date,
    urn: int,
    fx: Decimal,
) -> Record:
    """A receipt, payment or discount as a posted transaction: all of it still to allocate."""
    return company.new_record(
        ledger.posted,
        **{ledger.link: account["id"]},
        trader_transaction_type=kind,
        reference="",
        second_reference="",
        queried="",
        transaction_date=wire_date(when),
        posted_date=wire_date(company.today()),
        due_date=wire_date(when),
        full_settlement_date=None,
        vat_adjustment_doc_expected=False,
        document_goods_value=value,
        document_gross_value=value,
        document_tax_value=ZERO,
        document_discount_value=ZERO,
        discount_percent=ZERO,
        document_tax_discount_value=ZERO,
        document_allocated_value=ZERO,
        document_outstanding_value=value,
        base_goods_value=to_base(value, fx),
        base_gross_value=to_base(value, fx),
        base_tax_value=ZERO,
        base_discount_value=ZERO,
        base_tax_discount_value=ZERO,
        base_allocated_value=ZERO,
        control_value_in_base_currency=to_base(value, fx),
        exchange_rate=fx,
        settled_immediately=False,
        discount_days=0,
        urn=urn,
        user_name=USER_NAME,
        tax_analysis_items=[],
        nominal_analysis_items=[],
        allocation_history_items=[],
    )


def _settlement_discount(
    company: Company,
    ledger: Ledger,
    account: Record,
    discount: Decimal,
    when: date,
    reference: str,
    fx: Decimal,
) -> None:
    """A settlement discount taken with a receipt or payment: its own posted transaction
    (``TradingAccountEntryTypeDiscount``, its own urn), which settles like a receipt and moves
    the account's balance; the nominal side goes to discounts allowed (sales) or received
    (purchases). Inferred: the spec only names ``settlement_discount_value``."""
    urn = company.new_urn()
    record = _cash_record(company, ledger, account, DISCOUNT, discount, when, urn, fx)
    record["reference"] = reference
    company.put(ledger.posted, record)
    _move_balance(company, ledger.accounts, account, -discount)
    role = "sales_discount" if ledger is SALES else "purchase_discount"
    _post_nominal(
        company,
        [
            (company.controls[role], ledger.sign * to_base(discount, fx), ""),
            (company.controls[ledger.control], -ledger.sign * to_base(discount, fx), ""),
        ],
        when,
        reference or account["reference"],
        ledger.source,
        urn,
    )


def _bank_nominal(bank: Record) -> tuple[str, str, str]:
    return (
        bank["bank_account_nominal_reference"],
        bank["bank_account_nominal_cost_centre"],
        bank["bank_account_nominal_department"],
    )


def _bank_entry(
    company: Company,
    bank: Record,
    kind: str,
    value: Decimal,
    when: date,
    reference: str,
    second_reference: str,
    source: str,
    urn: int,
    nominal_items: list[Record],
    description: str = "",
) -> Record:
    return company.put(
        "bank_posted_transactions",
        company.new_record(
            "bank_posted_transactions",
            bank_id=bank["id"],
            bank_transaction_type=kind,
            entry_description=description or reference,
            reference=reference,
            second_reference=second_reference,
            transaction_date=wire_date(when),
            posted_date=wire_date(company.today()),
            cheque_value=value,
            cheque_discount_value=ZERO,
            cheque_to_account_currency_rate=Decimal("1.000000"),
            bank_cheque_to_base_currency_rate=Decimal("1.000000"),
            cheque_currency_id=bank["account_currency_id"],
            source=source,
            urn=urn,
            user_name=USER_NAME,
            nominal_analysis_items=nominal_items,
        ),
    )


def allocate(company: Company, data: Mapping[str, Any]) -> Record:
    """Matches a customer's invoices with its receipts and credit notes ([S200 sales]
    ``sales_allocation``: ``customer_id`` and ``allocation_lines`` of ``posted_tran_id`` and
    ``value_to_allocate`` required).

    Inferred, since Sage does not publish the rule: the lines' debits (invoices) and credits
    (receipts, credit notes) must balance, each line at most the transaction's outstanding
    value; a value's sign is taken from its transaction, so ``50`` and ``-50`` on a receipt
    mean the same. The customer's balance does not move: the receipt already moved it.
    """
    for required in ("customer_id", "allocation_lines"):
        if required not in data:
            raise bad_request(f"The {required} field is required.")
    customer = lookup(company.collection("customers"), data["customer_id"])
    if customer is None:
        raise bad_request(f"The customer {data['customer_id']!r} does not exist.")
    when = _date_in_books(company, data, "allocation_date")
    lines = data["allocation_lines"]
    if not isinstance(lines, list) or len(lines) < 2:
        raise bad_request("allocation_lines needs at least two lines (a debit and a credit).")
    posted = company.collection("sales_posted_transactions")
    plan: list[tuple[Record, Decimal, Decimal]] = []
    balance = ZERO
    seen: set[int] = set()
    for index, line in enumerate(lines):
        where = f"allocation_lines[{index}]"
        if not isinstance(line, Mapping):
            raise bad_request(f"{where} is not an object.")
        for required in ("posted_tran_id", "value_to_allocate"):
            if required not in line:
                raise bad_request(f"{where}.{required} is required.")
        record = lookup(posted, line["posted_tran_id"])
        if record is None or record["customer_id"] != customer["id"]:
            raise bad_request(
                f"{where}.posted_tran_id: the transaction {line['posted_tran_id']!r} is not"
                f" one of customer {customer['reference']}'s."
            )
        if record["id"] in seen:
            raise bad_request(f"{where}.posted_tran_id: the transaction appears twice.")
        seen.add(record["id"])
        sent = money(line["value_to_allocate"], f"{where}.value_to_allocate", negative=True)
        value = abs(sent)
        if value == 0 or value > record["document_outstanding_value"]:
            raise bad_request(
                f"{where}.value_to_allocate: {value} is not between 0 and the transaction's"
                f" outstanding value of {record['document_outstanding_value']}."
            )
        balance += value if record["trader_transaction_type"] == INVOICE else -value
        plan.append((record, value, sent))
    if balance != 0:
        raise bad_request(
            f"The allocation does not balance: invoices and credits differ by {balance}."
        )
    for record, value, _ in plan:
        updated = dict(record)
        updated["document_allocated_value"] = record["document_allocated_value"] + value
        updated["base_allocated_value"] = record["base_allocated_value"] + to_base(
            value, record["exchange_rate"]
        )
        updated["document_outstanding_value"] = record["document_outstanding_value"] - value
        if updated["document_outstanding_value"] == 0:
            updated["full_settlement_date"] = wire_date(when)
        updated["allocation_history_items"] = [
            *record["allocation_history_items"],
            {
                "id": company.new_id("allocation_history_items"),
                "trading_revaluation_allocation_entry_type": ALLOCATION_ENTRY,
                "entry_date": wire_date(when),
                "allocation_value": value,
                "nominal_updated": False,
                "exchange_rate": Decimal("1.000000"),
                "exchange_gain_loss": ZERO,
                "date_time_created": company.stamp(),
                "date_time_updated": company.stamp(),
            },
        ]
        company.touch("sales_posted_transactions", updated)
    return {
        "customer_id": customer["id"],
        "allocation_date": wire_date(when),
        "allocation_lines": [
            {"posted_tran_id": record["id"], "value_to_allocate": sent} for record, _, sent in plan
        ],
    }


def post_bank_entry(company: Company, data: Mapping[str, Any], *, receipt: bool) -> Record:
    """A bank payment or receipt straight to nominal accounts ([S200 cash-book]
    ``bank_payment``/``bank_receipt``: ``bank_id`` and ``nominal_analysis_items`` required).

    Each line's ``goods_value`` + ``tax_value`` must equal its ``gross_value`` (when given), and
    ``cheque_value`` (when given) the lines' gross total (inferred from the fields' names; the
    spec says no more).
    """
    for required in ("bank_id", "nominal_analysis_items"):
        if required not in data:
            raise bad_request(f"The {required} field is required.")
    bank = lookup(company.collection("banks"), data["bank_id"])
    if bank is None:
        raise bad_request(f"The bank {data['bank_id']!r} does not exist.")
    when = _date_in_books(company, data)
    reference = text(data.get("reference", ""), "reference", 20)
    second_reference = text(data.get("second_reference", ""), "second_reference", 20)
    description = text(data.get("narrative", ""), "narrative", 6000)
    raw = data["nominal_analysis_items"]
    if not isinstance(raw, list) or not raw:
        raise bad_request("nominal_analysis_items must be a non-empty array.")
    lines: list[tuple[Record, Decimal, Decimal, str, Record | None]] = []
    for index, item in enumerate(raw):
        where = f"nominal_analysis_items[{index}]"
        if not isinstance(item, Mapping) or "code" not in item:
            raise bad_request(f"{where}.code is required.")
        code = text(item["code"], f"{where}.code", 8)
        cost_centre = text(item.get("cost_centre", ""), f"{where}.cost_centre", 3)
        department = text(item.get("department", ""), f"{where}.department", 3)
        nominal = company.nominal(code, cost_centre, department)
        if nominal is None:
            raise bad_request(
                f"{where}: the nominal code {code}/{cost_centre}/{department} does not exist."
            )
        tax = money(item.get("tax_value", 0), f"{where}.tax_value")
        if "goods_value" in item:
            goods = money(item["goods_value"], f"{where}.goods_value")
        elif "gross_value" in item:
            goods = money(item["gross_value"], f"{where}.gross_value") - tax
        else:
            raise bad_request(f"{where}.goods_value or gross_value is required.")
        if (
            "gross_value" in item
            and money(item["gross_value"], f"{where}.gross_value") != goods + tax
        ):
            raise bad_request(f"{where}: goods_value + tax_value is not the gross_value.")
        tax_code = None
        if "tax_code_id" in item:
            tax_code = lookup(company.collection("tax_codes"), item["tax_code_id"])
            if tax_code is None:
                raise bad_request(f"{where}.tax_code_id: the tax code does not exist.")
        narrative = text(item.get("narrative", ""), f"{where}.narrative", 6000)
        lines.append((nominal, goods, tax, narrative, tax_code))
    total = sum((goods + tax for _, goods, tax, _, _ in lines), ZERO)
    if total == 0:
        raise bad_request("The entry has no value.")
    if "cheque_value" in data and money(data["cheque_value"], "cheque_value") != total:
        raise bad_request(f"The cheque_value is not the lines' gross total of {total}.")
    urn = company.new_urn()
    sign = 1 if receipt else -1
    _move_balance(company, "banks", bank, sign * total)
    tax_total = sum((tax for _, _, tax, _, _ in lines), ZERO)
    entries = [(_bank_nominal(bank), sign * total, "")]
    entries += [
        (
            (nominal["reference"], nominal["cost_centre_code"], nominal["department_code"]),
            -sign * goods,
            narrative,
        )
        for nominal, goods, _, narrative, _ in lines
    ]
    entries.append(
        (company.controls["sales_tax" if receipt else "purchase_tax"], -sign * tax_total, "")
    )
    _post_nominal(company, entries, when, reference, "CB", urn)
    _bank_entry(
        company,
        bank,
        "BankTransactionTypeReceipt" if receipt else "BankTransactionTypePayment",
        sign * total,
        when,
        reference,
        second_reference,
        "CB",
        urn,
        [
            {
                "code": nominal["reference"],
                "cost_centre": nominal["cost_centre_code"],
                "department": nominal["department_code"],
                "name": nominal["name"],
                "location": "",
                "reference": reference,
                "narrative": narrative,
                "value": goods,
                "base_value": goods,
                "transaction_analysis_code": "",
                "source": "CB",
            }
            for nominal, goods, _, narrative, _ in lines
        ],
        description,
    )
    return {"urn": str(urn)}


def validate_transaction_date(company: Company, data: Mapping[str, Any]) -> Record:
    """``POST /transaction_date_validation`` ([S200 general]: ``date`` and ``ledger_type`` in,
    ``classification`` and ``message`` out). Classification names are inferred."""
    if "ledger_type" in data:
        ledger = text(data["ledger_type"], "ledger_type")
        if company.find("ledger_types", value=ledger) is None:
            raise bad_request(f"The value '{ledger}' is not valid for ledger_type.")
    when = day(data["date"], "date") if "date" in data else company.today()
    period = company.period_of(when)
    current = company.period_of(company.today())
    if period is None:
        return {
            "classification": "TransactionDateValidationClassificationInvalid",
            "message": f"The date {when.isoformat()} is not in a financial year of the company.",
        }
    if current is not None and period.accounting_period_id != current.accounting_period_id:
        future = period.start > current.end
        return {
            "classification": "TransactionDateValidationClassificationWarning",
            "message": (
                f"The date {when.isoformat()} is in a {'future' if future else 'previous'} period."
            ),
        }
    return {"classification": "TransactionDateValidationClassificationValid", "message": ""}
