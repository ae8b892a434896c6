"""How to connect to Sage Business Cloud Accounting: the connection kinds a host can configure."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from sageflow._http._profile import APIProfile, ConnectionSettings, HTTPConnectionSpec
from sageflow._values import HTTPRequest, HTTPResponse

API_BASE = "https://api.accounting.sage.com/v3.1"
AUTHORIZE_URL = "https://www.sageone.com/oauth2/auth/central?filter=apiv3.1"
TOKEN_URL = "https://oauth.accounting.sage.com/token"  # noqa: S105 (a URL, not a secret)
REVOKE_URL = "https://oauth.accounting.sage.com/revoke"


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    apiBase: str = Field(
        default=API_BASE,
        description="The API base URL every request path is joined to.",
        examples=[API_BASE],
    )
    businessId: str | None = Field(
        default=None,
        description="Sent as X-Business; without it Sage uses the user's lead business.",
        examples=["c6ef4d5d45a44b66b8e2f7a85ae0d3a6"],
    )


class OAuth2Fields(_Common):
    """OAuth 2.0 authorization code with rotating refresh tokens."""

    clientId: str = Field(description="The app's client id.", examples=["4b6a1d1f-my-app"])
    clientSecret: SecretStr = Field(
        description="The app's client secret.", examples=["********"], json_schema_extra={}
    )
    scopes: str = Field(
        default="full_access",
        description="`full_access` or `readonly`.",
        examples=["full_access"],
        pattern="^(full_access|readonly)$",
    )
    authorizeUrl: str = Field(
        default=AUTHORIZE_URL, description="Where a person grants access.", examples=[AUTHORIZE_URL]
    )
    tokenUrl: str = Field(
        default=TOKEN_URL,
        description="Where codes and refresh tokens are exchanged.",
        examples=[TOKEN_URL],
    )


class AccessTokenFields(_Common):
    """A bearer token managed by the host platform, passed per run."""

    accessToken: SecretStr = Field(
        description="A valid Sage access token (hosts that run OAuth themselves pass it per run).",
        examples=["********"],
    )


#: Resources whose records Sage numbers in sequence; Sage asks integrators not to create them in
#: parallel for one business (the numbering races), so the HTTP layer sends these POSTs one at a
#: time per business.
NUMBERED_RESOURCES = frozenset(
    {
        "contacts",
        "sales_invoices",
        "sales_credit_notes",
        "sales_quotes",
        "sales_estimates",
        "sales_quick_entries",
        "purchase_invoices",
        "purchase_credit_notes",
        "purchase_quick_entries",
        "products",
        "services",
        "stock_items",
    }
)


def token_rejected(response: HTTPResponse) -> bool:
    """Sage's "this access token is expired or revoked" (not a missing scope, not a 403)."""
    if response.status != 401:
        return False
    challenge = (response.header("www-authenticate") or "").lower()
    body = response.content
    # Sage names the error in the body; a gateway in front of it may answer with an empty body
    # or an RFC 6750 challenge instead.
    return (
        b"AccessTokenVerificationError" in body
        or b"invalid_token" in body
        or "invalid_token" in challenge
        or not body.strip()
    )


#: The body wrappers whose POSTs honour ``idempotency_id`` (Sage's "Idempotency" guide, [G-idem]
#: in ../shared/reference/sage-guides-facts.md Q1): the id goes *inside* the wrapper, replays
#: the first result for 7 days, and is off unless sent. Not listed: attachments, tax_rates,
#: businesses, user.
IDEMPOTENT_WRAPPERS = frozenset(
    {
        "address",
        "bank_account",
        "bank_deposit",
        "bank_opening_balance",
        "bank_reconciliation",
        "bank_transfer",
        "business_exchange_rate",
        "contact",
        "contact_allocation",
        "contact_opening_balance",
        "contact_payment",
        "contact_person",
        "hosted_artefact_payment_setting",
        "journal",
        "journal_code",
        "ledger_account",
        "ledger_account_opening_balance",
        "migration_tax_return",
        "opening_balance_journal",
        "other_payment",
        "product",
        "product_sales_price_type",
        "purchase_credit_note",
        "purchase_invoice",
        "purchase_quick_entry",
        "sales_credit_note",
        "sales_estimate",
        "sales_invoice",
        "sales_quick_entry",
        "sales_quote",
        "service",
        "service_rate_type",
        "stock_item",
        "stock_movement",
        "tax_profile",
        # The older copy of the guide also lists the Spanish corrective invoices.
        "purchase_corrective_invoice",
        "sales_corrective_invoice",
    }
)
IDEMPOTENCY_FIELD = "idempotency_id"
#: The only operations whose spec declares the ``X-Idempotency-Key`` header (a required uuid):
#: the UK MTD tax-return POSTs (swagger.taxes.json of Sage's 2025 per-area spec).
IDEMPOTENCY_HEADER = "X-Idempotency-Key"
HEADER_KEYED = frozenset({"/draft_tax_returns", "/tax_returns/obligation_periods"})


