"""Posting to the ledgers: invoices and credit notes, receipts, payments, allocations and bank
entries. Each returns Sage's unique reference number (``urn``), not a record: "posting a sales
invoice does not actually create a 'sales invoice' entity, but a Posted Transaction" (the
PostSalesInvoice operation's description); read it back with find...PostedTransaction.

Totals are checked here, before anything is sent: Sage 200 carries goods by nominal account
(``nominal_analysis_items``) and tax per tax code at header level (``tax_analysis_items``),
and the two analyses must add up to the document values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from sage200 import _lookups, _markers, _wire
from sage200._models import Id, Posted, optional, required, total, two_places
from sage200._pack import PACK
from sage200._records import Allocation
from sageflow._component import WRITE, Action, Inputs
from sageflow._types import Bool, Date, Money
from sageflow._values import HTTPRequest


class NominalLine(Inputs):
    """Goods posted to one nominal account (one ``nominal_analysis_items`` entry)."""

    nominalAccount: str = required(
        "The nominal account number (its reference), e.g. 4000.",
        "4000",
        min_length=1,
        max_length=8,
        json_schema_extra=_lookups.NOMINAL_REFERENCES,
    )
    costCentre: str | None = optional(
        "The account's cost centre code.", "LON", max_length=3,
        json_schema_extra=_lookups.COST_CENTRES,
    )  # fmt: skip
    department: str | None = optional(
        "The account's department code.", "SAL", max_length=3,
        json_schema_extra=_lookups.DEPARTMENTS,
    )  # fmt: skip
    narrative: str | None = optional("What the goods were.", "Consulting, March", max_length=6000)
    value: Money = required("The goods value (net of tax), 2 decimal places.", "1000.00")
    transactionAnalysisCode: str | None = optional(
        "A transaction analysis code.", "PROJ-A", max_length=20,
        json_schema_extra=_lookups.ANALYSIS_CODES,
    )  # fmt: skip

    @field_validator("value")
    @classmethod
    def _cents(cls, amount: Decimal) -> Decimal:
        return two_places(amount, "value")


class TaxLine(Inputs):
    """Goods and tax at one tax code (one ``tax_analysis_items`` entry)."""

    taxCodeId: Id = required("The tax code's id.", 1729, json_schema_extra=_lookups.TAX_CODES)
    goodsAmount: Money = required("Goods value taxed at this code.", "1000.00")
    taxAmount: Money = required("Tax at this code.", "200.00")

    @field_validator("goodsAmount", "taxAmount")
    @classmethod
    def _cents(cls, amount: Decimal, info: ValidationInfo) -> Decimal:
        return two_places(amount, str(info.field_name))


_NOMINAL_RENAME = {"nominalAccount": "code"}
_TAX_RENAME = {"taxCodeId": "id"}


class DocumentInputs(Inputs):
    """What every invoice and credit note takes (the trader id is added per ledger)."""

    transactionDate: Date = required("The document date.", "2026-03-31")
    reference: str | None = optional("Your reference (e.g. the invoice number).", "INV-1001",
                                     max_length=20)  # fmt: skip
    secondReference: str | None = optional("A second reference.", "PO 7781", max_length=20)
    exchangeRate: Money | None = optional("Exchange rate, for a foreign-currency account.", "1.1")
    settledImmediately: Bool | None = optional("Paid at once (a cash sale or purchase).", False)
    nominalAnalysis: list[NominalLine] = Field(
        description="Goods by nominal account; their values add up to the goods total.",
        examples=[[{"nominalAccount": "4000", "value": "1000.00", "narrative": "Consulting"}]],
        min_length=1,
    )
    taxAnalysis: list[TaxLine] = Field(
        description=(
            "Goods and tax per tax code, one entry per code; goods amounts add up to the "
            "nominal analysis."
        ),
        examples=[[{"taxCodeId": 1729, "goodsAmount": "1000.00", "taxAmount": "200.00"}]],
        min_length=1,
    )
    documentGoodsValue: Money | None = optional(
        "The goods total; checked against the analyses (worked out when omitted).", "1000.00"
    )
    documentTaxValue: Money | None = optional(
        "The tax total; checked against the tax analysis (worked out when omitted).", "200.00"
    )

    @field_validator("taxAnalysis")
    @classmethod
    def _tax_matches_goods(cls, lines: list[TaxLine], info: ValidationInfo) -> list[TaxLine]:
        codes = [line.taxCodeId for line in lines]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"tax code {repeated[0]} appears twice; give one entry per tax code")
        nominal = info.data.get("nominalAnalysis")
        if nominal is None:
            return lines  # the nominal analysis is invalid itself; that error is reported
        goods = total(line.value for line in nominal)
        taxed = total(line.goodsAmount for line in lines)
        if goods != taxed:
            raise ValueError(
                f"the tax analysis covers goods of {taxed} but the nominal analysis adds up to "
                f"{goods}; they must be equal"
            )
        return lines

    @field_validator("documentGoodsValue")
    @classmethod
    def _goods_total(cls, amount: Decimal, info: ValidationInfo) -> Decimal:
        nominal = info.data.get("nominalAnalysis")
        if nominal is not None and total(line.value for line in nominal) != amount:
            found = total(line.value for line in nominal)
            raise ValueError(f"the nominal analysis adds up to {found}, not {amount}")
        return amount

    @field_validator("documentTaxValue")
    @classmethod
    def _tax_total(cls, amount: Decimal, info: ValidationInfo) -> Decimal:
        tax = info.data.get("taxAnalysis")
        if tax is not None and total(line.taxAmount for line in tax) != amount:
            found = total(line.taxAmount for line in tax)
            raise ValueError(f"the tax analysis adds up to {found}, not {amount}")
        return amount


def document_body(inputs: DocumentInputs, trader_field: str, trader_id: int) -> dict[str, Any]:
    """The posting body, with the document totals worked out from the (checked) analyses."""
    body: dict[str, Any] = {trader_field: trader_id}
    body.update(
        _wire.fields(
            inputs,
            exclude={"customerId", "supplierId", "nominalAnalysis", "taxAnalysis"},
        )
    )
    body["document_goods_value"] = _wire.number(total(n.value for n in inputs.nominalAnalysis))
    body["document_tax_value"] = _wire.number(total(t.taxAmount for t in inputs.taxAnalysis))
    body["tax_analysis_items"] = [
        _wire.fields(line, rename=_TAX_RENAME) for line in inputs.taxAnalysis
    ]
    body["nominal_analysis_items"] = [
        _wire.fields(line, rename=_NOMINAL_RENAME) for line in inputs.nominalAnalysis
    ]
    return body


def _customer_id() -> Any:
    return Field(
        description="The customer's id.", examples=[27825], json_schema_extra=_lookups.CUSTOMERS
    )


def _supplier_id() -> Any:
    return Field(
        description="The supplier's id.", examples=[31102], json_schema_extra=_lookups.SUPPLIERS
    )


class PostSalesCreditNoteInputs(DocumentInputs):
    customerId: Id = _customer_id()


class PostSalesInvoiceInputs(PostSalesCreditNoteInputs):
    dueDate: Date | None = optional("When payment is due (the account's terms by default).",
                                    "2026-04-30")  # fmt: skip


class PostPurchaseCreditNoteInputs(DocumentInputs):
    supplierId: Id = _supplier_id()


class PostPurchaseInvoiceInputs(PostPurchaseCreditNoteInputs):
    dueDate: Date | None = optional("When payment is due (the account's terms by default).",
                                    "2026-04-30")  # fmt: skip


@dataclass(frozen=True)
class Document:
    key: str  # postSalesInvoice
    title: str
    path: str
    inputs: type[DocumentInputs]
    trader_input: Literal["customerId", "supplierId"]
    what: str

    @property
    def trader_field(self) -> str:
        return _wire.snake(self.trader_input)


DOCUMENTS = (
    Document("postSalesInvoice", "Post Sales Invoice", "/sales_invoices",
             PostSalesInvoiceInputs, "customerId", "a sales invoice to a customer's account"),
    Document("postSalesCreditNote", "Post Sales Credit Note", "/sales_credit_notes",
             PostSalesCreditNoteInputs, "customerId",
             "a sales credit note to a customer's account"),
    Document("postPurchaseInvoice", "Post Purchase Invoice", "/purchase_invoices",
             PostPurchaseInvoiceInputs, "supplierId",
             "a purchase invoice to a supplier's account"),
    Document("postPurchaseCreditNote", "Post Purchase Credit Note", "/purchase_credit_notes",
             PostPurchaseCreditNoteInputs, "supplierId",
             "a purchase credit note to a supplier's account"),
)  # fmt: skip


def _document_handler(document: Document) -> Callable[[DocumentInputs], Action]:
    def handler(inputs: DocumentInputs) -> Action:
        trader = getattr(inputs, document.trader_input)
        body = document_body(inputs, document.trader_field, trader)
        response = yield HTTPRequest("POST", document.path, json=body)
        return dict(_wire.read(response))

    return handler


_LINES = {
    "nominalAnalysis": [
        {"nominalAccount": "4000", "value": "1000.00", "narrative": "Consulting, March"},
        {"nominalAccount": "4010", "value": "250.00", "narrative": "Expenses recharged"},
    ],
    "taxAnalysis": [{"taxCodeId": 1729, "goodsAmount": "1250.00", "taxAmount": "250.00"}],
}

for _document in DOCUMENTS:
    _trader_example = 27825 if _document.trader_input == "customerId" else 31102
    PACK.component(
        key=_document.key,
        title=_document.title,
        description=(
            f"Post {_document.what} (POST {_document.path}), goods by nominal account and tax "
            "per tax code, totals checked before sending; returns its urn."
        ),
        inputs=_document.inputs,
        output=Posted,
        annotations=WRITE,
        marker=_markers.SALES if _document.trader_input == "customerId" else _markers.PURCHASES,
        example_input={
            _document.trader_input: _trader_example,
            "transactionDate": "2026-03-31",
            "reference": "INV-1001",
            **_LINES,
        },
        example_output={"urn": "4217"},
    )(_document_handler(_document))


# -- receipts and payments ---------------------------------------------------------------------


class CashInputs(Inputs):
    bankId: Id = required("The bank account it goes through.", 3301,
                          json_schema_extra=_lookups.BANKS)  # fmt: skip
    chequeValue: Money = required("The amount, in the bank account's currency.", "1200.00")
    transactionDate: Date = required("The date.", "2026-04-15")
    reference: str | None = optional("Your reference.", "BACS 0415", max_length=20)
    secondReference: str | None = optional("A second reference.", "INV-1001", max_length=20)
    settlementDiscountValue: Money | None = optional("Settlement discount taken.", "0.00")
    exchangeRate: Money | None = optional("Exchange rate, for a foreign-currency account.", "1.1")

    @field_validator("chequeValue")
    @classmethod
    def _positive(cls, amount: Decimal) -> Decimal:
        if amount <= 0:
            raise ValueError(f"the amount must be more than 0, got {amount}")
        return two_places(amount, "chequeValue")


class PostSalesReceiptInputs(CashInputs):
    customerId: Id = _customer_id()


class PostPurchasePaymentInputs(CashInputs):
    supplierId: Id = _supplier_id()


def _cash_handler(path: str, trader: str) -> Callable[[CashInputs], Action]:
    def handler(inputs: CashInputs) -> Action:
        body = {_wire.snake(trader): getattr(inputs, trader)}
        body.update(_wire.fields(inputs, exclude={trader}))
        response = yield HTTPRequest("POST", path, json=body)
        return dict(_wire.read(response))

    return handler


PACK.component(
    key="postSalesReceipt",
    title="Post Sales Receipt",
    description=(
        "Record money received from a customer into a bank account (POST /sales_receipts); "
        "returns its urn. Allocate it to invoices with allocateSalesTransactions."
    ),
    inputs=PostSalesReceiptInputs,
    output=Posted,
    annotations=WRITE,
    marker=_markers.SALES,
    example_input={
        "customerId": 27825,
        "bankId": 3301,
        "chequeValue": "1200.00",
        "transactionDate": "2026-04-15",
        "reference": "BACS 0415",
    },
    example_output={"urn": "4301"},
)(_cash_handler("/sales_receipts", "customerId"))

PACK.component(
    key="postPurchasePayment",
    title="Post Purchase Payment",
    description=(
        "Record money paid to a supplier from a bank account (POST /purchase_payments); "
        "returns its urn."
    ),
    inputs=PostPurchasePaymentInputs,
    output=Posted,
    annotations=WRITE,
    marker=_markers.PURCHASES,
    example_input={
        "supplierId": 31102,
        "bankId": 3301,
        "chequeValue": "240.00",
        "transactionDate": "2026-04-15",
        "reference": "CHQ 100234",
    },
    example_output={"urn": "4302"},
)(_cash_handler("/purchase_payments", "supplierId"))


# -- allocations -------------------------------------------------------------------------------


class AllocationLine(Inputs):
    postedTransactionId: Id = required(
        "The posted transaction's id (an invoice, receipt, payment or credit note).",
        90211,
        json_schema_extra=_lookups.SALES_POSTED,
    )
    valueToAllocate: Money = required(
        "How much of it to allocate: positive for invoices, negative for receipts and credit "
        "notes.",
        "1200.00",
    )


class AllocateSalesInputs(Inputs):
    customerId: Id = _customer_id()
    allocationDate: Date | None = optional("The allocation date (today by default).", "2026-04-15")
    requireBalanced: Bool = Field(
        default=True,
        description=(
            "Refuse lines that do not add up to zero before sending (an invoice and what "
            "settles it cancel out; Sage does not publish its rule, so turn this off to let "
            "Sage decide)."
        ),
        examples=[True],
    )

    allocationLines: list[AllocationLine] = Field(
        description="The transactions to allocate against each other, at least two.",
        examples=[[{"postedTransactionId": 90211, "valueToAllocate": "1200.00"},
                   {"postedTransactionId": 90388, "valueToAllocate": "-1200.00"}]],
        min_length=2,
    )  # fmt: skip

    @field_validator("allocationLines")
    @classmethod
    def _balanced(cls, lines: list[AllocationLine], info: ValidationInfo) -> list[AllocationLine]:
        # requireBalanced is declared first, so it is known here (True unless given).
        if info.data.get("requireBalanced", True):
            balance = total(line.valueToAllocate for line in lines)
            if balance != 0:
                raise ValueError(
                    f"the allocation lines add up to {balance}, not 0 (an invoice and the "
                    "receipts or credit notes that settle it cancel out)"
                )
        return lines


@PACK.component(
    key="allocateSalesTransactions",
    title="Allocate Sales Transactions",
    description=(
        "Allocate a customer's posted transactions against each other, e.g. a receipt "
        "against an invoice (POST /sales_allocations). The spec has no purchase allocation."
    ),
    inputs=AllocateSalesInputs,
    output=Allocation,
    annotations=WRITE,
    example_input={
        "customerId": 27825,
        "allocationDate": "2026-04-15",
        "allocationLines": [
            {"postedTransactionId": 90211, "valueToAllocate": "1200.00"},
            {"postedTransactionId": 90388, "valueToAllocate": "-1200.00"},
        ],
    },
    example_output={
        "customer_id": 27825,
        "allocation_date": "2026-04-15T00:00:00Z",
        "allocation_lines": [
            {"posted_tran_id": 90211, "value_to_allocate": 1200.0},
            {"posted_tran_id": 90388, "value_to_allocate": -1200.0},
        ],
    },
)
def allocate_sales(inputs: AllocateSalesInputs) -> Action:
    body = _wire.fields(inputs, exclude={"allocationLines", "requireBalanced"})
    body["allocation_lines"] = [
        {"posted_tran_id": line.postedTransactionId,
         "value_to_allocate": _wire.number(line.valueToAllocate)}
        for line in inputs.allocationLines
    ]  # fmt: skip
    response = yield HTTPRequest("POST", "/sales_allocations", json=body)
    return dict(_wire.read(response))
