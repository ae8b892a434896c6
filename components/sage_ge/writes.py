"""Creates and updates of Sage GE's reference data through Chift (clients, suppliers, general
accounts, journals, analytic accounts), from one table: each differs only in path, method,
input model and availability. Every POST carries ``x-chift-client-requestid`` (the profile's
idempotency hook), so a repeated create is answered, not duplicated."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from sage_ge import _lookups, _markers, _records
from sage_ge._pack import PACK
from sage_ge._rules import AccountNumber, AuxiliaryAccount
from sage_ge.reads import ID_PATTERN, segment
from sageflow._component import (
    IDEMPOTENT_WRITE,
    WRITE,
    Action,
    Annotations,
    Availability,
    Inputs,
    Reconciler,
)
from sageflow._options import closed_set
from sageflow._values import HTTPRequest

if TYPE_CHECKING:
    AddressType = Literal["main", "delivery", "invoice"]
    LedgerType = str
    JournalType = str
else:
    AddressType = closed_set({"main": "Main", "delivery": "Delivery", "invoice": "Invoicing"})
    LedgerType = closed_set(
        {
            "bank": "Bank", "cash": "Cash", "other_financial": "Other financial",
            "receivable": "Receivable (clients)", "payable": "Payable (suppliers)",
            "income": "Income", "expense": "Expense", "other_expense": "Other expense",
            "vat": "VAT", "other": "Other",
        }
    )  # fmt: skip
    JournalType = closed_set(
        {
            "customer_invoice": "Sales (ventes)", "customer_refund": "Sales credit notes",
            "supplier_invoice": "Purchases (achats)", "supplier_refund": "Purchase credit notes",
            "bank": "Bank (banque)", "cash": "Cash (caisse)",
            "miscellaneous_operation": "Miscellaneous (opérations diverses)",
        }
    )  # fmt: skip

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(name: str) -> str:
    """``postalCode`` -> ``postal_code``: Chift's field names."""
    return _BOUNDARY.sub("_", name).lower()


def wire(value: Any) -> Any:
    """Inputs as Chift reads them: every key in snake case, at every depth."""
    if isinstance(value, dict):
        return {snake(k): wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value


class Address(Inputs):
    addressType: AddressType = Field(description="main, delivery or invoice.", examples=["main"])
    street: str = Field(min_length=1, description="Street.", examples=["12 rue de la Paix"])
    number: str | None = Field(default=None, description="Street number.", examples=["12"])
    city: str = Field(min_length=1, description="City.", examples=["Paris"])
    postalCode: str = Field(min_length=1, description="Postal code.", examples=["75002"])
    country: str = Field(
        pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country.", examples=["FR"]
    )


class _Party(Inputs):
    isCompany: bool | None = Field(
        default=None, description="A company, not a person.", examples=[True]
    )
    firstName: str | None = Field(
        default=None, min_length=1, description="A person's first name.", examples=["Marie"]
    )
    lastName: str | None = Field(
        default=None, min_length=1, description="A person's last name.", examples=["Dupont"]
    )
    email: str | None = Field(
        default=None, min_length=3, description="Email address.", examples=["compta@dupont.fr"]
    )
    phone: str | None = Field(
        default=None, min_length=1, description="Phone number.", examples=["+33 1 42 68 53 00"]
    )
    vat: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}[0-9A-Z]{2,13}$", description="VAT number (FR...).",
        examples=["FR40303265045"],
    )  # fmt: skip
    companyNumber: str | None = Field(
        default=None, pattern=r"^[0-9]{9}([0-9]{5})?$", description="SIREN (9) or SIRET (14).",
        examples=["552100554"],
    )  # fmt: skip
    iban: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}[0-9A-Z]{13,32}$", description="Bank account (IBAN).",
        examples=["FR7630006000011234567890189"],
    )  # fmt: skip
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="ISO currency.", examples=["EUR"]
    )
    externalReference: str | None = Field(
        default=None, min_length=1, description="Your id.", examples=["CRM-0042"]
    )
    accountNumber: AuxiliaryAccount | None = Field(
        default=None, description="The auxiliary account (compte auxiliaire) to give it."
    )


