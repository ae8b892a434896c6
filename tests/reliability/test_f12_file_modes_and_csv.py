"""Finding 12: ``.sageflow/`` is 0700 and its databases 0600 (new ones, and ours found wider);
a token or credentials file readable by others is used with one warning; CSV outputs escape
cells a spreadsheet would run as a formula (OWASP: prefix a single quote)."""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sageflow._cli.flows import _csv_text
from sageflow._http._tokens import FileTokenStore

from .clikit import CLIENT_SECRET, IMPORT_FLOW, Cli, isolated_cli


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    # The modes asserted below must hold whatever the umask; 022 is the common one that
    # made the databases world-readable.
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _run_once(cli: Cli, *more: str) -> None:
    flow = cli.write("imp.sageflow.yaml", IMPORT_FLOW)
    cli.write("ok.csv", "name,days\nAcme,30\n")
    result = cli("run", flow, "-i", "rows=@ok.csv", *more)
    assert result.exit_code == 0, result.output


def _private(home: Path) -> dict[str, int]:
    state = home / ".sageflow"
    modes = {".sageflow": _mode(state)}
    for path in state.iterdir():
        modes[path.name] = _mode(path)
    return modes


def test_new_state_folder_and_databases_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    _run_once(cli)
    modes = _private(tmp_path)
    assert {"runs.db", "sandbox-sage_accounting.db"} <= set(modes)
    assert modes == {name: 0o700 if name == ".sageflow" else 0o600 for name in modes}


def test_our_existing_wider_files_are_tightened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    _run_once(cli)
    state = tmp_path / ".sageflow"
    state.chmod(0o755)
    for path in state.iterdir():
        path.chmod(0o644)
    _run_once(cli)
    modes = _private(tmp_path)
    assert modes == {name: 0o700 if name == ".sageflow" else 0o600 for name in modes}


def test_a_journal_elsewhere_never_changes_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    _run_once(cli, "--journal", str(shared / "runs.db"))
    assert _mode(shared) == 0o755  # not ours to change: only what we create is private
    assert _mode(shared / "runs.db") == 0o600


def _token_file(home: Path, mode: int) -> Path:
    store = home / "config" / "tokens" / "env.json"
    store.parent.mkdir(parents=True, exist_ok=True)
    # Token-like values: the HTTP layer registers them process-wide as secrets to mask, and a
    # one-letter "secret" would be masked inside every later test's text.
    store.write_text(
        '{"access_token": "f12-access-6b1d0c9e2a7f4e3b",'
        ' "refresh_token": "f12-refresh-93ad7c51e0b2", "expires_at": 1e12}'
    )
    store.chmod(mode)
    return store


def test_a_world_readable_token_file_warns_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _token_file(tmp_path, 0o666)
    for _ in range(3):
        assert FileTokenStore(store).load() is not None
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1, warnings
    assert str(store) in warnings[0]
    assert f"chmod 600 {store}" in warnings[0]


def test_a_private_token_file_says_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _token_file(tmp_path, 0o600)
    assert FileTokenStore(store).load() is not None
    assert capsys.readouterr().err == ""


def test_the_cli_warns_about_an_exposed_token_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch, probe=True)
    monkeypatch.setenv("SAGEFLOW_CLIENT_ID", "client")
    monkeypatch.setenv("SAGEFLOW_CLIENT_SECRET", CLIENT_SECRET)
    store = _token_file(tmp_path / "cli", 0o644)
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(store.parent.parent))
    flow = cli.write("imp.sageflow.yaml", IMPORT_FLOW)
    cli.write("ok.csv", "name,days\nAcme,30\n")
    result = cli("run", flow, "-i", "rows=@ok.csv")
    assert f"{store} (OAuth tokens) is readable by other users" in result.stderr


@pytest.mark.parametrize(
    ("content", "mode", "warns"),
    [
        pytest.param(
            'clientId = "i"\nclientSecret = "cs-9f2e7d1c4b8a60e3d5f1"\n',
            0o644,
            True,
            id="secret-0644",
        ),
        pytest.param(
            'clientId = "i"\nclientSecret = "cs-9f2e7d1c4b8a60e3d5f1"\n',
            0o640,
            True,
            id="secret-0640",
        ),
        pytest.param(
            'clientId = "i"\nclientSecret = "cs-9f2e7d1c4b8a60e3d5f1"\n',
            0o600,
            False,
            id="secret-0600",
        ),
        pytest.param('clientId = "i"\n', 0o644, False, id="no-secret"),
    ],
)
def test_connections_file_with_a_secret_warns_when_exposed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, mode: int, warns: bool
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    config = tmp_path / "config" / "connections.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[connections.mine]\n" + content)
    config.chmod(mode)
    result = cli("auth", "status", "--connection", "mine")
    assert "Traceback" not in result.output
    said = f"{config} (connection credentials) is readable by other users" in result.stderr
    assert said is warns, result.stderr


# -- CSV outputs ------------------------------------------------------------------------------

CELLS = [
    pytest.param("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0", id="equals"),
    pytest.param("+HYPERLINK(1)", "'+HYPERLINK(1)", id="plus"),
    pytest.param("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0", id="minus-formula"),
    pytest.param("@SUM(1+1)", "'@SUM(1+1)", id="at"),
    pytest.param("\t=1+1", "'\t=1+1", id="tab"),
    pytest.param("\r=1+1", "'\r=1+1", id="carriage-return"),
    pytest.param("-12.50", "-12.50", id="negative-amount-kept"),
    pytest.param("+44", "+44", id="signed-number-kept"),
    pytest.param("Acme = good", "Acme = good", id="inner-equals-kept"),
    pytest.param("", "", id="empty"),
]


@pytest.mark.parametrize(("cell", "written"), CELLS)
def test_formula_cells_are_quoted(cell: str, written: str) -> None:
    text = _csv_text([{"name": cell, cell or "blank": 1}])
    assert text is not None
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    assert row[header.index("name")] == written
    assert written in header or not cell  # a column name is a cell too


def test_a_csv_output_file_is_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    flow = cli.write("imp.sageflow.yaml", IMPORT_FLOW)
    cli.write("evil.csv", "name,days\n\"=cmd|' /C calc'!A0\",30\n@SUM(1),3\n")
    result = cli("run", flow, "-i", "rows=@evil.csv", "-o", "rows=out.csv")
    assert result.exit_code == 0, result.output
    with (tmp_path / "out.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == ["'=cmd|' /C calc'!A0", "'@SUM(1)"]
    assert {r["ref"] for r in rows} == {"'=HYPERLINK(1)"}


def test_sandbox_serve_data_file_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    cli = isolated_cli(tmp_path, monkeypatch)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # serve nothing
    data = tmp_path / "state.db"
    result = cli("sandbox", "serve", "--pack", "sage_accounting", "--data", data, "--port", "1")
    assert result.exit_code == 0, result.output
    assert _mode(data) == 0o600
