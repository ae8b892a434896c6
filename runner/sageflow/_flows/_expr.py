"""CEL expressions inside ``${{ }}``: compiled once at load, evaluated with only what they use."""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import cel

from sageflow._errors import SageflowError
from sageflow._flows._load import DEFAULT_LIMITS, number_problem

#: The names an expression may read; anything else is a validation error.
VARIABLES = frozenset({"inputs", "steps", "index", "run", "env", "trigger"})

# CEL's own functions and macros, which ``Program.references()`` reports beside ours.
_CEL_BUILTINS = frozenset(
    {
        "size",
        "has",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "bool",
        "timestamp",
        "duration",
        "matches",
        "contains",
        "startsWith",
        "endsWith",
        "exists",
        "all",
        "exists_one",
        "map",
        "filter",
        "dyn",
        "type",
        "max",
        "min",
        "getFullYear",
        "getMonth",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getDate",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
        "in",
        "@in",
        "@not_strictly_false",
    }
)

#: The same, for callers outside this module (validation's did-you-mean for a misspelt call).
CEL_FUNCTIONS = _CEL_BUILTINS

_OPEN = "${{"
_CLOSE = "}}"
_STEP_DOT = re.compile(r"\bsteps\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")
_STEP_INDEX = re.compile(r"""\bsteps\s*\[\s*(?:"([^"]*)"|'([^']*)')\s*\]""")
_STEPS_WORD = re.compile(r"\bsteps\b")
_FIELD_OF = {
    name: re.compile(rf"\b{name}\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)") for name in ("inputs", "env")
}
_WORD_OF = {name: re.compile(rf"\b{name}\b") for name in ("inputs", "env")}
_MACRO_VAR = re.compile(r"\b(?:map|filter|exists|all|exists_one)\s*\(\s*([A-Za-z_]\w*)\s*,")


class ExpressionError(SageflowError):
    """An expression that failed while the flow ran (missing key, wrong type, ...)."""


class ExpressionSyntaxError(SageflowError):
    """An expression that does not compile; found when the flow loads."""


@dataclass(frozen=True)
class Expr:
    """One compiled ``${{ }}`` expression and what it reads.

    ``steps`` is the set of step ids it reads, or None when it reads ``steps`` in a way that
    can't be narrowed (then the whole steps map is passed). ``inputs``/``env`` likewise.
    """

    source: str
    program: Any
    names: frozenset[str]
    functions: frozenset[str]
    steps: frozenset[str] | None
    inputs: frozenset[str] | None
    env: frozenset[str] | None
    unknown_names: frozenset[str] = field(default=frozenset())
    #: The comprehensions' bodies, run by ``_comprehend`` item by item (see _Body).
    bodies: tuple[_Body, ...] = field(default=())


@dataclass(frozen=True)
class Template:
    """A string value holding expressions: either exactly one (keeps its type) or mixed text."""

    text: str
    parts: tuple[str | Expr, ...]

    @property
    def single(self) -> Expr | None:
        if len(self.parts) == 1 and isinstance(self.parts[0], Expr):
            return self.parts[0]
        return None

    def exprs(self) -> list[Expr]:
        return [p for p in self.parts if isinstance(p, Expr)]


def _narrow(pattern: re.Pattern[str], word: re.Pattern[str], source: str) -> frozenset[str] | None:
    found = {m.group(1) for m in pattern.finditer(source)}
    if len(word.findall(source)) != sum(1 for _ in pattern.finditer(source)):
        return None
    return frozenset(found)


#: How deep comprehensions (map, filter, all, exists, exists_one) may nest. Each level
#: multiplies the work by the size of its list: two levels cover "lines of each invoice",
#: while seven over ten items already run for minutes, and CEL cannot be interrupted.
MAX_COMPREHENSION_DEPTH = 3
_MACRO_CALL = re.compile(r"\.\s*(?:map|filter|all|exists_one|exists)\s*\(")
_STRING_LITERAL = re.compile(r"""(?:[rR]?(?:'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"))""")


def comprehension_depth(source: str) -> int:
    """How deeply comprehension macros nest in ``source`` (string literals ignored)."""
    text = _STRING_LITERAL.sub('""', source)
    macro_starts = {m.end() - 1 for m in _MACRO_CALL.finditer(text)}
    open_parens: list[bool] = []  # for each open "(", whether it opened a comprehension
    depth = deepest = 0
    for position, char in enumerate(text):
        if char == "(":
            is_macro = position in macro_starts
            open_parens.append(is_macro)
            if is_macro:
                depth += 1
                deepest = max(deepest, depth)
        elif char == ")" and open_parens and open_parens.pop():
            depth -= 1
    return deepest


# --- the budget: bounded work and memory for every expression ---------------------------------
#
# CEL cannot be interrupted and its map() and filter() copy their result list on every
# iteration (a map over n items costs about n*n/2 copies: 10,000 items run for minutes).
# Comprehensions are therefore run by Python, item by item (see _rewrite below). Should a
# form ever not be taken apart that way, it stays CEL's and is rewritten here so that Python
# sees it before it runs and on each item: `l.map(x, f)` runs as `_sf_q(l).map(x, _sf_v(f))`.
# `_sf_q` charges the copies the map is about to make *before* CEL makes them, `_sf_v`
# charges the size of each produced value. Every helper, and each operand of `+`, charges
# what it builds. Each charge is also where a deadline (the step's `timeout`) and a
# cancellation (Ctrl-C) are noticed.

_QUADRATIC = "_sf_q"  # map and filter: their result list is copied per iteration
_LINEAR = "_sf_l"  # all, exists, exists_one
_VALUE = "_sf_v"  # each value a map produces
_OPERAND = "_sf_o"  # each operand of +
_MACROS = {"map": _QUADRATIC, "filter": _QUADRATIC}
_MACROS.update(dict.fromkeys(("all", "exists", "exists_one"), _LINEAR))

_TOKEN = re.compile(
    r"""(?P<space>\s+|//[^\n]*)
    |(?P<string>(?:[rR][bB]?|[bB][rR]?)?(?:\"\"\"[\s\S]*?\"\"\"|\'\'\'[\s\S]*?\'\'\'
        |"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
    |(?P<number>0[xX][0-9a-fA-F]+[uU]?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[uU]?)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*|`[^`]*`)
    |(?P<punct>==|!=|<=|>=|&&|\|\||[-+*/%<>!?:.,()\[\]{}])""",
    re.VERBOSE,
)
_CLOSERS = {")": "(", "]": "[", "}": "{"}


class _CannotInstrumentError(Exception):
    pass


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    start: int
    end: int


