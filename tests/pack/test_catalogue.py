"""The catalogue components: their requests, the finds by item code, and exactly-once creates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from packkit import dropping_first_post, first, layer_client, page, run

from sage_accounting import PACK
from sage_accounting._crud import update_inputs
from sage_accounting._markers import marker_text
from sage_accounting.catalogue import FAMILIES
from sage_accounting.sandbox import Clock, Sandbox
from sageflow import CallOptions, HTTPResponse, InputValidationError

PRICE_TYPE = "5e7a9c1b3d5f4a6c8e0b2d4f6a8c1e3b"
LEDGER = "0b2d4f6a8c1e4a3b5d7f9c2e4a6b8d1f"


def test_create_product_sends_prices_as_exact_decimals_in_the_wrapper() -> None:
    request = first(
        "createProduct",
        {
            "description": "Oak board",
            "salesLedgerAccountId": LEDGER,
            "purchaseLedgerAccountId": LEDGER,
            "costPrice": 0.1,
            "salesPrices": [
                {"productSalesPriceTypeId": PRICE_TYPE, "price": "24.10", "priceIncludesTax": False}
            ],
        },
    )
    assert (request.method, request.path) == ("POST", "/products")
    assert request.json == {
        "product": {
            "cost_price": "0.1",
            "description": "Oak board",
            "sales_ledger_account_id": LEDGER,
            "purchase_ledger_account_id": LEDGER,
            "sales_prices": [
                {
                    "product_sales_price_type_id": PRICE_TYPE,
                    "price": "24.10",
                    "price_includes_tax": False,
                }
            ],
        }
    }


@pytest.mark.parametrize("family", [pytest.param(f, id=f.collection) for f in FAMILIES])
def test_update_inputs_are_the_create_inputs_made_optional(family: Any) -> None:
    create = family.fields.model_fields
    update = update_inputs(family).model_fields
    assert set(update) == (set(create) - set(family.create_only)) | {family.id_input}
    for name, info in update.items():
        if name == family.id_input:
            assert info.is_required()
            continue
        assert not info.is_required()
        assert info.description == create[name].description
    # The same checks survive: a price type id must still be a Sage id on update.
    schema = PACK.get(family.key("update")).input_schema()
    for name in set(create) - set(family.create_only):
        if "pattern" in str(family.fields.model_json_schema()["properties"][name]):
            assert "pattern" in str(schema["properties"][name])


def test_an_update_sends_only_what_is_given_and_never_the_opening_quantity() -> None:
    request = first("updateStockItem", {"stockItemId": "s1", "location": "Bay 4"})
    assert (request.method, request.path) == ("PUT", "/stock_items/s1")
    assert request.json == {"stock_item": {"location": "Bay 4"}}
    with pytest.raises(InputValidationError) as caught:
        PACK.get("updateStockItem").validate({"stockItemId": "s1", "quantityInStock": "5"})
    assert [p.path for p in caught.value.problems] == ["$.quantityInStock"]


def test_a_bad_price_is_refused_with_its_path() -> None:
    with pytest.raises(InputValidationError) as caught:
        PACK.get("updateProduct").validate(
            {"productId": "p1", "salesPrices": [{"productSalesPriceTypeId": "x", "price": "1e3"}]}
        )
    assert [p.path for p in caught.value.problems] == ["$.salesPrices[0].price"]


def test_find_product_keeps_only_the_exact_item_code_across_pages() -> None:
    near = {"id": "p1", "item_code": "BRD-OAK-40X", "description": "Longer board"}
    exact = {"id": "p2", "item_code": "brd-oak-40", "description": "Board"}
    sent, out = run(
        "findProduct",
        {"itemCode": "BRD-OAK-40"},
        [page([near], next_link="/products?page=2&search=BRD-OAK-40"), page([exact], n=2)],
    )
    assert sent[0].query == {"search": "BRD-OAK-40", "attributes": "all", "items_per_page": 200}
    assert (sent[1].path, sent[1].query["page"]) == ("/products", "2")
    assert out == {"items": [exact]}
    assert run("findService", {"itemCode": "NONE"})[1] == {"items": []}


def test_lists_send_the_swaggers_filter_names() -> None:
    request = first("listStockItems", {"outOfStock": True, "belowReorderLevel": False})
    assert request.query == {"out_of_stock": True, "below_reorder_level": False}
    movement = first("listStockMovements", {"stockItemId": "s1", "from_date": "2026-01-01"})
    assert movement.query == {"stock_item_id": "s1", "from_date": "2026-01-01"}


def test_deletes_are_destructive_and_echo_the_id() -> None:
    component = PACK.get("deleteStockMovement")
    assert component.annotations.destructive
    sent, out = run("deleteStockMovement", {"stockMovementId": "m1"}, [HTTPResponse(204, {}, b"")])
    assert (sent[0].method, sent[0].path) == ("DELETE", "/stock_movements/m1")
    assert out == {"id": "m1", "deleted": True}


# --- Against the sandbox, through the HTTP layer ---------------------------------------------


def _ids(sandbox: Sandbox, name: str, where: Callable[[dict[str, Any]], bool]) -> list[str]:
    return [r["id"] for r in sandbox.records(name) if where(r)]


def test_a_product_is_created_then_found_by_its_sku() -> None:
    sandbox = Sandbox(clock=Clock.manual())
    with layer_client(sandbox) as client:
        ledger = client.call("sage_accounting/listLedgerAccounts", {"visible_in": "sales"})
        types = client.call("sage_accounting/listProductSalesPriceTypes", {})
        made = client.call(
            "sage_accounting/createProduct",
            {
                "description": "Walnut board",
                "itemCode": "BRD-WAL-40",
                "salesLedgerAccountId": ledger["items"][0]["id"],
                "purchaseLedgerAccountId": ledger["items"][0]["id"],
                "salesPrices": [
                    {"productSalesPriceTypeId": types["items"][1]["id"], "price": "31.5"}
                ],
            },
        )
        found = client.call("sage_accounting/findProduct", {"itemCode": "brd-wal-40"})
    assert [item["id"] for item in found["items"]] == [made["id"]]
    prices = {
        p["product_sales_price_type"]["displayed_as"]: p["price"] for p in made["sales_prices"]
    }
    assert prices == {"Sales Price": "0.0", "Trade": "31.5", "Wholesale": "0.0"}


@pytest.mark.parametrize("item_code", [None, "SKU-77"], ids=["marker-in-item-code", "own-sku"])
def test_a_dropped_product_create_is_adopted_not_repeated(item_code: str | None) -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=False)
    ledger = next(r["id"] for r in sandbox.records("ledger_accounts") if r["nominal_code"] == 4000)
    inputs = {
        "description": "Marker board",
        "salesLedgerAccountId": ledger,
        "purchaseLedgerAccountId": ledger,
    }
    if item_code:
        inputs["itemCode"] = item_code
    transport, posts = dropping_first_post(sandbox)
    with layer_client(sandbox, transport) as client:
        out = client.call("sage_accounting/createProduct", inputs, CallOptions("k-prod"))
    made = _ids(sandbox, "products", lambda r: r["description"] == "Marker board")
    assert made == [out["id"]]
    assert posts == [1]  # found again: never sent twice
    assert out["item_code"] == (item_code or marker_text("k-prod"))


def test_a_dropped_stock_movement_is_adopted_and_moves_stock_once() -> None:
    sandbox = Sandbox(clock=Clock.manual(), idempotency=False)
    item = next(r for r in sandbox.records("stock_items") if r["item_code"] == "HNG-BRASS")
    transport, posts = dropping_first_post(sandbox)
    movement = {
        "stockItemId": item["id"],
        "date": "2026-01-05",
        "quantity": "10",
        "costPrice": "2.30",
        "details": "Delivery from Oakwood",
    }
    with layer_client(sandbox, transport) as client:
        out = client.call("sage_accounting/createStockMovement", movement, CallOptions("k-mv"))
        after = client.call("sage_accounting/getStockItem", {"stockItemId": item["id"]})
    assert out["reference"] == marker_text("k-mv")
    assert posts == [1]
    assert after["quantity_in_stock"] == "130.0"
    assert after["last_cost_price"] == "2.3"


def test_an_invoice_line_sells_a_product_picked_from_its_lookup() -> None:
    sandbox = Sandbox(clock=Clock.manual())
    with layer_client(sandbox) as client:
        board = client.call("sage_accounting/findProduct", {"itemCode": "BRD-OAK-40"})["items"][0]
        customer = client.call("sage_accounting/findContact", {"reference": "ACME001"})
        invoice = client.call(
            "sage_accounting/createSalesInvoice",
            {
                "contactId": customer["items"][0]["id"],
                "date": "2026-01-05",
                "invoiceLines": [
                    {
                        "description": board["description"],
                        "ledgerAccountId": board["sales_ledger_account"]["id"],
                        "productId": board["id"],
                        "quantity": "2",
                        "unitPrice": board["sales_prices"][0]["price"],
                        "taxRateId": "GB_STANDARD",
                    }
                ],
            },
        )
        kept = client.call("sage_accounting/getProduct", {"productId": board["id"]})
    assert invoice["invoice_lines"][0]["product"]["id"] == board["id"]
    assert invoice["total_amount"] == "57.6"
    assert kept["deletable"] is False
