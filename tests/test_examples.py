"""Every example flow runs against the embedded sandbox, as the README tells a newcomer to."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sageflow._cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # No account configured: the sandbox is the target, and its state lives in ./.sageflow.
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["run", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    outcome: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return outcome


def test_every_example_flow_is_exercised_here() -> None:
    tested = {
        "invoice-new-customer",
        "import-customers",
        "export-invoices-since",
        "enter-supplier-bill",
        "void-unpaid-invoices",
        "unpaid-over-credit-limit",
        "three-line-supplier-bill",
        "month-end-sales-summary",
        "month-end-accruals-journal",
        "record-customer-payment",
        "refund-with-credit-note",
        "sync-shop-product",
        "new-sales-invoice-follow-up",  # a triggered flow: tests/triggers/test_poll_example.py
        "sage200-invoice-customer",
        "sage200-export-posted-sales",
        "sage-ge-sync-sales",  # tests/sage_ge/test_sandbox_ge_examples.py
        "sage-ge-export-fec",  # tests/sage_ge/test_example_export_fec.py
        "sage-ge-bank-statement",  # tests/sage_ge/test_operations_example.py
        "quote-to-invoice",
        "sweep-to-savings",
    }
    found = {p.name.removesuffix(".sageflow.yaml") for p in EXAMPLES.glob("*.sageflow.yaml")}
    assert found == tested


def test_invoice_new_customer_creates_once_then_finds(workdir: Path) -> None:
    first = run("examples/invoice-new-customer.sageflow.yaml")
    outputs = first["outputs"]
    assert isinstance(outputs, dict)
    assert outputs["new_customer"] is True
    assert outputs["total"] == "1500.0"
    assert str(outputs["invoice_number"]).startswith("SI-")
    # The sandbox state persists between runs in the same folder: the customer is found.
    second = run("examples/invoice-new-customer.sageflow.yaml")
    again = second["outputs"]
    assert isinstance(again, dict)
    assert again["new_customer"] is False
    assert again["invoice_number"] != outputs["invoice_number"]


def test_import_customers_from_csv(workdir: Path) -> None:
    outcome = run(
        "examples/import-customers.sageflow.yaml", "-i", "customers=@examples/customers.csv"
    )
    outputs = outcome["outputs"]
    assert isinstance(outputs, dict)
    with (EXAMPLES / "customers.csv").open(newline="") as handle:
        references = sorted(row["reference"] for row in csv.DictReader(handle))
    assert outputs["imported"] == len(references) == 20
    assert sorted(outputs["references"]) == references  # type: ignore[arg-type]


def test_export_invoices_since_writes_a_csv(workdir: Path) -> None:
    run(
        "examples/export-invoices-since.sageflow.yaml",
        "-i",
        "since=2024-01-01",
        "--output",
        "rows=out/invoices.csv",
    )
    with (workdir / "out" / "invoices.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "the seed business has invoices since 2024"
    assert {"number", "customer", "total", "status"} <= set(rows[0])
    assert all(row["number"].startswith("SI-") for row in rows)


def test_enter_supplier_bill_releases_it(workdir: Path) -> None:
    outputs = run("examples/enter-supplier-bill.sageflow.yaml")["outputs"]
    assert outputs == {
        "bill": "NW-88213",
        "status": "UNPAID",
        "account": "Office stationery (7500)",
        "total": "103.68",
    }


def test_void_unpaid_invoices_dry_run_sends_no_write_then_voids(workdir: Path) -> None:
    flow = "examples/void-unpaid-invoices.sageflow.yaml"
    dry = CliRunner().invoke(cli, ["run", flow, "-i", "search=SI", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.count("[dry run] voided[") == 3
    assert "DELETE /sales_invoices/" in dry.output
    # Nothing was voided by the dry run: the real run still matches all three.
    real = run(flow, "-i", "search=SI")
    outputs = real["outputs"]
    assert isinstance(outputs, dict)
    assert outputs["matched"] == 3
    after = run(flow, "-i", "search=SI")["outputs"]
    assert isinstance(after, dict)
    assert after["matched"] == 0


def call(component: str, *inputs: str) -> dict[str, object]:
    args = ["call", component, *[a for i in inputs for a in ("-i", i)], "--json"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    output: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return output


def test_unpaid_over_credit_limit(workdir: Path) -> None:
    flow = "examples/unpaid-over-credit-limit.sageflow.yaml"
    # The seed customers have no credit limit (0): nobody is over one.
    assert run(flow)["outputs"] == {"over_limit": []}
    for reference, limit in (("ACME001", "1000"), ("NORTH01", "5000")):
        found = call("sage_accounting/findContact", f"reference={reference}")
        items = found["items"]
        assert isinstance(items, list)
        assert len(items) == 1
        call("sage_accounting/updateContact", f"contactId={items[0]['id']}", f"creditLimit={limit}")
    # Acme owes 2,940.00 (2,450.00 + 20% VAT) against 1,000; Northwind 2,482.80 against 5,000;
    # Blue Door has none.
    assert run(flow)["outputs"] == {
        "over_limit": [
            {
                "customer": "Acme Builders Ltd",
                "reference": "ACME001",
                "credit_limit": "1000.00",
                "unpaid": "2940.00",
                "invoices": ["SI-1"],
            }
        ]
    }


def test_three_line_supplier_bill(workdir: Path) -> None:
    outputs = run("examples/three-line-supplier-bill.sageflow.yaml")["outputs"]
    # 25 x 22.75 + 3 x 18.40 + 35.00 = 658.95 net, 20% VAT 131.79
    assert outputs == {
        "bill": "INV-7802",
        "supplier": "Oakwood Timber Supplies (OAK001)",
        "status": "DRAFT",
        "net": "658.95",
        "vat": "131.79",
        "total": "790.74",
    }
    bills = call(
        "sage_accounting/listPurchaseInvoice", "search=INV-7802", "attributes=invoice_lines"
    )
    items = bills["items"]
    assert isinstance(items, list)
    assert len(items) == 1
    lines = items[0]["invoice_lines"]
    assert [line["description"] for line in lines] == [
        "Oak boards, 2.4 m",
        "Sanding discs and finishing oil",
        "Delivery",
    ]


def test_month_end_sales_summary(workdir: Path) -> None:
    flow = "examples/month-end-sales-summary.sageflow.yaml"
    november = run(flow, "-i", "from=2025-11-01", "-i", "to=2025-11-30")["outputs"]
    # The seed's November invoices: SI-1 (2,450.00 net) and SI-2 (2,069.00 net), both at 20%;
    # SI-3 is December's.
    assert november == {
        "invoices": 2,
        "net": "4519.00",
        "vat": "903.80",
        "total": "5422.80",
        "unpaid": "5422.80",
        "numbers": ["SI-1", "SI-2"],
    }
    december = run(flow, "-i", "from=2025-12-01", "-i", "to=2025-12-31")["outputs"]
    assert isinstance(december, dict)
    assert december["numbers"] == ["SI-3"]
    refused = CliRunner().invoke(cli, ["run", flow, "-i", "from=November"])
    assert refused.exit_code == 2, refused.output
    assert "expected a date" in refused.output


def test_month_end_accruals_journal_posts_balanced_and_refuses_unbalanced(workdir: Path) -> None:
    flow = "examples/month-end-accruals-journal.sageflow.yaml"
    # Unbalanced first: refused by createJournal with both line totals, so no journal (and,
    # the refusal coming before the request, no POST /journals) reaches the sandbox.
    refused = CliRunner().invoke(cli, ["run", flow, "-i", "accrued=1200", "--json"])
    assert refused.exit_code == 1, refused.output
    outcome = json.loads(refused.stdout.strip().splitlines()[-1])
    assert outcome["error"]["step"] == "journal"
    assert "debits 1,250.00 ≠ credits 1,200.00" in outcome["error"]["message"]
    assert call("sage_accounting/listJournals")["items"] == []
    posted = run(flow)["outputs"]
    assert isinstance(posted, dict)
    assert (posted["reference"], posted["total"]) == ("ACCR-2026-01", "1250.0")
    # Accruals holds the credit, as the ledger the journal posted to says.
    assert (posted["accruals_balance"], posted["accruals_side"]) == ("1250.0", "credit")
    (journal,) = call("sage_accounting/listJournals")["items"]
    assert journal["id"] == posted["journal"]
    entries = call("sage_accounting/listLedgerEntries", f"transactionId={posted['transaction']}")
    assert len(entries["items"]) == 3


def test_a_missing_csv_is_a_clear_error_not_a_traceback(workdir: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["run", "examples/import-customers.sageflow.yaml", "-i", "customers=@nope.csv"],
    )
    assert result.exit_code == 2
    assert "customers=@nope.csv" in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def sageflow_logger() -> object:
    import logging

    logger = logging.getLogger("sageflow")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.mark.parametrize(
    "flags",
    [
        pytest.param(["run", "--debug"], id="on-the-subcommand"),
        pytest.param(["--debug", "run", "--debug"], id="on-both"),
    ],
)
def test_debug_logs_each_request_once_with_the_token_masked(
    workdir: Path, sageflow_logger: object, flags: list[str]
) -> None:
    args = [*flags, "examples/invoice-new-customer.sageflow.yaml"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if " sageflow DEBUG " in line]
    # find, create, ledger lookup, the line's tax rate (for its VAT), invoice: each once
    assert len(lines) == 5
    assert "authorization: ***" in result.stderr
    assert "sageflow-sandbox-token" not in result.stderr


def test_record_customer_payment_marks_the_invoice_paid_once(workdir: Path) -> None:
    flow = "examples/record-customer-payment.sageflow.yaml"
    part = run(flow, "-i", "invoice_number=SI-1", "-i", "amount=100.00")["outputs"]
    assert isinstance(part, dict)
    assert (part["status"], part["outstanding"], part["paid"]) == ("PART_PAID", "2840.0", "100.0")
    paid = run(flow)["outputs"]  # SI-3, 168.00 outstanding: all of it
    assert isinstance(paid, dict)
    assert (paid["invoice_number"], paid["status"], paid["outstanding"]) == ("SI-3", "PAID", "0.0")
    assert (paid["recorded"], paid["paid"], paid["bank_account"]) == (
        True,
        "168.0",
        "Current (1200)",
    )
    # The same notice again (a webhook delivered twice): reported, not paid a second time.
    again = run(flow)["outputs"]
    assert isinstance(again, dict)
    assert (again["status"], again["recorded"], again["payment"]) == ("PAID", False, "")
    payments = call("sage_accounting/listContactPayments", "attributes=total_amount")["items"]
    assert isinstance(payments, list)
    assert sorted(p["total_amount"] for p in payments) == ["100.0", "168.0"]
    # More than is outstanding is Sage's refusal (a 422), and nothing is recorded.
    refused = CliRunner().invoke(
        cli, ["run", flow, "-i", "invoice_number=SI-1", "-i", "amount=5000", "--json"]
    )
    assert refused.exit_code == 1, refused.output
    outcome = json.loads(refused.stdout.strip().splitlines()[-1])
    assert outcome["error"]["step"] == "payment"
    assert "is more than the outstanding amount" in outcome["error"]["message"]


@pytest.mark.parametrize("number", ["SI-99", "S1-3", "SI 3", ""])
def test_record_customer_payment_with_a_wrong_invoice_number_says_so(
    workdir: Path, number: str
) -> None:
    # What a bookkeeper mistypes: a number Sage does not have, a 1 for an I, a space for the
    # dash, nothing at all. The run stops before writing anything, in words, not "no item 0".
    flow = "examples/record-customer-payment.sageflow.yaml"
    done = CliRunner().invoke(cli, ["run", flow, "-i", f"invoice_number={number}"])
    if number == "":
        assert done.exit_code == 2, done.output  # refused by the input's own schema
        assert "input 'invoice_number': '' should be non-empty" in done.stderr
    else:
        assert done.exit_code == 1, done.output
        said = (
            f"There is no sales invoice numbered {number} in Sage, so no payment was recorded."
            " Check the number on the payment notice (it looks like SI-3)."
        )
        assert f"error at step payment: {said}\n" in done.stderr
        assert "no item" not in done.output
        assert "${{" not in done.output
    assert call("sage_accounting/listContactPayments")["items"] == []


def test_record_customer_payment_with_a_wrong_bank_code_says_so(workdir: Path) -> None:
    flow = "examples/record-customer-payment.sageflow.yaml"
    done = CliRunner().invoke(cli, ["run", flow, "-i", "bank_code=1299"])
    assert done.exit_code == 1, done.output
    assert (
        "error at step payment: No bank account has the nominal code 1299, so no payment was"
        " recorded.\n"
    ) in done.stderr
    assert call("sage_accounting/listContactPayments")["items"] == []


def test_record_customer_payment_takes_the_number_as_people_type_it(workdir: Path) -> None:
    # Pasted with spaces around it, in lower case: still SI-3, and only SI-3 (not SI-30).
    paid = run("examples/record-customer-payment.sageflow.yaml", "-i", "invoice_number= si-3 ")
    outputs = paid["outputs"]
    assert isinstance(outputs, dict)
    assert (outputs["invoice_number"], outputs["status"], outputs["paid"]) == (
        "SI-3",
        "PAID",
        "168.0",
    )


def _failed_run(*args: str) -> str:
    done = CliRunner().invoke(cli, ["run", *args])
    assert done.exit_code == 1, done.output
    return done.stderr


def test_quote_to_invoice_quotes_then_invoices_the_quote(workdir: Path) -> None:
    flow = "examples/quote-to-invoice.sageflow.yaml"
    said = _failed_run(flow, "-i", "customer=Nobody")
    assert 'error at step quote: 0 customers match "Nobody", so nothing was quoted' in said
    assert call("sage_accounting/listSalesQuotes")["items"] == []
    outputs = run(flow, "-i", "price=480.50")["outputs"]
    assert isinstance(outputs, dict)
    # 480.50 + 20% VAT; the invoice carries the quote's lines and VAT.
    assert (outputs["quote"], outputs["total"]) == ("SQ-1", "576.6")
    assert outputs["customer"] == "Acme Builders Ltd (ACME001)"
    invoices = call("sage_accounting/findSalesInvoice", f"invoiceNumber={outputs['invoice']}")
    assert isinstance(invoices["items"], list)
    assert [i["total_amount"] for i in invoices["items"]] == ["576.6"]


def test_sweep_to_savings_moves_money_and_shows_both_balances(workdir: Path) -> None:
    flow = "examples/sweep-to-savings.sageflow.yaml"
    said = _failed_run(flow, "-i", "amount=500", "-i", "to_code=1299")
    assert "error at step transfer: No bank account has the nominal code 1299" in said
    outputs = run(flow, "-i", "amount=500")["outputs"]
    assert outputs == {
        "moved": "500.0",
        "from": "Current (1200)",
        "to": "Business savings (1220)",
        "from_balance": "-500.0",
        "to_balance": "500.0",
    }  # the refused run moved nothing: the balances start from the seed's 0.0


def test_refund_with_credit_note_allocates_it_and_credits_once(workdir: Path) -> None:
    flow = "examples/refund-with-credit-note.sageflow.yaml"
    # SI-1 is 2,940.00 (2,450.00 + 20% VAT): 250.00 net refunded is 300.00 with its VAT.
    first = run(flow, "-i", "credited_on=2026-01-15")["outputs"]
    assert isinstance(first, dict)
    assert (first["credited"], first["credit_note"]) == (True, "SCN-1")
    assert (first["credit_total"], first["credit_vat"]) == ("300.0", "50.0")
    assert (first["status"], first["outstanding"]) == ("PART_PAID", "2640.0")
    again = run(flow, "-i", "credited_on=2026-01-15")["outputs"]
    assert isinstance(again, dict)
    assert (again["credited"], again["credit_note"], again["outstanding"]) == (
        False,
        "SCN-1",
        "2640.0",
    )
    # The rest of another invoice, SI-3 (168.00): the credit note settles it.
    rest = run(flow, "-i", "invoice_number=SI-3", "-i", "amount=140.00")["outputs"]
    assert isinstance(rest, dict)
    assert (rest["status"], rest["outstanding"], rest["credit_total"]) == ("PAID", "0.0", "168.0")


def test_sage200_invoice_customer_creates_once_and_reads_back_by_urn(workdir: Path) -> None:
    # A Sage 200 flow with no account: the Sage 200 sandbox, not Sage Accounting's, answers.
    flow = "examples/sage200-invoice-customer.sageflow.yaml"
    first = run(flow)["outputs"]
    assert isinstance(first, dict)
    assert first["new_customer"] is True
    assert (first["customer"], first["reference"]) == ("Newbury Garden Centre", "INV-2001")
    # Money as exact decimal strings, as the first pack's (never a float such as 1200.0).
    assert (first["gross"], first["outstanding"]) == ("1200.0", "1200.0")
    again = run(flow, "-i", "invoice=INV-2002", "-i", "net=250.00", "-i", "vat=50.00")["outputs"]
    assert isinstance(again, dict)
    assert again["new_customer"] is False
    assert again["urn"] != first["urn"]
    assert (again["reference"], again["gross"]) == ("INV-2002", "300.0")
    # An amount Sage 200 would round is refused before the run starts (exit 2), at its place.
    refused = CliRunner().invoke(cli, ["run", flow, "-i", "invoice=INV-2003", "-i", "vat=20.005"])
    assert refused.exit_code == 2, refused.output
    assert "taxAmount 20.005 has more than 2 decimal places" in refused.output
    assert "steps[3].with.taxAnalysis[0].taxAmount" in refused.output


def test_sage200_export_posted_sales_writes_a_csv(workdir: Path) -> None:
    run("examples/sage200-invoice-customer.sageflow.yaml", "-i", "date=2026-02-10")
    outcome = run(
        "examples/sage200-export-posted-sales.sageflow.yaml",
        "-i",
        "since=2026-02-01",
        "--output",
        "rows=out/posted-sales.csv",
    )
    with (workdir / "out" / "posted-sales.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    outputs = outcome["outputs"]
    assert isinstance(outputs, dict)
    assert outputs["count"] == len(rows) > 0
    assert list(rows[0]) == [
        "urn",
        "date",
        "type",
        "customer",
        "reference",
        "goods",
        "vat",
        "gross",
        "outstanding",
    ]
    assert all(row["date"] >= "2026-02-01" for row in rows)
    assert "INV-2001" in {row["reference"] for row in rows}
    # Nothing before the date: the filter reached Sage 200 as a date, not a string.
    later = run("examples/sage200-export-posted-sales.sageflow.yaml", "-i", "since=2099-01-01")
    assert later["outputs"] == {"count": 0, "rows": []}


def test_sync_shop_product_creates_once_then_updates_the_price(workdir: Path) -> None:
    flow = "examples/sync-shop-product.sageflow.yaml"
    first = run(flow)["outputs"]
    assert isinstance(first, dict)
    assert (first["created"], first["price"]) == (True, "34.99")
    # The shop changes its price: the same product (found by its SKU) is updated.
    second = run(flow, "-i", "price=36.50", "-i", "cost=15.00")["outputs"]
    assert isinstance(second, dict)
    assert (second["created"], second["id"], second["price"]) == (False, first["id"], "36.5")
    found = call("sage_accounting/findProduct", "itemCode=shelf-pine-80")["items"]
    assert isinstance(found, list)
    assert [(p["id"], p["cost_price"], p["description"]) for p in found] == [
        (first["id"], "15.0", "Pine shelf, 80 cm")
    ]