def idempotency_id(key: str) -> str:
    """The 32 lowercase hex characters Sage asks for, derived from a write's key (the same
    on every retry and resume of that write, different for every other write)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def attach_idempotency(request: HTTPRequest, key: str) -> tuple[HTTPRequest, bool]:
    """Put a write's key where Sage reads it; whether Sage honours it there.

    ``POST {"<wrapper>": {...}}`` for a listed wrapper gets ``idempotency_id`` inside the
    wrapper; the two tax-return POSTs get the header (as a uuid, the format the spec gives).
    Anything else gets nothing, so the HTTP layer never repeats it after an unknown outcome.
    A caller who set the id or header already keeps it.
    """
    if request.method != "POST":
        return request, False
    if request.path.split("?", 1)[0].rstrip("/") in HEADER_KEYED:
        if any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in request.headers):
            return request, True
        value = str(uuid.UUID(hex=idempotency_id(key)))
        return replace(request, headers={**request.headers, IDEMPOTENCY_HEADER: value}), True
    body = request.json
    if not isinstance(body, dict) or len(body) != 1:
        return request, False
    ((wrapper, inner),) = body.items()
    if wrapper not in IDEMPOTENT_WRAPPERS or not isinstance(inner, dict):
        return request, False
    if inner.get(IDEMPOTENCY_FIELD):
        return request, True
    return replace(request, json={wrapper: {**inner, IDEMPOTENCY_FIELD: idempotency_id(key)}}), True


def numbered_write(request: HTTPRequest) -> bool:
    """A POST that creates a numbered record (``POST /contacts``, ``POST /sales_invoices``)."""
    first = request.path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
    return request.method == "POST" and first in NUMBERED_RESOURCES


PROFILE = APIProfile(
    business_header="X-Business",
    token_rejected=token_rejected,
    serial_write=numbered_write,
    user_path="/user",
    businesses_path="/businesses",
    login_command="sageflow auth login",
    idempotency=attach_idempotency,
)


def revoke_url(token_url: str) -> str:
    """Sage serves revoke beside token; so does the sandbox, whatever host it is given."""
    if token_url.rstrip("/").endswith("/token"):
        return token_url.rstrip("/")[: -len("token")] + "revoke"
    return REVOKE_URL


def _oauth_settings(values: BaseModel) -> ConnectionSettings:
    # Imported when a connection is opened, not with the pack: the OAuth client brings httpx,
    # which listing or validating components never needs.
    from sageflow._http._oauth import OAuthClient

    assert isinstance(values, OAuth2Fields)
    return ConnectionSettings(
        api_base=values.apiBase,
        business_id=values.businessId,
        oauth=OAuthClient(
            client_id=values.clientId,
            client_secret=values.clientSecret,
            token_url=values.tokenUrl,
            authorize_url=values.authorizeUrl,
            revoke_url=revoke_url(values.tokenUrl),
            scopes=values.scopes,
            login_command=PROFILE.login_command,
        ),
    )


def _token_settings(values: BaseModel) -> ConnectionSettings:
    assert isinstance(values, AccessTokenFields)
    return ConnectionSettings(
        api_base=values.apiBase, business_id=values.businessId, access_token=values.accessToken
    )


OAUTH2 = HTTPConnectionSpec(
    key="oauth2",
    title="Sage Accounting (OAuth 2.0)",
    description=(
        "Authorization code flow with PKCE; access tokens live 300 s and every refresh rotates "
        "the refresh token."
    ),
    auth="oauth2",
    fields=OAuth2Fields,
    profile=PROFILE,
    settings=_oauth_settings,
)

ACCESS_TOKEN = HTTPConnectionSpec(
    key="accessToken",
    title="Sage Accounting (access token)",
    description="A bearer token supplied by a host platform that manages OAuth itself.",
    auth="access_token",
    fields=AccessTokenFields,
    profile=PROFILE,
    settings=_token_settings,
)
