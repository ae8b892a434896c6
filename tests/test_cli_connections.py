"""Connections from the CLI: half a set of credentials, --require-account, the logged notice."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sageflow._cli import cli
from sageflow._http._config import (
    SANDBOX_NOTICE,
    AccountRequiredError,
    IncompleteCredentialsError,
    find_connection,
    open_client,
)

FLOW = """\
name: one-read
steps:
  - id: contacts
    uses: sage_accounting/listContacts
    with: {search: acme}
"""


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path / "config"))
    for name in (
        "SAGEFLOW_ACCESS_TOKEN",
        "SAGEFLOW_CLIENT_ID",
        "SAGEFLOW_CLIENT_SECRET",
        "SAGEFLOW_CONNECTION",
        "SAGEFLOW_REQUIRE_ACCOUNT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flow.sageflow.yaml").write_text(FLOW)
    return tmp_path


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_a_client_id_without_its_secret_names_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAGEFLOW_CLIENT_ID", "client-abc")
    with pytest.raises(IncompleteCredentialsError, match="SAGEFLOW_CLIENT_SECRET is not"):
        find_connection()
    with pytest.raises(IncompleteCredentialsError):
        open_client(pack="sage_accounting")


@pytest.mark.parametrize(
    "command",
    [
        ("run", "flow.sageflow.yaml"),
        ("call", "sage_accounting/listContacts", "-i", "search=acme"),
        ("options", "sage_accounting/createSalesInvoice", "contactId"),
    ],
)
def test_partial_credentials_exit_2_before_anything_runs(
    command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, workdir: Path
) -> None:
    monkeypatch.setenv("SAGEFLOW_CLIENT_ID", "client-abc")
    result = invoke(*command)
    assert result.exit_code == 2, result.output
    assert "SAGEFLOW_CLIENT_SECRET" in result.stderr
    assert SANDBOX_NOTICE not in result.stderr
    assert "client-abc" not in result.output + result.stderr
    # Nothing ran: no journal, no sandbox state.
    assert not list((workdir / ".sageflow").glob("sandbox*.db"))
    as_json = invoke(*command, "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["status"] == "invalid"


@pytest.mark.parametrize(
    "command",
    [
        ("run", "flow.sageflow.yaml"),
        ("call", "sage_accounting/listContacts", "-i", "search=acme"),
        ("options", "sage_accounting/createSalesInvoice", "contactId"),
    ],
)
def test_require_account_refuses_the_sandbox(command: tuple[str, ...], workdir: Path) -> None:
    result = invoke(*command, "--require-account")
    assert result.exit_code == 2, result.output
    assert "no sage_accounting account configured" in result.stderr
    assert SANDBOX_NOTICE not in result.stderr
    assert not list((workdir / ".sageflow").glob("sandbox*.db"))


def test_resume_takes_require_account(workdir: Path) -> None:
    first = invoke("run", "flow.sageflow.yaml", "--json")
    assert first.exit_code == 0, first.output
    run_id = json.loads(first.stdout)["runId"]
    refused = invoke("resume", run_id, "--require-account", "--json")
    assert refused.exit_code == 2, refused.output
    assert "refused" in json.loads(refused.stdout)["error"]


def test_the_environment_variable_requires_an_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEFLOW_REQUIRE_ACCOUNT", "1")
    with pytest.raises(AccountRequiredError, match="SAGEFLOW_REQUIRE_ACCOUNT"):
        open_client(pack="sage_accounting")
    result = invoke("call", "sage_accounting/listContacts", "-i", "search=acme")
    assert result.exit_code == 2
    assert "refused" in result.stderr
    monkeypatch.setenv("SAGEFLOW_REQUIRE_ACCOUNT", "0")
    assert invoke("call", "sage_accounting/listContacts", "-i", "search=acme").exit_code == 0


def test_the_sandbox_notice_is_a_warning_on_the_sageflow_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="sageflow"),
        open_client(pack="sage_accounting") as client,
    ):
        assert client.sandbox is not None
    notices = [r for r in caplog.records if r.getMessage() == SANDBOX_NOTICE]
    assert [(r.name, r.levelno) for r in notices] == [("sageflow", logging.WARNING)]


def test_a_host_can_silence_the_notice(capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("sageflow")
    saved = (logger.level, logger.propagate, logger.handlers[:])
    logger.handlers[:] = [logging.NullHandler()]
    logger.setLevel(logging.ERROR)
    try:
        with open_client(pack="sage_accounting") as client:
            assert client.sandbox is not None
    finally:
        logger.setLevel(saved[0])
        logger.handlers[:] = saved[2]
    assert SANDBOX_NOTICE not in capsys.readouterr().err


def test_the_cli_still_shows_the_notice_on_stderr() -> None:
    result = invoke("call", "sage_accounting/listContacts", "-i", "search=acme", "--json")
    assert result.exit_code == 0, result.output
    assert SANDBOX_NOTICE in result.stderr
    json.loads(result.stdout)