#: The last sources tokenized: compiling one expression reads its tokens three times (number
#: literals, the comprehension rewrite, the instrumenting), and callers only read the list.
_TOKENIZED: dict[str, list[_Tok]] = {}


def _tokens(source: str) -> list[_Tok]:
    found = _TOKENIZED.get(source)
    if found is None:
        found = _tokenize(source)
        if len(_TOKENIZED) >= 64:
            _TOKENIZED.clear()
        _TOKENIZED[source] = found
    return found


def _tokenize(source: str) -> list[_Tok]:
    found: list[_Tok] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            raise _CannotInstrumentError(source[position:])
        kind = match.lastgroup or ""
        if kind != "space":
            found.append(_Tok(kind, match.group(), match.start(), match.end()))
        position = match.end()
    return found


def _partners(tokens: list[_Tok]) -> dict[int, int]:
    """Each bracket's index -> its partner's index."""
    partners: dict[int, int] = {}
    stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.text in "([{" and token.kind == "punct":
            stack.append(index)
        elif token.text in _CLOSERS and token.kind == "punct":
            if not stack or tokens[stack[-1]].text != _CLOSERS[token.text]:
                raise _CannotInstrumentError(token.text)
            opened = stack.pop()
            partners[opened] = index
            partners[index] = opened
    if stack:
        raise _CannotInstrumentError("unbalanced")
    return partners


def _ends_operand(token: _Tok) -> bool:
    return token.kind in ("ident", "string", "number") or token.text in (")", "]", "}")


def _receiver_start(tokens: list[_Tok], partners: dict[int, int], index: int) -> int:
    """The index of the first token of the member expression ending at ``index``."""
    while True:
        token = tokens[index]
        if token.kind == "punct" and token.text in _CLOSERS:
            opened = partners[index]
            before = tokens[opened - 1] if opened > 0 else None
            if token.text == "]" and before is not None and _ends_operand(before):
                index = opened - 1  # indexing: a[...]
                continue
            if token.text in ")}" and before is not None and before.kind == "ident":
                index = opened - 1  # a call f(...) or a message literal T{...}
            else:
                return opened  # (expr), [list] or {map}
            token = tokens[index]
        if token.kind not in ("ident", "string", "number"):
            raise _CannotInstrumentError(token.text)
        if index >= 2 and tokens[index - 1].text == "." and _ends_operand(tokens[index - 2]):
            index -= 2  # a.b: keep walking left
            continue
        if index >= 1 and tokens[index - 1].text == ".":
            return index - 1  # .name: a leading dot (the root namespace)
        return index


def _left_operand(tokens: list[_Tok], partners: dict[int, int], index: int) -> int:
    """The first token of the multiplicative-level operand ending at ``index``."""
    while True:
        start = _receiver_start(tokens, partners, index)
        while start > 0 and (
            tokens[start - 1].text == "!"
            or (
                tokens[start - 1].text == "-"
                and (start < 2 or not _ends_operand(tokens[start - 2]))
            )
        ):
            start -= 1
        if start >= 2 and tokens[start - 1].text in ("*", "/", "%"):
            index = start - 2
            continue
        return start


def _right_operand(tokens: list[_Tok], partners: dict[int, int], index: int) -> int:
    """One past the last token of the multiplicative-level operand starting at ``index``."""
    count = len(tokens)
    while True:
        while index < count and tokens[index].text in ("!", "-"):
            index += 1
        if index >= count:
            raise _CannotInstrumentError("operand")
        token = tokens[index]
        if token.kind == "punct" and token.text in "([{":
            index = partners[index] + 1
        elif token.kind in ("string", "number"):
            index += 1
        elif token.kind == "ident" or (token.text == "." and index + 1 < count):
            index += 2 if token.text == "." else 1
            if index < count and tokens[index].text in ("(", "{"):
                index = partners[index] + 1
        else:
            raise _CannotInstrumentError(token.text)
        while index < count:
            if tokens[index].text == "." and index + 1 < count:
                if tokens[index + 1].kind != "ident":
                    raise _CannotInstrumentError(".")
                index += 2
                if index < count and tokens[index].text == "(":
                    index = partners[index] + 1
            elif tokens[index].text == "[":
                index = partners[index] + 1
            else:
                break
        if index < count and tokens[index].text in ("*", "/", "%"):
            index += 1
            continue
        return index


def instrument(source: str, *, additions: bool = True) -> str:
    """``source`` with every comprehension's list and produced values, and every operand of
    ``+``, passed through the budget's functions (see above); the same result, computed under
    a bound."""
    tokens = _tokens(source)
    partners = _partners(tokens)
    wraps: list[tuple[int, int, str]] = []  # (start, end, function) in source offsets
    for index, token in enumerate(tokens):
        if not additions or token.text != "+" or token.kind != "punct" or index == 0:
            continue
        # `s + s + ...` grows a string (or list) natively: each operand is charged first.
        try:
            first = _left_operand(tokens, partners, index - 1)
            last = _right_operand(tokens, partners, index + 1)
        except (_CannotInstrumentError, KeyError, IndexError):
            continue  # left unbounded rather than refusing a valid expression
        for begin, end in ((first, index), (index + 1, last)):
            if end - begin == 1 and tokens[begin].kind in ("number", "string"):
                continue  # a literal is bounded by the expression's length
            wraps.append((tokens[begin].start, tokens[end - 1].end, _OPERAND))
    for index, token in enumerate(tokens[:-2]):
        name = tokens[index + 1]
        opened = index + 2
        if not (
            token.text == "."
            and name.kind == "ident"
            and name.text in _MACROS
            and tokens[opened].text == "("
            and index > 0
        ):
            continue
        first = _receiver_start(tokens, partners, index - 1)
        wraps.append((tokens[first].start, token.start, _MACROS[name.text]))
        # The last argument runs once per item: where its value is charged and a deadline or
        # a Ctrl-C is noticed.
        closed = partners[opened]
        commas = []
        at = opened + 1
        while at < closed:
            if tokens[at].kind == "punct" and tokens[at].text in "([{":
                at = partners[at]  # a comma inside brackets is not the macro's
            elif tokens[at].text == ",":
                commas.append(at)
            at += 1
        if commas:
            wraps.append((tokens[commas[-1] + 1].start, tokens[closed].start, _VALUE))
    if not wraps:
        return source
    events: list[tuple[int, int, int, str]] = []
    for start, end, function in dict.fromkeys(wraps):  # `b` in `a + b + c` is charged once
        events.append((start, 1, -end, function + "("))  # outer wraps open first
        events.append((end, 0, -start, ")"))  # and close last
    out: list[str] = []
    position = 0
    for offset, _kind, _order, text in sorted(events):
        out.append(source[position:offset])
        out.append(text)
        position = offset
    out.append(source[position:])
    return "".join(out)


