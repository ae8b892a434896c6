"""createJournalEntry exactly once when a create's outcome is unknown: the Chift sandbox with
x-chift-client-requestid ignored (idempotency off), the connection dropped after the entry was
stored, and the entry found again by its #AAAAA# marker and adopted instead of sent again."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

import sageflow._registry
from sage_ge.connection import PROFILE
from sage_ge.sandbox import DEV_TOKEN, Chaos, Clock, Sandbox
from sageflow import CallOptions, arun_flow, load_flow
from sageflow._errors import APIError
from sageflow._http import AsyncClient, Client, Connection

ENTRY: dict[str, Any] = {
    "journalCode": "VE",
    "date": "2026-01-05",
    "reference": "F2026-001",
    "lines": [
        {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "Facture F2026-001",
         "debit": "120.00"},
        {"account": "706000", "label": "Facture F2026-001", "credit": "100.00"},
        {"account": "445710", "label": "TVA Facture F2026-001", "credit": "20.00"},
    ],
}  # fmt: skip


class DropFirstWrite(httpx.BaseTransport):
    """The sandbox's transport whose first write's connection drops once the sandbox has
    stored it (its chaos drop_rate of 1 for that one request only)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.inner = sandbox.transport()
        self.writes: list[str] = []
        self.dropped = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.writes.append(request.url.path)
        drop = request.method == "POST" and not self.dropped
        self.sandbox.chaos = Chaos(drop_rate=1.0 if drop else 0.0)
        self.dropped = self.dropped or drop
        return self.inner.handle_request(request)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    # Today (the manual clock) is 2026-01-05: 2025 and 2026 are open.
    box = Sandbox(clock=Clock.manual(), idempotency=False)
    yield box
    box.close()


def client(transport: httpx.BaseTransport, waits: list[float]) -> Client:
    connection = Connection.with_token(Sandbox.api_base, DEV_TOKEN, PROFILE)
    return Client(connection, transport=transport, sleep=waits.append)


def test_a_create_dropped_after_commit_is_found_by_its_marker_not_sent_again(
    sandbox: Sandbox,
) -> None:
    transport = DropFirstWrite(sandbox)
    waits: list[float] = []
    with client(transport, waits) as c:
        out = c.call("sage_ge/createJournalEntry", ENTRY, CallOptions(idempotency_key="run-1:post"))
    stored = sandbox.records("entries")
    assert len(stored) == 1, "the create was sent again and made a second entry"
    assert transport.dropped
    assert transport.writes == [transport.writes[0]]  # one POST /journal-entries, not two
    assert transport.writes[0].endswith("/journal-entries")
    assert sandbox.stats.faults["drop"] == 1
    # The output is the stored entry, read back by its marker.
    assert out["entry"]["id"] == stored[0]["id"]
    assert out["marker"] in str(stored[0]["reference"])
    assert out["entry"]["name"] == out["documentNumber"] == stored[0]["name"]


def test_without_its_marker_the_same_drop_makes_two_entries(sandbox: Sandbox) -> None:
    # What the reconciler prevents: the same component with no marker, the same drop; the
    # HTTP layer re-sends the keyed create, and with the request id ignored it is made twice.
    bare = replace(sageflow._registry.get_component("sage_ge/createJournalEntry"), marker=None)
    transport = DropFirstWrite(sandbox)
    with client(transport, []) as c:
        c.call(bare, ENTRY, CallOptions(idempotency_key="run-1:post"))
    assert len(sandbox.records("entries")) == 2
    assert len(transport.writes) == 2


def test_a_resumed_step_adopts_the_entry_its_first_run_made(sandbox: Sandbox) -> None:
    waits: list[float] = []
    key = CallOptions(idempotency_key="run-2:post")
    with client(sandbox.transport(), waits) as c:
        first = c.call("sage_ge/createJournalEntry", ENTRY, key)
        # The run stopped while the step was in flight: resumed, its outcome is unknown.
        resumed = c.call(
            "sage_ge/createJournalEntry",
            ENTRY,
            CallOptions(idempotency_key="run-2:post", outcome_unknown=True),
        )
    assert len(sandbox.records("entries")) == 1
    assert resumed["entry"]["id"] == first["entry"]["id"]


