"""Inputs and outputs shared by the Sage 200 components (ids, list controls, list results)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator

from sage200._odata import (
    MAX_TOP,
    ORDER_BY_PATTERN,
    SELECT_PATTERN,
    Condition,
    ODataError,
    order_by,
)
from sageflow._component import Inputs
from sageflow._options import closed_set
from sageflow._types import Bool, Int

if TYPE_CHECKING:
    Match = Literal["all", "any"]
else:
    Match = closed_set({"all": "All conditions (and)", "any": "Any condition (or)"})

#: A record id: Sage 200's ids are 64-bit integers ("integer, int64" in every module's spec),
#: so an id can never carry a path separator.
Id = Annotated[int, Strict(), Field(ge=1, le=2**63 - 1)]


class Record(BaseModel):
    """A Sage 200 record as returned; Sage adds fields over time, so unknown ones are kept."""

    model_config = ConfigDict(extra="allow")

    id: int | None = Field(default=None, description="Sage 200's id for the record.")


ItemT = TypeVar("ItemT", bound=BaseModel)


class ListOutput(BaseModel, Generic[ItemT]):
    """One page of a Sage 200 list ($top/$skip), or every page when ``fetchAll`` was set."""

    model_config = ConfigDict(extra="forbid")

    items: list[ItemT] = Field(description="The records, in the order asked for.")
    count: int = Field(description="How many records came back.")
    skip: int = Field(description="How many records were skipped before the first ($skip).")
    top: int | None = Field(description="The page size asked for ($top), if any.")
    pagesFetched: int = Field(description="How many requests the list took.")
    mayHaveMore: bool = Field(
        description="The last page was full, so more records may follow (page on with skip)."
    )


class DeleteOutput(BaseModel):
    """What a delete returns: the id deleted (Sage 200 answers with no body)."""

    model_config = ConfigDict(extra="forbid")

    id: int = Field(description="The id of the record deleted.")
    deleted: bool = Field(description="True once Sage confirmed the deletion.")


class Posted(BaseModel):
    """What posting a transaction returns: no record, only its unique reference number."""

    model_config = ConfigDict(extra="allow")

    urn: int | str = Field(
        description=(
            "The transaction's unique reference number; read the posted transaction with "
            "find...PostedTransaction (urn)."
        )
    )


class ListInputs(Inputs):
    """The query controls every Sage 200 list takes (OData, compiled in ``_odata``)."""

    filter: list[Condition] | None = Field(
        default=None,
        description=(
            "Conditions every record must meet (all of them, or any with match: any); values "
            "are quoted for you, so names such as O'Brien are safe."
        ),
        examples=[[{"field": "reference", "operator": "startswith", "value": "AC"}]],
        min_length=1,
    )
    match: Match = Field(
        default="all",
        description="all: every condition must hold (and); any: one is enough (or).",
        examples=["any"],
    )
    rawFilter: str | None = Field(
        default=None,
        description=(
            "An OData $filter written by hand (the escape hatch), joined to filter with and. "
            "You quote its values yourself."
        ),
        examples=["balance gt 1000 and on_hold eq false"],
        min_length=1,
    )
    orderBy: str | None = Field(
        default=None,
        description="$orderby: fields with an optional asc or desc, comma-separated.",
        examples=["name asc"],
        pattern=ORDER_BY_PATTERN,
    )
    select: list[Annotated[str, Field(pattern=SELECT_PATTERN)]] | None = Field(
        default=None,
        description="$select: only these fields (child fields as customer.name).",
        examples=[["id", "reference", "name"]],
        min_length=1,
    )
    expand: list[Annotated[str, Field(pattern=SELECT_PATTERN)]] | None = Field(
        default=None,
        description="$expand: linked records to include in full.",
        examples=[["currency"]],
        min_length=1,
    )
    top: Int | None = Field(
        default=None,
        ge=1,
        le=MAX_TOP,
        description=(
            "Records per page, 1-5000 (Sage's default is 500). With fetchAll, each page's size."
        ),
        examples=[100],
    )
    skip: Int | None = Field(
        default=None,
        ge=0,
        description="Records to skip first ($skip; Sage needs an order, so one is always sent).",
        examples=[100],
    )
    fetchAll: Bool = Field(
        default=False,
        description="Page on with $skip until a page comes back short, and return every record.",
        examples=[True],
    )
    limit: Int | None = Field(
        default=None,
        ge=1,
        description="With fetchAll, stop once this many records are collected.",
        examples=[1000],
    )

    @field_validator("orderBy")
    @classmethod
    def _order(cls, text: str) -> str:
        try:
            return order_by(text)
        except ODataError as error:
            raise ValueError(str(error)) from None


def optional(description: str, example: Any, **constraints: Any) -> Any:
    """An optional input: omitted unless given, documented with one example."""
    return Field(default=None, description=description, examples=[example], **constraints)


def required(description: str, example: Any, **constraints: Any) -> Any:
    """A required input with one example."""
    return Field(description=description, examples=[example], **constraints)


def page_of(*items: dict[str, Any], top: int | None = None) -> dict[str, Any]:
    """An example list output holding ``items`` on one (short) page."""
    return {
        "items": list(items),
        "count": len(items),
        "skip": 0,
        "top": top,
        "pagesFetched": 1,
        "mayHaveMore": False,
    }


_CENT = Decimal("0.01")


def two_places(amount: Decimal, what: str) -> Decimal:
    # Every amount of these bodies is "decimal 2dp" in the spec: a third decimal would be
    # rounded by Sage, and the analyses would then no longer add up to what was checked.
    if amount != amount.quantize(_CENT):
        raise ValueError(f"{what} {amount} has more than 2 decimal places")
    return amount


def total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, Decimal("0")).quantize(_CENT)
