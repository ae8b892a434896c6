"""Where OAuth tokens live: a store protocol, an atomic 0600 file store and a host store."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import platformdirs

from sageflow._errors import SageflowError
from sageflow._files import (
    MAX_CONFIG_FILE_BYTES,
    LocalFileError,
    read_text_bounded,
    warn_if_exposed,
)

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class TokenSet:
    """One grant's tokens; times are seconds since the epoch so they survive a restart."""

    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None
    refresh_expires_at: float | None = None
    scope: str | None = None
    #: Anything else the token endpoint returned that is not a credential (e.g. Sage's
    #: ``requested_by_id``), kept for ``auth status``.
    extra: Mapping[str, Any] = field(default_factory=dict)

    def usable(self, now: float, margin: float) -> str | None:
        """The access token while more than ``margin`` seconds of it are left (one that never
        expires always is); ``None`` when it is time to get another."""
        if self.expires_at is not None and self.expires_at - now < margin:
            return None
        return self.access_token

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token"),
            expires_at=data.get("expires_at"),
            refresh_expires_at=data.get("refresh_expires_at"),
            scope=data.get("scope"),
            extra=dict(data.get("extra") or {}),
        )

    def __repr__(self) -> str:  # never print a credential, even in a traceback's locals
        return f"TokenSet(expires_at={self.expires_at!r}, scope={self.scope!r})"


@runtime_checkable
class TokenStore(Protocol):
    """Where a connection's tokens are kept between runs (a file, a host's vault, memory)."""

    def load(self) -> TokenSet | None: ...

    def save(self, tokens: TokenSet) -> None: ...

    def delete(self) -> None: ...


def config_dir() -> Path:
    """sageflow's configuration folder; ``SAGEFLOW_CONFIG_DIR`` moves it (tests, containers)."""
    override = os.environ.get("SAGEFLOW_CONFIG_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("sageflow", appauthor=False))


_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "refresh_token": str,
    "expires_at": (int, float),
    "refresh_expires_at": (int, float),
    "scope": str,
    "extra": dict,
}


class TokenFileError(SageflowError, ValueError):
    """A token store file that cannot be used (damaged, hand-edited, not ours)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(
            f"token file {path} {reason}; run `sageflow auth logout` to remove it,"
            " then sign in again"
        )


class FileTokenStore:
    """Tokens in a JSON file readable only by the user, replaced atomically on every save.

    A refresh consumes the old refresh token, so a torn or empty file after a crash would lock
    the user out for good: the new content goes to a temporary file beside the target, is
    flushed to disk, then renamed over it, which POSIX makes all-or-nothing.
    """

    def __init__(self, path: Path | str | None = None, *, name: str = "default") -> None:
        self.path = Path(path) if path is not None else config_dir() / "tokens" / f"{name}.json"
        self._lock = threading.Lock()

    def load(self) -> TokenSet | None:
        if not self.path.exists():
            return None
        try:
            text = read_text_bounded(self.path, MAX_CONFIG_FILE_BYTES)
            data = json.loads(text)
        except LocalFileError as error:
            if not self.path.exists():  # removed meanwhile (a logout in another process)
                return None
            raise TokenFileError(self.path, str(error)) from None
        except ValueError as error:
            raise TokenFileError(self.path, f"is not JSON ({error})") from None
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise TokenFileError(self.path, "holds no access_token")
        for key, kinds in _FIELD_TYPES.items():
            if data.get(key) is not None and (
                not isinstance(data[key], kinds) or isinstance(data[key], bool)
            ):
                raise TokenFileError(self.path, f"has a {key} of the wrong type")
        warn_if_exposed(self.path, "OAuth tokens")
        return TokenSet.from_dict(data)

    def save(self, tokens: TokenSet) -> None:
        data = json.dumps(tokens.to_dict(), indent=2, sort_keys=True).encode("utf-8")
        with self._lock:
            write_atomic(self.path, data)

    def delete(self) -> None:
        with self._lock:
            self.path.unlink(missing_ok=True)

    def keep_raw(self, content: bytes) -> str:
        """Keep a token endpoint's answer that could not be read, beside the store (0600).

        Sage rotates the refresh token on every refresh and the old one is dead by the time the
        answer arrives, so an answer that cannot be parsed may hold the only live refresh token:
        it is kept, never dropped, and the error names this file.
        """
        return str(_keep_beside(self.path, content))

    @contextlib.contextmanager
    def refresh_lock(self) -> Iterator[None]:
        """An exclusive advisory lock (``<name>.lock`` beside the file) held across a refresh,
        so that two processes sharing these tokens never spend the same refresh token."""
        if fcntl is None:  # no flock on this platform: in-process single flight only
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _keep_beside(path: Path, content: bytes) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    kept = path.with_name(f"{path.name}.unreadable-{stamp}-{secrets.token_hex(3)}")
    write_atomic(kept, content)
    return kept


def keep_raw_response(store: object, content: bytes) -> str:
    """Keep an unreadable token-endpoint answer where the user can find it; say where.

    A store may keep it itself (``keep_raw``: the file store writes it beside its file); any
    other store's answer goes to sageflow's configuration folder, 0600.
    """
    keep = getattr(store, "keep_raw", None)
    if callable(keep):
        return str(keep(content))
    return str(_keep_beside(config_dir() / "tokens" / "token-response", content))


def write_atomic(
    path: Path, data: bytes, *, before_rename: Callable[[], None] | None = None
) -> None:
    """Write ``data`` to ``path`` with mode 0600 so that readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp already creates 0600; fchmod guards against an unusual umask or platform.
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if before_rename is not None:
            before_rename()
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    # Make the rename itself durable.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class CallbackTokenStore:
    """A host's own storage (a vault, a database row) through load/save callables of dicts."""

    def __init__(
        self,
        load: Callable[[], Mapping[str, Any] | None],
        save: Callable[[dict[str, Any]], None],
        delete: Callable[[], None] | None = None,
    ) -> None:
        self._load = load
        self._save = save
        self._delete = delete

    def load(self) -> TokenSet | None:
        data = self._load()
        return None if data is None else TokenSet.from_dict(data)

    def save(self, tokens: TokenSet) -> None:
        self._save(tokens.to_dict())

    def delete(self) -> None:
        if self._delete is not None:
            self._delete()


class MemoryTokenStore:
    """Tokens kept in memory only (tests, one-shot host runs)."""

    def __init__(self, tokens: TokenSet | None = None) -> None:
        self.tokens = tokens
        self.saves = 0
        #: Token-endpoint answers that could not be read, kept as received.
        self.unreadable: list[bytes] = []

    def keep_raw(self, content: bytes) -> str:
        self.unreadable.append(content)
        return f"MemoryTokenStore.unreadable[{len(self.unreadable) - 1}]"

    def load(self) -> TokenSet | None:
        return self.tokens

    def save(self, tokens: TokenSet) -> None:
        self.saves += 1
        self.tokens = tokens

    def delete(self) -> None:
        self.tokens = None
