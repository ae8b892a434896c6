"""Executes components' request values against a connection, sync and async: the only I/O."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, SecretStr

from sageflow._component import Component, Inputs
from sageflow._errors import (
    OutcomeUnknownError,
    ResponseLimitError,
    SageflowError,
    UnsafeRequestError,
)
from sageflow._execute import CallOptions, adrive, drive, write_key
from sageflow._http._exchange import ExchangedTokens
from sageflow._http._limits import Limiter, shared_limiter
from sageflow._http._oauth import TokenManager
from sageflow._http._profile import APIProfile, ConnectionSettings, HTTPConnectionSpec
from sageflow._http._redact import (
    MASK,
    SECRET_HEADERS,
    redact,
    redact_bytes,
    redact_exception,
    register_secret,
)
from sageflow._http._retry import THROTTLE_STATUSES, RetryPolicy
from sageflow._http._tokens import TokenStore
from sageflow._paths import ensure_api_path
from sageflow._registry import get_component, known_pack
from sageflow._values import HTTPRequest, HTTPResponse
from sageflow._version import __version__

logger = logging.getLogger("sageflow")

DEFAULT_TIMEOUT = 30.0
#: The most a response body may hold once decompressed. Sage's largest page (200 records with
#: every attribute) is a few MB; the cap is there so that a hostile or broken server (a gzip
#: bomb, an endless body) ends in a clear error instead of a MemoryError. ``None`` lifts it.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# Raw bytes read at a time, and the most one zlib call may produce: a bomb's output arrives
# in pieces that are counted as they come, so memory stays near the cap.
_READ_CHUNK = 64 * 1024
_INFLATE_STEP = 1024 * 1024
# The codings the layer decodes itself, within the cap (and so the only ones it advertises).
_ACCEPT_ENCODING = "gzip, deflate"
_JSON = "application/json"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Default headers of the httpx client that the layer always sets itself.
_OURS = frozenset({"user-agent", "accept"})
USER_AGENT = f"sageflow/{__version__}"
_BODY_LOG_LIMIT = 4000
_NO_OPTIONS = CallOptions()
# Headers a request value may not set: the layer owns who the request is for and as whom.
_RESERVED = frozenset({"authorization", "host", "cookie", "proxy-authorization"})


@dataclass
class Connection:
    """A configured connection at run time: where the API is and how to authenticate.

    ``tokens`` is set for OAuth connections (refreshing, rotating); ``settings.access_token``
    for a host-managed token; neither for an API that needs no credentials.
    """

    settings: ConnectionSettings
    profile: APIProfile = field(default_factory=APIProfile)
    tokens: TokenManager | None = None
    name: str = "default"
    #: Set instead of ``tokens`` for a connection that buys its token (``token_exchange``).
    exchange: ExchangedTokens | None = None

    def token_source(self) -> TokenManager | ExchangedTokens | None:
        return self.tokens if self.tokens is not None else self.exchange

    def __post_init__(self) -> None:
        for secret in self.settings.secrets():
            register_secret(secret)

    @classmethod
    def from_spec(
        cls,
        spec: HTTPConnectionSpec,
        values: BaseModel | dict[str, Any],
        *,
        store: TokenStore | None = None,
        name: str = "default",
        clock: Callable[[], float] = time.time,
    ) -> Connection:
        """Build a connection from a pack's spec and its field values (and a token store)."""
        settings = spec.resolve(values)
        tokens = None
        if settings.oauth is not None:
            if store is None:
                from sageflow._http._tokens import FileTokenStore

                store = FileTokenStore(name=name)
            tokens = TokenManager(settings.oauth, store, clock=clock)
        exchange = None
        if settings.token_exchange is not None:
            exchange = ExchangedTokens(settings.token_exchange, clock=clock)
        return cls(
            settings=settings, profile=spec.profile, tokens=tokens, name=name, exchange=exchange
        )

    @classmethod
    def with_token(
        cls, api_base: str, token: str, profile: APIProfile | None = None, **kwargs: Any
    ) -> Connection:
        """A connection with a fixed bearer token (hosts that run OAuth themselves)."""
        settings = ConnectionSettings(api_base=api_base, access_token=SecretStr(token), **kwargs)
        return cls(settings=settings, profile=profile or APIProfile())


