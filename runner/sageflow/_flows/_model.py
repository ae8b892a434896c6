"""The flow as typed objects, built from a loaded document with every structural problem kept."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sageflow._flows._expr import (
    Expr,
    ExpressionSyntaxError,
    Template,
    compile_template,
    is_template,
)
from sageflow._flows._load import DEFAULT_LIMITS, Limits, Source
from sageflow._flows._problems import Path, Problem

STEP_ID = re.compile(r"^[a-z][a-z0-9_]*$")
ON_ERROR = ("fail", "continue")
#: Error kinds a step's ``retry.on`` may name, and the default set (transient failures only:
#: retrying a 400 sends the same wrong request again).
RETRY_KINDS = (
    "server_error",
    "rate_limited",
    "timeout",
    "connection",
    "not_found",
    "api_error",
    "any",
)
DEFAULT_RETRY_ON = ("server_error", "rate_limited", "timeout", "connection")

TOP_KEYS = {"name", "description", "on", "inputs", "env", "connections", "steps", "outputs"}
TRIGGER_KEYS = {"poll", "with", "every", "batch", "description"}
#: ``every:`` when a flow's ``on:`` leaves it out.
DEFAULT_EVERY = "5m"
#: ``every:`` bounds: Sage counts requests per minute and per day, and a week is the longest
#: gap that still reads as polling.
MIN_EVERY_SECONDS, MAX_EVERY_SECONDS = 1, 7 * 24 * 3600
MAX_BATCH = 10_000
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_UNIT_SECONDS = (86_400, 3_600, 60, 1)
STEP_KEYS = {
    "id",
    "uses",
    "with",
    "if",
    "for_each",
    "as",
    "concurrency",
    "retry",
    "timeout",
    "on_error",
    "connection",
    "description",
}
RETRY_KEYS = {"max_attempts", "backoff", "max_backoff", "on"}
INPUT_TYPES = {"string", "number", "integer", "boolean", "array", "object"}
CONNECTION_KEYS = {"account", "businessId", "description"}
#: Environment variables a flow may not read: connections take their credentials and settings
#: from ``SAGEFLOW_*`` (SAGEFLOW_ACCESS_TOKEN, SAGEFLOW_CLIENT_SECRET, ..., see
#: ``sageflow._http._config``), and the HTTP client reads proxy URLs, which may hold a password.
RESERVED_ENV_PREFIX = "SAGEFLOW_"
RESERVED_ENV = frozenset({"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"})


def reserved_env(name: str) -> bool:
    """Whether ``name`` is a variable only the connection may read (any letter case)."""
    upper = name.upper()
    return upper.startswith(RESERVED_ENV_PREFIX) or upper in RESERVED_ENV


@dataclass(frozen=True)
class Retry:
    max_attempts: int = 1
    backoff: float = 1.0
    max_backoff: float = 30.0
    on: tuple[str, ...] = DEFAULT_RETRY_ON


@dataclass
class Value:
    """A value of the document that may hold expressions, compiled where they are."""

    raw: Any
    compiled: Any  # the raw structure with Template objects in place of expression strings
    path: Path

    @property
    def dynamic(self) -> bool:
        return _has_template(self.compiled)

    def exprs(self) -> list[tuple[Path, Expr]]:
        found: list[tuple[Path, Expr]] = []
        _collect(self.compiled, self.path, found)
        return found


def _has_template(value: Any) -> bool:
    if isinstance(value, Template):
        return True
    if isinstance(value, dict):
        return any(_has_template(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return False


def _collect(value: Any, path: Path, out: list[tuple[Path, Expr]]) -> None:
    if isinstance(value, Template):
        out.extend((path, e) for e in value.exprs())
    elif isinstance(value, dict):
        for k, v in value.items():
            _collect(v, (*path, k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _collect(v, (*path, i), out)


@dataclass
class Step:
    index: int
    id: str
    uses: str
    with_: Value
    if_: Value | None = None
    for_each: Value | None = None
    as_: str = "item"
    concurrency: int = 1
    retry: Retry = field(default_factory=Retry)
    timeout: float | None = None
    on_error: str = "fail"
    connection: str | None = None
    description: str = ""

    @property
    def path(self) -> Path:
        return ("steps", self.index)


@dataclass
class Trigger:
    """A flow's ``on:``: the trigger component polled, its fixed inputs, how often, batching."""

    ref: str
    with_: dict[str, Any]
    every: float  # seconds
    every_text: str
    batch: int | None = None  # None: one run per event (trigger.event); N: trigger.events

    @property
    def path(self) -> Path:
        return ("on",)


