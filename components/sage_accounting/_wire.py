"""Sage's wire format, built in one place: names, wrappers, money and dates as Sage wants them.

Every component turns its typed inputs into Sage's JSON through these functions, so the rules
(snake_case names, ``{"contact": {...}}`` wrappers, money as exact decimal strings, ISO dates,
"omitted means not sent" while ``0`` and ``False`` are sent) are written and tested once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel

from sageflow import _wire as _shared
from sageflow._values import QueryValue

# One place for the naming rule, shared with every pack.
snake = _shared.snake


def value(raw: Any) -> Any:
    """One input value as Sage's JSON wants it (recursing into models, lists and dicts)."""
    if isinstance(raw, BaseModel):
        return fields(raw)
    if isinstance(raw, Decimal):
        # A string keeps every digit: a float would turn 0.1 + 0.2 into 0.30000000000000004.
        return _plain(raw)
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    if isinstance(raw, list | tuple):
        return [value(item) for item in raw]
    if isinstance(raw, Mapping):
        return {str(k): value(v) for k, v in raw.items()}
    return raw


def _plain(amount: Decimal) -> str:
    text = format(amount, "f")
    return text


def fields(
    model: BaseModel,
    *,
    rename: Mapping[str, str] | None = None,
    exclude: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The fields a caller set on ``model``, renamed to Sage's names, values converted.

    Only fields explicitly set are included: an omitted optional input is not sent (so Sage keeps
    its own default or the existing value on update), while a set ``0``, ``""`` or ``False`` is.
    ``only`` picks a group of inputs that Sage nests in a sub-object (an address, bank details).
    """
    return _shared.set_fields(model, value, rename=rename, exclude=exclude, only=only)


def body(resource: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Wrap a payload the way Sage requires: ``{"sales_invoice": {...}}``."""
    return {resource: dict(payload)}


def query(
    model: BaseModel,
    *,
    rename: Mapping[str, str] | None = None,
    exclude: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> dict[str, QueryValue]:
    """Query parameters from the set fields of ``model``: lists comma-joined, dates ISO."""
    out: dict[str, QueryValue] = {}
    for name, raw in fields(model, rename=rename, exclude=exclude, only=only).items():
        if isinstance(raw, bool):
            out[name] = raw
        elif isinstance(raw, list):
            out[name] = ",".join(str(item) for item in raw)
        else:
            out[name] = str(raw)
    return out


def split_relative(link: str) -> tuple[str, dict[str, str]]:
    """Split Sage's relative ``$next`` link (``/products?page=2&...``) into path and query.

    Sage's links are relative to the ``/v3.1`` base; a link that carries a scheme or host is
    refused rather than followed, so a tampered response cannot redirect a token elsewhere.
    """
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        raise ValueError(f"refusing to follow a paging link that is not a relative path: {link!r}")
    path = parts.path
    if path.startswith("/v3.1/"):
        path = path[len("/v3.1") :]
    return path, dict(parse_qsl(parts.query, keep_blank_values=True))


def money(raw: Any) -> Decimal | None:
    """Read a Sage money/quantity/rate value (sent as a JSON string such as ``"5009.5"``)."""
    if raw is None or raw == "":
        return None
    return Decimal(str(raw))
