"""Sage's v3.1 swagger as a referee: every way a component's requests depart from it.

Nothing here reads a component's own metadata to decide what is right: the operations, query
parameters, body fields, JSON types and required fields all come from Sage's Swagger files in
``../shared/reference/`` and from a short table of rules Sage's guides add (each cited). The
components are only *driven*: with an input, and with responses made up from the spec's
response schemas, so that handlers needing several requests (tax-rate lookups, paging,
find-then-create) get far enough to send all of them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from sageflow import Component, HTTPRequest, HTTPResponse, InputValidationError, drive, packs
from sageflow._component import Trigger
from sageflow._triggers import bind

# The same place tests/conftest.py looks: ../shared beside the checkout (CI has it there).
REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
SPEC_FILES = (
    "sage-accounting-v3.1-swagger.json",
    # /businesses and /user are only in Sage's per-area file.
    "sage-accounting-v3.1-swagger.user_businesses.json",
)
_METHODS = ("get", "post", "put", "delete", "patch")


# --- What Sage's guides add to the spec (../shared/reference/sage-guides-facts.md) ----------

#: Sage's idempotency mechanism: a client-made id inside the resource's wrapper object. The
#: guide documents it and no request schema declares it [G-idem], sage-guides-facts.md Q1.
IDEMPOTENCY_FIELD = "idempotency_id"
IDEMPOTENCY_VALUE = re.compile(r"[0-9a-f]{32}")

#: "Per line, the guide lists description, ledger_account_id, quantity, unit_price, tax_rate_id
#: and (conditionally) tax_amount" [G-inv] (sage-guides-facts.md section 1); the spec requires
#: only description, ledger_account_id and unit_price on sales lines. Issue 9 holds the pack to
#: ``quantity`` (and ``tax_amount``, below); ``tax_rate_id`` stays optional, as in the spec.
GUIDE_LINE_REQUIRED: dict[tuple[str, ...], tuple[str, ...]] = {
    ("sales_invoice", "invoice_lines"): ("quantity",),
    ("purchase_invoice", "invoice_lines"): ("quantity",),
}

#: "The spec types contact_type_ids as an array, but only one type may be assigned" [G-inv]
#: (sage-guides-facts.md section 2).
GUIDE_MAX_ITEMS: dict[tuple[str, ...], int] = {("contact", "contact_type_ids"): 1}

#: Sorting works only on these keys of these lists, ``key`` or ``key:asc|desc`` [G-sort]
#: (sage-guides-facts.md section 8).
_SORT_KEYS = r"(?:created_at|updated_at|date|due_date)(?::(?:asc|desc))?"
_DATED_SORT_KEYS = r"(?:created_at|updated_at|date)(?::(?:asc|desc))?"
_QUOTE_SORT_KEYS = r"(?:created_at|updated_at|date|due_date|expiry_date)(?::(?:asc|desc))?"
GUIDE_QUERY_VALUES: dict[tuple[str, str], re.Pattern[str]] = {
    ("/sales_invoices", "sort"): re.compile(_SORT_KEYS),
    ("/purchase_invoices", "sort"): re.compile(_SORT_KEYS),
    ("/sales_credit_notes", "sort"): re.compile(_DATED_SORT_KEYS),
    ("/purchase_credit_notes", "sort"): re.compile(_DATED_SORT_KEYS),
    ("/sales_quotes", "sort"): re.compile(_QUOTE_SORT_KEYS),
}

#: The spec's own words on a line's ``tax_amount``: "required in v3.1, unless the tax rate is of
#: a 'zero', 'exempt' or 'no_tax' type". Whichever line schema says so gets the rule.
TAX_AMOUNT_RULE = "required in v3.1, unless the tax rate"
#: Sage's ids of the rates the rule exempts (GB_ZERO, GB_EXEMPT, GB_NO_TAX, IE_ZERO, ...).
UNTAXED_RATE = re.compile(r"(?:^|_)(?:ZERO|EXEMPT|NO_TAX)$")

#: Void: the guide sends ``{"void_reason": ...}`` as a DELETE body, the spec as a query
#: parameter; the pack may send both (sage-guides-facts.md Q3, CONFLICT).
DELETE_BODY_FROM_QUERY = frozenset({"void_reason"})

#: Headers every request may carry: "the only required request headers are Authorization and
#: Content-Type", ``X-Business`` is optional [G-mig], ``Accept`` picks JSON or a PDF [G-inv]
#: (sage-guides-facts.md sections 1 and 7). Any other must be a header parameter of the
#: operation (``X-Idempotency-Key`` is one only on the two UK tax-return POSTs, Q1).
CONNECTION_HEADERS = frozenset({"authorization", "content-type", "accept", "x-business"})
#: What HTTP itself puts on every request, whatever the API.
TRANSPORT_HEADERS = frozenset(
    {"host", "user-agent", "accept-encoding", "connection", "content-length"}
)

#: The one difference the issue accepts: Sage's guide asks for decimals as strings
#: ([G-inv] "send decimals as strings") where the spec types them as JSON numbers.
DECIMAL_AS_STRING = "decimal-as-string"


# --- The spec -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One operation of Sage's spec: a method on a path template, with its parameters."""

    method: str
    template: str
    raw: Mapping[str, Any]
    spec: Spec

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(self.template)) + "$")

    def parameters(self, where: str) -> dict[str, Mapping[str, Any]]:
        return {
            p["name"]: p
            for p in self.raw.get("parameters", [])
            if isinstance(p, Mapping) and p.get("in") == where
        }

    @cached_property
    def body_schema(self) -> dict[str, Any] | None:
        body = self.parameters("body")
        if not body:
            return None
        (parameter,) = body.values()
        return self.spec.resolve(parameter.get("schema", {}))

    @cached_property
    def success(self) -> tuple[int, dict[str, Any] | None, Any]:
        """The first 2xx status the spec declares, its response schema and example, if any."""
        for status, response in sorted(self.raw.get("responses", {}).items()):
            if str(status).startswith("2"):
                schema = response.get("schema")
                example = response.get("examples", {}).get("application/json")
                return int(status), self.spec.resolve(schema) if schema else None, example
        return 200, None, None


