"""Finding 6: every ``-o NAME=FILE`` is checked before anything is sent; the write goes through
a private temporary file and an atomic rename; a dry run writes no output file unless asked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .clikit import IMPORT_FLOW, Cli, isolated_cli, one_line_naming

GOOD_ROWS = "name,days\nAcme,30\nBeta,7\n"


def _flow(cli: Cli) -> Path:
    cli.write("rows.csv", GOOD_ROWS)
    return cli.write("imp.sageflow.yaml", IMPORT_FLOW)


@pytest.mark.parametrize(
    ("target", "says"),
    [
        pytest.param("nosuch=out.json", "no output 'nosuch'", id="unknown-name"),
        pytest.param("names={home}", "is a directory", id="a-directory"),
        pytest.param("names={home}/sub/", "names a directory", id="trailing-slash"),
        pytest.param("names=/", "directory", id="root"),
        pytest.param("names=/proc/version", "cannot write in /proc", id="proc-file"),
        pytest.param("names=/proc/sageflow-nope/out.json", "cannot write", id="unwritable-dir"),
        pytest.param("names={home}/rows.csv/out.json", "cannot write", id="parent-is-a-file"),
        pytest.param("names=/dev/null", "not a regular file", id="a-device"),
        pytest.param("names", "expected NAME=FILE", id="no-file"),
    ],
)
def test_a_bad_output_is_refused_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, says: str
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch, probe=True)
    flow = _flow(cli)
    target = target.format(home=tmp_path)
    result = cli("run", flow, "-i", "rows=@rows.csv", "-o", target)
    assert result.exit_code == 2, result.output
    line = one_line_naming(result, target.partition("=")[2] or target, "--output")
    assert says in line
    assert cli.opened == []  # refused before a connection was even opened
    assert not (tmp_path / ".sageflow" / "runs.db").exists()  # nor journaled


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a 0500 directory")
def test_a_read_only_directory_is_refused_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch, probe=True)
    flow = _flow(cli)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = cli("run", flow, "-i", "rows=@rows.csv", "-o", f"names={locked}/out.json")
    assert result.exit_code == 2, result.output
    one_line_naming(result, locked)
    assert cli.opened == []


def test_a_link_planted_at_the_old_partial_name_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    flow = _flow(cli)
    victim = cli.write("victim.txt", "precious\n")
    # The name the old code wrote through: `.NAME.partial` beside the target.
    (tmp_path / ".names.json.partial").symlink_to(victim)
    result = cli("run", flow, "-i", "rows=@rows.csv", "-o", "names=names.json")
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious\n"
    written = tmp_path / "names.json"
    assert not written.is_symlink()
    assert json.loads(written.read_text()) == ["Acme", "Beta"]
    # The temporary file was renamed, not left behind; a new output is private.
    assert sorted(p.name for p in tmp_path.glob(".names.json*")) == [".names.json.partial"]
    assert written.stat().st_mode & 0o777 == 0o600


def test_a_link_at_the_target_is_replaced_not_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    flow = _flow(cli)
    victim = cli.write("victim.txt", "precious\n")
    (tmp_path / "names.json").symlink_to(victim)
    result = cli("run", flow, "-i", "rows=@rows.csv", "-o", "names=names.json")
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious\n"
    assert json.loads((tmp_path / "names.json").read_text()) == ["Acme", "Beta"]


def test_a_dry_run_writes_no_output_file_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    flow = _flow(cli)
    real = cli.write("real.json", '["the real export"]\n')
    result = cli("run", flow, "-i", "rows=@rows.csv", "--dry-run", "-o", "names=real.json")
    assert result.exit_code == 0, result.output
    assert real.read_text() == '["the real export"]\n'
    assert "dry run: not writing names to real.json" in result.stderr
    assert "--dry-run-outputs" in result.stderr
    asked = cli(
        "run",
        flow,
        "-i",
        "rows=@rows.csv",
        "--dry-run",
        "--dry-run-outputs",
        "-o",
        "names=real.json",
    )
    assert asked.exit_code == 0, asked.output
    assert real.read_text() != '["the real export"]\n'
    assert isinstance(json.loads(real.read_text()), list)
