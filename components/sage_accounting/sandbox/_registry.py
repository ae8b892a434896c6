"""The table of simulated resources that family modules register, so the router names none.

The first resources (contacts, invoices, ledger accounts) are routed by ``_core`` itself; every
resource added since registers a :class:`Resource` here from its own module (``_payments``,
``_catalogue``, ...), listed in ``_families``. The router, the strict-mode field check, list
filters, sorting, reference data and the seed all read this table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sage_accounting.sandbox._resources import Business, Posting
from sage_accounting.sandbox._store import Record

Data = Mapping[str, Any]
#: A matcher factory: called once per list request with the business, then per record.
Matcher = Callable[[Business], Callable[[Record, Mapping[str, str]], bool]]

READ = frozenset({"GET"})
READ_CREATE = frozenset({"GET", "POST"})
READ_UPDATE = frozenset({"GET", "PUT"})
READ_UPDATE_DELETE = frozenset({"GET", "PUT", "DELETE"})
READ_DELETE = frozenset({"GET", "DELETE"})


@dataclass(frozen=True)
class Resource:
    """One simulated Sage resource: its routes, its writes, its list behaviour and its seed.

    ``simulated`` is the tree of body fields a write acts on (a dict value is a nested object, a
    one-item list an array of such objects); in strict mode any other field is refused with a
    422 naming it, never accepted and dropped. ``None`` means "no check" and is only right for a
    resource that takes no body.
    """

    name: str
    wrapper: str
    on_collection: frozenset[str] = READ_CREATE
    on_record: frozenset[str] = READ_UPDATE_DELETE
    create: Callable[[Business, Data], Record] | None = None
    update: Callable[[Business, Record, Data], Record] | None = None
    #: Removes or voids the record; returning a record answers 200 with it, None answers 204.
    #: Without it, DELETE removes the record (leaving a tombstone for ``deleted_since``).
    delete: Callable[[Business, Record, Mapping[str, str]], Record | None] | None = None
    #: ``POST /{name}/{id}/{action}`` (release, ...): the body's wrapped object (or {}) in,
    #: the changed record out, answered 201 as Sage does for release.
    actions: Mapping[str, Callable[[Business, Record, Data], Record]] = field(default_factory=dict)
    #: ``GET /{name}/{id}/{file}`` answering bytes, not JSON (an attachment's ``/file``): the
    #: record in, (content type, content) out.
    files: Mapping[str, Callable[[Business, Record], tuple[str, bytes]]] = field(
        default_factory=dict
    )
    simulated: Mapping[str, Any] | None = None
    #: Fields a create acts on but an update refuses.
    create_only: frozenset[str] = frozenset()
    filters: frozenset[str] = frozenset()
    matches: Matcher | None = None
    sortable: frozenset[str] = frozenset()
    order: Callable[[Record], Any] | None = None
    #: Reference data every business shares (read-only; ids are codes, not generated).
    shared: bool = False
    reference: Callable[[], Iterable[Record]] | None = None
    #: A singleton (``/business_settings``): GET and PUT on the collection path, no id.
    singleton: Callable[[Business], Record] | None = None
    #: Seeds one business (its index: 0 is the lead business with the demo books).
    seed: Callable[[Business, int], None] | None = None
    #: Rebuilds a business's indexes from a record read back from ``--data``.
    reload: Callable[[Business, Record], None] | None = None
    #: What the records add to each contact's ``show_balance``: (contact id, amount in base
    #: currency; negative for what the contact has paid or is owed back).
    owed: Callable[[Business], Iterable[tuple[str, Decimal]]] | None = None
    #: Fields computed when a stored record is read (a bank account's ``balance``): called
    #: once per request, then per record shown; it fills only keys the record already shows.
    computed: Callable[[Business], Callable[[Record], Record]] | None = None
    #: The double entry this resource's records post (journals, payments, quick entries...):
    #: ``ledger_totals`` (ledger account balances) and ``/ledger_entries`` both read it, so
    #: the two always agree.
    ledger: Callable[[Business], Iterable[Posting]] | None = None
    #: A read-only view computed from other records on each request (``/ledger_entries``,
    #: ``/transactions``), never stored: lists and GETs read it instead of a collection.
    view: Callable[[Business], Iterable[Record]] | None = None


RESOURCES: dict[str, Resource] = {}


def register(resource: Resource) -> Resource:
    if resource.name in RESOURCES:
        raise ValueError(f"sandbox resource {resource.name!r} is registered twice")
    RESOURCES[resource.name] = resource
    return resource


def register_read_only(name: str, **fields: Any) -> Resource:
    """Register a resource Sage only lists and gets (reference data, views of the ledger)."""
    return register(Resource(name, name, on_collection=READ, on_record=READ, **fields))
