"""exportFEC over a fiscal year reads Chift's journal entries in windows of at most 3 months
(Chift's ``ERROR_MAX_DIFFERENCE_MONTHS``): none lost at a window's edge, none twice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest

from sage_ge._fec import COLUMNS
from sage_ge._paging import date_windows
from sage_ge.connection import PROFILE
from sage_ge.sandbox import DEV_TOKEN, Clock, Sandbox
from sageflow._errors import APIError, InputValidationError
from sageflow._http import Client, Connection

#: The first and last day of each 3-month window of 2026, as exportFEC cuts the year.
EDGES = [
    "2026-01-01", "2026-03-31", "2026-04-01", "2026-06-30",
    "2026-07-01", "2026-09-30", "2026-10-01", "2026-12-31",
]  # fmt: skip
YEAR = {"dateFrom": "2026-01-01", "dateTo": "2026-12-31", "siren": "552100554"}


def months_apart(start: date, end: date) -> float:
    """How the sandbox measures a window (whole months, half a month more when the end's day
    is past the start's): above 3 it answers ERROR_MAX_DIFFERENCE_MONTHS."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months + (0.5 if end.day > start.day else 0)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2025, 7, 1), date(2026, 6, 30)),  # a fiscal year that is not a calendar one
        (date(2025, 1, 31), date(2026, 5, 30)),  # month ends clamp: 31 Jan + 1 month
        (date(2024, 11, 30), date(2026, 11, 29)),  # a first fiscal year of 24 months
        (date(2026, 2, 28), date(2026, 2, 28)),  # a single day
    ],
)
def test_windows_cover_the_period_each_day_once_and_under_3_months(start: date, end: date) -> None:
    windows = date_windows(start, end)
    assert windows[0][0] == start
    assert windows[-1][1] == end
    for (_, last), (first, _) in pairwise(windows):
        assert first == last + timedelta(days=1)  # no gap, no overlap
    for first, last in windows:
        assert first <= last
        assert months_apart(first, last) <= 3
        # Under 3 months however a month is counted: three consecutive months hold at most
        # 92 days, and a window ends before the same day three months on.
        assert (last - first).days <= 91
    # Not cut finer than needed: every window but the last spans nearly 3 months.
    assert all((last - first).days >= 87 for first, last in windows[:-1])


def test_a_calendar_year_is_four_quarters() -> None:
    assert [(a.isoformat(), b.isoformat()) for a, b in date_windows(date(2026, 1, 1),
                                                                    date(2026, 12, 31))] == [
        ("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30"),
        ("2026-07-01", "2026-09-30"), ("2026-10-01", "2026-12-31"),
    ]  # fmt: skip


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends"):
        date_windows(date(2026, 2, 1), date(2026, 1, 31))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    # Its clock's today is in 2026: 2025 and 2026 are open, so entries of 2026 can be posted.
    box = Sandbox(clock=Clock.manual())
    yield box
    box.close()


def client(box: Sandbox) -> Client:
    return Client(
        Connection.with_token(box.api_base, DEV_TOKEN, PROFILE), transport=box.transport()
    )


def post_entry(http: httpx.Client, day: str, number: str) -> None:
    body: dict[str, Any] = {
        "journal_id": "4", "number": number, "currency": "EUR", "date": day,
        "items": [
            {"account_type": "general_account", "account": "512000", "description": number,
             "debit": 10, "credit": 0},
            {"account_type": "general_account", "account": "627000", "description": number,
             "debit": 0, "credit": 10},
        ],
    }  # fmt: skip
    made = http.post("/journal-entries", json=body)
    assert made.status_code == 200, made.text


