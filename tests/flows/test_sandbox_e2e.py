"""Flows end to end against the embedded Sage sandbox, through the real HTTP layer."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from sageflow._flows._api import aresume_flow, arun_flow, load_flow

sandbox_mod = pytest.importorskip("sage_accounting.sandbox")
http = pytest.importorskip("sageflow._http")

INVOICE_FLOW = """\
# yaml-language-server: $schema=../manifests/flow.schema.json
name: invoice-new-customer
inputs:
  customer: {type: string}
  amount: {type: number}
steps:
  - id: found
    uses: sage_accounting/findContact
    with: {search: "${{ inputs.customer }}", contactTypeId: CUSTOMER}
  - id: created
    if: ${{ size(steps.found.output.items) == 0 }}
    uses: sage_accounting/createContact
    with: {name: "${{ inputs.customer }}", contactTypeIds: [CUSTOMER]}
  - id: ledger
    uses: sage_accounting/listLedgerAccounts
    with: {search: "4010", visible_in: sales, fetchAll: true}
  - id: invoice
    uses: sage_accounting/createSalesInvoice
    with:
      contactId: "${{ has(steps.created.output) ? steps.created.output.id
                      : steps.found.output.items[0].id }}"
      date: ${{ today() }}
      invoiceLines:
        - description: Consulting
          ledgerAccountId: ${{ steps.ledger.output.items[0].id }}
          quantity: 2
          unitPrice: ${{ inputs.amount }}
          taxRateId: GB_STANDARD
outputs:
  number: ${{ steps.invoice.output.invoice_number }}
  total: ${{ num(steps.invoice.output.total_amount) }}
  new_customer: ${{ steps.created.status == 'ok' }}
"""


def caller_for(sandbox: Any) -> Any:
    connection = http.Connection.with_token(sandbox.api_base, sandbox.access_token)
    return http.AsyncClient(connection, transport=sandbox.async_transport())


def test_invoice_flow_against_the_sandbox(tmp_path: Path) -> None:
    sandbox = sandbox_mod.Sandbox()
    path = tmp_path / "invoice.sageflow.yaml"
    path.write_text(INVOICE_FLOW)
    flow = load_flow(path)

    async def go(customer: str) -> Any:
        return await arun_flow(
            flow,
            {"customer": customer, "amount": 450.25},
            caller=caller_for(sandbox),
            journal=tmp_path / "runs.db",
        )

    first = asyncio.run(go("Brand New Ltd"))
    assert first.status == "ok", first.error
    assert first.outputs["new_customer"] is True
    assert first.outputs["total"] == pytest.approx(1080.60)
    second = asyncio.run(go("Brand New Ltd"))
    assert second.outputs["new_customer"] is False
    assert len([c for c in sandbox.records("contacts") if c["name"] == "Brand New Ltd"]) == 1


def test_a_dry_run_shows_the_invoice_post_a_real_run_would_send(tmp_path: Path) -> None:
    # An invoice's handler reads its tax rate before it can build the POST; a dry run sends
    # that read and shows the write with the tax worked out, not the GET.
    sandbox = sandbox_mod.Sandbox()
    path = tmp_path / "invoice.sageflow.yaml"
    path.write_text(INVOICE_FLOW)
    shown: dict[str, Any] = {}
    invoices_before = len(sandbox.records("sales_invoices"))

    result = asyncio.run(
        arun_flow(
            load_flow(path),
            {"customer": "Brand New Ltd", "amount": 100},
            caller=caller_for(sandbox),
            journal=None,
            dry_run=True,
            on_dry_write=lambda step, write: shown.__setitem__(step, write),
        )
    )

    assert result.status == "ok", result.error
    invoice = shown["invoice"]
    assert (invoice["method"], invoice["path"]) == ("POST", "/sales_invoices")
    line = invoice["body"]["sales_invoice"]["invoice_lines"][0]
    assert line["tax_amount"] == "40.00"  # 2 x 100.00 at GB_STANDARD's 20%
    assert len(sandbox.records("sales_invoices")) == invoices_before
    assert not [c for c in sandbox.records("contacts") if c["name"] == "Brand New Ltd"]


LOOP_FLOW = """\
name: many-contacts
inputs:
  count: {type: integer, default: 30}
steps:
  - id: make
    for_each: ${{ [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19] }}
    concurrency: 4
    uses: sage_accounting/createContact
    with: {name: "Loop ${{ item }}", contactTypeIds: [CUSTOMER]}
outputs:
  made: ${{ size(steps.make.output) }}
"""


class Crash(BaseException):
    pass


def test_crash_mid_loop_then_resume_against_the_sandbox(tmp_path: Path) -> None:
    sandbox = sandbox_mod.Sandbox()
    path = tmp_path / "loop.sageflow.yaml"
    path.write_text(LOOP_FLOW)
    db = tmp_path / "runs.db"

    class Dying:
        def __init__(self) -> None:
            self.inner = caller_for(sandbox)
            self.calls = 0

        async def acall(self, component: Any, inputs: Any, options: Any = None) -> Any:
            self.calls += 1
            if self.calls > 11:
                raise Crash
            output = await self.inner.acall(component, inputs, options)
            if self.calls == 11:  # sent and committed, never journaled
                raise Crash
            return output

    with pytest.raises(Crash):
        asyncio.run(arun_flow(path, {}, caller=Dying(), journal=db, run_id="crash1"))
    made = [c for c in sandbox.records("contacts") if c["name"].startswith("Loop ")]
    assert 11 <= len(made) < 20
    result = asyncio.run(aresume_flow("crash1", journal=db, caller=caller_for(sandbox)))
    assert result.status == "ok", result.error
    names = sorted(c["name"] for c in sandbox.records("contacts") if c["name"].startswith("Loop "))
    assert names == sorted(f"Loop {i}" for i in range(20))  # none missing, none twice