def test_an_unknown_outcome_that_wrote_nothing_is_sent_once(sandbox: Sandbox) -> None:
    # The drop came before the sandbox stored anything: nothing carries the marker, so the
    # create is sent, once.
    other = {**ENTRY, "reference": "F2026-002"}
    with client(sandbox.transport(), []) as c:
        c.call("sage_ge/createJournalEntry", ENTRY, CallOptions(idempotency_key="k1"))
        made = c.call(
            "sage_ge/createJournalEntry",
            other,
            CallOptions(idempotency_key="k2", outcome_unknown=True),
        )
    stored = sandbox.records("entries")
    assert len(stored) == 2
    assert made["entry"]["id"] == stored[1]["id"]
    assert made["marker"] not in str(stored[0]["reference"])


@pytest.mark.parametrize(
    ("key", "posting"),
    [
        pytest.param("createFinancialEntry", "number", id="financial-entry"),
        pytest.param("createMiscellaneousOperation", "operation_number", id="misc-operation"),
    ],
)
def test_the_other_postings_are_made_once_after_a_drop(
    sandbox: Sandbox, key: str, posting: str
) -> None:
    # The same drop after commit, with the request id ignored: a bank movement found by its
    # marker and number among its date's entries, an OD by its operation_number among its
    # date's operations; neither is sent twice.
    component = sageflow._registry.get_component(f"sage_ge/{key}")
    example = dict(component.example_input)
    transport = DropFirstWrite(sandbox)
    with client(transport, []) as c:
        out = c.call(component, example, CallOptions(idempotency_key=f"run-3:{key}"))
    assert len(transport.writes) == 1
    assert sandbox.stats.faults["drop"] == 1
    stored = sandbox.records("entries")
    assert len(stored) == 1, "the posting was sent again and made twice"
    number = out["documentNumber"] if key == "createFinancialEntry" else out["operationNumber"]
    assert stored[0]["name"] == number
    adopted = out["entry"] if key == "createFinancialEntry" else out["operation"]
    assert number in (adopted.get("name"), adopted.get(posting))


@pytest.mark.parametrize("key", ["createFinancialEntry", "createMiscellaneousOperation"])
def test_without_their_marker_the_other_postings_are_made_twice(sandbox: Sandbox, key: str) -> None:
    bare = replace(sageflow._registry.get_component(f"sage_ge/{key}"), marker=None)
    transport = DropFirstWrite(sandbox)
    with client(transport, []) as c:
        c.call(bare, dict(bare.example_input), CallOptions(idempotency_key=f"run-4:{key}"))
    assert len(sandbox.records("entries")) == 2


def test_an_invoice_is_made_once_after_a_drop(sandbox: Sandbox) -> None:
    # Found by its number among the invoices of its type and date, and adopted with its lines.
    component = sageflow._registry.get_component("sage_ge/createInvoice")
    transport = DropFirstWrite(sandbox)
    with client(transport, []) as c:
        out = c.call(
            component, dict(component.example_input), CallOptions(idempotency_key="run-5:inv")
        )
    assert len(transport.writes) == 1
    (invoice,) = sandbox.records("invoices")
    assert out["id"] == invoice["id"]
    assert out["invoice_number"] == "F2026-012"
    assert out["lines"], "the adopted invoice is the create's answer, lines included"


