"""The Sage 200 sandbox's state file, chaos knobs and ASGI app."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from sage200.sandbox import Chaos, Clock, Sandbox, create_app
from sageflow.sandbox import SandboxesASGI


def _client(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(
        transport=sandbox.transport(), base_url=sandbox.api_base, headers=sandbox.headers()
    )


def _customer(sandbox: Sandbox, reference: str) -> int:
    record = sandbox.company().find("customers", reference=reference)
    assert record is not None
    return int(record["id"])


def test_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sage200.db"
    first = Sandbox(clock=Clock.manual(), data=path)
    customer = _customer(first, "BRI001")
    with _client(first) as http:
        created = http.post("/customers", json={"reference": "KEEP01", "name": "Kept"}).json()
        urn = http.post(
            "/sales_invoices",
            json={"customer_id": customer, "document_goods_value": 12.34, "document_tax_value": 0},
        ).json()["urn"]
        assert http.delete(f"/cost_centres/{created['id']}").status_code == 404
        centre = http.post("/cost_centres", json={"code": "TMP"}).json()
        assert http.delete(f"/cost_centres/{centre['id']}").status_code == 200
        refused = http.post("/customers", json={"reference": "KEEP01", "name": "Twin"})
        assert refused.status_code == 400
    first.close()
    second = Sandbox(clock=Clock.manual(), data=path)
    with _client(second) as http:
        assert http.get(f"/customers/{created['id']}").json()["name"] == "Kept"
        posted = http.get("/sales_posted_transactions", params={"$filter": f"urn eq {urn}"}).json()
        assert posted[0]["document_goods_value"] == 12.34
        balance = http.get(f"/customers/{customer}").json()["balance"]
        assert balance == 12.34
        assert http.get(f"/cost_centres/{centre['id']}").status_code == 404
        # Ids and urns go on from where the first process stopped.
        again = http.post("/customers", json={"reference": "NEXT01", "name": "Next"}).json()
        assert again["id"] > centre["id"]
    assert [c["reference"] for c in second.records("customers")].count("KEEP01") == 1
    second.close()


def test_two_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    one = Sandbox(clock=Clock.manual(), data=path)
    two = Sandbox(clock=Clock.manual(), data=path)
    with _client(one) as first, _client(two) as second:
        a = first.post("/customers", json={"reference": "ONE001", "name": "One"}).json()
        b = second.post("/customers", json={"reference": "TWO001", "name": "Two"}).json()
        assert a["id"] != b["id"]
        assert second.get(f"/customers/{a['id']}").status_code == 200
        refs = {row["reference"] for row in first.get("/customers").json()}
        assert {"ONE001", "TWO001"} <= refs
    one.close()
    two.close()


@pytest.mark.parametrize(
    ("chaos", "gateway", "status", "retry_after"),
    [
        pytest.param(Chaos(throttle_rate=1.0, retry_after=7), 0.0, 429, "7", id="429"),
        pytest.param(Chaos(unavailable_rate=1.0, retry_after=3), 0.0, 503, "3", id="503"),
        pytest.param(Chaos(retry_after=5), 1.0, 504, "5", id="504"),
        pytest.param(Chaos(error_rate=1.0), 0.0, 500, None, id="500"),
    ],
)
def test_faults_carry_back_off_headers(
    chaos: Chaos, gateway: float, status: int, retry_after: str | None
) -> None:
    sandbox = Sandbox(clock=Clock.manual(), chaos=chaos, gateway_timeout_rate=gateway)
    before = len(sandbox.records("customers"))
    with _client(sandbox) as http:
        response = http.post("/customers", json={"reference": "NO0001", "name": "Never"})
    assert response.status_code == status
    assert response.headers.get("retry-after") == retry_after
    assert len(sandbox.records("customers")) == before
    assert sandbox.stats.by_status[status] == 1


def test_rate_limit_follows_sandbox_time() -> None:
    sandbox = Sandbox(clock=Clock.manual(), chaos=Chaos(rate_limit=2))
    with _client(sandbox) as http:
        codes = [http.get("/sites").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        sandbox.advance(1)
        assert http.get("/sites").status_code == 200
    assert sandbox.stats.throttled == 1


def test_dropped_after_commit_keeps_the_write() -> None:
    sandbox = Sandbox(clock=Clock.manual(), chaos=Chaos(drop_rate=1.0))
    with _client(sandbox) as http, pytest.raises(httpx.RemoteProtocolError):
        http.post("/customers", json={"reference": "DROP01", "name": "Dropped"})
    assert sandbox.company().find("customers", reference="DROP01") is not None
    assert sandbox.stats.faults["drop"] == 1


def test_timeouts_raise_in_process() -> None:
    sandbox = Sandbox(clock=Clock.manual(), chaos=Chaos(timeout_rate=1.0))
    with _client(sandbox) as http, pytest.raises(httpx.ReadTimeout):
        http.get("/customers")


def _served(app: Any, sandbox: Sandbox, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8765"
        ) as http:
            return await http.get(path, headers=sandbox.headers())

    return asyncio.run(call())


def test_served_app_answers_like_the_transport() -> None:
    sandbox = Sandbox(clock=Clock.manual())
    app = create_app(sandbox)
    response = _served(app, sandbox, "/uk/sage200extra/accounts/v1/customers?$top=2&$orderby=id")
    assert response.status_code == 200
    assert len(response.json()) == 2
    # Beside the Sage Accounting sandbox on one port, its API path picks it.
    both = SandboxesASGI([("/v3.1", object()), ("/uk/sage200extra/accounts/v1", sandbox)])  # type: ignore[list-item]
    sites = _served(both, sandbox, "/uk/sage200extra/accounts/v1/sites")
    assert sites.json()[0]["company_id"] == 1
    labels = [label for label, _ in sandbox.describe("http://127.0.0.1:8765")]
    assert labels == ["Sub. key", "X-Site", "X-Company", "Sage ID"]


def test_async_transport() -> None:
    sandbox = Sandbox(clock=Clock.manual())

    async def call() -> Any:
        async with httpx.AsyncClient(
            transport=sandbox.async_transport(),
            base_url=sandbox.api_base,
            headers=sandbox.headers(),
        ) as http:
            return (await http.get("/tax_codes")).json()

    assert len(asyncio.run(call())) == 5
