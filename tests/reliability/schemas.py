"""Hypothesis strategies from a component's input JSON Schema (the subset pydantic emits)."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

JSONish = Any

# Values a low-code editor or a careless host may send anywhere: wrong types, edge numbers,
# odd text (control characters, RTL marks, surrogates are excluded by JSON itself).
junk_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(string.printable, max_size=10).map(lambda s: "${{ " + s + " }}"),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "2026-02-30", "true", "\u202e", "%00"]),
)
junk = st.recursive(
    junk_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


def from_schema(
    schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int = 0
) -> st.SearchStrategy[JSONish]:
    """Values that mostly satisfy ``schema`` (the interesting inputs sit near the boundary)."""
    if depth > 6:
        return junk_scalars
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return st.deferred(lambda: from_schema(defs[name], defs, depth + 1))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of(*(from_schema(s, defs, depth + 1) for s in schema[key]))
    if "allOf" in schema:
        return from_schema(schema["allOf"][0], defs, depth + 1)
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of(*(from_schema({**schema, "type": k}, defs, depth) for k in kind))
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum", -(10**6)), schema.get("maximum", 10**6))
    if kind == "number":
        return st.one_of(
            st.integers(-(10**6), 10**6),
            st.floats(-1e9, 1e9, allow_nan=False),
            st.decimals(-(10**9), 10**9, places=3, allow_nan=False),
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = schema.get("items", {})
        return st.lists(from_schema(items, defs, depth + 1), max_size=3)
    if kind == "object" or "properties" in schema:
        return _object(schema, defs, depth)
    return junk


def _string(schema: Mapping[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("format") == "date":
        return st.dates().map(lambda d: d.isoformat())
    if schema.get("format") == "date-time":
        return st.datetimes().map(lambda d: d.isoformat())
    pattern = schema.get("pattern")
    if pattern:
        try:
            re.compile(pattern)
            return st.from_regex(pattern, fullmatch=True)
        except (re.error, ValueError):  # a pattern hypothesis cannot invert: plain text
            pass
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    return st.text(min_size=low, max_size=int(high) if high is not None else max(low, 20))


def _object(
    schema: Mapping[str, Any], defs: Mapping[str, Any], depth: int
) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    if not properties:
        extra = schema.get("additionalProperties", {})
        values = from_schema(extra, defs, depth + 1) if isinstance(extra, dict) else junk
        return st.dictionaries(st.text(min_size=1, max_size=10), values, max_size=3)
    required = set(schema.get("required", []))
    return st.fixed_dictionaries(
        {k: from_schema(v, defs, depth + 1) for k, v in properties.items() if k in required},
        optional={
            k: from_schema(v, defs, depth + 1) for k, v in properties.items() if k not in required
        },
    )


def mutate(data: st.DataObject, value: JSONish) -> JSONish:
    """One random change somewhere in ``value``: a node replaced by junk, a key dropped, an
    unknown key added, a list emptied (or no change, so valid inputs are tried too)."""
    choice = data.draw(st.sampled_from(["keep", "replace", "drop", "add", "empty"]))
    if choice == "keep":
        return value
    nodes = list(_nodes(value, ()))
    path, node = data.draw(st.sampled_from(nodes))
    if choice == "replace":
        return _set(value, path, data.draw(junk))
    if choice == "drop" and isinstance(node, dict) and node:
        key = data.draw(st.sampled_from(sorted(node)))
        return _set(value, path, {k: v for k, v in node.items() if k != key})
    if choice == "add" and isinstance(node, dict):
        return _set(value, path, {**node, data.draw(st.text(max_size=12)): data.draw(junk)})
    if choice == "empty" and isinstance(node, list | dict):
        return _set(value, path, type(node)())
    return _set(value, path, data.draw(junk))


def _nodes(value: JSONish, path: tuple[Any, ...]) -> Any:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, (*path, i))


def _set(value: JSONish, path: tuple[Any, ...], new: JSONish) -> JSONish:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _set(value[head], rest, new)}
    copy = list(value)
    copy[head] = _set(copy[head], rest, new)
    return copy


__all__ = ["from_schema", "junk", "mutate"]