class Spec:
    """Sage's Swagger 2.0 files, merged: operations by route, ``$ref`` and ``allOf`` resolved."""

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.definitions: dict[str, Any] = {}
        self.operations: list[Operation] = []
        for document in documents:
            # The per-area file repeats some definitions; its operations refer to its own.
            for name, schema in document.get("definitions", {}).items():
                self.definitions.setdefault(name, schema)
            for template, item in document["paths"].items():
                for method, raw in item.items():
                    if method in _METHODS:
                        self.operations.append(Operation(method.upper(), template, raw, self))

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation a concrete request calls; literal segments win over ``{key}``."""
        found = [o for o in self.operations if o.method == method and o.pattern.match(path)]
        found.sort(key=lambda o: o.template.count("{"))
        return found[0] if found else None

    def resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """A schema with its ``$ref`` followed and its ``allOf`` parts merged into one."""
        seen: set[str] = set()
        while "$ref" in schema:
            ref = str(schema["$ref"])
            if ref in seen:
                raise ValueError(f"circular $ref {ref}")
            seen.add(ref)
            schema = self.definitions[ref.rsplit("/", 1)[-1]]
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema.get("allOf", []):
            part = self.resolve(part)
            merged.setdefault("type", part.get("type"))
            merged["properties"] = {**part.get("properties", {}), **merged.get("properties", {})}
            merged["required"] = [*part.get("required", []), *merged.get("required", [])]
        return merged


def require_reference() -> Path:
    """The reference folder, or a skip that says why (CI always has it)."""
    if not REFERENCE.is_dir():
        pytest.skip(f"Sage reference material not found at {REFERENCE} (../shared is absent)")
    return REFERENCE


@lru_cache(maxsize=1)
def load_spec() -> Spec:
    folder = require_reference()
    return Spec([json.loads((folder / f).read_text(encoding="utf-8")) for f in SPEC_FILES])


# --- Checking one request -------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One departure of a request from the spec: its kind, where, and what the spec says."""

    kind: str
    where: str
    says: str


