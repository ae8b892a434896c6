"""A Sage resource's list, get, create, update, delete and find components, from one table row.

Resources such as products, services, price types and bank transfers differ only in their path,
wrapper, fields and examples; each is described once by a :class:`Family` and registered by
:func:`register_family`, so there is one handler per action, not one copy per resource.
Create inputs are declared once (required fields required); the update inputs are derived
from them (every field optional, plus the record id), so the two can never drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from pydantic import ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from sage_accounting import _wire
from sage_accounting._actions import (
    attributes_query,
    delete_one,
    get_one,
    list_of,
    record_path,
    write_one,
)
from sage_accounting._markers import Marker
from sage_accounting._models import (
    Bool,
    DeleteOutput,
    Id,
    Int,
    ListOutput,
    PageControls,
    PagingInputs,
    SageObject,
    page_of,
)
from sage_accounting._pack import PACK
from sage_accounting._paging import list_action
from sageflow._component import DESTRUCTIVE, IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs
from sageflow._values import QueryValue

LIST, GET, CREATE, UPDATE, DELETE = "list", "get", "create", "update", "delete"
ALL = frozenset({LIST, GET, CREATE, UPDATE, DELETE})


@dataclass(frozen=True)
class Family:
    """One Sage resource as the pack offers it.

    Attributes:
        collection: the path segment (``products``).
        wrapper: the body wrapper (``product``).
        singular, plural: names in component keys and titles (``Product``, ``Products``).
        id_input: the input naming a record (``productId``).
        output: the record's output model.
        example: a whole record, as Sage answers a GET.
        operations: the actions the swagger has for the path (check each one).
        fields: create inputs; None when the resource has no create and no update.
        list_inputs: filters of the list (the swagger's query parameters, camelCased).
        lookup: ``x-sageflow-options`` for the id input.
        get_query: optional query inputs of the single GET besides ``attributes``.
        create_only: create inputs an update does not take.
        marker: how a create whose outcome is unknown is found again.
        find_by: the natural key a find matches exactly (``item_code``), or None for no find.
        notes: a sentence added to an operation's description (``"delete": "Sage keeps..."``),
            for what Sage does beyond the operation's name.
    """

    collection: str
    wrapper: str
    singular: str
    plural: str
    id_input: str
    output: type[SageObject]
    example: Mapping[str, Any]
    create_example: Mapping[str, Any]
    update_example: Mapping[str, Any]
    list_inputs: type[PageControls]
    list_example: Mapping[str, Any]
    lookup: Any
    operations: frozenset[str] = ALL
    fields: type[Inputs] | None = None
    get_query: tuple[str, ...] = ()
    create_only: tuple[str, ...] = ()
    marker: Marker | None = None
    find_by: str | None = None
    notes: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"/{self.collection}"

    def key(self, verb: str, plural: bool = False) -> str:
        return verb + (self.plural if plural else self.singular).replace(" ", "")

    def title(self, verb: str, plural: bool = False) -> str:
        return f"{verb.title()} {self.plural if plural else self.singular}"

    def describe(self, text: str, operation: str) -> str:
        extra = self.notes.get(operation)
        return f"{text} {extra}" if extra else text


def read_only(**row: Any) -> Family:
    """A resource Sage only lists and gets (reference lists, ledger views): no writes; paging
    inputs and a fetch-all example unless the row says otherwise."""
    defaults: dict[str, Any] = {
        "wrapper": row["collection"],
        "create_example": {},
        "update_example": {},
        "list_inputs": PagingInputs,
        "list_example": {"fetchAll": True},
    }
    return Family(operations=frozenset({LIST, GET}), **{**defaults, **row})


def _id_field(family: Family) -> tuple[Any, Any]:
    return (
        Id,
        Field(
            description=f"The {family.singular.lower()}'s id.",
            examples=[family.example["id"]],
            min_length=1,
            json_schema_extra=family.lookup,
        ),
    )


def _optional(info: FieldInfo) -> tuple[Any, Any]:
    """``info``'s field as an optional input: same type, checks, description and example."""
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    return (
        annotation | None,
        Field(
            default=None,
            description=info.description,
            examples=info.examples,
            json_schema_extra=info.json_schema_extra,
        ),
    )


def _model(name: str, doc: str, fields: Mapping[str, Any]) -> type[Inputs]:
    model = create_model(name, __base__=Inputs, __doc__=doc, **fields)
    return cast(type[Inputs], model)


def _keyed(family: Family, verb: str, doc: str, more: Mapping[str, Any]) -> type[Inputs]:
    """``<Verb><Singular>Inputs``: the record's id input, then ``more``."""
    fields = {family.id_input: _id_field(family), **more}
    return _model(f"{verb}{family.singular.replace(' ', '')}Inputs", doc, fields)


def _id_only(family: Family, verb: str) -> type[Inputs]:
    return _keyed(family, verb, f"The {family.singular.lower()} to {verb.lower()}.", {})


#: The single GET's optional query parameters a family may name in ``get_query`` (the
#: swagger's, per path): the input's type, description and example.
GET_QUERY: dict[str, tuple[Any, str, Any]] = {
    "nested_attributes": (str, "Expand linked records' fields too, or `all`.", "all"),
    "show_payments_allocations": (Bool, "Include the payments and allocations.", True),
    "expand_origin": (Bool, "Expand the record that made the transaction.", True),
}


def _get_inputs(family: Family) -> type[Inputs]:
    extra: dict[str, Any] = {
        "attributes": (
            str | None,
            Field(default=None, description="Extra fields to return, or `all`.", examples=["all"]),
        )
    }
    for name in family.get_query:
        kind, description, example = GET_QUERY[name]
        extra[_wire_to_input(name)] = (
            kind | None,
            Field(default=None, description=description, examples=[example]),
        )
    return _keyed(family, "Get", f"The {family.singular.lower()} to fetch.", extra)


def update_inputs(family: Family) -> type[Inputs]:
    """The update inputs: the record's id and every create input, optional, but create-only."""
    assert family.fields is not None
    optional = {
        name: _optional(info)
        for name, info in family.fields.model_fields.items()
        if name not in family.create_only
    }
    doc = f"A change to a {family.singular.lower()}: only the inputs given are sent."
    return _keyed(family, "Update", doc, optional)


def _criteria_inputs(family: Family) -> type[Inputs]:
    assert family.find_by is not None
    name = _wire_to_input(family.find_by)
    example = family.example.get(family.find_by)
    return _model(
        f"Find{family.singular.replace(' ', '')}Inputs",
        f"The {family.singular.lower()}'s {family.find_by.replace('_', ' ')} to look for.",
        {
            name: (
                str,
                Field(
                    description=(
                        f"The exact {family.find_by.replace('_', ' ')} (case-insensitive), "
                        "as a shop's SKU."
                    ),
                    examples=[example],
                    min_length=1,
                ),
            ),
            "limit": (
                Int | None,
                Field(
                    default=None, description="Stop after this many matches.", examples=[1], ge=1
                ),
            ),
        },
    )


def _wire_to_input(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _payload(family: Family, inputs: Inputs) -> dict[str, Any]:
    return _wire.fields(inputs, exclude=(family.id_input,))


def found_output(family: Family) -> type[Any]:
    model = create_model(
        f"Found{family.plural.replace(' ', '')}",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"The {family.plural.lower()} that matched, possibly none.",
        items=(
            list[family.output],  # type: ignore[name-defined]
            Field(description="Exact matches, in Sage's order."),
        ),
    )
    return model


def find_exact(family: Family, wanted: str, limit: int | None) -> Action:
    """Every record whose natural key equals ``wanted`` (case-insensitive), all pages read.

    Sage's ``search`` is a substring match over several fields (the spec: "the item code or
    description"), so it only narrows the download; the comparison here decides.
    """
    assert family.find_by is not None
    query: dict[str, QueryValue] = {"search": wanted, "attributes": "all", "items_per_page": 200}
    page = yield from list_action(family.path, query, fetch_all=True)
    key = wanted.casefold()
    matches = [
        item for item in page["items"] if str(item.get(family.find_by) or "").casefold() == key
    ]
    return {"items": matches if limit is None else matches[:limit]}


def register_family(family: Family) -> dict[str, Callable[[Any], Action]]:
    """Register ``family``'s components on the pack; returns the handlers by operation."""
    handlers: dict[str, Callable[[Any], Action]] = {}
    record = dict(family.example)
    what = family.singular.lower()
    ident = {family.id_input: record["id"]}

    def _path(inputs: Inputs) -> str:
        return record_path(family.collection, getattr(inputs, family.id_input))

    if LIST in family.operations:

        def list_handler(inputs: PageControls) -> Action:
            return (yield from list_of(family.path, inputs))

        handlers[LIST] = PACK.component(
            key=family.key("list", plural=True),
            title=family.title("list", plural=True),
            description=family.describe(
                f"List {family.plural.lower()} (GET {family.path}), one page or every page.", LIST
            ),
            inputs=family.list_inputs,
            output=ListOutput[family.output],  # type: ignore[name-defined]
            annotations=READ_ONLY,
            example_input=family.list_example,
            example_output=page_of(record, items_per_page=20),
        )(list_handler)

    if GET in family.operations:
        get_inputs = _get_inputs(family)

        def get_handler(inputs: Inputs) -> Action:
            names = ("attributes", *(_wire_to_input(name) for name in family.get_query))
            return (yield from get_one(_path(inputs), attributes_query(inputs, *names)))

        handlers[GET] = PACK.component(
            key=family.key("get"),
            title=family.title("get"),
            description=family.describe(
                f"Fetch one {what} by id (GET {family.path}/{{key}}).", GET
            ),
            inputs=get_inputs,
            output=family.output,
            annotations=READ_ONLY,
            example_input=ident,
            example_output=record,
        )(get_handler)

    if CREATE in family.operations:
        assert family.fields is not None

        def create_handler(inputs: Inputs) -> Action:
            payload = _payload(family, inputs)
            return (yield from write_one("POST", family.path, family.wrapper, payload))

        handlers[CREATE] = PACK.component(
            key=family.key("create"),
            title=family.title("create"),
            description=family.describe(f"Create a {what} (POST {family.path}).", CREATE),
            inputs=family.fields,
            output=family.output,
            annotations=WRITE,
            marker=family.marker,
            example_input=family.create_example,
            example_output=record,
        )(create_handler)

    if UPDATE in family.operations:

        def update_handler(inputs: Inputs) -> Action:
            payload = _payload(family, inputs)
            return (yield from write_one("PUT", _path(inputs), family.wrapper, payload))

        handlers[UPDATE] = PACK.component(
            key=family.key("update"),
            title=family.title("update"),
            description=family.describe(
                f"Change a {what}; only the inputs given are sent (PUT {family.path}/{{key}}).",
                UPDATE,
            ),
            inputs=update_inputs(family),
            output=family.output,
            annotations=IDEMPOTENT_WRITE,
            example_input={**ident, **family.update_example},
            example_output={**record, **_echoed(family.update_example)},
        )(update_handler)

    if DELETE in family.operations:

        def delete_handler(inputs: Inputs) -> Action:
            key = getattr(inputs, family.id_input)
            return (yield from delete_one(key, _path(inputs)))

        handlers[DELETE] = PACK.component(
            key=family.key("delete"),
            title=family.title("delete"),
            description=family.describe(f"Delete a {what} (DELETE {family.path}/{{key}}).", DELETE),
            inputs=_id_only(family, "Delete"),
            output=DeleteOutput,
            annotations=DESTRUCTIVE,
            example_input=ident,
            example_output={"id": record["id"], "deleted": True},
        )(delete_handler)

    if family.find_by is not None:
        name = _wire_to_input(family.find_by)

        def find_handler(inputs: Inputs) -> Action:
            return (yield from find_exact(family, getattr(inputs, name), inputs.limit))  # type: ignore[attr-defined]

        handlers["find"] = PACK.component(
            key=family.key("find"),
            title=family.title("find"),
            description=(
                f"Find {family.plural.lower()} by exact {family.find_by.replace('_', ' ')} "
                f"(GET {family.path}?search=...), following every page; returns zero or more "
                "matches, so a flow can branch on `size(items)`."
            ),
            inputs=_criteria_inputs(family),
            output=found_output(family),
            annotations=READ_ONLY,
            example_input={name: family.example.get(family.find_by)},
            example_output={"items": [record]},
        )(find_handler)
    return handlers


def _echoed(update: Mapping[str, Any]) -> dict[str, Any]:
    """What an update example changes in the record, in Sage's names (plain values only)."""
    return {
        _wire.snake(name): value
        for name, value in update.items()
        if isinstance(value, str | bool | int) and not name.endswith("Id")
    }
