"""How to connect to Sage Business Cloud Accounting: the connection kinds a host can configure."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from sageflow._connection import ConnectionSpec

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


OAUTH2 = ConnectionSpec(
    key="oauth2",
    title="Sage Accounting (OAuth 2.0)",
    description=(
        "Authorization code flow with PKCE; access tokens live 300 s and every refresh rotates "
        "the refresh token."
    ),
    auth="oauth2",
    fields=OAuth2Fields,
)

ACCESS_TOKEN = ConnectionSpec(
    key="accessToken",
    title="Sage Accounting (access token)",
    description="A bearer token supplied by a host platform that manages OAuth itself.",
    auth="access_token",
    fields=AccessTokenFields,
)
