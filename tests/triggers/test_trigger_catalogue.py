"""The catalogue's and bank movements' ``<resource>Changes`` triggers against the sandbox: a shop's
products, services and stock items each delivered once per change, deletions from tombstones, a
stock item's quantity change (a stock movement) seen as an update of the item, and a bank
transfer made then deleted."""

from __future__ import annotations

from typing import Any

from triggerkit import Sage

from sageflow import get_component


def _by_code(sage: Sage, path: str, code: str) -> dict[str, Any]:
    found = sage.call("GET", path, query=f"search={code}&attributes=all")
    return dict(next(i for i in found["$items"] if i["item_code"] == code))


def _ledger(sage: Sage, code: int) -> str:
    accounts = sage.call(
        "GET", "/ledger_accounts", query="attributes=nominal_code&items_per_page=200"
    )
    return str(next(i["id"] for i in accounts["$items"] if i["nominal_code"] == code))


def test_product_changes_deliver_a_create_an_edit_and_a_delete_once() -> None:
    sage = Sage()
    start = sage.poll("productChanges", None)
    sage.advance(60)
    body = {
        "description": "Walnut board",
        "item_code": "BRD-WAL-40",
        "sales_ledger_account_id": _ledger(sage, 4000),
        "purchase_ledger_account_id": _ledger(sage, 5000),
    }
    made = sage.call("POST", "/products", {"product": body})["id"]
    created, cursor = sage.settle("productChanges", start.cursor)
    assert [(e.type, e.id) for e in created] == [("created", made)]
    assert created[0].record["item_code"] == "BRD-WAL-40"
    sage.advance(60)
    board = _by_code(sage, "/products", "BRD-OAK-40")["id"]
    sage.call("PUT", f"/products/{board}", {"product": {"notes": "Oiled"}})
    sage.delete("products", made)
    changed, _ = sage.settle("productChanges", cursor)
    assert [(e.type, e.id) for e in changed] == [("updated", board), ("deleted", made)]


def test_a_stock_movement_is_an_update_of_its_stock_item() -> None:
    sage = Sage()
    start = sage.poll("stockItemChanges", None)
    sage.advance(60)
    hinge = _by_code(sage, "/stock_items", "HNG-BRASS")
    movement = {
        "stock_item_id": hinge["id"],
        "date": "2026-01-06",
        "quantity": "-2",
        "cost_price": "2.10",
        "details": "Sold",
    }
    sage.call("POST", "/stock_movements", {"stock_movement": movement})
    changed, _ = sage.settle("stockItemChanges", start.cursor)
    assert [(e.type, e.id, e.record["quantity_in_stock"]) for e in changed] == [
        ("updated", hinge["id"], "118.0")
    ]


def test_service_rate_type_changes_offer_no_deletions() -> None:
    sage = Sage()
    start = sage.poll("serviceRateTypeChanges", None)
    sage.advance(60)
    made = sage.call(
        "POST", "/service_rate_types", {"service_rate_type": {"name": "Hourly", "active": True}}
    )["id"]
    created, _ = sage.settle("serviceRateTypeChanges", start.cursor)
    assert [(e.type, e.id) for e in created] == [("created", made)]

    def offered(key: str) -> list[str]:
        schema = get_component(f"sage_accounting/{key}").input_schema()
        return list(schema["properties"]["events"]["items"]["enum"])

    assert offered("serviceRateTypeChanges") == ["created", "updated"]
    assert offered("productChanges") == ["created", "updated", "deleted"]


def test_bank_transfer_changes_see_a_transfer_made_changed_and_deleted() -> None:
    sage = Sage()
    banks = sage.call("GET", "/bank_accounts", query="attributes=bank_account_type")["$items"]
    kinds = {b["bank_account_type"]["id"]: b["id"] for b in banks}
    start = sage.poll("bankTransferChanges", None)
    sage.advance(60)
    body = {
        "from_bank_account_id": kinds["CHECKING"],
        "to_bank_account_id": kinds["SAVINGS"],
        "date": "2026-01-06",
        "amount": "40.00",
    }
    made = sage.call("POST", "/bank_transfers", {"bank_transfer": body})["id"]
    created, cursor = sage.settle("bankTransferChanges", start.cursor)
    assert [(e.type, e.id, e.record["amount"]) for e in created] == [("created", made, "40.0")]
    sage.advance(60)
    sage.delete("bank_transfers", made)
    deleted, _ = sage.settle("bankTransferChanges", cursor)
    assert [(e.type, e.id) for e in deleted] == [("deleted", made)]
