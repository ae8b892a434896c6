"""Sage 200's OData query options, built in one place: a typed filter compiled to ``$filter``.

Sage 200 lists take an OData subset ([Q] in ../shared/reference/sage200-samples/README.md):
``$filter`` with ``eq ne gt ge lt le``, ``and``/``or``, parentheses and the string functions
``contains``, ``startswith``, ``endswith``; dates written ``2016-02-23`` or
``2016-02-24T09:52:11.452Z`` (UTC ``Z`` required with a time); enum values quoted, as their
name or number; ``$select``, ``$orderby``, ``$expand``, ``$top`` and ``$skip``.

A flow's values never become OData syntax: a field name must be an identifier (and not an
OData keyword), a string is quoted with every ``'`` doubled, a number is rendered from an exact
decimal, a date from a parsed date. ``O'Brien``, ``' or 1 eq 1`` and ``x) or (1 eq 1`` stay
string literals. The raw ``$filter`` input is the one deliberate escape hatch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, Strict, field_validator, model_validator

from sageflow._component import Inputs
from sageflow._options import closed_set
from sageflow._types import Bool, Money

#: One property name, or a path through expanded records (``customer/reference``).
FIELD_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}(?:/[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$"
_FIELD = re.compile(FIELD_PATTERN)
#: ``$select`` and ``$expand`` name children with a dot (``customer.name``) [Q].
SELECT_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}(?:\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$"
#: ``$orderby``: comma-separated fields, each optionally ``asc`` or ``desc``.
ORDER_BY_PATTERN = (
    r"^[A-Za-z_][A-Za-z0-9_/]{0,127}(?: (?:asc|desc))?"
    r"(?:,[A-Za-z_][A-Za-z0-9_/]{0,127}(?: (?:asc|desc))?)*$"
)
_ORDER_ITEM = re.compile(r"^([A-Za-z_][A-Za-z0-9_/]{0,127})(?: (asc|desc))?$")
#: Words OData reads as syntax: refused as field names so that no name can change a query.
KEYWORDS = frozenset(
    {
        "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "has", "in", "add", "sub",
        "mul", "div", "mod", "true", "false", "null", "asc", "desc", "contains", "startswith",
        "endswith",
    }
)  # fmt: skip
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})$"
)

if TYPE_CHECKING:
    Operator = Literal["eq", "ne", "gt", "ge", "lt", "le", "contains", "startswith", "endswith"]
    ValueType = Literal["string", "number", "boolean", "date", "datetime"]
else:
    # Labelled closed sets: a host shows the words, and anything else is refused.
    Operator = closed_set(
        {
            "eq": "equals", "ne": "does not equal", "gt": "greater than",
            "ge": "greater than or equal to", "lt": "less than", "le": "less than or equal to",
            "contains": "contains", "startswith": "starts with", "endswith": "ends with",
        }
    )  # fmt: skip
    ValueType = closed_set(
        {
            "string": "Text (quoted)", "number": "Number", "boolean": "True or false",
            "date": "Date (YYYY-MM-DD)", "datetime": "Date and time (sent in UTC)",
        }
    )  # fmt: skip
STRING_FUNCTIONS = frozenset({"contains", "startswith", "endswith"})

#: Sage's documented page size when ``$top`` is absent, and its maximum (Standard, and
#: Professional released after February 2019) [Q].
DEFAULT_TOP = 500
MAX_TOP = 5000


class ODataError(ValueError):
    """A filter, ordering or selection that cannot be expressed safely."""


def _check_field(name: str) -> str:
    if not _FIELD.fullmatch(name) or any(p.lower() in KEYWORDS for p in name.split("/")):
        raise ODataError(
            f"field {name!r} is not a property name (letters, digits and '_', starting with a "
            "letter; '/' between the parts of an expanded path; OData keywords are refused)"
        )
    return name


class Condition(Inputs):
    """One ``field operator value`` test of a list's ``$filter``."""

    field: str = Field(
        description="The property to test, as Sage names it (snake_case), e.g. reference.",
        examples=["reference"],
        pattern=FIELD_PATTERN,
    )
    operator: Operator = Field(
        description="eq, ne, gt, ge, lt, le, or the string tests contains, startswith, endswith.",
        examples=["eq"],
    )
    value: Annotated[str, Strict()] | Money | Bool = Field(
        description=(
            "What to compare with: a string, a number or true/false; with type date or "
            "datetime, a YYYY-MM-DD or ISO 8601 string."
        ),
        examples=["O'Brien"],
    )
    type: ValueType | None = Field(
        default=None,
        description=(
            "How to write the value: string (quoted), number, boolean, date or datetime "
            "(sent in UTC with Z). Taken from the value's JSON type when omitted."
        ),
        examples=["date"],
    )

    @field_validator("field")
    @classmethod
    def _identifier(cls, name: str) -> str:
        return _check_field(name)

    @model_validator(mode="after")
    def _value_fits(self) -> Condition:
        literal(self)  # raises ODataError (a ValueError) with the reason
        if self.operator in STRING_FUNCTIONS and self.kind() != "string":
            raise ValueError(f"{self.operator} compares text: give a string value")
        return self

    def kind(self) -> ValueType:
        if self.type is not None:
            return self.type
        if isinstance(self.value, bool):
            return "boolean"
        if isinstance(self.value, Decimal):
            return "number"
        return "string"


