"""Finding 8: every file the CLI reads (inputs, value files, flows, journals, token stores,
``connections.toml``) that is damaged, hostile or not what it claims gives one line naming the
file and exit 2 — never a traceback, never the whole file, never a hang on ``/dev/zero``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sageflow._flows._journal import Journal

from .clikit import CLIENT_SECRET, IMPORT_FLOW, Cli, isolated_cli, one_line_naming
from .kit import PROCESS_TIMEOUT, SAGEFLOW

BILLION_LAUGHS = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "rows: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
)


@dataclass(frozen=True)
class Case:
    """A file to plant, then the command line that reads it (``{f}`` is the file's path)."""

    name: str
    content: bytes | None  # None: ``name`` is an existing system path, used as is
    args: tuple[str, ...]


def _run(*more: str) -> tuple[str, ...]:
    return ("run", "imp.sageflow.yaml", *more)


CASES = [
    # --inputs FILE
    Case("in.yaml", b"rows: [a, b\n", _run("--inputs", "{f}")),
    Case("in.yaml", b"rows: []\n---\nrows: []\n", _run("--inputs", "{f}")),
    Case("in.yaml", BILLION_LAUGHS.encode(), _run("--inputs", "{f}")),
    Case("in.yaml", b"- just\n- a list\n", _run("--inputs", "{f}")),
    Case("in.yaml", b"rows: \xff\xfe\x00garbage\n", _run("--inputs", "{f}")),
    Case("in.json", b'{"rows": [' * 5000 + b"]}" * 5000, _run("--inputs", "{f}")),
    Case("/dev/zero", None, _run("--inputs", "{f}")),
    Case("in.yaml", b"x" * 20_000_000, _run("--inputs", "{f}")),
    # -i NAME=@FILE
    Case("rows.csv", b"name,days\n" + b"A" * 131_073 + b",1\n", _run("-i", "rows=@{f}")),
    Case("rows.csv", b"name,days\nAcme,30\nBeta\n", _run("-i", "rows=@{f}")),
    Case("rows.csv", b"name,days\n\xff\xfeAcme,30\n", _run("-i", "rows=@{f}")),
    Case("rows.json", b"[" * 200_000 + b"]" * 200_000, _run("-i", "rows=@{f}")),
    Case("rows.json", b"[" * 100 + b"]" * 100, _run("-i", "rows=@{f}")),
    Case("rows.json", b'[{"name": "Acme",}]', _run("-i", "rows=@{f}")),
    Case("rows.yaml", BILLION_LAUGHS.encode(), _run("-i", "rows=@{f}")),
    Case("/dev/zero", None, _run("-i", "rows=@{f}")),
    Case("adir", b"", _run("-i", "rows=@{f}")),
    Case("missing.csv", None, _run("-i", "rows=@{f}")),
    # the flow file itself
    Case("/dev/zero", None, ("validate", "{f}")),
    Case("/dev/zero", None, ("run", "{f}")),
    Case("flow.yaml", b"name: x\n\x00\x01", ("validate", "{f}")),
]


def _plant(cli: Cli, case: Case) -> Path:
    if case.content is None:
        return Path(case.name) if case.name.startswith("/") else cli.home / case.name
    path = cli.home / case.name
    if case.name == "adir":
        path.mkdir()
    else:
        path.write_bytes(case.content)
    return path


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=f"{i:02d}-{c.args[-2]}-{c.name}") for i, c in enumerate(CASES)]
)
def test_a_bad_input_file_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch, probe=True)
    cli.write("imp.sageflow.yaml", IMPORT_FLOW)
    cli.write("ok.csv", "name,days\nAcme,30\n")
    path = _plant(cli, case)
    args = [a.replace("{f}", str(path)) for a in case.args]
    if "rows=" not in " ".join(args) and args[0] == "run" and "--inputs" not in args:
        args += ["-i", "rows=@ok.csv"]
    result = cli(*args)
    assert result.exit_code == 2, result.output
    line = one_line_naming(result, path.name)
    assert len(line) < 400, line  # an excerpt at most, never the file
    assert cli.opened == []


def test_a_wrongly_typed_input_is_an_excerpt_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch, probe=True)
    cli.write("imp.sageflow.yaml", IMPORT_FLOW)
    rows = "".join(f"Customer number {n},30\n" for n in range(2_000))
    cli.write("big.csv", "name,days\n" + rows)
    result = cli(*_run("-i", "rows=@big.csv", "-i", "note=@big.csv"))
    assert result.exit_code == 2, result.output
    line = one_line_naming(result, "note")
    assert "expected string, not a list" in line
    assert "Customer number 1999" not in result.output
    assert len(result.output) < 600, result.output


# -- journals -------------------------------------------------------------------------------


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00\x01 not a database at all \xff" * 100)


def _foreign(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, data BLOB)")
    db.execute("INSERT INTO photos (data) VALUES (x'00')")
    db.commit()
    db.close()


def _damaged(path: Path) -> None:
    with Journal(path) as journal:
        journal.start_run("r1", "f", "f.yaml", "h", {"rows": []})
    data = bytearray(path.read_bytes())
    data[100:4000] = b"\xa5" * 3900  # past the header: SQLite itself finds the damage
    path.write_bytes(bytes(data))
    for extra in ("-wal", "-shm"):
        path.with_name(path.name + extra).unlink(missing_ok=True)


