"""Contacts: customers and suppliers (``/contacts``)."""

from __future__ import annotations

from pydantic import Field

from sage_accounting._models import (
    ChangeTrackingInputs,
    DeleteOutput,
    ListOutput,
    SageObject,
    list_query,
)
from sage_accounting._pack import PACK
from sage_accounting._paging import list_action
from sageflow._component import DESTRUCTIVE, READ_ONLY, Action, Inputs
from sageflow._values import HTTPRequest

_CONTACT_EXAMPLE = {
    "id": "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2",
    "displayed_as": "Acme Ltd (ACME001)",
    "$path": "/contacts/6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2",
    "name": "Acme Ltd",
    "reference": "ACME001",
    "contact_types": [
        {"id": "CUSTOMER", "displayed_as": "Customer", "$path": "/contact_types/CUSTOMER"}
    ],
}

ContactId = Field(
    description="The contact's id (32 hex characters).",
    examples=["6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"],
    min_length=1,
)


class GetContactInputs(Inputs):
    contactId: str = ContactId
    attributes: str | None = Field(
        default=None, description="Extra fields to return, or `all`.", examples=["all"]
    )


@PACK.component(
    key="getContact",
    title="Get Contact",
    description="Fetch one contact by id (GET /contacts/{key}).",
    inputs=GetContactInputs,
    output=SageObject,
    annotations=READ_ONLY,
    example_input={"contactId": "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"},
    example_output=_CONTACT_EXAMPLE,
)
def get_contact(inputs: GetContactInputs) -> Action:
    query = {"attributes": inputs.attributes} if inputs.attributes else {}
    response = yield HTTPRequest("GET", f"/contacts/{inputs.contactId}", query=query)
    return dict(response.json())


class ListContactsInputs(ChangeTrackingInputs):
    search: str | None = Field(
        default=None,
        description="Match name, reference, email or postcode (at least 3 characters).",
        examples=["acme"],
    )
    contactTypeId: str | None = Field(
        default=None,
        description="Only contacts of this type: CUSTOMER or VENDOR.",
        examples=["CUSTOMER"],
    )


@PACK.component(
    key="listContacts",
    title="List Contacts",
    description="List customers and suppliers (GET /contacts), one page or every page.",
    inputs=ListContactsInputs,
    output=ListOutput,
    annotations=READ_ONLY,
    example_input={"contactTypeId": "CUSTOMER", "itemsPerPage": 100},
    example_output={
        "items": [_CONTACT_EXAMPLE],
        "total": 1,
        "page": 1,
        "itemsPerPage": 100,
        "next": None,
        "back": None,
        "pagesFetched": 1,
    },
)
def list_contacts(inputs: ListContactsInputs) -> Action:
    return (
        yield from list_action(
            "/contacts",
            list_query(inputs, rename={"contactTypeId": "contact_type_id"}),
            fetch_all=inputs.fetchAll,
            limit=inputs.limit,
        )
    )


class DeleteContactInputs(Inputs):
    contactId: str = ContactId


@PACK.component(
    key="deleteContact",
    title="Delete Contact",
    description="Delete a contact that has no transactions (DELETE /contacts/{key}).",
    inputs=DeleteContactInputs,
    output=DeleteOutput,
    annotations=DESTRUCTIVE,
    example_input={"contactId": "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"},
    example_output={"id": "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2", "deleted": True},
)
def delete_contact(inputs: DeleteContactInputs) -> Action:
    yield HTTPRequest("DELETE", f"/contacts/{inputs.contactId}")
    return {"id": inputs.contactId, "deleted": True}
