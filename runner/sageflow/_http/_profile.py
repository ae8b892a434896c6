"""What the HTTP layer asks of a pack: the product-specific details of reaching its API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pydantic import BaseModel, SecretStr, ValidationError

from sageflow._connection import ConnectionSpec
from sageflow._errors import SageflowError
from sageflow._values import HTTPRequest, HTTPResponse

if TYPE_CHECKING:
    from sageflow._http._exchange import TokenExchange
    from sageflow._http._oauth import OAuthClient


class ConfigurationError(SageflowError):
    """A named connection that does not exist or whose values are invalid."""


def describe_problems(error: ValidationError) -> str:
    """Field problems as text, never quoting pydantic's input values: they are credentials."""
    return "; ".join(
        f"{'.'.join(str(p) for p in item['loc']) or '(connection)'}: {item['msg']}"
        for item in error.errors(include_input=False, include_url=False)
    )


def _any_401(response: HTTPResponse) -> bool:
    return response.status == 401


def _never(request: HTTPRequest) -> bool:
    return False


#: How a pack attaches a write's idempotency key: ``(request, key) -> (request to send,
#: honoured)``. ``honoured`` says the API documents that it deduplicates this request by the
#: key (for a limited time); only then may the HTTP layer repeat a write whose outcome it does
#: not know. The key is the same on every attempt, retry and resume of one write of one step.
#: A request that already carries the caller's own key is returned unchanged (the same object).
AttachKey = Callable[[HTTPRequest, str], tuple[HTTPRequest, bool]]


def no_idempotency(request: HTTPRequest, key: str) -> tuple[HTTPRequest, bool]:
    """The default: an API that documents no idempotency mechanism gets no key, and its writes
    are never repeated after an unknown outcome."""
    return request, False


def header_key(name: str) -> AttachKey:
    """For an API that documents an idempotency header on every write (Stripe's style)."""

    def attach(request: HTTPRequest, key: str) -> tuple[HTTPRequest, bool]:
        if any(existing.lower() == name.lower() for existing in request.headers):
            return request, True
        return replace(request, headers={**request.headers, name: key}), True

    return attach


@dataclass(frozen=True)
class APIProfile:
    """Product-specific hooks, so that the runner serves Sage Accounting, Sage 200 and others.

    Attributes:
        business_header: the header naming the company/business a request is for, if any.
        token_rejected: whether a response means "this access token is no longer valid" (the
            layer then refreshes once and repeats the request).
        serial_write: whether a request must not run in parallel with others of its kind for
            the same business (Sage's numbered resources).
        user_path, businesses_path: what ``sageflow auth status`` reads to show who is signed
            in and which businesses the grant reaches.
        login_command: the command a person runs when the grant is dead.
        idempotency: puts a write's idempotency key where the API reads it (a header, a body
            field) and says whether the API honours it for that request (see ``AttachKey``).
    """

    business_header: str | None = None
    token_rejected: Callable[[HTTPResponse], bool] = _any_401
    serial_write: Callable[[HTTPRequest], bool] = _never
    user_path: str | None = None
    businesses_path: str | None = None
    login_command: str = "sageflow auth login"
    idempotency: AttachKey = no_idempotency


@dataclass(frozen=True)
class ConnectionSettings:
    """A connection's field values as the layer uses them."""

    api_base: str
    business_id: str | None = None
    access_token: SecretStr | None = None
    oauth: OAuthClient | None = None
    #: A token the connection buys with its own credentials (Chift's ``POST /token``).
    token_exchange: TokenExchange | None = None
    #: Headers sent on every request of the connection (Sage 200's ``X-Site``, ``X-Company``
    #: and ``ocp-apim-subscription-key``). Those named in ``secret_headers`` (lower case) are
    #: credentials: registered for redaction like a token.
    headers: Mapping[str, str] = field(default_factory=dict)
    secret_headers: frozenset[str] = frozenset()
    #: Query parameters sent on every request unless the request sets its own (Chift's
    #: ``folder_id``, the dossier a multi-dossier connection works in).
    query: Mapping[str, str] = field(default_factory=dict)

    def secrets(self) -> list[str]:
        found = [v for k, v in self.headers.items() if k.lower() in self.secret_headers]
        if self.access_token is not None:
            found.append(self.access_token.get_secret_value())
        if self.oauth is not None:
            found.append(self.oauth.client_secret.get_secret_value())
        if self.token_exchange is not None:
            found.append(self.token_exchange.secret.get_secret_value())
        return found


@dataclass(frozen=True)
class HTTPConnectionSpec(ConnectionSpec):
    """A :class:`ConnectionSpec` that also tells the HTTP layer how to use its values."""

    profile: APIProfile = field(default_factory=APIProfile)
    #: Field values (validated by ``fields``) -> what the layer needs.
    settings: Callable[[BaseModel], ConnectionSettings] | None = None

    def resolve(self, values: BaseModel | dict[str, object]) -> ConnectionSettings:
        if isinstance(values, BaseModel):
            model = values
        else:
            try:
                model = self.fields.model_validate(values)
            except ValidationError as error:
                raise ConfigurationError(
                    f"connection {self.key!r}: {describe_problems(error)}"
                ) from None
        if self.settings is None:
            raise TypeError(f"connection {self.key!r} does not describe its HTTP settings")
        return self.settings(model)
