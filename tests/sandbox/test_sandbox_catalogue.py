"""The sandbox's catalogue: prices per type, stock that follows its movements, unique codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandboxkit import by_code, contact_id, make_client

from sage_accounting.sandbox import Clock, Sandbox


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(Sandbox(clock=Clock.manual())) as http:
        yield http


def _all(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    page = client.get(path, params={"attributes": "all", "items_per_page": 200, **params})
    assert page.status_code == 200, page.text
    return list(page.json()["$items"])


def _stock(client: httpx.Client, code: str) -> dict[str, Any]:
    return next(i for i in _all(client, "/stock_items") if i["item_code"] == code)


def _move(client: httpx.Client, code: str, quantity: str, **more: str) -> httpx.Response:
    """A stock movement of the seeded stock item ``code`` on 2026-01-05 (``more`` overrides)."""
    body = {
        "stock_item_id": _stock(client, code)["id"],
        "date": "2026-01-05",
        "quantity": quantity,
        "cost_price": "2.10",
        "details": "Count",
        **more,
    }
    return client.post("/stock_movements", json={"stock_movement": body})


def _product(client: httpx.Client, **fields: Any) -> httpx.Response:
    ledger = by_code(client, 4000)["id"]
    body = {"description": "Pine shelf", "sales_ledger_account_id": ledger}
    return client.post(
        "/products",
        json={
            "product": {"purchase_ledger_account_id": by_code(client, 5000)["id"], **body, **fields}
        },
    )


def test_seeded_types_are_the_specs_examples_and_every_product_has_a_price_per_type(
    client: httpx.Client,
) -> None:
    assert [t["name"] for t in _all(client, "/product_sales_price_types")] == [
        "Sales Price",
        "Trade",
        "Wholesale",
    ]
    assert [t["name"] for t in _all(client, "/service_rate_types")] == ["Rate"]
    board = next(p for p in _all(client, "/products") if p["item_code"] == "BRD-OAK-40")
    assert [(p["price_name"], p["price"]) for p in board["sales_prices"]] == [
        ("Sales Price", "24.0"),
        ("Trade", "19.0"),
        ("Wholesale", "0.0"),
    ]
    # New contacts point at the Sales Price type; that link resolves.
    assert client.get("/product_sales_price_types/SALES_PRICE").json()["name"] == "Sales Price"


def test_a_stock_movement_changes_the_quantity_in_stock_and_gives_it_back(
    client: httpx.Client,
) -> None:
    hinge = _stock(client, "HNG-BRASS")
    assert hinge["quantity_in_stock"] == "120.0"
    made = _move(client, "HNG-BRASS", "30", cost_price="2.50", details="Delivery")
    assert made.status_code == 201, made.text
    after = _stock(client, "HNG-BRASS")
    # Opening 120 at 2.10, then 30 in at 2.50: the last cost and the weighted average.
    assert (after["quantity_in_stock"], after["last_cost_price"]) == ("150.0", "2.5")
    assert after["average_cost_price"] == "2.18"
    assert after["last_cost_price_stock_value"] == "375.0"
    key = made.json()["id"]
    out = client.put(f"/stock_movements/{key}", json={"stock_movement": {"quantity": "-5"}})
    assert out.status_code == 200, out.text
    assert _stock(client, "HNG-BRASS")["quantity_in_stock"] == "115.0"
    assert client.delete(f"/stock_movements/{key}").status_code == 204
    assert _stock(client, "HNG-BRASS")["quantity_in_stock"] == "120.0"
    mine = _all(client, "/stock_movements", stock_item_id=hinge["id"])
    assert [m["details"] for m in mine] == ["Opening Balance"]


def test_a_movement_moved_to_another_item_moves_its_stock_too(client: httpx.Client) -> None:
    screws = _stock(client, "SCR-4X40")
    key = _move(client, "HNG-BRASS", "-4", details="Damaged").json()["id"]
    moved = client.put(
        f"/stock_movements/{key}", json={"stock_movement": {"stock_item_id": screws["id"]}}
    )
    assert moved.status_code == 200, moved.text
    assert _stock(client, "HNG-BRASS")["quantity_in_stock"] == "120.0"
    assert _stock(client, "SCR-4X40")["quantity_in_stock"] == "11.0"


@pytest.mark.parametrize(
    ("change", "source"),
    [
        pytest.param({"quantity": "0"}, "quantity", id="zero-quantity"),
        pytest.param({"quantity": "ten"}, "quantity", id="word-quantity"),
        pytest.param({"stock_item_id": "nope"}, "stock_item_id", id="unknown-item"),
        pytest.param({"date": "05/01/2026"}, "date", id="bad-date"),
        pytest.param({"details": " "}, "details", id="blank-details"),
        pytest.param({"cost_price": "-1"}, "cost_price", id="negative-cost"),
    ],
)
def test_a_bad_movement_is_refused_and_moves_nothing(
    client: httpx.Client, change: dict[str, str], source: str
) -> None:
    refused = _move(client, "HNG-BRASS", **{"quantity": "3", **change})
    assert refused.status_code == 422
    assert [p["$source"] for p in refused.json()] == [source]
    assert _stock(client, "HNG-BRASS")["quantity_in_stock"] == "120.0"


def test_stock_items_are_listed_as_products_and_kept_while_they_have_movements(
    client: httpx.Client,
) -> None:
    hinge = _stock(client, "HNG-BRASS")
    as_product = client.get(f"/products/{hinge['id']}").json()
    assert as_product["catalog_item_type"]["id"] == "STOCK_ITEM"
    assert "quantity_in_stock" not in as_product
    assert (
        client.put(f"/products/{hinge['id']}", json={"product": {"notes": "Solid brass"}}).json()[
            "notes"
        ]
        == "Solid brass"
    )
    assert _stock(client, "HNG-BRASS")["notes"] == "Solid brass"
    refused = client.delete(f"/products/{hinge['id']}")
    assert refused.status_code == 405
    assert refused.json()[0]["$dataCode"] == "MethodNotAllowed"
    oil = _stock(client, "OIL-DAN-1L")  # seeded with no stock: no movement
    assert oil["deletable"] is True
    assert client.delete(f"/stock_items/{oil['id']}").status_code == 204
    assert client.get(f"/products/{oil['id']}").status_code == 404


def test_stock_filters(client: httpx.Client) -> None:
    def codes(**params: Any) -> list[str]:
        return [i["item_code"] for i in _all(client, "/stock_items", **params)]

    assert codes(below_reorder_level="true") == ["SCR-4X40", "OIL-DAN-1L"]
    assert codes(out_of_stock="true") == ["OIL-DAN-1L"]
    assert codes(out_of_stock="false", search="hinge") == ["HNG-BRASS"]
    services = _all(client, "/services", search="per hour")
    assert [s["item_code"] for s in services] == ["INSTALL", "REPAIR"]


def test_item_codes_are_unique_across_the_catalogue(client: httpx.Client) -> None:
    for code in ("brd-oak-40", "INSTALL", "Hng-Brass"):
        taken = _product(client, item_code=code)
        assert taken.status_code == 422
        assert taken.json()[0]["$source"] == "item_code"
    assert _product(client, item_code="SHELF-1").status_code == 201


def test_every_bad_field_of_an_item_is_named_at_once(client: httpx.Client) -> None:
    refused = _product(
        client,
        description="",
        sales_ledger_account_id="nope",
        usual_supplier_id=contact_id(client, "ACME001"),
        sales_prices=[{"product_sales_price_type_id": "nope", "price": "1"}],
    )
    assert refused.status_code == 422
    assert {p["$source"] for p in refused.json()} == {
        "description",
        "sales_ledger_account_id",
        "usual_supplier_id",
        "sales_prices[0].product_sales_price_type_id",
    }


def test_strict_mode_refuses_what_the_sandbox_does_not_simulate(client: httpx.Client) -> None:
    assert _product(client, catalog_item_type_id="STOCK_ITEM").status_code == 422
    hinge = _stock(client, "HNG-BRASS")
    refused = client.put(
        f"/stock_items/{hinge['id']}", json={"stock_item": {"quantity_in_stock": "500"}}
    )
    assert refused.status_code == 422
    assert refused.json()[0]["$source"] == "quantity_in_stock"


def test_a_price_type_in_use_is_kept_and_an_unused_one_goes_with_its_zero_prices(
    client: httpx.Client,
) -> None:
    trade, wholesale = _all(client, "/product_sales_price_types")[1:]
    assert client.delete(f"/product_sales_price_types/{trade['id']}").status_code == 405
    assert client.delete(f"/product_sales_price_types/{wholesale['id']}").status_code == 204
    board = next(p for p in _all(client, "/products") if p["item_code"] == "BRD-OAK-40")
    assert [p["price_name"] for p in board["sales_prices"]] == ["Sales Price", "Trade"]
    dup = client.post(
        "/product_sales_price_types", json={"product_sales_price_type": {"name": "trade"}}
    )
    assert {p["$source"] for p in dup.json()} == {"name", "active"}


def test_an_update_changes_only_the_prices_sent(client: httpx.Client) -> None:
    board = next(p for p in _all(client, "/products") if p["item_code"] == "BRD-OAK-40")
    trade = board["sales_prices"][1]["product_sales_price_type"]["id"]
    changed = client.put(
        f"/products/{board['id']}",
        json={"product": {"sales_prices": [{"product_sales_price_type_id": trade, "price": "20"}]}},
    ).json()
    assert [p["price"] for p in changed["sales_prices"]] == ["24.0", "20.0", "0.0"]
    assert changed["sales_prices"][1]["id"] == board["sales_prices"][1]["id"]


def test_stock_survives_a_data_file(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.db"
    with make_client(Sandbox(clock=Clock.manual(), data=data)) as first:
        assert _move(first, "HNG-BRASS", "-20", details="Sold at the counter").status_code == 201
    with make_client(Sandbox(clock=Clock.manual(), data=data)) as second:
        assert _stock(second, "HNG-BRASS")["quantity_in_stock"] == "100.0"
        assert _product(second, item_code="HNG-BRASS").status_code == 422


def _sale(client: httpx.Client, **line: str) -> httpx.Response:
    body = {
        "contact_id": contact_id(client, "ACME001"),
        "date": "2026-01-05",
        "invoice_lines": [
            {
                "description": "Oak board",
                "ledger_account_id": by_code(client, 4000)["id"],
                "quantity": "2",
                "unit_price": "24.00",
                "tax_rate_id": "GB_STANDARD",
                "tax_amount": "9.60",
                **line,
            }
        ],
    }
    return client.post("/sales_invoices", json={"sales_invoice": body})


def test_an_invoice_line_names_its_product_which_is_then_kept(client: httpx.Client) -> None:
    board = next(p for p in _all(client, "/products") if p["item_code"] == "BRD-OAK-40")
    assert board["deletable"] is True
    sold = _sale(client, product_id=board["id"])
    assert sold.status_code == 201, sold.text
    line = sold.json()["invoice_lines"][0]
    assert (line["product"]["id"], line["service"]) == (board["id"], None)
    assert client.get(f"/products/{board['id']}").json()["deletable"] is False
    listed = next(p for p in _all(client, "/products") if p["id"] == board["id"])
    assert listed["deletable"] is False
    refused = client.delete(f"/products/{board['id']}")
    assert refused.status_code == 405
    survey = next(s for s in _all(client, "/services") if s["item_code"] == "SURVEY")
    assert client.delete(f"/services/{survey['id']}").status_code == 204


@pytest.mark.parametrize("field", ["product_id", "service_id"])
def test_an_invoice_line_naming_no_such_item_is_refused(client: httpx.Client, field: str) -> None:
    refused = _sale(client, **{field: "nope"})
    assert refused.status_code == 422
    assert [p["$source"] for p in refused.json()] == [f"invoice_lines[0].{field}"]


def test_a_credit_note_line_keeps_its_service_too(client: httpx.Client) -> None:
    survey = next(s for s in _all(client, "/services") if s["item_code"] == "SURVEY")
    line = {
        "description": "Survey refunded",
        "ledger_account_id": by_code(client, 4010)["id"],
        "service_id": survey["id"],
        "quantity": "1",
        "unit_price": "120.00",
        "tax_rate_id": "GB_STANDARD",
        "tax_amount": "24.00",
    }
    body = {"contact_id": contact_id(client, "ACME001"), "date": "2026-01-05"}
    made = client.post(
        "/sales_credit_notes", json={"sales_credit_note": {**body, "credit_note_lines": [line]}}
    )
    assert made.status_code == 201, made.text
    assert made.json()["credit_note_lines"][0]["service"]["id"] == survey["id"]
    assert client.get(f"/services/{survey['id']}").json()["deletable"] is False
    assert client.delete(f"/services/{survey['id']}").status_code == 405
