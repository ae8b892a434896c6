"""A sales or purchase artefact's list, find, get, create, update, delete, release and convert
components, from one table row.

Invoices, credit notes, quotes and estimates differ only in their names, examples, input
models and a few flags; each module describes its family once with an :class:`Artefact` and
registers it with :func:`register_artefact`, so there is one handler per action, not one copy
per artefact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, create_model

from sage_accounting import _markers, _wire
from sage_accounting._actions import (
    attributes_query,
    delete_one,
    find_by,
    get_one,
    list_of,
    record_path,
    write_one,
)
from sage_accounting._invoices import release_invoice, void_artefact, write_invoice
from sage_accounting._lookups import NewInvoiceStatusId
from sage_accounting._models import (
    Date,
    DeleteOutput,
    Id,
    ListOutput,
    PageControls,
    optional,
    page_of,
)
from sage_accounting._pack import PACK
from sage_accounting._resources import SalesInvoice
from sageflow._component import DESTRUCTIVE, IDEMPOTENT_WRITE, READ_ONLY, WRITE, Action, Inputs

LIST, FIND, GET, CREATE, UPDATE, DELETE, RELEASE, CONVERT = (
    "list",
    "find",
    "get",
    "create",
    "update",
    "delete",
    "release",
    "convert",
)


def _camel(words: str) -> str:
    head, *rest = words.replace("_", " ").split()
    return head.lower() + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class Artefact:
    """One artefact family as the pack offers it.

    Attributes:
        name: the singular in titles (``Sales Invoice``); keys, the id input (``salesInvoiceId``),
            the path (``/sales_invoices``) and the body wrapper (``sales_invoice``) follow from it.
        example: a whole record, as Sage answers a GET.
        record_id: makes the id input's field (its description, example and lookup).
        output, found: the record's output model, and the find's.
        list_inputs, get_fields: the list's filters; the single GET's query inputs (each sent
            under its snake_cased name).
        find_by: the number a find matches exactly (``invoice_number``); ``find_help`` and
            ``find_example`` document its input.
        create_inputs, update_inputs: the write inputs (the update's include the id input).
        lines: the input holding the lines (``invoiceLines``).
        void_output: set when a DELETE voids an issued artefact rather than removing it: the
            output naming the voided record.
        release: the verb of the release's description (``Issue``), or None for no release.
        invoiced: for a quote or estimate, the invoice its conversion makes (the convert's
            example output); None for no conversion.
        descriptions: an operation's description when it is not the generated one (the find's
            and the convert's are never generated: each row words its own).
        list_key, aliases: the list's key when it is not ``list<Plural>``, and its aliases.
        update_output: the update's example output when it is not ``example``.
    """

    name: str
    example: Mapping[str, Any]
    record_id: Callable[[], Any]
    output: type[BaseModel]
    found: type[BaseModel]
    list_inputs: type[PageControls]
    list_example: Mapping[str, Any]
    get_fields: type[Inputs]
    find_by: str
    find_help: str
    find_example: str
    create_inputs: type[Inputs]
    create_example: Mapping[str, Any]
    update_inputs: type[Inputs]
    update_example: Mapping[str, Any]
    lines: str = "invoiceLines"
    void_output: type[DeleteOutput] | None = None
    release: str | None = None
    invoiced: Mapping[str, Any] | None = None
    descriptions: Mapping[str, str] = field(default_factory=dict)
    list_key: str = ""
    aliases: tuple[str, ...] = ()
    update_output: Mapping[str, Any] | None = None

    @property
    def what(self) -> str:
        return self.name.lower()

    @property
    def noun(self) -> str:
        """The artefact without its side: ``invoice``, ``credit note``."""
        return self.name.split(" ", 1)[1].lower()

    @property
    def singular(self) -> str:
        return self.name.replace(" ", "")

    @property
    def collection(self) -> str:
        return f"{_wire.snake(self.singular)}s"

    @property
    def id_input(self) -> str:
        return f"{_camel(self.name)}Id"

    def path(self, key: str = "") -> str:
        return record_path(self.collection, key) if key else f"/{self.collection}"

    def describe(self, operation: str, generated: str) -> str:
        return self.descriptions.get(operation, generated)

    def keyed(self, name: str, base: type[Inputs] = Inputs, **more: Any) -> type[Inputs]:
        """The input model ``name``: ``base``'s inputs, the id input, then ``more``."""
        fields = {self.id_input: (Id, self.record_id()), **more}
        return cast(type[Inputs], create_model(name, __base__=base, **fields))


def register_artefact(family: Artefact) -> None:
    """Register ``family``'s components on the pack."""
    record = dict(family.example)
    ident = {family.id_input: record["id"]}
    path = family.path()
    wrapper = _wire.snake(family.singular)

    def key_of(inputs: Inputs) -> str:
        return str(getattr(inputs, family.id_input))

    def list_handler(inputs: PageControls) -> Action:
        return (yield from list_of(path, inputs))

    PACK.component(
        key=family.list_key or f"list{family.singular}s",
        title=f"List {family.name}s",
        description=family.describe(
            LIST, f"List {family.what}s (GET {path}), one page or every page."
        ),
        inputs=family.list_inputs,
        output=ListOutput[family.output],  # type: ignore[name-defined]
        annotations=READ_ONLY,
        example_input=family.list_example,
        example_output=page_of(record),
        aliases=family.aliases,
    )(list_handler)

    find_input = _camel(family.find_by)
    wanted: dict[str, Any] = {
        find_input: (
            str,
            Field(description=family.find_help, examples=[family.find_example], min_length=1),
        )
    }
    find_inputs = create_model(f"Find{family.singular}Inputs", __base__=Inputs, **wanted)

    def find_handler(inputs: Inputs) -> Action:
        return (yield from find_by(path, family.find_by, getattr(inputs, find_input)))

    PACK.component(
        key=f"find{family.singular}",
        title=f"Find {family.name}",
        description=family.descriptions[FIND],
        inputs=find_inputs,
        output=family.found,
        annotations=READ_ONLY,
        example_input={find_input: family.find_example},
        example_output={"items": [record]},
    )(find_handler)

    query_inputs = tuple(family.get_fields.model_fields)

    def get_handler(inputs: Inputs) -> Action:
        query = attributes_query(inputs, *query_inputs)
        return (yield from get_one(family.path(key_of(inputs)), query))

    PACK.component(
        key=f"get{family.singular}",
        title=f"Get {family.name}",
        description=family.describe(GET, f"Fetch one {family.what} by id (GET {path}/{{key}})."),
        inputs=family.keyed(f"Get{family.singular}Inputs", family.get_fields),
        output=family.output,
        annotations=READ_ONLY,
        example_input=ident,
        example_output=record,
    )(get_handler)

    def create_handler(inputs: Inputs) -> Action:
        return (yield from write_invoice("POST", path, wrapper, inputs, lines_input=family.lines))

    PACK.component(
        key=f"create{family.singular}",
        title=f"Create {family.name}",
        description=family.describe(CREATE, f"Create a {family.what} (POST {path})."),
        inputs=family.create_inputs,
        output=family.output,
        annotations=WRITE,
        marker=_markers.INVOICE,
        example_input=family.create_example,
        example_output=record,
    )(create_handler)

    def update_handler(inputs: Inputs) -> Action:
        at = family.path(key_of(inputs))
        return (
            yield from write_invoice(
                "PUT", at, wrapper, inputs, family.id_input, lines_input=family.lines
            )
        )

    PACK.component(
        key=f"update{family.singular}",
        title=f"Update {family.name}",
        description=family.describe(
            UPDATE,
            f"Change a {family.what}; only inputs given are sent (PUT {path}/{{key}}).",
        ),
        inputs=family.update_inputs,
        output=family.output,
        annotations=IDEMPOTENT_WRITE,
        example_input={**ident, **family.update_example},
        example_output=family.update_output or record,
    )(update_handler)

    key_inputs = _register_delete(family, record, ident)
    if family.invoiced is not None:
        _register_convert(family, family.invoiced)
    if family.release is None:
        return

    def release_handler(inputs: Inputs) -> Action:
        return (yield from release_invoice(family.path(key_of(inputs))))

    PACK.component(
        key=f"release{family.singular}",
        title=f"Release {family.name}",
        description=family.describe(
            RELEASE, f"{family.release} a draft {family.what} (POST {path}/{{key}}/release)."
        ),
        inputs=key_inputs or family.keyed(f"Release{family.singular}Inputs"),
        output=family.output,
        annotations=IDEMPOTENT_WRITE,
        example_input=ident,
        example_output=record,
    )(release_handler)


def _register_delete(
    family: Artefact, record: dict[str, Any], ident: dict[str, Any]
) -> type[Inputs] | None:
    """Register the DELETE; return its id-only inputs when the release shares them (an
    artefact deleted for good), None when the DELETE voids (it takes a reason)."""
    path = family.path()
    if family.void_output is None:
        key_inputs = family.keyed(f"{family.singular}Key")

        def delete_handler(inputs: Inputs) -> Action:
            key = str(getattr(inputs, family.id_input))
            return (yield from delete_one(key, family.path(key)))

        PACK.component(
            key=f"delete{family.singular}",
            title=f"Delete {family.name}",
            description=family.describe(
                DELETE, f"Delete a {family.what} for good (DELETE {path}/{{key}})."
            ),
            inputs=key_inputs,
            output=DeleteOutput,
            annotations=DESTRUCTIVE,
            example_input=ident,
            example_output={"id": record["id"], "deleted": True},
        )(delete_handler)
        return key_inputs

    noun = family.noun
    voided = _camel(noun)
    reason = optional(
        f"Why the {noun} is voided; Sage requires it unless the {noun} is a draft.",
        "Raised in error",
        min_length=1,
    )

    def void_handler(inputs: Inputs) -> Action:
        key = str(getattr(inputs, family.id_input))
        return (yield from void_artefact(family.path(key), key, inputs.voidReason, voided))  # type: ignore[attr-defined]

    PACK.component(
        key=f"delete{family.singular}",
        title=f"Delete (Void) {family.name}",
        description=family.describe(
            DELETE,
            f"Delete a draft {family.what}, or void an issued one with a reason "
            f"(DELETE {path}/{{key}}?void_reason=...).",
        ),
        inputs=family.keyed(f"Delete{family.singular}Inputs", voidReason=(str | None, reason)),
        output=family.void_output,
        annotations=DESTRUCTIVE,
        example_input={**ident, "voidReason": "Raised in error"},
        example_output={
            "id": record["id"],
            "deleted": True,
            "voided": True,
            voided: {**record, "status": {"id": "VOID", "displayed_as": "Void"}},
        },
    )(void_handler)
    return None


def _register_convert(family: Artefact, invoice: Mapping[str, Any]) -> None:
    lines = _wire.snake(family.lines)
    key = family.example["id"]

    def convert_handler(inputs: Inputs) -> Action:
        source = str(getattr(inputs, family.id_input))
        converting = cast(ConvertFields, inputs)
        return (yield from convert_to_invoice(family.path(source), lines, converting, source))

    PACK.component(
        key=f"convert{family.singular}ToInvoice",
        title=f"Convert {family.name} to Invoice",
        description=family.descriptions[CONVERT],
        inputs=family.keyed(f"Convert{family.singular}Inputs", ConvertFields),
        output=ConvertedQuote,
        annotations=WRITE,
        marker=_markers.INVOICE,
        example_input={family.id_input: key, "date": "2026-04-02"},
        example_output={"invoice": dict(invoice), "sourceId": key, "created": True},
    )(convert_handler)


# --- Converting a quote (or an estimate) into an invoice ------------------------------------

#: Line fields carried from the quote to the invoice as they are: its tax amount too, so the
#: invoice books exactly the VAT the customer accepted (postSalesInvoices invoice_lines).
_CARRIED = ("description", "quantity", "unit_price", "unit_price_includes_tax", "tax_amount")
_CARRIED_LINKS = {
    "ledger_account": "ledger_account_id",
    "tax_rate": "tax_rate_id",
    "product": "product_id",
    "service": "service_id",
}


def _invoice_line(line: dict[str, Any]) -> dict[str, Any]:
    out = {k: line[k] for k in _CARRIED if line.get(k) is not None}
    out.update(
        (wire, line[name]["id"])
        for name, wire in _CARRIED_LINKS.items()
        if isinstance(line.get(name), dict) and line[name].get("id")
    )
    discount = line.get("discount_amount")
    if discount not in (None, "", "0.0", "0"):
        out["discount_amount"] = discount
    return out


class ConvertFields(Inputs):
    date: Date = Field(description="The invoice date.", examples=["2026-04-02"])
    dueDate: Date | None = optional(
        "When payment is due (Sage's default: the date plus the customer's credit days).",
        "2026-05-02",
    )
    reference: str | None = optional("The invoice's reference (default: the quote's).", "PO-7781")
    statusId: NewInvoiceStatusId | None = optional(
        "DRAFT to keep the invoice a draft; Sage's default is UNPAID.", "DRAFT"
    )


class ConvertedQuote(BaseModel):
    """The invoice a quote or estimate became."""

    model_config = ConfigDict(extra="forbid")

    invoice: SalesInvoice = Field(description="The sales invoice, as Sage returned it.")
    sourceId: str = Field(description="The quote's (or estimate's) id.")
    created: bool = Field(
        description="False when the quote had been invoiced already: that invoice is returned "
        "and no second one is made."
    )


def convert_to_invoice(path: str, lines: str, inputs: ConvertFields, key: str) -> Action:
    """Read the quote or estimate at ``path``; create its invoice unless it has one already.

    Exactly once: a quote Sage already links to an invoice (its ``invoice``) returns that
    invoice; the create itself carries ``idempotency_id`` and the invoice marker like any
    invoice create, for an outcome lost in flight.
    """
    quote = yield from get_one(path)
    done = quote.get("invoice")
    if isinstance(done, dict) and done.get("id"):
        invoice = yield from get_one(record_path("sales_invoices", str(done["id"])))
        return {"invoice": invoice, "sourceId": key, "created": False}
    header: dict[str, Any] = {
        "contact_id": (quote.get("contact") or {}).get("id"),
        "original_quote_estimate_id": key,
        "date": _wire.value(inputs.date),
    }
    header.update(_wire.fields(inputs, only=("dueDate", "statusId")))
    reference = inputs.reference if inputs.reference is not None else quote.get("reference")
    if reference:
        header["reference"] = reference
    if quote.get("notes"):
        header["notes"] = quote["notes"]
    currency = (quote.get("currency") or {}).get("id")
    if currency:
        header["currency_id"] = currency
        header["exchange_rate"] = quote.get("exchange_rate") or "1.0"
    header["invoice_lines"] = [_invoice_line(line) for line in quote.get(lines) or []]
    invoice = yield from write_one("POST", "/sales_invoices", "sales_invoice", header)
    return {"invoice": invoice, "sourceId": key, "created": True}
