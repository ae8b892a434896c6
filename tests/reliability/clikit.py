"""The CLI in-process for the issue-10 tests: an isolated home, the sandbox, a send probe."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sageflow._cli import cli
from sageflow._flows import _api

#: A client secret for tests that configure an account. Token-like on purpose: the HTTP layer
#: registers configured secrets process-wide to mask them, and a short word ("secret") would
#: then be masked inside every later test's text (even the journal's "[secret]" placeholder).
CLIENT_SECRET = "cs-9f2e7d1c4b8a60e3d5f1"

#: A flow of one loop of creates: what a careless user's import looks like.
IMPORT_FLOW = """\
name: imp
inputs:
  rows: {type: array, items: {type: object}}
  note: {type: string, default: "-"}
steps:
  - id: created
    for_each: ${{ inputs.rows }}
    as: row
    uses: sage_accounting/createContact
    with:
      name: ${{ row.name }}
      contactTypeIds: [CUSTOMER]
      creditDays: ${{ int(row.days) }}
outputs:
  names: ${{ steps.created.output.map(c, c.name) }}
  rows: '${{ steps.created.output.map(c, {"name": c.name, "ref": "=HYPERLINK(1)"}) }}'
"""


@dataclass
class Cli:
    """``sageflow`` run by click's CliRunner in ``home`` (the cwd: ``.sageflow/`` lands there),
    with no Sage account configured, so runs go to the embedded sandbox."""

    home: Path
    opened: list[str] = field(default_factory=list)

    def __call__(self, *args: str | os.PathLike[str]) -> Result:
        return CliRunner().invoke(cli, [str(a) for a in args])

    def write(self, name: str, text: str) -> Path:
        path = self.home / name
        path.write_text(text, encoding="utf-8")
        return path

    def json(self, result: Result) -> Any:
        """stdout parsed strictly (RFC 8259: no NaN or Infinity tokens), or the test fails."""

        def refuse(token: str) -> Any:
            raise AssertionError(f"not RFC 8259 JSON: bare {token} in {result.stdout!r}")

        return json.loads(result.stdout, parse_constant=refuse)


def isolated_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, probe: bool = False) -> Cli:
    """A :class:`Cli` in ``tmp_path``; with ``probe``, opening a connection is recorded and
    refused, so a test proves that nothing was (or could have been) sent."""
    for name in list(os.environ):
        if name.startswith("SAGEFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    runner = Cli(tmp_path)
    if probe:

        def opener() -> Any:
            def open_caller(name: str | None, debug: bool = False, pack: str = "") -> Any:
                runner.opened.append(str(name))
                raise AssertionError("a connection was opened: something would be sent")

            return open_caller

        monkeypatch.setattr(_api, "_open_caller", opener)
    return runner


def one_line_naming(result: Result, *names: str | os.PathLike[str]) -> str:
    """The last stderr line, checked to name each of ``names``; no traceback anywhere."""
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, f"nothing on stderr; stdout: {result.stdout!r}"
    last = lines[-1]
    for name in names:
        assert str(name) in last, f"{name} not named in {last!r}"
    return last


def run_args(flow: Path, *more: str | os.PathLike[str]) -> Sequence[str]:
    return ["run", str(flow), *(str(m) for m in more)]
