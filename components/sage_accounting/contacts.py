"""Contacts: customers and suppliers (``/contacts``)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, model_validator

from sage_accounting import _markers, _wire
from sage_accounting._actions import (
    attributes_query,
    delete_one,
    get_one,
    list_of,
    record_path,
    write_one,
)
from sage_accounting._lookups import (
    ADDRESS_TYPES,
    BANK_ACCOUNTS,
    CONTACTS,
    COUNTRIES,
    CURRENCIES,
    PURCHASE_ACCOUNTS,
    SALES_ACCOUNTS,
    TAX_RATES,
    ContactTypeId,
)
from sage_accounting._models import (
    Bool,
    ChangeTrackingInputs,
    DeleteOutput,
    Id,
    Int,
    ListOutput,
    Money,
    optional,
    page_of,
)
from sage_accounting._pack import PACK
from sage_accounting._paging import list_action
from sage_accounting._resources import Contact, FoundContacts
from sageflow._component import DESTRUCTIVE, IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs

CONTACT_ID = "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"
_CUSTOMER = {"id": "CUSTOMER", "displayed_as": "Customer", "$path": "/contact_types/CUSTOMER"}
_CONTACT_EXAMPLE: dict[str, Any] = {
    "id": CONTACT_ID,
    "displayed_as": "Acme Ltd (ACME001)",
    "$path": f"/contacts/{CONTACT_ID}",
    "name": "Acme Ltd",
    "reference": "ACME001",
    "contact_types": [_CUSTOMER],
    "email": "accounts@acme.example",
    "credit_limit": "5000.0",
    "credit_days": 30,
    "currency": {"id": "GBP", "displayed_as": "Pound Sterling (GBP)", "$path": "/currencies/GBP"},
    "created_at": "2026-03-02T09:15:00Z",
    "updated_at": "2026-03-02T09:15:00Z",
}


def _contact_id() -> Any:
    return Field(
        description="The contact's id (32 hex characters).",
        examples=[CONTACT_ID],
        min_length=1,
        json_schema_extra=CONTACTS,
    )


class GetContactInputs(Inputs):
    contactId: Id = _contact_id()
    attributes: str | None = optional("Extra fields to return, or `all`.", "all")
    nestedAttributes: str | None = optional("Expand linked records' fields too, or `all`.", "all")
    showBalance: Bool | None = optional("Include the contact's outstanding balance.", True)


@PACK.component(
    key="getContact",
    title="Get Contact",
    description="Fetch one contact by id (GET /contacts/{key}).",
    inputs=GetContactInputs,
    output=Contact,
    annotations=READ_ONLY,
    example_input={"contactId": CONTACT_ID, "showBalance": True},
    example_output=_CONTACT_EXAMPLE,
)
def get_contact(inputs: GetContactInputs) -> Action:
    query = attributes_query(inputs, "attributes", "nestedAttributes", "showBalance")
    return (yield from get_one(record_path("contacts", inputs.contactId), query))


class ListContactsInputs(ChangeTrackingInputs):
    search: str | None = optional(
        "Match name, reference, email or postcode (at least 3 characters).", "acme"
    )
    contactTypeId: ContactTypeId | None = optional(
        "Only contacts of this type: CUSTOMER or VENDOR.", "CUSTOMER"
    )
    email: str | None = optional("Only contacts with this email address.", "accounts@acme.example")
    excludeSystem: Bool | None = optional("Leave out Sage's system contacts.", True)
    showBalance: Bool | None = optional("Include each contact's outstanding balance.", True)
    filterInactiveContacts: Bool | None = optional("Leave out inactive contacts.", True)
    nestedAttributes: str | None = optional("Expand linked records' fields too, or `all`.", "all")


@PACK.component(
    key="listContacts",
    title="List Contacts",
    description="List customers and suppliers (GET /contacts), one page or every page.",
    inputs=ListContactsInputs,
    output=ListOutput[Contact],
    annotations=READ_ONLY,
    example_input={"contactTypeId": "CUSTOMER", "itemsPerPage": 100},
    example_output=page_of(_CONTACT_EXAMPLE, items_per_page=100),
)
def list_contacts(inputs: ListContactsInputs) -> Action:
    return (yield from list_of("/contacts", inputs))


_CRITERIA = ("search", "reference", "name", "email")


class FindContactInputs(Inputs):
    # The same rule as the validator below, published so a host's jsonschema agrees.
    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": [name]} for name in _CRITERIA]}
    )

    search: str | None = optional("Free text Sage matches against name, reference, email.", "acme")
    reference: str | None = optional("Exact reference (case-insensitive).", "ACME001")
    name: str | None = optional("Exact name (case-insensitive).", "Acme Ltd")
    email: str | None = optional("Exact email address (case-insensitive).", "accounts@acme.example")
    contactTypeId: ContactTypeId | None = optional(
        "Only contacts of this type: CUSTOMER or VENDOR.", "CUSTOMER"
    )
    limit: Int | None = optional("Stop after this many matches.", 10, ge=1)

    @model_validator(mode="after")
    def _needs_a_criterion(self) -> FindContactInputs:
        if not set(_CRITERIA) & self.model_fields_set:
            raise ValueError("give at least one of search, reference, name or email")
        return self


_EXACT = ("reference", "name", "email")


@PACK.component(
    key="findContact",
    title="Find Contact",
    description=(
        "Find contacts by reference, name or email (GET /contacts?search=...), following every "
        "page; returns zero or more exact matches, so a flow can branch on `size(items)`."
    ),
    inputs=FindContactInputs,
    output=FoundContacts,
    annotations=READ_ONLY,
    example_input={"reference": "ACME001", "contactTypeId": "CUSTOMER"},
    example_output={"items": [_CONTACT_EXAMPLE]},
)
def find_contact(inputs: FindContactInputs) -> Action:
    # Sage lists return only {id, displayed_as, $path} per record unless attributes are asked
    # for, and the exact comparison below needs name, reference and email.
    query: dict[str, Any] = {"items_per_page": 200, "attributes": "all"}
    if inputs.contactTypeId:
        query["contact_type_id"] = inputs.contactTypeId
    # Sage's own filters narrow the download; the exact comparison below decides, because
    # Sage's search is a substring match over several fields.
    if inputs.email:
        query["email"] = inputs.email
    search = inputs.search or inputs.reference or inputs.name
    if search:
        query["search"] = search
    page = yield from list_action("/contacts", query, fetch_all=True)
    wanted = {f: str(getattr(inputs, f)).casefold() for f in _EXACT if getattr(inputs, f)}
    matches = [
        item
        for item in page["items"]
        if all(str(item.get(f) or "").casefold() == v for f, v in wanted.items())
    ]
    if inputs.limit is not None:
        matches = matches[: inputs.limit]
    return {"items": matches}


class DeleteContactInputs(Inputs):
    contactId: Id = _contact_id()


@PACK.component(
    key="deleteContact",
    title="Delete Contact",
    description="Delete a contact that has no transactions (DELETE /contacts/{key}).",
    inputs=DeleteContactInputs,
    output=DeleteOutput,
    annotations=DESTRUCTIVE,
    example_input={"contactId": CONTACT_ID},
    example_output={"id": CONTACT_ID, "deleted": True},
)
def delete_contact(inputs: DeleteContactInputs) -> Action:
    return (yield from delete_one(inputs.contactId, record_path("contacts", inputs.contactId)))


class ContactFields(Inputs):
    """Every optional contact input; create and update add the id and required fields."""

    reference: str | None = optional("Your unique reference for the contact.", "ACME001")
    defaultSalesLedgerId: str | None = optional(
        "Default ledger account for sales to this contact.",
        "9a994ff1f7f8491ba2ac8b7b8d2f5a20",
        json_schema_extra=SALES_ACCOUNTS,
    )
    defaultSalesTaxRateId: str | None = optional(
        "Default tax rate for sales.", "GB_STANDARD", json_schema_extra=TAX_RATES
    )
    defaultPurchaseLedgerId: str | None = optional(
        "Default ledger account for purchases.",
        "9a994ff1f7f8491ba2ac8b7b8d2f5a21",
        json_schema_extra=PURCHASE_ACCOUNTS,
    )
    taxNumber: str | None = optional("VAT registration number.", "GB123456789")
    notes: str | None = optional("Notes about the contact.", "Prefers email invoices.")
    creditLimit: Money | None = optional("Credit limit (0 means no credit).", "5000.00")
    # 0-365: the range Sage's spec gives contact.credit_days (postContacts, putContacts).
    creditDays: Int | None = optional("Days of credit given, 0-365.", 30, ge=0, le=365)
    sourceGuid: str | None = optional(
        "Id of the contact in the system it was imported from.", "crm-000123"
    )
    currencyId: str | None = optional(
        "The contact's currency.", "GBP", json_schema_extra=CURRENCIES
    )
    addressName: str | None = optional("Name of the main address.", "Head office")
    addressLine1: str | None = optional("Main address, first line.", "1 High Street")
    addressLine2: str | None = optional("Main address, second line.", "Unit 4")
    city: str | None = optional("Main address town or city.", "Reading")
    countryId: str | None = optional(
        "Main address country (ISO code).", "GB", json_schema_extra=COUNTRIES
    )
    postalCode: str | None = optional("Main address postal code.", "RG1 1AA")
    bankAccountId: str | None = optional(
        "Bank account linked to the main address.",
        "27a1a4a33d5d4b6c8a1e2b7f4c0d9e11",
        json_schema_extra=BANK_ACCOUNTS,
    )
    addressTypeId: str | None = optional(
        "Main address type: ACCOUNTS, SALES, ...", "ACCOUNTS", json_schema_extra=ADDRESS_TYPES
    )
    region: str | None = optional("Main address county or region.", "Berkshire")
    isMainAddress: Bool | None = optional("Mark the main address as the contact's main one.", True)
    deliveryName: str | None = optional("Name of the delivery address.", "Warehouse")
    deliveryLine1: str | None = optional("Delivery address, first line.", "2 Dock Road")
    deliveryLine2: str | None = optional("Delivery address, second line.", "Gate B")
    deliveryCity: str | None = optional("Delivery address town or city.", "Slough")
    deliveryPostalCode: str | None = optional("Delivery address postal code.", "SL1 1AA")
    deliveryCountryId: str | None = optional(
        "Delivery address country (ISO code).", "GB", json_schema_extra=COUNTRIES
    )
    deliveryBankAccountId: str | None = optional(
        "Bank account linked to the delivery address.",
        "27a1a4a33d5d4b6c8a1e2b7f4c0d9e12",
        json_schema_extra=BANK_ACCOUNTS,
    )
    deliveryTypeId: str | None = optional(
        "Delivery address type.", "DELIVERY", json_schema_extra=ADDRESS_TYPES
    )
    deliveryRegion: str | None = optional("Delivery address county or region.", "Berkshire")
    isMainDelivery: Bool | None = optional("Mark the delivery address as the main one.", False)
    accountName: str | None = optional("Bank account name.", "Acme Ltd")
    accountNumber: str | None = optional("Bank account number.", "12345678")
    sortCode: str | None = optional("Bank sort code.", "12-34-56")
    bic: str | None = optional("Bank BIC.", "NWBKGB2L")
    iban: str | None = optional("Bank IBAN.", "GB29NWBK60161331926819")


# Sage's address field -> (main address input, delivery address input), named as the seed names
# them; one table so the two addresses cannot drift apart.
_ADDRESS_INPUTS = {
    "name": ("addressName", "deliveryName"),
    "address_line_1": ("addressLine1", "deliveryLine1"),
    "address_line_2": ("addressLine2", "deliveryLine2"),
    "city": ("city", "deliveryCity"),
    "postal_code": ("postalCode", "deliveryPostalCode"),
    "country_id": ("countryId", "deliveryCountryId"),
    "bank_account_id": ("bankAccountId", "deliveryBankAccountId"),
    "address_type_id": ("addressTypeId", "deliveryTypeId"),
    "region": ("region", "deliveryRegion"),
    "is_main_address": ("isMainAddress", "isMainDelivery"),
}
_MAIN_ADDRESS = {main: sage for sage, (main, _) in _ADDRESS_INPUTS.items()}
_DELIVERY_ADDRESS = {delivery: sage for sage, (_, delivery) in _ADDRESS_INPUTS.items()}
_BANK = ("accountName", "accountNumber", "sortCode", "bic", "iban")
_TOP_RENAME = {
    "defaultSalesLedgerId": "default_sales_ledger_account_id",
    "defaultPurchaseLedgerId": "default_purchase_ledger_account_id",
}


def contact_payload(inputs: ContactFields) -> dict[str, Any]:
    """Sage's ``contact`` object: every set input, grouped into the sub-objects Sage nests.

    A sub-object is sent whenever any of its inputs is set (the peer component dropped the
    main address exactly when a name was given), and ``0`` or ``False`` counts as set.
    """
    nested = {*_MAIN_ADDRESS, *_DELIVERY_ADDRESS, *_BANK, "contactId"}
    payload = _wire.fields(inputs, rename=_TOP_RENAME, exclude=nested)
    groups = {
        "main_address": _wire.fields(inputs, rename=_MAIN_ADDRESS, only=_MAIN_ADDRESS),
        "delivery_address": _wire.fields(inputs, rename=_DELIVERY_ADDRESS, only=_DELIVERY_ADDRESS),
        "bank_account_details": _wire.fields(inputs, only=_BANK),
    }
    payload.update({key: group for key, group in groups.items() if group})
    return payload


class CreateContactInputs(ContactFields):
    name: str = Field(description="The contact's name.", examples=["Acme Ltd"], min_length=1)
    contactTypeIds: list[ContactTypeId] = Field(
        # [G-inv]: "you cannot assign more than one contact_type_id"; the spec's array type
        # is only the wire shape.
        description="CUSTOMER or VENDOR: Sage takes one type per contact.",
        examples=[["CUSTOMER"]],
        min_length=1,
        max_length=1,
    )


@PACK.component(
    key="createContact",
    title="Create Contact",
    description="Create a customer or supplier (POST /contacts).",
    inputs=CreateContactInputs,
    output=Contact,
    annotations=WRITE,
    marker=_markers.CONTACT,
    example_input={
        "name": "Acme Ltd",
        "contactTypeIds": ["CUSTOMER"],
        "reference": "ACME001",
        "creditLimit": "5000.00",
        "creditDays": 30,
        "addressLine1": "1 High Street",
        "city": "Reading",
        "postalCode": "RG1 1AA",
        "countryId": "GB",
    },
    example_output=_CONTACT_EXAMPLE,
)
def create_contact(inputs: CreateContactInputs) -> Action:
    return (yield from write_one("POST", "/contacts", "contact", contact_payload(inputs)))


class UpdateContactInputs(ContactFields):
    contactId: Id = _contact_id()
    name: str | None = optional("The contact's new name.", "Acme Holdings Ltd", min_length=1)
    contactTypeIds: list[ContactTypeId] | None = optional(
        "Replace the contact's type: CUSTOMER or VENDOR (one only).",
        ["VENDOR"],
        min_length=1,
        max_length=1,
    )


@PACK.component(
    key="updateContact",
    title="Update Contact",
    description="Change a contact; only the inputs given are sent (PUT /contacts/{key}).",
    inputs=UpdateContactInputs,
    output=Contact,
    annotations=IDEMPOTENT_WRITE,
    example_input={"contactId": CONTACT_ID, "creditLimit": "7500.00", "notes": "Limit raised."},
    example_output={**_CONTACT_EXAMPLE, "credit_limit": "7500.0"},
)
def update_contact(inputs: UpdateContactInputs) -> Action:
    path = record_path("contacts", inputs.contactId)
    return (yield from write_one("PUT", path, "contact", contact_payload(inputs)))
