"""The Chift sandbox for Sage GE: token, routes, paging, folders, idempotent creates, each Sage GE
rule refused with its Chift error code, and state surviving a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sage_ge.sandbox import ACCOUNT_ID, DEV_TOKEN, TOKEN_LIFETIME, Chaos, Clock, Sandbox

AUTH = {"authorization": f"Bearer {DEV_TOKEN}"}
ROOT = "http://sandbox/chift"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(clock=Clock.manual())  # 2026-01-05: 2024 closed, 2025 and 2026 open
    yield box
    box.close()


def client(box: Sandbox, **headers: str) -> httpx.Client:
    return httpx.Client(
        transport=box.transport(), base_url=box.api_base, headers={**AUTH, **headers}
    )


def line(account: str, debit: float = 0, credit: float = 0, **extra: Any) -> dict[str, Any]:
    kind = extra.pop("account_type", "general_account")
    return {"account_type": kind, "account": account, "debit": debit, "credit": credit, **extra}


def sale(**changes: Any) -> dict[str, Any]:
    """A balanced sales entry on 411000 (through client CDUPONT), 706000 and 445710."""
    entry: dict[str, Any] = {
        "journal_id": "1",
        "number": "F2026-001",
        "currency": "EUR",
        "date": "2026-01-04",
        "items": [
            line("CDUPONT", debit=120, account_type="customer_account", description="Dupont"),
            line("706000", credit=100, tax_code="20", description="Prestation janvier"),
            line("445710", credit=20, description="TVA collectée"),
        ],
    }
    entry.update(changes)
    return entry


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is Chift's error shape with this status and error_code."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code
    assert body["status"] == "error"
    assert set(body) <= {"status", "message", "error_code", "detail"}
    assert body["message"]
    return body


# -- token and bearer -------------------------------------------------------------------------


def test_token_is_a_30_minute_bearer(sandbox: Sandbox) -> None:
    with httpx.Client(transport=sandbox.transport()) as http:
        answer = http.post(
            f"{ROOT}/token",
            json={"clientId": "my-client", "clientSecret": "s3cret", "accountId": ACCOUNT_ID},
        )
        assert answer.status_code == 200
        token = answer.json()
        assert token["token_type"] == "bearer"
        assert token["expires_in"] == TOKEN_LIFETIME == 1800
        assert token["expires_on"] == int(sandbox.clock.time()) + 1800
        bearer = {"authorization": f"Bearer {token['access_token']}"}
        assert http.get(f"{sandbox.api_base}/journals", headers=bearer).status_code == 200
        sandbox.advance(1799)
        assert http.get(f"{sandbox.api_base}/journals", headers=bearer).status_code == 200
        sandbox.advance(1)
        expired = http.get(f"{sandbox.api_base}/journals", headers=bearer)
        refused(expired, 401, "ERROR_CHIFT_AUTHENTICATION_ERROR")
        # The dev token never expires.
        assert http.get(f"{sandbox.api_base}/journals", headers=AUTH).status_code == 200


def test_token_refuses_bad_credentials_and_bodies(sandbox: Sandbox) -> None:
    with httpx.Client(transport=sandbox.transport()) as http:
        wrong = {"clientId": "c", "clientSecret": "s", "accountId": "not-this-account"}
        refused(http.post(f"{ROOT}/token", json=wrong), 401, "ERROR_CHIFT_AUTHENTICATION_ERROR")
        empty = {"clientId": "c", "clientSecret": "", "accountId": ACCOUNT_ID}
        refused(http.post(f"{ROOT}/token", json=empty), 401, "ERROR_CHIFT_AUTHENTICATION_ERROR")
        missing = http.post(f"{ROOT}/token", json={"clientId": "c", "accountId": ACCOUNT_ID})
        assert missing.status_code == 422
        assert missing.json()["detail"][0]["loc"] == ["body", "clientSecret"]


def test_every_call_needs_a_valid_bearer(sandbox: Sandbox) -> None:
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.api_base) as http:
        refused(http.get("/folders"), 401, "ERROR_CHIFT_AUTHENTICATION_ERROR")
        bad = http.get("/folders", headers={"authorization": "Bearer forged"})
        refused(bad, 401, "ERROR_CHIFT_AUTHENTICATION_ERROR")
        post = http.post("/journal-entries", json=sale())
        refused(post, 401, "ERROR_CHIFT_AUTHENTICATION_ERROR")
    assert sandbox.records("entries") == []


# -- reads, paging, folders -------------------------------------------------------------------


def test_seeded_connection(sandbox: Sandbox) -> None:
    with client(sandbox) as http:
        folders = http.get("/folders").json()
        assert [f["id"] for f in folders] == ["DOSSIER01", "DOSSIER02"]  # a bare array
        assert http.get("/folders/DOSSIER02").json()["name"] == "Cabinet Dupuis SAS"
        years = http.get("/bookyears").json()["items"]
        assert [(y["start"], y["end"], y["closed"]) for y in years] == [
            ("2024-01-01", "2024-12-31", True),
            ("2025-01-01", "2025-12-31", False),
            ("2026-01-01", "2026-12-31", False),
        ]
        codes = [j["code"] for j in http.get("/journals").json()["items"]]
        assert {"VE", "AC", "BQ", "OD"} <= set(codes)
        rates = [v["rate"] for v in http.get("/vat-codes").json()["items"]]
        assert rates == [20.0, 10.0, 5.5, 2.1, 0.0]
        chart = http.get("/chart-of-accounts", params={"classes": "4"}).json()["items"]
        assert {"401000", "411000"} <= {a["number"] for a in chart}
        assert all(a["number"].startswith("4") for a in chart)
        banks = http.get("/chart-of-accounts", params={"type": "bank"}).json()["items"]
        assert [a["number"] for a in banks] == ["512000"]
        dupont = http.get("/clients/CDUPONT").json()
        assert (dupont["account_number"], dupont["third_party_account"]) == ("CDUPONT", "411000")
        orange = http.get("/suppliers/FORANGE").json()
        assert orange["third_party_account"] == "401000"
        refused(http.get("/clients/NOBODY"), 404, "ERROR_PARTNER_NOT_FOUND")
        found = http.get("/clients", params={"search": "leroy"}).json()["items"]
        assert [c["id"] for c in found] == ["CLEROY"]


def test_paging(sandbox: Sandbox) -> None:
    with client(sandbox) as http:
        first = http.get("/chart-of-accounts", params={"page": 1, "size": 4}).json()
        assert (first["total"], first["page"], first["size"]) == (15, 1, 4)
        assert len(first["items"]) == 4
        pages = [
            http.get("/chart-of-accounts", params={"page": p, "size": 4}).json()["items"]
            for p in (1, 2, 3, 4)
        ]
        numbers = [a["number"] for page in pages for a in page]
        assert len(numbers) == 15 == len(set(numbers))
        assert http.get("/chart-of-accounts", params={"page": 5, "size": 4}).json()["items"] == []
        assert http.get("/journals").json()["size"] == 50  # the OpenAPI's default
        assert http.get("/journals", params={"size": 100}).status_code == 200
        for params, field in (
            ({"size": 101}, "size"),
            ({"page": 0}, "page"),
            ({"size": "x"}, "size"),
        ):
            answer = http.get("/journals", params=params)
            assert answer.status_code == 422
            assert answer.json()["detail"][0]["loc"] == ["query", field]


def test_folder_id_selects_the_dossier() -> None:
    box = Sandbox(clock=Clock.manual(), missing_folder="error")
    with client(box) as http:
        first = http.get("/clients", params={"folder_id": "DOSSIER01"}).json()["items"]
        second = http.get("/clients", params={"folder_id": "DOSSIER02"}).json()["items"]
        assert "CDUPONT" in {c["id"] for c in first}
        assert [c["id"] for c in second] == ["CBERNARD"]
        refused(http.get("/clients"), 400, "ERROR_CONNECTOR_CONFIGURATION")
        unknown = http.get("/clients", params={"folder_id": "NOPE"})
        assert unknown.status_code == 404
        assert unknown.json()["status"] == "error"
        made = http.post("/journal-entries", params={"folder_id": "DOSSIER02"}, json=sale(
            items=[line("CBERNARD", debit=10, account_type="customer_account"),
                   line("706000", credit=10)]))  # fmt: skip
        assert made.status_code == 200
    assert len(box.records("entries", "DOSSIER02")) == 1
    assert box.records("entries", "DOSSIER01") == []


def test_unknown_route_and_unsupported_method(sandbox: Sandbox) -> None:
    with client(sandbox) as http:
        refused(http.get("/nothing-here"), 400, "ERROR_API_RESOURCE_NOT_FOUND")
        # Routes Chift has but the sandbox does not simulate: the connector's 405.
        refused(http.get("/schemes"), 405, "ERROR_RESOURCE_NOT_SUPPORTED")
        refused(http.post("/bank-transactions"), 405, "ERROR_RESOURCE_NOT_SUPPORTED")
        refused(http.get("/invoices/1/extra/x"), 400, "ERROR_API_RESOURCE_NOT_FOUND")
        refused(http.delete("/clients/CDUPONT"), 405, "ERROR_RESOURCE_NOT_SUPPORTED")
        other = f"{ROOT}/consumers/00000000-0000-0000-0000-000000000000/accounting/journals"
        refused(http.get(other), 400, "ERROR_NO_ACTIVE_CONNECTION")


# -- creates ----------------------------------------------------------------------------------


def test_create_client_and_supplier(sandbox: Sandbox) -> None:
    with client(sandbox) as http:
        made = http.post("/clients", json={"name": "Petit Café", "addresses": []})
        assert made.status_code == 200  # the OpenAPI's creates answer 200
        assert made.json()["account_number"] == "CPETITCAF"
        assert made.json()["third_party_account"] == "411000"
        assert http.get("/clients/CPETITCAF").json()["name"] == "Petit Café"
        again = http.post(
            "/clients", json={"name": "Autre", "addresses": [], "account_number": "CPETITCAF"}
        )
        refused(again, 400, "ERROR_PARTNER_ALREADY_EXISTS")
        supplier = http.post(
            "/suppliers", json={"name": "La Poste", "addresses": [], "vat": "FR39356000000"}
        )
        assert supplier.json()["third_party_account"] == "401000"
        bad_vat = http.post("/suppliers", json={"name": "X", "addresses": [], "vat": "FR 39.35"})
        refused(bad_vat, 422, "ERROR_INVALID_VAT_FORMAT")
        unknown = http.post("/clients", json={"name": "X", "addresses": [], "colour": "red"})
        assert unknown.status_code == 422
        assert unknown.json()["detail"][0]["loc"] == ["body", "colour"]


def test_create_and_list_journal_entries(sandbox: Sandbox) -> None:
    with client(sandbox) as http:
        made = http.post("/journal-entries", json=sale())
        assert made.status_code == 200, made.text
        entry = made.json()
        assert entry["journal_id"] == "1"
        assert entry["name"] == "F2026-001"
        first = entry["items"][0]
        assert (first["account_number"], first["partner_id"], first["debit"]) == (
            "411000",
            "CDUPONT",
            120.0,
        )
        assert http.get(f"/journal/entries/{entry['id']}").json()["id"] == entry["id"]
        listed = http.get("/journal/entries", params={"journal_id": "1"}).json()
        assert [e["id"] for e in listed["items"]] == [entry["id"]]
        assert "analytic_account" in listed["items"][0]["items"][0]  # the mono-plan list shape
        assert http.get("/journal/entries", params={"journal_id": "2"}).json()["total"] == 0
        by_partner = http.get("/journal/entries", params={"partner_id": "CDUPONT"}).json()
        assert by_partner["total"] == 1
        window = {"date_from": "2026-01-01", "date_to": "2026-01-31"}
        assert http.get("/journal/entries", params=window).json()["total"] == 1
        too_long = {"date_from": "2026-01-01", "date_to": "2026-06-30"}
        refused(http.get("/journal/entries", params=too_long), 400, "ERROR_MAX_DIFFERENCE_MONTHS")
        refused(http.get("/journal/entries/E999999"), 404, "ERROR_ENTRY_NOT_FOUND")


def test_bank_label_cut_at_30_and_missing_account_created(sandbox: Sandbox) -> None:
    label = "Virement SEPA reçu de Dupont SARL facture F2026"  # 47 characters
    entry = sale(
        journal_id="3",
        items=[
            line("512000", debit=120, description=label),
            line("CDUPONT", credit=120, account_type="customer_account", description=label),
        ],
    )
    with client(sandbox) as http:
        made = http.post("/journal-entries", json=entry).json()
        assert [i["description"] for i in made["items"]] == [label[:30]] * 2
        refused(
            http.post("/journal-entries", json=sale(items=[
                line("CDUPONT", debit=5, account_type="customer_account"),
                line("758000", credit=5)])),
            404, "ERROR_ACCOUNT_NUMBER_NOT_FOUND",
        )  # fmt: skip
        info = {"account_number": "758000", "account_name": "Compte 758000"}
        created = http.post("/journal-entries", json=sale(items=[
            line("CDUPONT", debit=5, account_type="customer_account"),
            line("758000", credit=5, account_info=info)]))  # fmt: skip
        assert created.status_code == 200, created.text
        chart = http.get("/chart-of-accounts", params={"classes": "7"}).json()["items"]
        assert {"number": "758000", "name": "Compte 758000"}.items() <= next(
            a for a in chart if a["number"] == "758000"
        ).items()


def test_idempotent_creates(sandbox: Sandbox) -> None:
    key = {"x-chift-client-requestid": "0b7c2f4e-1d3a-4e5f-8a9b-0c1d2e3f4a5b"}
    with client(sandbox) as http:
        first = http.post("/journal-entries", json=sale(), headers=key)
        second = http.post("/journal-entries", json=sale(), headers=key)
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
        assert len(sandbox.records("entries")) == 1
        assert sandbox.stats.replays == 1
        party = {"x-chift-client-requestid": "client-create-1"}
        a = http.post("/clients", json={"name": "Boucherie", "addresses": []}, headers=party)
        b = http.post("/clients", json={"name": "Boucherie", "addresses": []}, headers=party)
        assert a.json() == b.json()
        assert sum(c["name"] == "Boucherie" for c in sandbox.records("clients")) == 1
        # A refusal is not kept under its id: the corrected entry, sent again under the same id
        # (a resumed run derives the id from the write), is processed.
        bad = {"x-chift-client-requestid": "refused-1"}
        unbalanced = sale(items=[line("CDUPONT", debit=1, account_type="customer_account"),
                                 line("706000", credit=2)])  # fmt: skip
        assert http.post("/journal-entries", json=unbalanced, headers=bad).status_code == 422
        assert http.post("/journal-entries", json=sale(), headers=bad).status_code == 200
        assert len(sandbox.records("entries")) == 2
        # Without the header every POST creates.
        http.post("/journal-entries", json=sale())
        assert len(sandbox.records("entries")) == 3
        too_long = {"x-chift-client-requestid": "x" * 256}
        assert http.post("/journal-entries", json=sale(), headers=too_long).status_code == 422


def test_repeated_request_id_can_be_a_conflict() -> None:
    box = Sandbox(clock=Clock.manual(), repeat_request_id="conflict")
    key = {"x-chift-client-requestid": "once"}
    with client(box, **key) as http:
        assert http.post("/journal-entries", json=sale()).status_code == 200
        again = http.post("/journal-entries", json=sale())
        assert again.status_code == 409
        assert again.json()["status"] == "error"
    assert len(box.records("entries")) == 1


# -- Sage GE's rules, server-side -------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "status", "code"),
    [
        # 411000 without an auxiliary account (issue 15: collective needs a third party).
        (sale(items=[line("411000", debit=120), line("706000", credit=120)]),
         400, "ERROR_ACCOUNT_NUMBER_NOT_GOOD_SCOPE"),
        # An auxiliary account forced onto a non third-party account.
        (sale(items=[line("CDUPONT", debit=120, account_type="customer_account",
                          force_general_account="706000"), line("706000", credit=120)]),
         400, "ERROR_ACCOUNT_NUMBER_NOT_GOOD_SCOPE"),
        # Dated in the closed year 2024, and in no year at all.
        (sale(date="2024-06-30"), 400, "ERROR_BOOKYEAR_NOT_FOUND"),
        (sale(date="2031-01-01"), 400, "ERROR_BOOKYEAR_NOT_FOUND"),
        # Unbalanced.
        (sale(items=[line("CDUPONT", debit=120, account_type="customer_account"),
                     line("706000", credit=100)]), 422, "ERROR_ENTRY_NOT_BALANCED"),
        (sale(items=[line("CDUPONT", debit=120, account_type="customer_account")]),
         422, "ERROR_ENTRY_NOT_BALANCED"),
        # A line both debit and credit; a negative amount.
        (sale(items=[line("CDUPONT", debit=120, credit=10, account_type="customer_account"),
                     line("706000", credit=110)]), 422, "ERROR_DEBIT_CREDIT_VALUE"),
        (sale(items=[line("CDUPONT", debit=-5, account_type="customer_account"),
                     line("706000", credit=-5)]), 422, "ERROR_DEBIT_CREDIT_VALUE"),
        # The closed journal BQ2 (blocked), an unknown journal.
        (sale(journal_id="5"), 400, "ERROR_JOURNAL_NOT_GOOD_SCOPE"),
        (sale(journal_id="99"), 404, "ERROR_JOURNAL_NOT_FOUND"),
        # Unknown partner, tax code, currency.
        (sale(items=[line("CNOBODY", debit=1, account_type="customer_account"),
                     line("706000", credit=1)]), 404, "ERROR_PARTNER_NOT_FOUND"),
        (sale(items=[line("CDUPONT", debit=1, account_type="customer_account"),
                     line("706000", credit=1, tax_code="19.6")]), 404, "ERROR_TAX_CODE_NOT_FOUND"),
        (sale(currency="USD"), 404, "ERROR_CURRENCY_NOT_FOUND"),
    ],
)  # fmt: skip
def test_rules_refused_with_chift_codes(
    sandbox: Sandbox, entry: dict[str, Any], status: int, code: str
) -> None:
    with client(sandbox) as http:
        refused(http.post("/journal-entries", json=entry), status, code)
    assert sandbox.records("entries") == []


def test_rule_refusal_names_the_rule_in_detail(sandbox: Sandbox) -> None:
    entry = sale(items=[line("411000", debit=120), line("706000", credit=120)])
    with client(sandbox) as http:
        body = refused(http.post("/journal-entries", json=entry), 400,
                       "ERROR_ACCOUNT_NUMBER_NOT_GOOD_SCOPE")  # fmt: skip
    assert "411000" in body["message"]
    assert "collective" in body["detail"]


def test_collective_error_switch() -> None:
    box = Sandbox(clock=Clock.manual(), collective_error="partner_account_missing")
    entry = sale(items=[line("411000", debit=120), line("706000", credit=120)])
    with client(box) as http:
        refused(http.post("/journal-entries", json=entry), 422, "ERROR_PARTNER_ACCOUNT_MISSING")


def test_third_open_year_is_refused() -> None:
    box = Sandbox(clock=Clock.manual(), open_years=3)  # 2024, 2025, 2026 all open
    with client(box) as http:
        refused(http.post("/journal-entries", json=sale(date="2024-06-30")), 400,
                "ERROR_BOOKYEAR_NOT_FOUND")  # fmt: skip
        assert http.post("/journal-entries", json=sale(date="2025-06-30")).status_code == 200
    with pytest.raises(ValueError, match="open_years"):
        Sandbox(open_years=4)


# -- persistence, chaos, async ----------------------------------------------------------------


def test_state_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "chift.db"
    key = {"x-chift-client-requestid": "persisted-1"}
    box = Sandbox(clock=Clock.manual(), data=data)
    with client(box) as http:
        first = http.post("/journal-entries", json=sale(), headers=key).json()
        http.post("/clients", json={"name": "Nouvelle Cliente", "addresses": []})
        refused(http.post("/journal-entries", json=sale(journal_id="99")), 404,
                "ERROR_JOURNAL_NOT_FOUND")  # fmt: skip
    box.close()
    again = Sandbox(clock=Clock.manual(), data=data)
    with client(again) as http:
        assert [e["id"] for e in again.records("entries")] == [first["id"]]
        assert http.get("/clients/CNOUVELLE").json()["name"] == "Nouvelle Cliente"
        replay = http.post("/journal-entries", json=sale(), headers=key).json()
        assert replay == first
        second = http.post("/journal-entries", json=sale()).json()
        assert second["id"] != first["id"]
        assert len(http.get("/journals").json()["items"]) == 5
    again.close()


def test_chaos_throttles_in_chift_shape() -> None:
    box = Sandbox(clock=Clock.manual(), chaos=Chaos(throttle_rate=1.0, retry_after=7))
    with client(box) as http:
        answer = http.get("/journals")
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "7"
    assert answer.json()["status"] == "error"


def test_async_transport_and_date_header(sandbox: Sandbox) -> None:
    async def run() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=sandbox.async_transport(), base_url=sandbox.api_base, headers=AUTH
        ) as http:
            return await http.get("/vat-codes")

    answer = asyncio.run(run())
    assert answer.json()["total"] == 5
    assert answer.headers["date"] == "Mon, 05 Jan 2026 09:00:00 GMT"  # the sandbox clock's


def test_the_pack_builds_this_sandbox_lazily() -> None:
    from sage_ge._pack import PACK

    assert PACK.sandbox_factory is not None
    box = PACK.sandbox_factory(clock=Clock.manual(), open_years=3)
    assert isinstance(box, Sandbox)
    assert box.api_base.startswith("http://sandbox/chift/consumers/")
    lines = dict(box.describe("http://127.0.0.1:8765"))
    assert lines["Token"].startswith("POST http://127.0.0.1:8765/chift/token")
    assert lines["folder_id"] == "DOSSIER01, DOSSIER02"
    box.close()


def test_two_processes_share_one_state_file(tmp_path: Path) -> None:
    """Two sandboxes on one file (two `sageflow run` side by side): each sees the other's
    writes, and entry ids are never handed out twice."""
    data = tmp_path / "shared.db"
    first, second = (
        Sandbox(clock=Clock.manual(), data=data),
        Sandbox(clock=Clock.manual(), data=data),
    )
    with client(first) as a, client(second) as b:
        one = a.post("/journal-entries", json=sale()).json()
        two = b.post("/journal-entries", json=sale()).json()
        assert one["id"] != two["id"]
        a.post("/clients", json={"name": "Épicerie Fine", "addresses": []})
        assert b.get("/clients/CPICERIEF").status_code == 200
        assert a.get("/journal/entries").json()["total"] == 2
    first.close()
    second.close()


def test_served_beside_other_packs_token_reaches_this_sandbox() -> None:
    """`sageflow sandbox serve` mounts each pack's sandbox on a path; this one's is its
    mount_path (/chift), which holds /token as well as the API base."""
    from sage200.sandbox import Sandbox as Sage200Sandbox
    from sageflow.sandbox import SandboxesASGI

    other, box = Sage200Sandbox(clock=Clock.manual()), Sandbox(clock=Clock.manual())
    assert box.api_base.split("://sandbox", 1)[1].startswith(box.mount_path + "/")
    app = SandboxesASGI([("/uk/sage200extra/accounts/v1", other), (box.mount_path, box)])

    async def token() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as http:
            body = {"clientId": "c", "clientSecret": "s", "accountId": ACCOUNT_ID}
            return await http.post("/chift/token", json=body)

    answer = asyncio.run(token())
    assert answer.status_code == 200
    assert answer.json()["expires_in"] == 1800
    other.close()
    box.close()


def test_journal_entry_window_limit_is_a_switch() -> None:
    year = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    box = Sandbox(clock=Clock.manual(), max_months=None)
    with client(box) as http:
        http.post("/journal-entries", json=sale())
        assert http.get("/journal/entries", params=year).json()["total"] == 1
    box.close()


def test_a_dropped_create_is_answered_on_retry_under_its_request_id() -> None:
    """The case x-chift-client-requestid is for: the connection drops after the entry was
    stored; the retry under the same id gets the stored answer, not a second entry."""
    box = Sandbox(clock=Clock.manual(), chaos=Chaos(drop_rate=1.0))
    key = {"x-chift-client-requestid": "dropped-once"}
    with client(box, **key) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/journal-entries", json=sale())
        assert len(box.records("entries")) == 1
        box.chaos = Chaos()
        retried = http.post("/journal-entries", json=sale())
        assert retried.status_code == 200
        assert retried.json()["id"] == box.records("entries")[0]["id"]
    assert len(box.records("entries")) == 1
    box.close()
