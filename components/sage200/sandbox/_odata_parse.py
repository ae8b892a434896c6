"""A recursive-descent parser for the OData subset Sage 200 documents, and its evaluator.

Sage 200's query guide ([Q], docs/sandbox-fidelity.md) documents ``$filter`` with ``eq ne gt
ge lt le``, ``and``/``or``, parentheses, ``contains``/``startswith``/``endswith``, dates
(``2016-02-23``, or with a time only in UTC: ``2016-02-24T09:52:11.452Z``) and quoted enum
values; plus ``$select``, ``$orderby``, ``$expand``. Nothing here turns text into code: the
text becomes a tree of frozen nodes, and the tree is walked against a record's values. Anything
outside the subset is an :class:`ODataError` (the sandbox answers 400 with its message).

Why not the ``odata-query`` package: it parses the whole OData v4 grammar (lambdas,
arithmetic, dozens of functions) through ``sly``, so the subset would still need a second pass
to refuse the rest, and it covers ``$filter`` only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

#: The comparison operators of [Q], mapped to what they test on a three-way comparison.
COMPARISONS: dict[str, Callable[[int], bool]] = {
    "eq": lambda c: c == 0,
    "ne": lambda c: c != 0,
    "gt": lambda c: c > 0,
    "ge": lambda c: c >= 0,
    "lt": lambda c: c < 0,
    "le": lambda c: c <= 0,
}
FUNCTIONS = frozenset({"contains", "startswith", "endswith"})
KEYWORDS = frozenset({"and", "or", "not", "true", "false", "null", *COMPARISONS})
#: Deeper nesting than this is refused rather than risking Python's recursion limit.
MAX_DEPTH = 50
MAX_LENGTH = 4000


class ODataError(ValueError):
    """A query option Sage 200 would refuse (a 400 with a message about the first error)."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | Decimal | bool | date | datetime | None


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    field: Field
    literal: Literal


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    field: Field
    literal: Literal


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class Logical:
    op: str  # "and" | "or"
    left: Node
    right: Node


Node = Compare | Function | Not | Logical


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "name" | "string" | "number" | "date" | "datetime" | "(" | ")" | ","
    text: str
    at: int


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})?)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)


def _tokens(text: str) -> list[_Token]:
    if len(text) > MAX_LENGTH:
        raise ODataError(f"The $filter is longer than {MAX_LENGTH} characters.")
    out: list[_Token] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            if text[at] == "'":
                raise ODataError(f"Unterminated string literal at position {at} in $filter.")
            raise ODataError(f"Syntax error at position {at} in $filter: {text[at : at + 20]!r}.")
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append(_Token(match.group() if kind == "punct" else kind, match.group(), at))
        at = match.end()
    return out


def _literal(token: _Token) -> Literal:
    text = token.text
    if token.kind == "string":
        return Literal(text[1:-1].replace("''", "'"))
    if token.kind == "number":
        try:
            return Literal(Decimal(text))
        except InvalidOperation as error:  # pragma: no cover - the pattern admits digits only
            raise ODataError(f"Invalid number {text!r} in $filter.") from error
    if token.kind == "date":
        try:
            return Literal(date.fromisoformat(text))
        except ValueError as error:
            raise ODataError(f"Invalid date {text!r} in $filter.") from error
    if token.kind == "datetime":
        if not text.endswith("Z"):
            # [Q]: "when including the time, you must specify the UTC timezone (Z at the end)".
            raise ODataError(
                f"The date and time {text!r} in $filter must be in UTC, ending with 'Z'."
            )
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00")
        except ValueError as error:
            raise ODataError(f"Invalid date and time {text!r} in $filter.") from error
        return Literal(moment)
    keyword = text.lower()
    if token.kind == "name" and keyword in {"true", "false"}:
        return Literal(keyword == "true")
    if token.kind == "name" and keyword == "null":
        return Literal(None)
    raise ODataError(f"Expected a value at position {token.at} in $filter, found {text!r}.")


#: Navigation property -> the fields of the record it leads to (``customer/reference``).
Navigations = Mapping[str, frozenset[str]]


def check_field(name: str, fields: frozenset[str], navigations: Navigations, option: str) -> str:
    """A property, or a path ``navigation/property`` through one expandable record (OData's
    path expression; one level)."""
    head, _, tail = name.partition("/")
    if not tail:
        if name not in fields:
            raise ODataError(f"Could not find a property named '{name}' ({option}).")
        return name
    if head not in navigations:
        raise ODataError(f"Could not find a navigation property named '{head}' ({option}).")
    if tail not in navigations[head]:
        raise ODataError(f"Could not find a property named '{tail}' on '{head}' ({option}).")
    return name


