"""Without the temporal extra (the README's plain install), asking for the Temporal engine is
one plain line naming the extra, never an import traceback."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sageflow._cli import cli
from sageflow._flows._api import arun_flow
from sageflow._temporal import TemporalMissingError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "invoice-new-customer.sageflow.yaml"
POLLED = EXAMPLES / "new-sales-invoice-follow-up.sageflow.yaml"


@pytest.fixture
def no_temporalio(monkeypatch: pytest.MonkeyPatch) -> None:
    find_spec = importlib.util.find_spec

    def without(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "temporalio" else find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", without)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["worker"], id="worker"),
        pytest.param(["run", str(EXAMPLE), "--engine", "temporal"], id="run"),
        pytest.param(["poll", str(POLLED), "--engine", "temporal"], id="poll"),
    ],
)
def test_the_cli_names_the_extra(
    args: list[str], no_temporalio: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "needs the temporal extra" in result.output
    assert "pip install 'sageflow[temporal]'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / ".sageflow").exists()  # refused before any journal or sandbox


def test_python_names_the_extra(no_temporalio: None, tmp_path: Path) -> None:
    with pytest.raises(TemporalMissingError, match=r"sageflow\[temporal\]"):
        asyncio.run(arun_flow(EXAMPLE, {}, journal=tmp_path / "runs.db", engine="temporal"))
