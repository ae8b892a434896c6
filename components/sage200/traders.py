"""Customers and suppliers: create, update, delete and find (lists and gets are in reads)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, Field, model_validator

from sage200 import _lookups, _markers, _odata, _wire
from sage200._actions import delete_one, get_one, record_path, write_one
from sage200._examples import CUSTOMER as _CUSTOMER
from sage200._examples import SUPPLIER as _SUPPLIER
from sage200._models import DeleteOutput, Id, ListInputs, optional, required
from sage200._pack import PACK
from sage200._paging import list_action
from sage200._records import Customer, Found, Supplier
from sageflow._component import DESTRUCTIVE, IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs
from sageflow._types import Bool, Int, Money


class TraderFields(Inputs):
    """Every optional field of a customer or supplier account (names from the spec)."""

    shortName: str | None = optional("Short name (up to 8 characters).", "ABBEY", max_length=8)
    onHold: Bool | None = optional("Put the account on hold.", False)
    currencyId: Id | None = optional(
        "The account's currency (the base currency by default).",
        2103,
        json_schema_extra=_lookups.CURRENCIES,
    )
    creditLimit: Money | None = optional("Credit limit.", "5000.00")
    countryCodeId: Id | None = optional(
        "The account's country.", 1201, json_schema_extra=_lookups.COUNTRY_CODES
    )
    defaultTaxCodeId: Id | None = optional(
        "Tax code used by default on its transactions.",
        1729,
        json_schema_extra=_lookups.TAX_CODES,
    )
    vatNumber: str | None = optional("VAT registration number.", "GB123456789", max_length=30)
    website: str | None = optional("Website.", "https://abbey.example", max_length=200)
    telephoneCountryCode: str | None = optional("Telephone country code.", "44", max_length=5)
    telephoneAreaCode: str | None = optional("Telephone area code.", "0118", max_length=20)
    telephoneSubscriberNumber: str | None = optional(
        "Telephone number.", "496 0000", max_length=200
    )
    paymentTermsDays: Int | None = optional("Days to pay.", 30, ge=0, le=32767)
    earlySettlementDiscountPercent: Money | None = optional("Settlement discount percent.", "2.5")
    earlySettlementDiscountDays: Int | None = optional(
        "Days the settlement discount applies.", 10, ge=0, le=32767
    )
    tradingTerms: str | None = optional("Trading terms text.", "30 days net", max_length=30)
    defaultNominalCodeReference: str | None = optional(
        "Nominal account used by default on its transactions.",
        "4000",
        max_length=8,
        json_schema_extra=_lookups.NOMINAL_REFERENCES,
    )
    address1: str | None = optional("Main address, first line.", "1 High Street", max_length=60)
    address2: str | None = optional("Main address, second line.", "Unit 4", max_length=60)
    address3: str | None = optional("Main address, third line.", "Market Place", max_length=60)
    address4: str | None = optional("Main address, fourth line.", "Central", max_length=60)
    city: str | None = optional("Main address town or city.", "Reading", max_length=60)
    county: str | None = optional("Main address county.", "Berkshire", max_length=60)
    postcode: str | None = optional("Main address postcode.", "RG1 1AA", max_length=10)


_ADDRESS = {
    "address1": "address_1",
    "address2": "address_2",
    "address3": "address_3",
    "address4": "address_4",
    "city": "city",
    "county": "county",
    "postcode": "postcode",
}
_NOT_BODY = {*_ADDRESS, "customerId", "supplierId"}


def trader_payload(inputs: TraderFields) -> dict[str, Any]:
    """The account's body: top-level fields, and ``main_address`` when any line is given."""
    payload = _wire.fields(inputs, exclude=_NOT_BODY)
    address = _wire.fields(inputs, rename=_ADDRESS, only=_ADDRESS)
    if address:
        payload["main_address"] = address
    return payload


class NewTrader(TraderFields):
    reference: str = required(
        "The account reference, up to 8 characters (unique in the ledger).",
        "ABB001",
        min_length=1,
        max_length=8,
    )
    name: str = required("The account name.", "Abbey Retail Ltd", min_length=1, max_length=60)


_CRITERIA = ("reference", "name", "nameContains")


class FindTraderInputs(Inputs):
    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": [name]} for name in _CRITERIA]}
    )

    reference: str | None = optional("Exact account reference.", "ABB001", min_length=1)
    name: str | None = optional("Exact account name.", "Abbey Retail Ltd", min_length=1)
    nameContains: str | None = optional("Text the name contains.", "Abbey", min_length=1)

    @model_validator(mode="after")
    def _needs_a_criterion(self) -> FindTraderInputs:
        if not set(_CRITERIA) & self.model_fields_set:
            raise ValueError("give at least one of reference, name or nameContains")
        return self


def find_filter(inputs: FindTraderInputs) -> list[_odata.Condition]:
    conditions = []
    if inputs.reference is not None:
        conditions.append(
            _odata.Condition(field="reference", operator="eq", value=inputs.reference)
        )
    if inputs.name is not None:
        conditions.append(_odata.Condition(field="name", operator="eq", value=inputs.name))
    if inputs.nameContains is not None:
        conditions.append(
            _odata.Condition(field="name", operator="contains", value=inputs.nameContains)
        )
    return conditions


@dataclass(frozen=True)
class Ledger:
    singular: str  # Customer
    path: str  # /customers
    record: type[Customer] | type[Supplier]
    example: dict[str, Any]
    lookup: Any

    @property
    def id_input(self) -> str:
        return self.singular.lower() + "Id"

    @property
    def collection(self) -> str:
        return self.path.lstrip("/")


