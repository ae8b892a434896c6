"""VAT on invoice lines: the pack works ``tax_amount`` out from the rate, as Sage v3.1 requires.

Sage's guide ([G-inv]) books an omitted line ``tax_amount`` as zero, and its spec makes the
field required unless the rate is zero, exempt or no-tax: so the amount the pack sends is the
VAT the invoice carries. These tests pin the arithmetic, the requests (one rate GET per distinct
rate, none when the caller gave the amount) and, end to end, what the sandbox books.
"""

from __future__ import annotations

import asyncio
import json
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from packkit import load_sample, run

from sage_accounting import PACK
from sage_accounting._tax import current_percentage, line_amounts
from sage_accounting.sandbox import Sandbox
from sageflow import HTTPRequest, HTTPResponse
from sageflow._flows._api import arun_flow, load_flow
from sageflow._http import AsyncClient, Connection

D = Decimal
LEDGER = "9a994ff1f7f8491ba2ac8b7b8d2f5a20"


@pytest.mark.parametrize(
    ("quantity", "price", "percentage", "extra", "net", "tax", "total"),
    [
        pytest.param("1", "100.00", "20", {}, "100.00", "20.00", "120.00", id="standard"),
        pytest.param("3", "19.99", "5", {}, "59.97", "3.00", "62.97", id="lower-rounds-up"),
        # A net of 0.625 is 0.63 first (2 decimals are all Sage keeps), then 0.126 -> 0.13.
        pytest.param("1", "0.625", "20", {}, "0.63", "0.13", "0.76", id="net-half-up-first"),
        # 0.60 x 17.5% = 0.105: half a penny goes up (half-even would give 0.10).
        pytest.param("1", "0.60", "17.5", {}, "0.60", "0.11", "0.71", id="half-penny-tax-up"),
        pytest.param("1", "0.62", "20", {}, "0.62", "0.12", "0.74", id="below-half-down"),
        pytest.param("1.5", "3.333", "20", {}, "5.00", "1.00", "6.00", id="net-to-penny-first"),
        pytest.param("2", "10", "0", {}, "20.00", "0.00", "20.00", id="zero-rate"),
        pytest.param("1", "7.5", "0.0", {}, "7.50", "0.00", "7.50", id="zero-rate-as-sage-sends"),
        pytest.param(
            "1", "120.00", "20", {"includes_tax": True}, "100.00", "20.00", "120.00", id="gross"
        ),
        pytest.param(
            "1", "10.00", "20", {"includes_tax": True}, "8.33", "1.67", "10.00", id="gross-rounds"
        ),
        pytest.param(
            "1", "1.00", "5", {"includes_tax": True}, "0.95", "0.05", "1.00", id="gross-lower"
        ),
        pytest.param(
            "1", "50", "0", {"includes_tax": True}, "50.00", "0.00", "50.00", id="gross-zero-rate"
        ),
        pytest.param(
            "2",
            "50",
            "20",
            {"discount_amount": D("10")},
            "90.00",
            "18.00",
            "108.00",
            id="discount-amount",
        ),
        pytest.param(
            "1",
            "120",
            "20",
            {"discount_percentage": D("10")},
            "108.00",
            "21.60",
            "129.60",
            id="discount-percentage",
        ),
        pytest.param(
            "3",
            "9.99",
            "20",
            {"discount_percentage": D("12.5")},
            "26.22",
            "5.24",
            "31.46",
            id="discount-percentage-rounds",
        ),
        pytest.param(
            "1",
            "120",
            "20",
            {"discount_amount": D("5"), "discount_percentage": D("50")},
            "115.00",
            "23.00",
            "138.00",
            id="amount-wins-over-percentage",
        ),
        pytest.param(
            "1",
            "120",
            "20",
            {"includes_tax": True, "discount_amount": D("20")},
            "83.33",
            "16.67",
            "100.00",
            id="gross-after-discount",
        ),
        pytest.param("-1", "100", "20", {}, "-100.00", "-20.00", "-120.00", id="negative-line"),
    ],
)
def test_line_amounts(
    quantity: str,
    price: str,
    percentage: str,
    extra: dict[str, Any],
    net: str,
    tax: str,
    total: str,
) -> None:
    amounts = line_amounts(D(quantity), D(price), D(percentage), **extra)
    assert (str(amounts.net), str(amounts.tax), str(amounts.total)) == (net, tax, total)
    assert amounts.net + amounts.tax == amounts.total


def test_the_rounding_mode_is_a_parameter() -> None:
    assert line_amounts(D("1"), D("0.60"), D("17.5")).tax == D("0.11")
    assert line_amounts(D("1"), D("0.60"), D("17.5"), rounding=ROUND_HALF_EVEN).tax == D("0.10")


