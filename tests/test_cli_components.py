"""``sageflow components list [--json]`` and ``sageflow components show KEY``, through click."""

from __future__ import annotations

import json

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
    assert {"ref", "title", "annotations", "aliases"} == set(listed["sage_accounting/rawRequest"])


def test_show_prints_the_manifest_for_a_ref_a_bare_key_or_an_alias() -> None:
    code, out, _ = _invoke("components", "show", "sage_accounting/createSalesInvoice")
    assert code == 0
    manifest = json.loads(out)
    assert manifest["key"] == "createSalesInvoice"
    assert "invoiceLines" in manifest["input"]["required"]
    assert json.loads(_invoke("components", "show", "createSalesInvoice")[1]) == manifest
    alias = json.loads(_invoke("components", "show", "listPurchaseInvoices")[1])
    assert alias["key"] == "listPurchaseInvoice"


def test_show_an_unknown_component_is_a_usage_error() -> None:
    code, _, err = _invoke("components", "show", "sage_accounting/noSuchThing")
    assert code == 2
    assert "noSuchThing" in err
