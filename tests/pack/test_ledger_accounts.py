"""Ledger accounts: the seed's inputs (accountId on update) and Sage's filters."""

from __future__ import annotations

import pytest
from packkit import first

from sage_accounting import PACK
from sageflow import InputValidationError

ID = "9a994ff1f7f8491ba2ac8b7b8d2f5a20"


def test_create_ledger_account_sends_typed_values() -> None:
    request = first(
        "createLedgerAccount",
        {
            "ledgerAccountTypeId": "SALES",
            "includedInChart": False,
            "name": "Fees",
            "displayName": "Fees",
            "nominalCode": 4010,
            "visibleInSales": True,
        },
    )
    assert (request.method, request.path) == ("POST", "/ledger_accounts")
    assert request.json == {
        "ledger_account": {
            "visible_in_sales": True,
            "ledger_account_type_id": "SALES",
            "included_in_chart": False,
            "name": "Fees",
            "display_name": "Fees",
            "nominal_code": 4010,
        }
    }


def test_update_ledger_account_uses_the_seeds_account_id_and_does_not_send_it() -> None:
    request = first("updateLedgerAccount", {"accountId": ID, "gifiCode": 8000, "name": "New"})
    assert (request.method, request.path) == ("PUT", f"/ledger_accounts/{ID}")
    assert request.json == {"ledger_account": {"gifi_code": 8000, "name": "New"}}


def test_list_ledger_accounts_filters() -> None:
    request = first(
        "listLedgerAccounts",
        {"visible_in": "sales", "ledgerAccountTypeId": "SALES", "from_date": "2026-01-01"},
    )
    assert request.query == {
        "visible_in": "sales",
        "ledger_account_type_id": "SALES",
        "from_date": "2026-01-01",
    }


def test_get_ledger_account() -> None:
    assert first("getLedgerAccount", {"ledgerAccountId": ID}).path == f"/ledger_accounts/{ID}"


@pytest.mark.parametrize("code", ["4010", 40.5, "abc"])
def test_nominal_code_must_be_an_integer_not_a_string_or_fraction(code: object) -> None:
    inputs = {
        "ledgerAccountTypeId": "SALES",
        "includedInChart": True,
        "name": "n",
        "displayName": "n",
        "nominalCode": code,
    }
    with pytest.raises(InputValidationError, match=r"\$\.nominalCode"):
        PACK.get("createLedgerAccount").validate(inputs)
