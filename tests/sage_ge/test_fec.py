"""The FEC (sage_ge._fec): 18 columns in the article's order, AAAAMMJJ dates, balanced entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from sage_ge._fec import COLUMNS, FECError, file_name, rows, text

JOURNALS = {"1": {"id": "1", "code": "VE", "name": "Ventes"}, "3": {"id": "3", "code": "BQ"}}


def entry(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "E1", "name": "VE0042", "journal_id": "1", "date": "2026-03-10",
        "reference": "F2026-012", "posted": True,
        "items": [
            {"account_number": "411000", "account_name": "Clients", "partner_id": "CDUPONT",
             "partner_name": "Dupont SARL", "description": "Facture 12", "debit": 120.0,
             "credit": 0, "currency": "EUR", "matching_numbers": ["AA"]},
            {"account_number": "706000", "account_name": "Prestations", "description": "Facture 12",
             "debit": 0, "credit": 100.0, "currency": "EUR"},
            {"account_number": "445710", "account_name": "TVA collectée",
             "description": "TVA\tfacture|12", "debit": 0, "credit": 20.0, "currency": "EUR"},
        ],
    }  # fmt: skip
    base.update(changes)
    return base


def test_the_18_columns_in_the_articles_order() -> None:
    assert COLUMNS == (
        "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
        "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
        "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
    )  # fmt: skip
    content = text(rows([entry()], JOURNALS))
    header, *lines = content.splitlines()
    assert header.split("\t") == list(COLUMNS)
    assert len(lines) == 3
    assert all(len(line.split("\t")) == 18 for line in lines)


def test_a_row_holds_each_field_where_the_article_puts_it() -> None:
    first = dict(zip(COLUMNS, rows([entry()], JOURNALS)[0], strict=True))
    assert first == {
        "JournalCode": "VE", "JournalLib": "Ventes", "EcritureNum": "VE0042",
        "EcritureDate": "20260310", "CompteNum": "411000", "CompteLib": "Clients",
        "CompAuxNum": "CDUPONT", "CompAuxLib": "Dupont SARL", "PieceRef": "F2026-012",
        "PieceDate": "20260310", "EcritureLib": "Facture 12", "Debit": "120,00",
        "Credit": "0,00", "EcritureLet": "AA", "DateLet": "", "ValidDate": "20260310",
        "Montantdevise": "", "Idevise": "",
    }  # fmt: skip


def test_each_entry_in_the_file_balances() -> None:
    entries = [entry(), entry(id="E2", name="BQ0001", journal_id="3", items=[
        {"account_number": "512000", "debit": "0.10", "credit": 0},
        {"account_number": "411000", "partner_id": "CDUPONT", "debit": 0, "credit": 0.1},
    ])]  # fmt: skip
    written = rows(entries, JOURNALS, point=".")
    by_entry: dict[str, list[tuple[str, ...]]] = {}
    for row in written:
        by_entry.setdefault(row[2], []).append(row)
    assert sorted(by_entry) == ["BQ0001", "VE0042"]
    for lines in by_entry.values():
        assert sum(Decimal(r[11]) for r in lines) == sum(Decimal(r[12]) for r in lines)
    assert by_entry["BQ0001"][0][1] == "BQ"  # a journal without a name is named by its code


def test_an_unbalanced_entry_stops_the_export_naming_it() -> None:
    broken = entry(name="VE0043")
    broken["items"][2] = {**broken["items"][2], "credit": 19.99}
    with pytest.raises(FECError, match=r"entry VE0043: debits 120\.0 and credits 119\.99"):
        rows([entry(), broken], JOURNALS)


def test_separators_and_line_breaks_in_text_cannot_shift_columns() -> None:
    third = rows([entry()], JOURNALS)[2]
    assert third[10] == "TVA facture 12"
    piped = text(rows([entry()], JOURNALS), "pipe")
    assert all(line.count("|") == 17 for line in piped.splitlines())


def test_foreign_currency_lines_fill_montantdevise_and_idevise() -> None:
    usd = entry(items=[
        {"account_number": "411000", "partner_id": "CUS", "debit": 50, "credit": 0,
         "currency": "USD"},
        {"account_number": "706000", "debit": 0, "credit": 50, "currency": "USD"},
    ])  # fmt: skip
    first, second = rows([usd], JOURNALS)
    assert (first[16], first[17]) == ("50,00", "USD")
    assert (second[16], second[17]) == ("-50,00", "USD")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date": None}, "has no date"),
        ({"items": []}, "has no lines"),
        ({"items": [{"account_number": "1", "debit": "abc", "credit": 0}]}, "not a number"),
        ({"items": [{"account_number": "1", "debit": "NaN", "credit": 0}]}, "not a number"),
    ],
)
def test_hostile_entries_are_refused_by_name(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(FECError, match=message):
        rows([entry(**changes)], JOURNALS)


def test_unposted_entries_have_no_validation_date() -> None:
    assert rows([entry(posted=False)], JOURNALS)[0][15] == ""


def test_file_name_from_siren_and_closing_date() -> None:
    assert file_name("552100554", date(2026, 12, 31)) == "552100554FEC20261231.txt"
    for bad in ("55210055", "5521005541", "55210055A", ""):
        with pytest.raises(FECError, match="9-digit SIREN"):
            file_name(bad, date(2026, 12, 31))
