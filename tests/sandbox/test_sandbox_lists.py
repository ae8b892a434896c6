"""Sage's list envelope: paging, $next/$back, attributes, nested attributes, filters, sort."""

from __future__ import annotations

import httpx
import pytest
from sandboxkit import new_invoice

from sage_accounting.sandbox import Sandbox


def _customers(client: httpx.Client, count: int, prefix: str = "Bulk") -> list[str]:
    ids = []
    for n in range(count):
        body = {"contact": {"name": f"{prefix} {n:03}", "contact_type_ids": ["CUSTOMER"]}}
        ids.append(client.post("/contacts", json=body).json()["id"])
    return ids


def test_default_page_is_20_and_next_keeps_the_query(client: httpx.Client) -> None:
    _customers(client, 45)
    first = client.get("/contacts", params={"search": "bulk"}).json()
    assert first["$total"] == 45
    assert first["$itemsPerPage"] == 20
    assert len(first["$items"]) == 20
    assert first["$back"] is None
    assert first["$next"] == "/contacts?page=2&search=bulk"
    second = client.get(first["$next"]).json()
    assert second["$page"] == 2
    assert second["$back"] == "/contacts?page=1&search=bulk"
    third = client.get(second["$next"]).json()
    assert len(third["$items"]) == 5
    assert third["$next"] is None
    names = [i["displayed_as"] for page in (first, second, third) for i in page["$items"]]
    assert names == [f"Bulk {n:03}" for n in range(45)]


def test_items_per_page_is_capped_at_200(client: httpx.Client) -> None:
    _customers(client, 205)
    page = client.get("/contacts", params={"items_per_page": 500}).json()
    assert page["$itemsPerPage"] == 200
    assert len(page["$items"]) == 200
    assert page["$next"] == "/contacts?page=2&items_per_page=500"


def test_bad_paging_values_are_422(client: httpx.Client) -> None:
    response = client.get("/contacts", params={"items_per_page": 0})
    assert response.status_code == 422
    assert response.json()[0]["$source"] == "items_per_page"


def test_attributes_select_fields(client: httpx.Client) -> None:
    base = client.get("/contacts").json()["$items"][0]
    assert base.keys() == {"id", "displayed_as", "$path"}
    picked = client.get("/contacts", params={"attributes": "name,reference"}).json()["$items"][0]
    assert picked.keys() == {"id", "displayed_as", "$path", "created_at", "name", "reference"}
    everything = client.get("/contacts", params={"attributes": "all"}).json()["$items"][0]
    assert {"contact_types", "credit_limit", "main_address", "currency"} <= everything.keys()
    assert everything["main_address"].keys() == {"id", "displayed_as", "$path"}


def test_nested_attributes_expand_links(client: httpx.Client) -> None:
    page = client.get(
        "/sales_invoices", params={"attributes": "contact", "nested_attributes": "all"}
    ).json()
    contact = page["$items"][0]["contact"]
    assert "credit_days" in contact
    assert "contact_types" in contact


def test_updated_or_created_since_is_inclusive(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.advance(3600)  # 10:00:00
    created = _customers(client, 1, "Later")
    since = client.get("/contacts", params={"updated_or_created_since": "2026-01-05T10:00:00Z"})
    assert [i["id"] for i in since.json()["$items"]] == created
    after = client.get("/contacts", params={"updated_or_created_since": "2026-01-05T10:00:01Z"})
    assert after.json()["$total"] == 0
    offset = client.get(
        "/contacts", params={"updated_or_created_since": "2026-01-05T11:00:00+01:00"}
    )
    assert offset.json()["$total"] == 1


def test_deleted_since_is_exclusive(sandbox: Sandbox, client: httpx.Client) -> None:
    (gone,) = _customers(client, 1, "Gone")
    sandbox.advance(60)
    assert client.delete(f"/contacts/{gone}").status_code == 204
    at = "2026-01-05T09:01:00Z"
    assert client.get("/contacts", params={"deleted_since": at}).json()["$total"] == 0
    earlier = client.get("/contacts", params={"deleted_since": "2026-01-05T09:00:59Z"}).json()
    assert earlier["$items"] == [{"id": gone, "$path": f"/contacts/{gone}", "deleted_at": at}]


def test_contact_filters(client: httpx.Client) -> None:
    vendors = client.get("/contacts", params={"contact_type_id": "VENDOR"}).json()["$items"]
    assert {v["displayed_as"] for v in vendors} == {
        "HMRC Payments (HMRC Pay)",  # as Sage's quick-start guide shows it
        "Oakwood Timber Supplies (OAK001)",
        "Brightspark Electrical (BRIGHT1)",
    }
    by_email = client.get("/contacts", params={"email": "ALICE@acme.example.com"}).json()
    assert [c["displayed_as"] for c in by_email["$items"]] == ["Acme Builders Ltd (ACME001)"]
    by_reference = client.get("/contacts", params={"search": "north0"}).json()
    assert by_reference["$total"] == 1


def test_invoice_filters_and_sort(client: httpx.Client) -> None:
    new_invoice(client, date="2026-01-10")
    by_date = client.get(
        "/sales_invoices", params={"sort": "date:desc", "attributes": "date"}
    ).json()["$items"]
    assert [i["date"] for i in by_date] == sorted((i["date"] for i in by_date), reverse=True)
    ranged = client.get(
        "/sales_invoices", params={"from_date": "2025-11-10", "to_date": "2025-12-31"}
    ).json()
    assert [i["displayed_as"] for i in ranged["$items"]] == ["SI-2", "SI-3"]
    unpaid = client.get("/sales_invoices", params={"status_id": "UNPAID"}).json()
    assert unpaid["$total"] == 4
    searched = client.get("/sales_invoices", params={"search": "northwind"}).json()
    assert [i["displayed_as"] for i in searched["$items"]] == ["SI-2"]
    bad = client.get("/sales_invoices", params={"sort": "colour:asc"})
    assert bad.status_code == 422
    assert bad.json()[0]["$source"] == "sort"


def test_paging_a_large_list_stays_linear(sandbox: Sandbox, client: httpx.Client) -> None:
    """fetchAll over many pages filters once per collection version, not once per page."""
    _customers(client, 600)
    calls = 0
    original = sandbox._matching

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)  # type: ignore[arg-type]

    sandbox._matching = counting  # type: ignore[method-assign,assignment]
    seen = 0
    link: str | None = "/contacts?items_per_page=200&contact_type_id=CUSTOMER"
    while link:
        page = client.get(link).json()
        seen += len(page["$items"])
        link = page["$next"]
    assert seen == 604
    assert len(sandbox._list_cache) == 1
    assert calls == 4


@pytest.mark.parametrize("resource", ["contacts", "ledger_accounts", "sales_invoices"])
def test_every_list_has_the_envelope(client: httpx.Client, resource: str) -> None:
    page = client.get(f"/{resource}").json()
    assert list(page) == ["$total", "$page", "$next", "$back", "$itemsPerPage", "$items"]


def test_bulk_contacts_for_benchmarks(sandbox: Sandbox, client: httpx.Client) -> None:
    ids = sandbox.add_contacts(250, prefix="Bench", contact_type="VENDOR")
    assert len(set(ids)) == 250
    page = client.get("/contacts", params={"search": "bench", "items_per_page": 200}).json()
    assert page["$total"] == 250
    assert page["$items"][0]["displayed_as"] == "Bench 000"
