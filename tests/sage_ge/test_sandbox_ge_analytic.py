"""The Chift sandbox's analytic plans and accounts (axes and sections analytiques) and the
analytic distribution of journal entry lines."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sage_ge.sandbox import DEV_TOKEN, Clock, Sandbox


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    box = Sandbox(clock=Clock.manual())
    with httpx.Client(
        transport=box.transport(),
        base_url=box.api_base,
        headers={"authorization": f"Bearer {DEV_TOKEN}"},
    ) as client:
        yield client
    box.close()


def entry(distribution: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "journal_id": "1", "number": "F1", "currency": "EUR", "date": "2026-01-04",
        "items": [
            {"account_type": "customer_account", "account": "CDUPONT", "debit": 100, "credit": 0},
            {"account_type": "general_account", "account": "706000", "debit": 0, "credit": 100,
             "analytic_distribution": distribution},
        ],
    }  # fmt: skip


SPLIT = [
    {"analytic_plan": "1", "analytic_accounts": [
        {"analytic_account": "PARIS", "percentage": 60},
        {"analytic_account": "LYON", "percentage": 40}]},
    {"analytic_plan": "2", "analytic_accounts": [{"analytic_account": "TRAIT", "percentage": 100}]},
]  # fmt: skip


def test_plans_and_accounts(http: httpx.Client) -> None:
    plans = http.get("/analytic-plans").json()["items"]
    assert [p["name"] for p in plans] == ["Sites", "Activités"]
    default = http.get("/analytic-accounts").json()["items"]
    assert [a["id"] for a in default] == ["PARIS", "LYON"]  # the default (first) plan's
    assert "analytic_plan" not in default[0]
    every = http.get("/analytic-accounts/multi-analytic-plans").json()["items"]
    assert [(a["analytic_plan"], a["id"]) for a in every] == [
        ("1", "PARIS"), ("1", "LYON"), ("2", "BOUL"), ("2", "TRAIT"),
    ]  # fmt: skip
    assert http.get("/analytic-accounts/PARIS").json()["name"] == "Paris"
    missing = http.get("/analytic-accounts/BOUL")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "ERROR_ANALYTIC_ACCOUNT_NOT_FOUND"


def test_distribution_is_posted_and_summed(http: httpx.Client) -> None:
    made = http.post("/journal-entries", json=entry(SPLIT))
    assert made.status_code == 200, made.text
    accounts = {
        (a["analytic_plan"], a["id"]): a
        for a in http.get("/analytic-accounts/multi-analytic-plans").json()["items"]
    }
    assert accounts[("1", "PARIS")]["credit"] == 60.0
    assert accounts[("1", "LYON")]["balance"] == -40.0
    assert accounts[("2", "TRAIT")]["credit"] == 100.0
    assert accounts[("2", "BOUL")]["credit"] == 0.0
    mono = http.get("/journal/entries").json()["items"][0]["items"][1]
    assert (mono["analytic_account"], mono["analytic_account_name"]) == ("PARIS", "Paris")
    multi = http.get("/journal/entries/multi-analytic-plans").json()["items"][0]["items"][1]
    assert multi["analytic_distribution"] == SPLIT


@pytest.mark.parametrize(
    ("distribution", "code"),
    [
        ([{"analytic_plan": "9", "analytic_accounts": []}], "ERROR_ANALYTIC_PLAN_NOT_FOUND"),
        ([{"analytic_plan": "1", "analytic_accounts": [
            {"analytic_account": "BOUL", "percentage": 100}]}], "ERROR_ANALYTIC_ACCOUNT_NOT_FOUND"),
    ],
)  # fmt: skip
def test_unknown_plan_or_account_is_refused(
    http: httpx.Client, distribution: list[dict[str, Any]], code: str
) -> None:
    answer = http.post("/journal-entries", json=entry(distribution))
    assert answer.status_code == 404
    assert answer.json()["error_code"] == code
    assert http.get("/journal/entries").json()["total"] == 0


def test_a_state_file_from_before_analytics_still_lists(tmp_path: Path) -> None:
    """A .sageflow state file written before the sandbox seeded analytic plans has none: the
    lists still answer (the default plan is then none)."""
    data = tmp_path / "old.db"
    Sandbox(clock=Clock.manual(), data=data).close()
    with sqlite3.connect(data) as db:
        db.execute("DELETE FROM records WHERE resource LIKE 'analytic_%'")
    box = Sandbox(clock=Clock.manual(), data=data)
    with httpx.Client(
        transport=box.transport(),
        base_url=box.api_base,
        headers={"authorization": f"Bearer {DEV_TOKEN}"},
    ) as old:
        assert old.post("/journal-entries", json=entry([])).status_code == 200
        assert old.get("/journal/entries").json()["total"] == 1
        assert old.get("/analytic-accounts").json()["items"] == []
    box.close()
