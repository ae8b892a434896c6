"""sage_ge's components through the HTTP client against a scripted Chift (httpx.MockTransport):
the token bought and renewed, folder_id and the request id sent, the rules refusing locally
with nothing sent, the FEC read over every page."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sage_ge.connection import CHIFT, REQUEST_ID_HEADER
from sageflow import CallOptions
from sageflow._errors import APIError, InputValidationError
from sageflow._http import Client, Connection

ACCOUNT = "0f3e4c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
CONSUMER = "7d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
BASE = f"https://api.chift.eu/consumers/{CONSUMER}/accounting"
SECRET = "s3cret-never-logged"
DATE = "Sun, 15 Mar 2026 09:00:00 GMT"
YEARS = [
    {"name": "2024", "start": "2024-01-01", "end": "2024-12-31", "closed": True},
    {"name": "2025", "start": "2025-01-01", "end": "2025-12-31", "closed": False},
    {"name": "2026", "start": "2026-01-01", "end": "2026-12-31", "closed": False},
]
JOURNALS = [
    {"id": "1", "code": "VE", "name": "Ventes", "journal_type": "customer_invoice"},
    {"id": "3", "code": "BQ", "name": "Banque", "journal_type": "financial_operation"},
    {"id": "4", "code": "OD", "name": "Opérations diverses",
     "journal_type": "miscellaneous_operation"},
    {"id": "9", "code": "AN", "name": "A nouveaux", "journal_type": "miscellaneous_operation",
     "blocked": True},
]  # fmt: skip


class FakeChift:
    """What Chift answers, scripted; every request kept."""

    def __init__(self, years: list[dict[str, Any]] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.years = YEARS if years is None else years
        self.tokens = 0
        self.reject_next = False
        self.entries: list[dict[str, Any]] = []

    def page(self, request: httpx.Request, items: list[Any]) -> httpx.Response:
        page = int(request.url.params.get("page", 1))
        size = int(request.url.params.get("size", 50))
        chunk = items[(page - 1) * size : page * size]
        body = {"items": chunk, "total": len(items), "page": page, "size": size}
        return httpx.Response(200, json=body, headers={"date": DATE})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/token":
            self.tokens += 1
            return httpx.Response(
                200,
                json={"access_token": f"tok-{self.tokens}", "token_type": "bearer",
                      "expires_in": 1800, "expires_on": 0},
            )  # fmt: skip
        if self.reject_next:
            self.reject_next = False
            return httpx.Response(401, json={"status": "error", "message": "Token expired"})
        assert path.startswith(f"/consumers/{CONSUMER}/accounting/")
        route = path.removeprefix(f"/consumers/{CONSUMER}/accounting")
        if route == "/bookyears":
            return self.page(request, self.years)
        if route == "/journals":
            return self.page(request, JOURNALS)
        if route == "/journal/entries":
            # Chift's date_from and date_to, both included.
            low = request.url.params.get("date_from", "")
            high = request.url.params.get("date_to", "9999-12-31")
            dated = [e for e in self.entries if low <= str(e.get("date")) <= high]
            return self.page(request, dated)
        if route == "/journal-entries" and request.method == "POST":
            body = json.loads(request.content)
            if body["journal_id"] == "4" and body["number"] == "BOOM":
                return httpx.Response(
                    422,
                    json={"status": "error", "message": "The entry is not balanced.",
                          "error_code": "ERROR_ENTRY_NOT_BALANCED", "detail": ""},
                )  # fmt: skip
            created = {"id": f"E-{len(self.entries) + 1}", **body, "items": []}
            self.entries.append(created)
            return httpx.Response(200, json=created)
        return httpx.Response(404, json={"status": "error", "message": f"no route {route}"})

    def sent(self, method: str, route: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path.endswith(route)]


def client(chift: FakeChift, folder: str | None = "DOSSIER01") -> Client:
    values: dict[str, Any] = {
        "clientId": "cid", "clientSecret": SECRET, "accountId": ACCOUNT, "consumerId": CONSUMER,
    }  # fmt: skip
    if folder:
        values["folderId"] = folder
    return Client(Connection.from_spec(CHIFT, values), transport=httpx.MockTransport(chift))


def sale(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "journalCode": "VE",
        "date": "2026-03-10",
        "lines": [
            {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "Facture 12",
             "debit": "120.00"},
            {"account": "706000", "label": "Facture 12", "credit": "100.00", "vatCode": "20",
             "analytic": [{"plan": "1", "account": "PARIS", "percentage": "60"},
                          {"plan": "1", "account": "LYON", "percentage": "40"}]},
            {"account": "445710", "label": "TVA", "credit": "20.00"},
        ],
    }  # fmt: skip
    raw.update(changes)
    return raw


def test_a_checked_entry_is_sent_in_chifts_shape_with_token_folder_and_request_id() -> None:
    chift = FakeChift()
    with client(chift) as c:
        out = c.call("sage_ge/createJournalEntry", sale(), CallOptions(idempotency_key="k1"))
    assert chift.tokens == 1
    (token,) = chift.sent("POST", "/token")
    assert json.loads(token.content) == {"clientId": "cid", "accountId": ACCOUNT,
                                         "clientSecret": SECRET}  # fmt: skip
    (post,) = chift.sent("POST", "/journal-entries")
    assert post.headers["authorization"] == "Bearer tok-1"
    assert post.url.params["folder_id"] == "DOSSIER01"
    request_id = post.headers[REQUEST_ID_HEADER]
    body = json.loads(post.content)
    assert body["journal_id"] == "1"
    assert body["number"] == out["documentNumber"]
    assert body["reference"] == out["marker"]
    assert body["items"][0] == {
        "account_type": "customer_account", "account": "CDUPONT",
        "force_general_account": "411000", "description": "Facture 12", "debit": 120,
        "credit": 0,
    }  # fmt: skip
    assert body["items"][1]["tax_code"] == "20"
    assert body["items"][1]["analytic_distribution"] == [
        {"analytic_plan": "1", "analytic_accounts": [
            {"analytic_account": "PARIS", "percentage": 60},
            {"analytic_account": "LYON", "percentage": 40}]}
    ]  # fmt: skip
    # every read carried the dossier too
    assert all(r.url.params.get("folder_id") == "DOSSIER01" for r in chift.requests[1:])
    # the same call's write carries the same request id (Chift deduplicates by it)
    chift2 = FakeChift()
    with client(chift2) as c:
        c.call("sage_ge/createJournalEntry", sale(), CallOptions(idempotency_key="k1"))
    assert chift2.sent("POST", "/journal-entries")[0].headers[REQUEST_ID_HEADER] == request_id


@pytest.mark.parametrize(
    ("changes", "rule", "path"),
    [
        ({"lines": [
            {"account": "411000", "label": "Facture 12", "debit": "120.00"},
            {"account": "706000", "label": "Facture 12", "credit": "120.00"}]},
         "COLLECTIVE_NEEDS_AUXILIARY", "$.lines[0].auxiliaryAccount"),
        ({"date": "2024-06-30"}, "POSTING_DATE_IN_OPEN_YEAR", "$.date"),
        ({"lines": [
            {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "x", "debit": "120"},
            {"account": "706000", "label": "x", "credit": "119.99"}]},
         "ENTRY_BALANCED", "$.lines"),
        ({"journalCode": "AN"}, "JOURNAL_OPEN", "$.journalCode"),
        ({"lines": [
            {"account": "512000", "label": "x", "debit": "10", "credit": "10"},
            {"account": "471000", "label": "y", "credit": "0.01"}]},
         "LINE_DEBIT_OR_CREDIT", "$.lines[0]"),
    ],
)  # fmt: skip
def test_a_broken_rule_is_refused_locally_and_nothing_is_sent(
    changes: dict[str, Any], rule: str, path: str
) -> None:
    chift = FakeChift()
    with client(chift) as c, pytest.raises(InputValidationError) as caught:
        c.call("sage_ge/createJournalEntry", sale(**changes))
    problems = caught.value.problems
    assert any(p.path == path and f"[{rule}]" in p.message and "Fix:" in p.message
               for p in problems), problems  # fmt: skip
    assert chift.sent("POST", "/journal-entries") == []


def test_an_entry_in_a_third_open_year_is_refused_and_not_sent() -> None:
    years = [{**YEARS[0], "closed": False}, *YEARS[1:]]
    chift = FakeChift(years)
    with client(chift) as c, pytest.raises(InputValidationError) as caught:
        c.call("sage_ge/createJournalEntry", sale(date="2024-06-30"))
    messages = [p.message for p in caught.value.problems]
    assert any("[AT_MOST_TWO_OPEN_YEARS]" in m for m in messages)
    assert any("[POSTING_DATE_IN_OPEN_YEAR]" in m and "older than the two" in m for m in messages)
    assert chift.sent("POST", "/journal-entries") == []


def test_a_45_character_bank_label_arrives_as_30_with_the_full_label_in_the_comment() -> None:
    label = "Prélèvement SEPA ORANGE SA facture 2026-03 n."
    assert len(label) == 45
    entry = {
        "journalCode": "BQ", "date": "2026-03-12",
        "lines": [
            {"account": "401000", "auxiliaryAccount": "FORANGE", "label": label, "debit": "49.99"},
            {"account": "512000", "label": label, "credit": "49.99"},
        ],
    }  # fmt: skip
    chift = FakeChift()
    with client(chift) as c:
        out = c.call("sage_ge/createJournalEntry", entry)
    body = json.loads(chift.sent("POST", "/journal-entries")[0].content)
    assert [i["description"] for i in body["items"]] == [label[:30], label[:30]]
    assert body["reference"] == f"{label} {out['marker']}"
    assert out["cutLabels"] == [0, 1]
    assert body["items"][0]["account_type"] == "supplier_account"


def test_today_comes_from_chifts_date_header_unless_given() -> None:
    chift = FakeChift()
    with client(chift) as c:
        late = c.call("sage_ge/checkEntries", {"entries": [sale()], "today": "2027-06-01"})
        now = c.call("sage_ge/checkEntries", {"entries": [sale()]})
    assert [r["rule"] for r in late["refusals"]] == ["OPEN_YEAR_COVERS_TODAY"]
    assert now == {"ok": True, "refusals": [], "entries": now["entries"]}
    assert chift.sent("POST", "/journal-entries") == []


def test_check_entries_reports_every_entry_instead_of_failing() -> None:
    chift = FakeChift()
    broken = sale(lines=[{"account": "411000", "label": "x", "debit": "1"}])
    with client(chift) as c:
        out = c.call(
            "sage_ge/checkEntries",
            {"entries": [sale(), broken], "fiscalYears": YEARS[1:], "today": "2026-03-15"},
        )
    assert out["ok"] is False
    assert [(r["rule"], r["entry"], r["line"]) for r in out["refusals"]] == [
        ("ENTRY_HAS_LINES", 1, None),
        ("COLLECTIVE_NEEDS_AUXILIARY", 1, 0),
        ("ENTRY_BALANCED", 1, None),
    ]
    assert chift.sent("GET", "/bookyears") == []  # the flow gave the fiscal years
    assert len(out["entries"]) == 2


def test_a_chift_refusal_is_parsed_with_its_error_code() -> None:
    chift = FakeChift()
    entry = sale(journalCode="OD", documentNumber="BOOM", lines=[
        {"account": "471000", "label": "x", "debit": "1"},
        {"account": "471100", "label": "y", "credit": "1"}])  # fmt: skip
    with client(chift) as c, pytest.raises(APIError) as caught:
        c.call("sage_ge/createJournalEntry", entry)
    assert caught.value.status == 422
    assert caught.value.entries[0].code == "ERROR_ENTRY_NOT_BALANCED"
    assert "The entry is not balanced." in str(caught.value)


def test_a_rejected_token_is_renewed_once_and_the_secret_never_shows() -> None:
    chift = FakeChift()
    with client(chift) as c:
        c.call("sage_ge/listJournals", {})
        chift.reject_next = True
        out = c.call("sage_ge/listJournals", {})
    assert chift.tokens == 2
    assert len(out["items"]) == 4
    last = chift.sent("GET", "/journals")[-1]
    assert last.headers["authorization"] == "Bearer tok-2"
    assert SECRET not in repr(c.connection.settings)


def test_a_refused_token_request_is_an_authentication_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"status": "error", "message": "Invalid credentials"})

    values = {"clientId": "cid", "clientSecret": SECRET, "accountId": ACCOUNT,
              "consumerId": CONSUMER}  # fmt: skip
    c = Client(Connection.from_spec(CHIFT, values), transport=httpx.MockTransport(refuse))
    with c, pytest.raises(APIError, match="Invalid credentials") as caught:
        c.call("sage_ge/listFolders", {})
    assert caught.value.status == 401
    assert SECRET not in str(caught.value)


def test_every_page_is_read_and_the_fec_balances() -> None:
    chift = FakeChift()
    for n in range(150):
        chift.entries.append({
            "id": f"E{n}", "name": f"VE{n:04d}", "journal_id": "1", "date": "2026-03-10",
            "posted": True, "items": [
                {"account_number": "411000", "partner_id": "CDUPONT", "debit": 12.5,
                 "credit": 0},
                {"account_number": "706000", "debit": 0, "credit": 12.5},
            ]})  # fmt: skip
    with client(chift) as c:
        out = c.call(
            "sage_ge/exportFEC",
            {"dateFrom": "2026-01-01", "dateTo": "2026-12-31", "siren": "552100554"},
        )
    assert out["fileName"] == "552100554FEC20261231.txt"
    assert (out["entries"], out["lines"]) == (150, 300)
    pages = chift.sent("GET", "/journal/entries")
    # Four 3-month windows; the first (where every entry is) has two pages.
    assert [
        (p.url.params["date_from"], p.url.params["date_to"], p.url.params["page"]) for p in pages
    ] == [
        ("2026-01-01", "2026-03-31", "1"), ("2026-01-01", "2026-03-31", "2"),
        ("2026-04-01", "2026-06-30", "1"), ("2026-07-01", "2026-09-30", "1"),
        ("2026-10-01", "2026-12-31", "1"),
    ]  # fmt: skip
    assert pages[0].url.params["unposted_allowed"] == "false"
    header = out["content"].splitlines()[0].split("\t")
    assert header[10] == "EcritureLib"
    assert len(header) == 18


def test_a_list_with_the_wrong_shape_or_a_looping_server_is_refused() -> None:
    def same_page(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1800})
        body = {"items": [{"id": "1", "name": "x"}] * 2, "total": 10, "page": 1, "size": 2}
        return httpx.Response(200, json=body)

    values = {"clientId": "cid", "clientSecret": SECRET, "accountId": ACCOUNT,
              "consumerId": CONSUMER}  # fmt: skip
    c = Client(Connection.from_spec(CHIFT, values), transport=httpx.MockTransport(same_page))
    with c, pytest.raises(Exception, match="the page it had just sent"):
        c.call("sage_ge/listAnalyticPlans", {"size": 2, "fetchAll": True})


def test_client_and_supplier_filters_both_map_to_partner_id_so_only_one_is_taken() -> None:
    chift = FakeChift()
    with client(chift) as c:
        c.call("sage_ge/listJournalEntries", {"clientId": "CDUPONT", "journalId": "1"})
        with pytest.raises(InputValidationError, match="supplierId"):
            c.call("sage_ge/listJournalEntries", {"clientId": "C", "supplierId": "F"})
    (listing,) = chift.sent("GET", "/journal/entries")
    assert listing.url.params["partner_id"] == "CDUPONT"
    assert listing.url.params["journal_id"] == "1"


def test_create_client_sends_chifts_names_at_every_depth_with_a_request_id() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1800})
        return httpx.Response(200, json={"id": "CDUPONT", **json.loads(request.content or b"{}")})

    values = {"clientId": "cid", "clientSecret": SECRET, "accountId": ACCOUNT,
              "consumerId": CONSUMER}  # fmt: skip
    with Client(Connection.from_spec(CHIFT, values), transport=httpx.MockTransport(answer)) as c:
        c.call("sage_ge/createClient", {
            "name": "Dupont SARL", "accountNumber": "CDUPONT", "addresses": [
                {"addressType": "main", "street": "rue de la Paix", "city": "Paris",
                 "postalCode": "75002", "country": "FR"}]})  # fmt: skip
        c.call("sage_ge/updateClient", {"clientId": "CDUPONT", "email": "a@b.fr"})
    create, update = seen[1], seen[2]
    assert json.loads(create.content) == {
        "name": "Dupont SARL", "account_number": "CDUPONT", "addresses": [
            {"address_type": "main", "street": "rue de la Paix", "city": "Paris",
             "postal_code": "75002", "country": "FR"}]}  # fmt: skip
    assert REQUEST_ID_HEADER in create.headers
    assert "folder_id" not in create.url.params  # no dossier configured, none sent
    assert update.method == "PATCH"
    assert update.url.path.endswith("/accounting/clients/CDUPONT")
    assert json.loads(update.content) == {"email": "a@b.fr"}
    assert REQUEST_ID_HEADER not in update.headers


@pytest.mark.parametrize(
    ("key", "inputs", "field"),
    [
        ("createClient", {"name": "X", "addresses": [], "accountNumber": "c dupont"},
         "$.accountNumber"),
        ("createLedgerAccount", {"number": "62A100", "name": "x"}, "$.number"),
        ("createJournal", {"code": "B", "name": "x", "journalType": "bank"}, "$.code"),
        ("createJournal", {"code": "BQ2", "name": "x", "journalType": "banque"},
         "$.journalType"),
        ("updateClient", {"clientId": "C/../1", "email": "a@b.fr"}, "$.clientId"),
        ("getSupplier", {"supplierId": "..%2F"}, "$.supplierId"),
    ],
)  # fmt: skip
def test_hostile_reference_data_is_refused_before_sending(
    key: str, inputs: dict[str, Any], field: str
) -> None:
    chift = FakeChift()
    with client(chift) as c, pytest.raises(InputValidationError) as caught:
        c.call(f"sage_ge/{key}", inputs)
    assert field in [p.path for p in caught.value.problems]
    assert chift.requests == []


def test_match_entries_needs_exactly_one_party_and_sends_it_as_partner_id() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1800})
        return httpx.Response(200, json={"matching_number": "AB", "balance": 0})

    values = {"clientId": "cid", "clientSecret": SECRET, "accountId": ACCOUNT,
              "consumerId": CONSUMER}  # fmt: skip
    with Client(Connection.from_spec(CHIFT, values), transport=httpx.MockTransport(answer)) as c:
        out = c.call("sage_ge/matchEntries", {"entries": ["E1", "E2"], "supplierId": "FORANGE"})
        for wrong in ({"entries": ["E1", "E2"]},
                      {"entries": ["E1", "E2"], "clientId": "C", "supplierId": "F"},
                      {"entries": ["E1"], "clientId": "C"}):  # fmt: skip
            with pytest.raises(InputValidationError):
                c.call("sage_ge/matchEntries", wrong)
    assert out == {"matching_number": "AB", "balance": 0}
    assert len(seen) == 2
    assert json.loads(seen[1].content) == {"entries": ["E1", "E2"], "partner_id": "FORANGE"}


def test_attachments_are_listed_for_one_document() -> None:
    chift = FakeChift()
    with client(chift) as c, pytest.raises(APIError):
        c.call("sage_ge/listAttachments", {"type": "entry", "documentId": "E-1"})
    (listing,) = chift.sent("GET", "/attachments")
    assert (listing.url.params["type"], listing.url.params["document_id"]) == ("entry", "E-1")


def test_create_invoice_computes_amounts_to_the_cent_and_they_add_up() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1800})
        if request.method == "GET":
            return FakeChift().page(request, JOURNALS)
        return httpx.Response(200, json={"id": "INV-1", **json.loads(request.content)})

    values = {"clientId": "cid", "clientSecret": SECRET, "accountId": ACCOUNT,
              "consumerId": CONSUMER}  # fmt: skip
    invoice = {
        "invoiceType": "customer_invoice", "invoiceDate": "2026-03-10", "dueDate": "2026-04-09",
        "clientId": "CDUPONT", "fiscalYears": YEARS[1:], "today": "2026-03-15", "lines": [
            {"accountNumber": "706000", "quantity": 3, "unitPrice": "0.35", "taxRate": "5.5",
             "vatCode": "5.5"},
            {"accountNumber": "706100", "quantity": "1", "unitPrice": 0.1, "taxRate": 20,
             "vatCode": "20"},
        ],
    }  # fmt: skip
    with Client(Connection.from_spec(CHIFT, values), transport=httpx.MockTransport(answer)) as c:
        c.call("sage_ge/createInvoice", invoice)
        for wrong in ({**invoice, "clientId": None, "supplierId": "F"},
                      {**invoice, "supplierId": "F"},
                      {**invoice, "dueDate": "2026-03-01"}):  # fmt: skip
            wrong = {k: v for k, v in wrong.items() if v is not None}
            with pytest.raises(InputValidationError):
                c.call("sage_ge/createInvoice", wrong)
    posts = [r for r in seen if r.method == "POST" and r.url.path.endswith("/invoices")]
    assert len(posts) == 1
    body = json.loads(posts[0].content)
    first, second = body["lines"]
    # 3 x 0.35 = 1.05; 5.5 % of it is 0.05775 -> 0.06 (half up)
    assert (first["untaxed_amount"], first["tax_amount"], first["total"]) == (1.05, 0.06, 1.11)
    assert (second["untaxed_amount"], second["tax_amount"], second["total"]) == (0.1, 0.02, 0.12)
    assert (body["untaxed_amount"], body["tax_amount"], body["total"]) == (1.15, 0.08, 1.23)
    assert body["partner_id"] == "CDUPONT"
    assert REQUEST_ID_HEADER in posts[0].headers


@pytest.mark.parametrize(
    ("changes", "rule", "path"),
    [
        ({"invoiceDate": "2024-05-02", "dueDate": "2024-06-01"}, "POSTING_DATE_IN_OPEN_YEAR",
         "$.invoiceDate"),
        ({"journalId": "9"}, "JOURNAL_OPEN", "$.journalId"),
        ({"today": "2027-06-01"}, "OPEN_YEAR_COVERS_TODAY", "$"),
    ],
)  # fmt: skip
def test_an_invoice_breaking_a_sage_ge_rule_is_refused_and_not_sent(
    changes: dict[str, Any], rule: str, path: str
) -> None:
    chift = FakeChift()
    invoice = {
        "invoiceType": "supplier_invoice", "invoiceDate": "2026-03-10", "dueDate": "2026-04-09",
        "supplierId": "FORANGE", "lines": [
            {"accountNumber": "626000", "quantity": 1, "unitPrice": "41.66", "taxRate": "20",
             "vatCode": "20"}],
        **changes,
    }  # fmt: skip
    with client(chift) as c, pytest.raises(InputValidationError) as caught:
        c.call("sage_ge/createInvoice", invoice)
    assert any(p.path == path and f"[{rule}]" in p.message for p in caught.value.problems)
    assert chift.sent("POST", "/invoices") == []
    assert chift.sent("GET", "/bookyears")  # read, as no fiscalYears were given


def test_a_created_entry_is_found_again_by_its_marker() -> None:
    chift = FakeChift()
    with client(chift) as c:
        made = c.call("sage_ge/createJournalEntry", sale())
        c.call("sage_ge/createJournalEntry", sale(documentNumber="OTHER1"))
        found = c.call("sage_ge/findJournalEntry", {"marker": made["marker"], "date": "2026-03-10"})
        missing = c.call("sage_ge/findJournalEntry", {"marker": "#ZZZZZ#", "date": "2026-03-10"})
    assert found["found"] is True
    assert [e["id"] for e in found["entries"]] == [made["entry"]["id"]]
    assert missing == {"found": False, "entries": []}
    listing = chift.sent("GET", "/journal/entries")[-1]
    assert (listing.url.params["date_from"], listing.url.params["date_to"]) == (
        "2026-03-10",
        "2026-03-10",
    )


def test_the_async_client_buys_one_token_for_concurrent_calls_and_renews_on_401() -> None:
    import asyncio

    from sageflow._http import AsyncClient

    chift = FakeChift()
    values = {"clientId": "cid", "clientSecret": SECRET, "accountId": ACCOUNT,
              "consumerId": CONSUMER, "folderId": "DOSSIER01"}  # fmt: skip

    async def run() -> list[dict[str, Any]]:
        connection = Connection.from_spec(CHIFT, values)
        async with AsyncClient(connection, transport=httpx.MockTransport(chift)) as c:
            outs = await asyncio.gather(*(c.acall("sage_ge/listJournals", {}) for _ in range(5)))
            chift.reject_next = True
            outs.append(await c.acall("sage_ge/listJournals", {}))
            return list(outs)

    outs = asyncio.run(run())
    assert chift.tokens == 2  # one bought for five concurrent calls, one after the 401
    assert all(len(o["items"]) == 4 for o in outs[:5])
    assert chift.requests[-1].headers["authorization"] == "Bearer tok-2"


def test_account_balances_are_posted_page_by_page() -> None:
    seen: list[httpx.Request] = []
    balances = [
        {
            "account_number": f"6010{n:02d}",
            "debit": 1,
            "credit": 0,
            "balance": 1,
            "period_debit": 1,
            "period_credit": 0,
            "period_balance": 1,
        }
        for n in range(3)
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1800})
        page, size = int(request.url.params["page"]), int(request.url.params["size"])
        chunk = balances[(page - 1) * size : page * size]
        return httpx.Response(200, json={"items": chunk, "total": 3, "page": page, "size": size})

    values = {"clientId": "cid", "clientSecret": SECRET, "accountId": ACCOUNT,
              "consumerId": CONSUMER}  # fmt: skip
    with Client(Connection.from_spec(CHIFT, values), transport=httpx.MockTransport(answer)) as c:
        out = c.call("sage_ge/getAccountBalances", {
            "accounts": ["601"], "startMonth": "202601", "endMonth": "202603", "size": 2,
            "fetchAll": True})  # fmt: skip
        with pytest.raises(InputValidationError, match="startMonth"):
            c.call("sage_ge/getAccountBalances", {"accounts": ["601"], "startMonth": "202604",
                                                  "endMonth": "202603"})  # fmt: skip
        with pytest.raises(InputValidationError, match="endMonth"):
            c.call("sage_ge/getAccountBalances", {"accounts": ["601"], "endMonth": "202613"})
    assert [b["account_number"] for b in out["items"]] == ["601000", "601001", "601002"]
    posts = [r for r in seen if r.url.path.endswith("/chart-of-accounts/balance")]
    assert [(r.method, r.url.params["page"]) for r in posts] == [("POST", "1"), ("POST", "2")]
    assert json.loads(posts[0].content) == {"accounts": ["601"], "end": "202603",
                                            "start": "202601"}  # fmt: skip


def test_a_token_is_renewed_a_minute_before_its_30_minutes_run_out() -> None:
    now = [1_000_000.0]
    chift = FakeChift()
    values = {"clientId": "cid", "clientSecret": SECRET, "accountId": ACCOUNT,
              "consumerId": CONSUMER}  # fmt: skip
    connection = Connection.from_spec(CHIFT, values, clock=lambda: now[0])
    with Client(connection, transport=httpx.MockTransport(chift)) as c:
        c.call("sage_ge/listJournals", {})
        now[0] += 1800 - 61  # still over a minute left: kept
        c.call("sage_ge/listJournals", {})
        assert chift.tokens == 1
        now[0] += 2  # under a minute left: bought again before the call
        c.call("sage_ge/listJournals", {})
    assert chift.tokens == 2
    assert [r.headers["authorization"] for r in chift.sent("GET", "/journals")] == [
        "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]  # fmt: skip


def test_missing_general_accounts_are_created_as_compte_number_when_asked() -> None:
    chift = FakeChift()
    with client(chift) as c:
        c.call("sage_ge/createJournalEntry", sale(createMissingAccounts=True))
        c.call("sage_ge/createJournalEntry", sale(documentNumber="N2"))
    asked, plain = (json.loads(r.content) for r in chift.sent("POST", "/journal-entries"))
    assert [i.get("account_info") for i in asked["items"]] == [
        None,  # a third-party line names its auxiliary account, not a general one to create
        {"account_number": "706000", "account_name": "Compte 706000"},
        {"account_number": "445710", "account_name": "Compte 445710"},
    ]
    assert all("account_info" not in i for i in plain["items"])


def test_an_invoice_pdf_is_attached_and_anything_else_refused_before_sending() -> None:
    import base64

    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1800})
        return httpx.Response(204)

    pdf = base64.b64encode(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n").decode()
    values = {"clientId": "cid", "clientSecret": SECRET, "accountId": ACCOUNT,
              "consumerId": CONSUMER}  # fmt: skip
    with Client(Connection.from_spec(CHIFT, values), transport=httpx.MockTransport(answer)) as c:
        out = c.call("sage_ge/addInvoicePdf", {"invoiceId": "INV-12", "pdf": pdf,
                                               "name": "F2026-012.pdf"})  # fmt: skip
        png = base64.b64encode(b"\x89PNG\r\n\x1a\n0000").decode()
        for wrong in ({"invoiceId": "INV-12", "pdf": png},
                      {"invoiceId": "INV-12", "pdf": pdf[:-4] + "!!!!"},
                      {"invoiceId": "INV-12", "pdf": pdf, "name": "../etc/passwd"}):  # fmt: skip
            with pytest.raises(InputValidationError):
                c.call("sage_ge/addInvoicePdf", wrong)
    assert out == {"attached": True}
    assert len(seen) == 2
    sent = seen[1]
    assert sent.url.path.endswith("/accounting/invoices/pdf/INV-12")
    assert sent.url.params["overwrite_existing"] == "false"
    assert json.loads(sent.content) == {"base64_string": pdf, "name": "F2026-012.pdf"}


def test_chifts_two_error_shapes_are_read() -> None:
    from sage_ge._errors import parse_error
    from sageflow import HTTPRequest
    from sageflow._values import HTTPResponse

    request = HTTPRequest("POST", "/journal-entries", json={})
    coded = parse_error(HTTPResponse.from_json(400, {
        "status": "error", "message": "The accounting system is not set up for this date.",
        "error_code": "ERROR_BOOKYEAR_NOT_FOUND", "detail": "2023-01-01"}), request)  # fmt: skip
    assert coded.entries[0].code == "ERROR_BOOKYEAR_NOT_FOUND"
    assert "not set up for this date. (2023-01-01)" in coded.entries[0].message
    validation = parse_error(HTTPResponse.from_json(422, {
        "message": "Validation error", "status": "error",
        "detail": [{"loc": ["body", "items", 0, "debit"], "msg": "Input should be a valid number",
                    "type": "float_parsing"}]}), request)  # fmt: skip
    assert [(e.code, e.source) for e in validation.entries] == [
        (None, None), ("float_parsing", "body.items.0.debit")]  # fmt: skip
    gateway = parse_error(HTTPResponse(502, {}, b"<html>Bad gateway</html>"), request)
    assert gateway.entries[0].message == "<html>Bad gateway</html>"
    empty = parse_error(HTTPResponse(500, {}, b""), request)
    assert empty.entries[0].message == "no error details in the response"