def quote(text: str) -> str:
    """An OData string literal: single quotes, with every ``'`` inside doubled."""
    return "'" + text.replace("'", "''") + "'"


def _utc(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def date_literal(day: date | datetime) -> str:
    """A date or moment as Sage's ``$filter`` writes it (a moment in UTC with ``Z`` [Q])."""
    if isinstance(day, datetime):
        if day.tzinfo is None:
            raise ODataError(f"{day.isoformat()} has no time zone; Sage wants UTC (Z)")
        return _utc(day)
    return day.isoformat()


def literal(condition: Condition) -> str:
    """The condition's value as an OData literal of its type."""
    kind, value = condition.kind(), condition.value
    if kind == "string":
        if not isinstance(value, str):
            raise ODataError("type string needs a string value")
        return quote(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ODataError("type boolean needs true or false")
        return "true" if value else "false"
    if kind == "number":
        if isinstance(value, bool):
            raise ODataError("type number needs a number")
        number = value if isinstance(value, Decimal) else _number(value)
        if not number.is_finite():
            raise ODataError("type number needs a finite number")
        return format(number, "f")
    if not isinstance(value, str):
        raise ODataError(f"type {kind} needs the {kind} as a string")
    if kind == "date":
        if not _DATE.fullmatch(value):
            raise ODataError(f"type date needs YYYY-MM-DD, got {value!r}")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ODataError(f"{value!r} is not a calendar date") from None
    if not _DATE_TIME.fullmatch(value):
        raise ODataError(
            f"type datetime needs an ISO 8601 date-time with Z or an offset, got {value!r}"
        )
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ODataError(f"{value!r} is not a valid date-time") from None
    return _utc(moment)


def _number(text: str) -> Decimal:
    if not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", text):
        raise ODataError(f"type number needs a number, got {text!r}")
    return Decimal(text)


def compile_condition(condition: Condition) -> str:
    field = _check_field(condition.field)
    value = literal(condition)
    if condition.operator in STRING_FUNCTIONS:
        return f"{condition.operator}({field},{value})"
    return f"{field} {condition.operator} {value}"


def compile_filter(
    conditions: Sequence[Condition], *, match: Literal["all", "any"] = "all", raw: str | None = None
) -> str | None:
    """``$filter`` for typed conditions (joined by ``and``, or ``or`` for ``any``) and the raw
    escape hatch; each group parenthesised so neither can change how the other reads."""
    parts = [compile_condition(c) for c in conditions]
    joined = (" and " if match == "all" else " or ").join(parts)
    if raw and raw.strip():
        if not joined:
            return raw.strip()
        return f"({raw.strip()}) and ({joined})"
    return joined or None


def order_by(text: str) -> str:
    """``$orderby`` checked item by item (fields are identifiers, directions asc or desc)."""
    items = []
    for item in text.split(","):
        found = _ORDER_ITEM.fullmatch(item.strip())
        if found is None:
            raise ODataError(f"orderBy item {item!r} is not 'field', 'field asc' or 'field desc'")
        field = _check_field(found.group(1))
        items.append(f"{field} {found.group(2)}" if found.group(2) else field)
    return ",".join(items)


def eq(field: str, value: str | int) -> str:
    """``field eq value`` for a handler's own lookups (find by reference, by urn)."""
    if isinstance(value, bool):
        raise ODataError("eq(...) takes a string or a whole number")
    shown = quote(value) if isinstance(value, str) else str(int(value))
    return f"{_check_field(field)} eq {shown}"


def list_query(
    *,
    filter: str | None = None,
    order: str | None = None,
    select: Sequence[str] = (),
    expand: Sequence[str] = (),
    top: int | None = None,
    skip: int | None = None,
) -> dict[str, Any]:
    """The query parameters of one list request, in a fixed order (cassettes match on it)."""
    query: dict[str, Any] = {}
    if filter:
        query["$filter"] = filter
    if order:
        query["$orderby"] = order
    if select:
        query["$select"] = ",".join(select)
    if expand:
        query["$expand"] = ",".join(expand)
    if top is not None:
        query["$top"] = top
    if skip:
        query["$skip"] = skip
    return query


__all__ = [
    "DEFAULT_TOP",
    "MAX_TOP",
    "Condition",
    "ODataError",
    "compile_filter",
    "eq",
    "list_query",
    "order_by",
    "quote",
]
