"""Sage 200's wire values and error bodies, in one place: money, dates, JSON and refusals."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sageflow.sandbox import Record, Reply
from sageflow.sandbox import json_reply as shared_json_reply

#: How many places the spec's ``format: decimal 2dp`` money fields take.
CENT = Decimal("0.01")
#: Amounts at or above this are refused: below it a 2-place amount has at most 15 significant
#: digits, so the JSON number the sandbox writes is exactly the Decimal (inferred bound; Sage
#: 200's own column limit is not published).
MONEY_LIMIT = Decimal(10) ** 13


class ApiError(Exception):
    """A refusal the API answers with ``{"Message": ...}`` (400 first error, 403, 404, 405).

    The UK error body is not public (issue 14's facts; sage200-samples/README.md). The shape
    chosen is ASP.NET Web API's default error object, ``{"Message": "..."}``: the API's OData
    subset, snake_case JSON and ``$``-options are that stack's. Clients must parse it
    defensively and keep the raw body, as the issue says.
    """

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def reply(self) -> Reply:
        return json_reply(self.status, {"Message": self.message}, self.headers)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str = "The requested resource was not found.") -> ApiError:
    return ApiError(404, message)


def gateway_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Reply:
    """An error the API gateway answers before the API sees the request.

    ``ocp-apim-subscription-key`` is Azure API Management's header, so the gateway's refusals
    take APIM's shape ``{"statusCode": N, "message": "..."}`` (the same shape Sage's 200c guide
    shows for its gateway: ``{"statusCode":400,"message":"Required header ... not found"}``).
    """
    return json_reply(status, {"statusCode": status, "message": message}, headers)


def wire(value: Any) -> Any:
    """A payload with its Decimals as JSON numbers. The spec types money ``number``
    (``decimal 2dp``); with two places and at most 15 significant digits (``MONEY_LIMIT``) a
    double holds the value exactly, so the number's text is the Decimal's."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [wire(item) for item in value]
    return value


def json_reply(status: int, payload: object, headers: Mapping[str, str] | None = None) -> Reply:
    """The shared sandbox reply (``sageflow.sandbox.json_reply``) of a Sage 200 payload."""
    return shared_json_reply(status, wire(payload), headers)


# -- persistence: Decimal survives the JSON rows of sageflow.sandbox.Persistence ---------------


def encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [encode(item) for item in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "$decimal" in value:
            return Decimal(value["$decimal"])
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def decode_record(record: Record) -> Record:
    decoded: Record = decode(record)
    return decoded


# -- reading a request body ---------------------------------------------------------------------


def money(value: Any, field: str, *, negative: bool = False) -> Decimal:
    """A body's money value: a JSON number (or numeric text) with at most two places."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise bad_request(f"The value of '{field}' is not a valid number.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise bad_request(f"The value of '{field}' is not a valid number.") from error
    if not amount.is_finite():
        raise bad_request(f"The value of '{field}' is not a valid number.")
    if amount != amount.quantize(CENT):
        raise bad_request(f"The value of '{field}' has more than 2 decimal places.")
    if abs(amount) >= MONEY_LIMIT:
        raise bad_request(f"The value of '{field}' is out of range.")
    if amount < 0 and not negative:
        raise bad_request(f"The value of '{field}' cannot be negative.")
    return amount.quantize(CENT)


#: ``format: decimal 6dp`` (exchange rates).
RATE_PLACES = Decimal("0.000001")


def rate(value: Any, field: str) -> Decimal:
    """An exchange rate: a positive number with at most six places."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise bad_request(f"The value of '{field}' is not a valid number.")
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise bad_request(f"The value of '{field}' is not a valid number.") from error
    if not number.is_finite() or number <= 0 or number >= MONEY_LIMIT:
        raise bad_request(f"The value of '{field}' must be a positive number.")
    if number != number.quantize(RATE_PLACES):
        raise bad_request(f"The value of '{field}' has more than 6 decimal places.")
    return number.quantize(RATE_PLACES)


def integer(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"The value of '{field}' is not a valid integer.")
    return value


def text(value: Any, field: str, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise bad_request(f"The value of '{field}' is not a string.")
    if max_length is not None and len(value) > max_length:
        raise bad_request(f"The field '{field}' must be at most {max_length} characters long.")
    return value


def boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise bad_request(f"The value of '{field}' is not a boolean.")
    return value


def day(value: Any, field: str) -> date:
    """A body's date: the spec says ``date-time``; a date, or a date-time whose date counts."""
    if not isinstance(value, str):
        raise bad_request(f"The value of '{field}' is not a date.")
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError as error:
        raise bad_request(f"The value of '{field}' ({value!r}) is not a valid date.") from error


class Kind(enum.Enum):
    """The JSON type a simulated body field takes, as the module specs type it."""

    TEXT = "text"
    INT = "integer"
    MONEY = "money"
    RATE = "rate"
    BOOL = "boolean"
    DATE = "date-time"

    @property
    def spec_type(self) -> str:
        """The module specs' ``type`` (``/date-time`` when they give that format)."""
        return {
            Kind.TEXT: "string",
            Kind.INT: "integer",
            Kind.MONEY: "number",
            Kind.RATE: "number",
            Kind.BOOL: "boolean",
            Kind.DATE: "string/date-time",
        }[self]

    def check(self, value: Any, field: str) -> None:
        """Refuses a value of another JSON type (null stands for "not given" and passes)."""
        if value is None:
            return
        if self is Kind.TEXT:
            text(value, field)
        elif self is Kind.INT:
            integer(value, field)
        elif self is Kind.MONEY:
            money(value, field, negative=True)
        elif self is Kind.RATE:
            rate(value, field)
        elif self is Kind.BOOL:
            boolean(value, field)
        else:
            day(value, field)


TEXT, INT, MONEY, RATE, BOOL, DATE = (
    Kind.TEXT,
    Kind.INT,
    Kind.MONEY,
    Kind.RATE,
    Kind.BOOL,
    Kind.DATE,
)


def wire_date(when: date) -> str:
    """A date as Sage 200 writes a ``date-time`` that has no time of day (inferred)."""
    return when.isoformat() + "T00:00:00"


def parse_wire_date(value: str) -> date:
    return date.fromisoformat(value[:10])
