"""Sage Accounting's OAuth 2.0 server, simulated: the shared server under Sage's own rules."""

from __future__ import annotations

from sageflow.sandbox._oauth import OAuthRules, _Code, _Refresh
from sageflow.sandbox._oauth import OAuthServer as _OAuthServer
from sageflow.sandbox._store import Clock

#: Accepted on every API call and never expires: the no-browser way in for curl and the runner.
DEV_TOKEN = "sageflow-sandbox-token"  # noqa: S105 - a published, sandbox-only credential
#: sage-guides-facts.md §7: "Access tokens last 5 minutes and refresh tokens 31 days".
ACCESS_TOKEN_LIFETIME = 300
REFRESH_TOKEN_LIFETIME = 31 * 24 * 3600
CODE_LIFETIME = 60

#: Sage Accounting's authorization server (sage-guides-facts.md, the auth guide): /oauth2/*,
#: the refresh token rotates on every refresh and the old one dies, a token response names
#: the user (``requested_by_id``) and the refresh token's lifetime, the redirect carries
#: ``country``, and a revoke answers {"success": "ok"} (oauth_revoke__200__sage-guide-auth.json).
RULES = OAuthRules(
    authorize_path="/oauth2/authorize",
    token_path="/oauth2/token",  # noqa: S106 - a path, not a secret
    revoke_path="/oauth2/revoke",
    access_lifetime=ACCESS_TOKEN_LIFETIME,
    refresh_lifetime=REFRESH_TOKEN_LIFETIME,
    code_lifetime=CODE_LIFETIME,
    rotate_refresh=True,
    token_type="bearer",  # noqa: S106 - a token type, not a secret
    scope="full_access",
    refresh_expires_in=True,
    user_field="requested_by_id",
    redirect_params={"country": "GB"},
    revoke_body={"success": "ok"},
    dev_token=DEV_TOKEN,
)


class OAuthServer(_OAuthServer):
    """Issues and checks tokens against sandbox time, as Sage Accounting's server does."""

    def __init__(self, clock: Clock, user_id: str) -> None:
        super().__init__(clock, RULES, user_id)


__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "CODE_LIFETIME",
    "DEV_TOKEN",
    "REFRESH_TOKEN_LIFETIME",
    "RULES",
    "OAuthServer",
    "_Code",
    "_Refresh",
]
