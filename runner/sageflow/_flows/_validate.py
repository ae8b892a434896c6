"""Checks a schema cannot make: components, inputs, step references, types and secret use."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from sageflow._component import Component, error_message, field_loc
from sageflow._flows._expr import (
    CEL_FUNCTIONS,
    HELPER_NAMES,
    ExpressionError,
    Scope,
    Template,
    evaluate_expr,
    unknown_functions,
)
from sageflow._flows._load import DEFAULT_LIMITS, Limits, load_source, read_flow_file
from sageflow._flows._model import Flow, Step, Trigger, Value, did_you_mean, parse_flow
from sageflow._flows._problems import FlowValidationError, Path, Problem
from sageflow._registry import UnknownComponentError, components, get_component


def load_flow(
    source: str | os.PathLike[str],
    *,
    text: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Flow:
    """Read, parse and validate a flow; raises :class:`FlowValidationError` with every problem.

    ``source`` is a path; pass ``text`` to validate a document held in memory (``source`` then
    only names it in messages). Here rather than beside ``run_flow``: checking a flow needs
    neither the engine nor asyncio, and ``sageflow validate`` should not pay for them.
    """
    name = str(source)
    if text is None:
        try:
            text = read_flow_file(source, limits)
        except (OSError, UnicodeDecodeError) as error:
            raise FlowValidationError(
                [Problem(name, 1, 1, "(document)", f"cannot read: {error}")]
            ) from None
    loaded = load_source(text, name, limits)
    flow, problems = parse_flow(loaded, limits)
    if flow is not None:
        problems += validate_flow(flow)
    if problems or flow is None:
        raise FlowValidationError(problems)
    return flow


def validate_flow(flow: Flow) -> list[Problem]:
    """Every problem with ``flow`` beyond its structure (which the parser already checked)."""
    checker = _Checker(flow)
    checker.run()
    return checker.problems


class _Checker:
    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str, *, key: bool = False) -> None:
        self.problems.append(self.flow.source.problem(path, message, key=key))

    def run(self) -> None:
        seen: dict[str, int] = {}
        for step in self.flow.steps:
            if step.id in seen:
                self.add(
                    (*step.path, "id"),
                    f"duplicate step id {step.id!r} (first used by steps[{seen[step.id]}])",
                )
            else:
                seen[step.id] = step.index
        for step in self.flow.steps:
            component = self.component(step)
            if component is not None:
                self.check_with(step, component)
            secret_fields = _secret_fields(component) if component else frozenset()
            for value in (step.with_, step.if_, step.for_each):
                if value is not None:
                    self.check_exprs(value, step, seen, secret_fields)
            if step.connection is not None and step.connection not in self.flow.connections:
                known = ", ".join(sorted(self.flow.connections)) or "none declared"
                self.add(
                    (*step.path, "connection"),
                    f"unknown connection {step.connection!r} (declared: {known})",
                )
        for value in self.flow.outputs.values():
            self.check_exprs(value, None, seen, frozenset())
        if self.flow.trigger is not None:
            self.check_trigger(self.flow.trigger)

    def component(self, step: Step) -> Component | None:
        if not step.uses:
            return None
        try:
            found = get_component(step.uses)
        except UnknownComponentError as error:
            refs = [c.ref for c in components() if _kind_of(c) != "trigger"]
            match = difflib.get_close_matches(step.uses, refs, n=1)
            hint = f" (did you mean {match[0]!r}?)" if match else ""
            self.add((*step.path, "uses"), f"unknown component: {error}{hint}")
            return None
        if _kind_of(found) == "trigger":
            self.add(
                (*step.path, "uses"),
                f"{step.uses} is a trigger: it starts a flow from on: (on: {{poll: {step.uses}}}),"
                " it is not a step",
            )
            return None
        return found

    def check_trigger(self, trigger: Trigger) -> None:
        """``on.poll`` names a trigger component and ``on.with`` fits its input model."""
        if not trigger.ref:
            return
        where = (*trigger.path, "poll")
        try:
            component = get_component(trigger.ref)
        except UnknownComponentError as error:
            refs = [c.ref for c in components() if _kind_of(c) == "trigger"]
            match = difflib.get_close_matches(trigger.ref, refs, n=1, cutoff=0.5)
            hint = f" (did you mean {match[0]!r}?)" if match else ""
            self.add(where, f"unknown trigger: {error}{hint}")
            return
        if _kind_of(component) != "trigger":
            refs = [c.ref for c in components() if _kind_of(c) == "trigger"]
            match = difflib.get_close_matches(trigger.ref, refs, n=1, cutoff=0.3)
            hint = f" (did you mean {match[0]!r}?)" if match else ""
            self.add(
                where,
                f"{trigger.ref} is an action, not a trigger; on.poll takes a trigger such as"
                f" pack/contactChanges{hint}",
            )
            return
        try:
            component.inputs.model_validate(trigger.with_)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                loc = field_loc(component.inputs, item["loc"])
                path = (*trigger.path, "with", *loc)
                if item["type"] == "missing":
                    self.add(
                        (*trigger.path, "with"),
                        f"missing required input {_dotted(loc)!r} for {component.ref}",
                    )
                elif item["type"] == "extra_forbidden":
                    names = _field_names(_schema_of(component), loc[:-1])
                    match = difflib.get_close_matches(str(loc[-1]), names, n=1)
                    hint = f" (did you mean {match[0]!r}?)" if match else ""
                    self.add(path, f"unknown input for {component.ref}{hint}", key=True)
                else:
                    self.add(path, error_message(item))

    def check_trigger_reads(self, path: Path, expr: Any) -> None:
        """``trigger.event`` in a flow run per event, ``trigger.events`` in a batched one."""
        trigger = self.flow.trigger
        if trigger is None:
            self.add(
                path,
                "'trigger' is only set in a flow that starts from events: add"
                " on: {poll: pack/someChanges} (and run it with sageflow poll)",
            )
            return
        wanted = "events" if trigger.batch is not None else "event"
        for name in _trigger_fields(expr.source):
            if name == wanted:
                continue
            if name in {"event", "events"}:
                why = (
                    f"on.batch is {trigger.batch}: each run gets a list, trigger.events"
                    if trigger.batch is not None
                    else "each run gets one event, trigger.event (on.batch gives trigger.events)"
                )
                self.add(path, f"no trigger.{name} in this flow; {why}")
            else:
                self.add(
                    path, f"no trigger.{name}; use trigger.{wanted}{did_you_mean(name, {wanted})}"
                )

    def check_with(self, step: Step, component: Component) -> None:
        compiled = step.with_.compiled
        if isinstance(compiled, Template):
            return  # the whole input mapping comes from an expression: checked when it runs
        if not isinstance(compiled, dict):
            return
        known = _constants(compiled)
        self.check_types(step, component, known, ())
        try:
            component.inputs.model_validate(_literal_view(known))
        except ValidationError as error:
            for item in error.errors(include_url=False):
                loc = field_loc(component.inputs, item["loc"])
                kind = item["type"]
                # A misspelled key is wrong whatever its value: only its value may be unknown.
                if kind != "extra_forbidden" and (
                    _under_template(known, loc) or _about_template(item)
                ):
                    continue
                path = (*step.with_.path, *loc)
                if kind == "missing":
                    where = (
                        step.with_.path if step.with_.path in self.flow.source.values else step.path
                    )
                    self.add(
                        where,
                        f"missing required input {_dotted(loc)!r} for {component.ref}",
                    )
                elif kind == "extra_forbidden":
                    names = _field_names(_schema_of(component), loc[:-1])
                    match = difflib.get_close_matches(str(loc[-1]), names, n=1)
                    hint = f" (did you mean {match[0]!r}?)" if match else ""
                    self.add(path, f"unknown input for {component.ref}{hint}", key=True)
                else:
                    self.add(path, error_message(item) + _quoted_number(item))

    def check_types(
        self, step: Step, component: Component, value: Any, loc: tuple[int | str, ...]
    ) -> None:
        """Expressions whose result type is known now, against the field's JSON Schema types.

        Known: a value mixing text and ``${{ }}`` is a string; ``${{ inputs.NAME }}`` has the
        type the flow declares for NAME. Anything else is checked when the step runs.
        """
        if isinstance(value, dict):
            for key, inner in value.items():
                self.check_types(step, component, inner, (*loc, key))
            return
        if isinstance(value, list):
            for index, inner in enumerate(value):
                self.check_types(step, component, inner, (*loc, index))
            return
        if not isinstance(value, Template):
            return
        single = value.single
        spec = None
        if single is None:
            kind, what = "string", "text around ${{ }} makes a string"
        else:
            name = _input_reference(single.source)
            spec = self.flow.inputs.get(name) if name else None
            declared = spec.schema.get("type") if spec is not None else None
            if not isinstance(declared, str):
                return
            kind, what = declared, f"inputs.{name} is declared type: {declared}"
        root = _schema_of(component)
        allowed = _field_types(root, loc)
        if allowed is not None and not _fits(kind, allowed):
            expected = " or ".join(_TYPE_WORDS.get(t, t) for t in sorted(allowed))
            self.add((*step.with_.path, *loc), f"expected {expected}, but {what}")
            return
        # An input declared with an enum: each of its values must be one the field takes.
        offered = spec.schema.get("enum") if spec is not None else None
        accepted = _field_enum(root, loc)
        if spec is not None and isinstance(offered, list) and accepted is not None:
            stray = [v for v in offered if v not in accepted]
            if stray:
                listed = " or ".join(repr(v) for v in accepted)
                self.add(
                    (*step.with_.path, *loc),
                    f"inputs.{spec.name} may be {stray[0]!r}; expected {listed}"
                    f"{did_you_mean(str(stray[0]), {str(v) for v in accepted})}",
                )

    def check_exprs(
        self, value: Value, step: Step | None, seen: dict[str, int], secret_fields: frozenset[str]
    ) -> None:
        in_loop = step is not None and step.for_each is not None and value is not step.for_each
        for path, expr in value.exprs():
            for fn in unknown_functions(expr):
                close = difflib.get_close_matches(fn, sorted(_FUNCTIONS), n=1)
                hint = f" (did you mean {close[0]}()?)" if close else ""
                self.add(path, f"unknown function {fn}(){hint}")
            loop_names = {step.as_, "index"} if (in_loop and step is not None) else set()
            for name in sorted(expr.unknown_names | (expr.names & {"index"})):
                if name in loop_names:
                    continue
                if step is not None and step.for_each is not None and name in {step.as_, "index"}:
                    self.add(path, f"{name!r} is not available in for_each itself")
                elif name in {"item", "index"} or (step is not None and name == step.as_):
                    self.add(path, f"{name!r} is only available in a step with for_each")
                elif name in _FUNCTIONS:
                    self.add(path, f"{name} is a function: call it, {name}()")
                else:
                    self.add(
                        path,
                        f"unknown variable {name!r};"
                        " use inputs, steps, run, env or the loop variable",
                    )
            for ref in sorted(expr.steps or ()):
                if ref not in seen:
                    self.add(path, f"no step with id {ref!r}{_earlier_steps(self.flow, step)}")
                elif step is not None and ref == step.id:
                    self.add(path, f"step {ref!r} refers to its own result")
                elif step is not None and seen[ref] > step.index:
                    self.add(
                        path,
                        f"step {ref!r} runs later (steps[{seen[ref]}]);"
                        " only earlier steps can be used",
                    )
            for ref, key in sorted(set(_OUTPUT_KEY.findall(expr.source))):
                if ref in seen:
                    self.check_output_key(path, self.flow.steps[seen[ref]], key)
            for name in sorted(expr.inputs or ()):
                if name not in self.flow.inputs:
                    self.add(path, f"no input named {name!r}")
            for name in sorted(expr.env or ()):
                if name not in self.flow.env:
                    self.add(path, f"environment variable {name!r} is not declared under env:")
            if "trigger" in expr.names:
                self.check_trigger_reads(path, expr)
            if "env" in expr.names and expr.env is None:
                self.add(path, "read environment variables by name: env.NAME")
            secrets = self.secrets_read(expr.inputs, expr.env, expr.names)
            if secrets:
                field = path[len(value.path)] if len(path) > len(value.path) else None
                bound_to_secret = (
                    step is not None
                    and value is step.with_
                    and len(path) == len(value.path) + 1
                    and field in secret_fields
                )
                if not bound_to_secret:
                    listed = ", ".join(sorted(secrets))
                    self.add(path, f"secret {listed} may only be bound to a secret field")

    def check_output_key(self, path: Path, producer: Step, key: str) -> None:
        """``steps.ID.output.KEY`` where ID's component returns a closed object without KEY:
        wrong whatever the run does, and found out only once the steps before have written
        (most often a component that wraps its record: output.invoice.invoice_number)."""
        if producer.for_each is not None or not producer.uses:
            return  # a loop's output is the list of its items' outputs
        try:
            component = get_component(producer.uses)
        except UnknownComponentError:
            return
        returns = _closed_keys(component)
        if returns is None or key in returns:
            return
        self.add(
            path,
            f"steps.{producer.id}.output has no {key!r}{did_you_mean(key, set(returns))};"
            f" {component.ref} returns {', '.join(returns)}",
        )

    def secrets_read(
        self, inputs: frozenset[str] | None, env: frozenset[str] | None, names: frozenset[str]
    ) -> set[str]:
        secret_inputs = self.flow.secret_inputs()
        secret_env = {k for k, v in self.flow.env.items() if v}
        found: set[str] = set()
        if "inputs" in names:
            found |= {
                f"inputs.{n}" for n in (secret_inputs if inputs is None else inputs & secret_inputs)
            }
        if "env" in names:
            found |= {f"env.{n}" for n in (secret_env if env is None else env & secret_env)}
        return found


#: What an expression may call, for a misspelt name's did-you-mean (operators excluded).
_FUNCTIONS = {n for n in HELPER_NAMES | CEL_FUNCTIONS if n[:1].isalpha()}


#: ``steps.ID.output.KEY`` read with dots (a subscript or a computed key is left alone).
_OUTPUT_KEY = re.compile(r"\bsteps\s*\.\s*([A-Za-z_]\w*)\s*\.\s*output\s*\.\s*([A-Za-z_$][\w$]*)")
_OUTPUT_KEYS: dict[tuple[str, int], list[str] | None] = {}


def _closed_keys(component: Component) -> list[str] | None:
    """The keys a component's output has when its schema allows no others, else None (a
    record keeps every field Sage sends, so any key may be there)."""
    cache = (component.ref, id(component))
    if cache not in _OUTPUT_KEYS:
        root = component.output_schema()
        nodes = _branches(root, [root])
        closed = bool(nodes) and all(
            n.get("additionalProperties") is False and isinstance(n.get("properties"), dict)
            for n in nodes
        )
        _OUTPUT_KEYS[cache] = (
            sorted({k for n in nodes for k in n["properties"]}) if closed else None
        )
    return _OUTPUT_KEYS[cache]


_NUMBER_TEXT = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _quoted_number(item: Mapping[str, Any]) -> str:
    """`` (the quotes make it text: write 1220 without them)`` for a number written in quotes
    where a number goes; YAML reads "1220" as text, and a newcomer does not see why."""
    value = item.get("input")
    wanted = str(item.get("type", ""))
    numeric = wanted.startswith(("int", "float", "decimal")) or "number" in wanted
    if isinstance(value, str) and numeric and _NUMBER_TEXT.fullmatch(value):
        return f" (the quotes make it text: write {value} without them)"
    return ""


def _earlier_steps(flow: Flow, step: Step | None) -> str:
    """`` (earlier steps: found, bank)``: the ids an expression here may read, for a step id
    that exists nowhere (a misspelling, or the name of what the step does rather than its id);
    nothing when there are none. Outputs may read every step."""
    ids = [s.id for s in flow.steps if step is None or s.index < step.index]
    if not ids:
        return ""
    shown = ids if len(ids) <= 8 else [*ids[:3], "...", *ids[-4:]]
    return f" (earlier steps: {', '.join(shown)})"


_TRIGGER_FIELD = re.compile(
    r"\btrigger\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*[\"']([^\"']*)[\"']\s*\])"
)


def _trigger_fields(source: str) -> set[str]:
    """The fields of ``trigger`` an expression names (``trigger.event`` -> ``event``)."""
    return {a or b for a, b in _TRIGGER_FIELD.findall(source)}


def _kind_of(component: Component) -> str:
    return str(getattr(component, "kind", "action"))


def flow_warnings(flow: Flow) -> list[Problem]:
    """Advice on a valid flow: declarations that let a wrong value through until a step sends it.

    An amount field takes a number or decimal text, so ``${{ inputs.price }}`` from an input
    declared ``type: string`` passes validation; but then ``-i price=12,50`` (or a host form's
    free text box) is refused only by the field: before the run for a plain step, and only
    when the step runs, after the steps before it have written, for one with ``if:`` or
    ``for_each:``. Declaring the input a number (or a patterned string) refuses it before
    anything runs, wherever it is used. A warning, not an error: decimal text is a value the
    field accepts, and flows that declare it so run correctly with correct values.
    """
    found: list[Problem] = []
    for step in flow.steps:
        compiled = step.with_.compiled
        if not step.uses or not isinstance(compiled, dict):
            continue
        try:
            component = get_component(step.uses)
        except UnknownComponentError:
            continue
        root = _schema_of(component)
        for loc, text in _literal_leaves(compiled, ()):
            advice = _not_an_id(root, loc, text)
            if advice is not None:
                found.append(flow.source.problem((*step.with_.path, *loc), advice))
        for loc, name in _input_bindings(compiled, ()):
            spec = flow.inputs.get(name)
            if spec is None or spec.schema.get("type") != "string":
                continue
            if any(key in spec.schema for key in ("pattern", "enum", "const")):
                continue  # the input says which text it takes
            number = _number_or_its_text(root, loc)
            if number is None:
                continue
            found.append(
                flow.source.problem(
                    (*step.with_.path, *loc),
                    f"takes {_TYPE_WORDS[number]}; inputs.{name} is declared type: string,"
                    " so a wrong value (12,50) is only refused here: declare"
                    f" {name}: {{type: {number}}}, or give it a pattern, to refuse it before"
                    " anything runs",
                )
            )
    return found


_HEX_ID = re.compile(r"[0-9a-f]{32}")


def _literal_leaves(
    value: Any, loc: tuple[int | str, ...]
) -> list[tuple[tuple[int | str, ...], str]]:
    """Every literal text or whole number under ``value`` (expressions left out), as text."""
    if isinstance(value, dict):
        return [b for k, v in value.items() for b in _literal_leaves(v, (*loc, k))]
    if isinstance(value, list):
        return [b for i, v in enumerate(value) for b in _literal_leaves(v, (*loc, i))]
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return [(loc, str(value))]
    return []


def _not_an_id(root: dict[str, Any], loc: tuple[int | str, ...], text: str) -> str | None:
    """Advice when a literal in a field that takes a record's id (32 hex characters, listed by
    a component) is something else: most often the nominal code or name a person knows."""
    nodes = _nodes_at(root, loc)
    options = [n.get("x-sageflow-options") for n in nodes if n.get("x-sageflow-options")]
    examples = [e for n in nodes for e in n.get("examples", []) if isinstance(e, str)]
    if len(options) != 1 or not isinstance(options[0], dict) or _HEX_ID.fullmatch(text):
        return None
    if not examples or not all(_HEX_ID.fullmatch(e) for e in examples):
        return None  # its ids are keys a person may write (GB_STANDARD, CUSTOMER)
    lister = str(options[0].get("component", ""))
    field = str(loc[-1]) if isinstance(loc[-1], str) else str(loc[-2])
    search = options[0].get("search")
    given = dict(options[0].get("with") or {})
    if isinstance(search, str):
        given = {search: f"'{text}'", **given}
    where = "with: {" + ", ".join(f"{k}: {v}" for k, v in given.items()) + "}"
    return (
        f"{text!r} is not an id: {field} takes the record's id (32 characters, like"
        f" {examples[0]}), which differs between businesses; look it up in a step before this"
        f" one (uses: {lister}, {where}) and pass ${{{{ steps.THAT_STEP.output.items[0].id }}}}"
    )


def _input_bindings(
    value: Any, loc: tuple[int | str, ...]
) -> list[tuple[tuple[int | str, ...], str]]:
    """Where ``value`` takes a flow input as a whole (``${{ inputs.NAME }}``), and which."""
    if isinstance(value, dict):
        return [b for k, v in value.items() for b in _input_bindings(v, (*loc, k))]
    if isinstance(value, list):
        return [b for i, v in enumerate(value) for b in _input_bindings(v, (*loc, i))]
    if isinstance(value, Template) and value.single is not None:
        name = _input_reference(value.single.source)
        return [(loc, name)] if name is not None else []
    return []


def _number_or_its_text(root: dict[str, Any], loc: tuple[int | str, ...]) -> str | None:
    """ "number" or "integer" when the field at ``loc`` takes that or only text of a set form
    (an amount: a JSON number or decimal text); None for any other field."""
    types = _field_types(root, loc)
    if types is None or "string" not in types:
        return None
    number = "number" if "number" in types else "integer" if "integer" in types else None
    if number is None:
        return None
    texts = [
        node
        for node in _nodes_at(root, loc)
        if node.get("type") == "string"
        or (isinstance(node.get("type"), list) and "string" in node["type"])
    ]
    if not texts or not all(any(k in n for k in ("pattern", "enum", "const")) for n in texts):
        return None  # it takes free text too: a string input is as good as a number
    return number


def check_bound_inputs(flow: Flow, values: Mapping[str, Any]) -> list[str]:
    """Each input value bound as a whole (``${{ inputs.NAME }}``) to a component's field, checked
    against that field before anything runs: ``-i net=abc`` for an amount is refused up front.

    Steps with ``if`` or ``for_each`` are left to run time (they may never send the value), and
    so are steps with ``on_error: continue``, whose failure the flow chose to tolerate.
    """
    problems: list[str] = []
    for step in flow.steps:
        if step.if_ is not None or step.for_each is not None or not step.uses:
            continue
        if step.on_error != "fail":
            continue
        compiled = step.with_.compiled
        if not isinstance(compiled, dict):
            continue
        bound: dict[tuple[int | str, ...], str] = {}
        view = _bind_inputs(compiled, values, (), bound)
        if not bound:
            continue
        try:
            component = get_component(step.uses)
            component.inputs.model_validate(view)
        except UnknownComponentError:
            continue
        except ValidationError as error:
            for item in error.errors(include_url=False):
                loc = field_loc(component.inputs, item["loc"])
                name = bound.get(loc)
                if name is None or item["type"] in {"missing", "extra_forbidden"}:
                    continue
                spec = flow.inputs[name]
                message = "invalid value" if spec.secret else error_message(item)
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
                problems.append(
                    f"input {name!r}: {message} (bound to steps[{step.index}].with{where},"
                    f" step {step.id!r})"
                )
    return problems


def _bind_inputs(
    value: Any,
    values: Mapping[str, Any],
    loc: tuple[int | str, ...],
    bound: dict[tuple[int | str, ...], str],
) -> Any:
    # The literal view with each whole-value input reference replaced by the input's value.
    if isinstance(value, dict):
        return {k: _bind_inputs(v, values, (*loc, k), bound) for k, v in value.items()}
    if isinstance(value, list):
        return [_bind_inputs(v, values, (*loc, i), bound) for i, v in enumerate(value)]
    if isinstance(value, Template):
        single = value.single
        name = _input_reference(single.source) if single is not None else None
        if name is not None and name in values:
            bound[loc] = name
            return values[name]
        return value.text
    return value


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


_SECRET_FIELDS: dict[tuple[str, int], frozenset[str]] = {}


def _secret_fields(component: Component) -> frozenset[str]:
    # Generating a JSON Schema costs milliseconds; a 200-step flow would pay it 200 times.
    key = (component.ref, id(component))
    cached = _SECRET_FIELDS.get(key)
    if cached is None:
        props = _schema_of(component).get("properties", {})
        cached = frozenset(
            name
            for name, prop in props.items()
            if prop.get("writeOnly") or prop.get("format") == "password"
        )
        _SECRET_FIELDS[key] = cached
    return cached


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def _input_reference(source: str) -> str | None:
    text = source.strip()
    if text.startswith("inputs.") and text[7:].isidentifier():
        return text[7:]
    return None


def _fits(kind: str, allowed: set[str]) -> bool:
    if kind in allowed:
        return True
    return kind == "integer" and "number" in allowed


_SCHEMAS: dict[tuple[str, int], dict[str, Any]] = {}


def _schema_of(component: Component) -> dict[str, Any]:
    key = (component.ref, id(component))
    cached = _SCHEMAS.get(key)
    if cached is None:
        cached = _SCHEMAS[key] = component.input_schema()
    return cached


def _nodes_at(root: dict[str, Any], loc: tuple[int | str, ...]) -> list[dict[str, Any]]:
    """The schemas (``$ref`` and ``anyOf`` flattened) of the field at ``loc``; none if the
    schema has no such field. A name steps into ``properties``, an index into ``items``."""
    nodes = [root]
    for part in loc:
        found: list[dict[str, Any]] = []
        for node in _branches(root, nodes):
            child = (
                node.get("properties", {}).get(part) if isinstance(part, str) else node.get("items")
            )
            if isinstance(child, dict):
                found.append(child)
        if not found:
            return []
        nodes = found
    return _branches(root, nodes)


def _field_types(root: dict[str, Any], loc: tuple[int | str, ...]) -> set[str] | None:
    """The JSON types the field at ``loc`` accepts, or None when the schema doesn't say."""
    types: set[str] = set()
    for node in _nodes_at(root, loc):
        kind = node.get("type")
        if isinstance(kind, str):
            types.add(kind)
        elif isinstance(kind, list):
            types.update(k for k in kind if isinstance(k, str))
        elif "enum" in node or "const" in node:
            values = node.get("enum", [node.get("const")])
            types.update(_json_type(v) for v in values)
        else:
            return None  # an untyped branch accepts anything
    return types or None


