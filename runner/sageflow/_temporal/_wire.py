"""Values crossing Temporal (workflow arguments, activity inputs and outputs) as tagged JSON text.

Temporal's default converter would turn a Decimal into a float or refuse it, and a date into a
string the flow then reads differently: here each keeps its type, so a step's output on
Temporal is the value a local run gives.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, SecretStr

_DECIMAL, _DATE, _DATETIME = "$sageflow:decimal", "$sageflow:date", "$sageflow:datetime"


def _tagged(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    if isinstance(value, dt.datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, dt.date):
        return {_DATE: value.isoformat()}
    if isinstance(value, SecretStr):
        # The activity needs the value itself to send it; see docs/temporal.md on a codec.
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_unset=True)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot cross to Temporal")


def _untagged(value: dict[str, Any]) -> Any:
    if len(value) == 1:
        key, text = next(iter(value.items()))
        if key == _DECIMAL:
            return Decimal(text)
        if key == _DATE:
            return dt.date.fromisoformat(text)
        if key == _DATETIME:
            return dt.datetime.fromisoformat(text)
    return value


_ENCODER = json.JSONEncoder(default=_tagged, ensure_ascii=False, separators=(",", ":"))


def encode(value: Any) -> str:
    """``value`` as JSON text, Decimals, dates and datetimes tagged so they come back as such."""
    return _ENCODER.encode(value)


def decode(text: str) -> Any:
    """The value :func:`encode` was given."""
    return json.loads(text, object_hook=_untagged)


def pack(value: Any) -> str:
    """:func:`encode`, compressed: a run's result and journal rows repeat the same record
    shapes, and Temporal refuses a payload past 2 MB (a 1,000-item loop of Sage records is
    about that uncompressed, ~10x less compressed)."""
    return base64.b64encode(zlib.compress(encode(value).encode("utf-8"), 6)).decode("ascii")


def unpack(text: str) -> Any:
    """The value :func:`pack` was given."""
    return decode(zlib.decompress(base64.b64decode(text)).decode("utf-8"))
