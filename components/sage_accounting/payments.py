"""Payments: contact payments (``/contact_payments``), contact allocations
(``/contact_allocations``), other payments (``/other_payments``) and payment methods.

Every resource is a row of the :mod:`sage_accounting._crud` table. Two of Sage's rules are
checked before anything is sent, with the figures, because Sage's own refusal would come after
a flow has started: an allocation's amounts must sum to zero [G-pay], and an other payment's
total must be its lines' total. None of these creates is numbered. Sage honours
``idempotency_id`` on all three wrappers (connection.IDEMPOTENT_WRAPPERS); where it cannot
help (past its 7 days, a resumed run), a payment's marker goes into its ``reference`` when the
caller left it empty and is found among the same contact's (or bank account's) payments of
that date, their lists having no ``search``. An allocation has no free-text field to carry
one: ``idempotency_id`` alone covers it, and a repeated allocation is mostly refused anyway as
more than is outstanding.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from sage_accounting import _markers
from sage_accounting._changes import changes_trigger
from sage_accounting._crud import GET, LIST, Family, register_family
from sage_accounting._lookups import (
    BANK_ACCOUNTS,
    CONTACT_ALLOCATIONS,
    CONTACT_PAYMENTS,
    CONTACTS,
    CURRENCIES,
    LEDGER_ACCOUNTS,
    OTHER_PAYMENTS,
    PAYMENT_METHODS,
    TAX_RATES,
    AllocationTypeId,
    OtherPaymentTypeId,
    PaymentTypeId,
)
from sage_accounting._models import (
    ChangeTrackingInputs,
    Date,
    Id,
    Money,
    PagingInputs,
    SageObject,
    optional,
)
from sage_accounting._resources import Link
from sageflow._component import Inputs

PAYMENT_ID = "abf85666183b4518af9639bff387b6d8"
CONTACT_ID = "521229b29af04f3682d85b0d43ef5361"
BANK_ACCOUNT_ID = "19e5f9768c9542ef840ab7532e231215"
INVOICE_ID = "d88b0079361b4b37a3d6b4e6b41b2775"
CREDIT_NOTE_ID = "cc31d97b43de4f9d9aaf718b7d81fa65"
LEDGER_ACCOUNT_ID = "7a5ecfcf884911ed84fa0252b90cda0d"
ALLOCATION_ID = "c945a9031efd4e84812c9d130bbcf8d1"
OTHER_PAYMENT_ID = "a47292616ba743f6b111adb7d3df40d5"
#: [G-pay]: a contact payment's reference "is limited to 25 characters".
REFERENCE_MAX = 25


def _text(what: str) -> Any:
    return Field(default=None, description=what)


def _link(key: str, shown: str, path: str) -> dict[str, str]:
    return {"id": key, "displayed_as": shown, "$path": f"/{path}/{key}"}


_CONTACT = _link(CONTACT_ID, "ABS Garages Ltd (ABS001)", "contacts")
_BANK = _link(BANK_ACCOUNT_ID, "Bank Account (1200)", "bank_accounts")
_METHOD = _link("CREDIT_DEBIT", "Credit/Debit Card", "payment_methods")
_GBP = _link("GBP", "Pound Sterling (GBP)", "currencies")


# --- Output models: the fields a flow commonly reads; Sage's others are kept (extra="allow") ---


class Dated(SageObject):
    created_at: str | None = _text("When the record was created (ISO 8601).")
    updated_at: str | None = _text("When the record last changed (ISO 8601).")


class AllocatedArtefact(SageObject):
    """One line of a payment or allocation: which artefact, how much."""

    artefact: Link | None = _text("The invoice, credit note or payment on account.")
    amount: str | None = _text("Amount allocated, a decimal string (negative: a credit).")
    discount: str | None = _text("Settlement discount allowed, a decimal string.")


class PaymentOnAccount(Dated):
    """What is left of a payment once its allocations are taken: an artefact of its own."""

    total_amount: str | None = _text("The amount on account.")
    outstanding_amount: str | None = _text("What is still to be allocated.")
    status: Link | None = _text("UNPAID, PART_PAID or PAID.")


class ContactPayment(Dated):
    """A customer receipt, supplier payment or refund (``/contact_payments``)."""

    transaction_type: Link | None = _text("CUSTOMER_RECEIPT, VENDOR_PAYMENT, ... refunds.")
    contact: Link | None = _text("The customer or supplier.")
    bank_account: Link | None = _text("The bank account the money went through.")
    payment_method: Link | None = _text("CASH, CHECK, ELECTRONIC, CREDIT_DEBIT, ...")
    date: str | None = _text("The payment date (YYYY-MM-DD).")
    total_amount: str | None = _text("The amount paid, a decimal string.")
    currency: Link | None = _text("The payment's currency.")
    exchange_rate: str | None = _text("Foreign units per base unit.")
    reference: str | None = _text("Your reference.")
    allocated_artefacts: list[AllocatedArtefact] | None = _text("What the payment paid.")
    payment_on_account: PaymentOnAccount | None = _text("The unallocated rest, if any.")
    transaction: Link | None = _text("The ledger transaction.")


class ContactAllocation(Dated):
    """Credit notes or payments on account set against invoices (``/contact_allocations``)."""

    transaction_type: Link | None = _text("CUSTOMER_ALLOCATION or VENDOR_ALLOCATION.")
    contact: Link | None = _text("The customer or supplier.")
    date: str | None = _text("The allocation date (YYYY-MM-DD).")
    allocated_artefacts: list[AllocatedArtefact] | None = _text("The lines; they sum to zero.")


class PaymentLineOut(SageObject):
    ledger_account: Link | None = _text("The ledger account the line posts to.")
    details: str | None = _text("What the line is for.")
    tax_rate: Link | None = _text("The tax rate.")
    net_amount: str | None = _text("Net amount, a decimal string.")
    tax_amount: str | None = _text("Tax amount, a decimal string.")
    total_amount: str | None = _text("Total amount, a decimal string.")


class OtherPayment(Dated):
    """Money in or out not tied to an invoice (``/other_payments``)."""

    transaction_type: Link | None = _text("OTHER_RECEIPT or OTHER_PAYMENT.")
    contact: Link | None = _text("Who paid or was paid, if anyone.")
    bank_account: Link | None = _text("The bank account the money went through.")
    payment_method: Link | None = _text("CASH, CHECK, ELECTRONIC, CREDIT_DEBIT, ...")
    date: str | None = _text("The payment date (YYYY-MM-DD).")
    net_amount: str | None = _text("Net amount, a decimal string.")
    tax_amount: str | None = _text("Tax amount, a decimal string.")
    total_amount: str | None = _text("Total amount, a decimal string.")
    reference: str | None = _text("Your reference.")
    payment_lines: list[PaymentLineOut] | None = _text("The lines.")


class PaymentMethod(SageObject):
    """A payment method (``/payment_methods``): CASH, CHECK, ELECTRONIC, CREDIT_DEBIT, ..."""


# --- Examples: Sage's own (split-2025 swagger.payments.json), trimmed ---

_PAYMENT: dict[str, Any] = {
    "id": PAYMENT_ID,
    "displayed_as": "ABS Garages payment",
    "$path": f"/contact_payments/{PAYMENT_ID}",
    "created_at": "2024-04-05T10:23:48Z",
    "updated_at": "2024-04-05T10:30:00Z",
    "transaction_type": _link("CUSTOMER_RECEIPT", "Customer Receipt", "transaction_types"),
    "payment_method": _METHOD,
    "contact": _CONTACT,
    "bank_account": _BANK,
    "date": "2024-04-05",
    "total_amount": "120.0",
    "currency": _GBP,
    "exchange_rate": "1.0",
    "reference": "ABS Garages payment",
    "allocated_artefacts": [
        {
            "id": "fd835473cef14633af2e60101e458ab9",
            "artefact": _link(INVOICE_ID, "SI-355", "sales_invoices"),
            "amount": "120.0",
            "discount": "0.0",
        }
    ],
    "payment_on_account": None,
}
_ALLOCATION: dict[str, Any] = {
    "id": ALLOCATION_ID,
    "displayed_as": "Customer Allocation - 2024-04-05",
    "$path": f"/contact_allocations/{ALLOCATION_ID}",
    "created_at": "2024-04-05T10:30:00Z",
    "updated_at": "2024-04-05T10:30:00Z",
    "transaction_type": _link("CUSTOMER_ALLOCATION", "Customer Allocation", "transaction_types"),
    "date": "2024-04-05",
    "contact": _CONTACT,
    "allocated_artefacts": [
        {
            "id": "fd835473cef14633af2e60101e458ab9",
            "artefact": _link(INVOICE_ID, "SI-355", "sales_invoices"),
            "amount": "20.0",
        },
        {
            "id": "14511ba50f2a49f1a2bc9765890f741a",
            "artefact": _link(CREDIT_NOTE_ID, "SCN-12", "sales_credit_notes"),
            "amount": "-20.0",
        },
    ],
}
_OTHER_PAYMENT: dict[str, Any] = {
    "id": OTHER_PAYMENT_ID,
    "displayed_as": "ABS Garages payment",
    "$path": f"/other_payments/{OTHER_PAYMENT_ID}",
    "created_at": "2024-04-05T08:56:57Z",
    "updated_at": "2024-04-05T08:56:57Z",
    "transaction_type": _link("OTHER_RECEIPT", "Other Receipt", "transaction_types"),
    "payment_method": _METHOD,
    "contact": _CONTACT,
    "bank_account": _BANK,
    "date": "2024-04-05",
    "net_amount": "100.0",
    "tax_amount": "20.0",
    "total_amount": "120.0",
    "reference": "ABS Garages payment",
    "payment_lines": [
        {
            "id": "d14fcfd5ae7f445fbda2fa3965ce70b0",
            "displayed_as": "ABS Garages payment",
            "ledger_account": _link(LEDGER_ACCOUNT_ID, "Other income (4900)", "ledger_accounts"),
            "details": "ABS Garages payment",
            "tax_rate": _link("GB_STANDARD", "Standard 20.00%", "tax_rates"),
            "net_amount": "100.0",
            "tax_amount": "20.0",
            "total_amount": "120.0",
        }
    ],
}


# --- Inputs ---


def _contact_id(what: str) -> Any:
    return Field(description=what, examples=[CONTACT_ID], min_length=1, json_schema_extra=CONTACTS)


class PaymentAllocation(Inputs):
    """One invoice (or credit note) a payment pays."""

    artefactId: Id = Field(
        description=(
            "The sales or purchase invoice paid; a credit note netted off (negative amount); "
            "on a refund, the credit note or payment on account paid back."
        ),
        examples=[INVOICE_ID],
        min_length=1,
    )
    amount: Money = Field(description="How much of the payment goes to it.", examples=["120.00"])
    discount: Money | None = optional(
        "Settlement discount allowed on it: clears the invoice without money.", "5.00"
    )


class CreateContactPaymentInputs(Inputs):
    transactionTypeId: PaymentTypeId = Field(
        description="CUSTOMER_RECEIPT, VENDOR_PAYMENT, CUSTOMER_REFUND or VENDOR_REFUND.",
        examples=["CUSTOMER_RECEIPT"],
    )
    contactId: Id = _contact_id("The customer or supplier who paid or was paid.")
    bankAccountId: Id = Field(
        description="The bank account the money went through.",
        examples=[BANK_ACCOUNT_ID],
        min_length=1,
        json_schema_extra=BANK_ACCOUNTS,
    )
    date: Date = Field(description="The payment date.", examples=["2024-04-05"])
    totalAmount: Money = Field(
        description=(
            "The amount paid; what the allocations do not take becomes a payment on account."
        ),
        examples=["120.00"],
        gt=0,
    )
    paymentMethodId: Id | None = optional(
        "CASH, CHECK, ELECTRONIC, CREDIT_DEBIT, ... (default: the bank account's).",
        "ELECTRONIC",
        json_schema_extra=PAYMENT_METHODS,
    )
    currencyId: Id | None = optional(
        "The payment's currency (default: the contact's).", "GBP", json_schema_extra=CURRENCIES
    )
    exchangeRate: Money | None = optional("Foreign units per base unit (default 1).", "1.17")
    reference: str | None = optional(
        "Your reference, at most 25 characters.", "Stripe po_1N3x", max_length=REFERENCE_MAX
    )
    allocatedArtefacts: list[PaymentAllocation] | None = optional(
        "What the payment pays; on an update, [] clears them (the money goes on account).",
        [{"artefactId": INVOICE_ID, "amount": "120.00"}],
    )


class ListContactPaymentsInputs(ChangeTrackingInputs):
    contactId: Id | None = optional(
        "Only this contact's payments.", CONTACT_ID, json_schema_extra=CONTACTS
    )
    bankAccountId: Id | None = optional(
        "Only payments through this bank account.", BANK_ACCOUNT_ID, json_schema_extra=BANK_ACCOUNTS
    )
    transactionTypeId: PaymentTypeId | None = optional(
        "Only payments of this type.", "CUSTOMER_RECEIPT"
    )
    from_date: Date | None = optional("Payments dated on or after this date.", "2024-04-01")
    to_date: Date | None = optional("Payments dated on or before this date.", "2024-04-30")
    sort: str | None = optional(
        "created_at, updated_at or date, with :asc or :desc ([G-qs]).", "date:desc"
    )


class AllocationLine(Inputs):
    """One artefact of an allocation: + or - as [G-pay] sets for the transaction type."""

    artefactId: Id = Field(
        description="An invoice, credit note or payment on account of the contact.",
        examples=[INVOICE_ID],
        min_length=1,
    )
    amount: Money = Field(
        description=(
            "CUSTOMER_ALLOCATION: + on the invoice, - on the credit note or payment on account; "
            "VENDOR_ALLOCATION: the opposite signs."
        ),
        examples=["20.00"],
    )


class CreateContactAllocationInputs(Inputs):
    transactionTypeId: AllocationTypeId = Field(
        description="CUSTOMER_ALLOCATION or VENDOR_ALLOCATION.", examples=["CUSTOMER_ALLOCATION"]
    )
    contactId: Id = _contact_id("The customer or supplier the artefacts belong to.")
    allocatedArtefacts: list[AllocationLine] = Field(
        description="The artefacts set against each other; the amounts sum to zero.",
        examples=[
            [
                {"artefactId": INVOICE_ID, "amount": "20.00"},
                {"artefactId": CREDIT_NOTE_ID, "amount": "-20.00"},
            ]
        ],
        min_length=2,
    )
    date: Date | None = optional("The allocation date (default: today).", "2024-04-05")

    @model_validator(mode="after")
    def _sums_to_zero(self) -> CreateContactAllocationInputs:
        # [G-pay]: "the amounts in a contact_allocations call must sum to zero".
        total = sum((line.amount for line in self.allocatedArtefacts), Decimal(0))
        if total != 0:
            amounts = ", ".join(f"{line.amount:f}" for line in self.allocatedArtefacts)
            raise ValueError(
                f"allocatedArtefacts: the amounts must sum to zero; {amounts} sum to {total:f}"
            )
        return self


class ListContactAllocationsInputs(ChangeTrackingInputs):
    contactId: Id | None = optional(
        "Only this contact's allocations.", CONTACT_ID, json_schema_extra=CONTACTS
    )
    transactionTypeId: AllocationTypeId | None = optional(
        "Only allocations of this type.", "CUSTOMER_ALLOCATION"
    )
    sort: str | None = optional(
        "created_at, updated_at or date, with :asc or :desc ([G-qs]).", "date:desc"
    )


class OtherPaymentLine(Inputs):
    """One line of an other payment: which account, how much."""

    ledgerAccountId: Id = Field(
        description="The ledger account the line posts to.",
        examples=[LEDGER_ACCOUNT_ID],
        min_length=1,
        json_schema_extra=LEDGER_ACCOUNTS,
    )
    totalAmount: Money = Field(description="Total of the line, tax included.", examples=["120.00"])
    details: str | None = optional("What the line is for.", "Bank interest, March")
    taxRateId: Id | None = optional(
        "Tax rate (default: the account's).", "GB_STANDARD", json_schema_extra=TAX_RATES
    )
    netAmount: Money | None = optional("Net amount (default: total - tax).", "100.00")
    taxAmount: Money | None = optional("Tax amount, booked as given (default 0).", "20.00")


class CreateOtherPaymentInputs(Inputs):
    transactionTypeId: OtherPaymentTypeId = Field(
        description="OTHER_RECEIPT (money in) or OTHER_PAYMENT (money out).",
        examples=["OTHER_RECEIPT"],
    )
    date: Date = Field(description="The payment date.", examples=["2024-04-05"])
    bankAccountId: Id = Field(
        description="The bank account the money went through.",
        examples=[BANK_ACCOUNT_ID],
        min_length=1,
        json_schema_extra=BANK_ACCOUNTS,
    )
    totalAmount: Money = Field(
        description="The amount, tax included: the lines' total.", examples=["120.00"], gt=0
    )
    paymentLines: list[OtherPaymentLine] = Field(
        description="The lines (at least one).",
        examples=[[{"ledgerAccountId": LEDGER_ACCOUNT_ID, "totalAmount": "120.00"}]],
        min_length=1,
    )
    contactId: Id | None = optional(
        "Who paid or was paid, if anyone.", CONTACT_ID, json_schema_extra=CONTACTS
    )
    paymentMethodId: Id | None = optional(
        "CASH, CHECK, ELECTRONIC, CREDIT_DEBIT, ... (default: the bank account's).",
        "ELECTRONIC",
        json_schema_extra=PAYMENT_METHODS,
    )
    reference: str | None = optional("Your reference.", "Interest 2024-03")
    netAmount: Money | None = optional("Net total (the lines' net).", "100.00")
    taxAmount: Money | None = optional("Tax total (the lines' tax).", "20.00")

    @model_validator(mode="after")
    def _lines_add_up(self) -> CreateOtherPaymentInputs:
        lines = sum((line.totalAmount for line in self.paymentLines), Decimal(0))
        if lines != self.totalAmount:
            raise ValueError(
                f"totalAmount {self.totalAmount:f} is not the paymentLines' total {lines:f}"
            )
        return self


class ListOtherPaymentsInputs(ListContactPaymentsInputs):
    transactionTypeId: OtherPaymentTypeId | None = optional(
        "Only payments of this type.", "OTHER_PAYMENT"
    )


# --- The families ---

register_family(
    Family(
        collection="contact_payments",
        wrapper="contact_payment",
        singular="Contact Payment",
        plural="Contact Payments",
        id_input="contactPaymentId",
        output=ContactPayment,
        example=_PAYMENT,
        fields=CreateContactPaymentInputs,
        create_example={
            "transactionTypeId": "CUSTOMER_RECEIPT",
            "contactId": CONTACT_ID,
            "bankAccountId": BANK_ACCOUNT_ID,
            "date": "2024-04-05",
            "totalAmount": "120.00",
            "reference": "ABS Garages payment",
            "allocatedArtefacts": [{"artefactId": INVOICE_ID, "amount": "120.00"}],
        },
        update_example={"reference": "Stripe po_1N3x"},
        list_inputs=ListContactPaymentsInputs,
        list_example={"contactId": CONTACT_ID, "from_date": "2024-04-01", "fetchAll": True},
        lookup=CONTACT_PAYMENTS,
        marker=_markers.CONTACT_PAYMENT,
        notes={
            "create": (
                "Paying an invoice lowers its outstanding amount and moves it to PART_PAID or "
                "PAID; any excess becomes a payment on account ([G-pay])."
            ),
            "delete": "Its allocations are undone: the invoices go back to UNPAID or PART_PAID.",
        },
    )
)

register_family(
    Family(
        collection="contact_allocations",
        wrapper="contact_allocation",
        singular="Contact Allocation",
        plural="Contact Allocations",
        id_input="contactAllocationId",
        output=ContactAllocation,
        example=_ALLOCATION,
        fields=CreateContactAllocationInputs,
        create_example={
            "transactionTypeId": "CUSTOMER_ALLOCATION",
            "contactId": CONTACT_ID,
            "date": "2024-04-05",
            "allocatedArtefacts": [
                {"artefactId": INVOICE_ID, "amount": "20.00"},
                {"artefactId": CREDIT_NOTE_ID, "amount": "-20.00"},
            ],
        },
        update_example={"date": "2024-04-06"},
        list_inputs=ListContactAllocationsInputs,
        list_example={"contactId": CONTACT_ID, "fetchAll": True},
        lookup=CONTACT_ALLOCATIONS,
        notes={
            "create": (
                "Sets a credit note or payment on account against an invoice; the amounts sum "
                "to zero, checked before sending ([G-pay])."
            ),
            "delete": "The artefacts' outstanding amounts and statuses are restored.",
        },
    )
)

register_family(
    Family(
        collection="other_payments",
        wrapper="other_payment",
        singular="Other Payment",
        plural="Other Payments",
        id_input="otherPaymentId",
        output=OtherPayment,
        example=_OTHER_PAYMENT,
        fields=CreateOtherPaymentInputs,
        create_example={
            "transactionTypeId": "OTHER_RECEIPT",
            "date": "2024-04-05",
            "bankAccountId": BANK_ACCOUNT_ID,
            "totalAmount": "120.00",
            "reference": "ABS Garages payment",
            "paymentLines": [
                {
                    "ledgerAccountId": LEDGER_ACCOUNT_ID,
                    "totalAmount": "120.00",
                    "netAmount": "100.00",
                    "taxAmount": "20.00",
                    "taxRateId": "GB_STANDARD",
                }
            ],
        },
        update_example={"reference": "Interest 2024-03"},
        list_inputs=ListOtherPaymentsInputs,
        list_example={"transactionTypeId": "OTHER_PAYMENT", "fetchAll": True},
        lookup=OTHER_PAYMENTS,
        marker=_markers.OTHER_PAYMENT,
        get_query=("nested_attributes",),
    )
)

register_family(
    Family(
        collection="payment_methods",
        wrapper="payment_method",
        singular="Payment Method",
        plural="Payment Methods",
        id_input="paymentMethodId",
        output=PaymentMethod,
        example=_METHOD,
        create_example={},
        update_example={},
        list_inputs=PagingInputs,
        list_example={"itemsPerPage": 200},
        lookup=PAYMENT_METHODS,
        operations=frozenset({LIST, GET}),
    )
)


# --- Triggers: the three lists take updated_or_created_since and deleted_since (the swagger) ---


class PaymentChangeFilters(Inputs):
    contactId: Id | None = optional(
        "Only this contact's payments.", CONTACT_ID, json_schema_extra=CONTACTS
    )
    bankAccountId: Id | None = optional(
        "Only payments through this bank account.", BANK_ACCOUNT_ID, json_schema_extra=BANK_ACCOUNTS
    )
    transactionTypeId: PaymentTypeId | None = optional(
        "Only payments of this type.", "CUSTOMER_RECEIPT"
    )


class AllocationChangeFilters(Inputs):
    contactId: Id | None = optional(
        "Only this contact's allocations.", CONTACT_ID, json_schema_extra=CONTACTS
    )
    transactionTypeId: AllocationTypeId | None = optional(
        "Only allocations of this type.", "CUSTOMER_ALLOCATION"
    )


class OtherPaymentChangeFilters(PaymentChangeFilters):
    transactionTypeId: OtherPaymentTypeId | None = optional(
        "Only payments of this type.", "OTHER_PAYMENT"
    )


CONTACT_PAYMENT_CHANGES = changes_trigger(
    "contactPayment",
    "/contact_payments",
    ContactPayment,
    filters=PaymentChangeFilters,
    sortable=True,
    example=_PAYMENT,
)
CONTACT_ALLOCATION_CHANGES = changes_trigger(
    "contactAllocation",
    "/contact_allocations",
    ContactAllocation,
    filters=AllocationChangeFilters,
    sortable=True,
    example=_ALLOCATION,
)
OTHER_PAYMENT_CHANGES = changes_trigger(
    "otherPayment",
    "/other_payments",
    OtherPayment,
    filters=OtherPaymentChangeFilters,
    sortable=True,
    example=_OTHER_PAYMENT,
)