@dataclass
class _Prepared:
    method: str
    url: httpx.URL
    headers: dict[str, str]
    keyed: bool
    #: The sender reconciles this write itself: an unknown outcome is raised, not repeated.
    reconciled: bool
    serial_key: str | None
    business: str | None
    policy: RetryPolicy
    log: bool
    #: Body, query and per-request timeout, as ``httpx.Request`` takes them.
    kwargs: dict[str, Any]
    #: The JSON body already encoded, for requests built on the fast path (see ``_build``).
    body: bytes | None = None
    fast: bool = False


#: Distinct request paths whose checked URL is kept (ids make paths vary; this bounds memory).
_URL_CACHE_SIZE = 512


@dataclass(frozen=True)
class _GetToken:
    """Operation: the current access token (refreshing it ahead of expiry)."""


@dataclass(frozen=True)
class _Transmit:
    """Operation: send this request through the limiter; answer with the response value
    (its body read within the size cap)."""

    request: httpx.Request


@dataclass(frozen=True)
class _Wait:
    """Operation: sleep before the next attempt."""

    seconds: float


@dataclass(frozen=True)
class _Refresh:
    """Operation: the API rejected this token; refresh it (once, single-flight)."""

    rejected: str


_TOKEN = _GetToken()
_Operation = _GetToken | _Transmit | _Wait | _Refresh


