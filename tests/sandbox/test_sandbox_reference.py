"""The simulator against Sage's own documents: every served route is in the spec, and the
recorded real responses are reproduced in shape (same keys, same JSON value types)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandboxkit import contact_id, suite

from sage_accounting.sandbox._core import ROUTES, Sandbox

pytestmark = pytest.mark.usefixtures("reference")


def load_sample(name: str) -> Any:
    return suite().load_sample(name)


def spec_operation(method: str, path: str) -> Any:
    return suite().spec_operation(method, path)


def _served_routes() -> list[tuple[str, str, str | None]]:
    """(method, concrete path, body wrapper) for every route the sandbox answers."""
    key = "0123456789abcdef0123456789abcdef"
    routes: list[tuple[str, str, str | None]] = []
    for name, (wrapper, on_collection, on_record) in ROUTES.items():
        routes += [(m, f"/{name}", wrapper if m == "POST" else None) for m in on_collection]
        routes += [(m, f"/{name}/{key}", wrapper if m == "PUT" else None) for m in on_record]
    routes += [
        ("POST", f"/sales_invoices/{key}/release", None),
        ("POST", f"/purchase_invoices/{key}/release", None),
        ("GET", "/financial_settings", None),
        ("PUT", "/financial_settings", "financial_settings"),
        ("GET", "/user", None),
        ("PUT", "/user", "user"),
        ("GET", "/businesses", None),
        ("GET", f"/businesses/{key}", None),
        ("PUT", f"/businesses/{key}", "business"),
    ]
    return routes


@pytest.mark.parametrize(
    ("method", "path", "wrapper"),
    [pytest.param(*route, id=f"{route[0]} {route[1]}") for route in _served_routes()],
)
def test_every_served_route_is_in_the_spec(method: str, path: str, wrapper: str | None) -> None:
    operation = spec_operation(method, path)
    assert operation is not None, f"{method} {path} is not in Sage's v3.1 spec"
    if wrapper is not None:
        assert wrapper in operation.body_wrapper()


def _type(value: Any) -> str:
    return (
        "number"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else type(value).__name__
    )


def _shape_problems(sample: Any, mine: Any, where: str = "$") -> list[str]:
    """Keys of ``sample`` missing from ``mine`` and type mismatches, recursively.

    ``null`` on either side is not compared: Sage sends null for whatever a business has not
    set, and the recorded businesses and the sandbox's seed set different things.
    """
    problems: list[str] = []
    if isinstance(sample, dict) and isinstance(mine, dict):
        for key, value in sample.items():
            if key not in mine:
                problems.append(f"{where}.{key} is missing")
            elif value is not None and mine[key] is not None:
                if _type(value) != _type(mine[key]):
                    problems.append(f"{where}.{key}: {_type(value)} vs {_type(mine[key])}")
                else:
                    problems += _shape_problems(value, mine[key], f"{where}.{key}")
    elif isinstance(sample, list) and isinstance(mine, list) and sample and mine:
        problems += _shape_problems(sample[0], mine[0], f"{where}[0]")
    return problems


def _get(client: httpx.Client, path: str, **params: str) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200
    return response.json()


def test_contacts_match_the_recorded_shape(client: httpx.Client) -> None:
    for sample, reference in (
        ("contacts__get_one_customer__DeskproApps-sage.json", "ACME001"),
        ("contacts__get_one_supplier__DeskproApps-sage.json", "OAK001"),
    ):
        mine = _get(
            client,
            f"/contacts/{contact_id(client, reference)}",
            attributes="all",
            nested_attributes="all",
        )
        assert _shape_problems(load_sample(sample), mine) == []


def test_sales_invoice_matches_the_recorded_shape(client: httpx.Client) -> None:
    first = _get(client, "/sales_invoices")["$items"][0]["id"]
    mine = _get(client, f"/sales_invoices/{first}", attributes="all", nested_attributes="all")
    sample = load_sample("sales_invoices__get_one__DeskproApps-sage.json")
    assert _shape_problems(sample, mine) == []
    assert isinstance(mine["total_amount"], str)


@pytest.mark.parametrize(
    ("sample", "path", "params"),
    [
        pytest.param(
            "sales_invoices__list_attributes_all__DeskproApps-sage.json",
            "/sales_invoices",
            {"attributes": "all"},
            id="sales-invoices",
        ),
        pytest.param(
            "purchase_invoices__list_attributes_all__DeskproApps-sage.json",
            "/purchase_invoices",
            {"attributes": "all"},
            id="purchase-invoices",
        ),
        pytest.param(
            "contact_types__list__DeskproApps-sage.json", "/contact_types", {}, id="contact-types"
        ),
        pytest.param("businesses__list__ledgerscope-SageOneApi.json", "/businesses", {}, id="biz"),
        pytest.param(
            "financial_settings__get__ledgerscope-SageOneApi.json",
            "/financial_settings",
            {},
            id="financial-settings",
        ),
    ],
)
def test_lists_and_settings_match_the_recorded_shape(
    client: httpx.Client, sample: str, path: str, params: dict[str, str]
) -> None:
    recorded = load_sample(sample)
    mine = _get(client, path, **params)
    assert list(mine) == list(recorded)
    assert _shape_problems(recorded, mine) == []


def test_paged_sorted_list_matches_the_recorded_one(client: httpx.Client) -> None:
    recorded = load_sample(
        "sales_invoices__list_paged_attributes_date_sorted__ledgerscope-SageOneApi.json"
    )
    query = "page=1&items_per_page=1&attributes=date&sort=date:asc"
    mine = client.get(f"/sales_invoices?{query}").json()
    assert list(mine) == list(recorded)
    assert mine["$items"][0].keys() == recorded["$items"][0].keys()
    expected = "/sales_invoices?page=2&items_per_page=1&attributes=date&sort=date:asc"
    assert mine["$next"] == recorded["$next"] == expected


def test_list_items_are_stubs_like_sages(sandbox: Sandbox, client: httpx.Client) -> None:
    recorded = load_sample("contact_types__list__DeskproApps-sage.json")
    assert _get(client, "/contact_types") == recorded  # same ids, names and paths as Sage's
