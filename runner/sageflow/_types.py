"""Input field types every pack shares: exactly what their published JSON Schema accepts.

A host validating with jsonschema and sageflow validating with pydantic must reach the same
verdict (tests/test_contract.py holds every pack to it), so these refuse pydantic's lax
coercions: no "1" for 1, no "true" for True, no timestamp number for a date, no " 1.5" or
"NaN" for an amount.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Strict, WithJsonSchema

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATE_TIME = (
    r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$"
)
DECIMAL_TEXT = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$"


def iso_date(raw: Any) -> Any:
    # pydantic's lax mode would also take a Unix timestamp or a datetime string for a date;
    # the published schema says "a YYYY-MM-DD string", and both must reach the same verdict.
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str) and ISO_DATE.fullmatch(raw):
        return raw
    raise ValueError("expected a date as YYYY-MM-DD")


def iso_timestamp(raw: Any) -> Any:
    # Parsed here so that a bare date stays a date on the wire ("2026-02-01"), instead of
    # becoming a midnight with no time zone, which the API would read in its own zone.
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and ISO_DATE.fullmatch(raw):
        return date.fromisoformat(raw)
    if isinstance(raw, str) and re.fullmatch(ISO_DATE_TIME, raw):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise ValueError("expected a date (YYYY-MM-DD) or an ISO 8601 date-time")


def decimal_text(raw: Any) -> Any:
    # Python's Decimal() also reads " 1.5", "1_000", "1e3" and "NaN"; a host's jsonschema
    # would not, so a string amount must be plain digits with an optional point and sign.
    if isinstance(raw, str) and not re.fullmatch(DECIMAL_TEXT, raw):
        raise ValueError("expected an amount such as 1234.56")
    if isinstance(raw, bool):
        raise ValueError("expected an amount, got a boolean")
    return raw


Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]
Date = Annotated[
    date,
    BeforeValidator(iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]
Timestamp = Annotated[
    datetime | date,
    BeforeValidator(iso_timestamp),
    WithJsonSchema({"type": "string", "pattern": ISO_DATE_TIME}),
]
#: Money, quantities and rates: exact decimals, given as a JSON number or a decimal string.
Money = Annotated[
    Decimal,
    BeforeValidator(decimal_text),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": DECIMAL_TEXT}]}),
]

__all__ = ["Bool", "Date", "Int", "Money", "Timestamp"]
