"""Finding 4: ``resume -i`` with a different value for a recorded input is refused unless
``--force``, and a forced resume says what changed (it no longer mixes old and new rows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sageflow._flows._journal import DEFAULT_PATH, Journal

from .clikit import IMPORT_FLOW, Cli, isolated_cli, one_line_naming

FIRST = "name,days\nAcme,30\nBeta,x\nGamma,14\n"  # row 2 fails: the run stops, resumable
OTHER = "name,days\nZed,30\nYork,7\nXeno,14\nWolf,1\n"


def _failed_run(cli: Cli) -> str:
    flow = cli.write("imp.sageflow.yaml", IMPORT_FLOW)
    cli.write("first.csv", FIRST)
    cli.write("other.csv", OTHER)
    result = cli("run", flow, "-i", "rows=@first.csv")
    assert result.exit_code == 1, result.output
    with Journal(cli.home / DEFAULT_PATH) as journal:
        (record,) = journal.runs()
    return record.id


def _contacts(cli: Cli, run_id: str) -> list[str]:
    with Journal(cli.home / DEFAULT_PATH) as journal:
        return [
            s.output["name"]
            for s in journal.steps(run_id)
            if s.status == "ok" and isinstance(s.output, dict)
        ]


def test_resume_with_another_csv_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    run_id = _failed_run(cli)
    result = cli("resume", run_id, "-i", "rows=@other.csv")
    assert result.exit_code == 2, result.output
    line = one_line_naming(result, run_id, "rows", "--force")
    assert "3 -> 4 items" in line
    # Nothing ran: the journal still holds only the first run's one created contact.
    assert _contacts(cli, run_id) == ["Acme"]
    as_json = cli("resume", run_id, "-i", "rows=@other.csv", "--json")
    assert as_json.exit_code == 2
    assert cli.json(as_json)["status"] == "invalid"


@pytest.mark.parametrize(
    ("pairs", "named", "unnamed"),
    [
        pytest.param(["-i", "note=changed"], ['note: "-" -> "changed"'], ["rows"], id="scalar"),
        pytest.param(
            ["-i", "rows=@other.csv", "-i", "note=-"], ["rows: 3 -> 4 items"], ["note"], id="list"
        ),
    ],
)
def test_each_changed_input_is_named(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pairs: list[str],
    named: list[str],
    unnamed: list[str],
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    run_id = _failed_run(cli)
    result = cli("resume", run_id, *pairs)
    assert result.exit_code == 2, result.output
    line = one_line_naming(result, run_id, *named)
    for name in unnamed:
        assert f"{name}:" not in line


def test_the_same_value_again_is_not_a_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    run_id = _failed_run(cli)
    result = cli("resume", run_id, "-i", "rows=@first.csv", "-i", "note=-")
    assert result.exit_code == 1, result.output  # resumed, and row 2 fails again
    assert "other input values" not in result.output


def test_force_resumes_with_the_new_value_and_says_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = isolated_cli(tmp_path, monkeypatch)
    run_id = _failed_run(cli)
    result = cli("resume", run_id, "-i", "rows=@other.csv", "--force")
    assert result.exit_code == 0, result.output
    assert f"resuming run {run_id} with changed inputs: rows: 3 -> 4 items" in result.stderr
    # The new value is now the run's recorded one: resuming with it again is no change.
    with Journal(cli.home / DEFAULT_PATH) as journal:
        record = journal.run(run_id)
    assert record is not None
    assert [row["name"] for row in record.inputs["rows"]] == ["Zed", "York", "Xeno", "Wolf"]


NUMBER_FLOW = IMPORT_FLOW.replace(
    '  note: {type: string, default: "-"}', "  amount: {type: number}"
)


@pytest.mark.parametrize(
    ("pairs", "code", "says"),
    [
        pytest.param([], 1, "items failed", id="no-input-given"),
        pytest.param(["-i", "amount=10.50"], 1, "items failed", id="same-number-again"),
        pytest.param(["-i", "amount=11"], 2, "amount: 10.5 -> 11", id="another-number"),
    ],
)
def test_a_number_input_resumes_as_the_number_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pairs: list[str], code: int, says: str
) -> None:
    # The journal keeps a Decimal as its text; resuming must not read "10.5" as a string
    # that `type: number` refuses, nor count the same amount written as 10.50 as a change.
    cli = isolated_cli(tmp_path, monkeypatch)
    flow = cli.write("num.sageflow.yaml", NUMBER_FLOW)
    cli.write("first.csv", FIRST)
    first = cli("run", flow, "-i", "rows=@first.csv", "-i", "amount=10.5")
    assert first.exit_code == 1, first.output
    with Journal(cli.home / DEFAULT_PATH) as journal:
        (record,) = journal.runs()
    result = cli("resume", record.id, *pairs)
    assert result.exit_code == code, result.output
    assert says in result.output
    assert "expected number" not in result.output


def test_a_secret_input_is_asked_for_again_whatever_masking_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A configured secret that happens to be "secret" is masked inside the journal's own
    # "[secret]" placeholder; resume must still know the secret input was not journaled.
    from sageflow._http import _redact

    monkeypatch.setattr(_redact, "_secrets", set())
    monkeypatch.setattr(_redact, "_variants", ())
    _redact.register_secret("secret")
    cli = isolated_cli(tmp_path, monkeypatch)
    flow = cli.write(
        "imp.sageflow.yaml",
        IMPORT_FLOW.replace(
            '  note: {type: string, default: "-"}', "  key: {type: string, secret: true}"
        ),
    )
    cli.write("first.csv", FIRST)
    first = cli("run", flow, "-i", "rows=@first.csv", "-i", "key=k3y-value-0001")
    assert first.exit_code == 1, first.output
    with Journal(cli.home / DEFAULT_PATH) as journal:
        (record,) = journal.runs()
    result = cli("resume", record.id)
    assert result.exit_code == 2, result.output
    assert "missing input 'key'" in result.output