# --- comprehensions run item by item in Python ----------------------------------------------
#
# CEL's own map() and filter() copy their result on every item (n*n/2 copies: 10,000 invoices
# took minutes). So `L.map(x, BODY)` is rewritten to `_sf_c(L, 0)`, BODY is compiled once as
# a program of its own with `x` a variable, and `_comprehend` runs it for each item: linear,
# and each item is charged (and polls a deadline and Ctrl-C) before it runs. The same holds
# for filter, all, exists, exists_one and the three-argument map(x, predicate, value).

_COMPREHEND = "_sf_c"
_KINDS = ("map", "filter", "all", "exists", "exists_one")


@dataclass(frozen=True)
class _Body:
    """One comprehension: its kind, loop variable, the per-item programs and what they read."""

    kind: str
    var: str
    program: Any  # map's value; the others' (or a three-argument map's) predicate
    value: Any | None  # a three-argument map's value
    names: frozenset[str]  # the enclosing variables it reads (its own loop variable excluded)
    steps: frozenset[str] | None  # as Expr.steps
    functions: frozenset[str]
    nested: bool  # whether it holds comprehensions itself


def _macro_calls(tokens: list[_Tok]) -> list[int]:
    return [
        index
        for index in range(1, len(tokens) - 2)
        if tokens[index].text == "."
        and tokens[index + 1].kind == "ident"
        and tokens[index + 1].text in _KINDS
        and tokens[index + 2].text == "("
    ]


def _arguments(tokens: list[_Tok], partners: dict[int, int], opened: int) -> list[tuple[int, int]]:
    """The (first, end) token spans of a call's arguments."""
    closed = partners[opened]
    spans: list[tuple[int, int]] = []
    first = at = opened + 1
    while at < closed:
        if tokens[at].kind == "punct" and tokens[at].text in "([{":
            at = partners[at]
        elif tokens[at].text == ",":
            spans.append((first, at))
            first = at + 1
        at += 1
    if first < closed:
        spans.append((first, closed))
    return spans


def _rewrite(source: str, bodies: list[_Body]) -> str:
    """``source`` with each comprehension a call of _COMPREHEND; bodies compiled into
    ``bodies``. Raises _CannotInstrumentError for a form it cannot take apart."""
    while True:
        tokens = _tokens(source)
        partners = _partners(tokens)
        calls = _macro_calls(tokens)
        inside = [(index + 2, partners[index + 2]) for index in calls]
        outermost = [i for i in calls if not any(a < i < b for a, b in inside)]
        if not outermost:
            return source
        index = max(outermost)  # rightmost: its receiver may hold the others
        kind = tokens[index + 1].text
        opened = index + 2
        spans = _arguments(tokens, partners, opened)
        if len(spans) not in ((2, 3) if kind == "map" else (2,)):
            raise _CannotInstrumentError(kind)
        var_first, var_end = spans[0]
        if var_end - var_first != 1 or tokens[var_first].kind != "ident":
            raise _CannotInstrumentError(kind)
        var = tokens[var_first].text
        if var in VARIABLES:
            raise _CannotInstrumentError(var)  # it would hide the flow's own
        texts = [source[tokens[a].start : tokens[b - 1].end] for a, b in spans[1:]]
        before = len(bodies)
        programs = [_compile_body(text, bodies) for text in texts]
        names: set[str] = set()
        functions: set[str] = set()
        for inner in bodies[before:]:  # what they read is handed through this one's items
            names.update(inner.names)
            functions.update(inner.functions)
        for refs in (program.references() for program in programs):
            names.update(refs["variables"])
            functions.update(refs["functions"])
        joined = " ".join(texts)
        bodies.append(
            _Body(
                kind=kind,
                var=var,
                program=programs[0],
                value=programs[1] if len(programs) == 2 else None,
                names=frozenset(names - {var}),
                steps=_steps_read(joined),
                functions=frozenset(functions),
                nested=_COMPREHEND in functions,
            )
        )
        first = _receiver_start(tokens, partners, index - 1)
        receiver = source[tokens[first].start : tokens[index].start]
        source = (
            source[: tokens[first].start]
            + f"{_COMPREHEND}({receiver}, {len(bodies) - 1})"
            + source[tokens[partners[opened]].end :]
        )


def _compile_body(text: str, bodies: list[_Body], compiled: Any = None) -> Any:
    """``text`` rewritten and instrumented, compiled; ``compiled`` is ``text`` already compiled
    as it is, used when there is nothing to rewrite (most expressions: no macro, no ``+``)."""
    rewritten = _rewrite(text, bodies)
    instrumented = instrument(rewritten)
    if compiled is not None and instrumented == text:
        return compiled
    try:
        return cel.compile(instrumented)
    except (ValueError, RuntimeError, TypeError):
        return cel.compile(instrument(rewritten, additions=False))


def _steps_read(source: str) -> frozenset[str] | None:
    """The step ids ``source`` reads, or None when it reads ``steps`` in another way."""
    dotted = {m.group(1) for m in _STEP_DOT.finditer(source)}
    indexed = {m.group(1) or m.group(2) for m in _STEP_INDEX.finditer(source)}
    uses = len(_STEPS_WORD.findall(source))
    matched = sum(1 for _ in _STEP_DOT.finditer(source)) + sum(
        1 for _ in _STEP_INDEX.finditer(source)
    )
    return frozenset(dotted | indexed) if uses == matched else None


@dataclass(frozen=True)
class _Frame:
    """The evaluation a comprehension runs in: its bodies, variables and functions."""

    bodies: tuple[_Body, ...]
    variables: Mapping[str, Any]
    functions: Mapping[str, Callable[..., Any]]


_FRAME: contextvars.ContextVar[_Frame | None] = contextvars.ContextVar(
    "sageflow_expression_frame", default=None
)


def _weight(value: Any, limit: int) -> int:
    """The work of handing ``value`` between Python and CEL (see _measure)."""
    return _measure(value, limit, limit * _CHARS)[0]


