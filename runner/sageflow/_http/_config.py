"""Named connections (a TOML file and environment variables) and opening a caller for one."""

from __future__ import annotations

import logging
import os
import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
from pydantic import ValidationError

from sageflow._files import (
    MAX_CONFIG_FILE_BYTES,
    LocalFileError,
    private_dir,
    private_file,
    read_text_bounded,
    warn_if_exposed,
)
from sageflow._http._client import AsyncClient, Client, Connection
from sageflow._http._limits import Limiter, LimitSettings
from sageflow._http._profile import (
    APIProfile,
    ConfigurationError,
    HTTPConnectionSpec,
    describe_problems,
)
from sageflow._http._tokens import FileTokenStore, TokenStore, config_dir
from sageflow._registry import (
    AmbiguousPackError,
    get_pack,
    known_pack,
    only_pack,
    pack_env_prefix,
    packs,
)

#: Field names that hold a credential (clientSecret, accessToken, a host's password).
_CREDENTIAL = re.compile(r"secret|token|password", re.IGNORECASE)
ENV_PREFIX = "SAGEFLOW_"
SANDBOX_NOTICE = "sageflow: no Sage account configured — using the embedded sandbox"


class ConfigFileError(ConfigurationError):
    """``connections.toml`` cannot be read as a configuration (names the file)."""


class IncompleteCredentialsError(ConfigurationError):
    """Some of a connection kind's credentials are in the environment, not all of them."""


class AccountRequiredError(ConfigurationError):
    """No account is configured and the caller refused the embedded sandbox fallback."""


#: ``SAGEFLOW_REQUIRE_ACCOUNT=1`` refuses the sandbox fallback, like ``--require-account``.
REQUIRE_ACCOUNT_ENV = ENV_PREFIX + "REQUIRE_ACCOUNT"
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class ConnectionConfig:
    """One configured connection: which pack and connection kind, and its field values."""

    name: str
    pack: str
    kind: str
    values: Mapping[str, Any]
    source: str

    def spec(self) -> HTTPConnectionSpec:
        try:
            spec = known_pack(self.pack).connections[self.kind]
        except KeyError:
            raise ConfigurationError(
                f"connection {self.name!r} ({self.source}) names unknown kind "
                f"{self.pack}/{self.kind}"
            ) from None
        if not isinstance(spec, HTTPConnectionSpec):
            raise ConfigurationError(f"{self.pack}/{self.kind} has no HTTP settings")
        return spec


def config_file() -> Path:
    """``connections.toml`` in sageflow's config folder (``SAGEFLOW_CONFIG_DIR`` moves it)."""
    return config_dir() / "connections.toml"


def _env_name(field: str, prefix: str = ENV_PREFIX) -> str:
    return prefix + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", field).upper()


def env_prefix(pack: str | None) -> str:
    """The prefix of ``pack``'s credential variables (``SAGEFLOW_`` for a pack that says so)."""
    installed = get_pack(pack) if pack is not None else None
    return pack_env_prefix(installed) if installed is not None else ENV_PREFIX


def _from_env(pack: str, environ: Mapping[str, str]) -> ConnectionConfig | None:
    # The first connection kind of the pack whose required fields are all in the environment:
    # SAGEFLOW_ACCESS_TOKEN alone, or SAGEFLOW_CLIENT_ID + SAGEFLOW_CLIENT_SECRET.
    installed = get_pack(pack)
    if installed is None:
        return None
    prefix = pack_env_prefix(installed)

    def var(field: str) -> str:
        return _env_name(field, prefix)

    partial: list[tuple[list[str], list[str]]] = []
    for kind, spec in installed.connections.items():
        fields = spec.fields.model_fields
        required = [name for name, info in fields.items() if info.is_required()]
        given = [var(name) for name in required if var(name) in environ]
        if required and len(given) == len(required):
            values = {n: environ[var(n)] for n in fields if var(n) in environ}
            return ConnectionConfig("env", pack, kind, values, "environment")
        if given:
            missing = [var(name) for name in required if var(name) not in environ]
            partial.append((given, missing))
    if partial:
        # Half a set of credentials is a mistake, not "no account": falling back to the
        # sandbox would report success for a run that never reached Sage.
        given, missing = partial[0]
        raise IncompleteCredentialsError(
            f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} set but "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not: set "
            f"{'it' if len(missing) == 1 else 'them'} too, or unset {' and '.join(given)} "
            "to use the embedded sandbox"
        )
    return None


