"""The README's first command is what a newcomer types: CI runs it exactly as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_SKIP = {".venv", ".git", ".sageflow", ".mypy_cache", ".ruff_cache", ".pytest_cache", "build"}


def readme_commands() -> list[str]:
    """The commands of the README's first shell block, comments dropped, in order."""
    block = re.search(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block, "README.md has no ```bash block"
    return [
        line.strip()
        for line in block.group(1).splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_readme_opens_with_the_two_setup_commands() -> None:
    main, tests = readme_commands()[:2]
    assert "sageflow run examples/" in main
    assert "scripts/check" in tests
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().endswith("scripts/check")


@pytest.mark.slow
def test_readme_main_command_runs_as_written_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    checkout = tmp_path / "sageflow"
    shutil.copytree(ROOT, checkout, ignore=lambda _d, names: [n for n in names if n in _SKIP])
    main = readme_commands()[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAGEFLOW_", "VIRTUAL_ENV"))}
    # A newcomer has no Sage account configured: point the config lookup at an empty folder.
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    done = subprocess.run(
        ["bash", "-c", main],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "embedded sandbox" in done.stderr
    assert re.search(r"SI-\d+", done.stdout), done.stdout


def test_readme_python_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SAGEFLOW_ACCESS_TOKEN", "SAGEFLOW_CLIENT_ID", "SAGEFLOW_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README.md has no Python example"
    for block in blocks:
        # Our own documentation, executed to prove it is true.
        exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].endswith("Larkspur Florists")
    assert re.fullmatch(r"ok SI-\d+", printed[1])


def test_readme_flow_format_example_is_a_valid_flow(tmp_path: Path) -> None:
    from sageflow import load_flow

    flows = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert flows
    for text in flows:
        load_flow(tmp_path / "readme.sageflow.yaml", text=text)