class _Base:
    def __init__(
        self,
        connection: Connection,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        limiter: Limiter | None = None,
        debug: bool = False,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.connection = connection
        self.max_response_bytes = max_response_bytes
        self.retry = retry or RetryPolicy()
        # Shared by every client of the same API in the process unless one is given: Sage's
        # quota and concurrency limit are per app, however many flows or accounts are open.
        self.limiter = limiter or shared_limiter(connection.settings.api_base)
        self.debug = debug
        self.timeout = httpx.Timeout(timeout)
        self._base = connection.settings.api_base.rstrip("/")
        base = httpx.URL(self._base)
        self._origin = (base.scheme, base.host, base.port)
        self._host = base.netloc  # the Host header of every request (all share the origin)
        self._warned: set[tuple[str, str]] = set()
        # Request paths already checked by ensure_api_path and joined to the base (parsing a URL
        # costs more than the in-process sandbox takes to answer; most calls reuse a few paths).
        self._urls: dict[str, httpx.URL] = {}
        self._timeouts = {"timeout": self.timeout.as_dict()}
        # The httpx client's own default headers (Accept-Encoding, Connection) that a request
        # keeps unless it sets them; set by the subclass once its httpx client exists.
        self._defaults: dict[str, str] = {}
        #: The embedded sandbox this client talks to, when it was opened for one.
        self.sandbox: Any = None

    # Everything but the send itself, shared by both clients.

    def _url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            url = httpx.URL(self._base + ensure_api_path(path))
            if (url.scheme, url.host, url.port) != self._origin:
                # ensure_api_path already refuses anything that could get here; this is the
                # last line that keeps the bearer token on the configured host.
                raise UnsafeRequestError(f"refusing to send credentials to {url.host!r}")
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            self._urls[path] = url
        return url

    def _prepare(self, request: HTTPRequest, options: CallOptions, write_no: int) -> _Prepared:
        url = self._url(request.path)
        profile = self.connection.profile
        accept = "application/octet-stream" if request.response_type == "binary" else _JSON
        # What httpx's build_request would send: the client's defaults that the request does
        # not override, then the request's own headers (Authorization is added per attempt).
        headers = dict(self._defaults)
        headers["User-Agent"] = USER_AGENT
        headers["Accept"] = accept
        business = options.business_id or self.connection.settings.business_id
        if business and profile.business_header:
            headers[profile.business_header] = business
        headers.update(self.connection.settings.headers)
        keyed = False
        if request.is_write:
            # The pack decides where the key goes (Sage: a body field on the resources its
            # guide lists, a header on two tax operations) and whether the API honours it there;
            # only an honoured key lets the layer repeat a write whose outcome it does not know.
            if options.idempotency_key:
                # One key per write of the call, so replaying the call replays each write.
                key = write_key(options.idempotency_key, write_no)
                request, keyed = profile.idempotency(request, key)
            else:
                attached, honoured = profile.idempotency(request, uuid.uuid4().hex)
                # Unchanged and honoured: the caller set its own key, which a resume sends too.
                own = attached is request
                request = attached
                keyed = honoured and (own or self.retry.trust_generated_keys)
        if request.headers:
            for name in request.headers:
                if name.lower() in _RESERVED:
                    raise UnsafeRequestError(f"a request may not set the {name} header")
            overridden = {name.lower() for name in request.headers}
            headers = {k: v for k, v in headers.items() if k.lower() not in overridden}
            headers.update(request.headers)
        serial = None
        if request.method == "POST" and profile.serial_write(request):
            serial = business or ""
        # Nearly every call: a JSON body or none, no query, no headers of the handler's own.
        fast = (
            not request.query
            and not self.connection.settings.query
            and request.form is None
            and not request.files
            and not request.headers
        )
        return _Prepared(
            method=request.method,
            url=url,
            headers=headers,
            keyed=keyed,
            reconciled=request.reconciled and request.is_write,
            serial_key=serial,
            business=business,
            policy=self.retry.with_override(request.retry),
            log=request.debug or options.debug or self.debug or logger.isEnabledFor(10),
            kwargs=self._build_kwargs(request),
            fast=fast,
            body=None if request.json is None or not fast else _encode_json(request.json),
        )

    def _build_kwargs(self, request: HTTPRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        fixed = self.connection.settings.query
        if request.query or fixed:
            pairs = request.query_pairs()
            # The request's own value of a connection-wide parameter wins (one call to another
            # dossier than the connection's).
            named = {name for name, _ in pairs}
            kwargs["params"] = [(k, v) for k, v in fixed.items() if k not in named] + pairs
        if request.files:
            kwargs["files"] = [
                (f.field, (f.filename, f.content, f.content_type)) for f in request.files
            ]
            if request.form:
                kwargs["data"] = dict(request.form)
        elif request.form is not None:
            kwargs["data"] = dict(request.form)
        elif request.json is not None:
            kwargs["json"] = request.json
        kwargs["extensions"] = (
            self._timeouts
            if request.timeout is None
            else {"timeout": httpx.Timeout(request.timeout).as_dict()}
        )
        return kwargs

    def _build(self, prepared: _Prepared, token: str | None) -> httpx.Request:
        # httpx.Request directly, not the client's build_request: the URL is already checked and
        # parsed, the headers already merged, and the client carries no cookies, params or
        # base URL to merge; build_request would parse and merge all of them again per attempt.
        headers = self._with_auth(prepared, token)
        if not prepared.fast:
            return httpx.Request(prepared.method, prepared.url, headers=headers, **prepared.kwargs)
        # The fast path gives httpx the finished header list and body stream, which skips its
        # header normalisation and re-merging (~20 us a request, more than the in-process
        # sandbox's answer takes). It produces exactly what httpx's own encoding would: Host
        # first, then Content-Length: 0 for an empty write, the headers as given, and for a
        # JSON body its Content-Length and Content-Type last (tests compare the two).
        body = prepared.body
        raw = [(b"Host", self._host)]
        if body is None and prepared.method in _BODY_METHODS:
            raw.append((b"Content-Length", b"0"))
        raw += [(k.encode("ascii"), v.encode("ascii")) for k, v in headers.items()]
        if body is not None:
            raw.append((b"Content-Length", str(len(body)).encode("ascii")))
            raw.append((b"Content-Type", b"application/json"))
        built = httpx.Request(
            prepared.method,
            prepared.url,
            headers=raw,
            stream=httpx.ByteStream(body or b""),
            extensions=prepared.kwargs["extensions"],
        )
        built.read()  # in memory already: makes .content available, as for a json= request
        return built

    def _with_auth(self, prepared: _Prepared, token: str | None) -> dict[str, str]:
        if token is None:
            return prepared.headers
        return {**prepared.headers, "Authorization": f"Bearer {token}"}

    def _exchange(self, prepared: _Prepared) -> Generator[_Operation, Any, HTTPResponse]:
        """The one retry and token-refresh loop, as operations the sync and async clients
        perform (the shape of httpx's ``Auth.auth_flow``): policy written once, I/O twice."""
        policy, tokens = prepared.policy, self.connection.token_source()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            try:
                token: str | None = yield _TOKEN
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                # The token server was never reached, so no refresh token was spent: the same
                # policy as a connect error on the request itself.
                delay = policy.delay_for_error(prepared.method, error, attempt, prepared.keyed)
                if delay is None:
                    raise redact_exception(error) from None
                yield _Wait(delay)
                continue
            built = self._build(prepared, token)
            started = time.perf_counter()
            try:
                response: HTTPResponse = yield _Transmit(built)
            except httpx.TransportError as error:
                if prepared.log:
                    elapsed = time.perf_counter() - started
                    self._log(built, type(error).__name__, elapsed, None, attempt)
                sent = not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
                keyed = prepared.keyed or prepared.reconciled
                delay = policy.delay_for_error(prepared.method, error, attempt, keyed)
                if prepared.reconciled and sent:
                    # The write may have arrived: the executor looks for its marker before
                    # sending it again (after the backoff the layer would have waited anyway).
                    if delay is not None:
                        yield _Wait(delay)
                    raise OutcomeUnknownError(
                        prepared.method, prepared.url.path, type(error).__name__
                    ) from None
                if delay is None:
                    raise redact_exception(error) from None
                yield _Wait(delay)
                continue
            if prepared.log:
                self._log(built, response.status, time.perf_counter() - started, response, attempt)
            if (
                tokens is not None
                and token is not None
                and not refreshed
                and self.connection.profile.token_rejected(response)
            ):
                refreshed = True
                attempt -= 1
                yield _Refresh(token)
                continue
            delay = policy.delay_for_status(
                prepared.method,
                response.status,
                response.headers,
                attempt,
                prepared.keyed or prepared.reconciled,
            )
            if delay is None:
                self._after(prepared, response)
                return response
            yield _Wait(delay)
            if prepared.reconciled and _maybe_done(response.status):
                # A server error may come after the record was written (Sage's Best Practices
                # guide says so of unhandled 500s on POST): look before writing again.
                raise OutcomeUnknownError(
                    prepared.method, prepared.url.path, f"status {response.status}"
                )

    def _receive(self, response: httpx.Response) -> HTTPResponse:
        """The response as a value, its body read (and decompressed) within the size cap."""
        try:
            try:
                # An in-process transport (the sandbox, a mock) answers with the body in memory.
                content = response.content
            except httpx.ResponseNotRead:
                body = _CappedBody(response, self.max_response_bytes)
                for chunk in response.iter_raw(_READ_CHUNK):
                    body.feed(chunk)
                content = body.finish()
            else:
                _check_size(response, len(content), self.max_response_bytes)
        finally:
            response.close()
        # items() rather than dict(headers): httpx looks each key up again by a linear scan.
        return HTTPResponse(response.status_code, dict(response.headers.items()), content)

    async def _areceive(self, response: httpx.Response) -> HTTPResponse:
        """The asyncio twin of :meth:`_receive`."""
        try:
            try:
                content = response.content
            except httpx.ResponseNotRead:
                body = _CappedBody(response, self.max_response_bytes)
                async for chunk in response.aiter_raw(_READ_CHUNK):
                    body.feed(chunk)
                content = body.finish()
            else:
                _check_size(response, len(content), self.max_response_bytes)
        finally:
            await response.aclose()
        return HTTPResponse(response.status_code, dict(response.headers.items()), content)

    def _tokens(self) -> TokenManager | ExchangedTokens:
        tokens = self.connection.token_source()
        assert tokens is not None, "a refresh is only asked for when there is a token manager"
        return tokens

    def _after(self, prepared: _Prepared, response: HTTPResponse) -> None:
        header = self.connection.profile.business_header
        if prepared.business and header:
            got = response.header(header)
            if got and got != prepared.business and (prepared.business, got) not in self._warned:
                self._warned.add((prepared.business, got))
                logger.warning(
                    "asked for business %s but the API answered for %s (%s: %s)",
                    prepared.business,
                    got,
                    header,
                    got,
                )

    def _log(
        self,
        built: httpx.Request,
        status: int | str,
        elapsed: float,
        response: HTTPResponse | None,
        attempt: int,
    ) -> None:
        lines = [f"{built.method} {redact(str(built.url))} -> {status} in {elapsed * 1000:.1f} ms"]
        if attempt > 1:
            lines[0] += f" (attempt {attempt})"
        lines.append("request headers: " + _show_headers(built.headers))
        body = built.content if built.stream is not None and _readable(built) else b""
        if body:
            lines.append("request body: " + _show_body(body))
        if response is not None:
            lines.append("response headers: " + _show_headers(response.headers))
            if response.content:
                lines.append("response body: " + _show_body(response.content))
        record = logger.makeRecord(
            logger.name, logging.DEBUG, __file__, 0, "%s", ("\n  ".join(lines),), None
        )
        # Forced by debugRequest/--debug: bypass the logger's level, not its handlers'.
        logger.handle(record)


def _maybe_done(status: int) -> bool:
    """A status after which a write may have taken effect (429 is refused before any work)."""
    return status >= 500 or (status in THROTTLE_STATUSES and status != 429)


def _too_large(response: httpx.Response, cap: int) -> ResponseLimitError:
    return ResponseLimitError(
        f"the response to {response.request.method} {response.request.url.path} is larger "
        f"than the {cap:,}-byte limit (decompressed); refusing to read it "
        "(raise max_response_bytes if the API really sends bodies this large)"
    )


def _check_size(response: httpx.Response, size: int, cap: int | None) -> None:
    if cap is not None and size > cap:
        raise _too_large(response, cap)


class _CappedBody:
    """A response body read chunk by chunk, decompressed with a bound on every step.

    httpx decompresses a whole chunk in one call, so a small gzip bomb becomes gigabytes before
    any size check could run. Here zlib produces at most ``_INFLATE_STEP`` bytes per call and
    every piece is counted as it comes, so memory stays near the cap whatever the server sends.
    """

    __slots__ = ("_cap", "_chunks", "_decoders", "_response", "_size")

    def __init__(self, response: httpx.Response, cap: int | None) -> None:
        self._response = response
        self._cap = cap
        self._chunks: list[bytes] = []
        self._size = 0
        codings = [
            c.strip().lower()
            for c in response.headers.get("content-encoding", "").split(",")
            if c.strip().lower() not in ("", "identity")
        ]
        # Applied in order, so decoded in reverse; an unknown coding is left as is (as httpx
        # does), which then fails as a body that is not JSON rather than being guessed at.
        self._decoders = [_Inflate(c) for c in reversed(codings) if c in _Inflate.WBITS]
        length = response.headers.get("content-length", "")
        if not self._decoders and length.isdigit():
            _check_size(response, int(length), cap)

    def feed(self, data: bytes) -> None:
        self._push(data, 0)

    def finish(self) -> bytes:
        for level, decoder in enumerate(self._decoders):
            self._push(decoder.flush(), level + 1)
        return b"".join(self._chunks)

    def _push(self, data: bytes, level: int) -> None:
        if level == len(self._decoders):
            if data:
                self._size += len(data)
                _check_size(self._response, self._size, self._cap)
                self._chunks.append(data)
            return
        for piece in self._decoders[level].pieces(data):
            self._push(piece, level + 1)


class _Inflate:
    """One gzip or deflate layer, handing out its output in bounded pieces."""

    WBITS: ClassVar[dict[str, int]] = {
        "gzip": zlib.MAX_WBITS | 16,
        "x-gzip": zlib.MAX_WBITS | 16,
        "deflate": zlib.MAX_WBITS,
    }
    __slots__ = ("_first", "_zlib", "coding")

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._zlib = zlib.decompressobj(self.WBITS[coding])
        self._first = True

    def pieces(self, data: bytes) -> Iterator[bytes]:
        while data:
            piece = self._decompress(data)
            data = self._zlib.unconsumed_tail
            if piece:
                yield piece
            elif data:  # no output and input left over: a stream zlib will not advance
                raise httpx.DecodingError(f"{self.coding} body does not decompress")

    def _decompress(self, data: bytes) -> bytes:
        first, self._first = self._first, False
        try:
            return self._zlib.decompress(data, _INFLATE_STEP)
        except zlib.error as error:
            if first and self.coding == "deflate":
                # Some servers send raw deflate without the zlib header (httpx allows it too).
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._decompress(data)
            raise httpx.DecodingError(f"{self.coding} body: {error}") from None

    def flush(self) -> bytes:
        return self._zlib.flush()


def _readable(built: httpx.Request) -> bool:
    try:
        built.content  # noqa: B018 (probe: multipart streams are not in memory)
    except httpx.RequestNotRead:
        return False
    return True


def _show_headers(headers: Mapping[str, str] | httpx.Headers) -> str:
    shown = {k: (MASK if k.lower() in SECRET_HEADERS else redact(v)) for k, v in headers.items()}
    return ", ".join(f"{k}: {v}" for k, v in shown.items())


def _show_body(content: bytes) -> str:
    text = redact_bytes(content[:_BODY_LOG_LIMIT]).decode("utf-8", errors="replace")
    return text + ("…" if len(content) > _BODY_LOG_LIMIT else "")


def _encode_json(value: Any) -> bytes:
    # As httpx 0.28 encodes json= bodies, so the fast path sends the same bytes.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _kept_defaults(defaults: httpx.Headers) -> dict[str, str]:
    """The httpx client's default headers the layer does not set itself, as httpx spells them."""
    return {
        k.decode("latin-1"): v.decode("latin-1")
        for k, v in defaults.raw
        if k.lower().decode("latin-1") not in _OURS
    }


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing.

    The layer authenticates with a bearer token and refuses a ``Cookie`` header from handlers,
    so a ``Set-Cookie`` from the API must not be stored and replayed either. httpx parses
    every response's cookies through urllib's cookie machinery, which costs more than the
    in-process sandbox takes to answer; a jar that ignores them skips that work.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _HTTP(httpx.Client):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cookies = _NoCookies()
        self.headers["Accept-Encoding"] = _ACCEPT_ENCODING


class _AsyncHTTP(httpx.AsyncClient):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cookies = _NoCookies()
        self.headers["Accept-Encoding"] = _ACCEPT_ENCODING


def _component(ref: Component | str) -> tuple[Component, Any]:
    component = get_component(ref) if isinstance(ref, str) else ref
    return component, known_pack(component.pack).error_parser


class Client(_Base):
    """A synchronous connection to a pack's API: auth, retries, limits, redacted logging.

    Example::

        with Client(Connection.with_token(API_BASE, token)) as sage:
            sage.call("sage_accounting/listContacts", {"search": "Acme"})
    """

    def __init__(
        self,
        connection: Connection,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        limiter: Limiter | None = None,
        debug: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        super().__init__(
            connection,
            timeout=timeout,
            retry=retry,
            limiter=limiter,
            debug=debug,
            max_response_bytes=max_response_bytes,
        )
        self._sleep = sleep
        self.http: httpx.Client = _HTTP(transport=transport, timeout=self.timeout)
        self._defaults = _kept_defaults(self.http.headers)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        component: Component | str,
        inputs: Inputs | Mapping[str, Any],
        options: CallOptions | None = None,
    ) -> dict[str, Any]:
        """Run one component call to its output (``component`` may be ``"pack/key"``)."""
        resolved, parse_error = _component(component)
        opts = options or CallOptions()

        def send(request: HTTPRequest) -> HTTPResponse:
            response = self.send(request, opts, request.write_no or 1)
            if opts.on_response is not None:
                opts.on_response(response)
            return response

        try:
            return drive(resolved, inputs, send, parse_error, opts)
        except (SageflowError, httpx.HTTPError) as error:
            raise redact_exception(error) from None

    def _token(self) -> str | None:
        tokens = self.connection.token_source()
        if tokens is not None:
            return tokens.token(self.http)
        access = self.connection.settings.access_token
        return access.get_secret_value() if access is not None else None

    def send(
        self, request: HTTPRequest, options: CallOptions | None = None, write_no: int = 1
    ) -> HTTPResponse:
        """Send one request value with the connection's policy; the final response."""
        prepared = self._prepare(request, options or _NO_OPTIONS, write_no)
        exchange = self._exchange(prepared)
        operation = next(exchange)
        while True:
            try:
                result: Any = None
                if isinstance(operation, _Transmit):
                    with self.limiter.slot(prepared.serial_key):
                        sent = self.http.send(operation.request, stream=True)
                        result = self._receive(sent)
                elif isinstance(operation, _Wait):
                    self._sleep(operation.seconds)
                elif isinstance(operation, _Refresh):
                    self._tokens().token_rejected(self.http, operation.rejected)
                else:
                    result = self._token()
            except Exception as error:  # the exchange decides which failures it retries
                try:
                    operation = exchange.throw(error)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                continue
            try:
                operation = exchange.send(result)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]


class AsyncClient(_Base):
    """The asyncio twin of :class:`Client`; implements the runner's ``Caller`` protocol."""

    def __init__(
        self,
        connection: Connection,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        limiter: Limiter | None = None,
        debug: bool = False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        super().__init__(
            connection,
            timeout=timeout,
            retry=retry,
            limiter=limiter,
            debug=debug,
            max_response_bytes=max_response_bytes,
        )
        self._sleep = sleep
        self.http: httpx.AsyncClient = _AsyncHTTP(transport=transport, timeout=self.timeout)
        self._defaults = _kept_defaults(self.http.headers)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def acall(
        self,
        component: Component | str,
        inputs: Inputs | Mapping[str, Any],
        options: CallOptions | None = None,
    ) -> dict[str, Any]:
        """Run one component call to its output (the runner's ``Caller`` protocol)."""
        resolved, parse_error = _component(component)
        opts = options or CallOptions()

        async def send(request: HTTPRequest) -> HTTPResponse:
            response = await self.send(request, opts, request.write_no or 1)
            if opts.on_response is not None:
                opts.on_response(response)
            return response

        try:
            return await adrive(resolved, inputs, send, parse_error, opts)
        except (SageflowError, httpx.HTTPError) as error:
            raise redact_exception(error) from None

    async def _token(self) -> str | None:
        tokens = self.connection.token_source()
        if tokens is not None:
            return await tokens.atoken(self.http)
        access = self.connection.settings.access_token
        return access.get_secret_value() if access is not None else None

    async def send(
        self, request: HTTPRequest, options: CallOptions | None = None, write_no: int = 1
    ) -> HTTPResponse:
        """Send one request value with the connection's policy; the final response."""
        prepared = self._prepare(request, options or _NO_OPTIONS, write_no)
        exchange = self._exchange(prepared)
        operation = next(exchange)
        while True:
            try:
                result: Any = None
                if isinstance(operation, _Transmit):
                    async with self.limiter.aslot(prepared.serial_key):
                        sent = await self.http.send(operation.request, stream=True)
                        result = await self._areceive(sent)
                elif isinstance(operation, _Wait):
                    await self._sleep(operation.seconds)
                elif isinstance(operation, _Refresh):
                    await self._tokens().atoken_rejected(self.http, operation.rejected)
                else:
                    result = await self._token()
            except Exception as error:  # the exchange decides which failures it retries
                try:
                    operation = exchange.throw(error)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                continue
            try:
                operation = exchange.send(result)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