def test_a_fiscal_year_is_exported_with_every_window_edge_entry_once(sandbox: Sandbox) -> None:
    with httpx.Client(
        transport=sandbox.transport(),
        base_url=sandbox.api_base,
        headers={"authorization": f"Bearer {DEV_TOKEN}"},
    ) as http:
        for n, day in enumerate(EDGES):
            post_entry(http, day, f"EDGE{n}")
        post_entry(http, "2025-12-31", "BEFORE")  # the day before the year: not in its FEC
        # One listing of the whole year is what Chift refuses.
        whole = http.get(
            "/journal/entries",
            params={"unposted_allowed": "true", "date_from": "2026-01-01",
                    "date_to": "2026-12-31"},
        )  # fmt: skip
        assert (whole.status_code, whole.json()["error_code"]) == (
            400,
            "ERROR_MAX_DIFFERENCE_MONTHS",
        )
    with client(sandbox) as c:
        out = c.call("sage_ge/exportFEC", YEAR)
    rows = [line.split("\t") for line in out["content"].splitlines()[1:]]
    numbers = [row[2] for row in rows]
    assert sorted(set(numbers)) == sorted(f"EDGE{n}" for n in range(len(EDGES)))
    assert len(numbers) == 2 * len(EDGES)  # two lines each, none twice
    assert [row[3] for row in rows[::2]] == [d.replace("-", "") for d in EDGES]
    assert (out["entries"], out["lines"]) == (len(EDGES), 2 * len(EDGES))


def test_the_year_in_one_window_is_what_the_sandbox_refuses_by_name(sandbox: Sandbox) -> None:
    # The guard the windows exist for: a 3-month window is taken, a wider one refused.
    with client(sandbox) as c:
        quarter = c.call(
            "sage_ge/listJournalEntries",
            {"dateFrom": "2026-01-01", "dateTo": "2026-03-31"},
        )
        assert quarter["items"] == []
        with pytest.raises(APIError) as refused:
            c.call("sage_ge/listJournalEntries", {"dateFrom": "2026-01-01", "dateTo": "2026-12-31"})
    assert "ERROR_MAX_DIFFERENCE_MONTHS" in str(refused.value)


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ({"dateFrom": "2026-01-01", "dateTo": "2062-12-31"}, "longer than a fiscal year"),
        ({"dateFrom": "2026-01-01", "dateTo": "2025-12-31"}, r"ends \(2025-12-31\) before it"),
    ],
)
def test_a_mistyped_period_is_refused_before_anything_is_read(
    sandbox: Sandbox, period: dict[str, str], message: str
) -> None:
    # A year typed 2062 for 2026 would otherwise read 37 years, 3 months a request.
    with client(sandbox) as c, pytest.raises(InputValidationError, match=message):
        c.call("sage_ge/exportFEC", {**YEAR, **period})
    assert sandbox.stats.requests == 0


def test_a_first_fiscal_year_of_24_months_is_exported() -> None:
    # The longest a FEC covers; one day more is refused.
    chift_calls: list[str] = []

    def empty(request: httpx.Request) -> httpx.Response:
        chift_calls.append(request.url.params.get("date_from", ""))
        return httpx.Response(200, json={"items": [], "total": 0, "page": 1, "size": 100})

    connection = Connection.with_token("http://chift.invalid/x", "t", PROFILE)
    with Client(connection, transport=httpx.MockTransport(empty)) as c:
        out = c.call("sage_ge/exportFEC", {**YEAR, "dateFrom": "2025-01-01", "allowEmpty": True})
        with pytest.raises(InputValidationError, match="at most 24 months"):
            c.call("sage_ge/exportFEC", {**YEAR, "dateFrom": "2024-12-31"})
    assert out["entries"] == 0
    assert chift_calls.count("") == 2  # the fiscal years (none known here) and the journals
    assert len(chift_calls) == 2 + 8  # and eight 3-month windows


def unserved_book_years(request: httpx.Request) -> httpx.Response:
    """Chift where book years are not enabled (on request): 405, every listing empty."""
    if request.url.path.endswith("/bookyears"):
        body = {"status": "error", "message": "The resource GET - /bookyears is not supported",
                "error_code": "ERROR_RESOURCE_NOT_SUPPORTED"}  # fmt: skip
        return httpx.Response(405, json=body)
    return httpx.Response(200, json={"items": [], "total": 0, "page": 1, "size": 100})


