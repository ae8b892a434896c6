"""CEL expressions inside ``${{ }}``: compiled once at load, evaluated with only what they use."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import cel

from sageflow._errors import SageflowError

#: The names an expression may read; anything else is a validation error.
VARIABLES = frozenset({"inputs", "steps", "index", "run", "env"})

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


def compile_expr(source: str, *, max_chars: int = 2_000) -> Expr:
    """Compile one expression (without its ``${{ }}``); raises ExpressionSyntaxError."""
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
        program = cel.compile(source)
        refs = program.references()
    except (ValueError, RuntimeError, TypeError) as error:
        raise ExpressionSyntaxError(_first_line(str(error))) from None
    names = frozenset(refs["variables"])
    bound = {m.group(1) for m in _MACRO_VAR.finditer(source)}
    # Not yet "unknown": the loop variable (``item`` or the step's ``as``) is checked by the
    # validator, which knows the step.
    unknown = frozenset(n for n in names if n not in VARIABLES and n not in bound)
    steps: frozenset[str] | None = frozenset()
    if "steps" in names:
        dotted = {m.group(1) for m in _STEP_DOT.finditer(source)}
        indexed = {m.group(1) or m.group(2) for m in _STEP_INDEX.finditer(source)}
        uses = len(_STEPS_WORD.findall(source))
        matched = sum(1 for _ in _STEP_DOT.finditer(source)) + sum(
            1 for _ in _STEP_INDEX.finditer(source)
        )
        steps = frozenset(dotted | indexed) if uses == matched else None
    fields = {
        name: (_narrow(_FIELD_OF[name], _WORD_OF[name], source) if name in names else frozenset())
        for name in ("inputs", "env")
    }
    return Expr(
        source=source,
        program=program,
        names=names - frozenset(bound),
        functions=frozenset(refs["functions"]),
        steps=steps,
        inputs=fields["inputs"],
        env=fields["env"],
        unknown_names=unknown,
    )


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

    def child(self, item: Any, index: int, name: str = "item") -> Scope:
        return Scope(self.inputs, self.steps, self.run, self.env, self.functions, item, index, name)


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
    variables = _variables(expr, scope)
    context: Any = cel.Context(variables=variables, functions=functions) if functions else variables
    try:
        result = expr.program.execute(context)
    except (KeyError, IndexError) as error:
        raise ExpressionError(f"${{{{ {expr.source} }}}}: no such key or index {error}") from None
    except Exception as error:  # the binding raises many kinds; each becomes one typed error
        raise ExpressionError(f"${{{{ {expr.source} }}}}: {_first_line(str(error))}") from None
    return from_cel(result)


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
        import json

        return json.dumps(value, default=str)
    return str(value)


# --- helpers ------------------------------------------------------------------------------------


def _dec(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        # repr() is the shortest text that reads back as the same float, which for money
        # amounts is the amount as written ("12.1", not 12.0999999...).
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    raise ValueError(f"expected a number, got {type(value).__name__}")


def _number(value: Decimal) -> float:
    # CEL has no decimal type and refuses to mix int with double, so helpers always return a
    # double; its repr is the amount as written, so a Decimal input downstream gets "12.1",
    # and money() rounds half-up in decimal arithmetic for the last step.
    return float(value)


def num(value: Any) -> float:
    """Sage money strings ("12.50") to a number (a CEL double)."""
    return _number(_dec(value))


def money(value: Any, places: int = 2) -> str:
    quantum = Decimal(1).scaleb(-int(places))
    return str(_dec(value).quantize(quantum, rounding=ROUND_HALF_UP))


def round_(value: Any, places: int = 0) -> float:
    quantum = Decimal(1).scaleb(-int(places))
    return _number(_dec(value).quantize(quantum, rounding=ROUND_HALF_UP))


def total(values: list[Any]) -> float:
    """Sum amounts with decimal arithmetic (0.1 + 0.2 is 0.3 here)."""
    return _number(sum((_dec(v) for v in values), Decimal(0)))


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
    out: list[Any] = []
    for v in values:
        out.extend(v if isinstance(v, list) else [v])
    return out


def _unique(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def _pluck(values: list[Any], key: str) -> list[Any]:
    return [v.get(key) for v in values if isinstance(v, dict)]


def _require_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


Clock = Callable[[], dt.datetime]


def helpers(clock: Clock) -> dict[str, Callable[..., Any]]:
    """The functions flows may call; ``clock`` is injected so tests control today()/now()."""
    return {
        "today": lambda: clock().date().isoformat(),
        "now": lambda: clock(),
        "default": default,
        "num": num,
        "money": money,
        "round": round_,
        "sum": total,
        "addDays": add_days,
        "addMonths": add_months,
        "date": date_of,
        "lower": lambda s: _require_str(s).lower(),
        "upper": lambda s: _require_str(s).upper(),
        "trim": lambda s: _require_str(s).strip(),
        "split": lambda s, sep: _require_str(s).split(_require_str(sep)),
        "join": lambda xs, sep="": _require_str(sep).join(_as_text(x) for x in xs),
        "replace": lambda s, old, new: _require_str(s).replace(old, new),
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


HELPER_NAMES = frozenset(helpers(lambda: dt.datetime.now(dt.UTC)))


def unknown_functions(expr: Expr) -> list[str]:
    return sorted(
        f
        for f in expr.functions
        if not f.startswith("_")
        and not f.startswith("@")
        and f not in HELPER_NAMES
        and f not in _CEL_BUILTINS
    )