class CreatePartyInputs(_Party):
    name: str = Field(min_length=1, description="Legal or full name.", examples=["Dupont SARL"])
    addresses: list[Address] = Field(min_length=1, description="At least the main address.")


class UpdateClientInputs(_Party):
    clientId: str = Field(
        pattern=ID_PATTERN, description="The client's id.", examples=["CDUPONT"],
        json_schema_extra=_lookups.CLIENTS,
    )  # fmt: skip
    name: str | None = Field(
        default=None, min_length=1, description="Legal or full name.", examples=["Dupont SAS"]
    )
    active: bool | None = Field(
        default=None, description="Whether the client is active.", examples=[False]
    )


class UpdateSupplierInputs(_Party):
    supplierId: str = Field(
        pattern=ID_PATTERN, description="The supplier's id.", examples=["FORANGE"],
        json_schema_extra=_lookups.SUPPLIERS,
    )  # fmt: skip
    name: str | None = Field(
        default=None, min_length=1, description="Legal or full name.", examples=["Orange SA"]
    )
    active: bool | None = Field(
        default=None, description="Whether the supplier is active.", examples=[False]
    )


class CreateLedgerAccountInputs(Inputs):
    number: AccountNumber
    name: str = Field(min_length=1, description="The account's label.", examples=["Clients"])
    type: LedgerType | None = Field(
        default=None, description="The account's kind.", examples=["expense"]
    )


class CreateJournalInputs(Inputs):
    code: str = Field(
        pattern=r"^[0-9A-Z]{2,6}$", description="The journal code (VE, AC, BQ2...).",
        examples=["BQ2"],
    )  # fmt: skip
    name: str = Field(min_length=1, description="The journal's name.", examples=["Banque 2"])
    journalType: JournalType = Field(description="The journal's type.", examples=["bank"])
    counterpartAccount: AccountNumber | None = Field(
        default=None, description="A bank or cash journal's counterpart account (512...)."
    )


class CreateAnalyticAccountInputs(Inputs):
    code: str = Field(min_length=1, description="The analytic code.", examples=["PARIS"])
    name: str = Field(min_length=1, description="The analytic account's name.", examples=["Paris"])
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="Its currency.")
    active: bool | None = Field(
        default=None, description="Whether it takes new entries.", examples=[True]
    )


class UpdateAnalyticAccountInputs(Inputs):
    analyticAccountId: str = Field(
        pattern=ID_PATTERN, description="The analytic account's id.", examples=["PARIS"],
        json_schema_extra=_lookups.ANALYTIC_ACCOUNTS,
    )  # fmt: skip
    code: str | None = Field(
        default=None, min_length=1, description="The analytic code.", examples=["PARIS"]
    )
    name: str | None = Field(
        default=None, min_length=1, description="Its name.", examples=["Paris"]
    )
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="Its currency.", examples=["EUR"]
    )
    active: bool | None = Field(
        default=None, description="Whether it takes new entries.", examples=[False]
    )


@dataclass(frozen=True)
class Write:
    key: str
    title: str
    method: Literal["POST", "PATCH"]
    path: str
    inputs: type[Inputs]
    record: type[BaseModel]
    what: str
    availability: Availability
    example_input: dict[str, Any]
    example_output: dict[str, Any]
    #: The input that is the record's id in the path (``{id}``), for an update.
    id_input: str | None = None
    #: How a create whose outcome is unknown is found again (its unique value).
    marker: Reconciler | None = None


_ADDRESS = {"addressType": "main", "street": "rue de la Paix", "number": "12", "city": "Paris",
            "postalCode": "75002", "country": "FR"}  # fmt: skip
_CLIENT_IN = {"name": "Dupont SARL", "isCompany": True, "vat": "FR40303265045",
              "accountNumber": "CDUPONT", "addresses": [_ADDRESS]}  # fmt: skip
_CLIENT = {"id": "CDUPONT", "name": "Dupont SARL", "account_number": "CDUPONT"}
_SUPPLIER = {"id": "FORANGE", "name": "Orange SA", "account_number": "FORANGE"}
_ANALYTIC = {"id": "PARIS", "code": "PARIS", "name": "Paris", "active": True, "currency": "EUR"}

