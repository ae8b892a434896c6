"""Sites, nominal codes, transaction dates, posted transactions by urn, nominal enquiry and
bank entries: the Sage 200 components that are not a plain list or get."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from sage200 import _lookups, _markers, _odata, _wire
from sage200._actions import record_path, write_one
from sage200._examples import POSTED as _POSTED
from sage200._examples import PURCHASE_POSTED as _PURCHASE_POSTED
from sage200._models import (
    Id,
    ListInputs,
    ListOutput,
    Posted,
    optional,
    page_of,
    required,
    total,
    two_places,
)
from sage200._pack import PACK
from sage200._paging import list_action
from sage200._records import (
    DateValidation,
    Found,
    NominalCode,
    NominalTransaction,
    PostedTransaction,
    Site,
)
from sageflow._component import READ_ONLY, WRITE, Action, Inputs
from sageflow._types import Bool, Date, Int, Money, Timestamp
from sageflow._values import HTTPRequest

# -- sites: the bootstrap ----------------------------------------------------------------------


class ListSitesInputs(Inputs):
    """``GET /sites`` takes no query: it is read before X-Site and X-Company are known."""


class SitesOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[Site] = Field(description="Every site and company the user can reach.")
    count: int = Field(description="How many there are.")


_SITE = {
    "site_id": "8a1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
    "site_name": "Abbey Group",
    "site_short_name": "ABBEY",
    "company_id": 1,
    "company_name": "Abbey Retail Ltd",
}


@PACK.component(
    key="listSites",
    title="List Sites",
    description=(
        "The sites and companies the signed-in user can reach (GET /sites): their site_id "
        "and company_id are the X-Site and X-Company every other call sends. An empty answer "
        "with status 504 means the site's on-premise connection is down."
    ),
    inputs=ListSitesInputs,
    output=SitesOutput,
    annotations=READ_ONLY,
    example_input={},
    example_output={"items": [_SITE], "count": 1},
)
def list_sites(inputs: ListSitesInputs) -> Action:
    body = _wire.read((yield HTTPRequest("GET", "/sites")))
    if not isinstance(body, list):
        raise ValueError("GET /sites did not answer with a JSON array")
    return {"items": body, "count": len(body)}


# -- nominal codes -----------------------------------------------------------------------------


class CreateNominalCodeInputs(Inputs):
    reference: str = required(
        "The account number, up to 8 characters.", "4020", min_length=1, max_length=8
    )
    name: str = required("The account's name.", "Sales - Training", min_length=1, max_length=60)
    reportCategoryId: Id = required(
        "The report category it is reported under.",
        1401,
        json_schema_extra=_lookups.REPORT_CATEGORIES,
    )
    costCentreId: Id | None = optional(
        "Its cost centre's id.", 301, json_schema_extra=_lookups.COST_CENTRE_IDS
    )
    departmentId: Id | None = optional(
        "Its department's id.", 401, json_schema_extra=_lookups.DEPARTMENT_IDS
    )
    nominalAccountType: str | None = optional(
        "The account type (Sage's enum name).", "NominalAccountTypeProfitAndLoss", max_length=20
    )
    allowManualJournalEntries: Bool | None = optional("Allow manual journals to it.", True)


@PACK.component(
    key="createNominalCode",
    title="Create Nominal Code",
    description="Add an account to the chart of accounts (POST /nominal_codes).",
    inputs=CreateNominalCodeInputs,
    output=NominalCode,
    annotations=WRITE,
    example_input={"reference": "4020", "name": "Sales - Training", "reportCategoryId": 1401},
    example_output={
        "id": 2231,
        "reference": "4020",
        "name": "Sales - Training",
        "cost_centre_code": "",
        "department_code": "",
        "report_category_id": 1401,
        "balance_year_to_date": 0.0,
    },
)
def create_nominal_code(inputs: CreateNominalCodeInputs) -> Action:
    return (yield from write_one("POST", "/nominal_codes", _wire.fields(inputs)))


# -- transaction dates -------------------------------------------------------------------------


class ValidateDateInputs(Inputs):
    date: Date = required("The proposed transaction date.", "2026-03-31")
    ledgerType: str = required(
        "The ledger, as GET /ledger_types names it in value.",
        "LedgerTypeSales",
        min_length=1,
        max_length=30,
        json_schema_extra=_lookups.LEDGER_TYPES,
    )


@PACK.component(
    key="validateTransactionDate",
    title="Validate Transaction Date",
    description=(
        "Ask Sage 200 whether a date suits a transaction on a ledger "
        "(POST /transaction_date_validation): Normal, Acceptable (with a warning) or "
        "Unacceptable (a closed or future period)."
    ),
    inputs=ValidateDateInputs,
    output=DateValidation,
    annotations=READ_ONLY,
    example_input={"date": "2026-03-31", "ledgerType": "LedgerTypeSales"},
    example_output={"classification": "Normal", "message": ""},
)
def validate_transaction_date(inputs: ValidateDateInputs) -> Action:
    body = _wire.fields(inputs)
    response = yield HTTPRequest("POST", "/transaction_date_validation", json=body)
    return dict(_wire.read(response))


# -- posted transactions by urn ----------------------------------------------------------------


class FindByUrnInputs(Inputs):
    urn: Int | str = Field(
        description="The urn a posting returned (a whole number, or its digits as text).",
        examples=[4217],
        json_schema_extra={"anyOf": [{"type": "integer", "minimum": 1},
                                     {"type": "string", "pattern": r"^[1-9][0-9]{0,18}$"}]},
    )  # fmt: skip

    @field_validator("urn")
    @classmethod
    def _whole(cls, raw: int | str) -> int | str:
        text = str(raw)
        if isinstance(raw, bool) or not text.isdigit() or text.startswith("0"):
            raise ValueError(f"expected a urn (a whole number from 1), got {raw!r}")
        return raw


def _find_by_urn(path: str) -> Callable[[FindByUrnInputs], Action]:
    def handler(inputs: FindByUrnInputs) -> Action:
        # urn is an int64 on a posted transaction (the spec); the posting answered with it as
        # a string, so either form is read back as the number.
        query = ListInputs(rawFilter=_odata.eq("urn", int(inputs.urn)))
        page = yield from list_action(path, query, order="id")
        return {"items": page["items"]}

    return handler


for _key, _title, _path, _example in (
    ("findSalesPostedTransaction", "Find Sales Posted Transaction", "/sales_posted_transactions",
     _POSTED),
    ("findPurchasePostedTransaction", "Find Purchase Posted Transaction",
     "/purchase_posted_transactions", _PURCHASE_POSTED),
):  # fmt: skip
    PACK.component(
        key=_key,
        title=_title,
        description=(
            f"Read back what a posting created: the transactions with this urn "
            f"(GET {_path}?$filter=urn eq ...); zero or more, so a flow can branch on "
            "`size(items)`."
        ),
        inputs=FindByUrnInputs,
        output=Found[PostedTransaction],
        annotations=READ_ONLY,
        example_input={"urn": _example["urn"]},
        example_output={"items": [_example]},
    )(_find_by_urn(_path))


# -- nominal transaction enquiry ---------------------------------------------------------------


class ListNominalTransactionsInputs(ListInputs):
    nominalCodeId: Id | None = optional(
        "Only postings to this nominal code (GET /nominal_codes/{id}/...).",
        2207,
        json_schema_extra=_lookups.NOMINAL_CODES,
    )
    since: Timestamp | None = optional("Only postings dated on or after this date.", "2026-03-01")


_NOMINAL_TRANSACTION = {
    "id": 77120,
    "nominal_code_id": 2207,
    "transaction_date": "2026-03-31T00:00:00Z",
    "period_number": 3,
    "reference": "INV-1001",
    "narrative": "Consulting, March",
    "debit": 0.0,
    "credit": 1000.0,
    "source": "SalesLedger",
    "urn": 4217,
}


@PACK.component(
    key="listNominalTransactions",
    title="List Nominal Transactions",
    description=(
        "The nominal ledger's postings (GET /nominal_transaction_enquiry_views), for one "
        "nominal code or all, filtered and paged like every list."
    ),
    inputs=ListNominalTransactionsInputs,
    output=ListOutput[NominalTransaction],
    annotations=READ_ONLY,
    example_input={"nominalCodeId": 2207, "since": "2026-03-01", "fetchAll": True},
    example_output=page_of(_NOMINAL_TRANSACTION, top=500),
)
def list_nominal_transactions(inputs: ListNominalTransactionsInputs) -> Action:
    path = "/nominal_transaction_enquiry_views"
    if inputs.nominalCodeId is not None:
        path = record_path("nominal_codes", inputs.nominalCodeId) + path
    since = None
    if inputs.since is not None:
        since = f"transaction_date ge {_odata.date_literal(inputs.since)}"
    return (yield from list_action(path, inputs, order="id", extra_filter=since))


# -- bank payments and receipts ----------------------------------------------------------------


class BankLine(Inputs):
    """One analysis line of a bank payment or receipt: goods, tax and their gross."""

    nominalAccount: str = required(
        "The nominal account number the money is analysed to.",
        "7500",
        min_length=1,
        max_length=8,
        json_schema_extra=_lookups.NOMINAL_REFERENCES,
    )
    costCentre: str | None = optional("Cost centre code.", "LON", max_length=3,
                                      json_schema_extra=_lookups.COST_CENTRES)  # fmt: skip
    department: str | None = optional("Department code.", "SAL", max_length=3,
                                      json_schema_extra=_lookups.DEPARTMENTS)  # fmt: skip
    narrative: str | None = optional("What it was for.", "Office stationery", max_length=6000)
    goodsValue: Money = required("The net value.", "50.00")
    taxCodeId: Id = required("The tax code.", 1729, json_schema_extra=_lookups.TAX_CODES)
    taxValue: Money = required("The tax.", "10.00")

    @field_validator("goodsValue", "taxValue")
    @classmethod
    def _cents(cls, amount: Decimal, info: ValidationInfo) -> Decimal:
        return two_places(amount, str(info.field_name))


class BankEntryInputs(Inputs):
    bankId: Id = required("The bank account.", 3301, json_schema_extra=_lookups.BANKS)
    transactionDate: Date = required("The date.", "2026-04-02")
    reference: str | None = optional("Your reference.", "DD 0402", max_length=20)
    secondReference: str | None = optional("A second reference.", "Stationery", max_length=20)
    narrative: str | None = optional("What the entry was for.", "Office supplies",
                                     max_length=6000)  # fmt: skip
    lines: list[BankLine] = Field(
        description="Analysis lines; the entry's value is their gross total.",
        examples=[[{"nominalAccount": "7500", "goodsValue": "50.00", "taxCodeId": 1729,
                    "taxValue": "10.00"}]],
        min_length=1,
    )  # fmt: skip
    chequeValue: Money | None = optional(
        "The entry's value; checked against the lines' gross total (worked out when omitted).",
        "60.00",
    )

    @field_validator("chequeValue")
    @classmethod
    def _gross(cls, amount: Decimal, info: ValidationInfo) -> Decimal:
        lines = info.data.get("lines")
        if lines is not None:
            gross = total(line.goodsValue + line.taxValue for line in lines)
            if gross != amount:
                raise ValueError(f"the lines' gross total is {gross}, not {amount}")
        return amount


def bank_entry_body(inputs: BankEntryInputs) -> dict[str, Any]:
    body = _wire.fields(inputs, exclude={"lines", "chequeValue"})
    # The entry's value is its lines' gross; its goods and tax split is on the lines, so the
    # optional cheque_goods_value and cheque_tax_value are left to Sage to total.
    gross = total(line.goodsValue + line.taxValue for line in inputs.lines)
    body["cheque_value"] = _wire.number(gross)
    body["nominal_analysis_items"] = [
        {
            **_wire.fields(line, rename={"nominalAccount": "code"}),
            "gross_value": _wire.number(line.goodsValue + line.taxValue),
        }
        for line in inputs.lines
    ]
    return body


def _bank_handler(path: str) -> Callable[[BankEntryInputs], Action]:
    def handler(inputs: BankEntryInputs) -> Action:
        response = yield HTTPRequest("POST", path, json=bank_entry_body(inputs))
        return dict(_wire.read(response))

    return handler


_BANK_EXAMPLE = {
    "bankId": 3301,
    "transactionDate": "2026-04-02",
    "reference": "DD 0402",
    "lines": [{"nominalAccount": "7500", "costCentre": "ADM", "narrative": "Office stationery",
               "goodsValue": "50.00",
               "taxCodeId": 1729, "taxValue": "10.00"}],
}  # fmt: skip
_KIND: dict[str, Literal["payment", "receipt"]] = {
    "/bank_payment": "payment",
    "/bank_receipt": "receipt",
}
for _bank_path, _kind in _KIND.items():
    PACK.component(
        key=f"postBank{_kind.capitalize()}",
        title=f"Post Bank {_kind.capitalize()}",
        description=(
            f"Record a bank {_kind} that is not a customer's or supplier's (POST {_bank_path}), "
            "analysed to nominal codes with tax; the totals are worked out from the lines."
        ),
        inputs=BankEntryInputs,
        output=Posted,
        annotations=WRITE,
        marker=_markers.BANK,
        example_input=_BANK_EXAMPLE,
        example_output={"urn": "4410" if _kind == "payment" else "4411"},
    )(_bank_handler(_bank_path))