def test_current_percentage_reads_sages_tax_rate_sample() -> None:
    sample = load_sample("tax_rates__get_one_gb_standard__sage-swagger-2025-example.json")
    assert isinstance(sample["percentage"], str)  # money and rates arrive as strings
    assert current_percentage(sample) == D("20.0")


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        pytest.param({"percentage": 17.5}, D("17.5"), id="a-number-as-the-spec-types-it"),
        pytest.param(
            {
                "percentage": None,
                "percentages": [
                    {"percentage": "17.5", "from_date": "2008-12-01", "to_date": "2010-12-31"},
                    {"percentage": "20.0", "from_date": "2011-01-04", "to_date": None},
                ],
            },
            D("20.0"),
            id="open-ended-history-entry",
        ),
        pytest.param(
            {
                "percentage": "20.0",
                "percentages": [{"percentage": "17.5", "from_date": "2008-12-01", "to_date": None}],
            },
            D("20.0"),
            id="current-percentage-wins",
        ),
    ],
)
def test_current_percentage(rate: dict[str, Any], expected: Decimal) -> None:
    assert current_percentage({"id": "X", **rate}) == expected


@pytest.mark.parametrize(
    "rate",
    [
        pytest.param({"id": "GB_ODD"}, id="none"),
        pytest.param({"id": "GB_ODD", "percentage": "abc"}, id="not-a-number"),
        pytest.param({"id": "GB_ODD", "percentage": "-5"}, id="negative"),
        pytest.param({"id": "GB_ODD", "percentage": True}, id="boolean"),
    ],
)
def test_a_rate_without_a_usable_percentage_is_an_error_naming_it(rate: dict[str, Any]) -> None:
    # Guessing zero would book no VAT without a word.
    with pytest.raises(ValueError, match="GB_ODD"):
        current_percentage(rate)


def _rate(rate_id: str, percentage: str) -> HTTPResponse:
    return HTTPResponse.from_json(200, {"id": rate_id, "percentage": percentage})


def _line(**extra: Any) -> dict[str, Any]:
    return {
        "description": "Consulting",
        "ledgerAccountId": LEDGER,
        "quantity": "1",
        "unitPrice": "100.00",
        "taxRateId": "GB_STANDARD",
        **extra,
    }


def _sales(*lines: dict[str, Any]) -> dict[str, Any]:
    return {"contactId": "C1", "date": "2026-03-31", "invoiceLines": list(lines)}


def _purchase(*lines: dict[str, Any]) -> dict[str, Any]:
    return {**_sales(*lines), "dueDate": "2026-04-30"}


def _gets(sent: list[HTTPRequest]) -> list[str]:
    return [r.path for r in sent if r.method == "GET"]


def _taxes(request: HTTPRequest) -> list[Any]:
    (body,) = request.json.values()
    return [line.get("tax_amount") for line in body["invoice_lines"]]


def test_two_lines_at_one_rate_read_it_once() -> None:
    sent, _ = run(
        "createSalesInvoice",
        _sales(_line(), _line(unitPrice="50.00"), _line(taxRateId="GB_LOWER")),
        [_rate("GB_STANDARD", "20.0"), _rate("GB_LOWER", "5.0")],
    )
    assert _gets(sent) == ["/tax_rates/GB_STANDARD", "/tax_rates/GB_LOWER"]
    assert sent[-1].method == "POST"
    assert _taxes(sent[-1]) == ["20.00", "10.00", "5.00"]


def test_a_given_tax_amount_is_sent_as_given_with_no_rate_read() -> None:
    sent, _ = run("createSalesInvoice", _sales(_line(taxAmount="19.999"), _line(taxAmount=0)))
    assert _gets(sent) == []
    assert [r.method for r in sent] == ["POST"]
    assert _taxes(sent[0]) == ["19.999", "0"]


def test_only_the_lines_without_an_amount_are_worked_out() -> None:
    sent, _ = run(
        "createSalesInvoice",
        _sales(_line(taxAmount="1.00"), _line(taxRateId="GB_ZERO"), _line(taxRateId="GB_LOWER")),
        [_rate("GB_ZERO", "0.0"), _rate("GB_LOWER", "5.0")],
    )
    assert _gets(sent) == ["/tax_rates/GB_ZERO", "/tax_rates/GB_LOWER"]
    assert _taxes(sent[-1]) == ["1.00", "0.00", "5.00"]


def test_a_line_with_no_rate_is_left_to_sage() -> None:
    line = {k: v for k, v in _line().items() if k != "taxRateId"}
    sent, _ = run("createSalesInvoice", _sales(line))
    assert _gets(sent) == []
    assert _taxes(sent[0]) == [None]


