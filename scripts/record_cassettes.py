#!/usr/bin/env python
"""Record one vcrpy cassette per component, through the real HTTP layer, secrets redacted.

Usage::

    python scripts/record_cassettes.py                      # every component, embedded sandbox
    python scripts/record_cassettes.py createContact ...    # only these components
    SAGEFLOW_RECORD_REAL=1 python scripts/record_cassettes.py  # a real Sage business

Each component gets a fresh, deterministic sandbox (``Clock.manual`` at a fixed start, ids that
are the same in every fresh sandbox). What the call needs (a customer, a draft invoice, a
ledger account...) is created first through the same client, *outside* the cassette, so that a
cassette holds exactly the requests of the one component call and nothing else. The call itself
runs inside ``vcr.use_cassette(record_mode="all")`` with the project's redaction hooks.

Beside the cassettes, ``calls.json`` keeps, per component, the input that was sent, the
idempotency key and the output that came back: the replay test (``tests/test_cassettes.py``)
makes the same call from it and must get the same output without reaching any transport.

vcrpy 9 does not patch ``httpx.Client.send``: it patches the *concrete* transport classes
(``HTTPTransport``, ``ASGITransport``, ``MockTransport``...). The sandbox's in-process transports
subclass ``httpx.BaseTransport`` and would go unseen, so the sandbox is reached through an
``httpx.MockTransport`` that delegates to it. Against a real business the default
``HTTPTransport`` is used, which vcrpy patches as it is.

With ``SAGEFLOW_RECORD_REAL=1`` the script uses the configured connection
(``sageflow._http.open_client``: ``SAGEFLOW_CONNECTION``, ``connections.toml`` or
``SAGEFLOW_ACCESS_TOKEN``) and writes to ``cassettes/real/`` (ignored by git): those recordings
hold a real business's data and must be reviewed before any of them is committed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import vcr

import sageflow
from sage_accounting.connection import PROFILE
from sage_accounting.sandbox import DEFAULT_START, Clock, Sandbox
from sageflow import CallOptions, Component
from sageflow._http import (
    Client,
    Connection,
    before_record_request,
    before_record_response,
    open_client,
)
from sageflow._http._config import find_connection, sandbox_limiter

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
REAL_CASSETTES = CASSETTES / "real"
CALLS_FILE = "calls.json"
REAL_SWITCH = "SAGEFLOW_RECORD_REAL"

#: What makes two requests "the same" on replay: method, path, query and body (vcrpy compares
#: JSON bodies parsed). The host is left out so that a cassette replays against any base URL
#: (sandbox or api.accounting.sage.com); headers are left out because they carry the redacted
#: token and the User-Agent (the version) — the X-Idempotency-Key is fixed per component anyway.
MATCH_ON = ("method", "path", "query", "body")

Inputs = dict[str, Any]


def use_cassette(path: Path, record_mode: str) -> Any:
    """The one vcrpy configuration both the recorder and the replay test use."""
    config = vcr.VCR(
        match_on=MATCH_ON,
        before_record_request=before_record_request,
        before_record_response=before_record_response,
        decode_compressed_response=True,
    )
    # Each recorded request is played once: a replay that repeats a request (an extra page,
    # a retried write) is a different conversation and must fail.
    return config.use_cassette(str(path), record_mode=record_mode, allow_playback_repeats=False)


def cassette_path(folder: Path, component: Component) -> Path:
    return folder / component.pack / f"{component.key}.yaml"


def idempotency_key(component: Component) -> str:
    # Fixed per component, so that re-recording writes identical files and replay sends the
    # same X-Idempotency-Key that was recorded.
    return f"cassette-{component.pack}-{component.key}"


class Fixtures:
    """The records a component call needs, found or created through the client on first use.

    Only components are used (no sandbox internals), so the same set-up works against a real
    Sage business: ids are looked up or created, never assumed, and a second run against the
    same business finds the customer, supplier and ledger account the first one created.
    Destructive calls (delete, void, release) get records of their own (``own=True``), so that
    one component's recording never removes what a later one needs.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self._made: dict[str, Any] = {}

    def _once(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._made:
            self._made[name] = make()
        return self._made[name]

    def call(self, key: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return self.client.call(f"sage_accounting/{key}", inputs)

    def ledger_account(self, usage: str) -> str:
        """The first ledger account offered for ``sales`` or ``expenses`` (the swagger's areas)."""
        return str(
            self._once(
                f"ledger:{usage}",
                lambda: self.call("listLedgerAccounts", {"visible_in": usage, "itemsPerPage": 1})[
                    "items"
                ][0]["id"],
            )
        )

    def _contact(self, kind: str, values: Inputs) -> dict[str, Any]:
        found = self.call("findContact", {"reference": values["reference"], "contactTypeId": kind})
        if found["items"]:
            return dict(found["items"][0])
        return self.call("createContact", {**values, "contactTypeIds": [kind]})

    def customer(self) -> dict[str, Any]:
        customer = {
            "name": "Cassette Customer Ltd",
            "reference": "CASSCUST",
            "addressLine1": "2 Station Road",
            "city": "Reading",
            "postalCode": "RG1 1AB",
            "countryId": "GB",
        }
        return dict(self._once("customer", lambda: self._contact("CUSTOMER", customer)))

    def supplier(self) -> dict[str, Any]:
        supplier = {
            "name": "Cassette Supplies Ltd",
            "reference": "CASSSUPP",
            "addressLine1": "9 Mill Lane",
            "city": "Slough",
            "postalCode": "SL1 2AA",
            "countryId": "GB",
        }
        return dict(self._once("supplier", lambda: self._contact("VENDOR", supplier)))

    def spare_contact(self) -> str:
        """A new customer with no transactions (Sage refuses to delete one that has some)."""
        return str(
            self.call(
                "createContact", {"name": "Cassette Spare Ltd", "contactTypeIds": ["CUSTOMER"]}
            )["id"]
        )

    def address_id(self) -> str:
        """The customer's main address (a contact person hangs off an address)."""
        contact = self.call("getContact", {"contactId": self.customer()["id"]})
        return str(contact["main_address"]["id"])

    def contact_person(self, *, own: bool = False) -> str:
        def make() -> str:
            person = {
                "addressId": self.address_id(),
                "name": "Pat Cassette",
                "contactPersonTypeIds": ["ACCOUNTS"],
                "email": "pat@cassette-customer.example",
            }
            return str(self.call("createContactPerson", person)["id"])

        return make() if own else str(self._once("person", make))

    def sales_invoice(self, *, draft: bool = False, own: bool = False) -> str:
        def make() -> str:
            inputs: Inputs = {
                "contactId": self.customer()["id"],
                "date": "2026-01-05",
                "dueDate": "2026-02-04",
                "reference": "CASS-SI",
                "invoiceLines": [
                    {
                        "description": "Consulting, January",
                        "ledgerAccountId": self.ledger_account("sales"),
                        "quantity": "3",
                        "unitPrice": "400.00",
                        "taxRateId": "GB_STANDARD",
                    }
                ],
            }
            if draft:
                inputs["statusId"] = "DRAFT"
            return str(self.call("createSalesInvoice", inputs)["id"])

        return make() if own or draft else str(self._once("sales", make))

    def purchase_invoice(self, *, draft: bool = False, own: bool = False) -> str:
        def make() -> str:
            inputs: Inputs = {
                "contactId": self.supplier()["id"],
                "date": "2026-01-05",
                "dueDate": "2026-02-04",
                "vendorReference": "CASS-PI",
                "invoiceLines": [
                    {
                        "description": "Printer paper, 10 reams",
                        "ledgerAccountId": self.ledger_account("expenses"),
                        "quantity": "10",
                        "unitPrice": "3.50",
                        "taxRateId": "GB_STANDARD",
                    }
                ],
            }
            if draft:
                inputs["statusId"] = "DRAFT"
            return str(self.call("createPurchaseInvoice", inputs)["id"])

        return make() if own or draft else str(self._once("purchase", make))

    def cassette_ledger_account(self) -> str:
        """A ledger account of our own to rename (never one of the business's real ones)."""

        def make() -> str:
            found = self.call("listLedgerAccounts", {"search": "Cassette Income"})["items"]
            if found:
                return str(found[0]["id"])
            account = {
                "ledgerAccountTypeId": "SALES",
                "includedInChart": True,
                "name": "Cassette Income",
                "displayName": "Cassette Income",
                "nominalCode": 4090,
                "taxRateId": "GB_STANDARD",
            }
            return str(self.call("createLedgerAccount", account)["id"])

        return str(self._once("cassette-ledger", make))

    def business_id(self) -> str:
        return str(self.call("listBusinesses", {})["items"][0]["id"])

    def _serial(self) -> int:
        self._made["serial"] = int(self._made.get("serial", 0)) + 1
        return int(self._made["serial"])

    def first_of(self, listing: str) -> str:
        """The first record of a list component (a price type, a rate type)."""
        return str(self._once(listing, lambda: self.call(listing, {})["items"][0]["id"]))

    def catalogue_item(self, kind: str, *, own: bool = False) -> str:
        """A Product, Service or StockItem of our own: found by its item code, else created."""
        code = f"CASS-{kind.upper()}" + (f"-{self._serial()}" if own else "")

        def make() -> str:
            found = self.call(f"find{kind}", {"itemCode": code})["items"]
            if found:
                return str(found[0]["id"])
            item = {
                "description": f"Cassette {kind}",
                "itemCode": code,
                "salesLedgerAccountId": self.ledger_account("sales"),
            }
            if kind != "Service":
                item["purchaseLedgerAccountId"] = self.ledger_account("expenses")
            return str(self.call(f"create{kind}", item)["id"])

        return make() if own else str(self._once(f"item:{kind}", make))

    def catalogue_type(self, kind: str) -> str:
        """A price or rate type of our own (a business's own types are never changed)."""
        named = {"name": f"Cassette {kind} {self._serial()}", "active": True}
        return str(self.call(f"create{kind}", named)["id"])

    def stock_movement(self) -> str:
        movement = {
            "stockItemId": self.catalogue_item("StockItem"),
            "date": "2026-01-05",
            "quantity": "5",
            "costPrice": "2.00",
            "details": "Cassette delivery",
        }
        return str(self.call("createStockMovement", movement)["id"])


def _lines(ledger: str, lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{**line, "ledgerAccountId": ledger} for line in lines]


#: How to turn a component's ``example_input`` into a call that works: the ids it names are
#: replaced by real ones the set-up creates. A component not listed here is called with its
#: example as it is (reference data, creates without references) — so a new component is
#: recorded without touching this file, as long as its example needs no ids.
Prepare = Callable[[Fixtures, Inputs], Inputs]
PREPARE: dict[str, Prepare] = {
    # The example's reference (ACME001) is one the sandbox's seed data already uses.
    "createContact": lambda f, x: {**x, "reference": "ACME002"},
    # Likewise its nominal code 4010 (nominal codes are unique in a chart of accounts).
    "createLedgerAccount": lambda f, x: {**x, "nominalCode": 4080},
    "createContactPerson": lambda f, x: {**x, "addressId": f.address_id()},
    "createPurchaseInvoice": lambda f, x: {
        **x,
        "contactId": f.supplier()["id"],
        "invoiceLines": _lines(f.ledger_account("expenses"), x["invoiceLines"]),
    },
    "createSalesInvoice": lambda f, x: {
        **x,
        "contactId": f.customer()["id"],
        "invoiceLines": _lines(f.ledger_account("sales"), x["invoiceLines"]),
    },
    "deleteContact": lambda f, x: {**x, "contactId": f.spare_contact()},
    "deleteContactPerson": lambda f, x: {**x, "contactPersonId": f.contact_person(own=True)},
    "deletePurchaseInvoice": lambda f, x: {
        **x,
        "purchaseInvoiceId": f.purchase_invoice(own=True),
    },
    "deleteSalesInvoice": lambda f, x: {**x, "salesInvoiceId": f.sales_invoice(own=True)},
    "findContact": lambda f, x: {**x, "reference": f.customer()["reference"]},
    "listAddresses": lambda f, x: {**x, "contactId": f.customer()["id"]},
    "getBusiness": lambda f, x: {**x, "businessId": f.business_id()},
    "getContact": lambda f, x: {**x, "contactId": f.customer()["id"]},
    "getContactPerson": lambda f, x: {**x, "contactPersonId": f.contact_person()},
    "getLedgerAccount": lambda f, x: {**x, "ledgerAccountId": f.ledger_account("sales")},
    "getPurchaseInvoice": lambda f, x: {**x, "purchaseInvoiceId": f.purchase_invoice()},
    "getSalesInvoice": lambda f, x: {**x, "salesInvoiceId": f.sales_invoice()},
    "findSalesInvoice": lambda f, x: {
        **x,
        "invoiceNumber": f.call("getSalesInvoice", {"salesInvoiceId": f.sales_invoice()})[
            "invoice_number"
        ],
    },
    "findPurchaseInvoice": lambda f, x: {
        **x,
        "vendorReference": "CASS-PI" if f.purchase_invoice() else "",
    },
    "listContactPeople": lambda f, x: {
        **x,
        "contactId": f.customer()["id"] if f.contact_person() else "",
    },
    "listPurchaseInvoice": lambda f, x: {
        **x,
        "contactId": f.supplier()["id"] if f.purchase_invoice() else "",
    },
    # The example asks for /products, which the sandbox does not simulate; any v3.1 path
    # shows the component's behaviour (status, headers, parsed body).
    "rawRequest": lambda f, x: {
        **x,
        "url": "/contacts",
        "queryParams": {"search": f.customer()["name"]},
    },
    "releasePurchaseInvoice": lambda f, x: {
        **x,
        "purchaseInvoiceId": f.purchase_invoice(draft=True),
    },
    "releaseSalesInvoice": lambda f, x: {**x, "salesInvoiceId": f.sales_invoice(draft=True)},
    "updateContact": lambda f, x: {**x, "contactId": f.customer()["id"]},
    "updateContactPerson": lambda f, x: {**x, "contactPersonId": f.contact_person()},
    "updateLedgerAccount": lambda f, x: {**x, "accountId": f.cassette_ledger_account()},
    "updatePurchaseInvoice": lambda f, x: {**x, "purchaseInvoiceId": f.purchase_invoice()},
    "updateSalesInvoice": lambda f, x: {**x, "salesInvoiceId": f.sales_invoice()},
}


def _catalogue_prepare() -> dict[str, Prepare]:
    """The catalogue's components (sage_accounting.catalogue): ids of records of our own."""
    steps: dict[str, Prepare] = {}
    for kind, key in (
        ("Product", "productId"),
        ("Service", "serviceId"),
        ("StockItem", "stockItemId"),
    ):
        code = f"CASS-{kind.upper()}"
        steps[f"get{kind}"] = lambda f, x, k=kind, i=key: {**x, i: f.catalogue_item(k)}
        steps[f"update{kind}"] = steps[f"get{kind}"]
        steps[f"delete{kind}"] = lambda f, x, k=kind, i=key: {**x, i: f.catalogue_item(k, own=True)}
        steps[f"find{kind}"] = lambda f, x, k=kind, c=code: {
            **x,
            "itemCode": c if f.catalogue_item(k) else "",
        }
        steps[f"create{kind}"] = lambda f, x, k=kind: {
            **x,
            "itemCode": f"CASS-NEW-{k.upper()}",
            "salesLedgerAccountId": f.ledger_account("sales"),
            **({"purchaseLedgerAccountId": f.ledger_account("expenses")} if k != "Service" else {}),
        }
    price_type = "productSalesPriceTypeId"
    steps["createProduct"] = lambda f, x, made=steps["createProduct"]: {
        **made(f, x),
        "salesPrices": [
            {**p, price_type: f.first_of("listProductSalesPriceTypes")} for p in x["salesPrices"]
        ],
    }
    steps["createService"] = lambda f, x, made=steps["createService"]: {
        **made(f, x),
        "salesRates": [
            {**r, "serviceRateTypeId": f.first_of("listServiceRateTypes")} for r in x["salesRates"]
        ],
    }
    steps["createStockMovement"] = lambda f, x: {**x, "stockItemId": f.catalogue_item("StockItem")}
    for verb in ("get", "update", "delete"):
        steps[f"{verb}StockMovement"] = lambda f, x: {**x, "stockMovementId": f.stock_movement()}
        for kind, key in (
            ("ProductSalesPriceType", "productSalesPriceTypeId"),
            ("ServiceRateType", "serviceRateTypeId"),
        ):
            steps[f"{verb}{kind}"] = lambda f, x, k=kind, i=key: {**x, i: f.catalogue_type(k)}
    steps["listStockMovements"] = steps["createStockMovement"]
    return steps


PREPARE.update(_catalogue_prepare())


def _bank_account(f: Fixtures, *, own: bool = False) -> str:
    """The business's current account (nominal code 1200), or one of our own to delete."""
    if own:
        details = {"accountName": "Cassette Spare Account"}
        made = {"bankAccountTypeId": "SAVINGS", "bankAccountDetails": details, "nominalCode": 1239}
        return str(f.call("createBankAccount", made)["id"])
    return str(
        f._once("bank", lambda: f.call("findBankAccount", {"nominalCode": 1200})["items"][0]["id"])
    )


def _receipt(f: Fixtures, amount: str, *, allocate: bool = True) -> dict[str, Any]:
    """A customer receipt of ``amount`` into the current account, paying the sales invoice
    (or, without ``allocate``, all of it on account)."""
    payment: Inputs = {
        "transactionTypeId": "CUSTOMER_RECEIPT",
        "contactId": f.customer()["id"],
        "bankAccountId": _bank_account(f),
        "date": "2026-01-06",
        "totalAmount": amount,
    }
    if allocate:
        payment["allocatedArtefacts"] = [{"artefactId": f.sales_invoice(), "amount": amount}]
    return f.call("createContactPayment", payment)


def _allocation(f: Fixtures) -> str:
    """A payment on account of 10.00 set against the sales invoice."""
    on_account = _receipt(f, "10.00", allocate=False)["payment_on_account"]["id"]
    allocation = {
        "transactionTypeId": "CUSTOMER_ALLOCATION",
        "contactId": f.customer()["id"],
        "allocatedArtefacts": [
            {"artefactId": f.sales_invoice(), "amount": "10.00"},
            {"artefactId": on_account, "amount": "-10.00"},
        ],
    }
    return str(f.call("createContactAllocation", allocation)["id"])


def _other_payment(f: Fixtures) -> str:
    payment = {
        "transactionTypeId": "OTHER_PAYMENT",
        "date": "2026-01-06",
        "bankAccountId": _bank_account(f),
        "totalAmount": "12.00",
        "reference": "Cassette bank fee",
        "paymentLines": [{"ledgerAccountId": f.ledger_account("expenses"), "totalAmount": "12.00"}],
    }
    return str(f.call("createOtherPayment", payment)["id"])


def _payments_prepare() -> dict[str, Prepare]:
    """Payments and bank accounts (sage_accounting.payments, .bank_accounts)."""
    steps: dict[str, Prepare] = {
        "getBankAccount": lambda f, x: {**x, "bankAccountId": _bank_account(f)},
        "updateBankAccount": lambda f, x: {**x, "bankAccountId": _bank_account(f)},
        "deleteBankAccount": lambda f, x: {**x, "bankAccountId": _bank_account(f, own=True)},
        "createContactPayment": lambda f, x: {
            **x,
            "contactId": f.customer()["id"],
            "bankAccountId": _bank_account(f),
            "allocatedArtefacts": [{**x["allocatedArtefacts"][0], "artefactId": f.sales_invoice()}],
        },
        "listContactPayments": lambda f, x: {
            **x,
            "contactId": f.customer()["id"] if _receipt(f, "50.00") else "",
        },
        "createContactAllocation": lambda f, x: {
            **x,
            "contactId": f.customer()["id"],
            "allocatedArtefacts": [
                {"artefactId": f.sales_invoice(), "amount": "20.00"},
                {
                    "artefactId": _receipt(f, "20.00", allocate=False)["payment_on_account"]["id"],
                    "amount": "-20.00",
                },
            ],
        },
        "listContactAllocations": lambda f, x: {
            **x,
            "contactId": f.customer()["id"] if _allocation(f) else "",
        },
        "createOtherPayment": lambda f, x: {
            **x,
            "bankAccountId": _bank_account(f),
            "paymentLines": [
                {**line, "ledgerAccountId": f.ledger_account("sales")} for line in x["paymentLines"]
            ],
        },
        "listOtherPayments": lambda f, x: x if _other_payment(f) else {},
    }
    for verb in ("get", "update", "delete"):
        steps[f"{verb}ContactPayment"] = lambda f, x: {
            **x,
            "contactPaymentId": _receipt(f, "40.00")["id"],
        }
        steps[f"{verb}ContactAllocation"] = lambda f, x: {
            **x,
            "contactAllocationId": _allocation(f),
        }
        steps[f"{verb}OtherPayment"] = lambda f, x: {**x, "otherPaymentId": _other_payment(f)}
    return steps


PREPARE.update(_payments_prepare())


def _bank_by_code(f: Fixtures, code: int) -> str:
    """The seeded bank account on the ledger account with that nominal code (1210 cash in hand,
    1220 savings)."""
    return str(
        f._once(
            f"bank:{code}",
            lambda: f.call("findBankAccount", {"nominalCode": code})["items"][0]["id"],
        )
    )


def _bank_movement(f: Fixtures, kind: str) -> str:
    """A transfer (current to savings), a deposit (cash in hand to current) or a reconciliation
    (of the current account) of our own."""
    made: Inputs
    if kind == "BankTransfer":
        made = {
            "fromBankAccountId": _bank_account(f),
            "toBankAccountId": _bank_by_code(f, 1220),
            "date": "2026-03-02",
            "amount": "15.00",
            "reference": "Cassette transfer",
        }
    elif kind == "BankDeposit":
        made = {
            "fromBankAccountId": _bank_by_code(f, 1210),
            "toBankAccountId": _bank_account(f),
            "date": "2026-03-02",
            "reference": "Cassette takings",
            "cashAmount": "30.00",
        }
    else:
        made = {"bankAccountId": _bank_account(f), "statementDate": "2026-02-28"}
    return str(f.call(f"create{kind}", made)["id"])


def _bank_movements_prepare() -> dict[str, Prepare]:
    """Transfers, deposits and reconciliations (sage_accounting.bank_movements)."""
    steps: dict[str, Prepare] = {
        "createBankTransfer": lambda f, x: {
            **x,
            "fromBankAccountId": _bank_account(f),
            "toBankAccountId": _bank_by_code(f, 1220),
        },
        "createBankDeposit": lambda f, x: {
            **x,
            "fromBankAccountId": _bank_by_code(f, 1210),
            "toBankAccountId": _bank_account(f),
        },
        "createBankReconciliation": lambda f, x: {**x, "bankAccountId": _bank_account(f)},
        "listBankReconciliations": lambda f, x: {
            **x,
            "bankAccountId": _bank_account(f) if _bank_movement(f, "BankReconciliation") else "",
        },
    }
    for kind, key in (
        ("BankTransfer", "bankTransferId"),
        ("BankDeposit", "bankDepositId"),
        ("BankReconciliation", "bankReconciliationId"),
    ):
        for verb in ("get", "update", "delete"):
            steps[f"{verb}{kind}"] = lambda f, x, k=kind, i=key: {**x, i: _bank_movement(f, k)}
    for kind in ("BankTransfer", "BankDeposit"):
        steps[f"list{kind}s"] = lambda f, x, k=kind: x if _bank_movement(f, k) else {}
    return steps


PREPARE.update(_bank_movements_prepare())


def _journal(f: Fixtures) -> dict[str, Any]:
    """A balanced two-line journal of our own (journals are deleted, never changed)."""
    lines = [
        {"ledgerAccountId": f.ledger_account("expenses"), "debit": "25.00", "details": "Cassette"},
        {"ledgerAccountId": f.ledger_account("journals"), "credit": "25.00", "details": "Cassette"},
    ]
    journal = {"date": "2026-01-05", "reference": "CASS-J", "journalLines": lines}
    return f.call("createJournal", journal)


def _journal_code(f: Fixtures) -> dict[str, Any]:
    code = {"name": "Cassette Code", "code": "CASS", "journalCodeTypeId": "OTHER"}
    return dict(f._once("journal-code", lambda: f.call("createJournalCode", code)))


def _quick_entry(f: Fixtures, side: str) -> str:
    sale = side == "Sales"
    entry = {
        "quickEntryTypeId": "INVOICE",
        "date": "2026-01-05",
        "contactId": (f.customer() if sale else f.supplier())["id"],
        "reference": "CASS-QE",
        "ledgerAccountId": f.ledger_account("sales" if sale else "expenses"),
        "netAmount": "50.00",
        "taxRateId": "GB_STANDARD",
        "taxAmount": "10.00",
    }
    return str(f.call(f"create{side}QuickEntry", entry)["id"])


def _journals_prepare() -> dict[str, Prepare]:
    """Journals, the ledger, quick entries and settings (sage_accounting.journals,
    .quick_entries, .settings): the example's ids replaced by records made first."""

    def transaction(f: Fixtures) -> str:
        return str(_journal(f)["transaction"]["id"])

    def entry(f: Fixtures) -> str:
        listed = f.call("listLedgerEntries", {"transactionId": transaction(f)})
        return str(listed["items"][0]["id"])

    def profile(f: Fixtures) -> str:
        return str(f.call("listTaxProfiles", {})["items"][0]["id"])

    steps: dict[str, Prepare] = {
        "createJournal": lambda f, x: {
            **x,
            "journalLines": [
                {**line, "ledgerAccountId": f.ledger_account(area)}
                for line, area in zip(x["journalLines"], ("expenses", "journals"), strict=True)
            ],
        },
        "getJournal": lambda f, x: {**x, "journalId": _journal(f)["id"]},
        "deleteJournal": lambda f, x: {**x, "journalId": _journal(f)["id"]},
        "reissueJournal": lambda f, x: {**x, "journalId": _journal(f)["id"]},
        "findJournalCode": lambda f, x: {**x, "code": _journal_code(f)["code"]},
        "listLedgerEntries": lambda f, x: {**x, "transactionId": transaction(f)},
        "getLedgerEntry": lambda f, x: {**x, "ledgerEntryId": entry(f)},
        "getTransaction": lambda f, x: {**x, "transactionId": transaction(f)},
        "getTaxProfile": lambda f, x: {**x, "taxProfileId": profile(f)},
        "updateTaxProfile": lambda f, x: {**x, "taxProfileId": profile(f)},
    }
    for verb in ("get", "update", "delete"):
        steps[f"{verb}JournalCode"] = lambda f, x: {**x, "journalCodeId": _journal_code(f)["id"]}
    for side in ("Sales", "Purchase"):
        contact = "customer" if side == "Sales" else "supplier"
        area = "sales" if side == "Sales" else "expenses"
        steps[f"create{side}QuickEntry"] = lambda f, x, c=contact, a=area: {
            **x,
            "contactId": getattr(f, c)()["id"],
            "ledgerAccountId": f.ledger_account(a),
        }
        for verb in ("get", "update", "delete"):
            steps[f"{verb}{side}QuickEntry"] = lambda f, x, s=side: {
                **x,
                f"{s.lower()}QuickEntryId": _quick_entry(f, s),
            }
    return steps


PREPARE.update(_journals_prepare())


def _refund_line(f: Fixtures, usage: str) -> dict[str, Any]:
    return {
        "description": "Cassette refund",
        "ledgerAccountId": f.ledger_account(usage),
        "quantity": "1",
        "unitPrice": "40.00",
        "taxRateId": "GB_STANDARD",
    }


def _credit_note(f: Fixtures, side: str, *, draft: bool = False, own: bool = False) -> str:
    """A sales (or purchase) credit note of 48.00 for the cassette customer (or supplier)."""

    def make() -> str:
        sales = side == "sales"
        inputs: Inputs = {
            "contactId": (f.customer() if sales else f.supplier())["id"],
            "date": "2026-01-07",
            "creditNoteLines": [_refund_line(f, "sales" if sales else "expenses")],
        }
        if not sales:
            inputs["vendorReference"] = "CASS-PCN"
        if draft:
            inputs["statusId"] = "DRAFT"
        key = "createSalesCreditNote" if sales else "createPurchaseCreditNote"
        return str(f.call(key, inputs)["id"])

    return make() if own or draft else str(f._once(f"credit-note:{side}", make))


def _quote(f: Fixtures, noun: str, *, own: bool = False) -> dict[str, Any]:
    """A sales quote (or estimate) for the cassette customer, accepted."""

    def make() -> dict[str, Any]:
        lines = "quoteLines" if noun == "Quote" else "estimateLines"
        inputs: Inputs = {
            "contactId": f.customer()["id"],
            "date": "2026-01-02",
            "expiryDate": "2026-02-01",
            "statusId": "ACCEPTED",
            "reference": f"CASS-{noun.upper()}",
            lines: [_refund_line(f, "sales")],
        }
        return f.call(f"createSales{noun}", inputs)

    return make() if own else dict(f._once(f"quote:{noun}", make))


def _attachment(f: Fixtures, *, own: bool = False) -> str:
    def make() -> str:
        inputs = {
            "file": "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK",
            "fileName": "cassette.pdf",
            "attachmentContextTypeId": "SALES_CREDIT_NOTE",
            "attachmentContextId": _credit_note(f, "sales"),
        }
        return str(f.call("createAttachment", inputs)["id"])

    return make() if own else str(f._once("attachment", make))


def _credit_notes_prepare() -> dict[str, Prepare]:
    """Credit notes, quotes, estimates and attachments (sales_credit_notes, ...)."""

    def lines(f: Fixtures, x: Inputs, usage: str, name: str) -> list[dict[str, Any]]:
        return _lines(f.ledger_account(usage), x[name])

    steps: dict[str, Prepare] = {
        "createSalesCreditNote": lambda f, x: {
            **x,
            "contactId": f.customer()["id"],
            "creditNoteLines": lines(f, x, "sales", "creditNoteLines"),
        },
        "createPurchaseCreditNote": lambda f, x: {
            **x,
            "contactId": f.supplier()["id"],
            "creditNoteLines": lines(f, x, "expenses", "creditNoteLines"),
        },
        "listSalesCreditNotes": lambda f, x: {
            **x,
            "contactId": f.customer()["id"] if _credit_note(f, "sales") else "",
        },
        "listPurchaseCreditNotes": lambda f, x: {
            **x,
            "contactId": f.supplier()["id"] if _credit_note(f, "purchase") else "",
        },
        "findSalesCreditNote": lambda f, x: {
            **x,
            "creditNoteNumber": f.call(
                "getSalesCreditNote", {"salesCreditNoteId": _credit_note(f, "sales")}
            )["credit_note_number"],
        },
        "findPurchaseCreditNote": lambda f, x: {
            **x,
            "vendorReference": "CASS-PCN" if _credit_note(f, "purchase") else "",
        },
        "getSalesCreditNote": lambda f, x: {**x, "salesCreditNoteId": _credit_note(f, "sales")},
        "getPurchaseCreditNote": lambda f, x: {
            **x,
            "purchaseCreditNoteId": _credit_note(f, "purchase"),
        },
        "updateSalesCreditNote": lambda f, x: {
            **x,
            "salesCreditNoteId": _credit_note(f, "sales"),
        },
        "updatePurchaseCreditNote": lambda f, x: {
            **x,
            "purchaseCreditNoteId": _credit_note(f, "purchase"),
        },
        "deleteSalesCreditNote": lambda f, x: {
            **x,
            "salesCreditNoteId": _credit_note(f, "sales", own=True),
        },
        "deletePurchaseCreditNote": lambda f, x: {
            **x,
            "purchaseCreditNoteId": _credit_note(f, "purchase", own=True),
        },
        "releaseSalesCreditNote": lambda f, x: {
            **x,
            "salesCreditNoteId": _credit_note(f, "sales", draft=True),
        },
        "releasePurchaseCreditNote": lambda f, x: {
            **x,
            "purchaseCreditNoteId": _credit_note(f, "purchase", draft=True),
        },
        "listAttachments": lambda f, x: {
            "attachmentContextTypeId": "SALES_CREDIT_NOTE",
            "attachmentContextId": _credit_note(f, "sales") if _attachment(f) else "",
        },
        "getAttachment": lambda f, x: {**x, "attachmentId": _attachment(f)},
        "updateAttachment": lambda f, x: {**x, "attachmentId": _attachment(f)},
        "downloadAttachmentFile": lambda f, x: {**x, "attachmentId": _attachment(f)},
        "deleteAttachment": lambda f, x: {**x, "attachmentId": _attachment(f, own=True)},
        "createAttachment": lambda f, x: {
            **x,
            "attachmentContextTypeId": "SALES_CREDIT_NOTE",
            "attachmentContextId": _credit_note(f, "sales"),
        },
    }
    for noun in ("Quote", "Estimate"):
        key = f"sales{noun}Id"
        items = "quoteLines" if noun == "Quote" else "estimateLines"
        steps.update(
            {
                f"createSales{noun}": lambda f, x, items=items: {
                    **x,
                    "contactId": f.customer()["id"],
                    items: lines(f, x, "sales", items),
                },
                f"listSales{noun}s": lambda f, x, noun=noun: {
                    **x,
                    "contactId": f.customer()["id"] if _quote(f, noun) else "",
                },
                f"findSales{noun}": lambda f, x, noun=noun: {
                    **x,
                    f"{noun.lower()}Number": _quote(f, noun)[f"{noun.lower()}_number"],
                },
                f"getSales{noun}": lambda f, x, noun=noun, key=key: {
                    **x,
                    key: _quote(f, noun)["id"],
                },
                f"updateSales{noun}": lambda f, x, noun=noun, key=key: {
                    **x,
                    key: _quote(f, noun)["id"],
                },
                f"deleteSales{noun}": lambda f, x, noun=noun, key=key: {
                    **x,
                    key: _quote(f, noun, own=True)["id"],
                },
                f"convertSales{noun}ToInvoice": lambda f, x, noun=noun, key=key: {
                    **x,
                    key: _quote(f, noun, own=True)["id"],
                },
            }
        )
    return steps


PREPARE.update(_credit_notes_prepare())


def sandbox_client(sandbox: Sandbox) -> Client:
    """A client of the HTTP layer for ``sandbox``, reached through a transport vcrpy patches."""
    inner = sandbox.transport()
    return Client(
        # The pack's profile: it attaches each write's idempotency_id, as against real Sage.
        Connection.with_token(sandbox.api_base, sandbox.access_token, PROFILE),
        transport=httpx.MockTransport(inner.handle_request),
        limiter=sandbox_limiter(),
    )


@contextmanager
def fresh_sandbox_client() -> Iterator[Client]:
    sandbox = Sandbox(clock=Clock.manual(DEFAULT_START))
    with sandbox_client(sandbox) as client:
        yield client
    sandbox.close()


def prepare(component: Component, fixtures: Fixtures) -> Inputs:
    """The input of the recorded call, after creating what it refers to."""
    inputs = json.loads(json.dumps(dict(component.example_input), default=str))
    step = PREPARE.get(component.key) if component.pack == "sage_accounting" else None
    return step(fixtures, inputs) if step is not None else dict(inputs)


def record_one(
    component: Component,
    client: Client,
    folder: Path,
    *,
    key: str | None = None,
    fixtures: Fixtures | None = None,
) -> dict[str, Any]:
    """Record ``component``'s call into ``folder``; what ``calls.json`` keeps for it."""
    inputs = prepare(component, fixtures or Fixtures(client))
    path = cassette_path(folder, component)
    path.parent.mkdir(parents=True, exist_ok=True)
    # record_mode="all" appends to what the file already holds; a re-recording starts clean.
    path.unlink(missing_ok=True)
    options = CallOptions(idempotency_key=key or idempotency_key(component))
    with use_cassette(path, "all") as cassette:
        output = client.call(component, inputs, options)
    if not len(cassette):
        raise RuntimeError(f"{component.ref}: vcrpy saw no request (is the transport patched?)")
    return {
        "input": inputs,
        "idempotencyKey": options.idempotency_key,
        "output": json.loads(json.dumps(output, default=str)),
    }


def load_calls(folder: Path, pack: str) -> dict[str, Any]:
    file = folder / pack / CALLS_FILE
    return dict(json.loads(file.read_text(encoding="utf-8"))) if file.is_file() else {}


def write_calls(folder: Path, pack: str, calls: Mapping[str, Any]) -> None:
    file = folder / pack / CALLS_FILE
    file.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(calls, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    file.write_text(text, encoding="utf-8")


#: Packs recorded against their own sandboxes by their own scripts: this one drives the Sage
#: Accounting sandbox only, and recording another pack's component here would first delete
#: its cassette, then fail against the wrong API.
OTHER_RECORDERS = {
    "sage200": "scripts/record_cassettes_sage200.py",
    "sage_ge": "scripts/record_cassettes_sage_ge.py",
}


def selected(names: Iterable[str]) -> list[Component]:
    wanted = set(names)
    # Triggers get no cassette (tests/test_cassettes.py says why).
    everything = [c for c in sageflow.components() if c.kind == "action"]
    components = [c for c in everything if c.pack not in OTHER_RECORDERS]
    if not wanted:
        return list(components)
    elsewhere = sorted(
        f"{c.ref} ({OTHER_RECORDERS[c.pack]})"
        for c in everything
        if c.pack in OTHER_RECORDERS and c.ref in wanted
    )
    if elsewhere:
        raise SystemExit(f"recorded by their pack's own script: {', '.join(elsewhere)}")
    known = {c.key for c in components} | {c.ref for c in components}
    unknown = sorted(wanted - known)
    if unknown:
        raise SystemExit(f"unknown component(s): {', '.join(unknown)}")
    return [c for c in components if c.key in wanted or c.ref in wanted]


def record_sandbox(components: Iterable[Component], folder: Path) -> int:
    """Record each component against its own fresh sandbox into ``folder``."""
    count = 0
    for component in components:
        calls = load_calls(folder, component.pack)
        with fresh_sandbox_client() as client:
            calls[component.key] = record_one(component, client, folder)
        write_calls(folder, component.pack, calls)
        count += 1
    return count


def record_real(
    components: Iterable[Component], folder: Path, transport: httpx.BaseTransport | None = None
) -> int:
    """Record against the configured real Sage business (one client, records are created).

    ``transport`` is for the recorder's own test, which points the "real" connection at the
    sandbox; left out, it is httpx's network transport (the one vcrpy patches).
    """
    name = os.environ.get("SAGEFLOW_CONNECTION")
    if find_connection(name) is None:
        raise SystemExit(
            f"{REAL_SWITCH}=1 needs a Sage connection: run `sageflow auth login`, or set "
            "SAGEFLOW_ACCESS_TOKEN (and SAGEFLOW_BUSINESS_ID) or SAGEFLOW_CONNECTION"
        )
    count = 0
    # A run-unique key: Sage remembers idempotency keys, so a fixed one would replay an
    # earlier run's answer instead of making the call.
    run = uuid.uuid4().hex[:12]
    with open_client(name, transport=transport) as client:
        # One set-up for the whole run: a real business keeps what each call created.
        fixtures = Fixtures(client)
        for component in components:
            calls = load_calls(folder, component.pack)
            key = f"{idempotency_key(component)}-{run}"
            # Refresh the access token (if it is near expiry) before the cassette opens: a
            # refresh inside it would be part of the recording, and a replay makes none.
            client._token()
            calls[component.key] = record_one(component, client, folder, key=key, fixtures=fixtures)
            write_calls(folder, component.pack, calls)
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("components", nargs="*", help="keys or refs (default: every component)")
    parser.add_argument("--out", type=Path, help="folder to write into (default: cassettes/)")
    args = parser.parse_args(argv)
    components = selected(args.components)
    if os.environ.get(REAL_SWITCH) == "1":
        folder = args.out or REAL_CASSETTES
        count = record_real(components, folder)
        print(f"recorded {count} cassette(s) against a real Sage business into {folder}")
        print("review them for business data before committing any of them")
    else:
        folder = args.out or CASSETTES
        count = record_sandbox(components, folder)
        print(f"recorded {count} cassette(s) against the embedded sandbox into {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
