"""Issue 10, finding 13: refusing a hostile flow file costs bounded work, counted, not timed.

A loaded 2-core machine broke the stopwatch bars of ``test_limits.py`` because the loader read
and parsed a whole document before its limits could count. Here the work is counted: bytes
read from the file, parser events consumed; and libyaml, used where present, gives the same
data, positions and errors as the pure-Python parser.
"""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest

from sageflow import load_flow
from sageflow._flows import _load
from sageflow._flows._load import DEFAULT_LIMITS, Limits, load_source, read_flow_file
from sageflow._flows._problems import FlowValidationError

EXAMPLES = sorted(Path(__file__).parents[2].joinpath("examples").rglob("*.sageflow.yaml"))
LIMIT = DEFAULT_LIMITS.max_file_bytes


class CountingFile(io.RawIOBase):
    """An endless file (like ``/dev/zero``) that reports size 0 and counts the bytes read."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        view[:] = b"a" * len(view)
        self.served += len(view)
        return len(view)


def test_a_file_of_unknown_size_is_read_no_further_than_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endless = CountingFile()
    monkeypatch.setattr(
        _load, "open", lambda *_args, **_kw: io.BufferedReader(endless), raising=False
    )
    with pytest.raises(FlowValidationError) as refused:
        read_flow_file("endless.sageflow.yaml")
    assert endless.served <= LIMIT + 1 + io.DEFAULT_BUFFER_SIZE
    (problem,) = refused.value.problems
    assert str(problem).startswith("endless.sageflow.yaml:1:1: (document): the file is over")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_validating_dev_zero_is_refused_not_a_hang() -> None:
    # /dev/zero reports a size of 0: a loader trusting stat() reads until memory runs out.
    with pytest.raises(FlowValidationError) as refused:
        load_flow("/dev/zero")
    assert f"the limit is {LIMIT}" in str(refused.value)


class EventCounter:
    """Counts the parser events every loader consumes (libyaml's and PyYAML's)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.events = 0
        for loader in _load._LOADERS:
            original = loader.get_event

            def counted(self_: Any, _original: Any = original) -> Any:
                self.events += 1
                return _original(self_)

            monkeypatch.setattr(loader, "get_event", counted)


def many_values(count: int, *, pure_python: bool = False) -> str:
    # A tab sends the document to the pure-Python parser (see _load._LIBYAML_DIFFERS).
    marker = "#\t\n" if pure_python else ""
    return marker + "name: many\nsteps: []\nx: [" + "0," * count + "0]"


@pytest.mark.parametrize("pure_python", [False, True], ids=["libyaml", "pure-python"])
def test_too_many_values_are_refused_after_the_limit_not_after_the_document(
    monkeypatch: pytest.MonkeyPatch, pure_python: bool
) -> None:
    limits = Limits(max_nodes=20_000)  # the default's behaviour, at a tenth of the cost
    text = many_values(400_000, pure_python=pure_python)
    assert len(text) < limits.max_file_bytes
    counter = EventCounter(monkeypatch)
    with pytest.raises(FlowValidationError) as refused:
        load_source(text, "many.sageflow.yaml", limits)
    assert "more than 20000 values in the document" in str(refused.value)
    # Parsing it all would take ~400,000 events; the refusal comes after the 20,001st value.
    assert counter.events <= limits.max_nodes + 20, counter.events


def test_deep_nesting_is_refused_after_the_depth_limit_not_after_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counter = EventCounter(monkeypatch)
    with pytest.raises(FlowValidationError) as refused:
        load_source("a: " + "[" * 400_000 + "]" * 400_000, "deep.sageflow.yaml")
    assert "nested deeper than 64 levels" in str(refused.value)
    assert counter.events < 100


def test_libyaml_is_used_for_an_ordinary_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    if len(_load._LOADERS) < 2:
        pytest.skip("PyYAML without libyaml")
    used: list[str] = []
    for loader in _load._LOADERS:
        original = loader.get_single_node
        monkeypatch.setattr(
            loader,
            "get_single_node",
            lambda self_, _o=original, _n=loader.__name__: used.append(_n) or _o(self_),
        )
    load_source(EXAMPLES[0].read_text(encoding="utf-8"), EXAMPLES[0].name)
    assert used == ["_FastLoader"]


def outcome(text: str, *, fast: bool) -> Any:
    loaders = _load._LOADERS if fast else (_load._Loader,)
    saved = _load._LOADERS
    _load._LOADERS = loaders
    try:
        source = load_source(text, "f.sageflow.yaml")
        return ("ok", source.data, source.values, source.keys)
    except FlowValidationError as error:
        return ("refused", [str(p) for p in error.problems])
    finally:
        _load._LOADERS = saved


NOISE = [
    "\t",
    " ",
    "\n",
    ":",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "#",
    " #",
    "&a ",
    "*a",
    "'",
    '"',
    "é",
    "\r\n",
    "\ufeff",
    "? ",
    "?",
    "|",
    "|-",
    ">",
    "!!str ",
    "---\n",
    "...\n",
    "\x85",
    "\u2028",
    "\x07",
    "%",
    "@",
    "`",
    "\\",
    "\U0001f600",
    ",",
    "${{ a ? b : c }}",
    "1e5",
    "0x1F",
    "~",
]


def damaged(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        roll = rng.random()
        if roll < 0.6:
            text = text[:at] + rng.choice(NOISE) + text[at:]
        elif roll < 0.8:
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + text[at : at + rng.randint(1, 30)] * 2 + text[at + 30 :]
    return text


def test_libyaml_gives_the_same_data_positions_and_errors_as_pure_python() -> None:
    if len(_load._LOADERS) < 2:
        pytest.skip("PyYAML without libyaml")
    rng = random.Random(10_13)
    documents = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    assert documents
    checked = 0
    for document in documents:
        for text in [document] + [damaged(document, rng) for _ in range(150)]:
            assert outcome(text, fast=True) == outcome(text, fast=False), repr(text)
            checked += 1
    assert checked >= 150 * len(documents)
