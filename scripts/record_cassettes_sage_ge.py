#!/usr/bin/env python
"""Record one vcrpy cassette per Sage GE component against the embedded Chift sandbox.

Usage::

    python scripts/record_cassettes_sage_ge.py                       # every sage_ge component
    python scripts/record_cassettes_sage_ge.py createJournalEntry    # only these

The same conventions as ``scripts/record_cassettes.py`` (whose vcrpy configuration, redaction
hooks, file layout and ``calls.json`` this reuses): each component gets a fresh, deterministic
Chift sandbox (manual clock at the sandbox's start, the same ids every time); what a call needs
(an invoice to read, an entry to match, a spare account) is made first through the same client,
outside the cassette, so a cassette holds only the one component's requests. On-request
components are recorded too: the sandbox serves every route of Chift's Sage GE coverage.

The connection is Chift's own spec (``sage_ge.connection.CHIFT``): client id and secret, account,
consumer and dossier, the bearer bought with ``POST /token`` *before* the cassette opens (a replay
buys none), so a cassette holds neither the secret nor a token; ``folder_id`` is in every query.
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

from sage_ge import PACK
from sage_ge.connection import CHIFT
from sage_ge.sandbox import ACCOUNT_ID, CONSUMER_ID, DEFAULT_START, Clock, Sandbox
from sageflow import CallOptions, Component
from sageflow._http import Client, Connection
from sageflow._http._config import sandbox_limiter

CASSETTES = common.CASSETTES
Inputs = dict[str, Any]
#: The dossier every recording works in (the sandbox's first).
FOLDER = "DOSSIER01"
#: What the recorder signs in with: any client id and secret open the sandbox's account. The
#: secret is a real credential's stand-in, and the cassettes are checked not to hold it.
CLIENT_ID = "sageflow-cassettes"
CLIENT_SECRET = "cassette-secret-never-recorded"  # noqa: S105 - the sandbox takes any secret


def connection(sandbox: Sandbox) -> Connection:
    """Chift's connection to ``sandbox``, as a flow's configured account would be."""
    values = {
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "accountId": ACCOUNT_ID,
        "consumerId": CONSUMER_ID,
        "folderId": FOLDER,
        "apiBase": sandbox.api_base.split("/consumers/", 1)[0],
    }
    return Connection.from_spec(CHIFT, values)


@contextmanager
def fresh_client() -> Iterator[Client]:
    """A client of a fresh Chift sandbox, through a transport vcrpy patches."""
    sandbox = Sandbox(clock=Clock.manual(DEFAULT_START))
    transport = httpx.MockTransport(sandbox.transport().handle_request)
    with Client(connection(sandbox), transport=transport, limiter=sandbox_limiter()) as client:
        yield client
    sandbox.close()


def _call(client: Client, key: str, inputs: Inputs) -> dict[str, Any]:
    return client.call(PACK.get(key), inputs)


_SALE: Inputs = {
    "journalCode": "VE",
    "date": "2026-03-10",
    "documentNumber": "CASS-VE-1",
    "reference": "F2026-012",
    "lines": [
        {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "Facture F2026-012",
         "debit": "120.00"},
        {"account": "706000", "label": "Facture F2026-012", "credit": "100.00"},
        {"account": "445710", "label": "TVA Facture F2026-012", "credit": "20.00"},
    ],
}  # fmt: skip
_PAYMENT: Inputs = {
    "journalCode": "BQ",
    "date": "2026-03-20",
    "documentNumber": "CASS-BQ-1",
    "lines": [
        {"account": "512000", "label": "Règlement F2026-012", "debit": "120.00"},
        {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "Règlement F2026-012",
         "credit": "120.00"},
    ],
}  # fmt: skip


def _entry(client: Client, example: Inputs) -> Inputs:
    made = _call(client, "createJournalEntry", _SALE)
    return {**example, "journalEntryId": made["entry"]["id"]}


def _marked(client: Client, example: Inputs) -> Inputs:
    # findJournalEntry looks for the marker of an entry that exists.
    made = _call(client, "createJournalEntry", _SALE)
    return {**example, "marker": made["marker"], "date": _SALE["date"]}


def _matching(client: Client, example: Inputs) -> Inputs:
    # An invoice's entry and its payment's, for the client: the two lettered together.
    sale = _call(client, "createJournalEntry", _SALE)
    paid = _call(client, "createJournalEntry", _PAYMENT)
    return {**example, "entries": [sale["entry"]["id"], paid["entry"]["id"]]}


def _entries(client: Client, example: Inputs) -> Inputs:
    # A year with an invoice and its payment, for a FEC that has rows.
    _call(client, "createJournalEntry", _SALE)
    _call(client, "createJournalEntry", _PAYMENT)
    return example


def _paid_invoice(client: Client, example: Inputs) -> Inputs:
    # The payment settles the example invoice (2 x 50.00 at 20 %: 120.00), made first.
    made = _call(client, "createInvoice", dict(PACK.get("createInvoice").example_input))
    lines = [{**line, "invoiceId": made["id"]} for line in example["invoices"]]
    return {**example, "invoices": lines}


def _operation(client: Client, example: Inputs) -> Inputs:
    example_op = dict(PACK.get("createMiscellaneousOperation").example_input)
    made = _call(client, "createMiscellaneousOperation", example_op)
    return {**example, "operationId": made["operation"]["id"]}


def _new_analytic(client: Client, example: Inputs) -> Inputs:
    # PARIS is in the seed's default plan already.
    return {**example, "code": "LILLE", "name": "Lille"}


def _new_party(code: str, name: str) -> Callable[[Client, Inputs], Inputs]:
    # The example's party is in the seed already (Chift refuses a second with its code).
    def prepare(client: Client, example: Inputs) -> Inputs:
        return {**example, "accountNumber": code, "name": name}

    return prepare


def _new_journal(client: Client, example: Inputs) -> Inputs:
    # The example's BQ2 is the seed's closed bank journal, its 512200 not in the seed's chart.
    return {**example, "code": "BQ3", "name": "Banque 3", "counterpartAccount": "512000"}


def _invoice(client: Client, example: Inputs) -> Inputs:
    made = _call(client, "createInvoice", dict(PACK.get("createInvoice").example_input))
    return {**example, "invoiceId": made["id"]}


def _attached(client: Client, example: Inputs) -> Inputs:
    # An invoice with its PDF, whose attachments are listed.
    pdf = _invoice(client, dict(PACK.get("addInvoicePdf").example_input))
    _call(client, "addInvoicePdf", pdf)
    return {**example, "documentId": pdf["invoiceId"]}


def _matchings(client: Client, example: Inputs) -> Inputs:
    # One lettrage of an invoice's entry and its payment's, as _matching makes for one.
    one = _matching(client, {"clientId": "CDUPONT", "entries": []})
    return {**example, "matchings": [one]}


#: What a component's example refers to that a fresh sandbox does not hold, made first.
PREPARE: dict[str, Callable[[Client, Inputs], Inputs]] = {
    "getJournalEntry": _entry,
    "findJournalEntry": _marked,
    "matchEntries": _matching,
    "exportFEC": _entries,
    "createInvoicePayment": _paid_invoice,
    "getMiscellaneousOperation": _operation,
    "createAnalyticAccount": _new_analytic,
    "createClient": _new_party("CMARTIN", "Martin SAS"),
    "createSupplier": _new_party("FLEGRAND", "Legrand SA"),
    "createJournal": _new_journal,
    "getInvoice": _invoice,
    "getInvoiceMultiAnalyticPlans": _invoice,
    "addInvoicePdf": _invoice,
    "listInvoicePayments": _invoice,
    "listAttachments": _attached,
    "matchEntriesMultiple": _matchings,
}

#: On-request components the Chift sandbox does not simulate (it answers 405
#: ERROR_RESOURCE_NOT_SUPPORTED for their routes, as Chift does for a connector without the
#: feature): no successful call to record. tests/test_cassettes.py skips them by this list and
#: fails once the sandbox serves one, so the list cannot go stale.
NOT_SERVED: dict[str, str] = {}


def record_one(component: Component, client: Client, folder: Path) -> dict[str, Any]:
    example = json.loads(json.dumps(dict(component.example_input), default=str))
    step = PREPARE.get(component.key)
    inputs = step(client, example) if step is not None else example
    path = common.cassette_path(folder, component)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    options = CallOptions(idempotency_key=common.idempotency_key(component))
    # The bearer is bought (or still fresh) before the cassette opens: a replay buys none.
    client._token()
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
    parser.add_argument("components", nargs="*", help="keys (default: every sage_ge component)")
    parser.add_argument("--out", type=Path, default=CASSETTES, help="folder to write into")
    args = parser.parse_args(argv)
    actions = [c for c in PACK.components.values() if getattr(c, "kind", "action") == "action"]
    wanted = set(args.components)
    unknown = wanted - {c.key for c in actions}
    if unknown:
        raise SystemExit(f"unknown sage_ge component(s): {', '.join(sorted(unknown))}")
    # Named, a component the sandbox does not serve is tried (and fails, saying so).
    chosen = sorted(
        (c for c in actions if c.key in wanted or (not wanted and c.key not in NOT_SERVED)),
        key=lambda c: c.key,
    )
    count = record(chosen, args.out)
    print(f"recorded {count} cassette(s) against the Chift sandbox (Sage GE) into {args.out}")
    if not wanted:
        print(f"not served by the sandbox, so not recorded: {', '.join(sorted(NOT_SERVED))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
