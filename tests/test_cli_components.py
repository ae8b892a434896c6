"""``sageflow components list [--json]`` and ``sageflow components show KEY``, through click."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sageflow._cli import cli


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_every_component_with_its_kind() -> None:
    code, out, _ = _invoke("components", "list")
    assert code == 0
    lines = out.splitlines()
    assert any(
        line.startswith("sage_accounting/createContact ") and "write" in line for line in lines
    )
    assert any("sage_accounting/deleteContact " in line and "destructive" in line for line in lines)
    assert any("sage_accounting/listContacts " in line and "read-only" in line for line in lines)
    assert lines[-1].endswith("components")
    assert int(lines[-1].split()[0]) >= 38
    assert any(
        line.startswith("sage_accounting/contactChanges ") and " trigger " in line for line in lines
    )
    assert any(
        line.startswith("sage_accounting/getContact ") and " action " in line for line in lines
    )


def test_list_json_is_machine_readable() -> None:
    code, out, _ = _invoke("components", "list", "--json")
    assert code == 0
    listed = {row["ref"]: row for row in json.loads(out)}
    assert listed["sage_accounting/listPurchaseInvoice"]["aliases"] == ["listPurchaseInvoices"]
    assert listed["sage_accounting/getContact"]["annotations"] == {
        "readOnly": True,
        "destructive": False,
        "idempotent": True,
    }
    assert {"ref", "kind", "title", "annotations", "aliases"} == set(
        listed["sage_accounting/rawRequest"]
    )
    assert listed["sage_accounting/rawRequest"]["kind"] == "action"
    assert listed["sage_accounting/salesInvoiceChanges"]["kind"] == "trigger"


def test_show_json_prints_the_manifest_for_a_ref_a_bare_key_or_an_alias() -> None:
    code, out, _ = _invoke("components", "show", "sage_accounting/createSalesInvoice", "--json")
    assert code == 0
    manifest = json.loads(out)
    assert manifest["key"] == "createSalesInvoice"
    assert "invoiceLines" in manifest["input"]["required"]
    again = _invoke("components", "show", "createSalesInvoice", "--json")[1]
    assert json.loads(again) == manifest
    alias = json.loads(_invoke("components", "show", "listPurchaseInvoices", "--json")[1])
    assert alias["key"] == "listPurchaseInvoice"


def test_show_is_a_readable_view_of_inputs_choices_and_outputs() -> None:
    code, out, _ = _invoke("components", "show", "createSalesInvoice")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "sage_accounting/createSalesInvoice: Create Sales Invoice (write)"
    row = {line.split()[0]: line for line in lines if line.startswith("  ") and line.split()}
    # type, required or optional, description; nested list fields by their input path
    assert row["contactId"].split()[1:3] == ["string", "required"]
    assert row["dueDate"].split()[1:3] == ["date", "optional"]
    assert row["invoiceLines[].quantity"].split()[1:3] == ["decimal", "required"]
    assert "The ledger account the line posts to." in row["invoiceLines[].ledgerAccountId"]
    after = lines[lines.index(row["invoiceLines[].ledgerAccountId"]) + 1]
    assert "sage_accounting/listLedgerAccounts (visible_in=sales)" in after
    assert (
        "sageflow options sage_accounting/createSalesInvoice 'invoiceLines[].ledgerAccountId'"
        in after
    )
    status = lines[lines.index(row["statusId"]) + 1]
    assert "one of: UNPAID (Unpaid), DRAFT (Draft)" in status
    assert "output:" in lines
    assert len(lines) < 120  # a screenful, not the ~700-line manifest
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_show_an_unknown_component_suggests_close_keys() -> None:
    code, _, err = _invoke("components", "show", "sage_accounting/noSuchThing")
    assert code == 2
    assert "noSuchThing" in err
    code, out, err = _invoke("components", "show", "createContcat")
    assert code == 2
    assert "did you mean sage_accounting/createContact" in err
    assert "Traceback" not in out + err
    code, out, _ = _invoke("components", "show", "createContcat", "--json")
    assert code == 2
    assert "createContact" in json.loads(out)["error"]


def test_debug_is_accepted_on_every_command() -> None:
    from sageflow._cli import SUBCOMMANDS

    def leaves(command: click.Command, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        if isinstance(command, click.Group):
            found = [path] if path else []
            for name, sub in command.commands.items():
                found += leaves(sub, (*path, name))
            return found
        return [path]

    ctx = click.Context(cli)
    paths = []
    for name in SUBCOMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        paths += leaves(command, (name,))
    assert ("validate",) in paths
    assert ("runs", "show") in paths
    for path in paths:
        result = CliRunner().invoke(cli, [*path, "--debug", "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "--debug" in result.stdout, path


def test_validate_and_components_take_debug(tmp_path: Path) -> None:
    flow = tmp_path / "f.sageflow.yaml"
    flow.write_text("name: f\nsteps:\n  - id: a\n    uses: sage_accounting/listContacts\n")
    code, out, _ = _invoke("validate", "--debug", str(flow))
    assert (code, out.strip()) == (0, f"{flow}: valid (1 steps)")
    code, out, _ = _invoke("components", "show", "listContacts", "--debug")
    assert code == 0
    assert out.startswith("sage_accounting/listContacts")
