"""An OAuth 2.0 authorization server, simulated for any pack: consent, PKCE, refresh rotation.

What differs between products (Sage Accounting's ``/oauth2/*`` with 5-minute access tokens,
Sage ID's ``/oauth/token`` for Sage 200) is an :class:`OAuthRules` value the pack's sandbox
passes in, each with its source; the mechanics (single-use codes, S256 checks, refresh tokens
refused once rotated away or expired) are written once here.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sageflow.sandbox._reply import Reply, json_reply
from sageflow.sandbox._store import Clock


@dataclass(frozen=True)
class OAuthRules:
    """One authorization server's paths, lifetimes, rotation and answer shapes."""

    authorize_path: str
    token_path: str
    #: ``None``: the server has no revocation endpoint here.
    revoke_path: str | None
    #: Seconds an access token lives (``expires_in``).
    access_lifetime: int
    #: Seconds a refresh token lives.
    refresh_lifetime: int
    #: Seconds an authorization code may wait before it is exchanged.
    code_lifetime: int = 60
    #: True: every refresh answers a new refresh token and the one used dies at once.
    #: False: the refresh answers no refresh token and the one used stays valid.
    rotate_refresh: bool = True
    #: True: a rotated refresh token keeps the grant's first expiry (an absolute lifetime);
    #: False: each new refresh token lives ``refresh_lifetime`` from its own issue.
    refresh_absolute: bool = False
    token_type: str = "bearer"  # noqa: S105 - a token type, not a secret
    #: The ``scope`` a token response reports; ``None`` echoes the scope the client asked for.
    scope: str | None = None
    #: Whether a token response carries ``refresh_token_expires_in``.
    refresh_expires_in: bool = False
    #: The name under which a token response carries the signed-in user's id, if any.
    user_field: str | None = None
    #: Extra query parameters on the redirect back to the app (Sage Accounting's ``country``).
    redirect_params: Mapping[str, str] = field(default_factory=dict)
    #: The revocation endpoint's 200 body; ``None`` answers an empty body.
    revoke_body: Mapping[str, object] | None = None
    #: A token accepted on every call that never expires (the no-browser way in), if any.
    dev_token: str | None = None

    def paths(self) -> frozenset[str]:
        return frozenset(p for p in (self.authorize_path, self.token_path, self.revoke_path) if p)


def _oauth_error(error: str, status: int = 400, description: str | None = None) -> Reply:
    payload = {"error": error}
    if description:
        payload["error_description"] = description
    return json_reply(status, payload)


@dataclass(slots=True)
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str
    expires: float
    scope: str = ""


@dataclass(slots=True)
class _Refresh:
    client_id: str
    expires: float
    scope: str = ""