def test_without_fiscal_years_a_period_with_no_entries_is_refused_unless_allowed() -> None:
    # A year typed 2036 for 2026 reads nothing: said, not written as an empty file, when the
    # dossier's years cannot tell the mistake.
    connection = Connection.with_token("http://chift.invalid/x", "t", PROFILE)
    period = {**YEAR, "dateFrom": "2036-01-01", "dateTo": "2036-12-31"}
    with Client(connection, transport=httpx.MockTransport(unserved_book_years)) as c:
        nothing = r"no entries dated 2036-01-01\.\.2036-12-31"
        with pytest.raises(InputValidationError, match=nothing):
            c.call("sage_ge/exportFEC", period)
        empty = c.call("sage_ge/exportFEC", {**period, "allowEmpty": True})
    assert empty["content"].count("\n") == 1  # the header row alone
    assert empty["fileName"] == "552100554FEC20361231.txt"  # dateTo, the year being unknown


@pytest.mark.parametrize(
    ("period", "where", "says"),
    [
        pytest.param(
            {"dateFrom": "2036-01-01", "dateTo": "2036-12-31"}, "$.dateFrom",
            "2036-01-01 is in none of the dossier's fiscal years (2024: 2024-01-01..2024-12-31 "
            "(closed); 2025: 2025-01-01..2025-12-31; 2026: 2026-01-01..2026-12-31): check the "
            "year", id="a-year-the-dossier-lacks",
        ),
        pytest.param(
            {"dateFrom": "2026-01-01", "dateTo": "2027-03-31"}, "$.dateTo",
            "2027-03-31 is past the end of the fiscal year 2026 (2026-01-01..2026-12-31) that "
            "dateFrom is in: a FEC covers one fiscal year; its last day is 2026-12-31",
            id="past-the-years-end",
        ),
    ],
)  # fmt: skip
def test_a_period_outside_the_dossiers_fiscal_years_is_refused_naming_them(
    sandbox: Sandbox, period: dict[str, str], where: str, says: str
) -> None:
    with client(sandbox) as c, pytest.raises(InputValidationError) as refused:
        c.call("sage_ge/exportFEC", {**YEAR, **period})
    assert f"{where}: {says}" in str(refused.value)


def test_a_fiscal_year_without_entries_is_its_header_named_by_its_closing_date(
    sandbox: Sandbox,
) -> None:
    # A fresh dossier's year: nothing posted yet is a FEC with no rows, not a mistake; a
    # quarter of it is still named after the year's closing date.
    with client(sandbox) as c:
        year = c.call("sage_ge/exportFEC", YEAR)
        quarter = c.call("sage_ge/exportFEC", {**YEAR, "dateTo": "2026-03-31"})
    assert year["content"] == "\t".join(COLUMNS) + "\n"
    assert year["fileName"] == quarter["fileName"] == "552100554FEC20261231.txt"


@pytest.mark.parametrize(
    ("siren", "says"),
    [
        ("55210055", "9-digit SIREN, got '55210055' (it has 8 digits)"),
        ("552 100 554", "digits only, no spaces"),
        ("552100545", "not a valid SIREN: its check digit"),  # two digits swapped
        ("552100553", "not a valid SIREN"),  # one mistyped
    ],
)
def test_a_mistyped_siren_is_refused_saying_what_is_wrong(siren: str, says: str) -> None:
    from sageflow._registry import get_component

    with pytest.raises(InputValidationError, match=re.escape(says)) as refused:
        get_component("sage_ge/exportFEC").validate({**YEAR, "siren": siren})
    assert "$.siren" in str(refused.value)


def test_the_piece_reference_leaves_the_senders_marker_out(sandbox: Sandbox) -> None:
    with client(sandbox) as c:
        made = c.call(
            "sage_ge/createJournalEntry",
            {
                "journalCode": "OD", "date": "2026-02-02", "reference": "PIECE-7",
                "lines": [{"account": "512000", "label": "Frais", "debit": "5.00"},
                          {"account": "627000", "label": "Frais", "credit": "5.00"}],
            },
        )  # fmt: skip
        out = c.call("sage_ge/exportFEC", YEAR)
    assert made["marker"] in sandbox.records("entries")[0]["reference"]
    rows = [line.split("\t") for line in out["content"].splitlines()[1:]]
    assert {row[8] for row in rows} == {"PIECE-7"}
