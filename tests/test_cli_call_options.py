"""``sageflow call`` and ``sageflow options`` (and ``sageflow.options``) against the sandbox."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import sageflow
from sageflow._cli import cli
from sageflow._options import Option

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # No account configured: the sandbox is the target, its state in ./.sageflow like `run`'s.
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


# -- sageflow options ---------------------------------------------------------------------------


def test_options_lists_sales_ledger_accounts_as_value_label_pairs() -> None:
    result = invoke(
        "options", "sage_accounting/createSalesInvoice", "invoiceLines[].ledgerAccountId", "--json"
    )
    assert result.exit_code == 0, result.output
    listed = as_json(result)
    assert all(set(row) == {"value", "label"} for row in listed)
    assert all(HEX_ID.match(row["value"]) for row in listed)
    assert "Sales - Services (4010)" in [row["label"] for row in listed]
    # The same accounts the list component gives for visible_in=sales, and only those.
    accounts = as_json(
        invoke(
            "call", "listLedgerAccounts", "-i", "visible_in=sales", "-i", "fetchAll=true", "--json"
        )
    )
    assert [row["value"] for row in listed] == [item["id"] for item in accounts["items"]]
    purchase = as_json(
        invoke("options", "createPurchaseInvoice", "invoiceLines[].ledgerAccountId", "--json")
    )
    assert not {row["value"] for row in purchase} & {row["value"] for row in listed}


def test_options_prints_value_and_label_columns_and_searches() -> None:
    result = invoke("options", "createSalesInvoice", "contactId", "--search", "acme")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    value, label = lines[0].split(maxsplit=1)
    assert HEX_ID.match(value)
    assert label == "Acme Builders Ltd (ACME001)"
    # A supplier is not offered for a sales invoice (the lookup filters contact types).
    suppliers = as_json(invoke("call", "listContacts", "-i", "contactTypeId=VENDOR", "--json"))
    customers = as_json(invoke("options", "createSalesInvoice", "contactId", "--json"))
    assert suppliers["items"]
    assert not {s["id"] for s in suppliers["items"]} & {c["value"] for c in customers}


def test_options_of_an_enum_input_are_its_labelled_values() -> None:
    result = invoke("options", "createContact", "contactTypeIds", "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result) == [
        {"value": "CUSTOMER", "label": "Customer"},
        {"value": "VENDOR", "label": "Supplier"},
    ]
    searched = invoke("options", "listLedgerAccounts", "visible_in", "--search", "other")
    assert searched.stdout.splitlines() == [
        "other_payments  Other payments",
        "other_receipts  Other receipts",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("createSalesInvoice", "invoiceLines[].ledgerAcountId"),
            "did you mean invoiceLines[].ledgerAccountId",
            id="input-typo",
        ),
        pytest.param(
            ("createContact", "name"), "'name' has no list of choices", id="free-text-input"
        ),
        pytest.param(
            ("createSalesInvoce", "contactId"),
            "did you mean sage_accounting/createSalesInvoice",
            id="component-typo",
        ),
    ],
)
def test_options_refuses_what_it_cannot_list_with_exit_2(
    args: tuple[str, str], message: str
) -> None:
    result = invoke("options", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    as_json_result = invoke("options", *args, "--json")
    assert as_json_result.exit_code == 2
    assert as_json(as_json_result)["status"] == "invalid"


def test_options_reads_every_page_of_a_long_list() -> None:
    async def scenario() -> tuple[list[Option], int]:
        from sageflow._http import open_caller

        async with open_caller(pack="sage_accounting") as client:
            for n in range(45):
                await sageflow.arun_component(
                    "sage_accounting/createContact",
                    {"name": f"Customer {n:02}", "contactTypeIds": ["CUSTOMER"]},
                    caller=client,
                )
            found = await sageflow.aoptions(
                "sage_accounting/createSalesInvoice", "contactId", caller=client
            )
            one_page = await sageflow.arun_component(
                "sage_accounting/listContacts", {"contactTypeId": "CUSTOMER"}, caller=client
            )
        return found, one_page["total"]

    found, total = asyncio.run(scenario())
    assert total > 45
    assert len(found) == total  # past the first page of 20
    assert len({option.value for option in found}) == total
    # Sage shows a contact as "name (reference)".
    names = {option.label.split(" (")[0] for option in found}
    assert {f"Customer {n:02}" for n in range(45)} <= names


def test_python_options_gives_enum_choices_without_a_connection() -> None:
    assert sageflow.options("sage_accounting/listSalesInvoices", "statusId", search="paid") == [
        Option("UNPAID", "Unpaid"),
        Option("PART_PAID", "Part paid"),
        Option("PAID", "Paid"),
    ]


# -- sageflow call ------------------------------------------------------------------------------


def test_call_prints_the_page_as_json() -> None:
    result = invoke("call", "sage_accounting/listContacts", "-i", "search=acme", "--json")
    assert result.exit_code == 0, result.output
    page = as_json(result)
    assert [item["displayed_as"] for item in page["items"]] == ["Acme Builders Ltd (ACME001)"]
    assert page["total"] == 1
    assert page["pagesFetched"] == 1


def test_call_takes_a_bare_key_or_an_alias_and_prints_readable_output() -> None:
    bare = invoke("call", "listContacts", "-i", "search=acme")
    assert bare.exit_code == 0, bare.output
    assert json.loads(bare.stdout)["items"][0]["displayed_as"] == "Acme Builders Ltd (ACME001)"
    assert "\n  " in bare.stdout  # indented for a person
    alias = invoke("call", "listPurchaseInvoices", "--json")
    assert alias.exit_code == 0, alias.output
    assert "items" in as_json(alias)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("listContacts", "-i", "serach=acme"),
            "$.serach: unknown input (did you mean search?)",
            id="input-typo",
        ),
        pytest.param(
            ("listContacts", "-i", "contactTypeId=CUSTOMERS"),
            "$.contactTypeId: expected 'CUSTOMER' or 'VENDOR'",
            id="enum-typo",
        ),
        pytest.param(
            ("createContact", "-i", "name=Acme"),
            "$.contactTypeIds: required input is missing",
            id="missing",
        ),
        pytest.param(("listContcts",), "did you mean sage_accounting/listContacts", id="typo"),
        pytest.param(("listContacts", "-i", "search"), "expected NAME=VALUE", id="bad-pair"),
    ],
)
def test_call_refuses_bad_input_with_exit_2_and_a_located_message(
    args: tuple[str, ...], message: str
) -> None:
    result = invoke("call", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    with_json = invoke("call", *args, "--json")
    assert with_json.exit_code == 2
    assert as_json(with_json)["status"] == "invalid"


def test_call_reports_an_api_error_with_exit_1() -> None:
    missing = "0123456789abcdef0123456789abcdef"
    result = invoke("call", "getContact", "-i", f"contactId={missing}")
    assert result.exit_code == 1
    assert "HTTP 404" in result.stderr
    with_json = invoke("call", "getContact", "-i", f"contactId={missing}", "--json")
    assert with_json.exit_code == 1
    assert as_json(with_json)["status"] == "failed"


def test_dry_run_prints_the_write_and_sends_nothing_then_a_call_writes() -> None:
    args = ("call", "createContact", "-i", "name=Dry Run Ltd", "-i", "contactTypeIds=[CUSTOMER]")
    dry = invoke(*args, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would send: POST /contacts" in dry.stdout
    assert '"name": "Dry Run Ltd"' in dry.stdout
    found = invoke("options", "createSalesInvoice", "contactId", "--search", "Dry Run", "--json")
    assert as_json(found) == []
    made = invoke(*args, "--json")
    assert made.exit_code == 0, made.output
    contact = as_json(made)
    # A later command sees what this one created: the CLI's sandbox keeps its state on disk.
    found = invoke("options", "createSalesInvoice", "contactId", "--search", "Dry Run", "--json")
    assert as_json(found) == [{"value": contact["id"], "label": contact["displayed_as"]}]


def test_dry_run_of_an_invoice_sends_its_reads_and_shows_the_post() -> None:
    account = as_json(
        invoke(
            "options",
            "createSalesInvoice",
            "invoiceLines[].ledgerAccountId",
            "--search",
            "4010",
            "--json",
        )
    )[0]["value"]
    customer = as_json(
        invoke("options", "createSalesInvoice", "contactId", "--search", "acme", "--json")
    )[0]["value"]
    line = f"{{description: Work, ledgerAccountId: {account}, quantity: 2, unitPrice: 10.50}}"
    args = ("-i", f"contactId={customer}", "-i", "date=2026-03-01", "-i", f"invoiceLines=[{line}]")
    dry = invoke("call", "createSalesInvoice", *args, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    shown = as_json(dry)
    assert shown["status"] == "dry-run"
    assert shown["write"]["method"] == "POST"
    assert shown["write"]["path"] == "/sales_invoices"
    body_line = shown["write"]["body"]["sales_invoice"]["invoice_lines"][0]
    assert body_line["unit_price"] == "10.50"  # a decimal, never a float
    listed = as_json(invoke("call", "listSalesInvoices", "-i", f"contactId={customer}", "--json"))
    assert listed["total"] == 0 or all(i["displayed_as"] for i in listed["items"])
    before = listed["total"]
    assert as_json(invoke("call", "createSalesInvoice", *args, "--json"))["id"]
    after = as_json(invoke("call", "listSalesInvoices", "-i", f"contactId={customer}", "--json"))
    assert after["total"] == before + 1


def test_dry_run_of_a_read_runs_it() -> None:
    result = invoke("call", "listContacts", "-i", "search=acme", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["total"] == 1


def test_help_lists_both_commands() -> None:
    result = invoke("--help")
    assert "call" in result.stdout
    assert "options" in result.stdout


def test_labels_are_one_line_and_never_empty() -> None:
    from sageflow._options import options_from_output

    page = {
        "items": [
            {"id": "a1", "displayed_as": "1 Foundry Road\nSheffield\n\nS1 2HE"},
            {"id": "b2", "displayed_as": ""},
            {"displayed_as": "a record without an id is no choice"},
        ]
    }
    assert options_from_output(page, {"value": "id", "label": "displayed_as"}) == [
        Option("a1", "1 Foundry Road, Sheffield, S1 2HE"),
        Option("b2", "b2"),
    ]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("call", "--json"), id="call-without-component"),
        pytest.param(("call", "listContacts", "--json", "--nope"), id="call-unknown-option"),
        pytest.param(("options", "createContact", "--json"), id="options-without-input"),
    ],
)
def test_json_mode_answers_json_even_when_click_refuses_the_command_line(
    args: tuple[str, ...],
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert as_json(result)["status"] == "invalid"