def _field_enum(root: dict[str, Any], loc: tuple[int | str, ...]) -> list[Any] | None:
    """The values the field at ``loc`` is limited to, or None when it takes any value."""
    values: list[Any] = []
    final = _nodes_at(root, loc)
    for node in final:
        if "enum" in node and isinstance(node["enum"], list):
            values += [v for v in node["enum"] if v not in values]
        elif "const" in node:
            values.append(node["const"])
        elif node.get("type") != "null":
            return None
    return values if final and values else None


def _field_names(root: dict[str, Any], loc: tuple[int | str, ...]) -> list[str]:
    """The input names a mapping at ``loc`` accepts (for a did-you-mean)."""
    return sorted({name for node in _nodes_at(root, loc) for name in node.get("properties", {})})


def _branches(root: dict[str, Any], nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # $ref (to #/$defs/...), anyOf, oneOf and allOf flattened to the schemas that carry types.
    out: list[dict[str, Any]] = []
    pending = list(nodes)
    while pending and len(out) < 100:
        node = pending.pop()
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = root.get("$defs", {}).get(ref.rsplit("/", 1)[-1])
            if isinstance(target, dict):
                pending.append(target)
            continue
        alternatives = node.get("anyOf") or node.get("oneOf") or node.get("allOf")
        if isinstance(alternatives, list):
            pending.extend(a for a in alternatives if isinstance(a, dict))
            continue
        out.append(node)
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _constants(value: Any) -> Any:
    """``value`` with each expression that reads nothing (``${{ 'two' }}``, ``${{ 1 + 1 }}``)
    replaced by its result, so a constant is checked like the literal it is."""
    if isinstance(value, dict):
        return {k: _constants(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_constants(v) for v in value]
    if isinstance(value, Template):
        single = value.single
        constant = (
            single is not None
            and not single.names
            and not single.bodies
            and all(not f[:1].isalpha() for f in single.functions)  # operators only
        )
        if constant and single is not None:
            try:
                return evaluate_expr(single, _EMPTY_SCOPE)
            except ExpressionError:
                return value  # its error is reported when the step runs
    return value


_EMPTY_SCOPE = Scope(inputs={}, steps={}, run={}, env={}, functions={})


def _literal_view(value: Any) -> Any:
    # Expressions are replaced by a placeholder; errors reported at or under one are dropped,
    # since their type is only known when the flow runs.
    if isinstance(value, Template):
        return value.text
    if isinstance(value, dict):
        return {k: _literal_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal_view(v) for v in value]
    return value


def _about_template(item: Any) -> bool:
    # A model-level check (a date pair, a cross-field rule) that tripped over a placeholder:
    # its real verdict is only known once the expression has a value.
    value = item.get("input")
    return "${{" in str(item.get("msg", "")) or (isinstance(value, str) and "${{" in value)


def _under_template(compiled: Any, loc: tuple[int | str, ...]) -> bool:
    node = compiled
    for part in loc:
        if isinstance(node, Template):
            return True
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
            continue
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            continue
        return False
    return isinstance(node, Template)