def check_request(spec: Spec, request: HTTPRequest) -> list[Finding]:
    """Every way ``request`` departs from Sage's spec and guides (allowed ones included)."""
    operation = spec.operation(request.method, request.path)
    if operation is None:
        return [Finding("operation", request.path, f"no {request.method} operation on this path")]
    found = _check_query(operation, request)
    declared = {name.lower() for name in operation.parameters("header")}
    for name in request.headers:
        if name.lower() not in declared | CONNECTION_HEADERS | TRANSPORT_HEADERS:
            found.append(Finding("header", name, f"not a header parameter of {operation.name}"))
    if (request.form is not None or request.files) and not operation.parameters("formData"):
        found.append(Finding("body", "form", f"{operation.name} takes no form data"))
    if request.json is not None:
        found += _check_body(operation, request.json)
    elif operation.body_schema is not None and operation.parameters("body"):
        (parameter,) = operation.parameters("body").values()
        if parameter.get("required"):
            found.append(Finding("required", "$", f"{operation.name} requires a JSON body"))
    return found


def _check_query(operation: Operation, request: HTTPRequest) -> list[Finding]:
    declared = operation.parameters("query")
    found = []
    for name, value in request.query.items():
        where = f"?{name}"
        parameter = declared.get(name)
        if parameter is None:
            known = ", ".join(sorted(declared)) or "none"
            found.append(
                Finding("query", where, f"not a parameter of {operation.name} (it has: {known})")
            )
            continue
        values = value if isinstance(value, list | tuple) else [value]
        rule = GUIDE_QUERY_VALUES.get((operation.template, name))
        for item in values:
            problem = _query_value_problem(parameter, item)
            if problem is None and rule is not None and not rule.fullmatch(str(item)):
                problem = f"Sage's guide allows only {rule.pattern}, got {item!r}"
            if problem:
                found.append(Finding("query-type", where, problem))
    for name, parameter in declared.items():
        if parameter.get("required") and name not in request.query:
            found.append(Finding("required", f"?{name}", f"{operation.name} requires it"))
    return found


def _query_value_problem(parameter: Mapping[str, Any], value: Any) -> str | None:
    kind = parameter.get("type", "string")
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if kind == "boolean" and text not in {"true", "false"}:
        return f"the spec says boolean, got {value!r}"
    if kind == "integer":
        if isinstance(value, bool) or not re.fullmatch(r"-?\d+", text):
            return f"the spec says integer, got {value!r}"
        number = int(text)
        low, high = parameter.get("minimum"), parameter.get("maximum")
        if (low is not None and number < low) or (high is not None and number > high):
            return f"the spec allows {low}..{high}, got {number}"
    if kind == "string" and isinstance(value, bool):
        return f"the spec says string, got {value!r}"
    if "enum" in parameter and text not in [str(e) for e in parameter["enum"]]:
        return f"the spec allows {parameter['enum']}, got {value!r}"
    return None


def _check_body(operation: Operation, body: Any) -> list[Finding]:
    schema = operation.body_schema
    if schema is None:
        if operation.method == "DELETE" and isinstance(body, Mapping):
            declared = operation.parameters("query")
            allowed = DELETE_BODY_FROM_QUERY & set(declared)
            extra = sorted(set(body) - allowed)
            if not extra:
                # The guide's form of a query parameter (Q3): same name, same type.
                return [
                    Finding("type", f"$.{name}", problem or "expected a string")
                    for name, value in body.items()
                    if (problem := _query_value_problem(declared[name], value))
                    or not isinstance(value, str)
                ]
            return [Finding("body", f"$.{extra[0]}", f"{operation.name} takes no JSON body")]
        return [Finding("body", "$", f"{operation.name} takes no JSON body")]
    if not isinstance(body, Mapping) or set(body) - set(schema.get("properties", {})):
        wrappers = sorted(schema.get("properties", {}))
        keys = sorted(body) if isinstance(body, Mapping) else type(body).__name__
        return [
            Finding("body", "$", f"the body must be one of the wrappers {wrappers}, got {keys}")
        ]
    found: list[Finding] = []
    _check_value(operation.spec, schema, body, "$", (), found)
    return found


