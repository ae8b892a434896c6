"""Every recorded Sage response the sandbox can answer, compared with the sandbox's answer.

``../shared/reference/sage-accounting-v3.1-samples/`` holds 43 responses (real recordings,
Sage's guide examples and Sage's swagger examples). For each one whose resource the sandbox
serves, the same request is made to a fresh sandbox and the two are compared: the envelope's
keys and order for lists, every key of the recorded body present with the same JSON type
(recursively; ``null`` on either side is not compared, since Sage sends null for whatever a
business has not set). Every sample is in exactly one of the two tables below, with the reason
when the sandbox does not serve it, so a new sample cannot be skipped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandboxkit import by_code, contact_id, make_client, suite

from sage_accounting.sandbox import Chaos, Clock, Sandbox, SandboxTransport

Fetch = Callable[[Sandbox, httpx.Client], Any]


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def shape_problems(sample: Any, mine: Any, where: str = "$") -> list[str]:
    """Keys of ``sample`` missing from ``mine``, and JSON type mismatches, recursively."""
    problems: list[str] = []
    if _type(sample) != _type(mine):
        return [f"{where}: {_type(sample)} recorded, {_type(mine)} from the sandbox"]
    if isinstance(sample, dict):
        for key, value in sample.items():
            if key not in mine:
                problems.append(f"{where}.{key} is missing")
            elif value is not None and mine[key] is not None:
                problems += shape_problems(value, mine[key], f"{where}.{key}")
    elif isinstance(sample, list) and sample and mine:
        problems += shape_problems(sample[0], mine[0], f"{where}[0]")
    return problems


def _get(path: str, **params: str) -> Fetch:
    def fetch(sandbox: Sandbox, client: httpx.Client) -> Any:
        return client.get(path.format(**_ids(client)), params=params).json()

    return fetch


def _ids(client: httpx.Client) -> dict[str, str]:
    first_sale = client.get("/sales_invoices").json()["$items"][0]["id"]
    return {
        "customer": contact_id(client, "ACME001"),
        "supplier": contact_id(client, "OAK001"),
        "invoice": first_sale,
        "ledger": by_code(client, 4000)["id"],
        "product": client.get("/products").json()["$items"][0]["id"],
    }


def _bare(request: Callable[[httpx.Client], httpx.Response]) -> Fetch:
    """A request without the suite's bearer token (errors and OAuth)."""

    def fetch(sandbox: Sandbox, client: httpx.Client) -> Any:
        transport = SandboxTransport(sandbox)
        with httpx.Client(transport=transport, base_url="http://sandbox") as bare:
            return request(bare).json()

    return fetch


def _post_contact(sandbox: Sandbox, client: httpx.Client) -> Any:
    body = {"name": "Sample Ltd", "contact_type_ids": ["CUSTOMER"], "reference": "SAMPLE"}
    return client.post("/contacts", json={"contact": body}).json()


def _server_error(sandbox: Sandbox, client: httpx.Client) -> Any:
    failing = Sandbox(clock=Clock.manual(), chaos=Chaos(error_rate=1.0))
    with make_client(failing) as other:
        return other.get("/contacts").json()


def _forbidden(sandbox: Sandbox, client: httpx.Client) -> Any:
    return client.get("/contacts", headers={"X-Business": "0" * 32}).json()


def _not_allowed(sandbox: Sandbox, client: httpx.Client) -> Any:
    return client.delete(f"/ledger_accounts/{_ids(client)['ledger']}").json()


def _supplier_refused(sandbox: Sandbox, client: httpx.Client) -> Any:
    line = {
        "description": "Boards",
        "ledger_account_id": by_code(client, 5000)["id"],
        "quantity": "1",
        "unit_price": "10",
        "tax_amount": "2",
    }
    body = {
        "contact_id": contact_id(client, "ACME001"),
        "date": "2026-01-05",
        "due_date": "2026-02-04",
        "invoice_lines": [line],
    }
    return client.post("/purchase_invoices", json={"purchase_invoice": body}).json()


def _unknown_ledger(sandbox: Sandbox, client: httpx.Client) -> Any:
    line = {"description": "x", "ledger_account_id": "0" * 32, "unit_price": "1"}
    body = {"contact_id": contact_id(client, "ACME001"), "date": "2026-01-05"}
    return client.post("/sales_invoices", json={"sales_invoice": {**body, "invoice_lines": [line]}})


def _journal_ledger(sandbox: Sandbox, client: httpx.Client) -> Any:
    # The journal's nested ledger accounts (with balance_details) against the sandbox's own.
    ledger = _ids(client)["ledger"]
    return {
        "journal_lines": [
            {
                "ledger_account": client.get(
                    f"/ledger_accounts/{ledger}", params={"show_balance_details": "true"}
                ).json()
            }
        ]
    }


def _journal_part(sample: Any) -> Any:
    return {"journal_lines": [{"ledger_account": sample["journal_lines"][0]["ledger_account"]}]}


