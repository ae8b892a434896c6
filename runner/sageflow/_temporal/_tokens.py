"""One workflow per connection owns its OAuth tokens (sealed): the only one that ever refreshes.

Sage rotates the refresh token on every refresh and the old one dies at once, so two workers
refreshing together lose the connection. The process-wide lock and file lock of
:class:`~sageflow._http._oauth.TokenManager` hold on one machine; across machines the tokens
belong to a :class:`ConnectionTokens` workflow (id ``sageflow-tokens-<connection>``):

- a worker asks it through an update (``current``) when its cached access token is stale or
  the API refused it, and gets the current tokens back;
- updates run one at a time through a workflow lock, so of fifty asks only the first refreshes
  (through the ``refresh_tokens`` activity, never retried: a second attempt would spend a dead
  refresh token); the rest find the new pair;
- the workflow only ever holds the tokens sealed with AES-GCM under a key the workers have
  (``SAGEFLOW_TOKEN_KEY``) and Temporal's server does not: its history, the store at rest,
  never sees a token in clear.

The first ask of a connection starts the workflow (update-with-start), seeded with the tokens
the asking worker has in its own store (``sageflow auth login`` on that machine); after that
the workflow's copy is the live one.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import httpx

    from sageflow._errors import ReauthorizationRequiredError, SageflowError
    from sageflow._http._oauth import REFRESH_MARGIN, OAuthClient, TokenManager
    from sageflow._http._redact import register_secret
    from sageflow._http._tokens import TokenSet, TokenStore, config_dir

if TYPE_CHECKING:
    from sageflow._http._client import Connection

#: The sealing key: 32 random bytes in URL-safe base 64 (``new_token_key()`` makes one).
TOKEN_KEY_ENV = "SAGEFLOW_TOKEN_KEY"  # noqa: S105 - the variable's name, not a key
#: The workflow and activity names every sageflow worker registers.
TOKENS_WORKFLOW = "sageflow.ConnectionTokens"
REFRESH_ACTIVITY = "sageflow.refresh_tokens"
#: How long a worker waits for the token workflow (a refresh included) before giving up.
ASK_TIMEOUT = 90.0
#: ApplicationError type of a dead grant, turned back into ReauthorizationRequiredError.
REAUTHORIZE = "ReauthorizationRequired"


class TokenKeyError(SageflowError):
    """No sealing key, or one that is not 32 bytes of URL-safe base 64."""


def new_token_key() -> str:
    """A fresh sealing key for ``SAGEFLOW_TOKEN_KEY`` (the same on every worker)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def token_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The sealing key: ``SAGEFLOW_TOKEN_KEY``, else the file ``token.key`` in sageflow's
    configuration folder (0600, one line)."""
    env = os.environ if environ is None else environ
    raw, source = env.get(TOKEN_KEY_ENV, "").strip(), TOKEN_KEY_ENV
    if not raw:
        path = config_dir() / "token.key"
        if path.is_file():
            raw, source = path.read_text(encoding="ascii").strip(), str(path)
    if not raw:
        raise TokenKeyError(
            f"no key to seal OAuth tokens with on Temporal: set {TOKEN_KEY_ENV} (the same on "
            "every worker) to the output of `python -c 'from sageflow._temporal._tokens import "
            f"new_token_key; print(new_token_key())'`, or put it in {config_dir() / 'token.key'}"
        )
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        key = b""
    if len(key) != 32:
        # Never echo the value: it is the key.
        raise TokenKeyError(f"{source} is not 32 bytes in URL-safe base 64 (new_token_key())")
    return key


class Sealer:
    """AES-GCM over a token set's JSON; the connection's name is bound in as associated data,
    so one connection's sealed tokens cannot be passed off as another's."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    def seal(self, connection: str, tokens: TokenSet) -> str:
        nonce = secrets.token_bytes(12)
        plain = json.dumps(tokens.to_dict(), sort_keys=True).encode("utf-8")
        sealed = self._aead.encrypt(nonce, plain, connection.encode("utf-8"))
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, connection: str, sealed: str) -> TokenSet:
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.urlsafe_b64decode(sealed)
            plain = self._aead.decrypt(raw[:12], raw[12:], connection.encode("utf-8"))
        except (InvalidTag, ValueError):
            raise TokenKeyError(
                f"the tokens of connection {connection!r} were sealed with another key: every "
                f"worker needs the same {TOKEN_KEY_ENV}"
            ) from None
        tokens = TokenSet.from_dict(json.loads(plain))
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        return tokens


