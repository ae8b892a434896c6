"""Flows on Temporal: a workflow running the engine, activities calling components, a worker."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sageflow._errors import SageflowError

if TYPE_CHECKING:
    from sageflow._flows._journal import Journal


class TemporalMissingError(SageflowError):
    """The Temporal engine was asked for, and the ``temporal`` extra is not installed."""


def require_sdk() -> None:
    """Refuse the Temporal engine in one plain line when ``temporalio`` is not installed (the
    project's plain install has no Temporal: ``pip install -e .`` runs flows locally)."""
    import importlib.util

    if importlib.util.find_spec("temporalio") is None:
        raise TemporalMissingError(
            "the Temporal engine needs the temporal extra, which is not installed:"
            " pip install 'sageflow[temporal]' (from a checkout: pip install -e '.[temporal]')"
        )


#: Environment variables :meth:`TemporalSettings.from_env` reads (the CLI's option defaults).
ADDRESS_ENV = "SAGEFLOW_TEMPORAL_ADDRESS"
NAMESPACE_ENV = "SAGEFLOW_TEMPORAL_NAMESPACE"
TASK_QUEUE_ENV = "SAGEFLOW_TEMPORAL_TASK_QUEUE"
API_KEY_ENV = "SAGEFLOW_TEMPORAL_API_KEY"
TLS_ENV = "SAGEFLOW_TEMPORAL_TLS"
ACTIVITY_TIMEOUT_ENV = "SAGEFLOW_TEMPORAL_ACTIVITY_TIMEOUT"
HEARTBEAT_TIMEOUT_ENV = "SAGEFLOW_TEMPORAL_HEARTBEAT_TIMEOUT"
ACTIVITY_ATTEMPTS_ENV = "SAGEFLOW_TEMPORAL_ACTIVITY_ATTEMPTS"


@dataclass(frozen=True)
class TemporalSettings:
    """Where flows run on Temporal, and how their component calls are scheduled.

    Attributes:
        address: the frontend, ``host:port`` (a dev server's, a cluster's, or Temporal
            Cloud's ``<namespace>.<account>.tmprl.cloud:7233``).
        namespace: the Temporal namespace.
        task_queue: the queue the workers poll; a run and its workers must name the same one.
        api_key: Temporal Cloud's API key (implies TLS); never shown.
        tls: connect with TLS (a production cluster; implied by ``api_key``).
        activity_timeout: a component call's longest time on a worker (start to close).
        heartbeat_timeout: a worker silent this long is taken as lost and its call retried
            on another worker (the call heartbeats every third of it).
        activity_attempts: Temporal's attempts per call after worker loss or timeouts
            (0: unlimited). A component's own error is never retried by Temporal.
    """

    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = "sageflow"
    api_key: str | None = field(default=None, repr=False)
    tls: bool = False
    activity_timeout: float = 600.0
    heartbeat_timeout: float = 30.0
    activity_attempts: int = 10

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TemporalSettings:
        """Settings from ``SAGEFLOW_TEMPORAL_*`` variables, defaults for the rest."""
        env = os.environ if environ is None else environ
        default = cls()
        return cls(
            address=env.get(ADDRESS_ENV) or default.address,
            namespace=env.get(NAMESPACE_ENV) or default.namespace,
            task_queue=env.get(TASK_QUEUE_ENV) or default.task_queue,
            api_key=env.get(API_KEY_ENV) or None,
            tls=env.get(TLS_ENV, "").strip().lower() in {"1", "true", "yes", "on"},
            activity_timeout=_number(env, ACTIVITY_TIMEOUT_ENV, default.activity_timeout),
            heartbeat_timeout=_number(env, HEARTBEAT_TIMEOUT_ENV, default.heartbeat_timeout),
            activity_attempts=int(
                _number(env, ACTIVITY_ATTEMPTS_ENV, default.activity_attempts, whole=True)
            ),
        )


def _number(env: Mapping[str, str], name: str, default: float, *, whole: bool = False) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = -1
    if value < 0 or (not whole and value == 0):
        kind = "a whole number of attempts (0: unlimited)" if whole else "seconds, above 0"
        raise TemporalSettingsError(f"{name}={text!r}: expected {kind}")
    return value


class TemporalSettingsError(SageflowError):
    """A ``SAGEFLOW_TEMPORAL_*`` variable that does not hold what it should (names it)."""


#: Kept in the journal's file beside its tables: which workflow ran which run, and where.
#: Read without importing temporalio, so that ``runs show`` of a local run does not pay for it.
TEMPORAL_RUNS_TABLE = """
CREATE TABLE IF NOT EXISTS temporal_runs (
    workflow_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    address TEXT NOT NULL,
    namespace TEXT NOT NULL,
    task_queue TEXT NOT NULL,
    started REAL NOT NULL
)
"""


def ran_on_temporal(journal: Journal, run_id: str) -> bool:
    """Whether ``run_id`` was started on Temporal (it has a workflow in the journal)."""
    journal.flush()
    try:
        row = journal.db.execute(
            "SELECT 1 FROM temporal_runs WHERE run_id = ? LIMIT 1", (run_id,)
        ).fetchone()
    except sqlite3.OperationalError:  # no such table: no run of this journal ran there
        return False
    return row is not None


__all__ = ["TemporalSettings", "ran_on_temporal"]