def _measure(value: Any, work_limit: int, size_limit: int) -> tuple[int, int]:
    """(work, size) of ``value``: work is one a key or item and one per _CHARS characters
    (what handing it between Python and CEL costs), size as size_of; counted until either
    passes its limit."""
    work = size = 0
    pending = [value]
    while pending and work <= work_limit and size <= size_limit:
        item = pending.pop()
        if isinstance(item, str | bytes):
            work += 1 + len(item) // _CHARS
            size += len(item) + 1
        elif isinstance(item, dict):
            work += 1 + len(item)
            size += 1 + len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            work += 1 + len(item)
            size += 1 + len(item)
            pending.extend(item)
        else:
            work += 1
            size += 1
    return work, size


def _comprehend(items: Any, number: int) -> Any:
    frame = _FRAME.get()
    budget = _BUDGET.get()
    if frame is None or budget is None:  # pragma: no cover - only evaluate_expr compiles these
        raise RuntimeError("a comprehension outside an evaluation")
    body = frame.bodies[number]
    if not isinstance(items, list | dict):
        raise _failed(
            budget, TypeError(f"{body.kind}() needs a list or a map, got {_cel_type(items)}")
        )
    outer: dict[str, Any] = {}
    for name in body.names:
        if name in frame.variables:
            value = frame.variables[name]
            if name == "steps" and body.steps is not None and isinstance(value, Mapping):
                value = {k: value[k] for k in body.steps if k in value}
            outer[name] = value
    functions = {n: frame.functions[n] for n in body.functions if n in frame.functions}
    # Every item hands `outer` to CEL again: charged per item, so a body that reads a large
    # value inside a large list is bounded too.
    per_item = ITEM_WORK + _weight(outer, budget.max_work)
    budget.charge(work=_weight(items, budget.max_work), size=len(items))
    kept: list[Any] = []
    count = 0
    for item in items:
        budget.charge(work=per_item)
        variables = dict(outer)
        variables[body.var] = item
        passed = body.value is not None and body.kind == "map"
        result = _run(body.program, variables, functions, frame, body, budget)
        if body.kind == "map" and body.value is None:
            budget.charge(*_measure(result, budget.max_work, budget.max_size))
            kept.append(result)
            continue
        if not isinstance(result, bool):
            raise _failed(
                budget,
                TypeError(
                    f"{body.kind}() needs true or false from its condition, got {_cel_type(result)}"
                ),
            )
        if body.kind == "all" and not result:
            return False
        if body.kind == "exists" and result:
            return True
        if body.kind == "exists_one":
            count += result
        elif body.kind == "filter" and result:
            budget.charge(size=1)
            kept.append(item)
        elif passed and result:
            value = _run(body.value, variables, functions, frame, body, budget)
            budget.charge(*_measure(value, budget.max_work, budget.max_size))
            kept.append(value)
    if body.kind == "all":
        return True
    if body.kind == "exists":
        return False
    if body.kind == "exists_one":
        return count == 1
    return kept


def _run(
    program: Any,
    variables: dict[str, Any],
    functions: dict[str, Callable[..., Any]],
    frame: _Frame,
    body: _Body,
    budget: Budget,
) -> Any:
    context: Any = cel.Context(variables=variables, functions=functions) if functions else variables
    token = _FRAME.set(_Frame(frame.bodies, variables, frame.functions)) if body.nested else None
    try:
        return program.execute(context)
    except Exception as error:
        _notice_interrupt(budget, error)
        if budget.stop is not None:
            raise budget.stop from None
        if budget.failure is not None and _COMPREHEND in str(error):
            raise _failed(budget, budget.failure) from None  # an inner comprehension's
        raise _failed(budget, error) from None
    finally:
        if token is not None:
            _FRAME.reset(token)


def _notice_interrupt(budget: Budget, error: Exception) -> None:
    # A Ctrl-C that lands as a function is entered, before _guarded's `try`, reaches us only
    # as CEL's report of it.
    if budget.stop is None and "call failed: KeyboardInterrupt" in str(error):
        budget.stop = KeyboardInterrupt()


def _failed(budget: Budget, error: Exception) -> Exception:
    budget.failure = error
    return error


def _cel_type(value: Any) -> str:
    names = {bool: "bool", int: "int", float: "double", str: "string", bytes: "bytes"}
    names.update({list: "list", dict: "map", type(None): "null"})
    return names.get(type(value), type(value).__name__)


#: The default budget of one expression evaluation. Work is counted in element operations
#: (about 0.15 µs a unit on a 2-core machine): a comprehension costs ITEM_WORK per item plus
#: what each item hands between Python and CEL (see _measure), so the invoice export's map
#: costs about 100 a row (some 48,000 rows); nested ones multiply and are stopped in a
#: second or two. Memory is counted in characters and items built. The time bound is a
#: backstop (a step's timeout is stricter); the work bound normally ends a runaway first.
MAX_WORK = DEFAULT_LIMITS.max_expression_work
#: One evaluation of a comprehension's body in Python (handing its variables to CEL and its
#: result back; what they hold is charged on top): about 10 µs, a little more than this.
ITEM_WORK = 40
MAX_SIZE = DEFAULT_LIMITS.max_expression_size
MAX_SECONDS = 60.0


class BudgetExceededError(ExpressionError):
    """An expression that would exceed its work, memory or time budget."""


class FlowFailedError(ExpressionError):
    """``fail('message')``: the flow stops its run on purpose, in its own words.

    Its text is the flow's message alone (no expression around it): it is written for the
    person who runs the flow, such as "There is no sales invoice numbered SI-99".
    """


@dataclass
class Budget:
    """What one evaluation may spend; ``charge`` raises when a bound is crossed."""

    max_work: int = MAX_WORK
    max_size: int = MAX_SIZE
    deadline: float | None = None  # time.monotonic() value
    timeout: float | None = None  # seconds, for the message
    cancelled: Callable[[], bool] | None = None
    work: int = 0
    size: int = 0
    stop: BaseException | None = None
    #: What a comprehension's body raised: CEL reports it only as "Function '_sf_c' error".
    failure: Exception | None = None

    def charge(self, work: int = 0, size: int = 0) -> None:
        self.work += work
        self.size += size
        if self.stop is not None:
            raise self.stop
        if self.work > self.max_work:
            self.stop = BudgetExceededError(
                f"needs more than {self.max_work:,} operations (each item of a map or filter"
                f" costs about {ITEM_WORK} plus the size of what it reads and builds, and nested"
                " comprehensions multiply); use for_each, or narrow the list first"
            )
        elif self.size > self.max_size:
            self.stop = BudgetExceededError(
                f"builds more than {self.max_size:,} characters or items"
            )
        elif self.deadline is not None and time.monotonic() > self.deadline:
            self.stop = BudgetExceededError(f"still running after {self.timeout:g} s")
        elif self.cancelled is not None and self.cancelled():
            import asyncio  # here: importing it costs `sageflow validate` a tenth of its run

            self.stop = asyncio.CancelledError()
        if self.stop is not None:
            raise self.stop


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "sageflow_expression_budget", default=None
)