LEDGERS = (
    Ledger("Customer", "/customers", Customer, _CUSTOMER, _lookups.CUSTOMERS),
    Ledger("Supplier", "/suppliers", Supplier, _SUPPLIER, _lookups.SUPPLIERS),
)


def _id_field(ledger: Ledger) -> Any:
    return Field(
        description=f"The {ledger.singular.lower()}'s id (an integer).",
        examples=[ledger.example["id"]],
        json_schema_extra=ledger.lookup,
    )


class CreateCustomerInputs(NewTrader):
    pass


class CreateSupplierInputs(NewTrader):
    pass


class UpdateCustomerInputs(TraderFields):
    customerId: Id = _id_field(LEDGERS[0])
    name: str | None = optional("The new account name.", "Abbey Retail Group Ltd", max_length=60)


class UpdateSupplierInputs(TraderFields):
    supplierId: Id = _id_field(LEDGERS[1])
    name: str | None = optional("The new account name.", "Paper Mills Group plc", max_length=60)


class DeleteCustomerInputs(Inputs):
    customerId: Id = _id_field(LEDGERS[0])


class DeleteSupplierInputs(Inputs):
    supplierId: Id = _id_field(LEDGERS[1])


_MODELS: dict[str, tuple[type[NewTrader], type[TraderFields], type[Inputs]]] = {
    "Customer": (CreateCustomerInputs, UpdateCustomerInputs, DeleteCustomerInputs),
    "Supplier": (CreateSupplierInputs, UpdateSupplierInputs, DeleteSupplierInputs),
}


def _create(ledger: Ledger) -> Callable[[NewTrader], Action]:
    def handler(inputs: NewTrader) -> Action:
        return (yield from write_one("POST", ledger.path, trader_payload(inputs)))

    return handler


def _update(ledger: Ledger) -> Callable[[TraderFields], Action]:
    def handler(inputs: TraderFields) -> Action:
        key = getattr(inputs, ledger.id_input)
        path = record_path(ledger.collection, key)
        # The spec's account schema (PUT's too) requires reference and name: they are read
        # first and sent unchanged unless the caller renames the account.
        current = yield from get_one(path)
        kept = {k: current[k] for k in ("reference", "name") if current.get(k) is not None}
        payload = {**kept, **trader_payload(inputs)}
        return (yield from write_one("PUT", path, payload))

    return handler


def _delete(ledger: Ledger) -> Callable[[Inputs], Action]:
    def handler(inputs: Inputs) -> Action:
        key = getattr(inputs, ledger.id_input)
        return (yield from delete_one(key, record_path(ledger.collection, key)))

    return handler


def _find(ledger: Ledger) -> Callable[[FindTraderInputs], Action]:
    def handler(inputs: FindTraderInputs) -> Action:
        # Sage 200 compares with eq exactly (and references are unique), so every match is
        # returned; fetchAll pages on in case a name is shared.
        query = ListInputs(filter=find_filter(inputs), fetchAll=True)
        page = yield from list_action(ledger.path, query, order="id")
        return {"items": page["items"]}

    return handler


#: New accounts' examples: references the seed data (and a typical company) does not hold yet.
_NEW = {
    "Customer": {"reference": "NEW001", "name": "Newbury Garden Centre"},
    "Supplier": {"reference": "NEWS01", "name": "Newport Packaging Ltd"},
}

for _ledger in LEDGERS:
    _new, _change, _remove = _MODELS[_ledger.singular]
    _lower = _ledger.singular.lower()
    _example = {
        **_NEW[_ledger.singular],
        "creditLimit": "5000.00",
        "address1": "1 High Street",
        "city": "Reading",
        "postcode": "RG1 1AA",
    }
    PACK.component(
        key=f"create{_ledger.singular}",
        title=f"Create {_ledger.singular}",
        description=f"Create a {_lower} account (POST {_ledger.path}).",
        inputs=_new,
        output=_ledger.record,
        annotations=WRITE,
        marker=_markers.CUSTOMER if _ledger.singular == "Customer" else _markers.SUPPLIER,
        example_input=_example,
        example_output=_ledger.example,
    )(_create(_ledger))
    PACK.component(
        key=f"update{_ledger.singular}",
        title=f"Update {_ledger.singular}",
        description=(
            f"Change a {_lower} account: reads it, then sends its reference and name with "
            f"the inputs given (GET, then PUT {_ledger.path}/{{id}})."
        ),
        inputs=_change,
        output=_ledger.record,
        annotations=IDEMPOTENT_WRITE,
        example_input={_ledger.id_input: _ledger.example["id"], "creditLimit": "7500.00"},
        example_output={**_ledger.example, "credit_limit": 7500.0},
    )(_update(_ledger))
    PACK.component(
        key=f"delete{_ledger.singular}",
        title=f"Delete {_ledger.singular}",
        description=(
            f"Delete a {_lower} account with no transactions (DELETE {_ledger.path}/{{id}})."
        ),
        inputs=_remove,
        output=DeleteOutput,
        annotations=DESTRUCTIVE,
        example_input={_ledger.id_input: _ledger.example["id"]},
        example_output={"id": _ledger.example["id"], "deleted": True},
    )(_delete(_ledger))
    PACK.component(
        key=f"find{_ledger.singular}",
        title=f"Find {_ledger.singular}",
        description=(
            f"Find {_lower} accounts by exact reference or name, or by text in the name "
            f"(GET {_ledger.path}?$filter=...); zero or more matches, so a flow can branch on "
            "`size(items)`."
        ),
        inputs=FindTraderInputs,
        output=Found[_ledger.record],  # type: ignore[name-defined]
        annotations=READ_ONLY,
        example_input={"reference": _ledger.example["reference"]},
        example_output={"items": [_ledger.example]},
    )(_find(_ledger))
