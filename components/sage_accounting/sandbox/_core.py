"""The Sandbox: state, routing, Sage's envelopes and errors, and the chaos knobs."""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from sage_accounting._tax import line_amounts
from sage_accounting.connection import HEADER_KEYED, IDEMPOTENT_WRAPPERS
from sage_accounting.sandbox import (
    _families,  # noqa: F401 - registers the resource modules
    _payments,
)
from sage_accounting.sandbox import _resources as res
from sage_accounting.sandbox import _seed as seed
from sage_accounting.sandbox._oauth import DEV_TOKEN, OAuthServer
from sage_accounting.sandbox._registry import RESOURCES, Resource
from sage_accounting.sandbox._resources import Business, SageError, invalid, link, not_found
from sageflow.sandbox._chaos import Chaos, ChaosGate, Stats
from sageflow.sandbox._reply import Reply, json_reply
from sageflow.sandbox._shell import SimulatorShell
from sageflow.sandbox._store import Clock, Collection, Persistence, Record

API_PREFIX = "/v3.1"
SEED_TIME = datetime(2025, 10, 1, 8, 30, 0, tzinfo=UTC)
MAX_ITEMS_PER_PAGE = 200
DEFAULT_ITEMS_PER_PAGE = 20
#: Sage's 401 texts, as recorded live (CauldronUp/cauldron, see docs/sandbox-fidelity.md).
NO_AUTHORIZATION = (
    "Authorization missing. Please, add an authorization token at the 'Authorization' HTTP header."
)
JWT_INVALID = "Access token is invalid (JWT malformed or missing)."
MULTI_USER_ACCESS_DENIED = (
    "The current user is not allowed to access that resource with that method."
)
#: What /businesses reports as its page size: every business comes in one page (observed).
BUSINESSES_PER_PAGE = 2147483647


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Reply:
    body = [{"$severity": "error", "$dataCode": code, "$message": message, "$source": ""}]
    return json_reply(status, body, headers)


def _sage_error(error: SageError, headers: Mapping[str, str]) -> Reply:
    return json_reply(error.status, error.body(), headers)


#: Reference data every business shares (ids are codes, not generated); read-only routes.
SHARED = (
    "contact_types",
    "contact_person_types",
    "address_types",
    "countries",
    "currencies",
    "ledger_account_types",
    "tax_rates",
)
#: resource -> (body wrapper, methods on the collection, methods on one record)
ROUTES: dict[str, tuple[str, frozenset[str], frozenset[str]]] = {
    "contacts": ("contact", frozenset({"GET", "POST"}), frozenset({"GET", "PUT", "DELETE"})),
    "contact_persons": (
        "contact_person",
        frozenset({"GET", "POST"}),
        frozenset({"GET", "PUT", "DELETE"}),
    ),
    "addresses": ("address", frozenset({"GET"}), frozenset({"GET"})),
    "ledger_accounts": ("ledger_account", frozenset({"GET", "POST"}), frozenset({"GET", "PUT"})),
    "sales_invoices": (
        "sales_invoice",
        frozenset({"GET", "POST"}),
        frozenset({"GET", "PUT", "DELETE"}),
    ),
    "purchase_invoices": (
        "purchase_invoice",
        frozenset({"GET", "POST"}),
        frozenset({"GET", "PUT", "DELETE"}),
    ),
    **{name: (name[:-1], frozenset({"GET"}), frozenset({"GET"})) for name in SHARED},
}
_KINDS = {"sales_invoices": res.SALES, "purchase_invoices": res.PURCHASES}
#: How long Sage replays the first result of an ``idempotency_id`` ([G-idem]: 7 days).
REPLAY_WINDOW = 7 * 24 * 3600.0
IDEMPOTENCY_CONFLICTS = frozenset({"reject", "replay"})


def _digest(method: str, path: str, body: bytes) -> str:
    """What "the very same request" means for a replay: method, path and body (a body keyed by
    ``idempotency_id`` arrives here re-encoded with sorted keys, so key order does not count)."""
    return hashlib.sha256(f"{method} {path} ".encode() + body).hexdigest()


