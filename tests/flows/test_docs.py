"""The flow in docs/flows.md is valid and runs against the embedded sandbox."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from sageflow._flows._api import arun_flow, load_flow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "flows.md"


def test_documented_flow_runs(tmp_path: Path) -> None:
    http = pytest.importorskip("sageflow._http")
    sandbox_mod = pytest.importorskip("sage_accounting.sandbox")
    text = re.search(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert text is not None
    flow = load_flow("invoice.sageflow.yaml", text=text.group(1))
    sandbox = sandbox_mod.Sandbox()
    caller = http.AsyncClient(
        http.Connection.with_token(sandbox.api_base, sandbox.access_token),
        transport=sandbox.async_transport(),
    )
    result = asyncio.run(
        arun_flow(flow, {"customer": "Docs Ltd", "amount": 450}, caller=caller, journal=None)
    )
    assert result.status == "ok", result.error
    assert result.outputs["number"]