class _Parser:
    def __init__(
        self, text: str, fields: frozenset[str] | None, navigations: Navigations | None
    ) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.fields = fields
        self.navigations = navigations or {}
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self, what: str) -> _Token:
        token = self.peek()
        if token is None:
            raise ODataError(f"The $filter ends where {what} was expected.")
        self.pos += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "name" and token.text.lower() in words:
            self.pos += 1
            return token.text.lower()
        return None

    def expect(self, kind: str, what: str) -> _Token:
        token = self.next(what)
        if token.kind != kind:
            raise ODataError(
                f"Expected {what} at position {token.at} in $filter, found {token.text!r}."
            )
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise ODataError("The $filter is empty.")
        node = self.or_expr()
        extra = self.peek()
        if extra is not None:
            raise ODataError(
                f"Unexpected {extra.text!r} at position {extra.at} in $filter"
                " (expected 'and', 'or' or the end)."
            )
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.keyword("or"):
            node = Logical("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while self.keyword("and"):
            node = Logical("and", node, self.unary())
        return node

    def unary(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ODataError(f"The $filter nests deeper than {MAX_DEPTH} levels.")
        try:
            if self.keyword("not"):
                return Not(self.unary())
            return self.primary()
        finally:
            self.depth -= 1

    def primary(self) -> Node:
        token = self.next("a condition")
        if token.kind == "(":
            node = self.or_expr()
            self.expect(")", "')'")
            return node
        keyword = any(part.lower() in KEYWORDS for part in token.text.split("/"))
        if token.kind != "name" or keyword:
            raise ODataError(
                f"Expected a field name or a function at position {token.at} in $filter,"
                f" found {token.text!r}."
            )
        following = self.peek()
        if following is not None and following.kind == "(":
            return self.function(token)
        field = self.field(token)
        op_token = self.next("an operator")
        op = op_token.text.lower()
        if op_token.kind != "name" or op not in COMPARISONS:
            raise ODataError(
                f"Expected one of {', '.join(COMPARISONS)} at position {op_token.at} in $filter,"
                f" found {op_token.text!r}."
            )
        value = self.next("a value")
        if value.kind == "name" and value.text.lower() not in {"true", "false", "null"}:
            # A field on both sides (or `1 eq 1`-style tautologies) is outside the subset [Q]
            # documents; refusing it keeps a value that escaped its quotes from matching all.
            raise ODataError(
                f"Expected a value after {op_token.text!r} at position {value.at} in $filter,"
                f" found {value.text!r}."
            )
        literal = _literal(value)
        if literal.value is None and op not in {"eq", "ne"}:
            raise ODataError(f"null can only be compared with eq or ne in $filter, not {op}.")
        return Compare(op, field, literal)

    def field(self, token: _Token) -> Field:
        if self.fields is not None:
            check_field(token.text, self.fields, self.navigations, "$filter")
        return Field(token.text)

    def function(self, token: _Token) -> Node:
        name = token.text.lower()
        if name not in FUNCTIONS:
            raise ODataError(
                f"Unknown function {token.text!r} in $filter"
                f" (Sage 200 supports {', '.join(sorted(FUNCTIONS))})."
            )
        self.expect("(", "'('")
        field = self.field(self.expect("name", "a field name"))
        self.expect(",", "','")
        value = self.expect("string", "a quoted string")
        self.expect(")", "')'")
        return Function(name, field, _literal(value))


def parse_filter(
    text: str, fields: frozenset[str] | None = None, navigations: Navigations | None = None
) -> Node:
    """The tree of a ``$filter``; ``fields`` (when given) are the only names allowed, with
    ``navigation/field`` paths through ``navigations``."""
    return _Parser(text, fields, navigations).parse()


# -- evaluation --------------------------------------------------------------------------------


def _moment(value: Any) -> datetime | None:
    """A record's date-time text as an aware datetime (naive text is taken as UTC)."""
    if not isinstance(value, str):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _three_way(left: Any, right: Any) -> int:
    return int(left > right) - int(left < right)


def _compare(field: str, stored: Any, literal: Any, fold: bool) -> int | None:
    """Three-way comparison of a record's value with a literal; None when either is null."""
    if stored is None or literal is None:
        return None
    if isinstance(literal, bool):
        if not isinstance(stored, bool):
            raise ODataError(f"The field '{field}' is not a boolean ($filter).")
        return _three_way(stored, literal)
    if isinstance(literal, Decimal):
        if isinstance(stored, bool) or not isinstance(stored, int | Decimal | float):
            raise ODataError(f"The field '{field}' is not a number ($filter).")
        return _three_way(Decimal(str(stored)), literal)
    if isinstance(literal, datetime | date):
        moment = _moment(stored)
        if moment is None:
            raise ODataError(f"The field '{field}' is not a date ($filter).")
        if isinstance(literal, datetime):
            return _three_way(moment, literal)
        return _three_way(moment.date(), literal)
    if not isinstance(stored, str):
        if isinstance(stored, int | Decimal) and not isinstance(stored, bool):
            # [Q]: enum and number values may be written in quotes ('2').
            try:
                return _three_way(Decimal(str(stored)), Decimal(literal))
            except InvalidOperation as error:
                raise ODataError(f"The field '{field}' is not text ($filter).") from error
        raise ODataError(f"The field '{field}' is not text ($filter).")
    if fold:
        return _three_way(stored.casefold(), literal.casefold())
    return _three_way(stored, literal)


Resolver = Callable[[Mapping[str, Any], str], Any]


def evaluate(
    node: Node, record: Mapping[str, Any], *, fold: bool = True, resolve: Resolver | None = None
) -> bool:
    """Whether ``record`` matches ``node``. ``fold``: compare text case-insensitively;
    ``resolve``: reads a ``navigation/field`` path (without it, such a path reads null)."""
    if isinstance(node, Logical):
        left = evaluate(node.left, record, fold=fold, resolve=resolve)
        if node.op == "and":
            return left and evaluate(node.right, record, fold=fold, resolve=resolve)
        return left or evaluate(node.right, record, fold=fold, resolve=resolve)
    if isinstance(node, Not):
        return not evaluate(node.operand, record, fold=fold, resolve=resolve)
    name = node.field.name
    if "/" in name:
        stored = resolve(record, name) if resolve is not None else None
    else:
        stored = record.get(name)
    literal = node.literal.value
    if isinstance(node, Function):
        if stored is None:
            return False
        if not isinstance(stored, str) or not isinstance(literal, str):
            raise ODataError(f"{node.name}() needs a text field; '{name}' is not text.")
        haystack, needle = (stored.casefold(), literal.casefold()) if fold else (stored, literal)
        if node.name == "contains":
            return needle in haystack
        if node.name == "startswith":
            return haystack.startswith(needle)
        return haystack.endswith(needle)
    if literal is None:
        return (stored is None) == (node.op == "eq")
    order = _compare(name, stored, literal, fold)
    if order is None:
        return node.op == "ne"
    return COMPARISONS[node.op](order)


# -- $select, $orderby, $expand ----------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _names(option: str, text: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise ODataError(f"The {option} option has an empty item.")
    return items


def parse_orderby(
    text: str, fields: frozenset[str], navigations: Navigations | None = None
) -> list[tuple[str, bool]]:
    """``name [asc|desc], ...`` as (field, descending) pairs; a name may be a path."""
    out: list[tuple[str, bool]] = []
    for item in _names("$orderby", text):
        parts = item.split()
        if len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in {"asc", "desc"}):
            raise ODataError(f"Invalid $orderby item {item!r} (expected 'field [asc|desc]').")
        check_field(parts[0], fields, navigations or {}, "$orderby")
        out.append((parts[0], len(parts) == 2 and parts[1].lower() == "desc"))
    return out


def parse_select(text: str, fields: frozenset[str], expandable: frozenset[str]) -> list[str]:
    """``a,b,child.c``: fields of the record, or of an expanded child (``customer.name``)."""
    out: list[str] = []
    for item in _names("$select", text):
        head, _, tail = item.partition(".")
        if item == "*":
            out.append(item)
            continue
        if not _NAME.match(head) or (tail and not _NAME.match(tail)):
            raise ODataError(f"Invalid $select item {item!r}.")
        if head not in fields and head not in expandable:
            raise ODataError(f"Could not find a property named '{head}' ($select).")
        if tail and head not in expandable:
            raise ODataError(f"'{head}' cannot be expanded, so {item!r} cannot be selected.")
        out.append(item)
    return out


def parse_expand(text: str, expandable: frozenset[str]) -> list[str]:
    out: list[str] = []
    for item in _names("$expand", text):
        if item not in expandable:
            allowed = ", ".join(sorted(expandable)) or "nothing"
            raise ODataError(
                f"Could not find a navigation property named '{item}' ($expand;"
                f" this resource expands {allowed})."
            )
        out.append(item)
    return out