class Sandbox(SimulatorShell):
    """A simulated Sage Business Cloud Accounting v3.1 API, usable synchronously.

    Args:
        clock: sandbox time; :meth:`Clock.manual` for tests that advance it by hand.
        chaos: fault injection knobs (also settable later through ``sandbox.chaos``).
        data: a SQLite file; state is loaded from it when it exists and every write goes to it.
        require_auth: refuse API calls without a valid bearer token (as Sage does).
        strict: refuse (422 naming the field) every body field the sandbox does not simulate,
            rather than accept and drop it; ``False`` accepts and ignores them, as an unknown
            field would be on a lenient server. See docs/sandbox-fidelity.md.
        past_end_page: what ``$page`` says when a page past the end is asked for: ``"last"``
            (the page actually returned; inferred) or ``"requested"`` (the number asked for).
        idempotency: honour ``idempotency_id`` in the body of POSTs to the resources Sage's
            Idempotency guide lists, for 7 days of sandbox time, and ``X-Idempotency-Key`` on
            the two tax-return POSTs whose spec declares it, as Sage does. ``False`` honours
            neither (``sageflow sandbox serve --no-idempotency``): every POST writes, which is
            what a client meets past the 7 days or on a resource Sage does not list, and what
            exercises its fallback (markers).
        idempotency_conflict: what a reused ``idempotency_id`` with a *different* body gets;
            Sage's guide stops before saying (UNKNOWN, facts Q1). ``"reject"`` (default): 422,
            which surfaces a client that reuses ids; ``"replay"``: the first result again.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        chaos: Chaos | None = None,
        data: str | Path | None = None,
        require_auth: bool = True,
        strict: bool = True,
        past_end_page: str = "last",
        idempotency: bool = True,
        idempotency_conflict: str = "reject",
    ) -> None:
        if idempotency_conflict not in IDEMPOTENCY_CONFLICTS:
            raise ValueError(
                f"idempotency_conflict must be one of {sorted(IDEMPOTENCY_CONFLICTS)},"
                f" not {idempotency_conflict!r}"
            )
        self.idempotency = idempotency
        self.idempotency_conflict = idempotency_conflict
        self.clock = clock or Clock()
        self.require_auth = require_auth
        self.strict = strict
        if past_end_page not in {"last", "requested"}:
            raise ValueError("past_end_page must be 'last' or 'requested'")
        self.past_end_page = past_end_page
        self.stats = Stats()
        self._lock = threading.RLock()
        self.gate = ChaosGate(chaos or Chaos(), self.stats, self.clock.time, self._lock)
        self.random = self.gate.random
        self._list_cache: dict[tuple[Any, ...], list[Record]] = {}
        self._ids = 0
        self.persist = Persistence(Path(data)) if data is not None else None
        self.shared = self._reference_data()
        self.businesses: dict[str, Business] = {}
        self.user: Record = {}
        if self.persist is None:
            self._seed()
        else:
            # Under the file's write lock: of several processes opening a new file at once,
            # one seeds it and the others load what it wrote.
            with self.persist.write():
                if self.persist.is_empty():
                    self._seed()
                else:
                    self._load()
        self.oauth = OAuthServer(self.clock, self.user["id"])

    @property
    def chaos(self) -> Chaos:
        """The fault knobs; change a field or the whole object at any moment."""
        return self.gate.chaos

    @chaos.setter
    def chaos(self, knobs: Chaos) -> None:
        self.gate.chaos = knobs

    # -- public helpers ----------------------------------------------------------------------------

    #: What the HTTP layer's sandbox fallback reads: where to send requests and with what token.
    api_base = "http://sandbox" + API_PREFIX
    access_token = DEV_TOKEN

    def describe(self, base: str) -> list[tuple[str, str]]:
        """What ``sageflow sandbox serve`` prints about this sandbox, served at ``base``."""
        business = self.lead_business
        return [
            ("OAuth", f"{base}/oauth2/authorize, {base}/oauth2/token"),
            ("Business", f"{business.name} ({business.id})"),
            (
                "Idempotency",
                "idempotency_id in the body, 7 days"
                if self.idempotency
                else "off (every POST writes)",
            ),
        ]

    def transport(self) -> httpx.BaseTransport:
        """An ``httpx`` transport that calls this sandbox in-process (no socket)."""
        from sage_accounting.sandbox._adapters import SandboxTransport

        return SandboxTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """The async twin of :meth:`transport`; latency is an ``asyncio.sleep``."""
        from sage_accounting.sandbox._adapters import AsyncSandboxTransport

        return AsyncSandboxTransport(self)

    @property
    def lead_business(self) -> Business:
        """The business used when a request names none (Sage's "lead business")."""
        return next(iter(self.businesses.values()))

    def business(self, key: str | None = None) -> Business:
        return self.lead_business if key is None else self.businesses[key]

    def issue_token(self) -> dict[str, Any]:
        """A token pair as ``/oauth2/token`` returns it, without the browser dance."""
        return self.oauth.issue()

    def advance(self, seconds: float) -> None:
        """Move sandbox time forward (expires tokens, refills the rate-limit bucket)."""
        self.clock.advance(seconds)

    def records(self, resource: str, business: str | None = None) -> list[Record]:
        """The current records of a resource, for assertions ("exactly 300 invoices")."""
        return list(self.business(business).collection(resource))

    def add_contacts(
        self,
        count: int,
        *,
        prefix: str = "Contact",
        contact_type: str = "CUSTOMER",
        business: str | None = None,
    ) -> list[str]:
        """Create ``count`` contacts directly (same validation, no HTTP): benchmark set-up for
        lists of 100,000 records takes seconds instead of a minute of requests."""

        def create() -> list[str]:
            biz = self.business(business)
            width = len(str(count))
            made = [
                res.create_contact(
                    biz, {"name": f"{prefix} {n:0{width}}", "contact_type_ids": [contact_type]}
                )["id"]
                for n in range(count)
            ]
            self._save_state()
            return made

        with self._lock:
            created: list[str] = self._persisted("POST", create)
            return created

    def record_payment(
        self, invoice_id: str, amount: Decimal | str, business: str | None = None
    ) -> Record:
        """Pay (part of) an invoice, moving it to PART_PAID or PAID, without a request."""

        def pay() -> Record:
            # A real contact payment into the first current account (sandbox/_payments.py), so
            # balances, the ledger and /contact_payments all see it.
            paid = _payments.pay(self.business(business), invoice_id, Decimal(str(amount)))
            self._save_state()
            return paid

        with self._lock:
            paid: Record = self._persisted("POST", pay)
            return paid

    # -- the handler -------------------------------------------------------------------------------

    def _reload(self) -> None:
        """Replace the in-memory books with the state file's (another process wrote to it)."""
        assert self.persist is not None
        self.businesses = {}
        self._list_cache.clear()
        self._load()
        self.persist.synced()

    def _dispatch(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        if path.startswith("/oauth2/"):
            return self.oauth.handle(method, path, query, headers, body)
        if not path.startswith(API_PREFIX + "/"):
            return _error(404, "RecordNotFound", "Route not found")
        refused = self._authenticate(headers)
        if refused is not None:
            return refused
        pre = self._chaos_before()
        if pre is not None:
            return pre
        business_id = headers.get("x-business")
        biz = self.businesses.get(business_id) if business_id else self.lead_business
        if biz is None:
            # [G-ar][G-err]: Sage's 403 body is always this one
            # (errors__403_multi_user_access_denied__sage-guide-errors.json).
            return _error(403, "MultiUserAccessDenied", MULTI_USER_ACCESS_DENIED)
        echo = {"x-business": biz.id}
        key, body = self._idempotency_key(method, path, headers, body)
        digest = _digest(method, path, body) if key else ""
        if key:
            previous = biz.replies.get(key)
            if previous is not None and self.clock.time() - previous.get("at", 0) < REPLAY_WINDOW:
                return self._replay(previous, method, path, digest, echo)
        reply = self._route(biz, method, path[len(API_PREFIX) :], query, headers, body, echo)
        if key and reply.status < 500 and reply.status != 429:
            stored = {
                "method": method,
                "path": path,
                "status": reply.status,
                "body": reply.body.decode(),
                "at": self.clock.time(),
                "digest": digest,
            }
            biz.replies[key] = stored
            if self.persist is not None:
                self.persist.save_reply(biz.id, key, stored)
        if method != "GET" and reply.status < 300:
            self._save_state()
        if self.gate.drops_after_commit():
            reply.fault = "drop"
        return reply

    def _idempotency_key(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[str | None, bytes]:
        """The key a request is deduplicated by (or ``None``), and the body without the id.

        Sources: [G-idem] (body ``idempotency_id`` inside the wrapper of a listed resource,
        off unless sent, a 32-character client-generated id) and swagger.taxes.json
        (``X-Idempotency-Key`` required on the two tax-return POSTs only; a header anywhere
        else is ignored, facts Q1 INFERRED). The id is not a field of any request schema, so it
        is taken off before the resource sees the body, in both modes.
        """
        if method != "POST":
            return None, body
        if path[len(API_PREFIX) :].rstrip("/") in HEADER_KEYED:
            header = headers.get("x-idempotency-key")
            return (f"header:{header}" if header and self.idempotency else None), body
        if b'"idempotency_id"' not in body:
            return None, body
        try:
            data = json.loads(body)
        except ValueError:
            return None, body
        if not isinstance(data, dict) or len(data) != 1:
            return None, body
        ((wrapper, inner),) = data.items()
        if wrapper not in IDEMPOTENT_WRAPPERS or not isinstance(inner, dict):
            return None, body
        value = inner.pop("idempotency_id", None)
        body = json.dumps({wrapper: inner}, sort_keys=True).encode()
        if not self.idempotency or not isinstance(value, str) or not value:
            return None, body
        return f"idempotency_id:{value}", body

    def _replay(
        self,
        stored: Mapping[str, Any],
        method: str,
        path: str,
        digest: str,
        echo: dict[str, str],
    ) -> Reply:
        if stored["method"] != method or stored["path"] != path:
            return json_reply(
                422,
                invalid(("idempotency_id", "was already used for a different request")).body(),
                echo,
            )
        if stored.get("digest", digest) != digest and self.idempotency_conflict == "reject":
            return json_reply(
                422,
                invalid(("idempotency_id", "was already used with a different body")).body(),
                echo,
            )
        self.stats.replays += 1
        # No "replayed" header: Sage's guide documents none, so a client must not learn to
        # rely on one here ([G-idem]; the sandbox's stats count replays for tests instead).
        headers = {"content-type": "application/json; charset=utf-8", **echo}
        return Reply(stored["status"], headers, stored["body"].encode())

    def _authenticate(self, headers: Mapping[str, str]) -> Reply | None:
        if not self.require_auth:
            return None
        header = headers.get("authorization")
        if not header:
            # Sage's gateway answers a missing header with an object, not the error array
            # (errors__401_authorization_header_missing__cauldron-live.json, recorded live).
            return json_reply(401, {"error": NO_AUTHORIZATION}, {"www-authenticate": "Bearer"})
        scheme, _, token = header.partition(" ")
        state = self.oauth.token_state(token.strip()) if scheme.lower() == "bearer" else "unknown"
        if state == "ok":
            return None
        # errors__401_access_token_invalid__cauldron-live.json: an array naming the header.
        # The text for an expired token is not recorded (unknown); it keeps the same shape.
        message = "Access token has expired" if state == "expired" else JWT_INVALID
        body = [
            {
                "$severity": "error",
                "$dataCode": "AccessTokenVerificationError",
                "$message": message,
                "$source": "Authorization",
            }
        ]
        return json_reply(401, body, {"www-authenticate": 'Bearer error="invalid_token"'})

    def _chaos_before(self) -> Reply | None:
        fault = self.gate.before()
        if fault is None:
            return None
        if fault.throttle_seconds:
            return self._throttle(fault.throttle_seconds)
        return self._fault(fault.status)

    def _fault(self, outcome: int) -> Reply:
        if outcome == 500:
            self.stats.faults["error_500"] += 1
            return _error(500, "UnexpectedError", "An unexpected error occurred.")
        if outcome == 503:
            self.stats.faults["error_503"] += 1
            return _error(503, "ServiceUnavailable", "The service is temporarily unavailable.")
        return Reply(504, {}, b"", fault="timeout")

    def _throttle(self, seconds: int) -> Reply:
        return _error(
            429,
            "TooManyRequests",
            "Too many requests. Please retry later.",
            {"retry-after": str(seconds)},
        )

    # -- routing -----------------------------------------------------------------------------------

    def _route(
        self,
        biz: Business,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        echo: dict[str, str],
    ) -> Reply:
        parts = path.strip("/").split("/")
        name = parts[0]
        try:
            if name in {"financial_settings", "user"} and len(parts) == 1:
                return self._singleton(biz, name, method, headers, body, echo)
            if name == "businesses" and len(parts) <= 2:
                return self._businesses(parts, method, query, headers, body, echo)
            registered = RESOURCES.get(name)
            if registered is not None and len(parts) <= 3:
                return self._registered(biz, registered, parts, method, query, headers, body, echo)
            route = ROUTES.get(name)
            if route is None or len(parts) > 3:
                return _error(404, "RecordNotFound", "Route not found", echo)
            wrapper, on_collection, on_record = route
            if len(parts) == 3:
                if parts[2] != "release" or name not in _KINDS:
                    return _error(404, "RecordNotFound", "Route not found", echo)
                if method != "POST":
                    return self._not_allowed({"POST"}, echo)
                record = biz.collection(name).get(parts[1])
                if record is None:
                    raise not_found()
                released = res.release_invoice(biz, _KINDS[name], record)
                return json_reply(201, self._full(biz, released, {}), echo)
            allowed = on_record if len(parts) == 2 else on_collection
            if method not in allowed:
                return self._not_allowed(allowed, echo)
            q = dict(parse_qsl(query, keep_blank_values=True))
            if method == "GET":
                if len(parts) == 1:
                    return self._list(biz, name, path, query, q, echo)
                record = self._shared_or(biz, name).get(parts[1])
                if record is None:
                    raise not_found()
                return json_reply(200, self._full(biz, record, q), echo)
            if method == "DELETE":
                return self._delete(biz, name, parts[1], q, echo, self._void_reason(q, body))
            data = self._body(headers, body, wrapper)
            if method == "POST":
                created = self._create(biz, name, data)
                return json_reply(201, self._full(biz, created, {}), echo)
            record = biz.collection(name).get(parts[1])
            if record is None:
                raise not_found()
            updated = self._update(biz, name, record, data)
            return json_reply(200, self._full(biz, updated, {}), echo)
        except SageError as error:
            return _sage_error(error, echo)
        except _BadRequestError as error:
            return error.reply(echo)

    def _registered(
        self,
        biz: Business,
        resource: Resource,
        parts: list[str],
        method: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        echo: dict[str, str],
    ) -> Reply:
        """A request to a resource a family module registered (see ``_registry``)."""
        name = resource.name
        q = dict(parse_qsl(query, keep_blank_values=True))
        if resource.singleton is not None:
            if len(parts) != 1:
                return _error(404, "RecordNotFound", "Route not found", echo)
            allowed = resource.on_collection
            if method not in allowed:
                return self._not_allowed(allowed, echo)
            current = resource.singleton(biz)
            if method == "GET":
                return json_reply(200, self._full(biz, current, q), echo)
            assert resource.update is not None, f"{name}: a PUT route needs an update"
            data = self._body(headers, body, resource.wrapper)
            self._check_fields(resource, data, update=True)
            return json_reply(200, self._full(biz, resource.update(biz, current, data), {}), echo)
        if len(parts) == 3:
            download = resource.files.get(parts[2])
            if download is not None and method == "GET":
                found = biz.collection(name).get(parts[1])
                if found is None:
                    raise not_found()
                if "application/octet-stream" not in headers.get("accept", "").lower():
                    # getAttachmentsKeyFile: Accept "must always be set to
                    # application/octet-stream for retrieving files" (required; [G-mig] too).
                    # What Sage answers without it is unknown: 406, as HTTP has it (inferred).
                    return _error(
                        406,
                        "NotAcceptable",
                        "Set the Accept header to application/octet-stream to retrieve a file",
                        echo,
                    )
                content_type, content = download(biz, found)
                return Reply(200, {"content-type": content_type, **echo}, content)
            action = resource.actions.get(parts[2])
            if action is None:
                return _error(404, "RecordNotFound", "Route not found", echo)
            if method != "POST":
                return self._not_allowed({"POST"}, echo)
            record = biz.collection(name).get(parts[1])
            if record is None:
                raise not_found()
            payload = json.loads(body) if body.strip() else {}
            inner = payload.get(resource.wrapper) if isinstance(payload, dict) else None
            changed = action(biz, record, inner if isinstance(inner, dict) else {})
            return json_reply(201, self._full(biz, changed, {}), echo)
        allowed = resource.on_record if len(parts) == 2 else resource.on_collection
        if method not in allowed:
            return self._not_allowed(allowed, echo)
        if method == "GET":
            if len(parts) == 1:
                return self._list(biz, name, "/".join(parts), query, q, echo)
            found = self._shared_or(biz, name).get(parts[1])
            if found is None:
                raise not_found()
            return json_reply(200, self._full(biz, found, q), echo)
        if method == "DELETE":
            record = biz.collection(name).get(parts[1])
            if record is None:
                raise not_found()
            if resource.delete is None:
                biz.remove(name, parts[1])
                return Reply(204, dict(echo), b"")
            # void_reason from the query (the spec) or a JSON body (the guide), as for invoices.
            reason = self._void_reason(q, body)
            answer = resource.delete(biz, record, {**q, "void_reason": reason} if reason else q)
            if answer is None:
                return Reply(204, dict(echo), b"")
            return json_reply(200, self._full(biz, answer, {}), echo)
        data = self._body(headers, body, resource.wrapper)
        if method == "POST":
            assert resource.create is not None, f"{name}: a POST route needs a create"
            self._check_fields(resource, data)
            return json_reply(201, self._full(biz, resource.create(biz, data), {}), echo)
        record = biz.collection(name).get(parts[1])
        if record is None:
            raise not_found()
        assert resource.update is not None, f"{name}: a PUT route needs an update"
        self._check_fields(resource, data, update=True)
        return json_reply(200, self._full(biz, resource.update(biz, record, data), {}), echo)

    def _check_fields(
        self, resource: Resource, data: Mapping[str, Any], *, update: bool = False
    ) -> None:
        if not self.strict or resource.simulated is None:
            return
        tree = resource.simulated
        if update:
            tree = {k: v for k, v in tree.items() if k not in resource.create_only}
        problems = res.unsimulated_in(tree, data)
        if problems:
            raise invalid(*problems)

    def _not_allowed(self, allowed: frozenset[str] | set[str], echo: dict[str, str]) -> Reply:
        return _error(
            405,
            "MethodNotAllowed",
            "The HTTP method is not allowed for this resource.",
            {**echo, "allow": ", ".join(sorted(allowed))},
        )

    def _body(self, headers: Mapping[str, str], body: bytes, wrapper: str) -> Mapping[str, Any]:
        content_type = headers.get("content-type", "")
        if not content_type.lower().startswith("application/json"):
            raise _BadRequestError(
                415, "UnsupportedMediaType", "The request's Content-Type must be application/json"
            )
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            message = "The request body is not valid JSON"
            raise _BadRequestError(400, "InvalidJson", message) from None
        inner = payload.get(wrapper) if isinstance(payload, dict) else None
        if not isinstance(inner, dict):
            raise invalid((wrapper, "param is missing or the value is empty"))
        return inner

    def _refuse_unsimulated(
        self, name: str, data: Mapping[str, Any], *, update: bool = False
    ) -> None:
        # Strict mode: a field the sandbox would not act on is a 422 naming it, never a field
        # accepted and dropped (issue 9; docs/sandbox-fidelity.md lists what is simulated).
        problems = res.unsimulated(name, data, update=update) if self.strict else []
        if problems:
            raise invalid(*problems)

    def _create(self, biz: Business, name: str, data: Mapping[str, Any]) -> Record:
        self._refuse_unsimulated(name, data)
        if name == "contacts":
            return res.create_contact(biz, data)
        if name == "contact_persons":
            return res.create_contact_person(biz, data)
        if name == "ledger_accounts":
            scopes = data.get("visible_scopes")
            return res.create_ledger_account(
                biz, data, scopes=scopes if isinstance(scopes, list) else None
            )
        return res.create_invoice(biz, _KINDS[name], data, check_amounts=self.strict)

    def _update(self, biz: Business, name: str, record: Record, data: Mapping[str, Any]) -> Record:
        self._refuse_unsimulated(name, data, update=True)
        if name == "contacts":
            return res.update_contact(biz, record, data)
        if name == "contact_persons":
            return res.update_contact_person(biz, record, data)
        if name == "ledger_accounts":
            return res.update_ledger_account(biz, record, data)
        return res.update_invoice(biz, _KINDS[name], record, data, check_amounts=self.strict)

    def _void_reason(self, q: Mapping[str, str], body: bytes) -> str:
        """``void_reason`` from the query (the spec) or a JSON body (the guide, [G-inv]).

        Sage's documents disagree and no recording settles it, so both are read; the pack sends
        both. Two different reasons in one request are refused: which one Sage keeps is unknown.
        """
        in_query = res.text(q.get("void_reason"))
        in_body = ""
        if body.strip():
            try:
                payload = json.loads(body)
            except ValueError:
                message = "The request body is not valid JSON"
                raise _BadRequestError(400, "InvalidJson", message) from None
            if isinstance(payload, dict):
                in_body = res.text(payload.get("void_reason"))
        if in_query and in_body and in_query != in_body:
            raise invalid(("void_reason", "differs between the query and the body"))
        return in_query or in_body

    def _delete(
        self,
        biz: Business,
        name: str,
        key: str,
        q: Mapping[str, str],
        echo: dict[str, str],
        void_reason: str = "",
    ) -> Reply:
        record = biz.collection(name).get(key)
        if record is None:
            raise not_found()
        if name == "sales_invoices":
            # Sage voids rather than deletes an issued sales invoice, and answers with it.
            voided = res.void_sales_invoice(biz, record, void_reason)
            if record["status"]["id"] == "DRAFT":  # a draft is really deleted: no body
                return Reply(204, dict(echo), b"")
            return json_reply(200, self._full(biz, voided, {}), echo)
        if name == "contacts":
            res.delete_contact(biz, record)
        elif name == "purchase_invoices":
            res.delete_purchase_invoice(biz, record)
        else:
            biz.remove(name, key)
        return Reply(204, dict(echo), b"")

    def _shared_or(self, biz: Business, name: str) -> Collection:
        registered = RESOURCES.get(name)
        if registered is not None and registered.view is not None:
            view = Collection(name)
            for record in registered.view(biz):
                view.put(record)
            return view
        return self.shared[name] if name in self.shared else biz.collection(name)

    # -- lists -------------------------------------------------------------------------------------

    def _list(
        self,
        biz: Business,
        name: str,
        path: str,
        raw_query: str,
        q: Mapping[str, str],
        echo: dict[str, str],
        *,
        per_page_key: str = "$itemsPerPage",
        records: list[Record] | None = None,
        one_page: bool = False,
    ) -> Reply:
        try:
            per_page = int(q.get("items_per_page") or DEFAULT_ITEMS_PER_PAGE)
            page = int(q.get("page") or 1)
        except ValueError:
            raise invalid(("items_per_page", "is not a number")) from None
        if per_page < 1 or page < 1:
            raise invalid(("items_per_page" if per_page < 1 else "page", "must be greater than 0"))
        per_page = min(per_page, MAX_ITEMS_PER_PAGE)
        if records is None:
            records = self._matching(biz, name, q)
        if one_page:
            # /businesses: everything in one page, whatever was asked ([G-bp], [G-qs] and the
            # ledgerscope recording show $items_per_page 2147483647).
            page, per_page = 1, max(len(records), 1)
        last = max(1, math.ceil(len(records) / per_page))
        if page > last:
            # [G-pag]: "the last page will be returned automatically". $page then names the real
            # last page (inferred; ``past_end_page="requested"`` echoes the number asked for).
            # An empty collection has one empty last page: $items [] and $total 0 (inferred).
            shown = page if self.past_end_page == "requested" else last
            page = last
        else:
            shown = page
        start = (page - 1) * per_page
        attributes = _attributes(q.get("attributes"))
        nested = q.get("nested_attributes")
        balances = self._balances(biz, name, q)
        items = []
        for record in records[start : start + per_page]:
            if "deleted_at" in record and len(record) == 3:  # a deleted_since tombstone
                items.append(record)
                continue
            item = balances(_pick(record, attributes))
            items.append(self._expand(biz, item) if nested else item)
        pairs = [(k, v) for k, v in parse_qsl(raw_query, keep_blank_values=True) if k != "page"]
        base = "/" + path.strip("/")

        def link_to(number: int) -> str:
            return base + "?" + urlencode([("page", str(number)), *pairs], safe=":,")

        payload = {
            "$total": len(records),
            "$page": shown,
            "$next": link_to(page + 1) if start + per_page < len(records) else None,
            "$back": link_to(page - 1) if page > 1 else None,
            per_page_key: BUSINESSES_PER_PAGE if one_page else per_page,
            "$items": items,
        }
        return json_reply(200, payload, echo)

    def _matching(self, biz: Business, name: str, q: Mapping[str, str]) -> list[Record]:
        """Records a list query selects, in order; cached per collection version and query."""
        collection = self._shared_or(biz, name)
        registered = RESOURCES.get(name)
        if registered is not None:
            filters, make = registered.filters, registered.matches
        else:
            filters, make = res.FILTERS.get(name, (frozenset(), None))
        selective = tuple(sorted((k, v) for k, v in q.items() if k in filters))
        since = q.get("updated_or_created_since")
        deleted = q.get("deleted_since")
        sort = q.get("sort")
        key = (biz.id, name, collection.version, selective, since, deleted, sort)
        # A view is rebuilt per request: its version counts records, not changes to them.
        viewed = registered is not None and registered.view is not None
        cached = None if viewed else self._list_cache.get(key)
        if cached is not None:
            return cached
        if deleted:
            # Sage answers deleted_since with the tombstones, newer than the instant (exclusive).
            cutoff = res.parse_since(deleted, "deleted_since")
            found: list[Record] = [
                {"id": k, "$path": f"/{name}/{k}", "deleted_at": at}
                for k, at in collection.deleted.items()
                if at > cutoff
            ]
        else:
            found = list(collection.records.values())
            if selective and make is not None:
                matches = make(biz)
                found = [r for r in found if matches(r, q)]
            if since:
                cutoff = res.parse_since(since, "updated_or_created_since")
                found = [r for r in found if r["updated_at"] >= cutoff]
            order = registered.order if registered is not None else res.default_order(name)
            sortable = registered.sortable if registered is not None else res.SORTABLE.get(name)
            if sort:
                for term in reversed(sort.split(",")):
                    field_name, _, direction = term.partition(":")
                    if field_name not in (sortable or frozenset()):
                        raise invalid(("sort", f"{field_name} is not a sortable attribute"))
                    found.sort(key=res.sort_key(field_name), reverse=direction == "desc")
            elif order is not None:
                found.sort(key=order)
        if len(self._list_cache) > 32:
            self._list_cache.clear()
        self._list_cache[key] = found
        return found

    def _full(self, biz: Business, record: Record, q: Mapping[str, str]) -> Record:
        out = {k: v for k, v in record.items() if k[0] != "_"}
        name = record["$path"].split("/")[1]
        registered = RESOURCES.get(name)
        if q or (registered is not None and registered.computed is not None):
            out = self._balances(biz, name, q)(out)
        return self._expand(biz, out) if q.get("nested_attributes") else out

    def _balances(
        self, biz: Business, name: str, q: Mapping[str, str]
    ) -> Callable[[Record], Record]:
        """What ``show_balance`` (contacts) and ``show_balance_details`` (ledger accounts) add:
        figures computed from the invoices and payments the sandbox holds, once per request.
        ``show_legacy_id=true`` adds an integer ``legacy_id`` first ([G-attr], and
        contacts__list_show_legacy_id__sage-guide-migrating-v1.json); its value, a v1 id in
        Sage, is made up here from the record's id."""
        if q.get("show_payments_allocations") == "true":
            # [G-pay]: "show_payments_allocations=true on GET of an artefact includes its
            # allocations" (sandbox/_payments.py lists them).
            rest = {k: v for k, v in q.items() if k != "show_payments_allocations"}
            inner, held = self._balances(biz, name, rest), _payments.payments_allocations(biz)

            def with_allocations(item: Record) -> Record:
                return {**inner(item), "payments_allocations": held.get(str(item["id"]), [])}

            return with_allocations if name in _payments.ARTEFACTS else inner
        if q.get("show_legacy_id") == "true":
            rest = {k: v for k, v in q.items() if k != "show_legacy_id"}
            inner = self._balances(biz, name, rest)

            def with_legacy_id(item: Record) -> Record:
                key = str(item.get("id", ""))
                if not all(ch in "0123456789abcdef" for ch in key) or not key:
                    return inner(item)
                return {"legacy_id": int(key[:7], 16), **inner(item)}

            return with_legacy_id
        if name == "contacts" and q.get("show_balance") == "true":
            owed = res.contact_balances(biz)

            def with_balance(item: Record) -> Record:
                return {**item, "balance": res.money_text(owed.get(item["id"], Decimal(0)))}

            return with_balance
        if name == "ledger_accounts" and q.get("show_balance_details") == "true":
            start, end = q.get("from_date") or None, q.get("to_date") or None
            totals = res.ledger_totals(biz, start, end)

            def with_details(item: Record) -> Record:
                details = res.balance_details(totals, item["id"], start, end)
                return {**item, "balance_details": details}

            return with_details
        registered = RESOURCES.get(name)
        if registered is not None and registered.computed is not None:
            return registered.computed(biz)
        return lambda item: item

    def _expand(self, biz: Business, item: Record) -> Record:
        """``nested_attributes=all``: linked stubs become the linked records (one level)."""
        out = dict(item)
        for key, value in item.items():
            if isinstance(value, dict) and "$path" in value:
                out[key] = self._resolve(biz, value)
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                out[key] = [self._resolve(biz, v) if "$path" in v else v for v in value]
        return out

    def _resolve(self, biz: Business, stub: Record) -> Record:
        parts = str(stub["$path"]).strip("/").split("/")
        if len(parts) != 2:
            return stub
        known = parts[0] in ROUTES or parts[0] in RESOURCES
        found = self._shared_or(biz, parts[0]).get(parts[1]) if known else None
        return {k: v for k, v in found.items() if k[0] != "_"} if found else stub

    # -- businesses, user, financial settings ------------------------------------------------------

    def _businesses(
        self,
        parts: list[str],
        method: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        echo: dict[str, str],
    ) -> Reply:
        q = dict(parse_qsl(query, keep_blank_values=True))
        records = [b for b in self._business_records() if q.get("name", "") in b["name"]]
        if len(parts) == 1:
            if method != "GET":
                return self._not_allowed({"GET"}, echo)
            return self._list(
                self.lead_business,
                "businesses",
                "/businesses",
                query,
                q,
                echo,
                per_page_key="$items_per_page",
                records=records,
                one_page=True,
            )
        if method not in {"GET", "PUT"}:
            return self._not_allowed({"GET", "PUT"}, echo)
        biz = self.businesses.get(parts[1])
        if biz is None:
            raise not_found()
        record = biz.collection("_business").records["business"]
        if method == "PUT":
            data = self._body(headers, body, "business")
            record = dict(record)
            for key in ("name", "address_line_1", "address_line_2", "city", "postal_code"):
                if key in data:
                    record[key] = res.text(data[key])
            if not record["name"]:
                raise invalid(("name", "can't be blank"))
            record.update(displayed_as=record["name"], updated_at=self.clock.stamp())
            biz.name = record["name"]
            biz.save("_business", record)
            self._save_state()
        return json_reply(200, _public_business(record), echo)

    def _business_records(self) -> list[Record]:
        return [
            _public_business(b.collection("_business").records["business"])
            for b in self.businesses.values()
        ]

    def _singleton(
        self,
        biz: Business,
        name: str,
        method: str,
        headers: Mapping[str, str],
        body: bytes,
        echo: dict[str, str],
    ) -> Reply:
        if method not in {"GET", "PUT"}:
            return self._not_allowed({"GET", "PUT"}, echo)
        if name == "user":
            record = self.user
            if method == "PUT":
                data = self._body(headers, body, "user")
                for key in ("first_name", "last_name", "locale"):
                    if key in data:
                        record[key] = res.text(data[key])
                record["displayed_as"] = f"{record['first_name']} {record['last_name']}"
                record["updated_at"] = self.clock.stamp()
            return json_reply(200, record, echo)
        settings = biz.collection("_settings").records["financial_settings"]
        if method == "PUT":
            data = self._body(headers, body, "financial_settings")
            settings = dict(settings)
            for key in ("year_end_date", "accounts_start_date"):
                if key in data:
                    settings[key] = res.parse_date(data[key], key).isoformat()
            if "accounting_type" in data:
                if data["accounting_type"] not in {"accrual", "cash"}:
                    raise invalid(("accounting_type", "is invalid"))
                settings["accounting_type"] = data["accounting_type"]
            for key in ("multi_currency_enabled", "use_live_exchange_rates"):
                if key in data:
                    settings[key] = bool(data[key])
            if "tax_number" in data:
                settings["tax_number"] = res.text(data["tax_number"])
            settings["updated_at"] = self.clock.stamp()
            biz.save("_settings", settings)
            self._save_state()
        return json_reply(200, {k: v for k, v in settings.items() if k != "id"}, echo)

    # -- seeding and persistence -------------------------------------------------------------------

    def _new_id(self) -> str:
        # Deterministic ids: the n-th record of every fresh sandbox has the same id, so tests
        # and cassettes are stable; blake2b spreads them over 32 hex characters like Sage's.
        self._ids += 1
        return hashlib.blake2b(f"sageflow-sandbox:{self._ids}".encode(), digest_size=16).hexdigest()

    def _reference_data(self) -> dict[str, Collection]:
        shared = {name: Collection(name) for name in SHARED}
        for resource in RESOURCES.values():
            if resource.shared:
                shared[resource.name] = Collection(resource.name)
                for record in resource.reference() if resource.reference else ():
                    shared[resource.name].put(record)

        def add(resource: str, key: str, displayed_as: str, **extra: Any) -> None:
            path = f"/{resource}/{key}"
            shared[resource].put({"id": key, "displayed_as": displayed_as, "$path": path, **extra})

        for key, label in seed.CONTACT_TYPES:
            add("contact_types", key, label)
        for key, label in seed.CONTACT_PERSON_TYPES:
            add("contact_person_types", key, label)
        for key, label in seed.ADDRESS_TYPES:
            add("address_types", key, label)
        for key, label in seed.countries():
            add("countries", key, f"{label} ({key})", name=label)
        for key, label in seed.CURRENCIES:
            add("currencies", key, f"{label} ({key})", name=label)
        for key, (label, group, group_name) in seed.LEDGER_ACCOUNT_TYPES.items():
            add("ledger_account_types", key, label, _group=group, _group_name=group_name)
        for key, (name, label, percentage) in seed.TAX_RATES.items():
            shown = f"{label} {Decimal(percentage):.2f}%" if key != "GB_NO_TAX" else label
            # The shape and values of tax_rates__get_one_gb_standard__sage-swagger-2025-example.
            add(
                "tax_rates",
                key,
                shown,
                created_at="2013-07-03T10:38:09Z",
                updated_at="2021-07-01T16:49:32Z",
                name=name,
                agency=None,
                percentage=percentage,
                percentages=[
                    {"percentage": percentage, "from_date": "1900-01-01", "to_date": None}
                ],
                is_visible=True,
                retailer=False,
                editable=False,
                deletable=False,
                is_combined_rate=False,
                component_tax_rates=[],
            )
        return shared

    def _new_business(self, index: int, info: Mapping[str, str], clock: Clock) -> Business:
        key = hashlib.blake2b(f"sageflow-business:{index}".encode(), digest_size=16).hexdigest()
        biz = Business(key, info["name"], clock, self._new_id, self.persist)
        biz.collections.update(self.shared)
        self.businesses[key] = biz
        return biz

    def _seed(self) -> None:
        clock = Clock.manual(SEED_TIME)
        self.user = {
            "id": self._new_id(),
            "displayed_as": f"{seed.USER['first_name']} {seed.USER['last_name']}",
            "$path": "/user",
            "created_at": clock.stamp(),
            "updated_at": clock.stamp(),
            **seed.USER,
            "initials": "SS",
        }
        for index, info in enumerate(seed.BUSINESSES):
            biz = self._new_business(index, info, clock)
            stamp = clock.stamp()
            gb = self.shared["countries"].records["GB"]
            biz.save(
                "_business",
                {
                    "id": "business",
                    "displayed_as": info["name"],
                    "$path": f"/businesses/{biz.id}",
                    "created_at": stamp,
                    "updated_at": stamp,
                    "name": info["name"],
                    "address_line_1": info["address_line_1"],
                    "address_line_2": "",
                    "city": info["city"],
                    "region": "",
                    "postal_code": info["postal_code"],
                    "country": link(gb),
                    "telephone": "",
                    "mobile": "",
                    "website": "",
                    "is_demo": False,
                    "subscriptions": [],
                    "owner": link(self.user),
                },
            )
            biz.save("_settings", _financial_settings(info["tax_number"], stamp))
            for code, name, type_id, tax, scopes, control in seed.CHART:
                res.create_ledger_account(
                    biz,
                    {
                        "ledger_account_type_id": type_id,
                        "name": name,
                        "nominal_code": code,
                        "included_in_chart": True,
                        "tax_rate_id": tax,
                    },
                    scopes=scopes,
                    control_name=control,
                )
            for contact in seed.SYSTEM_CONTACTS:
                res.create_contact(biz, contact, system=True)
            customers = seed.CUSTOMERS if index == 0 else seed.CUSTOMERS[:1]
            suppliers = seed.SUPPLIERS if index == 0 else seed.SUPPLIERS[:1]
            for contact in customers:
                res.create_contact(biz, {**contact, "contact_type_ids": ["CUSTOMER"]})
            for contact in suppliers:
                res.create_contact(biz, {**contact, "contact_type_ids": ["VENDOR"]})
            if index == 0:
                self._seed_invoices(biz)
            for resource in RESOURCES.values():
                if resource.seed is not None:
                    resource.seed(biz, index)
            biz.clock = self.clock
        self._save_state()

    def _seed_invoices(self, biz: Business) -> None:
        def lines(rows: tuple[tuple[str, int, str, str, str], ...]) -> list[dict[str, Any]]:
            # The seed's invoices carry their VAT as the pack sends it (Sage books an omitted
            # tax_amount as zero, [G-inv]), so the seeded books and balances are a real
            # business's, not invoices at GB_STANDARD with no VAT.
            return [
                {
                    "description": description,
                    "ledger_account_id": biz.nominal_codes[code],
                    "quantity": quantity,
                    "unit_price": price,
                    "tax_rate_id": tax,
                    "tax_amount": str(
                        line_amounts(
                            Decimal(quantity), Decimal(price), Decimal(seed.TAX_RATES[tax][2])
                        ).tax
                    ),
                }
                for description, code, quantity, price, tax in rows
            ]

        for reference, day, rows in seed.SALES_INVOICES:
            res.create_invoice(
                biz,
                res.SALES,
                {
                    "contact_id": biz.references[reference],
                    "date": day,
                    "invoice_lines": lines(rows),
                },
            )
        for reference, vendor_reference, day, rows in seed.PURCHASE_INVOICES:
            res.create_invoice(
                biz,
                res.PURCHASES,
                {
                    "contact_id": biz.references[reference],
                    "vendor_reference": vendor_reference,
                    "date": day,
                    # postPurchaseInvoices requires due_date; 30 days is the suppliers' terms.
                    "due_date": (date.fromisoformat(day) + timedelta(days=30)).isoformat(),
                    "invoice_lines": lines(rows),
                },
            )

    def _save_state(self) -> None:
        if self.persist is None:
            return
        self.persist.set_state(
            {
                "ids": self._ids,
                "user": self.user,
                "businesses": {b.id: b.counters for b in self.businesses.values()},
            }
        )

    def _load(self) -> None:
        assert self.persist is not None
        state = self.persist.state()
        self._ids = int(state["ids"])
        self.user = state["user"]
        for index, (key, counters) in enumerate(state["businesses"].items()):
            biz = self._new_business(index, {"name": ""}, self.clock)
            assert biz.id == key, "the data file was written by another sandbox layout"
            biz.counters = dict(counters)
        for business, name, record in self.persist.records():
            biz = self.businesses[business]
            biz.collection(name).records[record["id"]] = record
            if name == "contacts" and record.get("reference"):
                biz.references[record["reference"].upper()] = record["id"]
            elif name == "ledger_accounts":
                biz.nominal_codes[record["nominal_code"]] = record["id"]
            elif name in _KINDS:
                contact = record["contact"]["id"]
                biz.usage[contact] = biz.usage.get(contact, 0) + 1
            elif name == "_business":
                biz.name = record["name"]
            elif name in RESOURCES:
                reload = RESOURCES[name].reload
                if reload is not None:
                    reload(biz, record)
        for business, name, key, at in self.persist.tombstones():
            self.businesses[business].collection(name).deleted[key] = at
        for business, key, reply in self.persist.replies():
            self.businesses[business].replies[key] = reply


class _BadRequestError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def reply(self, echo: Mapping[str, str]) -> Reply:
        return _error(self.status, self.code, self.message, echo)


def _attributes(raw: str | None) -> set[str] | str | None:
    if not raw:
        return None
    if raw.strip() == "all":
        return "all"
    return {a.strip() for a in raw.split(",") if a.strip()}


_BASE = ("id", "displayed_as", "$path")


def _pick(record: Record, attributes: set[str] | str | None) -> Record:
    if attributes is None:
        return {
            "id": record["id"],
            "displayed_as": record["displayed_as"],
            "$path": record["$path"],
        }
    if attributes == "all":
        return {k: v for k, v in record.items() if k[0] != "_"}
    out = {k: record[k] for k in _BASE if k in record}
    # Sage adds created_at whenever attributes are asked for (see the recorded samples).
    if "created_at" in record:
        out["created_at"] = record["created_at"]
    out.update((k, record[k]) for k in attributes if k in record and k[0] != "_")
    return out


def _public_business(record: Record) -> Record:
    # Stored under the fixed key "business" inside its own books; the public id is in $path.
    return {**record, "id": record["$path"].rsplit("/", 1)[1]}


def _financial_settings(tax_number: str, stamp: str) -> Record:
    return {
        "id": "financial_settings",
        "$path": "/financial_settings",
        "year_end_date": "2026-03-31",
        "year_end_lockdown_date": None,
        "accounting_type": "accrual",
        "accounts_start_date": "2025-04-01",
        "base_currency": {
            "id": "GBP",
            "displayed_as": "Pound Sterling (GBP)",
            "$path": "/currencies/GBP",
        },
        "multi_currency_enabled": False,
        "use_live_exchange_rates": False,
        "mtd_activation_status": "mtd_active",
        "mtd_connected": False,
        "mtd_authenticated_date": "",
        "tax_scheme": {
            "id": "STANDARD",
            "displayed_as": "Standard",
            "$path": "/tax_schemes/STANDARD",
        },
        "tax_return_frequency": {
            "id": "QUARTERLY",
            "displayed_as": "Quarterly",
            "$path": "/tax_return_frequencies/QUARTERLY",
        },
        "tax_number": tax_number,
        "general_tax_number": "",
        "tax_office": None,
        "default_irpf_rate": "0.0",
        "flat_rate_tax_percentage": None,
        "recoverable_percentage": None,
        "sales_tax_calculation": None,
        "purchase_tax_calculation": None,
        "updated_at": stamp,
        "postponed_accounting": False,
        "destination_vat": False,
    }


#: Re-exported for the package's public surface.
__all__ = ["DEV_TOKEN", "Chaos", "Reply", "Sandbox", "Stats"]
