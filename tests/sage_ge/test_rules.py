"""Sage GE's entry rules (sage_ge._rules): each refusal names its rule, entry, line and fix."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from sage_ge._rules import (
    BANK_LABEL_LIMIT,
    Books,
    Entry,
    FiscalYear,
    Journal,
    check_entries,
    check_entry,
    check_fiscal_years,
    document_number,
    marker,
    missing_account_label,
    prepare,
)

TODAY = date(2026, 3, 15)
YEARS = (
    FiscalYear(start=date(2024, 1, 1), end=date(2024, 12, 31), closed=True),
    FiscalYear(start=date(2025, 1, 1), end=date(2025, 12, 31)),
    FiscalYear(start=date(2026, 1, 1), end=date(2026, 12, 31)),
)
JOURNALS = (
    Journal(code="VE", kind="customer_invoice"),
    Journal(code="AC", kind="supplier_invoice"),
    Journal(code="BQ", kind="financial_operation"),
    Journal(code="OD"),
    Journal(code="AN", closed=True),
)
BOOKS = Books(today=TODAY, fiscalYears=YEARS, journals=JOURNALS)


def sale(**changes: Any) -> Entry:
    raw: dict[str, Any] = {
        "journalCode": "VE",
        "date": "2026-03-10",
        "lines": [
            {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "Facture 12",
             "debit": "120.00"},
            {"account": "706000", "label": "Facture 12", "credit": "100.00", "vatCode": "20"},
            {"account": "445710", "label": "TVA facture 12", "credit": "20.00"},
        ],
    }  # fmt: skip
    raw.update(changes)
    return Entry.model_validate(raw)


def rules(refusals: list[Any]) -> list[tuple[str, int | None]]:
    return [(r.rule, r.line) for r in refusals]


def test_a_good_sale_breaks_no_rule() -> None:
    assert check_entries([sale()], BOOKS) == []


def test_411000_without_auxiliary_account_is_refused_naming_the_line() -> None:
    entry = sale()
    lines = list(entry.lines)
    lines[0] = lines[0].model_copy(update={"auxiliaryAccount": None})
    refusals = check_entry(entry.model_copy(update={"lines": tuple(lines)}), BOOKS, index=3)
    assert rules(refusals) == [("COLLECTIVE_NEEDS_AUXILIARY", 0)]
    assert refusals[0].entry == 3
    assert "411000" in refusals[0].message
    assert "auxiliaryAccount" in refusals[0].fix
    assert "[COLLECTIVE_NEEDS_AUXILIARY] entry 3, line 0" in str(refusals[0])


def test_401_supplier_line_needs_one_too_and_a_firm_can_add_collectives() -> None:
    entry = Entry.model_validate(
        {"journalCode": "AC", "date": "2026-03-10", "lines": [
            {"account": "607000", "label": "Achat", "debit": "50"},
            {"account": "401000", "label": "Achat", "credit": "50"},
        ]}
    )  # fmt: skip
    assert rules(check_entry(entry, BOOKS)) == [("COLLECTIVE_NEEDS_AUXILIARY", 1)]
    staff = entry.model_copy(
        update={"lines": (entry.lines[0], entry.lines[1].model_copy(update={"account": "421000"}))}
    )
    assert check_entry(staff, BOOKS) == []
    books = BOOKS.model_copy(update={"collectivePrefixes": ("401", "411", "421")})
    assert rules(check_entry(staff, books)) == [("COLLECTIVE_NEEDS_AUXILIARY", 1)]


def test_entry_in_a_third_open_year_is_refused() -> None:
    books = BOOKS.model_copy(
        update={"fiscalYears": (*YEARS[1:], YEARS[0].model_copy(update={"closed": False}))}
    )
    refusals = check_entry(sale(date="2024-06-30"), books)
    assert rules(refusals) == [("POSTING_DATE_IN_OPEN_YEAR", None)]
    assert "older than the two most recent open years" in refusals[0].message
    # and the dossier itself is flagged: three open years
    assert "AT_MOST_TWO_OPEN_YEARS" in [r.rule for r in check_fiscal_years(books)]


def test_entry_in_a_closed_year_or_no_year_is_refused() -> None:
    closed = check_entry(sale(date="2024-06-30"), BOOKS)
    assert rules(closed) == [("POSTING_DATE_IN_OPEN_YEAR", None)]
    assert "closed fiscal year" in closed[0].message
    nowhere = check_entry(sale(date="2027-01-02"), BOOKS)
    assert "in no fiscal year" in nowhere[0].message


def test_unbalanced_entry_is_refused_with_the_difference() -> None:
    entry = sale()
    lines = (*entry.lines[:2], entry.lines[2].model_copy(update={"credit": Decimal("19.99")}))
    refusals = check_entry(entry.model_copy(update={"lines": lines}), BOOKS)
    assert rules(refusals) == [("ENTRY_BALANCED", None)]
    assert "differ by 0.01" in refusals[0].message


def test_closed_and_unknown_journals_are_refused() -> None:
    assert rules(check_entry(sale(journalCode="AN"), BOOKS)) == [("JOURNAL_OPEN", None)]
    unknown = check_entry(sale(journalCode="ZZ"), BOOKS)
    assert rules(unknown) == [("JOURNAL_OPEN", None)]
    assert "VE, AC, BQ, OD, AN" in unknown[0].message


def test_a_line_is_debit_or_credit_never_both_nor_neither() -> None:
    entry = Entry.model_validate(
        {"journalCode": "OD", "date": "2026-03-10", "lines": [
            {"account": "471000", "label": "x", "debit": "10", "credit": "10"},
            {"account": "471100", "label": "y"},
        ]}
    )  # fmt: skip
    assert rules(check_entry(entry, BOOKS)) == [
        ("LINE_DEBIT_OR_CREDIT", 0),
        ("LINE_DEBIT_OR_CREDIT", 1),
    ]


def test_zero_and_one_line_entries_are_refused() -> None:
    assert rules(check_entry(sale(lines=[]), BOOKS)) == [("ENTRY_HAS_LINES", None)]
    one = sale(lines=[{"account": "471000", "label": "x", "debit": "1"}])
    assert [r.rule for r in check_entry(one, BOOKS)] == ["ENTRY_HAS_LINES", "ENTRY_BALANCED"]


def test_fiscal_years_state() -> None:
    assert check_fiscal_years(BOOKS) == []
    late = BOOKS.model_copy(update={"today": date(2027, 2, 1)})
    assert [r.rule for r in check_fiscal_years(late)] == ["OPEN_YEAR_COVERS_TODAY"]
    gap = BOOKS.model_copy(
        update={
            "fiscalYears": (YEARS[1], FiscalYear(start=date(2026, 2, 1), end=date(2026, 12, 31)))
        }
    )
    assert next(r.message for r in check_fiscal_years(gap)).endswith("are not consecutive.")
    overlap = BOOKS.model_copy(
        update={
            "fiscalYears": (YEARS[1], FiscalYear(start=date(2025, 7, 1), end=date(2026, 6, 30)))
        }
    )
    found = check_fiscal_years(overlap)
    assert [r.rule for r in found] == ["OPEN_YEARS_CONSECUTIVE"]
    assert found[0].message.endswith("overlap.")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"lines": [{"account": "41100A", "label": "x", "debit": "1"}]}, ("lines", 0, "account")),
        ({"lines": [{"account": "411000", "label": "x", "debit": "-5"}]}, ("lines", 0, "debit")),
        ({"lines": [{"account": "411000", "label": "x", "credit": 1.005}]}, ("lines", 0, "credit")),
        ({"lines": [{"account": "411000", "label": "x", "debit": "1e3"}]}, ("lines", 0, "debit")),
        ({"lines": [{"account": "411000", "label": "x", "debit": True}]}, ("lines", 0, "debit")),
        ({"lines": [{"account": "411000", "auxiliaryAccount": "c dupont", "label": "x"}]},
         ("lines", 0, "auxiliaryAccount")),
        ({"date": "15/03/2026"}, ("date",)),
        ({"date": "2026-02-30"}, ("date",)),
        ({"date": 1773532800}, ("date",)),
        ({"journalCode": "ve"}, ("journalCode",)),
    ],
)  # fmt: skip
def test_hostile_input_is_refused_by_the_model_naming_the_field(
    change: dict[str, Any], path: tuple[Any, ...]
) -> None:
    with pytest.raises(ValidationError) as caught:
        sale(**change)
    assert tuple(caught.value.errors()[0]["loc"])[: len(path)] == path


def test_dates_as_iso_strings_and_amounts_as_numbers_are_read_exactly() -> None:
    entry = sale(
        lines=[
            {"account": "512000", "label": "x", "debit": 0.1},
            {"account": "471000", "label": "y", "credit": "0.10"},
        ]
    )
    assert entry.date == date(2026, 3, 10)
    assert entry.lines[0].debit == Decimal("0.1")
    assert check_entry(entry, BOOKS) == []


def test_bank_label_of_45_characters_is_cut_to_30_with_the_full_label_in_the_comment() -> None:
    label = "Virement SEPA reçu de DUPONT SARL facture 12"
    label = label + "x" * (45 - len(label))
    assert len(label) == 45
    entry = Entry.model_validate(
        {"journalCode": "BQ", "date": "2026-03-10", "comment": "import Qonto", "lines": [
            {"account": "512000", "label": label, "debit": "120"},
            {"account": "411000", "auxiliaryAccount": "CDUPONT", "label": "Court", "credit": "120"},
        ]}
    )  # fmt: skip
    prepared = prepare(entry, JOURNALS[2])
    assert prepared.entry.lines[0].label == label[:BANK_LABEL_LIMIT]
    assert len(prepared.entry.lines[0].label) == 30
    assert prepared.entry.lines[1].label == "Court"
    assert prepared.cutLabels == (0,)
    comment = prepared.entry.comment or ""
    assert comment.startswith("import Qonto")
    assert label in comment
    assert comment.endswith(prepared.marker)
    # the same label on a sales journal is not cut
    assert prepare(entry.model_copy(update={"journalCode": "VE"}), JOURNALS[0]).cutLabels == ()


def test_marker_and_document_number() -> None:
    entry = sale()
    mark = marker(entry)
    assert len(mark) == 7
    assert mark.startswith("#")
    assert mark.endswith("#")
    assert mark[1:-1].isalpha()
    assert mark[1:-1].isupper()
    assert marker(sale()) == mark  # the same entry, the same marker (a resume finds it)
    assert marker(sale(date="2026-03-11")) != mark
    assert document_number(entry).startswith("SF")
    assert document_number(sale(documentNumber="PIECE-1")) == "PIECE-1"
    prepared = prepare(entry, JOURNALS[0])
    assert prepared.entry.documentNumber == document_number(entry)
    assert prepared.entry.comment == mark
    # preparing twice adds no second marker
    assert prepare(prepared.entry, JOURNALS[0]).entry.comment == mark


def test_identical_entries_in_one_batch_need_their_own_document_numbers() -> None:
    refusals = check_entries([sale(), sale()], BOOKS)
    assert [(r.rule, r.entry) for r in refusals] == [("DOCUMENT_NUMBER_UNIQUE", 1)]
    assert check_entries([sale(documentNumber="A1"), sale(documentNumber="A2")], BOOKS) == []


def test_an_auxiliary_account_belongs_on_a_third_party_account() -> None:
    entry = Entry.model_validate(
        {"journalCode": "OD", "date": "2026-03-10", "lines": [
            {"account": "512000", "auxiliaryAccount": "CDUPONT", "label": "x", "debit": "10"},
            {"account": "421000", "auxiliaryAccount": "EMARTIN", "label": "y", "credit": "10"},
        ]}
    )  # fmt: skip
    assert rules(check_entry(entry, BOOKS)) == [("AUXILIARY_NEEDS_THIRD_PARTY_ACCOUNT", 0)]


def test_a_bank_entry_prepared_twice_keeps_one_marker() -> None:
    entry = Entry.model_validate(
        {"journalCode": "BQ", "date": "2026-03-10", "lines": [
            {"account": "512000", "label": "L" * 40, "debit": "1"},
            {"account": "471000", "label": "x", "credit": "1"},
        ]}
    )  # fmt: skip
    once = prepare(entry, JOURNALS[2])
    twice = prepare(once.entry, JOURNALS[2])
    assert twice.marker == once.marker
    assert (twice.entry.comment or "").count("#") == 2


def test_missing_account_label() -> None:
    assert missing_account_label("628100") == "Compte 628100"