def fingerprint(access_token: str) -> str:
    """Names an access token without revealing it (which one the API refused)."""
    return hashlib.sha256(access_token.encode("utf-8")).hexdigest()[:16]


# -- what crosses Temporal (no token in clear) --------------------------------------------------


@dataclass(frozen=True)
class SealedTokens:
    sealed: str
    fingerprint: str
    expires_at: float | None = None
    #: Refreshes this workflow has made since it was seeded (continue-as-new keeps it).
    refreshes: int = 0


@dataclass(frozen=True)
class TokenAsk:
    #: The fingerprint of the access token the API just refused (a 401), if any.
    rejected: str | None = None


@dataclass(frozen=True)
class OwnerState:
    connection: str
    tokens: SealedTokens
    margin: float = REFRESH_MARGIN


@dataclass(frozen=True)
class RefreshArgs:
    connection: str
    sealed: str


@dataclass(frozen=True)
class TokenStatus:
    """What ``sageflow`` may show about a connection's tokens: no credential."""

    connection: str
    expires_at: float | None
    refreshes: int


@workflow.defn(name=TOKENS_WORKFLOW)
class ConnectionTokens:
    """Owns one connection's tokens; refreshes them one at a time, for every worker."""

    @workflow.init
    def __init__(self, state: OwnerState) -> None:
        # Set here, not in run: an update-with-start's update is handled before run begins.
        self._state = state
        self._lock = asyncio.Lock()
        self._stop = False

    @workflow.run
    async def run(self, state: OwnerState) -> TokenStatus:
        await workflow.wait_condition(
            lambda: self._stop or workflow.info().is_continue_as_new_suggested()
        )
        # An update in flight (a refresh) finishes here, not in the next run.
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._stop:
            return self.status()
        workflow.continue_as_new(self._current())

    def _current(self) -> OwnerState:
        return self._state

    @workflow.update(name="current")
    async def current(self, ask: TokenAsk) -> SealedTokens:
        """The tokens to use now: the held ones while valid and not refused, else refreshed."""
        async with self._lock:
            state = self._current()
            tokens = state.tokens
            now = workflow.now().timestamp()
            stale = tokens.expires_at is not None and tokens.expires_at - now < state.margin
            if ask.rejected != tokens.fingerprint and not stale:
                return tokens
            fresh: SealedTokens = await workflow.execute_activity(
                REFRESH_ACTIVITY,
                RefreshArgs(state.connection, tokens.sealed),
                result_type=SealedTokens,
                start_to_close_timeout=timedelta(seconds=60),
                # Never retried by Temporal: the token server may have rotated the pair before
                # the attempt was lost, and a second attempt would spend the dead refresh token.
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
            fresh = SealedTokens(
                fresh.sealed, fresh.fingerprint, fresh.expires_at, tokens.refreshes + 1
            )
            self._state = OwnerState(state.connection, fresh, state.margin)
            return fresh

    @workflow.update(name="replace")
    async def replace(self, tokens: SealedTokens) -> None:
        """New tokens from a sign-in (``sageflow auth login`` after a dead grant)."""
        async with self._lock:
            state = self._current()
            kept = SealedTokens(
                tokens.sealed, tokens.fingerprint, tokens.expires_at, state.tokens.refreshes
            )
            self._state = OwnerState(state.connection, kept, state.margin)

    @workflow.query(name="status")
    def status(self) -> TokenStatus:
        state = self._current()
        return TokenStatus(state.connection, state.tokens.expires_at, state.tokens.refreshes)

    @workflow.signal(name="stop")
    def stop(self) -> None:
        self._stop = True


def tokens_workflow_id(connection: str) -> str:
    return f"sageflow-tokens-{connection}"


# -- the refresh, on a worker -------------------------------------------------------------------


class _Held:
    """A token store that only holds the pair being refreshed; an unreadable answer is kept in
    the configuration folder by the HTTP layer (``keep_raw_response``)."""

    def __init__(self, tokens: TokenSet) -> None:
        self.tokens: TokenSet | None = tokens

    def load(self) -> TokenSet | None:
        return self.tokens

    def save(self, tokens: TokenSet) -> None:
        self.tokens = tokens

    def delete(self) -> None:
        self.tokens = None


def oauth_client_of(connection: str) -> OAuthClient:
    """The OAuth registration of a configured connection (``connections.toml`` or env)."""
    from sageflow._http._config import find_connection

    config = find_connection(connection)
    settings = config.spec().resolve(dict(config.values)) if config is not None else None
    if settings is None or settings.oauth is None:
        raise SageflowError(f"connection {connection!r} is not an OAuth connection on this worker")
    return settings.oauth


class TokenActivities:
    """The refresh activity, with the worker's key and its way to the connection's OAuth app."""

    def __init__(
        self,
        key: bytes | None = None,
        *,
        oauth_for: Callable[[str], OAuthClient] = oauth_client_of,
        http: Callable[[], httpx.AsyncClient] | None = None,
    ) -> None:
        self._key = key
        self._oauth_for = oauth_for
        self._http = http or (lambda: httpx.AsyncClient(timeout=30.0))
        #: Refreshes this worker made (each one a POST to the token endpoint).
        self.refreshes = 0

    @activity.defn(name=REFRESH_ACTIVITY)
    async def refresh_tokens(self, args: RefreshArgs) -> SealedTokens:
        sealer = Sealer(self._key or token_key())
        held = _Held(sealer.open(args.connection, args.sealed))
        manager = TokenManager(self._oauth_for(args.connection), held)
        async with self._http() as http:
            self.refreshes += 1
            try:
                # "The API refused this token": the manager's one public way to force a refresh.
                await manager.atoken_rejected(http, held.tokens.access_token if held.tokens else "")
            except ReauthorizationRequiredError as error:
                raise ApplicationError(str(error), type=REAUTHORIZE, non_retryable=True) from None
        fresh = held.tokens
        assert fresh is not None
        return SealedTokens(
            sealer.seal(args.connection, fresh), fingerprint(fresh.access_token), fresh.expires_at
        )


# -- the worker's side: a token source for the HTTP layer ---------------------------------------


class WorkflowTokens(TokenManager):
    """The :class:`TokenManager` a worker's connection uses: it asks the connection's token
    workflow instead of refreshing itself, and caches the answer until it goes stale.

    One ask at a time per worker (an asyncio lock), so fifty activities on one worker meeting an
    expired token make one update; the workflow makes the one refresh for all the workers.
    """

    def __init__(
        self,
        oauth: OAuthClient,
        *,
        connection: str,
        client: Any,
        task_queue: str,
        key: bytes | None = None,
        seed: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
        margin: float = REFRESH_MARGIN,
    ) -> None:
        super().__init__(oauth, _Held(TokenSet("")), clock=clock, margin=margin)
        self._tokens = None
        self._connection = connection
        self._client = client
        self._task_queue = task_queue
        self._sealer = Sealer(key or token_key())
        self._seed = seed
        self._ask_lock: asyncio.Lock | None = None
        #: Updates this worker sent to the token workflow.
        self.asks = 0

    def token(self, http: httpx.Client) -> str:
        raise SageflowError("a Temporal worker calls Sage through the async client only")

    def token_rejected(self, http: httpx.Client, used: str) -> str:
        raise SageflowError("a Temporal worker calls Sage through the async client only")

    async def atoken(self, http: httpx.AsyncClient) -> str:
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        async with self._lock_for_loop():
            fresh = self._fresh()
            return fresh if fresh is not None else await self._ask(None)

    async def atoken_rejected(self, http: httpx.AsyncClient, used: str) -> str:
        async with self._lock_for_loop():
            current = self._tokens
            if current is not None and current.access_token != used:
                return current.access_token  # another activity of this worker already asked
            return await self._ask(fingerprint(used))

    def _lock_for_loop(self) -> asyncio.Lock:
        if self._ask_lock is None:
            self._ask_lock = asyncio.Lock()
        return self._ask_lock

    async def _ask(self, rejected: str | None) -> str:
        from temporalio.client import WithStartWorkflowOperation, WorkflowUpdateFailedError
        from temporalio.common import WorkflowIDConflictPolicy
        from temporalio.service import RPCError, RPCStatusCode

        self.asks += 1
        ask = TokenAsk(rejected)
        seed = self._seed_state()
        try:
            if seed is None:
                # Nothing to start it with here: the workflow must exist (another machine,
                # where `sageflow auth login` ran, started it).
                handle = self._client.get_workflow_handle(tokens_workflow_id(self._connection))
                answer: SealedTokens = await asyncio.wait_for(
                    handle.execute_update(ConnectionTokens.current, ask), ASK_TIMEOUT
                )
            else:
                start = WithStartWorkflowOperation(
                    ConnectionTokens.run,
                    seed,
                    id=tokens_workflow_id(self._connection),
                    task_queue=self._task_queue,
                    # Running already: its tokens are the live ones and this seed is ignored.
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                )
                answer = await asyncio.wait_for(
                    self._client.execute_update_with_start_workflow(
                        ConnectionTokens.current, ask, start_workflow_operation=start
                    ),
                    ASK_TIMEOUT,
                )
        except TimeoutError:
            raise SageflowError(
                f"the tokens of connection {self._connection!r} did not come in "
                f"{ASK_TIMEOUT:.0f} s: no worker runs their workflow "
                f"({tokens_workflow_id(self._connection)}); it runs on the task queue of the "
                "worker that first asked, so keep a sageflow worker on that queue"
            ) from None
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            raise ReauthorizationRequiredError(
                f"no tokens for connection {self._connection!r} on Temporal and none stored on "
                "this worker: sign in on one worker's machine",
                command=self.client.login_command,
            ) from None
        except WorkflowUpdateFailedError as error:
            cause: BaseException | None = error.cause
            while cause is not None and not isinstance(cause, ApplicationError):
                cause = cause.__cause__
            if isinstance(cause, ApplicationError) and cause.type == REAUTHORIZE:
                raise ReauthorizationRequiredError(
                    cause.message, command=self.client.login_command
                ) from None
            raise
        tokens = self._sealer.open(self._connection, answer.sealed)
        self._tokens = tokens
        return tokens.access_token

    def _seed_state(self) -> OwnerState | None:
        """What the workflow starts with if it is not running yet: this worker's stored tokens
        (ignored when it runs already)."""
        stored = self._seed.load() if self._seed is not None else None
        if stored is None:
            return None
        return OwnerState(
            self._connection,
            SealedTokens(
                self._sealer.seal(self._connection, stored),
                fingerprint(stored.access_token),
                stored.expires_at,
            ),
            self._margin,
        )


def share_tokens(connection: Connection) -> None:
    """Inside an activity, hand an OAuth connection's tokens to its token workflow: the worker
    asks the workflow (on the activity's task queue) instead of refreshing them itself.

    Outside an activity, or for a connection without OAuth, nothing changes.
    """
    tokens = connection.tokens
    if tokens is None or isinstance(tokens, WorkflowTokens) or not activity.in_activity():
        return
    connection.tokens = WorkflowTokens(
        tokens.client,
        connection=connection.name,
        client=activity.client(),
        task_queue=activity.info().task_queue,
        seed=tokens.store,
    )


async def publish_tokens(
    client: Any,
    connection: str,
    tokens: TokenSet,
    *,
    task_queue: str,
    key: bytes | None = None,
) -> None:
    """Give the connection's token workflow new tokens (after a sign-in), starting it if need
    be: from then on every worker uses them."""
    from temporalio.client import WithStartWorkflowOperation
    from temporalio.common import WorkflowIDConflictPolicy

    sealer = Sealer(key or token_key())
    sealed = SealedTokens(
        sealer.seal(connection, tokens), fingerprint(tokens.access_token), tokens.expires_at
    )
    start = WithStartWorkflowOperation(
        ConnectionTokens.run,
        OwnerState(connection, sealed),
        id=tokens_workflow_id(connection),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    await client.execute_update_with_start_workflow(
        ConnectionTokens.replace, sealed, start_workflow_operation=start
    )


#: What a sageflow worker registers for tokens (TA's worker adds them to its own).
TOKEN_WORKFLOWS = [ConnectionTokens]
