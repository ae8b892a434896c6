"""Keeps every request inside the configured API: the one check for user-supplied paths."""

from __future__ import annotations

import posixpath
import re
import unicodedata
from urllib.parse import unquote, urlsplit

from sageflow._errors import UnsafeRequestError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Unicode controls, format characters (zero-width, bidi overrides) and line/paragraph
# separators: invisible in a flow file, and some URL parsers strip or split on them.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})
# Characters that NFKC-normalise (as IDNA and some proxies do) into a separator or a dot.
_LOOKALIKE = frozenset({"/", "\\", ".", "@", ":", "..", "%", "?", "#"})
# The shape of nearly every request a handler builds (/contacts, /sales_invoices/abc123/):
# nothing to decode, climb or normalise, so it is returned as is without the full analysis.
_PLAIN = re.compile(r"/(?:[A-Za-z0-9_\-]+/)*[A-Za-z0-9_\-]*")
# Percent-encodings that could turn into a separator, a dot segment, a scheme or a userinfo
# marker once some layer decodes them: refused outright rather than interpreted.
_ENCODED_DANGER = re.compile(r"%(2e|2f|5c|40|3a|25|00)", re.IGNORECASE)
# A "%" not followed by two hex digits: IIS reads "%u002e" as a dot, other layers as text.
_MALFORMED_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def ensure_api_path(url: str) -> str:
    """Return ``url`` as a path below the API base, or raise :class:`UnsafeRequestError`.

    rawRequest lets a flow author choose the path, and the Authorization header goes wherever
    the request goes; so anything that could name another host or climb out of the base
    (absolute URLs, ``//host``, backslashes, ``@``, encoded slashes or dots, ``..`` above the
    root, control characters) is refused with the reason, never "fixed".
    """
    if not isinstance(url, str) or not url:
        raise UnsafeRequestError("url must be a non-empty path such as /contacts")
    if _PLAIN.fullmatch(url):
        return url
    if _CONTROL.search(url) or (
        not url.isascii() and any(unicodedata.category(c) in _INVISIBLE for c in url)
    ):
        raise UnsafeRequestError(f"url {url!r} contains a control character")
    if url != url.strip():
        # Leading blanks hide a "//host" from prefix checks in some URL parsers.
        raise UnsafeRequestError(f"url {url!r} starts or ends with whitespace")
    if not url.isascii() and any(unicodedata.normalize("NFKC", c) in _LOOKALIKE for c in url):
        raise UnsafeRequestError(f"url {url!r} contains a look-alike of '/', '\\', '.' or '@'")
    if "\\" in url:
        raise UnsafeRequestError(f"url {url!r} contains a backslash")
    if "@" in url:
        raise UnsafeRequestError(f"url {url!r} contains '@' (userinfo is not allowed)")
    # Only the path can climb or name a host; a query may carry any well-formed value
    # ("search=100%25" searches for "100%").
    path_text = url.split("?", 1)[0]
    if _ENCODED_DANGER.search(path_text):
        raise UnsafeRequestError(f"url {url!r} contains a percent-encoded separator or dot")
    if _MALFORMED_PERCENT.search(url):
        raise UnsafeRequestError(f"url {url!r} contains a malformed percent-encoding")
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("//"):
        raise UnsafeRequestError(f"url {url!r} is absolute; give a path below the API base")
    path = parts.path if parts.path.startswith("/") else "/" + parts.path
    if ";" in path:
        # Path parameters: Tomcat and others read "/..;/admin" as a climb; Sage uses none.
        raise UnsafeRequestError(f"url {url!r} contains ';' (path parameters are not allowed)")
    if ":" in path.split("/", 2)[1]:
        raise UnsafeRequestError(f"url {url!r} looks like a scheme, not a path")
    segments = [s for s in unquote(path).split("/") if s]
    depth = 0
    for segment in segments:
        if segment == "..":
            depth -= 1
            if depth < 0:
                raise UnsafeRequestError(f"url {url!r} climbs above the API base")
        elif segment != ".":
            depth += 1
    normalised = posixpath.normpath(path)
    if normalised in {"", "."}:
        normalised = "/"
    if path.endswith("/") and normalised != "/":
        normalised += "/"
    return normalised + (f"?{parts.query}" if parts.query else "")
