"""``createInvoice``: a sales or purchase invoice (or credit note) posted by Sage GE in its
journal, through Chift's ``POST /invoices``. The amounts Chift wants on each line and in total
(untaxed, tax, total) are computed here from quantity, unit price and VAT rate, in exact
decimals rounded to the cent, so that they always add up."""

from __future__ import annotations

import base64
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from sage_ge import _lookups, _records
from sage_ge._books import read_books, refusal_problems
from sage_ge._markers import INVOICE
from sage_ge._pack import PACK
from sage_ge._rules import AccountNumber, FiscalYear, check_posting
from sage_ge.reads import ID_PATTERN, segment
from sageflow._component import WRITE, Action, Inputs
from sageflow._errors import InputValidationError
from sageflow._options import closed_set
from sageflow._types import Date, Money
from sageflow._values import HTTPRequest

if TYPE_CHECKING:
    InvoiceType = Literal[
        "customer_invoice", "customer_refund", "supplier_invoice", "supplier_refund"
    ]
else:
    InvoiceType = closed_set(
        {
            "customer_invoice": "Sales invoice",
            "customer_refund": "Sales credit note",
            "supplier_invoice": "Purchase invoice",
            "supplier_refund": "Purchase credit note",
        }
    )

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class InvoiceLine(Inputs):
    accountNumber: AccountNumber = Field(
        description="The income or expense account (706000).",
        json_schema_extra=_lookups.ACCOUNTS,
    )
    description: str = Field(default="", max_length=255, description="The line's text.")
    quantity: Annotated[Money, Field(gt=0)] = Field(description="Quantity.", examples=[2])
    unitPrice: Annotated[Money, Field(ge=0)] = Field(
        description="Unit price before VAT.", examples=["50.00"]
    )
    taxRate: Annotated[Money, Field(ge=0, le=100)] = Field(
        description="VAT rate in percent (20, 10, 5.5, 2.1, 0).", examples=["20"]
    )
    vatCode: str = Field(
        min_length=1, description="The VAT code's id.", examples=["20"],
        json_schema_extra=_lookups.VAT_CODES,
    )  # fmt: skip
    analyticAccount: str | None = Field(
        default=None, min_length=1, description="Analytic code.", examples=["PARIS"]
    )

    def amounts(self) -> tuple[Decimal, Decimal]:
        untaxed = cents(self.quantity * self.unitPrice)
        return untaxed, cents(untaxed * self.taxRate / 100)


class CreateInvoiceInputs(Inputs):
    invoiceType: InvoiceType = Field(
        description="Which kind of invoice.", examples=["customer_invoice"]
    )
    invoiceNumber: str | None = Field(
        default=None, min_length=1, max_length=40, description="The invoice's number.",
        examples=["F2026-012"],
    )  # fmt: skip
    invoiceDate: Date = Field(
        description="The accounting date: it decides the fiscal year.", examples=["2026-03-10"]
    )
    dueDate: Date = Field(description="When payment is due.", examples=["2026-04-09"])
    clientId: str | None = Field(
        default=None, min_length=1, description="The client (sales invoices and credit notes).",
        examples=["CDUPONT"], json_schema_extra=_lookups.CLIENTS,
    )  # fmt: skip
    supplierId: str | None = Field(
        default=None, min_length=1,
        description="The supplier (purchase invoices and credit notes).", examples=["FORANGE"],
        json_schema_extra=_lookups.SUPPLIERS,
    )  # fmt: skip
    journalId: str | None = Field(
        default=None, min_length=1, description="The journal; Sage GE's default when absent.",
        examples=["1"], json_schema_extra=_lookups.JOURNALS,
    )  # fmt: skip
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO currency.")
    reference: str | None = Field(
        default=None, max_length=100, description="Your reference.", examples=["PO-4411"]
    )
    lines: list[InvoiceLine] = Field(min_length=1, max_length=500, description="The lines.")
    today: Date | None = Field(
        default=None, description="Today for the open-year rule; Chift's Date header if absent.",
        examples=["2026-03-15"],
    )  # fmt: skip
    fiscalYears: list[FiscalYear] | None = Field(
        default=None,
        min_length=1,
        description="The dossier's fiscal years; otherwise read from GET /bookyears (on request).",
    )

    @model_validator(mode="after")
    def _party(self) -> CreateInvoiceInputs:
        sales = self.invoiceType.startswith("customer")
        if sales and (self.clientId is None or self.supplierId is not None):
            raise ValueError("a sales invoice or credit note takes clientId (and no supplierId)")
        if not sales and (self.supplierId is None or self.clientId is not None):
            raise ValueError("a purchase invoice or credit note takes supplierId (and no clientId)")
        if self.dueDate < self.invoiceDate:
            raise ValueError("dueDate is before invoiceDate")
        return self


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def invoice_body(inputs: CreateInvoiceInputs) -> dict[str, Any]:
    """Chift's ``InvoiceItemInMonoAnalyticPlan``, its totals the sums of its lines'."""
    lines = []
    untaxed_total = tax_total = Decimal(0)
    for number, line in enumerate(inputs.lines, start=1):
        untaxed, tax = line.amounts()
        untaxed_total += untaxed
        tax_total += tax
        item: dict[str, Any] = {
            "line_number": number,
            "unit_price": _number(line.unitPrice),
            "quantity": _number(line.quantity),
            "untaxed_amount": _number(untaxed),
            "tax_rate": _number(line.taxRate),
            "tax_amount": _number(tax),
            "total": _number(untaxed + tax),
            "account_number": line.accountNumber,
            "tax_code": line.vatCode,
            "description": line.description,
        }
        if line.analyticAccount:
            item["analytic_account"] = line.analyticAccount
        lines.append(item)
    body: dict[str, Any] = {
        "invoice_type": inputs.invoiceType,
        "currency": inputs.currency,
        "untaxed_amount": _number(untaxed_total),
        "tax_amount": _number(tax_total),
        "total": _number(untaxed_total + tax_total),
        "invoice_date": inputs.invoiceDate.isoformat(),
        "due_date": inputs.dueDate.isoformat(),
        "partner_id": inputs.clientId or inputs.supplierId,
        "lines": lines,
    }
    for name, key in (("invoiceNumber", "invoice_number"), ("journalId", "journal_id"),
                      ("reference", "reference")):  # fmt: skip
        value = getattr(inputs, name)
        if value is not None:
            body[key] = value
    return body