def charge(work: int = 0, size: int = 0) -> None:
    """Charge the evaluation in progress (helpers call this before building a value)."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.charge(work, size)


def size_of(value: Any, limit: int = MAX_SIZE) -> int:
    """Characters and items in ``value``, counted up to ``limit``."""
    total = 0
    pending = [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 1
        elif isinstance(item, dict):
            total += len(item) + 1
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            total += len(item) + 1
            pending.extend(item)
        else:
            total += 1
    return total


def _charge_quadratic(items: Any) -> Any:
    count = len(items) if isinstance(items, list | dict | str | bytes) else 1
    charge(work=count * (count + 1) // 2 + count, size=count)
    return items


def _charge_linear(items: Any) -> Any:
    count = len(items) if isinstance(items, list | dict | str | bytes) else 1
    charge(work=count)
    return items


def _charge_value(value: Any) -> Any:
    charge(work=ITEM_WORK, size=size_of(value))
    return value


def _charge_operand(value: Any) -> Any:
    if isinstance(value, str | bytes | list | dict):
        charge(work=1, size=size_of(value))
    return value


def _guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    # CEL turns whatever a Python function raises into a RuntimeError; a Ctrl-C (or a
    # budget stop) raised inside one is kept on the budget so that evaluate_expr raises it
    # as itself.
    @functools.wraps(function)
    def call(*args: Any) -> Any:
        try:
            return function(*args)
        except BaseException as error:
            budget = _BUDGET.get()
            if budget is not None and budget.stop is None and not isinstance(error, Exception):
                budget.stop = error
            raise

    return call


_BUDGET_GUARDED: dict[str, Callable[..., Any]] = {
    _QUADRATIC: _guarded(_charge_quadratic),
    _LINEAR: _guarded(_charge_linear),
    _VALUE: _guarded(_charge_value),
    _OPERAND: _guarded(_charge_operand),
    _COMPREHEND: _guarded(_comprehend),
}


#: Compiled expressions by (source, max_chars). An Expr is immutable and reads nothing until
#: it is evaluated, so one object serves every place the same text appears: a flow repeats
#: ``inputs.x`` or ``steps.a.output.id`` dozens of times, and each compile runs CEL up to
#: three times. Bounded; failures are not kept (they raise, and are rare).
_COMPILED: dict[tuple[str, int], Expr] = {}
_COMPILED_MAX = 10_000


def compile_expr(source: str, *, max_chars: int = 2_000) -> Expr:
    """Compile one expression (without its ``${{ }}``); raises ExpressionSyntaxError."""
    key = (source, max_chars)
    found = _COMPILED.get(key)
    if found is None:
        found = _compile_expr(source, max_chars)
        if len(_COMPILED) < _COMPILED_MAX:
            _COMPILED[key] = found
    return found


def _compile_expr(source: str, max_chars: int) -> Expr:
    source = source.strip()
    if not source:
        raise ExpressionSyntaxError("empty expression")
    if len(source) > max_chars:
        raise ExpressionSyntaxError(
            f"expression is {len(source)} characters; the limit is {max_chars}"
        )
    nesting = comprehension_depth(source)
    if nesting > MAX_COMPREHENSION_DEPTH:
        raise ExpressionSyntaxError(
            f"comprehensions (map, filter, all, exists) nest {nesting} deep; the limit is "
            f"{MAX_COMPREHENSION_DEPTH}, since each level multiplies the work"
        )
    try:
        plain = cel.compile(source)
    except (ValueError, RuntimeError, TypeError) as error:
        raise ExpressionSyntaxError(_first_line(str(error))) from None
    for token in _tokens(source):
        if token.kind == "number":
            problem = _literal_problem(token.text)
            if problem is not None:
                raise ExpressionSyntaxError(problem)
    bodies: list[_Body] = []
    try:
        program = _compile_body(source, bodies, plain)
    except (ValueError, RuntimeError, TypeError, _CannotInstrumentError):
        # A form the rewrite cannot take apart keeps CEL's own comprehensions, charged for
        # their quadratic copies up front.
        bodies = []
        program = None
    try:
        if program is None:
            try:
                program = cel.compile(instrument(source))
            except (ValueError, RuntimeError, TypeError):
                # The + operands are found without a full parser: if that ever misreads one,
                # keep the comprehension bounds (which must hold) rather than refuse it.
                program = cel.compile(instrument(source, additions=False))
        refs = program.references()
    except (ValueError, RuntimeError, TypeError, _CannotInstrumentError):
        raise ExpressionSyntaxError(
            "a comprehension whose list cannot be found; write it as LIST.map(x, ...)"
        ) from None
    variables = set(refs["variables"])
    functions = set(refs["functions"])
    for body in bodies:
        variables.update(body.names)
        functions.update(body.functions)
    names = frozenset(variables)
    bound = {m.group(1) for m in _MACRO_VAR.finditer(source)}
    # Not yet "unknown": the loop variable (``item`` or the step's ``as``) is checked by the
    # validator, which knows the step.
    unknown = frozenset(n for n in names if n not in VARIABLES and n not in bound)
    steps = _steps_read(source) if "steps" in names else frozenset()
    fields = {
        name: (_narrow(_FIELD_OF[name], _WORD_OF[name], source) if name in names else frozenset())
        for name in ("inputs", "env")
    }
    return Expr(
        source=source,
        program=program,
        names=names - frozenset(bound),
        functions=frozenset(functions),
        steps=steps,
        inputs=fields["inputs"],
        env=fields["env"],
        unknown_names=unknown,
        bodies=tuple(bodies),
    )


def _literal_problem(text: str) -> str | None:
    digits = text.rstrip("uU")
    if digits[:2] in ("0x", "0X"):
        return number_problem(int(digits, 16), text)
    try:
        return number_problem(Decimal(digits), text)
    except InvalidOperation:  # pragma: no cover - the tokenizer only yields numbers
        return None


def _first_line(message: str) -> str:
    # CEL's parse errors carry a caret diagram over several lines; the first line says it all
    # and keeps the file:line:col report one line per problem.
    text = message.replace("Failed to parse expression", "cannot parse").strip()
    first = text.splitlines()[0] if text else "invalid expression"
    first = re.sub(r" expecting \{.*\}", "", first)
    return re.sub(r"ERROR: <input>:", "at ", first) if first else "invalid expression"


def split_template(text: str) -> list[tuple[str, bool, int]]:
    """Split text into (piece, is_expression, offset) around ``${{ }}``; raises if unclosed."""
    pieces: list[tuple[str, bool, int]] = []
    pos = 0
    while True:
        start = text.find(_OPEN, pos)
        if start < 0:
            if pos < len(text):
                pieces.append((text[pos:], False, pos))
            return pieces
        if start > pos:
            pieces.append((text[pos:start], False, pos))
        end = _find_close(text, start + len(_OPEN))
        if end < 0:
            raise ExpressionSyntaxError("`${{` without a closing `}}`")
        pieces.append((text[start + len(_OPEN) : end], True, start))
        pos = end + len(_CLOSE)


def _find_close(text: str, pos: int) -> int:
    # Skip over CEL string literals and map braces so `${{ {"a": "}}"} }}` closes in the right
    # place rather than inside a literal.
    depth = 0
    quote = ""
    i = pos
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0 and text.startswith(_CLOSE, i):
                return i
            depth = max(0, depth - 1)
        i += 1
    return -1


def is_template(value: Any) -> bool:
    return isinstance(value, str) and _OPEN in value


def compile_template(text: str, *, max_chars: int = 2_000) -> Template:
    parts: list[str | Expr] = []
    for piece, is_expr, _offset in split_template(text):
        parts.append(compile_expr(piece, max_chars=max_chars) if is_expr else piece)
    # Exactly one expression with nothing around it keeps its type: `${{ inputs.amount }}` is
    # a number, not the text of a number.
    stripped = [p for p in parts if not (isinstance(p, str) and not p.strip())]
    if len(stripped) == 1 and isinstance(stripped[0], Expr):
        parts = [stripped[0]]
    return Template(text=text, parts=tuple(parts))


# --- evaluation ---------------------------------------------------------------------------------


@dataclass
class Scope:
    """Everything an expression may read during a run; only the referenced parts are passed."""

    inputs: Mapping[str, Any]
    steps: Mapping[str, Mapping[str, Any]]
    run: Mapping[str, Any]
    env: Mapping[str, Any]
    functions: Mapping[str, Callable[..., Any]]
    item: Any = None
    index: int | None = None
    loop_name: str | None = None
    #: The budget of each evaluation (see Budget): seconds (a step's timeout), work and size,
    #: and a check that the run was cancelled (Ctrl-C), polled while an expression runs.
    timeout: float | None = None
    cancelled: Callable[[], bool] | None = None
    max_work: int = MAX_WORK
    max_size: int = MAX_SIZE
    #: What started the run, for a flow with ``on:`` (``{event}`` or ``{events}``).
    trigger: Mapping[str, Any] | None = None

    def child(self, item: Any, index: int, name: str = "item") -> Scope:
        # Positional, not dataclasses.replace(): this runs once per loop item.
        return Scope(
            self.inputs,
            self.steps,
            self.run,
            self.env,
            self.functions,
            item,
            index,
            name,
            self.timeout,
            self.cancelled,
            self.max_work,
            self.max_size,
            self.trigger,
        )


def _variables(expr: Expr, scope: Scope) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in expr.names:
        if name == "steps":
            if expr.steps is None:
                out["steps"] = {k: _celable(v) for k, v in scope.steps.items()}
            else:
                out["steps"] = {k: _celable(scope.steps[k]) for k in expr.steps if k in scope.steps}
        elif name == "inputs":
            out["inputs"] = _pick(scope.inputs, expr.inputs)
        elif name == "env":
            out["env"] = _pick(scope.env, expr.env)
        elif name == "run":
            out["run"] = dict(scope.run)
        elif name == "trigger" and scope.trigger is not None:
            out["trigger"] = _celable(scope.trigger)
        elif name == scope.loop_name:
            out[name] = _celable(scope.item)
        elif name == "index" and scope.loop_name is not None:
            out["index"] = scope.index
    return out


def _pick(values: Mapping[str, Any], wanted: frozenset[str] | None) -> dict[str, Any]:
    if wanted is None:
        return {k: _celable(v) for k, v in values.items()}
    return {k: _celable(values[k]) for k in wanted if k in values}


def _celable(value: Any) -> Any:
    # The CEL binding converts dicts, lists, numbers and datetimes itself, but not dates; only
    # walk containers when needed so a 10,000-item output is not copied on every evaluation.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return {k: _celable(v) for k, v in value.items()}
    return value


def evaluate_expr(expr: Expr, scope: Scope) -> Any:
    # Registering a Python function with CEL costs about a microsecond each; pass only the
    # helpers this expression calls (most call none).
    functions = {name: scope.functions[name] for name in expr.functions if name in scope.functions}
    for name in expr.functions & _BUDGET_GUARDED.keys():
        functions[name] = _BUDGET_GUARDED[name]
    variables = _variables(expr, scope)
    context: Any = cel.Context(variables=variables, functions=functions) if functions else variables
    seconds = MAX_SECONDS if scope.timeout is None else scope.timeout
    budget = Budget(
        max_work=scope.max_work,
        max_size=scope.max_size,
        deadline=time.monotonic() + seconds,
        timeout=seconds,
        cancelled=scope.cancelled,
    )
    token = _BUDGET.set(budget)
    frame = _FRAME.set(_Frame(expr.bodies, variables, functions)) if expr.bodies else None
    try:
        try:
            result = expr.program.execute(context)
        except Exception as error:
            _notice_interrupt(budget, error)
            if budget.failure is not None and _COMPREHEND in str(error):
                raise budget.failure from None  # what the comprehension's body raised
            raise
        if budget.stop is not None:  # CEL's `||`, `&&` and exists() absorb errors
            raise budget.stop
    except (KeyError, IndexError) as error:
        if budget.stop is not None:
            raise _stopped(expr, budget.stop) from None
        raise ExpressionError(_lookup_failure(expr, variables, error)) from None
    except Exception as error:  # the binding raises many kinds; each becomes one typed error
        if budget.stop is not None:
            raise _stopped(expr, budget.stop) from None
        raise ExpressionError(f"${{{{ {expr.source} }}}}: {_first_line(str(error))}") from None
    finally:
        if frame is not None:
            _FRAME.reset(frame)
        _BUDGET.reset(token)
    value = from_cel(result)
    if isinstance(value, str | list | dict):
        try:
            budget.charge(size=size_of(value, budget.max_size))
        except BudgetExceededError as error:
            raise _stopped(expr, error) from None
    return value


#: What a Sage list returns of each record unless the step asks for ``attributes`` [G-attr].
_LISTED_KEYS = frozenset({"id", "displayed_as", "$path"})
_CHAIN = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_$][\w$]*|\[[^\[\]]*\])*")
_ACCESS = re.compile(r"\.([A-Za-z_$][\w$]*)|\[\s*(-?\d+)\s*\]|\[\s*'([^']*)'\s*\]")


def _lookup_failure(expr: Expr, variables: Mapping[str, Any], error: LookupError) -> str:
    """A missing key or index named by the part of the expression that asked for it.

    ``steps.c.output.items[40]: no item 40; the list has 7 (counted from 0)`` rather than
    the binding's ``index out of bounds: 40`` after the whole expression; a key that Sage
    lists only return when asked for says which step should ask.
    """
    detail = str(error.args[0]) if error.args else ""
    if isinstance(error, IndexError):
        found = re.search(r"-?\d+", detail)
        number = found.group(0) if found else None
        part = _part(expr.source, lambda m: m.group(2) == number) if number else None
        message = f"no item {number}" if number else f"no such index ({detail})"
        size = _size_at(variables, part[: part.rindex("[")]) if part else None
        if size == 0:
            # Most often a lookup that found nothing: say that, and how a flow handles it.
            message += (
                "; the list is empty (guard the step with size(...) > 0 in its if:, or stop"
                " the run in your own words with fail('...'))"
            )
        elif size is not None:
            message += f"; the list has {size} (counted from 0)"
    else:
        part = _part(expr.source, lambda m: detail in (m.group(1), m.group(3)))
        message = f"no such key {detail!r}"
        listed = _listed_steps(variables, detail)
        if listed:
            message += (
                ": Sage lists return only id, displayed_as and $path unless the step asks for"
                f" attributes: {detail} (step {listed[0]!r})"
            )
        elif detail not in _LISTED_KEYS and any(_as_listed(v) for v in variables.values()):
            # A loop over a list's items: the loop variable is such a record.
            message += (
                ": Sage lists return only id, displayed_as and $path unless the step that"
                f" listed the records asks for attributes: {detail}"
            )
        else:
            # What is there instead: most often the key is one level deeper or differently
            # named (a component's output wraps the record: output.invoice.invoice_number).
            accesses = list(_ACCESS.finditer(part)) if part else []
            holder = part[: accesses[-1].start()] if part and accesses else ""
            parent = _node_at(variables, holder) if holder else None
            if isinstance(parent, Mapping) and parent:
                keys = sorted(str(k) for k in parent)
                listed_keys = ", ".join(keys[:12]) + (", …" if len(keys) > 12 else "")
                message += f" ({holder} has: {listed_keys})"
    shown = expr.source if len(expr.source) <= 80 else expr.source[:79] + "…"
    return f"{part}: {message}" if part else f"${{{{ {shown} }}}}: {message}"


def _part(source: str, wanted: Callable[[re.Match[str]], bool]) -> str | None:
    """The access chain in ``source`` up to the first accessor ``wanted`` accepts."""
    for chain in _CHAIN.finditer(source):
        text = chain.group()
        for access in _ACCESS.finditer(text):
            if wanted(access):
                return text[: access.end()]
    return None


def _size_at(variables: Mapping[str, Any], path: str) -> int | None:
    node = _node_at(variables, path)
    return len(node) if isinstance(node, list) else None


def _node_at(variables: Mapping[str, Any], path: str) -> Any:
    """The value an access chain (``steps.a.output.items[0]``) names, or None."""
    root = re.match(r"[A-Za-z_]\w*", path)
    if root is None:
        return None
    node: Any = variables.get(root.group())
    for access in _ACCESS.finditer(path[root.end() :]):
        name, index, quoted = access.groups()
        key = name if name is not None else quoted
        if key is not None and isinstance(node, Mapping):
            node = node.get(key)
        elif index is not None and isinstance(node, list) and -len(node) <= int(index) < len(node):
            node = node[int(index)]
        else:
            return None
    return node


def _as_listed(value: Any) -> bool:
    return isinstance(value, Mapping) and "$path" in value and set(value) <= _LISTED_KEYS


def _listed_steps(variables: Mapping[str, Any], key: str) -> list[str]:
    # Steps read by the expression whose items are records as a list returns them by default.
    if key in _LISTED_KEYS:
        return []
    steps = variables.get("steps")
    out: list[str] = []
    for step_id, result in steps.items() if isinstance(steps, Mapping) else ():
        output = result.get("output") if isinstance(result, Mapping) else None
        items = output.get("items") if isinstance(output, Mapping) else None
        if isinstance(items, list) and items and _as_listed(items[0]):
            out.append(step_id)
    return out


class _FunctionFailures(logging.Filter):
    """Drops the CEL binding's own warning for a failed Python function: each failure is
    raised as one ExpressionError (budget stops included), and the warning would be printed
    beside it by logging's last-resort handler or a configured one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Python function '")