def _check_value(
    spec: Spec,
    schema: Mapping[str, Any],
    value: Any,
    where: str,
    names: tuple[str, ...],
    found: list[Finding],
) -> None:
    """Check ``value`` against ``schema``; ``names`` are the property names down to it
    (``("sales_invoice", "invoice_lines")`` for a line), which the guide rules are keyed by."""
    schema = spec.resolve(schema)
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    problem = _type_problem(schema, kind, value)
    if problem == DECIMAL_AS_STRING:
        found.append(Finding(DECIMAL_AS_STRING, where, f"the spec says number, got {value!r}"))
        return
    if problem:
        found.append(Finding("type", where, problem))
        return
    if kind == "array":
        limit = GUIDE_MAX_ITEMS.get(names)
        if limit is not None and len(value) > limit:
            found.append(Finding("type", where, f"Sage's guide allows at most {limit} [G-inv]"))
        for index, item in enumerate(value):
            _check_value(spec, schema.get("items", {}), item, f"{where}[{index}]", names, found)
            if isinstance(item, Mapping):
                for name in GUIDE_LINE_REQUIRED.get(names, ()):
                    if name not in item:
                        found.append(
                            Finding(
                                "required",
                                f"{where}[{index}].{name}",
                                "Sage's guide requires it on every line [G-inv]",
                            )
                        )
        return
    if kind != "object" or not isinstance(value, Mapping):
        return
    properties = schema.get("properties", {})
    for name, item in value.items():
        path = f"{where}.{name}"
        if len(names) == 1 and name == IDEMPOTENCY_FIELD:
            if not (isinstance(item, str) and IDEMPOTENCY_VALUE.fullmatch(item)):
                found.append(Finding("type", path, f"[G-idem] 32 lowercase hex, got {item!r}"))
            continue
        if name not in properties:
            found.append(Finding("field", path, "not a property of the spec's schema"))
            continue
        _check_value(spec, properties[name], item, path, (*names, name), found)
    for name in schema.get("required", []):
        if name not in value:
            found.append(Finding("required", f"{where}.{name}", "the spec requires it"))
    tax = properties.get("tax_amount", {})
    rate = value.get("tax_rate_id")
    if (
        TAX_AMOUNT_RULE in str(tax.get("description", ""))
        and "tax_amount" not in value
        and isinstance(rate, str)
        and not UNTAXED_RATE.search(rate)
    ):
        found.append(
            Finding(
                "required",
                f"{where}.tax_amount",
                f"the spec requires it with tax_rate_id {rate} ('{TAX_AMOUNT_RULE} is of a "
                "zero, exempt or no_tax type')",
            )
        )


def _type_problem(schema: Mapping[str, Any], kind: str | None, value: Any) -> str | None:
    if value is None:
        return f"null where the spec says {kind}"
    if kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return None
        if isinstance(value, str):
            try:
                Decimal(value)
            except InvalidOperation:
                return f"the spec says number, got {value!r}"
            if re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", value):
                return DECIMAL_AS_STRING
        return f"the spec says number, got {value!r}"
    expected = {
        "string": str,
        "integer": int,
        "boolean": bool,
        "array": list,
        "object": Mapping,
    }.get(kind or "")
    if expected is None:
        return None
    if isinstance(value, bool) and expected is not bool:
        return f"the spec says {kind}, got {value!r}"
    if not isinstance(value, expected):
        return f"the spec says {kind}, got {value!r}"
    if "enum" in schema and value not in schema["enum"]:
        return f"the spec allows {schema['enum']}, got {value!r}"
    low, high = schema.get("minimum"), schema.get("maximum")
    if kind == "integer" and (
        (low is not None and value < low) or (high is not None and value > high)
    ):
        return f"the spec allows {low}..{high}, got {value}"
    if schema.get("format") == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
        return f"the spec says a date (YYYY-MM-DD), got {value!r}"
    return None


# --- Responses made up from the spec, so handlers progress ----------------------------------

SOME_ID = "0123456789abcdef0123456789abcdef"
_NOW = "2026-03-31T09:00:00Z"


