"""Hypothesis profiles for the fuzz tests and the fixtures the reliability suite shares.

The fuzz profile is CI's bounded one (2,000 examples per test) unless ``SAGEFLOW_FUZZ_EXAMPLES``
asks for more (``SAGEFLOW_FUZZ_EXAMPLES=50000 pytest tests/reliability -k fuzz`` for a long run).
Profiles are registered, not loaded: loading one would change the example count of every other
suite's property tests in the same session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from sageflow._http import Limiter, LimitSettings
from sageflow._http import _client as client_module

from .kit import FUZZ_PROFILE, ServedSandbox, serve_sandbox

CI_EXAMPLES = 2_000

settings.register_profile(
    FUZZ_PROFILE,
    max_examples=int(os.environ.get("SAGEFLOW_FUZZ_EXAMPLES", str(CI_EXAMPLES))),
    deadline=None,
    # Generating whole flow documents is slow by hypothesis's standards, not by ours.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)


@pytest.fixture(autouse=True)
def _unpaced_limiter(monkeypatch: pytest.MonkeyPatch) -> None:
    # In-process tests would otherwise be paced at Sage's real 15 requests/s, with real sleeps,
    # by the process-wide limiter (subprocesses keep the real one: that is part of the test).
    unlimited = LimitSettings(requests_per_day=10**12, burst=10**9)
    monkeypatch.setattr(client_module, "shared_limiter", lambda key: Limiter(unlimited))


@pytest.fixture
def served_sandbox(tmp_path: Path) -> Iterator[ServedSandbox]:
    """``sageflow sandbox serve`` on a free port with its state in ``tmp_path/sandbox.db``."""
    with serve_sandbox(tmp_path / "sandbox.db", tmp_path / "sandbox.log") as served:
        yield served
