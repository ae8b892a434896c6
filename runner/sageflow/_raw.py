"""What every pack's rawRequest shares: the published url rule, the credential headers a flow
may not set, and how a response body is read back. The check itself is ``ensure_api_path``."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from sageflow._errors import UnsafeRequestError
from sageflow._paths import ensure_api_path
from sageflow._values import HTTPResponse

#: Headers the connection owns in every pack: a flow setting them would leak or replace the
#: credentials. A pack adds its own (Sage 200's subscription key).
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "host"})

# The published form of the url rule, so a host validating with plain jsonschema refuses what
# ensure_api_path refuses: a path starting with one "/", no scheme, no "..", no backslash,
# "@", control character or percent-encoded separator.
URL_PATTERN = (
    r"^/(?!/)(?![^/?#]*:)(?!.*%(?:2[eEfF]|5[cC]|40|3[aA]|25|00))"
    r"(?!(?:[^?#]*/)?\.\.(?:[/?#]|$))[^\\@\x00-\x1f\x7f]*$"
)


def _any_case(word: str) -> str:
    # ECMAScript patterns (editors' JSON Schema tools) have no inline (?i) flag: spell each
    # letter as a class instead, so "Authorization" and "AUTHORIZATION" match alike.
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


def header_pattern(names: Iterable[str]) -> str:
    """Header names a flow may not set, as a pattern every regex dialect reads alike."""
    return "^(" + "|".join(_any_case(h) for h in sorted(names)) + ")$"


def check_url(url: str, example: str) -> str:
    """``url`` if it is a path below the API base, else a ValueError saying why."""
    if not url.startswith("/"):
        raise ValueError(f"url {url!r} must be a path starting with /, such as {example}")
    try:
        ensure_api_path(url)
    except UnsafeRequestError as error:
        raise ValueError(str(error)) from None
    if ".." in urlsplit(url).path.split("/"):
        raise ValueError(f"url {url!r} contains a '..' segment")
    return url


def check_headers(headers: dict[str, str], protected: frozenset[str]) -> dict[str, str]:
    """``headers`` if none of them is the connection's, else a ValueError naming one."""
    taken = sorted(name for name in headers if name.lower() in protected)
    if taken:
        raise ValueError(f"header {taken[0]} is set by the connection and cannot be overridden")
    return headers


def read_body(response: HTTPResponse, response_type: str) -> Any:
    """The body as asked: base64 for binary, text, or JSON (text when it is not JSON: the API
    answers some calls with a PDF or a CSV, and the call still succeeded)."""
    if response_type == "binary":
        return base64.b64encode(response.content).decode("ascii")
    if response_type == "text":
        return response.text
    try:
        return response.json()
    except ValueError:
        return response.text
