"""How to connect to Sage Génération Experts through Chift's unified API.

Chift's ``POST /token`` takes ``{clientId, clientSecret, accountId}`` and answers a bearer that
lives 30 minutes (the OpenAPI's "Get access token"); the HTTP layer buys a new one ahead of
expiry or when Chift answers 401 (``sageflow._http._exchange``). Every call is under
``/consumers/{consumer_id}/accounting``; ``folder_id`` picks the dossier, which a Sage GE
connection needs (it holds several). Creates carry ``x-chift-client-requestid``, which Chift
documents as making them idempotent.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from sageflow._http._profile import APIProfile, ConnectionSettings, HTTPConnectionSpec
from sageflow._values import HTTPRequest, HTTPResponse

API_BASE = "https://api.chift.eu"
REQUEST_ID_HEADER = "x-chift-client-requestid"
RAW_DATA_HEADER = "x-chift-raw-data"
FOLDER_PARAMETER = "folder_id"
TOKEN_LIFETIME = 1800.0

_UUID = r"^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$"


class ChiftFields(BaseModel):
    """A Chift account's API key and the Sage GE consumer (and dossier) it works on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clientId: str = Field(
        min_length=1, description="The Chift API key's client id.", examples=["my-client-id"]
    )
    clientSecret: SecretStr = Field(
        description="The Chift API key's client secret.", examples=["********"]
    )
    accountId: str = Field(
        description="Your Chift account id (a UUID).",
        examples=["0f3e4c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"],
        pattern=_UUID,
    )
    consumerId: str = Field(
        description="The consumer (your customer's Sage GE connection) id, a UUID.",
        examples=["7d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"],
        pattern=_UUID,
    )
    folderId: str | None = Field(
        default=None,
        min_length=1,
        description="The dossier (folder_id) to work in; a Sage GE connection holds several.",
        examples=["DOSSIER01"],
    )
    apiBase: str = Field(
        default=API_BASE,
        description="Chift's API root (a gateway, or the sandbox, may replace it).",
        examples=[API_BASE],
    )

    def base_url(self) -> str:
        return f"{self.apiBase.rstrip('/')}/consumers/{self.consumerId}/accounting"


def token_rejected(response: HTTPResponse) -> bool:
    # Chift answers 401 for a missing or expired bearer; a 403 is an account without access
    # to the consumer, which a new token would not change.
    return response.status == 401


def request_id(key: str) -> str:
    """A UUID derived from a write's key: the same on every retry and resume of that write."""
    return str(uuid.UUID(hex=hashlib.sha256(key.encode()).hexdigest()[:32]))


def attach_request_id(request: HTTPRequest, key: str) -> tuple[HTTPRequest, bool]:
    """Every Chift create (a POST) gets ``x-chift-client-requestid``; a caller's own is kept."""
    if request.method != "POST":
        return request, False
    if any(name.lower() == REQUEST_ID_HEADER for name in request.headers):
        return request, True
    return replace(request, headers={**request.headers, REQUEST_ID_HEADER: request_id(key)}), True


PROFILE = APIProfile(
    token_rejected=token_rejected,
    businesses_path="/folders",
    login_command="sageflow connections add (a Chift API key needs no sign-in)",
    idempotency=attach_request_id,
)


def _settings(values: BaseModel) -> ConnectionSettings:
    # Imported when a connection is opened, not with the pack.
    from sageflow._http._exchange import TokenExchange

    assert isinstance(values, ChiftFields)
    return ConnectionSettings(
        api_base=values.base_url(),
        token_exchange=TokenExchange(
            url=f"{values.apiBase.rstrip('/')}/token",
            body={"clientId": values.clientId, "accountId": values.accountId},
            secret=values.clientSecret,
            lifetime=TOKEN_LIFETIME,
        ),
        query={FOLDER_PARAMETER: values.folderId} if values.folderId else {},
    )


CHIFT = HTTPConnectionSpec(
    key="chift",
    title="Sage Génération Experts (through Chift)",
    description=(
        "A Chift API key (client id, secret, account id) and the consumer of your customer's "
        "Sage GE connection; tokens last 30 minutes and are renewed automatically."
    ),
    auth="client_credentials",
    fields=ChiftFields,
    profile=PROFILE,
    settings=_settings,
)
