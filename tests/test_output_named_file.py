"""``-o NAME=FOLDER/{fileName}``: a file the flow named (``{fileName, content}``) is written under
that name into an existing folder, and its name can only ever be a plain file name there."""

from __future__ import annotations

from pathlib import Path

import pytest

from sageflow._cli.flows import NAMED_FILE, _named_file, _unwritable_folder


@pytest.mark.parametrize(
    "name", ["", ".", "..", "../escape.txt", "sub/x.txt", "a\\b.txt", ".hidden", "x\0.txt",
             "é" * 200],
)  # fmt: skip
def test_a_name_that_is_not_a_plain_file_name_is_refused(name: str) -> None:
    assert _named_file({"fileName": name, "content": "x"}) == (
        f"the output's fileName {name!r} is not a plain file name"
    )


@pytest.mark.parametrize(
    "value", [None, "text", ["a"], {"fileName": "a.txt"}, {"fileName": 1, "content": "x"}]
)
def test_a_value_that_is_not_a_named_file_is_refused(value: object) -> None:
    problem = _named_file(value)
    assert isinstance(problem, str)
    assert "not a named file" in problem


def test_a_plain_name_and_its_text() -> None:
    assert _named_file({"fileName": "552100554FEC20261231.txt", "content": "a\tb\n"}) == (
        "552100554FEC20261231.txt",
        "a\tb\n",
    )


def test_the_folder_must_exist_and_the_placeholder_be_the_whole_name(tmp_path: Path) -> None:
    assert _unwritable_folder(tmp_path / NAMED_FILE) is None
    missing = tmp_path / "FCE"
    assert _unwritable_folder(missing / NAMED_FILE) == (
        f"the folder {missing} does not exist (check its spelling, or create it first)"
    )
    assert not missing.exists()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    assert "is not a folder" in str(_unwritable_folder(a_file / NAMED_FILE))
    for odd in (tmp_path / "FEC-{fileName}", tmp_path / NAMED_FILE / NAMED_FILE):
        assert "stands for the whole file name" in str(_unwritable_folder(odd))