def parse_duration(text: Any) -> float | None:
    """``30s``, ``5m``, ``1h``, ``1h30m``, ``2d`` as seconds; None when ``text`` is not one."""
    if not isinstance(text, str):
        return None
    match = _DURATION.fullmatch(text.strip())
    if match is None or not text.strip():
        return None
    return float(
        sum(
            int(part) * unit
            for part, unit in zip(match.groups(), _UNIT_SECONDS, strict=True)
            if part
        )
    )


@dataclass
class InputSpec:
    name: str
    schema: dict[str, Any]
    secret: bool
    required: bool
    default: Any = None


@dataclass
class Connection:
    name: str
    account: str | None = None
    business_id: str | None = None


@dataclass
class Flow:
    """A loaded, validated flow; ``hash`` identifies its text for resume."""

    source: Source
    name: str
    description: str
    inputs: dict[str, InputSpec]
    env: dict[str, bool]  # declared environment variable -> is secret
    connections: dict[str, Connection]
    steps: list[Step]
    outputs: dict[str, Value]
    limits: Limits = DEFAULT_LIMITS
    trigger: Trigger | None = None

    @property
    def file(self) -> str:
        return self.source.file

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.source.text.encode("utf-8")).hexdigest()

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def secret_inputs(self) -> set[str]:
        return {n for n, spec in self.inputs.items() if spec.secret}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class _Parser:
    def __init__(self, source: Source, limits: Limits) -> None:
        self.source = source
        self.limits = limits
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str, *, key: bool = False) -> None:
        self.problems.append(self.source.problem(path, message, key=key))

    def unknown_keys(self, mapping: dict[str, Any], allowed: set[str], path: Path) -> None:
        for key in mapping:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                self.add((*path, key), f"unknown key{hint}", key=True)

    def expect(self, value: Any, types: type | tuple[type, ...], path: Path, what: str) -> bool:
        if isinstance(value, bool) and bool not in (
            types if isinstance(types, tuple) else (types,)
        ):
            self.add(path, f"expected {what}, got a boolean")
            return False
        if not isinstance(value, types):
            self.add(path, f"expected {what}, got {_kind(value)}")
            return False
        return True

    def compile(self, raw: Any, path: Path) -> Value:
        return Value(raw=raw, compiled=self._compile(raw, path), path=path)

    def _compile(self, raw: Any, path: Path) -> Any:
        if is_template(raw):
            try:
                return compile_template(raw, max_chars=self.limits.max_expression_chars)
            except ExpressionSyntaxError as error:
                self.add(path, f"invalid expression: {error}")
                return raw
        if isinstance(raw, dict):
            return {k: self._compile(v, (*path, k)) for k, v in raw.items()}
        if isinstance(raw, list):
            return [self._compile(v, (*path, i)) for i, v in enumerate(raw)]
        return raw

    def parse(self) -> Flow | None:
        data = self.source.data
        if not isinstance(data, dict):
            self.add((), f"a flow is a mapping with name and steps, got {_kind(data)}")
            return None
        self.unknown_keys(data, TOP_KEYS, ())
        name = data.get("name")
        if name is None:
            self.add((), "missing required key: name")
            name = ""
        elif self.expect(name, str, ("name",), "a string"):
            pass
        description = data.get("description", "")
        if not isinstance(description, str):
            self.add(("description",), f"expected a string, got {_kind(description)}")
            description = ""
        flow = Flow(
            source=self.source,
            name=name if isinstance(name, str) else "",
            description=description,
            inputs=self.parse_inputs(data.get("inputs", {})),
            env=self.parse_env(data.get("env", {})),
            connections=self.parse_connections(data.get("connections", {})),
            steps=self.parse_steps(data.get("steps")),
            outputs={},
            limits=self.limits,
            trigger=self.parse_trigger(data["on"]) if "on" in data else None,
        )
        outputs = data.get("outputs", {})
        if self.expect(outputs, dict, ("outputs",), "a mapping of output names to values"):
            flow.outputs = {k: self.compile(v, ("outputs", k)) for k, v in outputs.items()}
        return flow

    def parse_trigger(self, raw: Any) -> Trigger | None:
        path: Path = ("on",)
        if not self.expect(
            raw, dict, path, "a mapping such as {poll: pack/someChanges, every: 5m}"
        ):
            return None
        self.unknown_keys(raw, TRIGGER_KEYS, path)
        ref = raw.get("poll")
        if ref is None:
            self.add(path, "missing required key: poll (the trigger, e.g. pack/contactChanges)")
            ref = ""
        elif not self.expect(ref, str, (*path, "poll"), "pack/triggerKey"):
            ref = ""
        with_raw = raw.get("with", {})
        if with_raw is None:
            with_raw = {}
        if not self.expect(with_raw, dict, (*path, "with"), "a mapping of the trigger's inputs"):
            with_raw = {}
        for key, value in with_raw.items():
            for where, _text in _templates(value, (*path, "with", key)):
                # The cursor belongs to one set of trigger inputs: inputs that could change
                # from one poll to the next would make it describe something else.
                self.add(
                    where,
                    "trigger inputs are fixed values, not ${{ }} expressions"
                    " (the poll's cursor belongs to them)",
                )
        every_raw = raw.get("every", DEFAULT_EVERY)
        every = parse_duration(every_raw)
        if every is None:
            self.add(
                (*path, "every"),
                f"expected a duration such as 30s, 5m, 1h or 1h30m, got {every_raw!r}",
            )
            every = parse_duration(DEFAULT_EVERY) or 300.0
        elif not MIN_EVERY_SECONDS <= every <= MAX_EVERY_SECONDS:
            self.add(
                (*path, "every"),
                f"expected a duration from {MIN_EVERY_SECONDS}s to 7d, got {every_raw!r}",
            )
        batch = raw.get("batch")
        if batch is not None and (
            isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH
        ):
            self.add(
                (*path, "batch"),
                f"expected a whole number of events per run from 1 to {MAX_BATCH}, got {batch!r}",
            )
            batch = None
        description = raw.get("description")
        if description is not None:
            self.expect(description, str, (*path, "description"), "a string")
        return Trigger(
            ref=ref,
            with_=with_raw,
            every=every,
            every_text=str(every_raw),
            batch=batch,
        )

    def parse_inputs(self, raw: Any) -> dict[str, InputSpec]:
        out: dict[str, InputSpec] = {}
        if not self.expect(raw, dict, ("inputs",), "a mapping of input names to JSON Schemas"):
            return out
        for name, schema in raw.items():
            path: Path = ("inputs", name)
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                self.add(path, "input names are letters, digits and _", key=True)
            if not self.expect(schema, dict, path, "a JSON Schema mapping such as {type: string}"):
                continue
            kind = schema.get("type")
            if kind is not None and (not isinstance(kind, str) or kind not in INPUT_TYPES):
                self.add(
                    (*path, "type"), f"unknown type {kind!r}; use one of {sorted(INPUT_TYPES)}"
                )
            secret = bool(
                schema.get("secret")
                or schema.get("writeOnly")
                or schema.get("format") == "password"
            )
            clean = {k: v for k, v in schema.items() if k != "secret"}
            schema_problem = _schema_problem(clean)
            if schema_problem:
                self.add(path, f"not a valid JSON Schema: {schema_problem}")
                continue
            for where, message in _unknown_keywords(clean, path):
                self.add(where, message, key=True)  # the input still exists: no knock-on errors
            refused = list(_schema_policy(clean, path))
            for where, message in refused:
                self.add(where, message, key=where[-1] == "patternProperties")
            if refused:
                continue
            out[name] = InputSpec(
                name=name,
                schema=clean,
                secret=secret,
                required="default" not in schema and not schema.get("optional", False),
                default=schema.get("default"),
            )
            out[name].schema.pop("optional", None)
        return out

    def reserved(self, name: str, path: Path, *, key: bool = False) -> bool:
        if not reserved_env(name):
            return False
        self.add(
            path,
            f"{name} is read by connections only (a flow may not read {RESERVED_ENV_PREFIX}*"
            " or proxy variables); pass the value as an input instead",
            key=key,
        )
        return True

    def parse_env(self, raw: Any) -> dict[str, bool]:
        if isinstance(raw, list):
            names = {}
            for i, item in enumerate(raw):
                if self.expect(
                    item, str, ("env", i), "an environment variable name"
                ) and not self.reserved(item, ("env", i)):
                    names[item] = False
            return names
        if not self.expect(raw, dict, ("env",), "a list of names or a mapping name -> {secret}"):
            return {}
        out: dict[str, bool] = {}
        for name, spec in raw.items():
            if self.reserved(name, ("env", name), key=True):
                continue
            if spec is None:
                out[name] = False
            elif self.expect(spec, dict, ("env", name), "a mapping such as {secret: true}"):
                self.unknown_keys(spec, {"secret", "description"}, ("env", name))
                out[name] = bool(spec.get("secret", False))
        return out

    def parse_connections(self, raw: Any) -> dict[str, Connection]:
        out: dict[str, Connection] = {}
        if not self.expect(raw, dict, ("connections",), "a mapping of connection names"):
            return out
        for name, spec in raw.items():
            path: Path = ("connections", name)
            if spec is None:
                out[name] = Connection(name)
                continue
            if not self.expect(spec, dict, path, "a mapping such as {account: my-company}"):
                continue
            self.unknown_keys(spec, CONNECTION_KEYS, path)
            account = spec.get("account")
            business = spec.get("businessId")
            if account is not None:
                self.expect(account, str, (*path, "account"), "a configured connection name")
            if business is not None:
                self.expect(business, str, (*path, "businessId"), "a business id")
            out[name] = Connection(
                name,
                account if isinstance(account, str) else None,
                business if isinstance(business, str) else None,
            )
        return out

    def parse_steps(self, raw: Any) -> list[Step]:
        if raw is None:
            self.add((), "missing required key: steps")
            return []
        if not self.expect(raw, list, ("steps",), "a list of steps"):
            return []
        if len(raw) > self.limits.max_steps:
            self.add(("steps",), f"{len(raw)} steps; the limit is {self.limits.max_steps}")
            return []
        if not raw:
            self.add(("steps",), "a flow needs at least one step")
        steps = []
        for i, item in enumerate(raw):
            step = self.parse_step(i, item)
            if step is not None:
                steps.append(step)
        return steps

    def parse_step(self, i: int, raw: Any) -> Step | None:
        path: Path = ("steps", i)
        if not self.expect(raw, dict, path, "a step mapping with id and uses"):
            return None
        self.unknown_keys(raw, STEP_KEYS, path)
        step_id = raw.get("id")
        if step_id is None:
            self.add(path, "missing required key: id")
            step_id = f"step_{i}"
        elif not isinstance(step_id, str) or not STEP_ID.match(step_id):
            self.add((*path, "id"), f"step ids are snake_case (a-z, 0-9, _), got {step_id!r}")
            step_id = str(step_id)
        uses = raw.get("uses")
        if uses is None:
            self.add(path, "missing required key: uses")
            uses = ""
        elif not isinstance(uses, str):
            self.add((*path, "uses"), f"expected pack/componentKey, got {_kind(uses)}")
            uses = ""
        with_raw = raw.get("with", {})
        if not isinstance(with_raw, dict) and not is_template(with_raw):
            self.add((*path, "with"), f"expected a mapping of inputs, got {_kind(with_raw)}")
            with_raw = {}
        step = Step(index=i, id=step_id, uses=uses, with_=self.compile(with_raw, (*path, "with")))
        if "if" in raw:
            cond = raw["if"]
            if not isinstance(cond, bool) and not is_template(cond):
                self.add(
                    (*path, "if"), f"expected ${{{{ expression }}}} or a boolean, got {_kind(cond)}"
                )
            else:
                step.if_ = self.compile(cond, (*path, "if"))
        if "for_each" in raw:
            loop = raw["for_each"]
            if isinstance(loop, list):
                if len(loop) > self.limits.max_loop_items:
                    self.add(
                        (*path, "for_each"),
                        f"{len(loop)} items; the limit is {self.limits.max_loop_items}",
                    )
                step.for_each = self.compile(loop, (*path, "for_each"))
            elif is_template(loop):
                step.for_each = self.compile(loop, (*path, "for_each"))
            else:
                self.add(
                    (*path, "for_each"),
                    f"expected a list or ${{{{ expression }}}}, got {_kind(loop)}",
                )
        for key in ("as", "concurrency"):
            if key in raw and "for_each" not in raw:
                self.add((*path, key), f"`{key}` only applies to a step with for_each", key=True)
        if "as" in raw:
            name = raw["as"]
            if not isinstance(name, str) or not re.match(r"^[a-z_][a-z0-9_]*$", name):
                self.add((*path, "as"), f"expected a lower-case name, got {name!r}")
            elif name in {"inputs", "steps", "run", "env", "index", "trigger"}:
                self.add((*path, "as"), f"{name!r} is already a variable; pick another name")
            else:
                step.as_ = name
        if "concurrency" in raw:
            conc = raw["concurrency"]
            if isinstance(conc, bool) or not isinstance(conc, int) or not 1 <= conc <= 64:
                self.add(
                    (*path, "concurrency"), f"expected a whole number from 1 to 64, got {conc!r}"
                )
            else:
                step.concurrency = conc
        if "retry" in raw:
            step.retry = self.parse_retry(raw["retry"], (*path, "retry"))
        if "timeout" in raw:
            t = raw["timeout"]
            if isinstance(t, bool) or not isinstance(t, int | Decimal | float) or t <= 0:
                self.add((*path, "timeout"), f"expected a positive number of seconds, got {t!r}")
            else:
                step.timeout = float(t)
        if "on_error" in raw:
            mode = raw["on_error"]
            if mode not in ON_ERROR:
                self.add((*path, "on_error"), f"expected fail or continue, got {mode!r}")
            else:
                step.on_error = mode
        if "connection" in raw:
            conn = raw["connection"]
            if self.expect(conn, str, (*path, "connection"), "a connection name"):
                step.connection = conn
        if "description" in raw:
            desc = raw["description"]
            if self.expect(desc, str, (*path, "description"), "a string"):
                step.description = desc
        return step

    def parse_retry(self, raw: Any, path: Path) -> Retry:
        if isinstance(raw, int) and not isinstance(raw, bool):
            if raw < 1 or raw > 20:
                self.add(path, f"expected 1 to 20 attempts, got {raw}")
                return Retry()
            return Retry(max_attempts=raw)
        if not self.expect(raw, dict, path, "a number of attempts or {max_attempts, backoff, on}"):
            return Retry()
        self.unknown_keys(raw, RETRY_KEYS, path)
        retry = Retry()
        attempts = raw.get("max_attempts", 3)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 20:
            self.add((*path, "max_attempts"), f"expected 1 to 20, got {attempts!r}")
            attempts = 1
        backoff = raw.get("backoff", 1)
        if isinstance(backoff, bool) or not isinstance(backoff, int | Decimal) or backoff < 0:
            self.add((*path, "backoff"), f"expected seconds (a number >= 0), got {backoff!r}")
            backoff = 1
        max_backoff = raw.get("max_backoff", 30)
        if (
            isinstance(max_backoff, bool)
            or not isinstance(max_backoff, int | Decimal)
            or max_backoff < 0
        ):
            self.add(
                (*path, "max_backoff"), f"expected seconds (a number >= 0), got {max_backoff!r}"
            )
            max_backoff = 30
        on = raw.get("on", list(retry.on))
        kinds: list[str] = []
        if isinstance(on, str):
            on = [on]
        if self.expect(on, list, (*path, "on"), "a list of error kinds"):
            for i, kind in enumerate(on):
                if kind not in RETRY_KINDS:
                    self.add(
                        (*path, "on", i),
                        f"unknown error kind {kind!r}; use {', '.join(RETRY_KINDS)}",
                    )
                else:
                    kinds.append(kind)
        return Retry(int(attempts), float(backoff), float(max_backoff), tuple(kinds))


