"""Contact persons: the people at a contact's addresses (``/contact_persons``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sage_accounting import _wire
from sage_accounting._actions import (
    attributes_query,
    delete_one,
    get_one,
    list_of,
    record_path,
    write_one,
)
from sage_accounting._lookups import ADDRESSES, CONTACT_PEOPLE, CONTACT_PERSON_TYPES, CONTACTS
from sage_accounting._models import (
    Bool,
    ChangeTrackingInputs,
    DeleteOutput,
    Id,
    ListOutput,
    optional,
    page_of,
)
from sage_accounting._pack import PACK
from sage_accounting._resources import ContactPerson
from sageflow._component import DESTRUCTIVE, IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs

PERSON_ID = "1778d9c2a9a245c99835ac6e25390ef4"
ADDRESS_ID = "8fcd72f7d8ab4e4487d0f1dee8f989bc"
_PERSON_EXAMPLE: dict[str, Any] = {
    "id": PERSON_ID,
    "displayed_as": "Jane Smith",
    "$path": f"/contact_persons/{PERSON_ID}",
    "name": "Jane Smith",
    "job_title": "Finance Manager",
    "email": "jane.smith@acme.example",
    "telephone": "0118 496 0000",
    "is_main_contact": True,
    "address": {
        "id": ADDRESS_ID,
        "displayed_as": "1 High Street",
        "$path": f"/addresses/{ADDRESS_ID}",
    },
}


def _person_id() -> Any:
    return Field(
        description="The contact person's id (32 hex characters).",
        examples=[PERSON_ID],
        min_length=1,
        json_schema_extra=CONTACT_PEOPLE,
    )


class GetContactPersonInputs(Inputs):
    contactPersonId: Id = _person_id()
    attributes: str | None = optional("Extra fields to return, or `all`.", "all")


@PACK.component(
    key="getContactPerson",
    title="Get Contact Person",
    description="Fetch one contact person by id (GET /contact_persons/{key}).",
    inputs=GetContactPersonInputs,
    output=ContactPerson,
    annotations=READ_ONLY,
    example_input={"contactPersonId": PERSON_ID},
    example_output=_PERSON_EXAMPLE,
)
def get_contact_person(inputs: GetContactPersonInputs) -> Action:
    path = record_path("contact_persons", inputs.contactPersonId)
    return (yield from get_one(path, attributes_query(inputs, "attributes")))


class ListContactPeopleInputs(ChangeTrackingInputs):
    contactId: str | None = optional(
        "Only the people of this contact.",
        "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2",
        json_schema_extra=CONTACTS,
    )
    addressId: str | None = optional(
        "Only the people at this address.", ADDRESS_ID, json_schema_extra=ADDRESSES
    )


@PACK.component(
    key="listContactPeople",
    title="List Contact People",
    description="List contact persons (GET /contact_persons), one page or every page.",
    inputs=ListContactPeopleInputs,
    output=ListOutput[ContactPerson],
    annotations=READ_ONLY,
    example_input={"contactId": "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"},
    example_output=page_of(_PERSON_EXAMPLE),
)
def list_contact_people(inputs: ListContactPeopleInputs) -> Action:
    return (yield from list_of("/contact_persons", inputs))


class DeleteContactPersonInputs(Inputs):
    contactPersonId: Id = _person_id()


@PACK.component(
    key="deleteContactPerson",
    title="Delete Contact Person",
    description="Delete a contact person (DELETE /contact_persons/{key}).",
    inputs=DeleteContactPersonInputs,
    output=DeleteOutput,
    annotations=DESTRUCTIVE,
    example_input={"contactPersonId": PERSON_ID},
    example_output={"id": PERSON_ID, "deleted": True},
)
def delete_contact_person(inputs: DeleteContactPersonInputs) -> Action:
    # The peer component sent this to /contacts/{id}, deleting (or failing on) the wrong record.
    key = inputs.contactPersonId
    return (yield from delete_one(key, record_path("contact_persons", key)))


class ContactPersonFields(Inputs):
    """Optional contact person inputs, shared by create and update."""

    jobTitle: str | None = optional("Job title.", "Finance Manager")
    telephone: str | None = optional("Telephone number.", "0118 496 0000")
    mobile: str | None = optional("Mobile number.", "07700 900000")
    email: str | None = optional("Email address.", "jane.smith@acme.example")
    fax: str | None = optional("Fax number.", "0118 496 0001")
    isMainContact: Bool | None = optional("Make this the contact's main person.", True)
    isPreferredContact: Bool | None = optional("Make this the preferred person to contact.", False)


class CreateContactPersonInputs(ContactPersonFields):
    addressId: str = Field(
        description="The contact address the person belongs to.",
        examples=[ADDRESS_ID],
        json_schema_extra=ADDRESSES,
    )
    name: str = Field(description="The person's name.", examples=["Jane Smith"], min_length=1)
    contactPersonTypeIds: list[str] = Field(
        description="Roles: ACCOUNTS, SALES, PURCHASING, ...",
        examples=[["ACCOUNTS"]],
        json_schema_extra=CONTACT_PERSON_TYPES,
        min_length=1,
    )


@PACK.component(
    key="createContactPerson",
    title="Create Contact Person",
    description="Add a person to a contact's address (POST /contact_persons).",
    inputs=CreateContactPersonInputs,
    output=ContactPerson,
    annotations=WRITE,
    example_input={
        "addressId": ADDRESS_ID,
        "name": "Jane Smith",
        "contactPersonTypeIds": ["ACCOUNTS"],
        "email": "jane.smith@acme.example",
        "isMainContact": True,
    },
    example_output=_PERSON_EXAMPLE,
)
def create_contact_person(inputs: CreateContactPersonInputs) -> Action:
    payload = _wire.fields(inputs)
    return (yield from write_one("POST", "/contact_persons", "contact_person", payload))


class UpdateContactPersonInputs(ContactPersonFields):
    contactPersonId: Id = _person_id()
    addressId: str | None = optional(
        "Move the person to this address.", ADDRESS_ID, json_schema_extra=ADDRESSES
    )
    name: str | None = optional("The person's new name.", "Jane Smith-Jones", min_length=1)
    contactPersonTypeIds: list[str] | None = optional(
        "Replace the person's roles.", ["ACCOUNTS"], json_schema_extra=CONTACT_PERSON_TYPES
    )


@PACK.component(
    key="updateContactPerson",
    title="Update Contact Person",
    description="Change a contact person; only inputs given are sent (PUT /contact_persons/{key}).",
    inputs=UpdateContactPersonInputs,
    output=ContactPerson,
    annotations=IDEMPOTENT_WRITE,
    example_input={"contactPersonId": PERSON_ID, "jobTitle": "Finance Director"},
    example_output={**_PERSON_EXAMPLE, "job_title": "Finance Director"},
)
def update_contact_person(inputs: UpdateContactPersonInputs) -> Action:
    path = record_path("contact_persons", inputs.contactPersonId)
    payload = _wire.fields(inputs, exclude=("contactPersonId",))
    return (yield from write_one("PUT", path, "contact_person", payload))