def test_without_its_marker_an_invoice_resent_is_refused_as_a_duplicate_number(
    sandbox: Sandbox,
) -> None:
    # What the marker spares the flow: Sage GE keeps a number once, so the resend fails.
    bare = replace(sageflow._registry.get_component("sage_ge/createInvoice"), marker=None)
    with client(DropFirstWrite(sandbox), []) as c, pytest.raises(APIError) as refused:
        c.call(bare, dict(bare.example_input), CallOptions(idempotency_key="run-6:inv"))
    assert "ERROR_INVOICE_NUMBER_ALREADY_USED" in str(refused.value)
    assert len(sandbox.records("invoices")) == 1


@pytest.mark.parametrize(
    "key",
    [
        "createJournalEntry",
        "createMiscellaneousOperation",
        "createInvoice",
        "createInvoiceMultiAnalyticPlans",
    ],
)
def test_the_adopted_record_is_what_the_create_would_have_answered(key: str) -> None:
    # Made once, too: a second invoice with the number would have been refused.
    # The listing each reconciler reads answers in the create's own shape, so a flow's later
    # steps see the same output whether the create answered or was found again. (A financial
    # entry is adopted as the journal entry it posted: Chift lists no financial entries.)
    component = sageflow._registry.get_component(f"sage_ge/{key}")
    inputs = ENTRY if key == "createJournalEntry" else dict(component.example_input)
    outputs = []
    for dropped in (False, True):
        box = Sandbox(clock=Clock.manual(), idempotency=False)
        transport = DropFirstWrite(box) if dropped else box.transport()
        with client(transport, []) as c:
            outputs.append(c.call(component, inputs, CallOptions(idempotency_key="same")))
        assert box.stats.faults["drop"] == int(dropped)
        box.close()
    assert outputs[0] == outputs[1]


#: Reference data by its unique value: the input (a value the seed does not hold yet), the
#: sandbox collection it lands in, and the code Chift refuses a second one with.
UNIQUE = {
    "createClient": ({"accountNumber": "CMARTIN", "name": "Martin SAS"}, "clients",
                     "ERROR_PARTNER_ALREADY_EXISTS"),
    "createSupplier": ({"accountNumber": "FLEGRAND", "name": "Legrand SA"}, "suppliers",
                       "ERROR_PARTNER_ALREADY_EXISTS"),
    "createLedgerAccount": ({}, "accounts", "ERROR_LEDGER_ACCOUNT_ALREADY_EXISTS"),
    "createJournal": ({"code": "BQ3", "counterpartAccount": "512000"}, "journals",
                      "ERROR_JOURNAL_ALREADY_EXISTS"),
    "createAnalyticAccount": ({"code": "LILLE", "name": "Lille"}, "analytic_accounts",
                              "ALREADY_EXISTS"),
}  # fmt: skip


@pytest.mark.parametrize("key", sorted(UNIQUE))
def test_reference_data_is_found_by_its_unique_value_after_a_drop(key: str) -> None:
    changes, collection, _ = UNIQUE[key]
    component = sageflow._registry.get_component(f"sage_ge/{key}")
    inputs = {**component.example_input, **changes}
    outputs, counts = [], []
    for dropped in (False, True):
        box = Sandbox(clock=Clock.manual(), idempotency=False)
        transport = DropFirstWrite(box) if dropped else box.transport()
        with client(transport, []) as c:
            outputs.append(c.call(component, inputs, CallOptions(idempotency_key="k")))
        assert box.stats.faults["drop"] == int(dropped)
        counts.append(len(box.records(collection)))
        box.close()
    assert outputs[0] == outputs[1]  # found again, as the create answered
    assert counts[0] == counts[1]  # and made once


@pytest.mark.parametrize("key", sorted(UNIQUE))
def test_without_its_marker_reference_data_resent_is_refused_as_a_duplicate(
    sandbox: Sandbox, key: str
) -> None:
    changes, _, refusal = UNIQUE[key]
    bare = replace(sageflow._registry.get_component(f"sage_ge/{key}"), marker=None)
    with client(DropFirstWrite(sandbox), []) as c, pytest.raises(APIError) as refused:
        c.call(bare, {**bare.example_input, **changes}, CallOptions(idempotency_key="k"))
    assert refusal in str(refused.value)


