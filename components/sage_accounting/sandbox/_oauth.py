"""Sage's OAuth 2.0 server, simulated: automatic consent, PKCE, rotating refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sageflow.sandbox._reply import Reply, json_reply
from sageflow.sandbox._store import Clock

#: Accepted on every API call and never expires: the no-browser way in for curl and the runner.
DEV_TOKEN = "sageflow-sandbox-token"  # noqa: S105 - a published, sandbox-only credential
ACCESS_TOKEN_LIFETIME = 300
REFRESH_TOKEN_LIFETIME = 31 * 24 * 3600
CODE_LIFETIME = 60


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


@dataclass(slots=True)
class _Refresh:
    client_id: str
    expires: float


class OAuthServer:
    """Issues and checks tokens against sandbox time."""

    def __init__(self, clock: Clock, user_id: str) -> None:
        self.clock = clock
        self.user_id = user_id
        self.codes: dict[str, _Code] = {}
        self.access: dict[str, float] = {}
        self.refresh: dict[str, _Refresh] = {}

    # -- checks ----------------------------------------------------------------------------------

    def token_state(self, token: str) -> str:
        """``ok``, ``expired`` or ``unknown``."""
        if token == DEV_TOKEN:
            return "ok"
        expires = self.access.get(token)
        if expires is None:
            return "unknown"
        return "ok" if self.clock.time() < expires else "expired"

    def issue(self, client_id: str = "sandbox-client") -> dict[str, object]:
        """A fresh token pair, as the token endpoint would return it."""
        now = self.clock.time()
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(24)
        self.access[access] = now + ACCESS_TOKEN_LIFETIME
        self.refresh[refresh] = _Refresh(client_id, now + REFRESH_TOKEN_LIFETIME)
        return {
            "access_token": access,
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "token_type": "bearer",
            "refresh_token": refresh,
            "refresh_token_expires_in": REFRESH_TOKEN_LIFETIME,
            "scope": "full_access",
            "requested_by_id": self.user_id,
        }

    # -- endpoints -------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        route = path.rstrip("/")
        if route == "/oauth2/authorize":
            if method != "GET":
                return _oauth_error("invalid_request", 405)
            return self._authorize(dict(parse_qsl(query)))
        if route in {"/oauth2/token", "/oauth2/revoke"}:
            if method != "POST":
                return _oauth_error("invalid_request", 405)
            form = dict(parse_qsl(body.decode("utf-8", errors="replace")))
            client_id = form.get("client_id") or _basic_client(headers.get("authorization", ""))
            if route == "/oauth2/revoke":
                return self._revoke(form)
            return self._token(form, client_id)
        return _oauth_error("not_found", 404)

    def _authorize(self, q: Mapping[str, str]) -> Reply:
        redirect_uri = q.get("redirect_uri", "")
        if not q.get("client_id") or not redirect_uri.startswith(("http://", "https://")):
            return _oauth_error(
                "invalid_request", description="client_id and redirect_uri required"
            )
        params = {"country": "GB"}
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
                self.clock.time() + CODE_LIFETIME,
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
            return json_reply(200, self.issue(client_id))
        if grant == "refresh_token":
            old = self.refresh.pop(form.get("refresh_token", ""), None)  # rotation: old one dies
            if old is None or self.clock.time() >= old.expires or old.client_id != client_id:
                return _oauth_error("invalid_grant")
            return json_reply(200, self.issue(client_id))
        return _oauth_error("unsupported_grant_type")

    def _revoke(self, form: Mapping[str, str]) -> Reply:
        token = form.get("token", "")
        self.refresh.pop(token, None)
        self.access.pop(token, None)
        # oauth_revoke__200__sage-guide-auth.json: Sage answers {"success": "ok"}.
        return json_reply(200, {"success": "ok"})


def _basic_client(header: str) -> str:
    if not header.lower().startswith("basic "):
        return ""
    try:
        decoded = base64.b64decode(header[6:]).decode()
    except ValueError:
        return ""
    return decoded.partition(":")[0]
