"""Contact addresses (``/addresses``): listed so an address id can be picked, not typed."""

from __future__ import annotations

from typing import Any

from sage_accounting._actions import list_of
from sage_accounting._lookups import CONTACTS
from sage_accounting._models import ChangeTrackingInputs, ListOutput, optional, page_of
from sage_accounting._pack import PACK
from sage_accounting._resources import Address
from sageflow._component import READ_ONLY, Action

CONTACT_ID = "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2"
ADDRESS_ID = "8fcd72f7d8ab4e4487d0f1dee8f989bc"
_EXAMPLE: dict[str, Any] = {
    "id": ADDRESS_ID,
    "displayed_as": "1 High Street\nReading\nRG1 1AA",
    "$path": f"/addresses/{ADDRESS_ID}",
    "address_line_1": "1 High Street",
    "address_line_2": "",
    "city": "Reading",
    "postal_code": "RG1 1AA",
    "region": "Berkshire",
}


class ListAddressesInputs(ChangeTrackingInputs):
    # GET /addresses takes contact_id and bank_account_id (Sage's v3.1 swagger).
    contactId: str | None = optional(
        "Only this contact's addresses.", CONTACT_ID, json_schema_extra=CONTACTS
    )


@PACK.component(
    key="listAddresses",
    title="List Addresses",
    description="List contacts' addresses (GET /addresses), one page or every page.",
    inputs=ListAddressesInputs,
    output=ListOutput[Address],
    annotations=READ_ONLY,
    example_input={"contactId": CONTACT_ID},
    example_output=page_of(_EXAMPLE),
)
def list_addresses(inputs: ListAddressesInputs) -> Action:
    return (yield from list_of("/addresses", inputs))