def _bad_row(path: Path) -> None:
    with Journal(path) as journal:
        journal.start_run("r1", "f", "f.yaml", "h", {})
        journal.db.execute("UPDATE runs SET inputs = 'not json {' WHERE id = 'r1'")


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(_garbage, id="garbage"),
        pytest.param(_foreign, id="foreign-sqlite"),
        pytest.param(_damaged, id="damaged-pages"),
        pytest.param(_bad_row, id="row-not-json"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("runs", "list"), id="list"),
        pytest.param(("runs", "list", "--json"), id="list-json"),
        pytest.param(("runs", "show", "r1"), id="show"),
        pytest.param(("resume", "r1"), id="resume"),
        pytest.param(("run", "imp.sageflow.yaml", "-i", "rows=@ok.csv"), id="run"),
    ],
)
def test_a_corrupt_or_foreign_journal_is_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spoil: Callable[[Path], None],
    command: tuple[str, ...],
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch, probe=True)
    cli.write("imp.sageflow.yaml", IMPORT_FLOW)
    cli.write("ok.csv", "name,days\nAcme,30\n")
    journal = tmp_path / "j.db"
    spoil(journal)
    before = journal.read_bytes()
    result = cli(*command, "--journal", journal)
    if spoil is _bad_row and command[0] == "run":
        return  # a fresh run never reads the damaged row: nothing to refuse
    assert result.exit_code == 2, result.output
    one_line_naming(result, journal)
    if spoil is _foreign:
        assert journal.read_bytes() == before  # no tables of ours added to someone's file


# -- token stores and connections.toml ---------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b'{"refresh_token": "r"}', id="no-access-token"),
        pytest.param(b'["a list"]', id="a-list"),
        pytest.param(
            b'{"access_token": "f08-access-5e0c2d7a", "expires_at": "soon"}', id="wrong-type"
        ),
        pytest.param(b"\xff\xfe\x00", id="binary"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        pytest.param(("auth", "status"), id="auth-status"),
        pytest.param(("run", "imp.sageflow.yaml", "-i", "rows=@ok.csv"), id="run"),
    ],
)
def test_a_corrupt_token_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, command: tuple[str, ...]
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch, probe=True)
    monkeypatch.setenv("SAGEFLOW_CLIENT_ID", "client")
    monkeypatch.setenv("SAGEFLOW_CLIENT_SECRET", CLIENT_SECRET)
    cli.write("imp.sageflow.yaml", IMPORT_FLOW)
    cli.write("ok.csv", "name,days\nAcme,30\n")
    store = tmp_path / "config" / "tokens" / "env.json"
    store.parent.mkdir(parents=True)
    store.write_bytes(content)
    result = cli(*command)
    assert result.exit_code == 2, result.output
    line = one_line_naming(result, store)
    assert "access_token'" not in line
    assert CLIENT_SECRET not in result.output
    assert cli.opened == []


def test_logout_removes_a_corrupt_token_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    monkeypatch.setenv("SAGEFLOW_CLIENT_ID", "client")
    monkeypatch.setenv("SAGEFLOW_CLIENT_SECRET", CLIENT_SECRET)
    store = tmp_path / "config" / "tokens" / "env.json"
    store.parent.mkdir(parents=True)
    store.write_text("{damaged")
    result = cli("auth", "logout")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert str(store) in result.stderr
    assert not store.exists()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"[connections\n", id="invalid-toml"),
        pytest.param(b"connections = 3\n", id="not-tables"),
        pytest.param(b"\xff\xfe", id="binary"),
    ],
)
def test_a_corrupt_connections_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch, probe=True)
    cli.write("imp.sageflow.yaml", IMPORT_FLOW)
    cli.write("ok.csv", "name,days\nAcme,30\n")
    config = tmp_path / "config" / "connections.toml"
    config.parent.mkdir(parents=True)
    config.write_bytes(content)
    for command in (("auth", "status"), ("run", "imp.sageflow.yaml", "-i", "rows=@ok.csv")):
        result = cli(*command)
        assert result.exit_code == 2, (command, result.output)
        one_line_naming(result, config)
    assert cli.opened == []


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("validate", "/dev/zero"), id="validate-dev-zero"),
        pytest.param(("run", "imp.sageflow.yaml", "--inputs", "/dev/zero"), id="inputs-dev-zero"),
        pytest.param(("run", "imp.sageflow.yaml", "--inputs", "laughs.yaml"), id="inputs-laughs"),
        pytest.param(("run", "imp.sageflow.yaml", "-i", "rows=@deep.json"), id="deep-json"),
        pytest.param(("runs", "list", "--journal", "garbage.db"), id="garbage-journal"),
    ],
)
def test_the_real_process_exits_2_without_a_traceback(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    # The installed entry point, not CliRunner: real stdio, real exit status, a hard timeout.
    (tmp_path / "imp.sageflow.yaml").write_text(IMPORT_FLOW)
    (tmp_path / "laughs.yaml").write_text(BILLION_LAUGHS)
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    _garbage(tmp_path / "garbage.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEFLOW_")}
    env["SAGEFLOW_CONFIG_DIR"] = str(tmp_path / "config")
    done = subprocess.run(
        [SAGEFLOW, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    named = next(a for a in reversed(args) if "." in a or a.startswith("/"))
    assert Path(named).name in done.stderr.strip().splitlines()[-1]
