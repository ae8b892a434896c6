"""Small helpers the bench scripts share: a lifted limiter, a printed table, the JSON file.

Scripts run as ``python bench/<name>.py``, which puts ``bench/`` first on ``sys.path``, so they
import this module as ``_common``; the smoke test adds ``bench/`` the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sage_accounting.connection import PROFILE
from sageflow._http import Connection, Limiter, LimitSettings

RESULTS = Path(__file__).resolve().parent / "results"


def unlimited_limiter() -> Limiter:
    """The layer's limiter with a quota no benchmark reaches.

    By default the layer paces every app to Sage's documented 15 requests/s; a throughput
    benchmark would then measure that pace, not the code. The limiter's code path (lock,
    semaphore, bucket) still runs on every request.
    """
    return Limiter(LimitSettings(requests_per_day=10**12, burst=10**6, max_concurrent=1000))


def token_connection(api_base: str, token: str) -> Connection:
    """A connection with a fixed bearer token and the Sage pack's API profile."""
    return Connection.with_token(api_base, token, PROFILE)


Row = tuple[str, str, str, bool | None]


def print_table(title: str, rows: Sequence[Row]) -> None:
    """Print ``(measure, result, bar, ok)`` rows; ``ok`` None means "no bar, for context"."""
    width = max(len("measure"), *(len(r[0]) for r in rows))
    rwidth = max(len("result"), *(len(r[1]) for r in rows))
    print(title)
    print(f"{'measure'.ljust(width)}  {'result'.ljust(rwidth)}  {'bar':<12} ok")
    for name, value, bar, ok in rows:
        mark = "" if ok is None else ("yes" if ok else "NO")
        print(f"{name.ljust(width)}  {value.ljust(rwidth)}  {bar:<12} {mark}")


def write_json(path: Path, results: dict[str, Any]) -> None:
    """Write the results with when and where they were measured (figures depend on both)."""
    payload = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        **results,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")
