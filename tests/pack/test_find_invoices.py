"""Finding an invoice by the number a person reads on it: whole and caseless, every page."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from packkit import page, run

from sageflow import open_client


def test_find_sales_invoice_searches_then_keeps_only_the_exact_number() -> None:
    invoices = [
        {"id": "a", "invoice_number": "SI-10"},
        {"id": "b", "invoice_number": "si-1"},
        {"id": "c", "invoice_number": "SI-1X", "reference": "SI-1"},
    ]
    sent, output = run("findSalesInvoice", {"invoiceNumber": "SI-1"}, [page(invoices)])
    assert (sent[0].method, sent[0].path) == ("GET", "/sales_invoices")
    assert sent[0].query["search"] == "SI-1"
    assert [item["id"] for item in output["items"]] == ["b"]


def test_find_purchase_invoice_matches_the_suppliers_number() -> None:
    bills = [{"id": "x", "vendor_reference": "INV-88213"}, {"id": "y", "vendor_reference": "INV-8"}]
    sent, output = run("findPurchaseInvoice", {"vendorReference": "inv-88213"}, [page(bills)])
    assert sent[0].path == "/purchase_invoices"
    assert [item["id"] for item in output["items"]] == ["x"]


def test_a_number_no_invoice_has_finds_none_against_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("SAGEFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path))
    with open_client(stderr=io.StringIO(), pack="sage_accounting") as client:
        found = client.call("sage_accounting/findSalesInvoice", {"invoiceNumber": "si-1"})
        missing = client.call("sage_accounting/findSalesInvoice", {"invoiceNumber": "SI-404"})
    # The seed has SI-1 .. SI-3 (and no SI-1x), so the search's substring matches are few.
    assert [item["invoice_number"] for item in found["items"]] == ["SI-1"]
    assert missing == {"items": []}
