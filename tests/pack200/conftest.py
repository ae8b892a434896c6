"""The Sage 200 pack, registered for these tests only (until its entry point is installed)."""

from __future__ import annotations

import pytest

from sage200 import PACK
from sageflow._registry import packs


@pytest.fixture(autouse=True)
def _sage200_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    # Per test and undone after it: other folders' tests enumerate the installed packs.
    monkeypatch.setitem(packs(), PACK.name, PACK)
