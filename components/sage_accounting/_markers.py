"""Markers: how a Sage create is found again when its outcome is unknown (the fallback of
``idempotency_id``: resources Sage does not list, a resume after its 7 days, a server that
ignores it).

A component module only declares a :class:`Marker`; the runner's executor
(``sageflow._execute``) is the one place that uses it.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sageflow._markers import marker_text as marker_text  # moved; re-exported for callers
from sageflow._values import HTTPRequest, HTTPResponse, QueryValue


def _wrapped(body: Any) -> tuple[str, dict[str, Any]] | None:
    if isinstance(body, dict) and len(body) == 1:
        ((wrapper, inner),) = body.items()
        if isinstance(inner, dict):
            return wrapper, inner
    return None


def _given(inner: Mapping[str, Any], name: str) -> bool:
    return inner.get(name) not in (None, "")


def _same(found: Any, wanted: Any) -> bool:
    return str(found if found is not None else "").casefold() == str(wanted).casefold()


@dataclass(frozen=True)
class Marker:
    """Where a create leaves its marker and how Sage's list ``search`` finds it again.

    Attributes:
        fields: wire fields that may carry the marker, in order: the first the caller left
            empty gets it. The caller's own values are never overwritten.
        searchable: wire fields the list's ``search`` parameter covers (the spec's description
            of ``search``): the search term is the marker when it sits in one of them, else the
            caller's value of the first one set, and the marker is matched among the results.
        unique: a wire field Sage keeps unique per business; when the caller set it, that value
            identifies the record already (a second create would be refused), so it is what is
            looked for and nothing is added.
        search: the list's search parameter; None for a list that has none (contact payments),
            which ``narrow`` then filters instead.
        narrow: (query parameter, wire field) pairs: the list is filtered by the create's own
            values (its contact, its date), so the marker is matched among few records.
        length: characters of the marker.
    """

    fields: tuple[str, ...]
    searchable: tuple[str, ...]
    unique: str | None = None
    search: str | None = "search"
    length: int = 8
    narrow: tuple[tuple[str, str], ...] = ()

    def mark(self, request: HTTPRequest, token: str) -> HTTPRequest | None:
        wrapped = _wrapped(request.json) if request.method == "POST" else None
        if wrapped is None:
            return None
        wrapper, inner = wrapped
        if self.unique is not None and _given(inner, self.unique):
            return request
        marker = marker_text(token, self.length)
        for name in self.fields:
            if _given(inner, name):
                continue
            findable = self.search is None or name in self.searchable
            if findable or any(_given(inner, k) for k in self.searchable):
                return replace(request, json={wrapper: {**inner, name: marker}})
        return None  # every field that could carry it is the caller's: no marker

    def find(
        self, request: HTTPRequest, token: str
    ) -> Generator[HTTPRequest, HTTPResponse, HTTPResponse | None]:
        wrapped = _wrapped(request.json)
        if wrapped is None:
            return None
        match = self._match(wrapped[1], marker_text(token, self.length))
        if not match:
            return None
        field, value = next(iter(match.items()))
        collection = request.path.split("?", 1)[0].rstrip("/")
        query: dict[str, QueryValue] = {
            "attributes": ",".join(sorted(match)),
            "items_per_page": 200,
        }
        if self.search is not None:
            term = value if field in self.searchable else self._term(wrapped[1])
            if term is None:
                return None
            query[self.search] = str(term)
        for parameter, name in self.narrow:
            if _given(wrapped[1], name):
                query[parameter] = str(wrapped[1][name])
        page = yield HTTPRequest("GET", collection, query=query)
        for item in (page.json() or {}).get("$items", []):
            if all(_same(item.get(k), v) for k, v in match.items()):
                # The whole record, as the create would have answered it.
                record = yield HTTPRequest("GET", f"{collection}/{item['id']}")
                return HTTPResponse(201, dict(record.headers), record.content)
        return None

    def _match(self, inner: Mapping[str, Any], marker: str) -> dict[str, Any]:
        if self.unique is not None and _given(inner, self.unique):
            return {self.unique: inner[self.unique]}
        return {name: marker for name in self.fields if inner.get(name) == marker}

    def _term(self, inner: Mapping[str, Any]) -> Any:
        return next((inner[k] for k in self.searchable if _given(inner, k)), None)


#: A contact: ``reference`` (Sage keeps it unique per business; ``search`` covers "the contact
#: name, company name or reference"). A reference the caller set is itself the marker.
CONTACT = Marker(fields=("reference",), searchable=("reference",), unique="reference")
#: A sales or purchase invoice: ``reference`` when the caller left it empty (``search`` covers
#: "the invoice reference or contact name"), else ``notes``, found by searching the caller's
#: reference. Both set by the caller: no marker (``idempotency_id`` alone covers it).
INVOICE = Marker(fields=("reference", "notes"), searchable=("reference",))
#: A ledger account: its ``nominal_code`` is unique per business and required, so it is the
#: marker; ``search`` covers the name ("the item code or description").
LEDGER_ACCOUNT = Marker(fields=(), searchable=("name",), unique="nominal_code")
#: A contact payment: ``reference`` when the caller left it empty. Its list has no ``search``,
#: so the payments of the same contact on the same date are listed and the marker matched
#: among them (getContactPayments: contact_id, from_date, to_date).
CONTACT_PAYMENT = Marker(
    fields=("reference",),
    searchable=(),
    search=None,
    narrow=(("contact_id", "contact_id"), ("from_date", "date"), ("to_date", "date")),
)
#: An other payment: likewise, by its bank account and date (getOtherPayments).
OTHER_PAYMENT = Marker(
    fields=("reference",),
    searchable=(),
    search=None,
    narrow=(("bank_account_id", "bank_account_id"), ("from_date", "date"), ("to_date", "date")),
)
