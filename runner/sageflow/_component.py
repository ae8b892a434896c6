"""The component contract: typed inputs, a pure generator handler, and self-description."""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import NoneType, UnionType
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    TypeVar,
    Union,
    get_args,
    get_origin,
)

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from sageflow._errors import APIError, FieldProblem, InputValidationError
from sageflow._values import HTTPRequest, HTTPResponse

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_keys, dict_values

    from sageflow._connection import ConnectionSpec

#: What a handler is: a generator that yields requests, receives responses and returns the
#: component's output (a JSON object). One-request actions are two-line generators; paging and
#: find-or-create are the same shape with a loop, as in httpx's ``Auth.auth_flow``.
Action = Generator[HTTPRequest, HTTPResponse, dict[str, Any]]

#: One poll of a trigger: the same generator shape, returning ``{"events": [...], "cursor":
#: {...}}`` (``sageflow._triggers`` reads it into a ``PollResult``).
Poll = Generator[HTTPRequest, HTTPResponse, dict[str, Any]]

#: What a unit of a pack is: an action a flow step calls, or a trigger a flow starts on.
Kind = Literal["action", "trigger"]
Availability = Literal["live", "on_request"]

InputsT = TypeVar("InputsT", bound="Inputs")
RecordT = TypeVar("RecordT", bound=BaseModel)


class Reconciler(Protocol):
    """How a component's creates leave a marker and how a create is found again by it.

    A component declares one (a pack offers a declarative implementation); the executor is the
    one place that uses it. ``token`` is the write's idempotency key (the same on every retry
    and resume of one write of one step), from which the marker is derived.
    """

    def mark(self, request: HTTPRequest, token: str) -> HTTPRequest | None:
        """``request`` carrying its marker, or ``None`` when it is not a create this covers
        (or the caller's values leave no field to carry one)."""

    def find(
        self, request: HTTPRequest, token: str
    ) -> Generator[HTTPRequest, HTTPResponse, HTTPResponse | None]:
        """Look for the record ``request`` (as marked) created: the response the create would
        have given (the record), or ``None`` when there is none."""


class Inputs(BaseModel):
    """Base of every component's input model.

    Unknown keys are refused (a typo in a flow must not be silently dropped) and ``null`` is
    refused too: an optional input is expressed by omitting the key, which is also what the
    published JSON Schema says, so a host validating with jsonschema and sageflow validating
    with pydantic reach the same verdict.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        field_title_generator=lambda name, _info: _title(name),
        model_title_generator=lambda model: _title(model.__name__),
        # Building a model's validator costs ~3 ms; a pack has dozens and a command uses a few
        # (validate, call), so each is built when first used, not when the pack is imported.
        defer_build=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("null is not allowed; omit the key to leave this input out")
        return value

    def given(self) -> dict[str, Any]:
        """The inputs the caller actually set, as Python values (defaults excluded)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


def _title(name: str) -> str:
    """``addressLine1`` -> ``Address Line 1``, the label a host shows beside the field."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|_", " ", name).split()
    return " ".join(w[:1].upper() + w[1:] for w in words)


class InputSchemaGenerator(GenerateJsonSchema):
    """JSON Schema for inputs: optional fields are "omit the key", never ``null``."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        generated = super().default_schema(schema)
        if generated.get("default", ...) is None:
            del generated["default"]
        return generated


@dataclass(frozen=True)
class Annotations:
    """Hints a host shows or acts on (confirm before destructive actions, cache read-only ones)."""

    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False

    def to_dict(self) -> dict[str, bool]:
        return {
            "readOnly": self.read_only,
            "destructive": self.destructive,
            "idempotent": self.idempotent,
        }


READ_ONLY = Annotations(read_only=True, idempotent=True)
WRITE = Annotations()
IDEMPOTENT_WRITE = Annotations(idempotent=True)
DESTRUCTIVE = Annotations(destructive=True, idempotent=True)


def json_path(loc: tuple[int | str, ...]) -> str:
    """``("invoiceLines", 0, "quantity")`` -> ``$.invoiceLines[0].quantity``."""
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def problems_from(model: type[BaseModel], error: ValidationError) -> list[FieldProblem]:
    """Turn pydantic's errors into path + message pairs a person can act on."""
    return [
        FieldProblem(json_path(field_loc(model, item["loc"])), error_message(item))
        for item in error.errors(include_url=False)
    ]