_CEL_LOGGER = logging.getLogger("cel")
if not any(isinstance(f, _FunctionFailures) for f in _CEL_LOGGER.filters):
    _CEL_LOGGER.addFilter(_FunctionFailures())


def _stopped(expr: Expr, stop: BaseException) -> BaseException:
    if isinstance(stop, BudgetExceededError):
        return BudgetExceededError(f"${{{{ {expr.source} }}}}: {stop}")
    return stop  # a cancellation or Ctrl-C goes on as itself


def from_cel(value: Any) -> Any:
    """CEL results back to flow values: timestamps and durations become ISO text."""
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.timedelta):
        return f"{value.total_seconds()}s"
    if isinstance(value, list):
        return [from_cel(v) for v in value]
    if isinstance(value, dict):
        return {k: from_cel(v) for k, v in value.items()}
    if isinstance(value, cel.OptionalValue):
        return from_cel(value.value()) if value.has_value() else None
    return value


def render(template: Template, scope: Scope) -> Any:
    single = template.single
    if single is not None:
        return evaluate_expr(single, scope)
    out: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
        else:
            out.append(_as_text(evaluate_expr(part, scope)))
    return "".join(out)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value)


# --- helpers ------------------------------------------------------------------------------------


#: The largest and the finest magnitude an amount helper accepts: Decimal would otherwise
#: happily write out 1e999999999 (a gigabyte of digits) for money() or round().
_AMOUNT_EXPONENT = 30
_MAX_PLACES = 10