WRITES = (
    Write("createClient", "Create Client", "POST", "/clients", CreatePartyInputs, _records.Party,
          "a client (customer) with its auxiliary account", "live", _CLIENT_IN, _CLIENT,
          marker=_markers.CLIENT),
    Write("createSupplier", "Create Supplier", "POST", "/suppliers", CreatePartyInputs,
          _records.Party, "a supplier with its auxiliary account", "live",
          {**_CLIENT_IN, "name": "Orange SA", "accountNumber": "FORANGE",
           "vat": "FR89380129866"}, _SUPPLIER, marker=_markers.SUPPLIER),
    Write("updateClient", "Update Client", "PATCH", "/clients/{id}", UpdateClientInputs,
          _records.Party, "a client's details (only the inputs given are changed)",
          "on_request", {"clientId": "CDUPONT", "email": "compta@dupont.fr"}, _CLIENT,
          id_input="clientId"),
    Write("updateSupplier", "Update Supplier", "PATCH", "/suppliers/{id}", UpdateSupplierInputs,
          _records.Party, "a supplier's details (only the inputs given are changed)",
          "on_request", {"supplierId": "FORANGE", "phone": "+33 1 44 44 22 22"}, _SUPPLIER,
          id_input="supplierId"),
    Write("createLedgerAccount", "Create Ledger Account", "POST", "/accounts",
          CreateLedgerAccountInputs, _records.Account,
          "a general account of the chart of accounts (compte général)", "on_request",
          {"number": "628100", "name": "Compte 628100", "type": "expense"},
          {"number": "628100", "name": "Compte 628100"}, marker=_markers.LEDGER_ACCOUNT),
    Write("createJournal", "Create Journal", "POST", "/journal", CreateJournalInputs,
          _records.Journal, "a journal", "on_request",
          {"code": "BQ2", "name": "Banque 2", "journalType": "bank",
           "counterpartAccount": "512200"},
          {"id": "12", "code": "BQ2", "name": "Banque 2", "journal_type": "financial_operation"},
          marker=_markers.JOURNAL),
    Write("createAnalyticAccount", "Create Analytic Account", "POST", "/analytic-accounts",
          CreateAnalyticAccountInputs, _records.Named,
          "an analytic account (section analytique) of the default plan", "on_request",
          {"code": "PARIS", "name": "Paris"}, _ANALYTIC, marker=_markers.ANALYTIC_ACCOUNT),
    Write("updateAnalyticAccount", "Update Analytic Account", "PATCH", "/analytic-accounts/{id}",
          UpdateAnalyticAccountInputs, _records.Named,
          "an analytic account (only the inputs given are changed)", "on_request",
          {"analyticAccountId": "PARIS", "active": False}, {**_ANALYTIC, "active": False},
          id_input="analyticAccountId"),
)  # fmt: skip


def _handler(write: Write) -> Callable[[Inputs], Action]:
    def handler(inputs: Inputs) -> Action:
        path = write.path
        exclude: frozenset[str] = frozenset()
        if write.id_input is not None:
            path = path.replace("{id}", segment(str(getattr(inputs, write.id_input))))
            exclude = frozenset({write.id_input})
        # A create sends every input that has a value; an update only those the caller gave.
        dump = inputs.model_dump(
            mode="json", exclude=set(exclude), exclude_none=True,
            exclude_unset=write.method == "PATCH",
        )  # fmt: skip
        body = wire(dump)
        response = yield HTTPRequest(write.method, path, json=body)
        record = response.json()
        if not isinstance(record, dict):
            raise ValueError(f"{write.method} {path} did not answer a record")
        return record

    return handler


def _annotations(write: Write) -> Annotations:
    # A PATCH sets the same values however often it is sent.
    return IDEMPOTENT_WRITE if write.method == "PATCH" else WRITE


for _write in WRITES:
    PACK.component(
        key=_write.key,
        title=_write.title,
        description=(
            f"{'Create' if _write.method == 'POST' else 'Update'} {_write.what} "
            f"({_write.method} {_write.path} through Chift; "
            f"{'live' if _write.availability == 'live' else 'on request at Chift'})."
        ),
        inputs=_write.inputs,
        output=_write.record,
        annotations=_annotations(_write),
        example_input=_write.example_input,
        example_output=_write.example_output,
        availability=_write.availability,
        marker=_write.marker,
    )(_handler(_write))
