"""A long listing (fetchAll) draws a bar like a loop: records fetched of Sage's $total."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from sage_accounting._paging import page_progress
from sage_accounting.sandbox import Sandbox
from sageflow import CallOptions, HTTPResponse
from sageflow._flows._api import arun_flow, load_flow
from sageflow._http import AsyncClient, Client, Connection

LISTING = """\
name: list-everything
steps:
  - id: everyone
    uses: sage_accounting/listContacts
    with: {itemsPerPage: 100, fetchAll: true}
  - id: one_page
    uses: sage_accounting/listContacts
    with: {itemsPerPage: 100}
outputs:
  count: ${{ size(steps.everyone.output.items) }}
"""


def test_fetch_all_reports_records_fetched_of_the_total(tmp_path: Path) -> None:
    sandbox = Sandbox()
    sandbox.add_contacts(443)
    total = len(sandbox.records("contacts"))
    caller = AsyncClient(
        Connection.with_token(sandbox.api_base, sandbox.access_token),
        transport=sandbox.async_transport(),
    )
    reports: list[tuple[str, int, int]] = []
    flow = load_flow(tmp_path / "list.sageflow.yaml", text=LISTING)
    result = asyncio.run(
        arun_flow(flow, {}, caller=caller, journal=None, progress=lambda *r: reports.append(r))
    )
    assert result.outputs["count"] == total
    # From the second page on (a one-page step draws nothing), ending at total of total.
    assert reports[0] == ("everyone", 200, total)
    assert reports[-1] == ("everyone", total, total)
    assert all(step == "everyone" for step, _, _ in reports)
    assert [done for _, done, _ in reports] == sorted(done for _, done, _ in reports)


def test_page_progress_reads_sage_pages_only() -> None:
    page = {"$total": 450, "$items": [{"id": "a"}, {"id": "b"}], "$next": "/contacts?page=2"}
    assert page_progress(HTTPResponse.from_json(200, page)) == (2, 450)
    assert page_progress(HTTPResponse.from_json(200, {"id": "x"})) is None
    assert page_progress(HTTPResponse.from_json(200, [1, 2])) is None
    assert page_progress(HTTPResponse(status=204)) is None
    assert page_progress(HTTPResponse.from_json(500, page)) is None


def test_the_client_tells_on_response_of_every_response() -> None:
    pages = {
        "1": {"$total": 3, "$page": 1, "$next": "/contacts?page=2", "$items": [{"id": "a"}]},
        "2": {"$total": 3, "$page": 2, "$next": None, "$items": [{"id": "b"}, {"id": "c"}]},
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.params.get("page", "1")])

    seen: list[int] = []
    options = CallOptions(on_response=lambda response: seen.append(response.status))
    connection = Connection.with_token("https://api.example.test/v3.1", "t0ken-for-tests")
    with Client(connection, transport=httpx.MockTransport(answer)) as client:
        out = client.call("sage_accounting/listContacts", {"fetchAll": True}, options)
    assert [item["id"] for item in out["items"]] == ["a", "b", "c"]
    assert seen == [200, 200]