class OAuthServer:
    """Issues and checks tokens against sandbox time, under one product's :class:`OAuthRules`.

    ``refreshes`` counts the refresh grants answered with a token (refused ones are not
    counted): a test asserts how many refreshes a run cost by reading it.
    """

    def __init__(self, clock: Clock, rules: OAuthRules, user_id: str = "") -> None:
        self.clock = clock
        self.rules = rules
        self.user_id = user_id
        self.codes: dict[str, _Code] = {}
        self.access: dict[str, float] = {}
        self.refresh: dict[str, _Refresh] = {}
        self.refreshes = 0

    # -- checks ----------------------------------------------------------------------------------

    def owns(self, path: str) -> bool:
        """Whether ``path`` is one of this server's endpoints."""
        return path.rstrip("/") in self.rules.paths()

    def token_state(self, token: str) -> str:
        """``ok``, ``expired`` or ``unknown``."""
        dev = self.rules.dev_token
        if dev is not None and secrets.compare_digest(token.encode(), dev.encode()):
            return "ok"
        expires = self.access.get(token)
        if expires is None:
            return "unknown"
        return "ok" if self.clock.time() < expires else "expired"

    def issue(
        self,
        client_id: str = "sandbox-client",
        scope: str = "",
        *,
        refresh: bool = True,
        refresh_expires: float | None = None,
    ) -> dict[str, object]:
        """A fresh token pair (or a lone access token), as the token endpoint returns it."""
        rules = self.rules
        now = self.clock.time()
        access = secrets.token_urlsafe(24)
        self.access[access] = now + rules.access_lifetime
        body: dict[str, object] = {
            "access_token": access,
            "expires_in": rules.access_lifetime,
            "token_type": rules.token_type,
        }
        if refresh:
            token = secrets.token_urlsafe(24)
            expires = (
                refresh_expires if refresh_expires is not None else now + rules.refresh_lifetime
            )
            self.refresh[token] = _Refresh(client_id, expires, scope)
            body["refresh_token"] = token
            if rules.refresh_expires_in:
                body["refresh_token_expires_in"] = max(0, round(expires - now))
        body["scope"] = rules.scope if rules.scope is not None else scope
        if rules.user_field:
            body[rules.user_field] = self.user_id
        return body

    # -- endpoints -------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        route = path.rstrip("/")
        rules = self.rules
        if route == rules.authorize_path:
            if method != "GET":
                return _oauth_error("invalid_request", 405)
            return self._authorize(dict(parse_qsl(query)))
        if route in {rules.token_path, rules.revoke_path}:
            if method != "POST":
                return _oauth_error("invalid_request", 405)
            form = dict(parse_qsl(body.decode("utf-8", errors="replace")))
            client_id = form.get("client_id") or _basic_client(headers.get("authorization", ""))
            if route == rules.revoke_path:
                return self._revoke(form)
            return self._token(form, client_id)
        return _oauth_error("not_found", 404)

    def _authorize(self, q: Mapping[str, str]) -> Reply:
        redirect_uri = q.get("redirect_uri", "")
        if not q.get("client_id") or not redirect_uri.startswith(("http://", "https://")):
            return _oauth_error(
                "invalid_request", description="client_id and redirect_uri required"
            )
        params = dict(self.rules.redirect_params)
        if q.get("response_type", "code") != "code":
            params["error"] = "unsupported_response_type"
        elif q.get("code_challenge") and q.get("code_challenge_method", "plain") != "S256":
            params["error"] = "invalid_request"
        else:
            # Consent is automatic: the sandbox's one user always agrees.
            code = secrets.token_urlsafe(16)
            self.codes[code] = _Code(
                q["client_id"],
                redirect_uri,
                q.get("code_challenge"),
                q.get("code_challenge_method", "S256"),
                self.clock.time() + self.rules.code_lifetime,
                q.get("scope", ""),
            )
            params["code"] = code
        if "state" in q:
            params["state"] = q["state"]
        parts = urlsplit(redirect_uri)
        query = "&".join(filter(None, [parts.query, urlencode(params)]))
        location = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
        return Reply(302, {"location": location}, b"")

    def _token(self, form: Mapping[str, str], client_id: str) -> Reply:
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = self.codes.pop(form.get("code", ""), None)  # single use, even when refused
            if code is None or self.clock.time() >= code.expires:
                return _oauth_error("invalid_grant")
            if code.client_id != client_id or code.redirect_uri != form.get("redirect_uri"):
                return _oauth_error("invalid_grant")
            if code.challenge is not None:
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if not verifier or not secrets.compare_digest(expected, code.challenge):
                    return _oauth_error("invalid_grant", description="PKCE verification failed")
            return json_reply(200, self.issue(client_id, code.scope))
        if grant == "refresh_token":
            return self._refresh(form.get("refresh_token", ""), client_id)
        return _oauth_error("unsupported_grant_type")

    def _refresh(self, token: str, client_id: str) -> Reply:
        rotate = self.rules.rotate_refresh
        # Rotation: the token used dies with this request, even when the request is refused.
        old = self.refresh.pop(token, None) if rotate else self.refresh.get(token)
        if old is None or self.clock.time() >= old.expires or old.client_id != client_id:
            return _oauth_error("invalid_grant")
        self.refreshes += 1
        expires = old.expires if self.rules.refresh_absolute else None
        return json_reply(
            200, self.issue(client_id, old.scope, refresh=rotate, refresh_expires=expires)
        )

    def _revoke(self, form: Mapping[str, str]) -> Reply:
        token = form.get("token", "")
        self.refresh.pop(token, None)
        self.access.pop(token, None)
        body = self.rules.revoke_body
        return Reply(200, {}, b"") if body is None else json_reply(200, dict(body))


def _basic_client(header: str) -> str:
    if not header.lower().startswith("basic "):
        return ""
    try:
        decoded = base64.b64decode(header[6:]).decode()
    except ValueError:
        return ""
    return decoded.partition(":")[0]