_EXAMPLE = {
    "invoiceType": "customer_invoice", "invoiceNumber": "F2026-012", "invoiceDate": "2026-03-10",
    "dueDate": "2026-04-09", "clientId": "CDUPONT", "today": "2026-03-15",
    "lines": [{"accountNumber": "706000", "description": "Conseil", "quantity": 2,
               "unitPrice": "50.00", "taxRate": "20", "vatCode": "20"}],
}  # fmt: skip


@PACK.component(
    key="createInvoice",
    title="Create Invoice",
    description=(
        "Create a sales or purchase invoice or credit note in Sage GE (POST /invoices through "
        "Chift; live): each line's untaxed amount, VAT and total, and the invoice's, computed "
        "from quantity, unit price and VAT rate to the cent; Sage GE's fiscal-year, posting-date "
        "and journal rules checked first, nothing sent when one is broken."
    ),
    inputs=CreateInvoiceInputs,
    output=_records.Invoice,
    annotations=WRITE,
    marker=INVOICE,
    example_input=_EXAMPLE,
    example_output={
        "id": "INV-12",
        "invoice_number": "F2026-012",
        "invoice_type": "customer_invoice",
        "total": 120.0,
    },
    availability="live",
)
def create_invoice(inputs: CreateInvoiceInputs) -> Action:
    read = yield from read_books(inputs.today, inputs.fiscalYears)
    refusals = check_posting(inputs.invoiceDate, inputs.journalId, read["books"])
    if refusals:
        # The invoice's own names for the entry's fields.
        names = {"$.date": "$.invoiceDate", "$.journalCode": "$.journalId"}
        problems = [replace(p, path=names.get(p.path, p.path)) for p in refusal_problems(refusals)]
        raise InputValidationError("sage_ge/createInvoice", problems)
    response = yield HTTPRequest("POST", "/invoices", json=invoice_body(inputs))
    created = response.json()
    if not isinstance(created, dict):
        raise ValueError("POST /invoices did not answer an invoice")
    return created


#: Chift's ``pdf_name`` pattern: letters, digits, dashes, underscores and spaces, .pdf optional.
PDF_NAME = r"^[a-zA-Z0-9\-_ ]{1,196}(?:.pdf)?$"
#: 10 MB of PDF (about 13.4 million base 64 characters): more than an invoice needs.
MAX_PDF_CHARS = 14_000_000


class AddInvoicePdfInputs(Inputs):
    invoiceId: str = Field(
        pattern=ID_PATTERN, description="The invoice's id.", examples=["INV-12"],
        json_schema_extra=_lookups.INVOICES,
    )  # fmt: skip
    pdf: str = Field(
        min_length=8, max_length=MAX_PDF_CHARS, pattern=r"^[A-Za-z0-9+/]+={0,2}$",
        description="The PDF, base 64 encoded.", examples=["JVBERi0xLjQKJcfs"],
    )  # fmt: skip
    name: str | None = Field(
        default=None, pattern=PDF_NAME, description="The file's name.", examples=["F2026-012.pdf"]
    )
    overwriteExisting: bool = Field(default=False, description="Replace a PDF already attached.")

    @model_validator(mode="after")
    def _is_pdf(self) -> AddInvoicePdfInputs:
        # Only the first bytes are decoded: a PDF starts with %PDF-, whatever its size.
        head = base64.b64decode(self.pdf[:8])
        if not head.startswith(b"%PDF-"):
            raise ValueError("pdf: the base 64 text is not a PDF (it must start with %PDF-)")
        return self


class AddInvoicePdfOutput(BaseModel):
    attached: bool = Field(description="Chift accepted the PDF (204).")


@PACK.component(
    key="addInvoicePdf",
    title="Add Invoice PDF",
    description=(
        "Attach a PDF to an invoice in Sage GE (POST /invoices/pdf/{invoice_id} through Chift; "
        "on request)."
    ),
    inputs=AddInvoicePdfInputs,
    output=AddInvoicePdfOutput,
    annotations=WRITE,
    example_input={"invoiceId": "INV-12", "pdf": "JVBERi0xLjQKJcfs", "name": "F2026-012.pdf"},
    example_output={"attached": True},
    availability="on_request",
)
def add_invoice_pdf(inputs: AddInvoicePdfInputs) -> Action:
    body: dict[str, Any] = {"base64_string": inputs.pdf}
    if inputs.name is not None:
        body["name"] = inputs.name
    yield HTTPRequest(
        "POST",
        f"/invoices/pdf/{segment(inputs.invoiceId)}",
        query={"overwrite_existing": inputs.overwriteExisting},
        json=body,
    )
    return {"attached": True}