def field_loc(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """The parts of an error location a user wrote: field names and list indexes.

    pydantic also names the union member it tried (``decimal``, ``str``,
    ``function-after[...]``, a model's class name); those are noise in a path, but a field may
    well be called ``date``, so tags are recognised by walking the model, not by their names.
    """
    kept: list[int | str] = []
    node: Any = model
    for part in loc:
        node = _unwrap(node)
        if isinstance(part, int):
            kept.append(part)
            args = get_args(node)
            node = args[0] if get_origin(node) in (list, tuple) and args else None
        elif isinstance(node, type) and issubclass(node, BaseModel):
            kept.append(part)
            field = node.model_fields.get(part)
            node = field.annotation if field is not None else None
        elif _is_union(node):
            # A union member's tag: continue inside the member it names, when it is a model.
            members = [m for m in get_args(node) if getattr(m, "__name__", None) == part]
            node = members[0] if members else None
        elif node is None:
            kept.append(part)
    return tuple(kept)


def _unwrap(node: Any) -> Any:
    while True:
        if get_origin(node) is Annotated:
            node = get_args(node)[0]
        elif (
            _is_union(node)
            and len(members := [a for a in get_args(node) if a is not NoneType]) == 1
        ):
            node = members[0]
        else:
            return node


def _is_union(node: Any) -> bool:
    return get_origin(node) in (Union, UnionType)


#: What pydantic's error types expect, in the words a flow author uses.
_EXPECTED = {
    "decimal_parsing": "a number",
    "decimal_type": "a number",
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "a string",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_type": "a date (YYYY-MM-DD)",
}


def error_message(item: Mapping[str, Any]) -> str:
    """One pydantic error as ``expected a number, got "two"``."""
    kind = item["type"]
    if kind == "missing":
        return "required input is missing"
    if kind == "extra_forbidden":
        return "unknown input"
    shown = _show(item.get("input"))
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {shown}"
    message = str(item["msg"]).removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    message = message.replace("input should be", "expected")
    # Our own validators already say what they got; do not say it twice.
    return message if ", got " in message else f"{message}, got {shown}"


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Component:
    """One action of a pack, fully self-described (a :class:`Trigger` is the other kind).

    Attributes:
        handler: called with the validated inputs; returns the generator that performs the
            action. It must not perform I/O, read the clock or touch globals: everything it
            needs arrives as inputs and responses, which is what makes it testable without a
            network and replayable by the runner.
    """

    pack: str
    key: str
    title: str
    description: str
    inputs: type[Inputs]
    output: type[BaseModel]
    handler: Callable[[Any], Action]
    connection: str
    example_input: Mapping[str, Any]
    example_output: Mapping[str, Any]
    annotations: Annotations = WRITE
    aliases: tuple[str, ...] = ()
    #: Where its creates leave a marker, so that one whose outcome is unknown is found, not
    #: repeated (see ``sageflow._execute``).
    marker: Reconciler | None = None
    #: Whether the API serves it for every account ("live") or only once the provider enables
    #: it for the account ("on_request", Chift's Sage GE coverage); None when not stated.
    availability: Availability | None = None
    #: What a host does with it: call it from a step ("action") or poll it ("trigger").
    kind: ClassVar[Kind] = "action"

    @property
    def ref(self) -> str:
        return f"{self.pack}/{self.key}"

    def validate(self, raw: Mapping[str, Any]) -> Inputs:
        try:
            return self.inputs.model_validate(dict(raw))
        except ValidationError as error:
            raise InputValidationError(self.ref, problems_from(self.inputs, error)) from None

    def start(self, inputs: Inputs | Mapping[str, Any]) -> Action:
        validated = inputs if isinstance(inputs, Inputs) else self.validate(inputs)
        return self.handler(validated)

    def input_schema(self) -> dict[str, Any]:
        return self.inputs.model_json_schema(schema_generator=InputSchemaGenerator)

    def output_schema(self) -> dict[str, Any]:
        return self.output.model_json_schema(mode="serialization")

    def manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = {
            "key": self.key,
            "kind": self.kind,
            "pack": self.pack,
            "ref": self.ref,
            "aliases": list(self.aliases),
            "title": self.title,
            "description": self.description,
            "annotations": self.annotations.to_dict(),
            "connection": self.connection,
            "input": self.input_schema(),
            "output": self.output_schema(),
            "example": {
                "input": dict(self.example_input),
                "output": dict(self.example_output),
            },
        }
        if self.availability is not None:
            manifest["availability"] = self.availability
        return manifest


#: A trigger's pure poll: from its validated inputs, the cursor the previous poll returned
#: (``None`` on the first) and an optional backfill start, to the generator of one poll.
PollHandler = Callable[[Any, Mapping[str, Any] | None, datetime | None], Poll]


@dataclass(frozen=True, kw_only=True)
class Trigger(Component):
    """A component of the second kind: it reports changes instead of making one.

    Its ``poll`` is as pure as an action's handler (no clock, no I/O, no globals): from the
    cursor it yields the requests of one poll and, from the responses, returns the events and
    the next cursor, which the caller stores and hands back. Time comes from the server's
    responses, never from the local clock. ``handler`` is a first poll (no cursor), so every
    tool that runs an action's handler can run a trigger's too; ``sageflow._triggers.apoll``
    is how a poller calls it with a cursor.
    """

    poll: PollHandler
    kind: ClassVar[Kind] = "trigger"

    def start_poll(
        self,
        inputs: Inputs | Mapping[str, Any],
        cursor: Mapping[str, Any] | None = None,
        since: datetime | None = None,
    ) -> Poll:
        validated = inputs if isinstance(inputs, Inputs) else self.validate(inputs)
        return self.poll(validated, cursor, since)


class TriggerEvent(BaseModel, Generic[RecordT]):
    """One change a trigger delivers: what a flow started by it reads as ``trigger.event``."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["created", "updated", "deleted"] = Field(
        description="What happened to the record: created, updated or deleted."
    )
    id: str = Field(description="The id of the record that changed.")
    record: RecordT = Field(
        description=(
            "The record as the API sent it; for a deletion, the tombstone the API keeps "
            "(id, $path, deleted_at)."
        )
    )
    at: str = Field(description="When the change happened (ISO 8601, UTC), by the server.")


ErrorParser = Callable[[HTTPResponse, HTTPRequest], APIError]


class _ComponentTable(dict[str, "Component"]):
    """A pack's components by key: looking one up never loads the pack, but walking them all
    (listing, manifests) first imports every module of the pack (see ``Pack.modules``)."""

    def __init__(self, pack: Pack, items: Mapping[str, Component]) -> None:
        super().__init__(items)
        self._pack = pack

    def __iter__(self) -> Iterator[str]:
        self._pack.load_all()
        return super().__iter__()

    def __len__(self) -> int:
        self._pack.load_all()
        return super().__len__()

    def keys(self) -> dict_keys[str, Component]:
        self._pack.load_all()
        return super().keys()

    def values(self) -> dict_values[str, Component]:
        self._pack.load_all()
        return super().values()

    def items(self) -> dict_items[str, Component]:
        self._pack.load_all()
        return super().items()


@dataclass
class Pack:
    """A set of components for one product, found through the ``sageflow.packs`` entry point.

    The runner knows nothing of any product: everything specific (how errors look, which
    connections exist, how to simulate the API) comes from the pack through these fields.

    A pack of a hundred components costs a second to import, and a command uses a few: so a
    pack lists its component ``modules`` instead of importing them, and its ``index_file``
    (written by ``sageflow manifests build``) says which module defines each component.
    ``get`` imports just that module; walking ``components`` imports them all.
    """

    name: str
    title: str
    description: str
    error_parser: ErrorParser
    connections: dict[str, ConnectionSpec] = field(default_factory=dict)
    components: dict[str, Component] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    #: Builds an in-process simulator used when no credentials are configured: an object with
    #: ``handle(...)`` (see ``sageflow.sandbox.Simulator``), ``transport()``,
    #: ``async_transport()``, ``api_base`` and ``access_token``.
    sandbox_factory: Callable[..., Any] | None = None
    #: Where the pack's credentials are read from in the environment: ``<prefix>ACCESS_TOKEN``
    #: and so on; ``None`` means ``SAGEFLOW_<NAME>_`` (``SAGEFLOW_SAGE200_ACCESS_TOKEN``).
    env_prefix: str | None = None
    #: The modules that define the pack's components, imported on demand (none: the pack
    #: imports its components itself).
    modules: tuple[str, ...] = ()
    #: A JSON file ``{"components": {key or alias: module}}`` beside the pack's code.
    index_file: Path | None = None
    #: Where each component was defined (the innermost of ``modules`` that was importing).
    origins: dict[str, str] = field(default_factory=dict)
    _index: dict[str, str] | None = field(default=None, repr=False)
    _loaded_all: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.components = _ComponentTable(self, self.components)

    def load_all(self) -> None:
        """Import every module of the pack (once): for listing or describing every component."""
        if self._loaded_all:
            return
        for module in self.modules:
            importlib.import_module(module)
        # Only once every module imported, and only once the pack has said which they are:
        # a call made while the package is still being set up must not settle it for good.
        self._loaded_all = bool(self.modules)

    def _load_for(self, key: str) -> None:
        if self._index is None:
            self._index = {}
            if self.index_file is not None and self.index_file.is_file():
                found = json.loads(self.index_file.read_text(encoding="utf-8"))
                self._index = dict(found.get("components", {}))
        module = self._index.get(key)
        if module is not None and module in self.modules:
            importlib.import_module(module)
        if not dict.__contains__(self.components, self.aliases.get(key, key)):
            self.load_all()  # not in the index (or the index is stale): the slow, sure way

    def module_index(self) -> dict[str, str]:
        """What ``index_file`` must hold: each component and alias -> the module defining it."""
        self.load_all()
        found = {}
        for key in dict.keys(self.components):
            found[key] = self.origins.get(key, "")
        for alias, key in self.aliases.items():
            found[alias] = found.get(key, "")
        return dict(sorted(found.items()))

    #: How many records a list response carries and how many the listing has in all, or None
    #: for a response that is not a page: lets the runner draw a bar for a long listing.
    page_progress: Callable[[HTTPResponse], tuple[int, int | None] | None] | None = None

    def add_connection(self, spec: ConnectionSpec) -> ConnectionSpec:
        self.connections[spec.key] = spec
        return spec

    def add(self, component: Component) -> Component:
        if component.key in self.components or component.key in self.aliases:
            raise ValueError(f"duplicate component key {component.ref}")
        self.components[component.key] = component
        origin = _importing_module(self.modules)
        if origin is not None:
            self.origins[component.key] = origin
        for alias in component.aliases:
            self.aliases[alias] = component.key
        return component

    def get(self, key: str) -> Component:
        if not dict.__contains__(self.components, self.aliases.get(key, key)):
            self._load_for(key)
        key = self.aliases.get(key, key)
        try:
            return self.components[key]
        except KeyError:
            raise KeyError(f"{self.name} has no component {key!r}") from None

    def component(
        self,
        *,
        key: str,
        title: str,
        description: str,
        inputs: type[InputsT],
        output: type[BaseModel],
        example_input: Mapping[str, Any],
        example_output: Mapping[str, Any],
        annotations: Annotations = WRITE,
        connection: str | None = None,
        aliases: tuple[str, ...] = (),
        marker: Reconciler | None = None,
        availability: Availability | None = None,
    ) -> Callable[[Callable[[InputsT], Action]], Callable[[InputsT], Action]]:
        """Register a handler as a component; the decorated function is returned unchanged."""

        def register(handler: Callable[[InputsT], Action]) -> Callable[[InputsT], Action]:
            self.add(
                Component(
                    pack=self.name,
                    key=key,
                    title=title,
                    description=description,
                    inputs=inputs,
                    output=output,
                    handler=handler,
                    connection=connection or self.default_connection,
                    example_input=example_input,
                    example_output=example_output,
                    annotations=annotations,
                    aliases=aliases,
                    marker=marker,
                    availability=availability,
                )
            )
            return handler

        return register

    def trigger(
        self,
        *,
        key: str,
        title: str,
        description: str,
        inputs: type[InputsT],
        output: type[BaseModel],
        example_input: Mapping[str, Any],
        example_output: Mapping[str, Any],
        connection: str | None = None,
        aliases: tuple[str, ...] = (),
    ) -> Callable[
        [Callable[[InputsT, Mapping[str, Any] | None, datetime | None], Poll]],
        Callable[[InputsT, Mapping[str, Any] | None, datetime | None], Poll],
    ]:
        """Register a poll handler as a trigger; the decorated function is returned unchanged.

        ``output`` describes one event (a :class:`TriggerEvent` of the resource's record).
        A trigger only reads, so its annotations are read-only.
        """

        def register(
            poll: Callable[[InputsT, Mapping[str, Any] | None, datetime | None], Poll],
        ) -> Callable[[InputsT, Mapping[str, Any] | None, datetime | None], Poll]:
            def first_poll(validated: InputsT) -> Poll:
                return poll(validated, None, None)

            self.add(
                Trigger(
                    pack=self.name,
                    key=key,
                    title=title,
                    description=description,
                    inputs=inputs,
                    output=output,
                    handler=first_poll,
                    poll=poll,
                    connection=connection or self.default_connection,
                    example_input=example_input,
                    example_output=example_output,
                    annotations=READ_ONLY,
                    aliases=aliases,
                )
            )
            return poll

        return register

    @property
    def default_connection(self) -> str:
        # Every connection kind of a pack reaches the same API, so a component names the pack's
        # API and the host picks any of the pack's connection kinds for it.
        return self.name


def resolve_ref(schema: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$ref`` (to ``root``'s ``$defs``) followed, its own keys kept."""
    resolved = dict(schema)
    seen = 0
    while "$ref" in resolved and seen < 32:
        name = str(resolved["$ref"]).rsplit("/", 1)[-1]
        resolved = {
            **root.get("$defs", {}).get(name, {}),
            **{k: v for k, v in resolved.items() if k != "$ref"},
        }
        seen += 1
    return resolved


def _importing_module(modules: tuple[str, ...]) -> str | None:
    """The innermost of ``modules`` whose top level is running: the module a component is
    being defined in (a family's factory may be another module's function)."""
    if not modules:
        return None
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>":
            name = frame.f_globals.get("__name__")
            if name in modules:
                return str(name)
        frame = frame.f_back  # type: ignore[assignment]
    return None