def fake_response(spec: Spec, request: HTTPRequest) -> HTTPResponse:
    """A plausible 2xx answer built from the operation's response schema.

    Lists come back in Sage's envelope (the spec types them as bare arrays, a known defect,
    PROVENANCE-sage-accounting-v3.1.md) with a ``$next`` on the first page, so a handler that
    pages follows one link; numbers come back as strings, as Sage sends money.
    """
    operation = spec.operation(request.method, request.path)
    status, schema, example = operation.success if operation else (200, None, None)
    if request.method == "GET" and "deleted_since" in request.query:
        # Sage answers deleted_since with tombstones (sage-guides-facts.md section 8), which
        # the spec does not describe.
        tombstone = {"id": SOME_ID, "$path": f"{request.path}/{SOME_ID}", "deleted_at": _NOW}
        envelope = {"$total": 1, "$page": 1, "$next": None, "$back": None, "$items": [tombstone]}
        return HTTPResponse.from_json(200, {**envelope, "$itemsPerPage": 200})
    if isinstance(example, Mapping) and isinstance(example.get("$items"), list):
        # /businesses has no schema, only Sage's example of the envelope.
        schema = {"type": "array", "items": {}}
    elif schema is None:
        if example is not None:
            return HTTPResponse.from_json(status, example)
        if request.method == "DELETE":
            return HTTPResponse(status=204)
        return HTTPResponse.from_json(status, {})
    key = request.path.rstrip("/").rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        if example is not None and example.get("$items"):
            item = example["$items"][0]
        else:
            item = _example(spec, schema.get("items", {}), "", request.path, SOME_ID, 0)
        page = str(request.query.get("page", "1"))
        next_link = None
        if page == "1":
            query = {**{k: v for k, v in request.query_pairs()}, "page": "2"}
            next_link = f"{request.path}?{urlencode(query)}"
        envelope = {
            "$total": 2,
            "$page": int(page) if page.isdigit() else 1,
            "$next": next_link,
            "$back": None,
            "$itemsPerPage": 1,
            "$items": [item],
        }
        return HTTPResponse.from_json(status, envelope)
    return HTTPResponse.from_json(status, _example(spec, schema, "", request.path, key, 0))


