"""``exportFEC``: the Fichier des Écritures Comptables of a period, from Chift's journal
entries, with the 18 columns of LPF art. A47 A-1 (Chift's own export-fec has 17)."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from sage_ge import _fec
from sage_ge._pack import PACK
from sage_ge._paging import (
    MAX_PAGES_PER_LISTING,
    MAX_SIZE,
    MAX_WINDOW_MONTHS,
    ListInputs,
    list_action,
    page_of,
    plus_months,
    windowed_list_action,
)
from sage_ge._rules import FiscalYear
from sageflow._component import READ_ONLY, Action, Inputs
from sageflow._errors import FieldProblem, InputValidationError
from sageflow._options import closed_set
from sageflow._types import Date
from sageflow._values import HTTPRequest, HTTPResponse

#: A first fiscal year may run past 12 months; French practice accepts up to 24.
MAX_FISCAL_YEAR_MONTHS = 24


class ExportFECInputs(Inputs):
    dateFrom: Date = Field(
        description="First day of the period (the fiscal year's start).", examples=["2026-01-01"]
    )
    dateTo: Date = Field(
        description="Last day of the period (the fiscal year's end).", examples=["2026-12-31"]
    )
    siren: str = Field(
        description="The company's SIREN (9 digits, no spaces).",
        examples=["552100554"],
        # Checked by _siren (its message says what is wrong); the pattern is for JSON Schema.
        json_schema_extra={"pattern": _fec.SIREN_PATTERN},
    )
    closingDate: Date | None = Field(
        default=None,
        description="The fiscal year's closing date in the file name; dateTo when not given.",
        examples=["2026-12-31"],
    )
    separator: closed_set({"tab": "Tab", "pipe": "Pipe (|)"}) = Field(  # type: ignore[valid-type]
        default="tab", description="tab or pipe (|)."
    )
    decimalSeparator: str = Field(
        default=",", pattern=r"^[,.]$", description="Amounts' decimal separator (, or .)."
    )
    unpostedAllowed: bool = Field(
        default=False, description="Include unposted entries (brouillard); a FEC normally has none."
    )

    fiscalYears: list[FiscalYear] | None = Field(
        default=None,
        min_length=1,
        description=(
            "The dossier's fiscal years, when the flow knows them; otherwise they are read from "
            "Chift's GET /bookyears (on request at Chift: when it is not served, the period is "
            "not checked against them)."
        ),
    )
    allowEmpty: bool = Field(
        default=False,
        description=(
            "When the fiscal years are unknown, export a period with no entries (the header "
            "row alone); otherwise such a period is refused, a mistyped year being the usual "
            "reason."
        ),
    )

    @field_validator("siren")
    @classmethod
    def _siren(cls, value: str) -> str:
        problem = _fec.siren_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("dateTo")
    @classmethod
    def _period(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("dateFrom")
        if not isinstance(start, date):
            return value  # dateFrom is refused on its own
        if value < start:
            raise ValueError(f"the period ends ({value}) before it starts (dateFrom {start})")
        if plus_months(start, MAX_FISCAL_YEAR_MONTHS) <= value:
            # A typed year (2062 for 2026) would otherwise read decades, 3 months a request.
            raise ValueError(
                f"{start}..{value} is longer than a fiscal year: a FEC covers one exercice, at "
                f"most {MAX_FISCAL_YEAR_MONTHS} months (a first year's longest); give the "
                "fiscal year's last day"
            )
        return value


class ExportFECOutput(BaseModel):
    fileName: str = Field(description="<SIREN>FEC<AAAAMMJJ>.txt")
    content: str = Field(description="The file's text: a header row and one row per line.")
    entries: int = Field(description="Entries written.")
    lines: int = Field(description="Rows written (header excluded).")


_EXAMPLE_ROW = (
    "VE\tVentes\tVE0042\t20260310\t411000\tClients\tCDUPONT\tDupont SARL\tFacture 12\t20260310\t"
    "Facture 12\t120,00\t0,00\t\t\t20260310\t\t"
)


@PACK.component(
    key="exportFEC",
    title="Export FEC",
    description=(
        "Export the FEC (Fichier des Écritures Comptables) of a period: the 18 columns of LPF "
        "art. A47 A-1 in order (EcritureLib included, which Chift's own export omits), dates "
        "AAAAMMJJ, tab- or pipe-separated, named <SIREN>FEC<AAAAMMJJ>.txt; an entry that does "
        "not balance stops the export, named; the period must lie in one of the dossier's "
        "fiscal years (given, or GET /bookyears where Chift serves it), whose closing date "
        "names the file. Reads GET /journals and GET /journal/entries, "
        f"{MAX_WINDOW_MONTHS} months at a time (Chift lists no wider window)."
    ),
    inputs=ExportFECInputs,
    output=ExportFECOutput,
    annotations=READ_ONLY,
    example_input={"dateFrom": "2026-01-01", "dateTo": "2026-12-31", "siren": "552100554"},
    example_output={
        "fileName": "552100554FEC20261231.txt",
        "content": "\t".join(_fec.COLUMNS) + "\n" + _EXAMPLE_ROW + "\n",
        "entries": 1,
        "lines": 1,
    },
    availability="live",
)
def export_fec(inputs: ExportFECInputs) -> Action:
    years = inputs.fiscalYears
    if years is None:
        years = yield from _book_years()
    year = _fiscal_year(inputs, years) if years else None
    journals = yield from list_action("/journals", ListInputs(fetchAll=True))
    # Chift lists at most 3 months of entries at once: a fiscal year is read window by window.
    entries = yield from windowed_list_action(
        "/journal/entries",
        inputs.dateFrom,
        inputs.dateTo,
        {"unposted_allowed": inputs.unpostedAllowed},
    )
    by_id = {str(j.get("id")): j for j in journals["items"] if isinstance(j, dict)}
    # Chift's listing is by posting date already; sorted again so the file is in date order
    # whatever the server's page order.
    ordered = sorted(
        (e for e in entries["items"] if isinstance(e, dict)),
        key=lambda e: (str(e.get("date") or ""), str(e.get("name") or e.get("id") or "")),
    )
    try:
        rows = _fec.rows(ordered, by_id, point=inputs.decimalSeparator)
    except _fec.FECError as error:
        raise InputValidationError(
            "sage_ge/exportFEC", [FieldProblem("$.dateFrom", f"the period's entries: {error}")]
        ) from None
    if not ordered and year is None and not inputs.allowEmpty:
        raise InputValidationError(
            "sage_ge/exportFEC",
            [
                FieldProblem(
                    "$.dateFrom",
                    f"the dossier has no entries dated {inputs.dateFrom}..{inputs.dateTo}: check "
                    "the period (its year) and the dossier (the connection's folderId); "
                    "allowEmpty: true exports the header row alone",
                )
            ],
        )
    # The file is named after the fiscal year's closing date (LPF art. A47 A-1).
    closing: date = inputs.closingDate or (year.end if year is not None else inputs.dateTo)
    return {
        "fileName": _fec.file_name(inputs.siren, closing),
        "content": _fec.text(rows, inputs.separator),
        "entries": len(ordered),
        "lines": len(rows),
    }


def _book_years() -> Generator[HTTPRequest, HTTPResponse, list[FiscalYear] | None]:
    """The dossier's fiscal years from ``GET /bookyears``, or None where Chift does not serve
    it (405 ``ERROR_RESOURCE_NOT_SUPPORTED``: on request for Sage GE)."""
    found: list[Any] = []
    page = 1
    while page <= MAX_PAGES_PER_LISTING:
        response = yield HTTPRequest(
            "GET", "/bookyears", query={"page": page, "size": MAX_SIZE}, expect=frozenset({405})
        )
        if response.status == 405:
            return None
        items, total = page_of(response.json(), "/bookyears")
        found.extend(items)
        if len(items) < MAX_SIZE or (total is not None and len(found) >= total):
            break
        page += 1
    return [
        FiscalYear(start=y["start"], end=y["end"], closed=bool(y.get("closed")), name=y.get("name"))
        for y in found
        if isinstance(y, dict)
    ]


def _fiscal_year(inputs: ExportFECInputs, years: Sequence[FiscalYear]) -> FiscalYear:
    """The fiscal year the period lies in; a period in none, or running past its year's end,
    is refused (a mistyped year), naming the dossier's years."""
    known = "; ".join(
        f"{y.name or y.start.year}: {y.start}..{y.end}{' (closed)' if y.closed else ''}"
        for y in sorted(years, key=lambda y: y.start)
    )
    year = next((y for y in years if y.start <= inputs.dateFrom <= y.end), None)
    if year is None:
        raise InputValidationError(
            "sage_ge/exportFEC",
            [
                FieldProblem(
                    "$.dateFrom",
                    f"{inputs.dateFrom} is in none of the dossier's fiscal years ({known}): "
                    "check the year",
                )
            ],
        )
    if inputs.dateTo > year.end:
        raise InputValidationError(
            "sage_ge/exportFEC",
            [
                FieldProblem(
                    "$.dateTo",
                    f"{inputs.dateTo} is past the end of the fiscal year {year.name or ''} "
                    f"({year.start}..{year.end}) that dateFrom is in: a FEC covers one fiscal "
                    f"year; its last day is {year.end}",
                )
            ],
        )
    return year
