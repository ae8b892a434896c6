"""How to connect to Sage 200 (Standard or Professional): Sage ID OAuth, or a host's token.

Every request carries ``Authorization: Bearer``, the developer subscription key
(``ocp-apim-subscription-key``) and, for company data, ``X-Site`` (the site's GUID) and
``X-Company`` (the company's integer id), both read from ``GET /sites`` (issue 14's facts; the
developer-community topic "X-Site / X-Company headers").
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from sageflow._http._profile import APIProfile, ConnectionSettings, HTTPConnectionSpec
from sageflow._values import HTTPResponse

#: The edition picks the base URL: Standard is ``sage200``, Professional ``sage200extra``.
API_BASES = {
    "standard": "https://api.columbus.sage.com/uk/sage200/accounts/v1",
    "professional": "https://api.columbus.sage.com/uk/sage200extra/accounts/v1",
}
Edition = Literal["standard", "professional"]
#: Sage ID (an Auth0 tenant): the audience names the Sage 200 UK API.
AUTHORIZE_URL = "https://id.sage.com/authorize?audience=s200ukipd/sage200"
TOKEN_URL = "https://id.sage.com/oauth/token"  # noqa: S105 (a URL, not a secret)
REVOKE_URL = "https://id.sage.com/oauth/revoke"
#: ``offline_access`` is what makes Sage ID issue a refresh token (they live up to 90 days).
SCOPES = "openid profile email offline_access"

SUBSCRIPTION_HEADER = "ocp-apim-subscription-key"
SITE_HEADER = "X-Site"
COMPANY_HEADER = "X-Company"

# A site id is a GUID (``/sites`` declares site_id as a string of at most 36 characters).
_SITE_ID = r"^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$"


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    edition: Edition = Field(
        default="standard",
        description="standard (Sage 200 Standard) or professional (Sage 200 Professional).",
        examples=["professional"],
    )
    apiBase: str | None = Field(
        default=None,
        description="Overrides the base URL the edition picks (a gateway, or the sandbox).",
        examples=[API_BASES["professional"]],
    )
    subscriptionKey: SecretStr = Field(
        description="Your Sage developer subscription key, sent as ocp-apim-subscription-key.",
        examples=["********"],
    )
    siteId: str | None = Field(
        default=None,
        description="The site's GUID (site_id from GET /sites), sent as X-Site.",
        examples=["8a1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"],
        pattern=_SITE_ID,
    )
    # Not strict: environment variables and config files give it as text ("1").
    companyId: int | None = Field(
        default=None,
        description="The company's id (company_id from GET /sites), sent as X-Company.",
        examples=[1],
        ge=1,
    )

    def base_url(self) -> str:
        return self.apiBase or API_BASES[self.edition]

    def headers(self) -> dict[str, str]:
        headers = {SUBSCRIPTION_HEADER: self.subscriptionKey.get_secret_value()}
        # /sites is read without them (it is how they are found); every other call needs both.
        if self.siteId is not None:
            headers[SITE_HEADER] = self.siteId
        if self.companyId is not None:
            headers[COMPANY_HEADER] = str(self.companyId)
        return headers


class OAuth2Fields(_Common):
    """Sage ID OAuth 2.0 authorization code (with PKCE) and refresh tokens."""

    clientId: str = Field(description="The app's Sage ID client id.", examples=["my-app-client-id"])
    clientSecret: SecretStr = Field(description="The app's client secret.", examples=["********"])
    scopes: str = Field(
        default=SCOPES,
        description="Scopes to ask for; offline_access is what brings a refresh token.",
        examples=[SCOPES],
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
    """A Sage ID bearer token managed by the host platform, passed per run."""

    accessToken: SecretStr = Field(
        description="A valid Sage ID access token for the Sage 200 API.", examples=["********"]
    )


def token_rejected(response: HTTPResponse) -> bool:
    # Sage 200's gateway answers 401 for a missing, expired or revoked token; 403 is a grant
    # that does not reach the site or company, which a refresh would not change.
    return response.status == 401


PROFILE = APIProfile(
    token_rejected=token_rejected,
    user_path="/current_user",
    businesses_path="/sites",
    login_command="sageflow auth login",
)

_SECRET_HEADERS = frozenset({SUBSCRIPTION_HEADER})


def _oauth_settings(values: BaseModel) -> ConnectionSettings:
    # Imported when a connection is opened, not with the pack (the OAuth client brings httpx).
    from sageflow._http._oauth import OAuthClient

    assert isinstance(values, OAuth2Fields)
    return ConnectionSettings(
        api_base=values.base_url(),
        headers=values.headers(),
        secret_headers=_SECRET_HEADERS,
        oauth=OAuthClient(
            client_id=values.clientId,
            client_secret=values.clientSecret,
            token_url=values.tokenUrl,
            authorize_url=values.authorizeUrl,
            revoke_url=REVOKE_URL if values.tokenUrl == TOKEN_URL else None,
            scopes=values.scopes,
            login_command=PROFILE.login_command,
        ),
    )


def _token_settings(values: BaseModel) -> ConnectionSettings:
    assert isinstance(values, AccessTokenFields)
    return ConnectionSettings(
        api_base=values.base_url(),
        headers=values.headers(),
        secret_headers=_SECRET_HEADERS,
        access_token=values.accessToken,
    )


OAUTH2 = HTTPConnectionSpec(
    key="oauth2",
    title="Sage 200 (Sage ID OAuth 2.0)",
    description=(
        "Sage ID authorization code flow with PKCE (audience s200ukipd/sage200); refresh "
        "tokens last up to 90 days. Needs your developer subscription key, and the site and "
        "company from GET /sites."
    ),
    auth="oauth2",
    fields=OAuth2Fields,
    profile=PROFILE,
    settings=_oauth_settings,
)

ACCESS_TOKEN = HTTPConnectionSpec(
    key="accessToken",
    title="Sage 200 (access token)",
    description="A Sage ID bearer token supplied by a host platform that manages OAuth itself.",
    auth="access_token",
    fields=AccessTokenFields,
    profile=PROFILE,
    settings=_token_settings,
)
