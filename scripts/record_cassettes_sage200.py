#!/usr/bin/env python
"""Record one vcrpy cassette per Sage 200 component against the embedded Sage 200 sandbox.

Usage::

    python scripts/record_cassettes_sage200.py                    # every sage200 component
    python scripts/record_cassettes_sage200.py postSalesInvoice   # only these

The same conventions as ``scripts/record_cassettes.py`` (whose vcrpy configuration, redaction
hooks, file layout and ``calls.json`` this reuses): each component gets a fresh, deterministic
sandbox (manual clock at the sandbox's start, the same ids every time); what a call needs
(a spare account to delete, an invoice and a receipt to allocate) is made first through the
same client, outside the cassette, so a cassette holds only the one component's requests.
The Sage 200 sandbox's seed answers most examples as they are (its ids are the examples').
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

# The shared recorder (vcrpy configuration, layout, calls.json) lives beside this script.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import record_cassettes as common

from sage200 import PACK
from sage200.connection import PROFILE
from sage200.sandbox import DEFAULT_START, Clock
from sageflow import CallOptions, Component
from sageflow._http import Client, Connection
from sageflow._http._config import sandbox_limiter

CASSETTES = common.CASSETTES
Inputs = dict[str, Any]


@contextmanager
def fresh_client() -> Iterator[Client]:
    """A client of a fresh Sage 200 sandbox, through a transport vcrpy patches."""
    assert PACK.sandbox_factory is not None
    sandbox = PACK.sandbox_factory(clock=Clock.manual(DEFAULT_START))
    connection = Connection.with_token(
        sandbox.api_base, sandbox.access_token, PROFILE, headers=sandbox.connection_headers
    )
    transport = httpx.MockTransport(sandbox.transport().handle_request)
    with Client(connection, transport=transport, limiter=sandbox_limiter()) as client:
        yield client
    sandbox.close()


def _call(client: Client, key: str, inputs: Inputs) -> dict[str, Any]:
    return client.call(PACK.get(key), inputs)


def _spare(ledger: str) -> Callable[[Client, Inputs], Inputs]:
    # An account with no transactions (Sage refuses to delete one that has some).
    def prepare(client: Client, example: Inputs) -> Inputs:
        made = _call(client, f"create{ledger}", {"reference": "SPARE1", "name": "Spare account"})
        return {f"{ledger.lower()}Id": made["id"]}

    return prepare


def _allocation(client: Client, example: Inputs) -> Inputs:
    # An invoice and the receipt that pays it, posted first, then allocated in the cassette.
    customer = example["customerId"]
    invoice = _call(
        client,
        "postSalesInvoice",
        {
            "customerId": customer,
            "transactionDate": "2026-04-01",
            "reference": "CASS-INV",
            "nominalAnalysis": [{"nominalAccount": "4000", "value": "1000.00"}],
            "taxAnalysis": [{"taxCodeId": 1729, "goodsAmount": "1000.00", "taxAmount": "200.00"}],
        },
    )
    receipt = _call(
        client,
        "postSalesReceipt",
        {
            "customerId": customer,
            "bankId": 3301,
            "chequeValue": "1200.00",
            "transactionDate": "2026-04-15",
            "reference": "CASS-REC",
        },
    )
    ids = [
        _call(client, "findSalesPostedTransaction", {"urn": posted["urn"]})["items"][0]["id"]
        for posted in (invoice, receipt)
    ]
    lines = [
        {"postedTransactionId": ids[0], "valueToAllocate": "1200.00"},
        {"postedTransactionId": ids[1], "valueToAllocate": "-1200.00"},
    ]
    return {**example, "allocationLines": lines}


PREPARE: dict[str, Callable[[Client, Inputs], Inputs]] = {
    "deleteCustomer": _spare("Customer"),
    "deleteSupplier": _spare("Supplier"),
    "allocateSalesTransactions": _allocation,
}


def record_one(component: Component, client: Client, folder: Path) -> dict[str, Any]:
    example = json.loads(json.dumps(dict(component.example_input), default=str))
    step = PREPARE.get(component.key)
    inputs = step(client, example) if step is not None else example
    path = common.cassette_path(folder, component)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    options = CallOptions(idempotency_key=common.idempotency_key(component))
    with common.use_cassette(path, "all") as cassette:
        output = client.call(component, inputs, options)
    if not len(cassette):
        raise RuntimeError(f"{component.ref}: vcrpy saw no request (is the transport patched?)")
    return {
        "input": inputs,
        "idempotencyKey": options.idempotency_key,
        "output": json.loads(json.dumps(output, default=str)),
    }


def record(components: Iterable[Component], folder: Path = CASSETTES) -> int:
    calls = common.load_calls(folder, PACK.name)
    count = 0
    for component in components:
        with fresh_client() as client:
            calls[component.key] = record_one(component, client, folder)
        count += 1
    common.write_calls(folder, PACK.name, calls)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("components", nargs="*", help="keys (default: every sage200 component)")
    parser.add_argument("--out", type=Path, default=CASSETTES, help="folder to write into")
    args = parser.parse_args(argv)
    actions = [c for c in PACK.components.values() if getattr(c, "kind", "action") == "action"]
    wanted = set(args.components)
    unknown = wanted - {c.key for c in actions}
    if unknown:
        raise SystemExit(f"unknown sage200 component(s): {', '.join(sorted(unknown))}")
    chosen = sorted((c for c in actions if not wanted or c.key in wanted), key=lambda c: c.key)
    count = record(chosen, args.out)
    print(f"recorded {count} cassette(s) against the Sage 200 sandbox into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
