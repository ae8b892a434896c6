"""Sage 200's wire format, built in one place: snake_case names, numbers, UTC date-times.

Sage 200's bodies are bare objects (no wrapper), its amounts JSON numbers ("number, decimal
2dp" in every module's OpenAPI file) and its dates ``date-time`` strings. Inputs stay exact
``Decimal`` and ``date`` values until this module writes them; an amount with more digits
than a JSON number carries exactly is refused rather than rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from sageflow import _wire as _shared

# One place for the naming rule, shared with every pack.
snake = _shared.snake


def number(amount: Decimal) -> int | float:
    """An exact decimal as the JSON number Sage 200 reads.

    JSON has no decimal type; a float's shortest repr gives back the same digits for any
    amount of up to 15 significant digits, which is checked, so ``0.1`` is sent as ``0.1``.
    """
    if not amount.is_finite():
        raise ValueError(f"{amount} is not an amount")
    if amount == amount.to_integral_value() and abs(amount) < 2**53:
        return int(amount)
    sent = float(amount)
    if Decimal(repr(sent)) != amount:
        raise ValueError(f"{amount} has more digits than Sage 200 can be sent exactly")
    return sent


def moment(day: date | datetime) -> str:
    """A date as Sage 200's ``date-time``: midnight UTC for a date, UTC ``Z`` for a moment."""
    if isinstance(day, datetime):
        if day.tzinfo is None:
            return day.strftime("%Y-%m-%dT%H:%M:%S")
        return day.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{day.isoformat()}T00:00:00Z"


def value(raw: Any) -> Any:
    """One input value as Sage 200's JSON wants it (recursing into models and lists)."""
    if isinstance(raw, BaseModel):
        return fields(raw)
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, Decimal):
        return number(raw)
    if isinstance(raw, datetime | date):
        return moment(raw)
    if isinstance(raw, list | tuple):
        return [value(item) for item in raw]
    if isinstance(raw, Mapping):
        return {str(k): value(v) for k, v in raw.items()}
    return raw


def fields(
    model: BaseModel,
    *,
    rename: Mapping[str, str] | None = None,
    exclude: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The fields a caller set on ``model``, under Sage 200's names, values converted.

    Omitted optional inputs are not sent (Sage keeps its default, or the stored value on an
    update); a set ``0``, ``""`` or ``False`` is. Declaration order keeps bodies byte-stable.
    """
    return _shared.set_fields(model, value, rename=rename, exclude=exclude, only=only)
