"""Where an input's choices come from: declared in a pack's schema, listed for a form or a person.

A pack says, in an input's JSON Schema, either which component lists its choices
(``x-sageflow-options``) or that the set is closed (``enum``, labelled by
``x-sageflow-enum-labels``). The runner reads only those keys; it names no pack.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from sageflow._component import resolve_ref
from sageflow._errors import SageflowError

if TYPE_CHECKING:
    from sageflow._component import Component
    from sageflow._execute import Caller

OPTIONS_KEY = "x-sageflow-options"
LABELS_KEY = "x-sageflow-enum-labels"

JsonDict = dict[str, Any]


def lookup(
    component: str,
    *,
    value: str = "id",
    label: str = "displayed_as",
    search: str | None = None,
    with_: Mapping[str, Any] | None = None,
) -> Callable[[JsonDict], None]:
    """``json_schema_extra`` for an input whose choices a list component returns.

    Args:
        component: the list component, ``pack/key``.
        value: the item field that is the input's value (``id``).
        label: the item field a person reads (``displayed_as``).
        search: the list component's input that narrows the list by text, if it has one.
        with_: fixed inputs for the list (``{"visible_in": "sales"}``).
    """
    spec: JsonDict = {"component": component, "value": value, "label": label}
    if search is not None:
        spec["search"] = search
    if with_:
        spec["with"] = dict(with_)

    def extra(schema: JsonDict) -> None:
        # A fresh copy per schema: one field's manifest must never share a dict with another's.
        schema[OPTIONS_KEY] = copy.deepcopy(spec)

    return extra


def closed_set(labels: Mapping[str, str]) -> Any:
    """A string type accepting only ``labels``' keys; its schema is a labelled ``enum``.

    For sets the API documents as closed: an enum refuses every other value, so an open set
    (one a business can extend) takes a :func:`lookup` instead.
    """
    values = tuple(labels)
    from typing import Annotated

    from pydantic import WithJsonSchema

    schema = {"type": "string", "enum": list(values), LABELS_KEY: dict(labels)}
    return Annotated[Literal[values], WithJsonSchema(schema)]


class Option(NamedTuple):
    """One choice for an input: what to send, and what a person reads."""

    value: Any
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label}


class OptionsError(SageflowError):
    """An input path that names no input, or an input without a declared list of choices."""


@dataclass(frozen=True)
class InputChoices:
    """What the schema says about one input's choices (exactly one of the two is set)."""

    path: str
    enum: tuple[Option, ...] | None = None
    source: Mapping[str, Any] | None = None


# -- resolving an input path in a component's input schema -------------------------------------

_PART = re.compile(r"^([A-Za-z_$][\w$]*)(\[\])?$")