_TOKEN_FORM = "grant_type=refresh_token&client_id=sandbox-client&refresh_token="


def _token(sandbox: Sandbox, client: httpx.Client) -> Any:
    refresh = sandbox.issue_token()["refresh_token"]
    return _bare(
        lambda bare: bare.post(
            "/oauth2/token",
            content=_TOKEN_FORM + str(refresh),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    )(sandbox, client)


def _bank(sandbox: Sandbox, client: httpx.Client) -> Any:
    current = client.get("/bank_accounts").json()["$items"][0]["id"]
    return client.get(f"/bank_accounts/{current}").json()


def _payment_on_account(sandbox: Sandbox, client: httpx.Client) -> Any:
    # The sample's payment: 120.00 with nothing allocated, 20.00 of its payment on account
    # since set against an invoice (outstanding 100.00, PART_PAID).
    ids = _ids(client)
    bank = client.get("/bank_accounts").json()["$items"][0]["id"]
    payment = {
        "transaction_type_id": "CUSTOMER_RECEIPT",
        "contact_id": ids["customer"],
        "bank_account_id": bank,
        "date": "2026-01-05",
        "total_amount": "120.00",
        "reference": "ACME payment",
    }
    made = client.post("/contact_payments", json={"contact_payment": payment}).json()
    invoice = client.get("/sales_invoices", params={"contact_id": ids["customer"]}).json()
    allocation = {
        "transaction_type_id": "CUSTOMER_ALLOCATION",
        "contact_id": ids["customer"],
        "allocated_artefacts": [
            {"artefact_id": invoice["$items"][0]["id"], "amount": "20.00"},
            {"artefact_id": made["payment_on_account"]["id"], "amount": "-20.00"},
        ],
    }
    client.post("/contact_allocations", json={"contact_allocation": allocation})
    return client.get(f"/contact_payments/{made['id']}").json()


#: sample file -> (how to ask the sandbox, what part of the sample to compare or None: all)
SERVED: dict[str, tuple[Fetch, Callable[[Any], Any] | None]] = {
    "bank_accounts__get_one__sage-swagger-2025-example.json": (_bank, None),
    "bank_accounts__list_paged_attributes__ledgerscope-SageOneApi.json": (
        _get("/bank_accounts", attributes="all", items_per_page="50"),
        None,
    ),
    "contact_payments__get_one_payment_on_account__sage-swagger-2025-example.json": (
        _payment_on_account,
        None,
    ),
    "businesses__list__ledgerscope-SageOneApi.json": (_get("/businesses"), None),
    "businesses__list__sage-guide-best-practices.json": (_get("/businesses"), None),
    "businesses__list__sage-guide-quickstart.json": (_get("/businesses"), None),
    "contact_types__list__DeskproApps-sage.json": (_get("/contact_types"), None),
    "contacts__get_one_customer__DeskproApps-sage.json": (
        _get("/contacts/{customer}", attributes="all", nested_attributes="all"),
        None,
    ),
    "contacts__get_one_supplier__DeskproApps-sage.json": (
        _get("/contacts/{supplier}", attributes="all", nested_attributes="all"),
        None,
    ),
    "contacts__list_new_uk_business__sage-guide-quickstart.json": (_get("/contacts"), None),
    "contacts__list_show_legacy_id__sage-guide-migrating-v1.json": (
        _get("/contacts", show_legacy_id="true"),
        None,
    ),
    "contacts__post_201_partial__sage-guide-invoicing.json": (_post_contact, None),
    "errors__401_access_token_invalid__cauldron-live.json": (
        _bare(lambda bare: bare.get("/v3.1/contacts", headers={"Authorization": "Bearer notreal"})),
        None,
    ),
    "errors__401_authorization_header_missing__cauldron-live.json": (
        _bare(lambda bare: bare.get("/v3.1/contacts")),
        None,
    ),
    "errors__403_multi_user_access_denied__sage-guide-errors.json": (_forbidden, None),
    "errors__405_method_not_allowed_category_in_use__sage-guide-analysis-types.json": (
        _not_allowed,
        None,
    ),
    "errors__500_unexpected_error__sage-guide-errors.json": (_server_error, None),
    "errors__record_invalid_couldnt_find_supplier__sageone-php-sample-issue29.json": (
        _supplier_refused,
        None,
    ),
    "errors__record_not_found_on_invoice_post__sageone-php-sample-issue32.json": (
        lambda sandbox, client: _unknown_ledger(sandbox, client).json(),
        None,
    ),
    "financial_settings__get__ledgerscope-SageOneApi.json": (_get("/financial_settings"), None),
    "journals__post_201__sage-guide-journals.json": (_journal_ledger, _journal_part),
    "ledger_accounts__get_one__sage-swagger-2025-example.json": (
        _get("/ledger_accounts/{ledger}"),
        None,
    ),
    "ledger_accounts__list_paged__sage-swagger-2025-example.json": (
        _get("/ledger_accounts", items_per_page="10"),
        None,
    ),
    "ledger_accounts__list_visible_in_sales_us__sage-guide-invoicing.json": (
        _get("/ledger_accounts", visible_in="sales", items_per_page="200"),
        None,
    ),
    "oauth_revoke__200__sage-guide-auth.json": (
        _bare(
            lambda bare: bare.post(
                "/oauth2/revoke",
                content="token=x&client_id=sandbox-client",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        ),
        None,
    ),
    "oauth_token__200_authorization_code__sage-guide-auth.json": (_token, None),
    "oauth_token__400_invalid_grant__sage-guide-errors.json": (
        _bare(
            lambda bare: bare.post(
                "/oauth2/token",
                content=_TOKEN_FORM + "expired",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        ),
        None,
    ),
    "purchase_invoices__list_attributes_all__DeskproApps-sage.json": (
        _get("/purchase_invoices", attributes="all"),
        None,
    ),
    "sales_invoices__get_one__DeskproApps-sage.json": (
        _get("/sales_invoices/{invoice}", attributes="all", nested_attributes="all"),
        None,
    ),
    "sales_invoices__get_one_attributes_date_total__sage-guide-attributes.json": (
        _get("/sales_invoices/{invoice}", attributes="date,total_amount"),
        None,
    ),
    "sales_invoices__list_attributes_all__DeskproApps-sage.json": (
        _get("/sales_invoices", attributes="all"),
        None,
    ),
    "sales_invoices__list_attributes_date_due_date__sage-guide-attributes.json": (
        _get("/sales_invoices", attributes="date,due_date"),
        None,
    ),
    "sales_invoices__list_paged_attributes_date_sorted__ledgerscope-SageOneApi.json": (
        _get("/sales_invoices", page="1", items_per_page="1", attributes="date", sort="date:asc"),
        None,
    ),
    "tax_rates__get_one_gb_standard__sage-swagger-2025-example.json": (
        _get("/tax_rates/GB_STANDARD"),
        None,
    ),
    "tax_rates__list__sage-swagger-2025-example.json": (_get("/tax_rates"), None),
    "products__get_one__sage-swagger-2025-example.json": (_get("/products/{product}"), None),
    "products__list_default__sage-guide-inventory.json": (_get("/products"), None),
    "products__list_paged_attributes_all__ledgerscope-SageOneApi.json": (
        _get("/products", page="1", items_per_page="50", attributes="all"),
        None,
    ),
}

#: sample file -> why the sandbox does not answer it (docs/sandbox-fidelity.md, "not served")
NOT_SERVED: dict[str, str] = {
    "attachments__get_one__sage-swagger-2025-example.json": "no /attachments",
    "errors__401_no_active_subscription__sage-guide-errors.json": "no subscriptions simulated",
    "journals__get_one__sage-swagger-2025-example.json": "no /journals",
    "purchase_credit_notes__get_one__sage-swagger-2025-example.json": "no credit notes",
    "sales_quotes__list_page2_truncated__sage-guide-pagination.json": "no /sales_quotes",
}


def _samples() -> list[str]:
    folder = Path(suite().SAMPLES)
    if not folder.is_dir():
        pytest.skip(f"Sage reference samples not found at {folder}")
    return sorted(p.name for p in folder.glob("*.json"))


def test_every_sample_is_compared_or_says_why_not() -> None:
    names = _samples()
    assert len(names) == 43
    assert set(SERVED).isdisjoint(NOT_SERVED)
    assert sorted([*SERVED, *NOT_SERVED]) == names


@pytest.mark.parametrize("name", sorted(SERVED))
def test_the_sandbox_answers_in_the_samples_shape(name: str) -> None:
    recorded = suite().load_sample(name)
    fetch, part = SERVED[name]
    sandbox = Sandbox(clock=Clock.manual())
    with make_client(sandbox) as client:
        mine = fetch(sandbox, client)
    if part is not None:
        recorded = part(recorded)
    if isinstance(recorded, dict) and "$items" in recorded:
        # A list: the same envelope, in the same order, and items of the same shape.
        assert list(mine) == list(recorded)
        assert mine["$items"], "the sandbox's list is empty: nothing to compare"
    assert shape_problems(recorded, mine) == []


def test_the_shape_check_fails_on_a_planted_difference() -> None:
    recorded = {"a": {"b": "1.0", "c": [{"d": 1}]}}
    assert shape_problems(recorded, {"a": {"b": "1.0", "c": [{"d": 2}]}}) == []
    assert shape_problems(recorded, {"a": {"b": 1.0, "c": [{"d": 2}]}}) == [
        "$.a.b: str recorded, number from the sandbox"
    ]
    assert shape_problems(recorded, {"a": {"b": "1.0", "c": [{}]}}) == ["$.a.c[0].d is missing"]
