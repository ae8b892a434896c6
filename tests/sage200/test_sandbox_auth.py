"""The Sage 200 sandbox's gateway: subscription key, bearer token, X-Site and X-Company."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sage200.sandbox import DEV_SUBSCRIPTION_KEY, DEV_TOKEN, SITE_ID, Clock, Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    simulator = Sandbox(clock=Clock.manual())
    yield simulator
    simulator.close()


def _client(sandbox: Sandbox, headers: dict[str, str]) -> httpx.Client:
    return httpx.Client(transport=sandbox.transport(), base_url=sandbox.api_base, headers=headers)


GOOD = {
    "Authorization": f"Bearer {DEV_TOKEN}",
    "ocp-apim-subscription-key": DEV_SUBSCRIPTION_KEY,
    "X-Site": SITE_ID,
    "X-Company": "1",
}


def _without(*names: str, **values: str) -> dict[str, str]:
    headers = {key: value for key, value in GOOD.items() if key not in names}
    headers.update({key.replace("_", "-"): value for key, value in values.items()})
    return headers


@pytest.mark.parametrize(
    ("headers", "status", "text"),
    [
        pytest.param(
            _without("ocp-apim-subscription-key"), 401, "missing subscription key", id="no-key"
        ),
        pytest.param(
            _without(ocp_apim_subscription_key="wrong"),
            401,
            "invalid subscription key",
            id="bad-key",
        ),
        pytest.param(_without("Authorization"), 401, "Access token is missing", id="no-token"),
        pytest.param(
            _without(Authorization="Bearer nope"), 401, "missing or invalid", id="bad-token"
        ),
        pytest.param(_without(Authorization=f"Basic {DEV_TOKEN}"), 401, "missing", id="not-bearer"),
    ],
)
def test_gateway_refusals(
    sandbox: Sandbox, headers: dict[str, str], status: int, text: str
) -> None:
    with _client(sandbox, headers) as http:
        response = http.get("/customers")
    assert response.status_code == status
    body = response.json()
    assert body["statusCode"] == status
    assert text in body["message"]


@pytest.mark.parametrize(
    ("headers", "status", "text"),
    [
        pytest.param(_without("X-Site"), 400, "X-Site header is required", id="no-site"),
        pytest.param(_without("X-Company"), 400, "X-Company header is required", id="no-company"),
        pytest.param(_without(X_Company="one"), 400, "not an integer", id="company-not-int"),
        pytest.param(
            _without(X_Site="00000000-0000-0000-0000-000000000000"), 403, "site", id="other-site"
        ),
        pytest.param(_without(X_Company="99"), 403, "company", id="other-company"),
    ],
)
def test_site_and_company(
    sandbox: Sandbox, headers: dict[str, str], status: int, text: str
) -> None:
    with _client(sandbox, headers) as http:
        response = http.get("/customers")
        assert response.status_code == status
        assert text in response.json()["Message"]
        # /sites is how a client finds both headers: it needs neither.
        assert http.get("/sites").status_code == 200


def test_sites_lists_every_company_of_the_site(sandbox: Sandbox) -> None:
    with _client(sandbox, _without("X-Site", "X-Company")) as http:
        sites = http.get("/sites").json()
    assert [(row["site_id"], row["company_id"]) for row in sites] == [(SITE_ID, 1), (SITE_ID, 2)]
    assert set(sites[0]) == {
        "company_id",
        "company_name",
        "site_id",
        "site_name",
        "site_short_name",
    }


def test_companies_are_separate_books(sandbox: Sandbox) -> None:
    with _client(sandbox, _without(X_Company="2")) as http:
        assert http.get("/customers").json() == []
        assert len(http.get("/tax_codes").json()) == 5
    with _client(sandbox, GOOD) as http:
        assert len(http.get("/customers").json()) == 6


def test_issued_tokens_expire_with_sandbox_time(sandbox: Sandbox) -> None:
    token = sandbox.issue_token()["access_token"]
    with _client(sandbox, _without(Authorization=f"Bearer {token}")) as http:
        assert http.get("/sites").status_code == 200
        sandbox.advance(301)
        assert http.get("/sites").status_code == 401


def test_unknown_routes_and_methods(sandbox: Sandbox) -> None:
    with _client(sandbox, GOOD) as http:
        missing = http.get("/no_such_resource")
        assert missing.status_code == 404
        assert "No HTTP resource" in missing.json()["Message"]
        assert http.get("/customers/999999").status_code == 404
        assert http.get("/customers/abc").status_code == 400
        refused = http.delete("/tax_codes")
        assert refused.status_code == 405
        assert refused.headers["allow"] == "GET"
        assert http.get("/sales_invoices").status_code == 405
        # A list without single-record routes in the spec has none here either.
        assert http.get("/financial_year_period_views/202601").status_code == 404
        assert http.get("/customers/1/customer_contacts").status_code == 404
    with httpx.Client(transport=sandbox.transport(), base_url="http://sandbox200") as http:
        assert http.get("/v3.1/contacts", headers=GOOD).status_code == 404


def test_both_editions_answer(sandbox: Sandbox) -> None:
    with httpx.Client(
        transport=sandbox.transport(), base_url="http://sandbox200/uk/sage200/accounts/v1"
    ) as http:
        assert http.get("/sites", headers=GOOD).status_code == 200


def test_tunnel_down_is_504_with_an_empty_sites_list() -> None:
    simulator = Sandbox(clock=Clock.manual(), tunnel_down=True)
    with _client(simulator, GOOD) as http:
        sites = http.get("/sites")
        assert (sites.status_code, sites.json()) == (504, [])
        assert http.get("/customers").status_code == 504


def test_no_auth_switch(sandbox: Sandbox) -> None:
    simulator = Sandbox(clock=Clock.manual(), require_auth=False)
    with _client(simulator, {"X-Site": SITE_ID, "X-Company": "1"}) as http:
        assert http.get("/customers").status_code == 200
