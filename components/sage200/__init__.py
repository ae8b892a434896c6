"""The Sage 200 (Standard and Professional, UK) pack: one component per API action.

As in the first pack, the component modules are imported when a component of theirs is first
used (``_index.json``, written by ``sageflow manifests build``, names each one's module), not
here. A new module goes in ``MODULES``.
"""

from __future__ import annotations

from pathlib import Path

from sage200._pack import PACK

MODULES = (
    "sage200.general",
    "sage200.postings",
    "sage200.raw_request",
    "sage200.reads",
    "sage200.traders",
)
PACK.modules = MODULES
PACK.index_file = Path(__file__).with_name("_index.json")

__all__ = ["MODULES", "PACK"]
