"""Sage's lookup lists (address types, contact types, contact person types, countries,
currencies, ledger account types), registered from one table: they differ only in path and
example."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sage_accounting._actions import list_of
from sage_accounting._models import ListOutput, PagingInputs, optional, page_of
from sage_accounting._pack import PACK
from sageflow._component import READ_ONLY, Action


class ListLedgerAccountTypesInputs(PagingInputs):
    ledgerAccountClassificationId: str | None = optional(
        "Only types of this classification.", "CURRENT_ASSETS"
    )


@dataclass(frozen=True)
class Lookup:
    key: str
    title: str
    path: str
    example: dict[str, Any]
    inputs: type[PagingInputs] = PagingInputs


def _item(path: str, key: str, shown: str) -> dict[str, Any]:
    return {"id": key, "displayed_as": shown, "$path": f"{path}/{key}"}


LOOKUPS = (
    Lookup(
        "listAddressTypes",
        "List Address Types",
        "/address_types",
        _item("/address_types", "DELIVERY", "Delivery"),
    ),
    Lookup(
        "listContactTypes",
        "List Contact Types",
        "/contact_types",
        _item("/contact_types", "CUSTOMER", "Customer"),
    ),
    Lookup(
        "listContactPersonTypes",
        "List Contact Person Types",
        "/contact_person_types",
        _item("/contact_person_types", "ACCOUNTS", "Accounts"),
    ),
    Lookup(
        "listCountries",
        "List Countries",
        "/countries",
        _item("/countries", "GB", "United Kingdom (GB)"),
    ),
    Lookup(
        "listCurrencies",
        "List Currencies",
        "/currencies",
        _item("/currencies", "EUR", "Euro (EUR)"),
    ),
    Lookup(
        "listLedgerAccountTypes",
        "List Ledger Account Types",
        "/ledger_account_types",
        _item("/ledger_account_types", "SALES", "Sales"),
        ListLedgerAccountTypesInputs,
    ),
)


def _handler(path: str) -> Callable[[PagingInputs], Action]:
    def handler(inputs: PagingInputs) -> Action:
        return (yield from list_of(path, inputs))

    return handler


for _lookup in LOOKUPS:
    PACK.component(
        key=_lookup.key,
        title=_lookup.title,
        description=f"{_lookup.title} (GET {_lookup.path}): Sage's fixed lookup list.",
        inputs=_lookup.inputs,
        output=ListOutput,
        annotations=READ_ONLY,
        example_input={"itemsPerPage": 200},
        example_output=page_of(_lookup.example, items_per_page=200),
    )(_handler(_lookup.path))
