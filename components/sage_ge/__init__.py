"""The Sage Génération Experts pack (through Chift): one component per Chift action, Sage GE's
entry rules checked before sending, and the FEC export.

The component modules are imported when a component of theirs is first used (``_index.json``,
written by ``sageflow manifests build``, names each one's module), not here. A new module goes
in ``MODULES``.
"""

from __future__ import annotations

from pathlib import Path

from sage_ge._pack import PACK

MODULES = (
    "sage_ge.entries",
    "sage_ge.fec",
    "sage_ge.invoices",
    "sage_ge.ledger",
    "sage_ge.operations",
    "sage_ge.reads",
    "sage_ge.writes",
)
PACK.modules = MODULES
PACK.index_file = Path(__file__).with_name("_index.json")

__all__ = ["MODULES", "PACK"]