def _dec(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        # repr() is the shortest text that reads back as the same float, which for money
        # amounts is the amount as written ("12.1", not 12.0999999...).
        number = Decimal(repr(value))
    elif isinstance(value, str):
        if len(value) > 100:
            raise ValueError(f"not an amount: {value[:20]!r}... ({len(value)} characters)")
        try:
            number = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise ValueError(f"expected a number, got {type(value).__name__}")
    if not number.is_finite() or (number and abs(number.adjusted()) > _AMOUNT_EXPONENT):
        raise ValueError(f"not an amount: {value!r}")
    return number


def _places(places: Any) -> Decimal:
    count = int(places)
    if not 0 <= count <= _MAX_PLACES:
        raise ValueError(f"places must be 0 to {_MAX_PLACES}, got {count}")
    return Decimal(1).scaleb(-count)


def _number(value: Decimal) -> float:
    # CEL has no decimal type and refuses to mix int with double, so helpers always return a
    # double; its repr is the amount as written, so a Decimal input downstream gets "12.1",
    # and money() rounds half-up in decimal arithmetic for the last step.
    return float(value)


def num(value: Any) -> float:
    """Sage money strings ("12.50") to a number (a CEL double)."""
    return _number(_dec(value))


def money(value: Any, places: int = 2) -> str:
    return str(_dec(value).quantize(_places(places), rounding=ROUND_HALF_UP))


def round_(value: Any, places: int = 0) -> float:
    return _number(_dec(value).quantize(_places(places), rounding=ROUND_HALF_UP))


def total(values: list[Any]) -> float:
    """Sum amounts with decimal arithmetic (0.1 + 0.2 is 0.3 here)."""
    charge(work=len(values))
    return _number(sum((_dec(v) for v in values), Decimal(0)))


def fail(message: Any) -> Any:
    """Stop the run: the step fails with ``message`` as its error. Kept on the budget, so that
    CEL's ``||`` and ``&&``, which absorb a function's error, cannot absorb this one."""
    text = message if isinstance(message, str) else json.dumps(message, default=str)
    charge(size=len(text))
    error = FlowFailedError(" ".join(text.split()) or "the flow failed (fail() without a message)")
    budget = _BUDGET.get()
    if budget is not None and budget.stop is None:
        budget.stop = error
    raise error


def default(value: Any, fallback: Any) -> Any:
    return fallback if value is None or value == "" else value


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    raise ValueError(f"expected a date string, got {type(value).__name__}")


def add_days(value: Any, days: int) -> str:
    return (_date(value) + dt.timedelta(days=int(days))).isoformat()


def add_months(value: Any, months: int) -> str:
    day = _date(value)
    month0 = day.month - 1 + int(months)
    year, month = day.year + month0 // 12, month0 % 12 + 1
    last = [
        31,
        29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return dt.date(year, month, min(day.day, last)).isoformat()


def date_of(value: Any) -> str:
    return _date(value).isoformat()


def _flatten(values: list[Any]) -> list[Any]:
    count = sum(len(v) if isinstance(v, list) else 1 for v in values)
    charge(work=count, size=count)
    out: list[Any] = []
    for v in values:
        out.extend(v if isinstance(v, list) else [v])
    return out


def _unique(values: list[Any]) -> list[Any]:
    # Linear, not a scan of what was kept per item: a 10,000-item list is common here.
    charge(work=len(values), size=len(values))
    seen: set[str] = set()
    kept: list[Any] = []
    for v in values:
        key = json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict | list) else v
        marker = f"{type(v).__name__}:{key}" if not isinstance(v, int | float) else key
        if marker not in seen:
            seen.add(marker)
            kept.append(v)
    return kept


def _pluck(values: list[Any], key: str) -> list[Any]:
    charge(work=len(values), size=len(values))
    return [v.get(key) for v in values if isinstance(v, dict)]


#: Characters a string helper handles per unit of work: they run in C, far faster per
#: character than CEL copies a list item.
_CHARS = 64


def _replace(value: Any, old_value: Any, new_value: Any) -> str:
    text, old, new = _require_str(value), _require_str(old_value), _require_str(new_value)
    # The size is known before building it: nine nested replace() once asked for 10 GB.
    found = text.count(old) if old else len(text) + 1
    charge(work=len(text) // _CHARS, size=len(text) + found * max(len(new) - len(old), 0))
    return text.replace(old, new)


def _split(value: Any, separator_value: Any) -> list[str]:
    text, separator = _require_str(value), _require_str(separator_value)
    charge(work=len(text) // _CHARS, size=len(text) + (text.count(separator) if separator else 0))
    return text.split(separator)


def _join(values: list[Any], separator_value: Any = "") -> str:
    separator = _require_str(separator_value)
    charge(work=len(values), size=len(separator) * len(values))
    pieces = [_as_text(v) for v in values]
    charge(size=sum(len(p) for p in pieces))
    return separator.join(pieces)


def _sized(function: Callable[[str], str]) -> Callable[[Any], str]:
    def call(value: Any) -> str:
        text = _require_str(value)
        charge(work=len(text) // _CHARS, size=len(text))
        return function(text)

    return call


def _require_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


Clock = Callable[[], dt.datetime]


def helpers(clock: Clock) -> dict[str, Callable[..., Any]]:
    """The functions flows may call; ``clock`` is injected so tests control today()/now().

    Each charges the evaluation's budget for what it builds, before building it.
    """
    table: dict[str, Callable[..., Any]] = {
        "today": lambda: clock().date().isoformat(),
        "now": lambda: clock(),
        "default": default,
        "fail": fail,
        "num": num,
        "money": money,
        "round": round_,
        "sum": total,
        "addDays": add_days,
        "addMonths": add_months,
        "date": date_of,
        "lower": _sized(str.lower),
        "upper": _sized(str.upper),
        "trim": _sized(str.strip),
        "split": _split,
        "join": _join,
        "replace": _replace,
        "substr": lambda s, start, end=None: _require_str(s)[
            int(start) : None if end is None else int(end)
        ],
        "first": lambda xs: xs[0] if xs else None,
        "last": lambda xs: xs[-1] if xs else None,
        "flatten": _flatten,
        "unique": _unique,
        "pluck": _pluck,
        "keys": lambda m: sorted(m) if isinstance(m, dict) else [],
    }
    return {name: _guarded(function) for name, function in table.items()}


HELPER_NAMES = frozenset(helpers(lambda: dt.datetime.now(dt.UTC)))


# A called name is an identifier; CEL reports its operators by their internal names
# (``!_``, ``-_``, ``_&&_``, ``@in``, ``_[_]``), which are never unknown functions.
_FUNCTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def unknown_functions(expr: Expr) -> list[str]:
    return sorted(
        f
        for f in expr.functions
        if _FUNCTION_NAME.fullmatch(f) and f not in HELPER_NAMES and f not in _CEL_BUILTINS
    )