def _from_file(path: Path) -> tuple[str | None, dict[str, ConnectionConfig]]:
    if not path.exists():
        return None, {}
    try:
        data = tomllib.loads(read_text_bounded(path, MAX_CONFIG_FILE_BYTES))
    except LocalFileError as error:
        raise ConfigFileError(f"{path} {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigFileError(f"{path}: invalid TOML: {error}") from None
    connections = data.get("connections") or {}
    if not isinstance(connections, dict) or not all(
        isinstance(table, dict) for table in connections.values()
    ):
        raise ConfigFileError(f"{path}: [connections] must hold one table per connection")
    if any(_CREDENTIAL.search(key) for table in connections.values() for key in table):
        warn_if_exposed(path, "connection credentials")
    found = {}
    for name, table in connections.items():
        values = dict(table)
        pack = values.pop("pack", None)
        kind = str(values.pop("kind", "oauth2"))
        if pack is None:
            pack = _pack_of(name, kind, values, path)
        pack = str(pack)
        found[name] = ConnectionConfig(name, pack, kind, values, str(path))
    default = data.get("default")
    return (str(default) if default else None), found


def _pack_of(name: str, kind: str, values: Mapping[str, Any], path: Path) -> str:
    """The pack of a connection that names none: the only pack installed, else the only one
    with a connection kind of that name whose fields these values fill (a file written before
    a second pack was installed keeps working)."""
    try:
        return only_pack()
    except AmbiguousPackError as error:
        ambiguous = error
    having = {
        candidate: spec
        for candidate, pack in sorted(packs().items())
        if isinstance(spec := pack.connections.get(kind), HTTPConnectionSpec)
    }
    if len(having) == 1:
        return next(iter(having))  # its own field errors are reported when it is used
    fits, misfits = [], []
    for candidate, spec in having.items():
        try:
            spec.fields.model_validate(dict(values))
        except ValidationError as error:
            # Never pydantic's own text: it quotes the input values, and these are credentials.
            misfits.append(f"as a {candidate} {kind} connection: {describe_problems(error)}")
            continue
        fits.append(candidate)
    if len(fits) == 1:
        return fits[0]
    if not having:
        kinds = sorted({k for pack in packs().values() for k in pack.connections})
        why = f"no installed pack has a connection kind {kind!r} (kinds: {', '.join(kinds)})"
    else:
        why = "; ".join(misfits) if not fits else str(ambiguous)
    raise ConfigFileError(f"{path}: connection {name!r} names no pack (add pack = ...): {why}")


def find_connection(
    name: str | None = None,
    *,
    pack: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ConnectionConfig | None:
    """The connection to use: ``name`` from the file, else the environment, else the file's
    default (or its only entry); ``None`` when no credentials are configured anywhere.

    ``pack`` narrows the search to that pack's connections (a flow step's pack); ``None``
    takes any pack's.
    """
    env = os.environ if environ is None else environ
    default, configured = _from_file(config_file())
    name = name or env.get(ENV_PREFIX + "CONNECTION")
    if name is not None and name != "env":
        if name not in configured:
            known = ", ".join(sorted(configured)) or "none"
            raise ConfigurationError(
                f"no connection named {name!r} in {config_file()} (configured: {known})"
            )
        found = configured[name]
        if pack is not None and found.pack != pack:
            raise ConfigurationError(
                f"connection {name!r} ({found.source}) is a {found.pack} connection, "
                f"not a {pack} one"
            )
        return found
    for candidate in [pack] if pack is not None else sorted(packs()):
        from_env = _from_env(candidate, env)
        if from_env is not None:
            return from_env
    if name == "env":
        return None
    mine = {k: c for k, c in configured.items() if pack is None or c.pack == pack}
    if default is not None and (pack is None or default in mine):
        return configured.get(default)
    if len(mine) == 1:
        return next(iter(mine.values()))
    return None


def connect(
    config: ConnectionConfig,
    *,
    store: TokenStore | None = None,
    clock: Callable[[], float] | None = None,
) -> Connection:
    """A run-time :class:`Connection` for a configured one (tokens from the file store)."""
    spec = config.spec()
    try:
        values = spec.fields.model_validate(dict(config.values))
    except ValidationError as error:
        # Never pydantic's own text: it quotes the input values, and these are credentials.
        problems = describe_problems(error)
        raise ConfigurationError(
            f"connection {config.name!r} ({config.source}): {problems}"
        ) from None
    kwargs: dict[str, Any] = {} if clock is None else {"clock": clock}
    return Connection.from_spec(
        spec, values, store=store or FileTokenStore(name=config.name), name=config.name, **kwargs
    )


# -- the embedded sandbox -----------------------------------------------------------------------


@dataclass
class _Sandbox:
    connection: Connection
    transport: httpx.BaseTransport | None
    async_transport: httpx.AsyncBaseTransport | None
    sandbox: Any


#: Where the embedded sandbox keeps its state when the caller does not say. The CLI sets it
#: for the length of one command (so that a second `sageflow run`, or `sageflow resume`, sees
#: what the first one created); the Python API leaves it unset, so a sandbox is in memory.
SANDBOX_DATA: ContextVar[Path | None] = ContextVar("sageflow_sandbox_data", default=None)


@contextmanager
def sandbox_state(path: Path | None) -> Iterator[None]:
    """Within this block, a sandbox opened by default keeps its state in ``path`` (SQLite)."""
    token = SANDBOX_DATA.set(path)
    try:
        yield
    finally:
        SANDBOX_DATA.reset(token)


def pack_state_file(state: Path, pack: str) -> Path:
    """The file one pack's sandbox keeps its state in: packs' simulators never share one
    (``.sageflow/sandbox.db`` -> ``.sageflow/sandbox-sage200.db``)."""
    return state.with_name(f"{state.stem}-{pack}{state.suffix}")


def _sandbox(pack: str, options: Mapping[str, Any]) -> _Sandbox:
    state = SANDBOX_DATA.get()
    if state is not None and "data" not in options:
        state = pack_state_file(state, pack)
        # The sandbox's records are business data like a journal's: 0700 folder, 0600 file.
        private_dir(state.parent)
        private_file(state)
        options = {**options, "data": state}
    installed = get_pack(pack)
    factory = installed.sandbox_factory if installed is not None else None
    if installed is None or factory is None:
        raise ConfigurationError(
            f"no credentials configured for {pack} and the pack has no sandbox; "
            f"set {env_prefix(pack)}ACCESS_TOKEN or add a connection to {config_file()}"
        )
    sandbox = factory(**options)
    profile = APIProfile()
    for spec in installed.connections.values():
        if isinstance(spec, HTTPConnectionSpec):
            profile = spec.profile
            break
    # The sandbox offers its ways in as methods (transport(), async_transport(), access_token);
    # its package's documented names are the fallback.
    home = sys.modules[type(sandbox).__module__.rsplit(".", 1)[0]]
    base = str(getattr(sandbox, "api_base", None) or getattr(home, "IN_PROCESS_BASE_URL", ""))
    token = str(getattr(sandbox, "access_token", None) or getattr(home, "DEV_TOKEN", ""))
    if not base:
        raise ConfigurationError(f"the {pack} sandbox does not say where its API is")
    # A sandbox whose API wants fixed headers on every request (Sage 200's X-Site and
    # X-Company, from its seeded site) names them; they are sent as a configured connection's.
    headers = dict(getattr(sandbox, "connection_headers", None) or {})
    return _Sandbox(
        Connection.with_token(base, token, profile, headers=headers),
        _transport(sandbox, home, "transport", "SandboxTransport"),
        _transport(sandbox, home, "async_transport", "AsyncSandboxTransport"),
        sandbox,
    )


def _transport(sandbox: Any, home: Any, method: str, class_name: str) -> Any:
    make = getattr(sandbox, method, None)
    if callable(make):
        return make()
    cls = getattr(home, class_name, None)
    return cls(sandbox) if cls is not None else None


def sandbox_limiter() -> Limiter:
    """The sandbox is in-process and simulates Sage's own 429s (its chaos settings): pacing it
    at Sage's quota would only slow tests and demos. Serial numbered POSTs still apply."""
    return Limiter(LimitSettings(requests_per_day=10**12, burst=10**9))


#: Where the sandbox notice goes: the ``sageflow`` logger, so that a host can silence it or
#: route it (the CLI prints the logger's warnings on stderr).
logger = logging.getLogger("sageflow")


def _announce(stream: IO[str] | None) -> None:
    logger.warning(SANDBOX_NOTICE)
    if stream is not None:
        # A caller that passes a stream asked for the notice there as well.
        print(SANDBOX_NOTICE, file=stream)


def account_required(
    require_account: bool | None = None, environ: Mapping[str, str] | None = None
) -> bool:
    """Whether the sandbox fallback is refused: ``require_account`` when given, else
    ``SAGEFLOW_REQUIRE_ACCOUNT`` (1/true/yes/on), else the innermost :func:`requiring_account`
    block."""
    if require_account is not None:
        return require_account
    env = os.environ if environ is None else environ
    return env.get(REQUIRE_ACCOUNT_ENV, "").strip().lower() in _TRUE or REQUIRE_ACCOUNT.get()


#: Set by the CLI's ``--require-account`` for the length of one command (like SANDBOX_DATA).
REQUIRE_ACCOUNT: ContextVar[bool] = ContextVar("sageflow_require_account", default=False)


@contextmanager
def requiring_account(required: bool = True) -> Iterator[None]:
    """Within this block, opening a caller with no account configured is an error."""
    token = REQUIRE_ACCOUNT.set(required)
    try:
        yield
    finally:
        REQUIRE_ACCOUNT.reset(token)


def no_account_error(pack: str | None = None) -> AccountRequiredError:
    if pack is None:
        try:
            pack = only_pack()
        except AmbiguousPackError:
            pack = None  # several packs: the message speaks of a Sage account in general
    prefix = env_prefix(pack)
    return AccountRequiredError(
        f"no {pack or 'Sage'} account configured and the embedded sandbox was refused "
        f"(--require-account or {REQUIRE_ACCOUNT_ENV}): set {prefix}ACCESS_TOKEN, or "
        f"{prefix}CLIENT_ID and {prefix}CLIENT_SECRET, or add a connection to "
        f"{config_file()}"
    )


def _resolve(
    name: str | None,
    pack: str | None,
    store: TokenStore | None,
    stderr: IO[str] | None,
    sandbox_options: Mapping[str, Any] | None,
    client_options: dict[str, Any],
    require_account: bool | None = None,
) -> tuple[Connection, _Sandbox | None]:
    """The connection to open, and the sandbox behind it when no credentials are configured."""
    config = find_connection(name, pack=pack)
    if config is not None:
        return connect(config, store=store), None
    if pack is None:
        pack = only_pack()
    if account_required(require_account):
        raise no_account_error(pack)
    sandbox = _sandbox(pack, sandbox_options or {})
    _announce(stderr)
    client_options.setdefault("limiter", sandbox_limiter())
    return sandbox.connection, sandbox


def open_caller(
    name: str | None = None,
    *,
    debug: bool = False,
    pack: str | None = None,
    store: TokenStore | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    stderr: IO[str] | None = None,
    sandbox_options: Mapping[str, Any] | None = None,
    require_account: bool | None = None,
    **client_options: Any,
) -> AsyncClient:
    """An :class:`AsyncClient` (the runner's ``Caller``) for the configured account, or for the
    embedded sandbox when no credentials are configured, announced by a warning on the
    ``sageflow`` logger (also written to ``stderr`` when a stream is given).

    Args:
        name: a connection in ``connections.toml``; ``None`` picks ``SAGEFLOW_CONNECTION``, the
            ``SAGEFLOW_*`` credentials in the environment, or the file's default.
        debug: log every request and response (secrets masked) on the ``sageflow`` logger.
        sandbox_options: passed to the pack's sandbox factory (``clock``, ``chaos``, ``data``).
        require_account: refuse the sandbox fallback (:class:`AccountRequiredError`); ``None``
            reads ``SAGEFLOW_REQUIRE_ACCOUNT``.
        client_options: passed to :class:`AsyncClient` (``timeout``, ``retry``, ``limiter``).

    The sandbox object is reachable as ``client.sandbox`` (``None`` for a real account).
    """
    connection, sandbox = _resolve(
        name, pack, store, stderr, sandbox_options, client_options, require_account
    )
    if sandbox is not None:
        transport = transport or sandbox.async_transport
    client = AsyncClient(connection, transport=transport, debug=debug, **client_options)
    client.sandbox = sandbox.sandbox if sandbox is not None else None
    return client


def open_client(
    name: str | None = None,
    *,
    debug: bool = False,
    pack: str | None = None,
    store: TokenStore | None = None,
    transport: httpx.BaseTransport | None = None,
    stderr: IO[str] | None = None,
    sandbox_options: Mapping[str, Any] | None = None,
    require_account: bool | None = None,
    **client_options: Any,
) -> Client:
    """The synchronous twin of :func:`open_caller`."""
    connection, sandbox = _resolve(
        name, pack, store, stderr, sandbox_options, client_options, require_account
    )
    if sandbox is not None:
        transport = transport or sandbox.transport
    client = Client(connection, transport=transport, debug=debug, **client_options)
    client.sandbox = sandbox.sandbox if sandbox is not None else None
    return client