def _example(
    spec: Spec, schema: Mapping[str, Any], name: str, path: str, key: str, depth: int
) -> Any:
    schema = spec.resolve(schema)
    kind = schema.get("type") or ("object" if "properties" in schema else "string")
    if kind == "object":
        if depth >= 2:
            return {"id": SOME_ID, "displayed_as": name, "$path": f"/{name}/{SOME_ID}"}
        return {
            prop: _example(spec, sub, prop, path, key, depth + 1)
            for prop, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return (
            []
            if depth >= 2
            else [_example(spec, schema.get("items", {}), name, path, key, depth + 1)]
        )
    if kind == "number":
        return "20.0"
    if kind == "integer":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-03-31"
    if schema.get("format") == "date-time":
        return "2026-03-31T09:00:00Z"
    if name == "id":
        return key if depth == 1 else SOME_ID
    if name == "$path":
        return path
    return name or "text"


# --- Inputs: the example, the least the model takes, and every optional input set ---------------


def maximal_input(component: Component) -> dict[str, Any]:
    """Every optional input set, nested models too, with valid values (from their examples).

    Inputs that exclude each other (rawRequest's JSON and form bodies) cannot all be set: the
    fewest are dropped, latest declared first, until the model accepts the rest.
    """
    schema = component.input_schema()
    full = _fill(schema, schema, everything=True)
    return _accepted(component, full, list(full), remove=True)


def minimal_input(component: Component) -> dict[str, Any]:
    """Only the required inputs (nested: only their required fields); a model that needs one
    of several optional inputs gets the first it accepts."""
    schema = component.input_schema()
    least = _fill(schema, schema, everything=False)
    extra = _fill(schema, schema, everything=True)
    return _accepted(
        component, least, [k for k in extra if k not in least], remove=False, pool=extra
    )


def _fill(root: Mapping[str, Any], schema: Mapping[str, Any], *, everything: bool) -> Any:
    schema = _resolve_local(root, schema)
    if "properties" in schema:
        required = set(schema.get("required", []))
        return {
            name: _fill(root, sub, everything=everything)
            for name, sub in schema["properties"].items()
            if everything or name in required
        }
    items = _resolve_local(root, schema.get("items", {})) if schema.get("type") == "array" else {}
    if "properties" in items:
        return [_fill(root, items, everything=everything)] * max(1, schema.get("minItems", 1))
    if schema.get("examples"):
        return deepcopy(schema["examples"][0])
    if schema.get("default") is not None:
        return deepcopy(schema["default"])
    raise AssertionError(f"no example to fill {schema} with: every input has one (contract)")


def _resolve_local(root: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = root["$defs"][str(schema["$ref"]).rsplit("/", 1)[-1]]
    return dict(schema)


def _accepted(
    component: Component,
    inputs: dict[str, Any],
    candidates: list[str],
    *,
    remove: bool,
    pool: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    def valid(raw: dict[str, Any]) -> bool:
        return _valid(component, raw)

    if valid(inputs):
        return inputs
    # Items that must agree with each other (a journal's lines balance) cannot be filled one
    # by one; the list's own example, valid by contract, stands in for them.
    inputs = {**inputs, **_list_examples(component, inputs)}
    if valid(inputs):
        return inputs
    for name in reversed(candidates) if remove else candidates:
        tried = dict(inputs)
        if remove:
            del tried[name]
        else:
            assert pool is not None
            tried[name] = pool[name]
        if valid(tried):
            return tried
    component.validate(inputs)  # raises, naming what the model refuses
    raise AssertionError("unreachable")


def _list_examples(component: Component, inputs: Mapping[str, Any]) -> dict[str, Any]:
    schema = component.input_schema()
    found = {}
    for name in inputs:
        prop = _resolve_local(schema, schema.get("properties", {}).get(name, {}))
        if prop.get("type") == "array" and prop.get("examples"):
            found[name] = deepcopy(prop["examples"][0])
    return found


def cases(component: Component) -> Iterator[tuple[str, dict[str, Any]]]:
    """The example, the least input, the maximal one, and the maximal one less each optional
    field of its nested lines in turn: a line that omits ``taxAmount`` but gives ``taxRateId``
    is how an update, whose example has no lines, is held to the tax rule too."""
    yield "example", dict(component.example_input)
    yield "minimal", minimal_input(component)
    full = maximal_input(component)
    yield "maximal", full
    schema = component.input_schema()
    for name, prop in schema.get("properties", {}).items():
        items = _resolve_local(schema, _resolve_local(schema, prop).get("items", {}))
        if name not in full or "properties" not in items:
            continue
        for field_name in items["properties"]:
            if field_name in items.get("required", []):
                continue
            lines = [{k: v for k, v in line.items() if k != field_name} for line in full[name]]
            less = {**full, name: lines}
            # Optional one by one, not all together (a journal line's debit or credit).
            if _valid(component, less):
                yield f"maximal without {name}[].{field_name}", less


def _valid(component: Component, inputs: Mapping[str, Any]) -> bool:
    try:
        component.validate(inputs)
    except InputValidationError:
        return False
    return True


# --- Driving components and collecting every difference ------------------------------------------


@dataclass(frozen=True)
class Difference:
    component: str
    case: str
    request: str
    finding: Finding

    def __str__(self) -> str:
        f = self.finding
        return f"{self.component} [{self.case}] {self.request}: {f.where}: {f.says} ({f.kind})"


#: rawRequest sends to any path by design; only its example is held to a real operation.
ANY_PATH = frozenset({"sage_accounting/rawRequest"})


@dataclass
class Report:
    """Every difference found, in the order found; decimals as strings kept apart."""

    differences: list[Difference] = field(default_factory=list, repr=False)
    allowed: list[Difference] = field(default_factory=list, repr=False)
    requests: int = 0

    def add(self, difference: Difference) -> None:
        bucket = self.allowed if difference.finding.kind == DECIMAL_AS_STRING else self.differences
        if difference not in bucket:
            bucket.append(difference)

    def kinds(self) -> Counter[str]:
        return Counter(d.finding.kind for d in self.differences)

    def message(self) -> str:
        counts = ", ".join(f"{k} {n}" for k, n in sorted(self.kinds().items()))
        lines = [
            f"{len(self.differences)} difference(s) from Sage's v3.1 spec and guides "
            f"in {self.requests} requests ({counts}):",
            *(f"  {d}" for d in self.differences),
            f"(and {len(self.allowed)} decimal(s) sent as strings, accepted: Sage's guide asks "
            "for them)",
        ]
        return "\n".join(lines)

    def assert_clean(self) -> None:
        if self.differences:
            raise AssertionError(self.message())


def requests_for(component: Component, inputs: Mapping[str, Any], spec: Spec) -> list[HTTPRequest]:
    """Every request the handler sends for ``inputs``, answered from the spec's schemas."""
    sent: list[HTTPRequest] = []

    def send(request: HTTPRequest) -> HTTPResponse:
        sent.append(request)
        return fake_response(spec, request)

    for run in polls(component, lambda c: drive(c, inputs, send, packs()[c.pack].error_parser)):
        run()
    return [
        on_the_wire(component, request, f"{component.ref}#{n}") for n, request in enumerate(sent)
    ]


#: A backfill start for a trigger's polls (any instant; the answers are made up).
BACKFILL = datetime(2026, 1, 1, tzinfo=UTC)


def polls(
    component: Component, call: Callable[[Component], dict[str, Any]]
) -> Iterator[Callable[[], None]]:
    """What to run of ``component``: an action once; a trigger's three kinds of poll in turn
    (the first "from now", a backfill from a date, and the poll after it with its cursor), so
    that its filters, ``updated_or_created_since`` and ``deleted_since`` are all sent."""
    if not isinstance(component, Trigger):
        yield lambda: call(component) and None
        return
    cursor: dict[str, Any] = {}

    def backfill() -> None:
        cursor.update(call(bind(component, None, BACKFILL))["cursor"])

    yield lambda: call(bind(component, None)) and None
    yield backfill
    yield lambda: call(bind(component, cursor)) and None


def on_the_wire(component: Component, request: HTTPRequest, key: str) -> HTTPRequest:
    """The request as the HTTP layer sends it: a write gets its idempotency key wherever the
    pack's connection profile puts it (a body field, a header), so that placement is checked
    too."""
    if not request.is_write:
        return request
    for connection in packs()[component.pack].connections.values():
        attach = getattr(getattr(connection, "profile", None), "idempotency", None)
        if attach is not None:
            request, _ = attach(request, key)
            break
    return request


def check_component(
    component: Component,
    report: Report,
    spec: Spec | None = None,
    via: Callable[[Component, Mapping[str, Any], Spec], list[HTTPRequest]] | None = None,
) -> None:
    """Add every difference of ``component``'s requests to ``report``.

    ``via`` sends the requests: the handler alone (the default) or the real HTTP client
    (:func:`wire_requests_for`), which adds what the connection puts on every request.
    """
    spec = spec or load_spec()
    via = via or requests_for
    for case, inputs in cases(component):
        sent = via(component, inputs, spec)
        if not sent:
            report.add(
                Difference(component.ref, case, "-", Finding("operation", "-", "sent no request"))
            )
        # rawRequest's other cases send whatever the flow author wrote, to any path.
        any_path = component.ref in ANY_PATH and case != "example"
        for request in sent:
            report.requests += 1
            if any_path:
                continue
            operation = spec.operation(request.method, request.path)
            shown = operation.name if operation else f"{request.method} {request.path}"
            for finding in check_request(spec, request):
                report.add(Difference(component.ref, case, shown, finding))
    if component.ref not in ANY_PATH:
        for difference in range_differences(component, spec):
            report.add(difference)


#: A whole number no example uses, so where it lands in a request is unambiguous.
_SENTINEL = 8642


def range_differences(component: Component, spec: Spec) -> list[Difference]:
    """Whole-number inputs whose accepted range is wider than the spec's for the field they
    fill: each is set to a marker value, found in the request, and its bounds compared.

    The requests themselves only show the values tried; this shows the values a flow could
    send (a nominal code of 10**9 the model accepts and Sage's spec caps at 99999999).
    """
    schema = component.input_schema()
    found: list[Difference] = []
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve_local(schema, prop)
        if prop.get("type") != "integer":
            continue
        low, high = prop.get("minimum"), prop.get("maximum")
        value = _SENTINEL if (low is None or low <= _SENTINEL) else low
        if high is not None and value > high:
            value = high
        inputs = {**maximal_input(component), name: value}
        for request in requests_for(component, inputs, spec):
            operation = spec.operation(request.method, request.path)
            if operation is None:
                continue
            for where, bounds in _bounds_of(operation, request, value):
                spec_low, spec_high = bounds.get("minimum"), bounds.get("maximum")
                wider = (spec_low is not None and (low is None or low < spec_low)) or (
                    spec_high is not None and (high is None or high > spec_high)
                )
                if wider:
                    says = (
                        f"input {name} accepts {low}..{high}, the spec allows "
                        f"{spec_low}..{spec_high}"
                    )
                    found.append(
                        Difference(
                            component.ref, "range", operation.name, Finding("range", where, says)
                        )
                    )
    return found


def _bounds_of(
    operation: Operation, request: HTTPRequest, value: int
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Where ``value`` appears in the request, with the spec's schema (or parameter) there."""
    for name, sent in request.query.items():
        if str(sent) == str(value) and name in operation.parameters("query"):
            yield f"?{name}", operation.parameters("query")[name]
    schema = operation.body_schema
    if schema is not None and request.json is not None:
        yield from _walk_bounds(operation.spec, schema, request.json, "$", value)


def _walk_bounds(
    spec: Spec, schema: Mapping[str, Any], sent: Any, where: str, value: int
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    schema = spec.resolve(schema)
    if isinstance(sent, Mapping):
        properties = schema.get("properties", {})
        for name, item in sent.items():
            if name in properties:
                yield from _walk_bounds(spec, properties[name], item, f"{where}.{name}", value)
    elif isinstance(sent, list):
        for index, item in enumerate(sent):
            yield from _walk_bounds(spec, schema.get("items", {}), item, f"{where}[{index}]", value)
    elif sent == value and not isinstance(sent, bool):
        yield where, schema


# --- The same requests as the HTTP layer puts them on the wire ------------------------------

WIRE_BASE = "https://conformance.test.example/v3.1"


def wire_requests_for(
    component: Component, inputs: Mapping[str, Any], spec: Spec, profile: Any = None
) -> list[HTTPRequest]:
    """Every request of a call through the real HTTP client (auth, idempotency keys, headers),
    captured at the transport and read back into request values.

    ``profile`` is the pack's connection profile unless a test plants another.
    """
    import httpx

    from sageflow import CallOptions, Client, Connection
    from sageflow._http import Limiter

    if profile is None:
        connection = next(iter(packs()[component.pack].connections.values()))
        profile = getattr(connection, "profile", None)
    seen: list[HTTPRequest] = []

    def answer(wire: httpx.Request) -> httpx.Response:
        request = _from_wire(wire)
        seen.append(request)
        response = fake_response(spec, request)
        return httpx.Response(response.status, headers=response.headers, content=response.content)

    clock = _Clock()
    sage = Client(
        Connection.with_token(WIRE_BASE, "conformance-token", profile),
        transport=httpx.MockTransport(answer),
        # Sage's request rate is paced by the limiter; here time moves only when it waits.
        limiter=Limiter(clock=clock, sleep=clock.sleep),
        sleep=clock.sleep,
    )
    options = CallOptions(idempotency_key=f"conformance/{component.ref}")
    with sage:
        for run in polls(component, lambda c: sage.call(c, inputs, options)):
            run()
    return seen


@dataclass
class _Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _from_wire(wire: Any) -> HTTPRequest:
    path = wire.url.path.removeprefix("/v3.1")
    query: dict[str, Any] = {}
    for name, value in wire.url.params.multi_items():
        query.setdefault(name, []).append(value)
    kind = wire.headers.get("content-type", "")
    body = json.loads(wire.content) if wire.content and "json" in kind else None
    # A form's fields do not matter here, only that the operation takes a form at all.
    form: dict[str, str] | None = {} if wire.content and "form" in kind else None
    return HTTPRequest(
        wire.method,
        path,
        query={k: v[0] if len(v) == 1 else v for k, v in query.items()},
        headers=dict(wire.headers),
        json=body,
        form=form,
    )
