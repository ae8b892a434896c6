"""How a Sage 200 create or posting is found again when its outcome is unknown.

Sage 200 documents no idempotency mechanism, so the HTTP layer never repeats a write whose
outcome it does not know. The runner's executor (``sageflow._execute``) asks a component's
marker instead, before sending such a write again:

- a posting (invoice, credit note, receipt, payment, bank entry) carries the write's marker in
  ``second_reference`` when the caller left it empty, and is found by
  ``$filter=second_reference eq '<marker>' and <trader> eq <id>`` on the posted transactions;
  its answer is rebuilt as the posting's own (``{"urn": ...}``);
- a customer or supplier is found by its ``reference``, which Sage keeps unique per ledger
  (a second create would be refused), so nothing is added to it.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Any

from sage200._odata import eq
from sage200._wire import read
from sageflow._markers import marker_text
from sageflow._values import HTTPRequest, HTTPResponse

_JSON = {"content-type": "application/json"}


def _body(request: HTTPRequest) -> dict[str, Any] | None:
    return request.json if request.method == "POST" and isinstance(request.json, dict) else None


@dataclass(frozen=True)
class PostingMarker:
    """A posting's marker in ``second_reference`` (20 characters in every posting schema)."""

    #: Where the posting shows up: ``/sales_posted_transactions`` and the like.
    posted: str
    #: The body field naming the account it was posted to (``customer_id``), matched too.
    owner: str
    field: str = "second_reference"

    def mark(self, request: HTTPRequest, token: str) -> HTTPRequest | None:
        body = _body(request)
        if body is None or body.get(self.field) not in (None, ""):
            return None  # the caller's own second reference is never overwritten
        return replace(request, json={**body, self.field: marker_text(token)})

    def find(
        self, request: HTTPRequest, token: str
    ) -> Generator[HTTPRequest, HTTPResponse, HTTPResponse | None]:
        body = _body(request)
        marker = marker_text(token)
        if (
            body is None
            or body.get(self.field) != marker
            or not isinstance(body.get(self.owner), int)
        ):
            return None
        where = f"{eq(self.field, marker)} and {eq(self.owner, body[self.owner])}"
        page = yield HTTPRequest("GET", self.posted, query={"$filter": where, "$top": 1})
        found = read(page)
        if isinstance(found, list) and found and found[0].get("urn") is not None:
            # What the posting answered: its urn (a string, as POST's response schema says).
            content = json.dumps({"urn": str(found[0]["urn"])}).encode()
            return HTTPResponse(200, _JSON, content)
        return None


@dataclass(frozen=True)
class ReferenceMarker:
    """A customer or supplier: its unique ``reference`` identifies it already."""

    collection: str  # /customers

    def mark(self, request: HTTPRequest, token: str) -> HTTPRequest | None:
        body = _body(request)
        return request if body is not None and body.get("reference") else None

    def find(
        self, request: HTTPRequest, token: str
    ) -> Generator[HTTPRequest, HTTPResponse, HTTPResponse | None]:
        body = _body(request)
        if body is None or not isinstance(body.get("reference"), str):
            return None
        where = eq("reference", body["reference"])
        page = yield HTTPRequest("GET", self.collection, query={"$filter": where, "$top": 1})
        found = read(page)
        if isinstance(found, list) and found:
            # Amounts as their exact text: the handler reads this answer as it reads Sage's.
            return HTTPResponse(200, _JSON, json.dumps(found[0], default=str).encode())
        return None


SALES = PostingMarker("/sales_posted_transactions", "customer_id")
PURCHASES = PostingMarker("/purchase_posted_transactions", "supplier_id")
BANK = PostingMarker("/bank_posted_transactions", "bank_id")
CUSTOMER = ReferenceMarker("/customers")
SUPPLIER = ReferenceMarker("/suppliers")