@pytest.mark.parametrize(
    ("key", "inputs", "method"),
    [
        pytest.param("createSalesInvoice", _sales(_line()), "POST", id="create-sales"),
        pytest.param(
            "updateSalesInvoice",
            {"salesInvoiceId": "I1", "invoiceLines": [_line()]},
            "PUT",
            id="update-sales",
        ),
        pytest.param("createPurchaseInvoice", _purchase(_line()), "POST", id="create-purchase"),
        pytest.param(
            "updatePurchaseInvoice",
            {"purchaseInvoiceId": "I1", "invoiceLines": [_line()]},
            "PUT",
            id="update-purchase",
        ),
    ],
)
def test_every_invoice_write_works_vat_out(key: str, inputs: dict[str, Any], method: str) -> None:
    sent, _ = run(key, inputs, [_rate("GB_STANDARD", "20.0")])
    assert [(r.method, r.path.split("/")[1]) for r in sent] == [
        ("GET", "tax_rates"),
        (method, r"sales_invoices" if "Sales" in key else "purchase_invoices"),
    ]
    assert _taxes(sent[-1]) == ["20.00"]


def test_an_update_without_lines_reads_no_rate() -> None:
    sent, _ = run("updateSalesInvoice", {"salesInvoiceId": "I1", "notes": "x"})
    assert [r.method for r in sent] == ["PUT"]


def test_gross_price_and_discounts_reach_the_amount_sent() -> None:
    sent, _ = run(
        "createSalesInvoice",
        _sales(
            _line(unitPrice="120.00", unitPriceIncludesTax=True),
            _line(unitPrice="120.00", discountPercentage="10"),
            _line(unitPrice="120.00", discountAmount="20", unitPriceIncludesTax=True),
        ),
        [_rate("GB_STANDARD", "20.0")],
    )
    assert _taxes(sent[-1]) == ["20.00", "21.60", "16.67"]


def test_a_rate_sage_cannot_price_stops_before_the_write() -> None:
    action = PACK.get("createSalesInvoice").start(_sales(_line(taxRateId="GB_ODD")))
    assert next(action).path == "/tax_rates/GB_ODD"
    with pytest.raises(ValueError, match="GB_ODD"):
        action.send(HTTPResponse.from_json(200, {"id": "GB_ODD"}))


# --- End to end: the "done when", through a flow, the HTTP layer and the sandbox. ---

FLOW = """\
name: vat
inputs:
  price: {type: string}
  gross: {type: boolean, default: false}
steps:
  - id: customer
    uses: sage_accounting/findContact
    with: {reference: ACME001}
  - id: ledger
    uses: sage_accounting/listLedgerAccounts
    with: {search: "4000", visible_in: sales}
  - id: invoice
    uses: sage_accounting/createSalesInvoice
    with:
      contactId: ${{ steps.customer.output.items[0].id }}
      date: "2026-01-05"
      invoiceLines:
        - description: Consulting
          ledgerAccountId: ${{ steps.ledger.output.items[0].id }}
          quantity: 1
          unitPrice: ${{ inputs.price }}
          unitPriceIncludesTax: ${{ inputs.gross }}
          taxRateId: GB_STANDARD
outputs:
  id: ${{ steps.invoice.output.id }}
"""


class Recording(httpx.AsyncBaseTransport):
    """The sandbox's transport, keeping every request's method, path and JSON body."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.seen.append((request.method, request.url.path, body))
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize(
    ("price", "gross", "net", "tax", "total"),
    [
        pytest.param("100.00", False, "100.0", "20.0", "120.0", id="net-price"),
        pytest.param("120.00", True, "100.0", "20.0", "120.0", id="gross-price"),
    ],
)
def test_a_flow_invoicing_at_gb_standard_books_the_vat(
    tmp_path: Path, price: str, gross: bool, net: str, tax: str, total: str
) -> None:
    sandbox = Sandbox()
    transport = Recording(sandbox.async_transport())
    caller = AsyncClient(
        Connection.with_token(sandbox.api_base, sandbox.access_token), transport=transport
    )
    path = tmp_path / "vat.sageflow.yaml"
    path.write_text(FLOW)
    result = asyncio.run(
        arun_flow(
            load_flow(path),
            {"price": price, "gross": gross},
            caller=caller,
            journal=tmp_path / "runs.db",
        )
    )
    assert result.status == "ok", result.error
    rate_reads = [p for m, p, _ in transport.seen if m == "GET" and "/tax_rates/" in p]
    assert rate_reads == ["/v3.1/tax_rates/GB_STANDARD"]
    (posted,) = [b for m, p, b in transport.seen if m == "POST" and p.endswith("/sales_invoices")]
    assert posted["sales_invoice"]["invoice_lines"][0]["tax_amount"] == "20.00"
    (invoice,) = [r for r in sandbox.records("sales_invoices") if r["id"] == result.outputs["id"]]
    assert (invoice["net_amount"], invoice["tax_amount"], invoice["total_amount"]) == (
        net,
        tax,
        total,
    )
    line = invoice["invoice_lines"][0]
    assert (line["net_amount"], line["tax_amount"], line["total_amount"]) == (net, tax, total)
