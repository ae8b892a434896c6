"""Bank transfers, deposits and reconciliations: the operations Sage has, the checks made before
anything is sent, and a transfer through the HTTP layer moving the sandbox's balances."""

from __future__ import annotations

from typing import Any

import pytest
from packkit import dropping_first_post, first, layer_client

from sage_accounting import PACK
from sage_accounting.sandbox import Clock, Sandbox
from sageflow import CallOptions, InputValidationError
from sageflow._http import Client

CURRENT, SAVINGS = "1a3c5e7b9d2f4a6c8e0b2d4f6a8c0e2b", "3c5e7b9d1f2a4c6e8a0b2d4f6e8a1c3b"


def test_only_the_operations_the_swagger_has_are_offered() -> None:
    keys = set(PACK.components)
    assert {"updateBankTransfer", "deleteBankTransfer", "deleteBankDeposit"} <= keys
    # [S1]: /bank_deposits/{key} has no PUT; /bank_reconciliations/{key} has no DELETE.
    assert "updateBankDeposit" not in keys
    assert "deleteBankReconciliation" not in keys
    assert PACK.get("deleteBankTransfer").annotations.destructive


def test_a_transfer_to_the_same_account_is_refused_before_sending() -> None:
    with pytest.raises(InputValidationError) as caught:
        PACK.get("createBankTransfer").validate(
            {
                "fromBankAccountId": CURRENT,
                "toBankAccountId": CURRENT,
                "date": "2026-03-02",
                "amount": "10.00",
            }
        )
    assert "must be different accounts" in str(caught.value)


def test_a_deposit_whose_total_is_not_cash_plus_cheques_is_refused() -> None:
    inputs = {
        "fromBankAccountId": CURRENT,
        "toBankAccountId": SAVINGS,
        "date": "2026-03-02",
        "reference": "Takings",
        "cashAmount": "640.00",
        "chequeAmount": "120.00",
    }
    PACK.get("createBankDeposit").validate({**inputs, "totalAmount": "760"})
    with pytest.raises(InputValidationError) as caught:
        PACK.get("createBankDeposit").validate({**inputs, "totalAmount": "700"})
    assert "totalAmount 700 is not cashAmount 640.00 + chequeAmount 120.00" in str(caught.value)


def test_requests_use_the_swaggers_names() -> None:
    request = first(
        "createBankTransfer",
        {
            "fromBankAccountId": CURRENT,
            "toBankAccountId": SAVINGS,
            "date": "2026-03-02",
            "amount": 2500,
        },
    )
    assert request.json == {
        "bank_transfer": {
            "from_bank_account_id": CURRENT,
            "to_bank_account_id": SAVINGS,
            "date": "2026-03-02",
            "amount": "2500",
        }
    }
    listed = first("listBankReconciliations", {"bankAccountId": CURRENT})
    assert (listed.path, listed.query) == ("/bank_reconciliations", {"bank_account_id": CURRENT})
    got = first("getBankTransfer", {"bankTransferId": "t1", "nestedAttributes": "all"})
    assert (got.path, got.query) == ("/bank_transfers/t1", {"nested_attributes": "all"})
    with pytest.raises(InputValidationError):
        PACK.get("createBankReconciliation").validate(
            {"bankAccountId": CURRENT, "statusId": "DONE"}
        )


def _transfer(client: Client, amount: str, options: CallOptions | None = None) -> dict[str, Any]:
    """A transfer of ``amount`` from the current account to savings, and the savings account
    as read after it."""
    banks = client.call("sage_accounting/listBankAccounts", {"attributes": "all"})["items"]
    by_type = {b["bank_account_type"]["id"]: b["id"] for b in banks}
    inputs = {
        "fromBankAccountId": by_type["CHECKING"],
        "toBankAccountId": by_type["SAVINGS"],
        "date": "2026-01-05",
        "amount": amount,
    }
    made = client.call("sage_accounting/createBankTransfer", inputs, options)
    savings = client.call("sage_accounting/getBankAccount", {"bankAccountId": by_type["SAVINGS"]})
    return {"transfer": made, "savings": savings}


def test_a_transfer_through_the_http_layer_moves_the_sandbox_balances() -> None:
    sandbox = Sandbox(clock=Clock.manual())
    with layer_client(sandbox) as client:
        out = _transfer(client, "75.25")
        same = client.call(
            "sage_accounting/getBankTransfer", {"bankTransferId": out["transfer"]["id"]}
        )
    assert out["savings"]["balance"] == "75.25"
    assert same["amount"] == "75.25"


def test_a_dropped_transfer_is_retried_once_and_moves_the_money_once() -> None:
    # No marker can find a transfer (the list takes no search): exactly-once rests on Sage's
    # idempotency_id [G-idem], which the layer puts in the body and the retry repeats.
    sandbox = Sandbox(clock=Clock.manual())
    transport, posts = dropping_first_post(sandbox)
    with layer_client(sandbox, transport) as client:
        out = _transfer(client, "60.00", CallOptions("k-transfer"))
    assert posts == [2]  # sent again with the same idempotency_id: Sage's first result back
    assert [t["id"] for t in sandbox.records("bank_transfers")] == [out["transfer"]["id"]]
    assert out["savings"]["balance"] == "60.0"
