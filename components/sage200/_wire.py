"""Sage 200's wire format, built in one place: snake_case names, numbers, UTC date-times.

Sage 200's bodies are bare objects (no wrapper), its amounts JSON numbers ("number, decimal
2dp" in every module's OpenAPI file) and its dates ``date-time`` strings. Inputs stay exact
``Decimal`` and ``date`` values until this module writes them; an amount with more digits
than a JSON number carries exactly is refused rather than rounded.

Answers are read here too (:func:`read`): every JSON number with a fraction becomes a
``Decimal`` with the digits Sage sent, never a float, and :func:`shape` turns a record into
what a component outputs: amounts as exact decimal strings (the form the first pack's outputs
take, and what a Decimal becomes in every journal and JSON output of the runner), dates as
``YYYY-MM-DD``.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from sageflow import _wire as _shared
from sageflow._values import HTTPResponse

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


# -- reading answers -----------------------------------------------------------------------------


def read(response: HTTPResponse) -> Any:
    """A response body as JSON, every number with a fraction or exponent an exact ``Decimal``.

    ``None`` for an empty body, as :meth:`HTTPResponse.json` gives.
    """
    if not response.content:
        return None
    return json.loads(response.content, parse_float=Decimal)


def shape(model: type[BaseModel], value: Any) -> Any:
    """``value`` (a record or page as :func:`read` gave it) as a component outputs it.

    ``model``'s amount fields become exact decimal strings (an integral amount too: ``0`` is
    ``"0"``), its date fields ``YYYY-MM-DD`` (Sage 200 sends midnight date-times); every other
    Decimal, declared or not, becomes its decimal string, so no float is ever output. Fields
    are neither added nor dropped, and keep Sage's order.
    """
    return _shaped(model, value, "")


#: A date or a date-time as Sage 200 writes them ("2026-03-31", "2026-03-31T00:00:00Z").
_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]*(?:Z|[+-]\d{2}:?\d{2})?)?")


def _shaped(kind: Any, value: Any, path: str) -> Any:
    if value is None:
        return None
    origin = get_origin(kind)
    if origin is Annotated:
        return _shaped(get_args(kind)[0], value, path)
    if origin in (Union, types.UnionType):
        present = [arg for arg in get_args(kind) if arg is not type(None)]
        return _shaped(present[0], value, path) if len(present) == 1 else _decimals(value)
    if kind is Decimal:
        return _amount(value, path)
    if kind is date:
        return _day(value, path)
    if origin is list and isinstance(value, list):
        (item,) = get_args(kind) or (Any,)
        return [_shaped(item, one, f"{path}[{n}]") for n, one in enumerate(value)]
    if isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(value, dict):
        fields = kind.model_fields
        return {
            key: (
                _shaped(fields[key].annotation, one, f"{path}.{key}".lstrip("."))
                if key in fields
                else _decimals(one)
            )
            for key, one in value.items()
        }
    return _decimals(value)


def _decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _text(value)
    if isinstance(value, float):
        return _amount(value, "")
    if isinstance(value, list):
        return [_decimals(one) for one in value]
    if isinstance(value, dict):
        return {key: _decimals(one) for key, one in value.items()}
    return value


def _text(amount: Decimal) -> str:
    # format "f": 1E+2 (a JSON "1e2") is written 100, never in exponent form.
    return format(amount, "f")


def _amount(value: Any, path: str) -> str:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, float):
        # Never from Sage (read() parses no floats): a float written in Python, an example's
        # 1320.5; repr is the shortest text that reads back as it, the amount as written.
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = Decimal("NaN")
    else:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ValueError(f"Sage 200 sent {path} = {value!r}, which is not an amount")
    return _text(amount)


def sage_day(value: Any) -> Any:
    """For a model's validator: Sage 200's midnight date-time (or a date) as its date."""
    return None if value is None else _day(value, "the date")


def _day(value: Any, path: str) -> str:
    if isinstance(value, date):
        return value.isoformat()[:10]
    found = _DAY.fullmatch(value) if isinstance(value, str) else None
    if found is not None:
        try:
            # The date as Sage wrote it: a Sage 200 date is a calendar day stored at midnight.
            return date.fromisoformat(found.group(1)).isoformat()
        except ValueError:
            pass
    raise ValueError(f"Sage 200 sent {path} = {value!r}, which is not a date")
