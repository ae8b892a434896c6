"""Masks secrets in logs, exception messages and cassettes: one function every layer reuses."""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import SecretStr

MASK = "***"

#: Header names whose values are credentials whatever they contain.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        # Azure API Management's subscription key (Sage 200's developer key).
        "ocp-apim-subscription-key",
    }
)

# Shapes that are secrets by position, whoever configured them: bearer/basic credentials, the
# OAuth fields of token requests and responses (JSON or form encoded), cookies, the code of an
# authorization callback.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/=%]+"), rf"\1\2{MASK}"),
    (
        re.compile(
            r"(?i)([\"']?\b(?:access_token|refresh_token|id_token|client_secret|code_verifier"
            r"|accessToken|refreshToken|clientSecret|password)\b[\"']?\s*[:=]\s*[\"']?)"
            r"([^\s\"&,;}']+)"
        ),
        rf"\1{MASK}",
    ),
    (re.compile(r"(?i)([?&](?:code|token)=)[^&\s\"']+"), rf"\1{MASK}"),
    (re.compile(r"(?im)^((?:set-)?cookie\s*:\s*).+$"), rf"\1{MASK}"),
)

_lock = threading.Lock()
_secrets: set[str] = set()
_variants: tuple[str, ...] = ()

# Shorter values would mask ordinary words; no real credential is this short.
_MIN_SECRET = 6


def _forms(value: str) -> set[str]:
    """A secret as it may appear on the wire: plain, URL-encoded, base64 (padded or not)."""
    raw = value.encode()
    b64 = base64.b64encode(raw).decode()
    return {
        value,
        quote(value, safe=""),
        quote_plus(value),
        b64,
        b64.rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


def register_secret(value: str | SecretStr | None) -> None:
    """Remember a configured secret so that every later :func:`redact` masks it in any form."""
    global _variants
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not value or len(value) < _MIN_SECRET:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        found = set(_variants) | {f for f in _forms(value) if len(f) >= _MIN_SECRET}
        # Longest first, so that a secret containing another is masked whole.
        _variants = tuple(sorted(found, key=len, reverse=True))


def registered_secrets() -> tuple[str, ...]:
    """Every form of every registered secret, longest first: for masking structured values
    (a flow's outputs and journal) where the text patterns of :func:`redact` do not apply."""
    return _variants


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every registered (and ``extra``) secret and every credential shape masked."""
    variants = _variants
    more = [f for value in extra if value and len(value) >= _MIN_SECRET for f in _forms(value)]
    if more:
        variants = tuple(sorted({*variants, *more}, key=len, reverse=True))
    for secret in variants:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_bytes(content: bytes) -> bytes:
    """:func:`redact` for bodies; undecodable bytes pass through the same masks as latin-1."""
    try:
        return redact(content.decode("utf-8")).encode("utf-8")
    except UnicodeDecodeError:
        return redact(content.decode("latin-1")).encode("latin-1")


def redact_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """Headers with credential headers masked whole and other values scanned for secrets."""
    out: dict[str, Any] = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            out[name] = [MASK] * len(value) if isinstance(value, list) else MASK
        elif isinstance(value, list):
            out[name] = [redact(str(v)) for v in value]
        else:
            out[name] = redact(str(value))
    return out


def redact_exception(error: BaseException) -> BaseException:
    """Mask secrets in an exception's arguments in place (its message is built from them)."""
    error.args = tuple(redact(a) if isinstance(a, str) else a for a in error.args)
    entries = getattr(error, "entries", None)
    if isinstance(entries, list):
        # An API error's entries are printed and journaled on their own (``to_dict``); a
        # secret registered after the error was built (a refreshed token) is masked there too.
        error.entries = [e.redacted() if hasattr(e, "redacted") else e for e in entries]  # type: ignore[attr-defined]
    return error


def before_record_request(request: Any) -> Any:
    """vcrpy hook: a recorded request never holds a credential (headers, URL or body)."""
    request.headers = redact_headers(dict(request.headers))
    request.uri = redact(request.uri)
    body = request.body
    if isinstance(body, bytes):
        request.body = redact_bytes(body)
    elif isinstance(body, str):
        request.body = redact(body)
    return request


def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy hook: a recorded response (token responses included) never holds a credential."""
    headers = response.get("headers")
    if isinstance(headers, Mapping):
        response["headers"] = redact_headers(headers)
    body = response.get("body")
    if isinstance(body, dict):
        content = body.get("string")
        if isinstance(content, bytes):
            body["string"] = redact_bytes(content)
        elif isinstance(content, str):
            body["string"] = redact(content)
    return response


class RedactingFilter(logging.Filter):
    """Masks secrets in every record of the ``sageflow`` logger, whoever formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


logger = logging.getLogger("sageflow")
if not any(isinstance(f, RedactingFilter) for f in logger.filters):
    logger.addFilter(RedactingFilter())