def _deref(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    schema = resolve_ref(schema, root)
    # An optional list or object may be wrapped in anyOf with another shape; take the one
    # that can hold properties or items, so a path walks into it.
    for key in ("anyOf", "oneOf", "allOf"):
        for member in schema.get(key, ()):
            resolved = _deref(member, root)
            if "properties" in resolved or "items" in resolved:
                return {**{k: v for k, v in schema.items() if k != key}, **resolved}
    return schema


def input_paths(schema: Mapping[str, Any]) -> list[str]:
    """Every leaf input path of an input schema: ``contactId``, ``invoiceLines[].quantity``."""
    paths: list[str] = []

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        node = _deref(node, schema)
        for name, child in node.get("properties", {}).items():
            child = _deref(child, schema)
            here = f"{prefix}{name}"
            items = _deref(child.get("items", {}), schema) if "items" in child else None
            if items is not None and "properties" in items:
                walk(items, f"{here}[].")
            elif "properties" in child:
                walk(child, f"{here}.")
            else:
                paths.append(here)

    walk(schema, "")
    return paths


def input_schema_at(schema: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The JSON Schema of the input at ``path``; :class:`OptionsError` with close paths if none.

    A ``[]`` after a list's name steps into its items (``invoiceLines[].ledgerAccountId``).
    """
    node = _deref(schema, schema)
    parts = path.split(".") if path else []
    for index, part in enumerate(parts):
        match = _PART.match(part)
        child = node.get("properties", {}).get(match.group(1)) if match else None
        if match is None or child is None:
            raise _unknown_path(schema, path)
        node = _deref(child, schema)
        if match.group(2):
            if "items" not in node:
                raise _unknown_path(schema, path)
            node = _deref(node["items"], schema)
        elif "properties" not in node and index < len(parts) - 1:
            # ``invoiceLines.ledgerAccountId``: the list's items were meant.
            if "items" not in node:
                raise _unknown_path(schema, path)
            node = _deref(node["items"], schema)
    return node


def _unknown_path(schema: Mapping[str, Any], path: str) -> OptionsError:
    known = input_paths(schema)
    close = difflib.get_close_matches(path, known, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else f" (inputs: {', '.join(known)})"
    return OptionsError(f"no input {path!r}{hint}")


def choices_of(component: Component, path: str) -> InputChoices:
    """Where the choices of ``component``'s input at ``path`` come from."""
    node = input_schema_at(component.input_schema(), path)
    for candidate in (node, node.get("items", {})):
        if OPTIONS_KEY in candidate:
            return InputChoices(path, source=candidate[OPTIONS_KEY])
    for candidate in (node, node.get("items", {})):
        if "enum" in candidate:
            labels = candidate.get(LABELS_KEY, {})
            return InputChoices(
                path,
                enum=tuple(Option(v, str(labels.get(v, v))) for v in candidate["enum"]),
            )
    raise OptionsError(
        f"{component.ref} input {path!r} has no list of choices (no enum, no {OPTIONS_KEY})"
    )


# -- listing the choices --------------------------------------------------------------------------


def _field(item: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(item, Mapping):
            return None
        item = item.get(part)
    return item


def options_from_output(output: Mapping[str, Any], source: Mapping[str, Any]) -> list[Option]:
    """The choices in a list component's output, by the source's value and label fields."""
    found: list[Option] = []
    for item in output.get("items", ()):
        value = _field(item, str(source.get("value", "id")))
        if value is None:
            continue
        label = _field(item, str(source.get("label", "displayed_as")))
        found.append(Option(value, _one_line(label) or str(value)))
    return found


def _one_line(label: Any) -> str:
    # An address shows as its lines joined by newlines; a dropdown or a terminal row has one.
    text = "" if label is None else str(label)
    return ", ".join(part.strip() for part in text.splitlines() if part.strip())


def _matches(option: Option, text: str) -> bool:
    wanted = text.casefold()
    return wanted in option.label.casefold() or wanted in str(option.value).casefold()


async def aoptions(
    component: str,
    input: str,
    *,
    search: str | None = None,
    connection: str | None = None,
    caller: Caller | None = None,
    debug: bool = False,
) -> list[Option]:
    """The choices for one input of a component, as ``(value, label)`` pairs.

    An enum input gives its enum; an input with a lookup runs the lookup's list component
    through the usual connection (the configured account, else the embedded sandbox) and
    returns every page. ``search`` narrows by text: through the list's own search input when it
    has one, else by matching labels and values here.

    Args:
        component: ``pack/key`` (aliases allowed).
        input: the input's path, ``contactId`` or ``invoiceLines[].ledgerAccountId``.
        caller: run the lookup through this caller instead of opening a connection.
    """
    from sageflow._registry import get_component

    found = choices_of(get_component(component), input)
    if found.enum is not None:
        return [o for o in found.enum if search is None or _matches(o, search)]
    assert found.source is not None
    source = found.source
    lister = get_component(str(source["component"]))
    inputs: dict[str, Any] = dict(source.get("with", {}))
    fields = lister.inputs.model_fields
    if "fetchAll" in fields:
        inputs["fetchAll"] = True
    server_search = search is not None and source.get("search") in fields
    if server_search:
        inputs[str(source["search"])] = search
    from sageflow._flows._api import arun_component

    output = await arun_component(
        lister.ref, inputs, caller=caller, connection=connection, debug=debug
    )
    listed = options_from_output(output, source)
    if search is not None and not server_search:
        listed = [o for o in listed if _matches(o, search)]
    return listed


def options(
    component: str,
    input: str,
    *,
    search: str | None = None,
    connection: str | None = None,
    caller: Caller | None = None,
    debug: bool = False,
) -> list[Option]:
    """The synchronous twin of :func:`aoptions`."""
    import asyncio  # here: packs import this module for their schemas, and validate needs no loop

    return asyncio.run(
        aoptions(component, input, search=search, connection=connection, caller=caller, debug=debug)
    )


# -- finding a component by a reference a person typed -------------------------------------------


def find_component(ref: str) -> Component:
    """``pack/key``, an alias, or a bare ``key`` when one pack has it; did-you-mean otherwise."""
    from sageflow._registry import UnknownComponentError, components, get_component

    every = components()
    if "/" not in ref:
        matches = [c for c in every if c.key == ref or ref in c.aliases]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join(c.ref for c in matches)
            raise UnknownComponentError(f"{ref!r} is in several packs: {listed}; give pack/{ref}")
    try:
        return get_component(ref)
    except UnknownComponentError as error:
        names = [c.ref for c in every] + [c.key for c in every]
        names += [f"{c.pack}/{a}" for c in every for a in c.aliases]
        close = difflib.get_close_matches(ref, names, n=3, cutoff=0.6)
        refs = list(dict.fromkeys(n if "/" in n else _ref_of(n, every) for n in close))
        hint = f"; did you mean {' or '.join(refs)}?" if refs else ""
        message = f"no component {ref!r}{hint}" if "/" not in ref else f"{error}{hint}"
        raise UnknownComponentError(message) from None


def _ref_of(key: str, every: list[Component]) -> str:
    return next(c.ref for c in every if c.key == key)
