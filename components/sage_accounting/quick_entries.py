"""Sales and purchase quick entries: one-line invoices and credit notes, from one table.

A quick entry is owed like an invoice (``outstanding_amount``, UNPAID/PART_PAID/PAID), so
payments and allocations settle it. Its create is numbered ([G-bp]: no parallel POSTs to quick
entry endpoints; ``connection.NUMBERED_RESOURCES``) and leaves a marker in ``details`` when
the caller left it empty, found again by searching the (required) reference.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting._changes import InvoiceChangeFilters, changes_trigger
from sage_accounting._crud import Family, register_family
from sage_accounting._lookups import (
    ADDRESS_REGIONS,
    CONTACTS,
    CUSTOMERS,
    PURCHASE_ACCOUNTS,
    PURCHASE_QUICK_ENTRIES,
    SALES_ACCOUNTS,
    SALES_QUICK_ENTRIES,
    SUPPLIERS,
    TAX_RATES,
    InvoiceStatusId,
    QuickEntryTypeId,
)
from sage_accounting._markers import Marker
from sage_accounting._models import (
    Bool,
    ChangeTrackingInputs,
    Date,
    Id,
    Money,
    optional,
)
from sage_accounting._resources import Dated, Link, described
from sageflow._component import Inputs


class QuickEntry(Dated):
    """A sales or purchase quick entry."""

    quick_entry_type: Link | None = described("INVOICE or CREDIT_NOTE.")
    contact: Link | None = described("The customer or supplier.")
    contact_name: str | None = described("The contact's name on the entry.")
    date: str | None = described("The entry's date (YYYY-MM-DD).")
    due_date: str | None = described("When it is due (YYYY-MM-DD).")
    reference: str | None = described("The entry's reference.")
    details: str | None = described("What the entry is for.")
    ledger_account: Link | None = described("The ledger account.")
    net_amount: str | None = described("Net amount, a decimal string as Sage sends it.")
    tax_amount: str | None = described("Tax amount, a decimal string as Sage sends it.")
    total_amount: str | None = described("Total amount, a decimal string as Sage sends it.")
    outstanding_amount: str | None = described("What is still to pay.")
    status: Link | None = described("UNPAID, PART_PAID or PAID.")
    transaction: Link | None = described("The transaction the entry posted.")


#: [S1] search: "the quick entry reference or contact name"; the reference is required, so the
#: marker goes into ``details`` and is found by searching the reference.
QUICK_ENTRY = Marker(fields=("details",), searchable=("reference",))


class QuickEntryListInputs(ChangeTrackingInputs):
    contactId: Id | None = optional(
        "Only this contact's entries.",
        "5ad3e87117f54189ba0255a12a2c3034",
        json_schema_extra=CONTACTS,
    )
    search: str | None = optional("Match the reference or the contact's name.", "QE-7")
    statusId: InvoiceStatusId | None = optional("Only entries of this status.", "UNPAID")
    from_date: Date | None = optional("Only entries dated on or after this day.", "2026-01-01")
    to_date: Date | None = optional("Only entries dated on or before this day.", "2026-01-31")
    showPaymentsAllocations: Bool | None = optional("Include payments and allocations.", True)
    hasAttachments: Bool | None = optional("Only entries with attachments.", True)
    sort: str | None = optional("created_at, updated_at or date, with :asc or :desc.", "date:desc")


def _fields(sale: bool) -> type[Inputs]:
    contacts, accounts = (CUSTOMERS, SALES_ACCOUNTS) if sale else (SUPPLIERS, PURCHASE_ACCOUNTS)
    who = "customer" if sale else "supplier"

    class QuickEntryFields(Inputs):
        quickEntryTypeId: QuickEntryTypeId = Field(
            description="INVOICE or CREDIT_NOTE.", examples=["INVOICE"]
        )
        date: Date = Field(description="The entry's date.", examples=["2026-01-10"])
        contactId: Id = Field(
            description=f"The {who}.",
            examples=["5ad3e87117f54189ba0255a12a2c3034"],
            min_length=1,
            json_schema_extra=contacts,
        )
        reference: str = Field(
            description="The entry's reference.", examples=["QE-7"], min_length=1
        )
        ledgerAccountId: Id = Field(
            description="The ledger account.",
            examples=["7a5e37b4884911ed84fa0252b90cda0d"],
            min_length=1,
            json_schema_extra=accounts,
        )
        details: str | None = optional("What the entry is for.", "Website hosting, January")
        netAmount: Money | None = optional("The net amount.", "100.00", ge=0)
        taxRateId: str | None = optional(
            "The tax rate.", "GB_STANDARD", json_schema_extra=TAX_RATES
        )
        taxAmount: Money | None = optional("The tax amount (0 when left out).", "20.00", ge=0)
        totalAmount: Money | None = optional("The total (net + tax).", "120.00", ge=0)
        taxAddressRegionId: str | None = optional(
            "The tax address region (Canada only).", "CA-ON", json_schema_extra=ADDRESS_REGIONS
        )

    QuickEntryFields.__name__ = QuickEntryFields.__qualname__ = (
        f"{'Sales' if sale else 'Purchase'}QuickEntryFields"
    )
    return QuickEntryFields


def _family(sale: bool) -> Family:
    side = "Sales" if sale else "Purchase"
    collection = f"{side.lower()}_quick_entries"
    key = "f2b7ed37544e444887e49f3f74482474"
    contact = "5ad3e87117f54189ba0255a12a2c3034"
    account = "7a5e37b4884911ed84fa0252b90cda0d"
    example: dict[str, Any] = {
        "id": key,
        "displayed_as": "QE-7",
        "$path": f"/{collection}/{key}",
        "created_at": "2026-01-10T09:00:00Z",
        "updated_at": "2026-01-10T09:00:00Z",
        "quick_entry_type": {
            "id": "INVOICE",
            "displayed_as": "Invoice",
            "$path": "/quick_entry_types/INVOICE",
        },
        "contact": {
            "id": contact,
            "displayed_as": "Thompsons Electricals (THO001)",
            "$path": f"/contacts/{contact}",
        },
        "contact_name": "Thompsons Electricals",
        "date": "2026-01-10",
        "due_date": "2026-02-09",
        "reference": "QE-7",
        "details": "Website hosting, January",
        "ledger_account": {
            "id": account,
            "displayed_as": "Sales - Products (4000)",
            "$path": f"/ledger_accounts/{account}",
        },
        "net_amount": "100.0",
        "tax_amount": "20.0",
        "total_amount": "120.0",
        "outstanding_amount": "120.0",
        "status": {"id": "UNPAID", "displayed_as": "Unpaid", "$path": "/artefact_statuses/UNPAID"},
    }
    return Family(
        collection=collection,
        wrapper=collection.removesuffix("ies") + "y",
        singular=f"{side} Quick Entry",
        plural=f"{side} Quick Entries",
        id_input=f"{side.lower()}QuickEntryId",
        output=QuickEntry,
        example=example,
        create_example={
            "quickEntryTypeId": "INVOICE",
            "date": "2026-01-10",
            "contactId": contact,
            "reference": "QE-7",
            "ledgerAccountId": account,
            "details": "Website hosting, January",
            "netAmount": "100.00",
            "taxRateId": "GB_STANDARD",
            "taxAmount": "20.00",
        },
        update_example={"details": "Website hosting, January (corrected)"},
        list_inputs=QuickEntryListInputs,
        list_example={"statusId": "UNPAID", "sort": "date:desc"},
        lookup=SALES_QUICK_ENTRIES if sale else PURCHASE_QUICK_ENTRIES,
        fields=_fields(sale),
        get_query=("show_payments_allocations", "nested_attributes"),
        marker=QUICK_ENTRY,
    )


FAMILIES = (_family(sale=True), _family(sale=False))
for _family_row in FAMILIES:
    register_family(_family_row)
    # Both lists take updated_or_created_since and deleted_since, and filter as invoices do.
    noun = _family_row.id_input.removesuffix("Id")
    changes_trigger(noun, _family_row.path, QuickEntry, filters=InvoiceChangeFilters, sortable=True)
