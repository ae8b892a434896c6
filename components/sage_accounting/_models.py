"""Inputs and outputs shared by many Sage components (list filters, links, list results)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, WithJsonSchema

from sageflow._component import Inputs

# Re-exported: the pack's modules import their input types from here, as before the move.
from sageflow._types import Bool as Bool
from sageflow._types import Date as Date
from sageflow._types import Int as Int
from sageflow._types import Money as Money
from sageflow._types import Timestamp as Timestamp

# Sage's ids are 32 hex characters, GUIDs with dashes (businesses) or reference-data keys
# (GB_STANDARD, CUSTOMER, GBP, CA-ON): every id in the recorded samples and the swagger fits.
# Ids go into request paths, so anything else ("../purchase_invoices/X", "abc?search=x") is
# refused before a request is built.
_SAGE_ID = r"^[A-Za-z0-9_-]{1,128}$"
_SAGE_ID_RE = re.compile(_SAGE_ID)


def _sage_id(raw: Any) -> Any:
    if isinstance(raw, str) and not _SAGE_ID_RE.fullmatch(raw):
        raise ValueError(
            "expected a Sage id: 1-128 letters, digits, '_' or '-' "
            "(an id is one path segment; '/', '.', '?', '#', '%' and spaces are refused)"
        )
    return raw


#: A record id: one path segment of Sage's id alphabet (see ``_SAGE_ID``).
Id = Annotated[
    str,
    Strict(),
    BeforeValidator(_sage_id),
    WithJsonSchema({"type": "string", "pattern": _SAGE_ID}),
]


class SageObject(BaseModel):
    """A Sage resource as returned; Sage adds fields over time, so unknown ones are kept."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    id: str | None = Field(default=None, description="Sage's id (32 hex characters, or a key).")
    displayed_as: str | None = Field(default=None, description="How Sage shows the record.")
    path: str | None = Field(default=None, alias="$path", description="The record's API path.")


ItemT = TypeVar("ItemT", bound=SageObject)


class ListOutput(BaseModel, Generic[ItemT]):
    """One page of a Sage list, or every page when ``fetchAll`` was set.

    Parametrized by the record model (``ListOutput[Contact]``) so a host sees the item shape;
    bare ``ListOutput`` lists plain :class:`SageObject` records.
    """

    model_config = ConfigDict(extra="forbid")

    items: list[ItemT] = Field(description="The records, in Sage's order.")
    total: int = Field(description="How many records match, across every page ($total).")
    page: int = Field(description="The last page fetched ($page).")
    itemsPerPage: int | None = Field(description="Page size Sage used ($itemsPerPage).")
    next: str | None = Field(description="Relative link to the next page, if any ($next).")
    back: str | None = Field(description="Relative link to the previous page, if any ($back).")
    pagesFetched: int = Field(description="How many requests the list took.")


class DeleteOutput(BaseModel):
    """What a delete returns: Sage answers 204 with no body, so the id deleted is echoed."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The id of the record deleted.")
    deleted: bool = Field(description="True once Sage confirmed the deletion.")


class PageControls(Inputs):
    """Paging inputs every list action takes."""

    page: Int | None = Field(
        default=None, ge=1, description="Which page to fetch (1 is the first).", examples=[1]
    )
    itemsPerPage: Int | None = Field(
        default=None,
        ge=1,
        le=200,
        description=(
            "Records per page, 1-200 (Sage's default is 20; fetchAll asks for 200 unless set)."
        ),
        examples=[100],
    )
    fetchAll: Bool = Field(
        default=False,
        description="Follow $next to the last page and return every record.",
        examples=[True],
    )
    limit: Int | None = Field(
        default=None,
        ge=1,
        description="With fetchAll, stop once this many records are collected.",
        examples=[500],
    )


class PagingInputs(PageControls):
    """Paging inputs plus ``attributes``, which every list except /businesses takes."""

    attributes: str | None = Field(
        default=None,
        description="Extra fields to return: a comma-separated list, or `all`.",
        examples=["all"],
    )


class UpdatedSinceInputs(PagingInputs):
    """Filters for lists that take ``updated_or_created_since`` but not ``deleted_since``.

    ``GET /ledger_accounts`` is one: the spec lists no ``deleted_since`` parameter for it.
    """

    updated_or_created_since: Timestamp | None = Field(
        default=None,
        description="Only records created or changed at or after this time (inclusive).",
        examples=["2015-10-27T16:24:52Z"],
    )


class ChangeTrackingInputs(UpdatedSinceInputs):
    """Filters for resources Sage tracks changes and deletions on."""

    deleted_since: Timestamp | None = Field(
        default=None,
        description="Only records deleted after this time (exclusive).",
        examples=["2024-01-01T00:00:00Z"],
    )


#: Inputs that shape paging and are not sent to Sage under their own names.
PAGING_ONLY = ("fetchAll", "limit")
PAGING_RENAME = {"itemsPerPage": "items_per_page"}


def list_query(inputs: PageControls, rename: dict[str, str] | None = None) -> dict[str, Any]:
    """Query parameters for a list action from its inputs (paging-only inputs excluded)."""
    from sage_accounting import _wire

    return _wire.query(inputs, rename={**PAGING_RENAME, **(rename or {})}, exclude=PAGING_ONLY)


def optional(description: str, example: Any, **constraints: Any) -> Any:
    """An optional input: omitted unless given, documented with one example."""
    return Field(default=None, description=description, examples=[example], **constraints)


def required_id(what: str, example: str, **extra: Any) -> Any:
    """A required record id input (Sage ids are 32 hex characters, or keys like GB_STANDARD)."""
    return Field(description=f"The {what}'s id.", examples=[example], min_length=1, **extra)


#: What a Sage list returns of each record unless ``attributes`` asks for more [G-attr].
LISTED_KEYS = ("id", "displayed_as", "$path")


def stub(path: str, key: str, shown: str) -> dict[str, str]:
    """An example of a linked record as Sage nests it: ``{id, displayed_as, $path}``."""
    return {"id": key, "displayed_as": shown, "$path": f"/{path}/{key}"}


def page_of(
    *items: dict[str, Any], items_per_page: int = 20, attributes: bool = False
) -> dict[str, Any]:
    """An example list output holding ``items`` on one page.

    Without ``attributes`` each item keeps only what Sage lists return by default (id,
    displayed_as, $path) [G-attr], so an example never shows a field a flow would not get.
    """
    if not attributes:
        items = tuple({k: item[k] for k in LISTED_KEYS if k in item} for item in items)
    return {
        "items": list(items),
        "total": len(items),
        "page": 1,
        "itemsPerPage": items_per_page,
        "next": None,
        "back": None,
        "pagesFetched": 1,
    }
