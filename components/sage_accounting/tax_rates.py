"""Tax rates (``/tax_rates``): GB_STANDARD, GB_ZERO, ... and a business's own rates."""

from __future__ import annotations

from typing import Any

from sage_accounting._actions import attributes_query, get_one, list_of, record_path
from sage_accounting._lookups import ADDRESS_REGIONS, TAX_RATES
from sage_accounting._models import (
    Bool,
    Date,
    Id,
    ListOutput,
    PagingInputs,
    Timestamp,
    optional,
    page_of,
    required_id,
)
from sage_accounting._pack import PACK
from sage_accounting._resources import TaxRate
from sageflow._component import READ_ONLY, Action, Inputs

_EXAMPLE: dict[str, Any] = {
    "id": "GB_STANDARD",
    "displayed_as": "Standard 20.00%",
    "$path": "/tax_rates/GB_STANDARD",
    "name": "Standard",
    "percentage": "20.0",
    "is_visible": True,
}


class ListTaxRatesInputs(PagingInputs):
    updated_or_created_since: Timestamp | None = optional(
        "Only rates created or changed at or after this time (inclusive).",
        "2026-01-01T00:00:00Z",
    )
    usage: str | None = optional("Only rates for sales or purchasing.", "sales")
    addressRegionId: str | None = optional(
        "Only rates of this region (Canada).", "CA-ON", json_schema_extra=ADDRESS_REGIONS
    )
    date: Date | None = optional("Rates in force on this date.", "2026-03-31")
    includeHistoricalData: Bool | None = optional("Include rates no longer in force.", False)
    includeDestinationVatRates: Bool | None = optional("Include EU destination VAT rates.", False)
    cisOnly: Bool | None = optional("Only Construction Industry Scheme rates.", False)


@PACK.component(
    key="listTaxRates",
    title="List Tax Rates",
    description="List tax rates (GET /tax_rates), one page or every page.",
    inputs=ListTaxRatesInputs,
    output=ListOutput[TaxRate],
    annotations=READ_ONLY,
    example_input={"usage": "sales"},
    example_output=page_of(_EXAMPLE),
)
def list_tax_rates(inputs: ListTaxRatesInputs) -> Action:
    return (yield from list_of("/tax_rates", inputs))


class GetTaxRateInputs(Inputs):
    taxRateId: Id = required_id("tax rate", "GB_STANDARD", json_schema_extra=TAX_RATES)
    date: Date | None = optional("The rate in force on this date.", "2026-03-31")
    attributes: str | None = optional("Extra fields to return, or `all`.", "all")


@PACK.component(
    key="getTaxRate",
    title="Get Tax Rate",
    description="Fetch one tax rate (GET /tax_rates/{key}).",
    inputs=GetTaxRateInputs,
    output=TaxRate,
    annotations=READ_ONLY,
    example_input={"taxRateId": "GB_STANDARD"},
    example_output=_EXAMPLE,
)
def get_tax_rate(inputs: GetTaxRateInputs) -> Action:
    query = attributes_query(inputs, "date", "attributes")
    return (yield from get_one(record_path("tax_rates", inputs.taxRateId), query))