def test_an_operation_listed_without_a_number_is_not_taken_for_the_one_sent() -> None:
    # A miscellaneous operation carries no marker: only its number identifies it.
    from sage_ge._markers import MISCELLANEOUS_OPERATION
    from sageflow._values import HTTPRequest, HTTPResponse

    body = {"operation_date": "2026-03-31", "journal_id": "4", "operation_number": "SF1"}
    request = HTTPRequest("POST", "/miscellaneous-operation", json=body)
    assert MISCELLANEOUS_OPERATION.mark(request, "k") is request
    for listed, adopted in (
        ({"id": "OD1"}, False),
        ({"id": "OD2", "operation_number": "SF1"}, True),
    ):
        finding = MISCELLANEOUS_OPERATION.find(request, "k")
        asked = next(finding)
        assert (asked.path, dict(asked.query)) == (
            "/miscellaneous-operation",
            {"date_from": "2026-03-31", "date_to": "2026-03-31", "journal_ids": "4",
             "page": 1, "size": 100},
        )  # fmt: skip
        page = {"items": [listed], "total": 1, "page": 1, "size": 100}
        with pytest.raises(StopIteration) as done:
            finding.send(HTTPResponse(200, {}, json.dumps(page).encode()))
        found = done.value.value
        assert (found is not None) is adopted


class DropFirstWriteAsync(httpx.AsyncBaseTransport):
    """DropFirstWrite for the async client."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.inner = sandbox.async_transport()
        self.writes = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        drop = request.method == "POST" and not self.writes
        self.writes += request.method == "POST"
        self.sandbox.chaos = Chaos(drop_rate=1.0 if drop else 0.0)
        return await self.inner.handle_async_request(request)


def test_the_async_client_reconciles_the_same_way(sandbox: Sandbox) -> None:
    async def sleep(_: float) -> None:
        return None

    async def create() -> dict[str, Any]:
        connection = Connection.with_token(Sandbox.api_base, DEV_TOKEN, PROFILE)
        async with AsyncClient(connection, transport=transport, sleep=sleep) as c:
            return await c.acall(
                "sage_ge/createJournalEntry", ENTRY, CallOptions(idempotency_key="async-1")
            )

    transport = DropFirstWriteAsync(sandbox)
    out = asyncio.run(create())
    (stored,) = sandbox.records("entries")
    assert out["entry"]["id"] == stored["id"]
    assert transport.writes == 1
    assert sandbox.stats.faults["drop"] == 1


def test_the_sync_example_posts_each_invoice_once_through_drops(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # The runner's way: the sales example, its entries' connections dropping after commit half
    # the time, the request id ignored; every invoice is posted, none twice.
    examples = Path(__file__).resolve().parents[2] / "examples"
    with (examples / "sage-ge-sales-november.csv").open(newline="") as rows:
        sales = list(csv.DictReader(rows))
    sandbox.chaos = Chaos(drop_rate=0.5, seed=3)

    async def sleep(_: float) -> None:
        return None

    async def run() -> Any:
        connection = Connection.with_token(Sandbox.api_base, DEV_TOKEN, PROFILE)
        async with AsyncClient(
            connection, transport=sandbox.async_transport(), sleep=sleep
        ) as caller:
            return await arun_flow(
                load_flow(examples / "sage-ge-sync-sales.sageflow.yaml"),
                {"sales": sales},
                caller=caller,
                journal=tmp_path / "runs.db",
                sleep=sleep,
            )

    result = asyncio.run(run())
    assert result.status == "ok", result.error
    names = sorted(e["name"] for e in sandbox.records("entries"))
    assert names == sorted(r["number"].replace("-", "") for r in sales)  # each once
    assert sandbox.stats.faults["drop"] >= 1
    assert sandbox.stats.replays == 0  # found by marker, not answered by request id
