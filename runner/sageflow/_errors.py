"""The typed errors every layer raises, so callers catch categories, not strings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


class SageflowError(Exception):
    """Base of every error sageflow raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One invalid value: where it is (``$.invoiceLines[0].quantity``) and what was expected."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InputValidationError(SageflowError):
    """Inputs that do not match a component's input model; keeps every problem, not the first."""

    def __init__(self, component: str, problems: Sequence[FieldProblem]) -> None:
        self.component = component
        self.problems = list(problems)
        listed = "; ".join(str(p) for p in self.problems)
        super().__init__(f"invalid inputs for {component}: {listed}")


@dataclass(frozen=True)
class APIErrorEntry:
    """One entry of an API's error array, kept as the API sent it."""

    severity: str | None
    code: str | None
    message: str
    source: str | None = None

    def redacted(self) -> APIErrorEntry:
        """This entry with every registered secret and credential shape masked in every field."""
        from sageflow._http._redact import redact

        def clean(text: str | None) -> str | None:
            return None if text is None else redact(text)

        return APIErrorEntry(
            severity=clean(self.severity),
            code=clean(self.code),
            message=redact(self.message),
            source=clean(self.source),
        )

    def __str__(self) -> str:
        where = f" ({self.source})" if self.source else ""
        code = f"{self.code}: " if self.code else ""
        return f"{code}{self.message}{where}"


class APIError(SageflowError):
    """An error status from the remote API, with every entry of its error body.

    Packs turn their API's error body into entries; this class only formats them so that the
    runner, journal and CLI can treat every pack's errors the same way.
    """

    def __init__(
        self,
        status: int,
        entries: Iterable[APIErrorEntry],
        *,
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        # Servers echo what they were sent (an Authorization header in a $message): every
        # field of every entry is masked here, so the journal, --json and `runs show` that
        # read the entries can never hold a credential, whoever built the error.
        self.entries = [e.redacted() for e in entries]
        self.method = method
        self.path = path
        self.retry_after = retry_after
        super().__init__(self._one_line())

    def _one_line(self) -> str:
        where = f" {self.method} {self.path}".rstrip() if self.method else ""
        details = "; ".join(str(e) for e in self.entries) or "no error details in the response"
        return f"HTTP {self.status}{where}: {details}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": type(self).__name__,
            "status": self.status,
            "method": self.method,
            "path": self.path,
            "message": str(self),
            "errors": [
                {
                    "severity": e.severity,
                    "code": e.code,
                    "message": e.message,
                    "source": e.source,
                }
                for e in self.entries
            ],
        }


class NotFoundError(APIError):
    """404: the resource does not exist (or is not visible to this business)."""


class AuthenticationError(APIError):
    """401/403: the token is missing, expired, revoked or lacks the scope."""


class RateLimitedError(APIError):
    """429: the app went over Sage's limits; ``retry_after`` says when to come back."""


class ServerError(APIError):
    """5xx from the API."""


def api_error_class(status: int) -> type[APIError]:
    """The most specific APIError subclass for a status, so callers can ``except`` by kind."""
    if status == 404:
        return NotFoundError
    if status in (401, 403):
        return AuthenticationError
    if status == 429:
        return RateLimitedError
    if status >= 500:
        return ServerError
    return APIError


class ReauthorizationRequiredError(SageflowError):
    """The refresh token is dead (``invalid_grant``): only a person signing in again fixes it."""

    def __init__(self, detail: str = "", command: str = "sageflow auth login") -> None:
        self.command = command
        extra = f" ({detail})" if detail else ""
        super().__init__(f"re-authorisation required{extra}: run `{command}`")


class UnsafeRequestError(SageflowError):
    """A request that would leave the configured API (absolute URL, path climbing, ...)."""


class ResponseLimitError(SageflowError):
    """A response the client will not take in: a body over the size cap (a decompression bomb
    included) or paging that does not end (a ``$next`` cycle, more pages than the cap)."""


class OutcomeUnknownError(SageflowError):
    """A write that may or may not have taken effect: the request was sent and no answer came
    back (a dropped connection, a timeout) or the server failed while handling it (a 5xx).

    The HTTP layer raises it instead of repeating the write when the sender reconciles writes
    itself (``HTTPRequest.reconciled``): the sender looks for the write's marker before sending
    it again.
    """

    def __init__(self, method: str, path: str, cause: str) -> None:
        self.method = method
        self.path = path
        self.cause = cause
        super().__init__(f"{method} {path}: outcome unknown ({cause})")