def _templates(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if is_template(value):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _templates(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _templates(inner, (*path, index))


def _schema_problem(schema: dict[str, Any]) -> str | None:
    if plainly_valid(schema):
        return None  # what draft 7's meta-schema accepts, seen without importing jsonschema
    import jsonschema  # type: ignore[import-untyped,unused-ignore]

    try:
        jsonschema.Draft7Validator.check_schema(_plain(schema))
    except jsonschema.SchemaError as error:
        return str(error.message)
    return None


_SIMPLE_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _anything(_value: Any) -> bool:
    return True


def _string_set(value: Any) -> bool:
    return (
        isinstance(value, list)
        and all(isinstance(v, str) for v in value)
        and len(set(value)) == len(value)
    )


def _schema_map(value: Any) -> bool:
    return isinstance(value, dict) and all(plainly_valid(v) for v in value.values())


#: The keywords flow inputs use nearly always, each with what draft 7's meta-schema asks of its
#: value (``default``, ``const`` and the meta-schema's unknown keys take anything).
_PLAIN_KEYWORDS: dict[str, Any] = {
    "type": lambda v: isinstance(v, str) and v in _SIMPLE_TYPES,
    "description": _is_str,
    "title": _is_str,
    "$comment": _is_str,
    "format": _is_str,
    "default": _anything,
    "const": _anything,
    "optional": _anything,
    "writeOnly": _anything,
    "readOnly": lambda v: isinstance(v, bool),
    "enum": lambda v: isinstance(v, list),
    "examples": lambda v: isinstance(v, list),
    "required": _string_set,
    "items": lambda v: plainly_valid(v),
    "properties": _schema_map,
}


def plainly_valid(schema: Any) -> bool:
    """True when ``schema`` uses only the common keywords above, each with a value draft 7's
    meta-schema accepts: then it is a valid schema, and checking it needs no jsonschema (whose
    import is a fifth of ``sageflow validate``'s run). False means "ask jsonschema", not
    "invalid"."""
    if not isinstance(schema, dict):
        return False
    for key, value in schema.items():
        check = _PLAIN_KEYWORDS.get(key)
        if check is None or not check(value):
            return False
    return True


#: JSON Schema 2020-12's keywords (draft-07's ``definitions`` too) and sageflow's ``secret``
#: and ``optional``. JSON Schema ignores a keyword it does not know, so ``defualt: 10`` or a
#: stray ``80 cm`` from an unquoted comma would pass and change nothing: they are refused.
SCHEMA_KEYWORDS = frozenset(
    {
        *("$schema", "$id", "$ref", "$defs", "$comment", "$anchor", "$dynamicRef"),
        *("$dynamicAnchor", "definitions", "type", "enum", "const", "multipleOf"),
        *("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength"),
        *("minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains"),
        *("minContains", "contains", "maxProperties", "minProperties", "required"),
        *("dependentRequired", "properties", "patternProperties", "additionalProperties"),
        *("propertyNames", "items", "prefixItems", "unevaluatedItems"),
        *("unevaluatedProperties", "allOf", "anyOf", "oneOf", "not", "if", "then", "else"),
        *("dependentSchemas", "title", "description", "default", "deprecated", "readOnly"),
        *("writeOnly", "examples", "format", "contentEncoding", "contentMediaType"),
        *("contentSchema", "secret", "optional"),
    }
)
#: Keywords whose value is a schema, a list of schemas, or a mapping of names to schemas.
_ONE_SCHEMA = ("items", "not", "if", "then", "else", "contains", "additionalProperties")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "dependentSchemas")


def _unknown_keywords(schema: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """Keys of an input schema (and the schemas inside it) that JSON Schema does not define."""
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key not in SCHEMA_KEYWORDS and not key.startswith("x-"):
            hint = did_you_mean(key, set(SCHEMA_KEYWORDS))
            if value is None and not hint:
                # {default: Pine shelf, 80 cm}: the comma ended the value and began a key.
                hint = " (a comma in an unquoted value starts a new key: quote the value)"
            yield (*path, key), f"unknown JSON Schema keyword{hint}"
        elif key in _ONE_SCHEMA:
            yield from _unknown_keywords(value, (*path, key))
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            for index, item in enumerate(value):
                yield from _unknown_keywords(item, (*path, key, index))
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            for name, item in value.items():
                yield from _unknown_keywords(item, (*path, key, name))


def _schema_policy(schema: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """What an input schema may not do: reach another document, or match in exponential time.

    A ``$ref`` outside the document (``http://...``, ``file:///etc/passwd``) would be fetched
    by every run, and a ``$id`` would turn ``#`` references into references to another
    document. Patterns run with RE2, which matches in linear time; what RE2 cannot compile
    (backreferences, lookaround) is refused here rather than run with Python's backtracking
    ``re``. ``patternProperties`` is refused: jsonschema also matches its keys with ``re``.
    """
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _schema_policy(item, (*path, index))
        return
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        where: Path = (*path, key)
        if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
            yield (
                where,
                (
                    f"$ref {value[:80]!r} points outside the flow; input schemas are"
                    " self-contained (use #/definitions/NAME)"
                ),
            )
        elif key == "$id" and isinstance(value, str):
            yield where, "$id is not allowed in input schemas (it makes # references external)"
        elif key == "patternProperties":
            yield where, "patternProperties is not supported in input schemas; use pattern"
        elif key == "pattern" and isinstance(value, str):
            problem = pattern_problem(value)
            if problem is not None:
                yield where, problem
        else:
            yield from _schema_policy(value, where)


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot run in linear time (RE2 refuses it), or None."""
    try:
        _re2(pattern)
    except ValueError as error:
        return (
            f"pattern {pattern[:80]!r} is not supported ({error}); patterns run with RE2"
            " in linear time, without backreferences or lookaround"
        )
    return None


_RE2_CACHE: dict[str, Any] = {}


def _re2(pattern: str) -> Any:
    """``pattern`` compiled by RE2; raises ValueError with RE2's reason."""
    compiled = _RE2_CACHE.get(pattern)
    if compiled is None:
        import re2  # type: ignore[import-untyped,unused-ignore]  # only flows with patterns pay

        options = re2.Options()
        options.log_errors = False  # its errors come back as exceptions, not stderr noise
        try:
            compiled = re2.compile(pattern, options=options)
        except re2.error as error:
            reason = error.args[0] if error.args else "invalid pattern"
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise ValueError(str(reason)) from None
        if len(_RE2_CACHE) < 1_000:
            _RE2_CACHE[pattern] = compiled
    return compiled


def input_validator(schema: Mapping[str, Any]) -> Any:
    """A draft-07 validator for a flow input that never fetches and matches with RE2.

    The registry is empty, so a ``$ref`` that validation let through resolves inside the
    schema or fails; nothing is retrieved from a URL or a file.
    """
    import jsonschema  # type: ignore[import-untyped,unused-ignore]
    from jsonschema import validators
    from referencing import Registry

    def pattern(validator: Any, value: str, instance: Any, _schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "string") and not _re2(value).search(instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {value!r}")

    def refused(_validator: Any, _value: Any, _instance: Any, _schema: Any) -> Iterator[Any]:
        yield jsonschema.ValidationError("patternProperties is not supported in input schemas")

    linear = validators.extend(
        jsonschema.Draft7Validator, {"pattern": pattern, "patternProperties": refused}
    )
    return linear(dict(schema), registry=Registry(), format_checker=_formats())


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})"
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _formats() -> Any:
    """The ``format``s a flow input's value is checked against before the run.

    jsonschema checks ``format`` only when given a checker, and its own ``date-time`` and
    ``uri`` checks need optional packages; these four are written here so they always run.
    A format not listed stays an annotation, as draft 7 allows.
    """
    import datetime as dt

    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())

    def is_date(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _DATE.fullmatch(value):
            return False
        dt.date.fromisoformat(value)  # raises on 2024-02-30
        return True

    def is_date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _DATE_TIME.fullmatch(value):
            return False
        dt.datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
        return True

    def is_email(value: object) -> bool:
        return not isinstance(value, str) or bool(_EMAIL.fullmatch(value))

    def is_uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        scheme, colon, rest = value.partition(":")
        return bool(colon and rest and _URI_SCHEME.fullmatch(scheme) and " " not in value)

    checker.checks("date", raises=ValueError)(is_date)
    checker.checks("date-time", raises=ValueError)(is_date_time)
    checker.checks("email")(is_email)
    checker.checks("uri")(is_uri)
    return checker


def _plain(value: Any) -> Any:
    # YAML numbers are Decimals here; jsonschema's meta-schema wants JSON numbers.
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def did_you_mean(word: str, options: set[str]) -> str:
    import difflib

    match = difflib.get_close_matches(word, sorted(options), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def parse_flow(
    source: Source, limits: Limits = DEFAULT_LIMITS
) -> tuple[Flow | None, list[Problem]]:
    parser = _Parser(source, limits)
    flow = parser.parse()
    return flow, parser.problems
