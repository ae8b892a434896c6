"""The pack object every Sage GE component registers on."""

from __future__ import annotations

from sage_ge._errors import parse_error
from sage_ge._paging import page_progress
from sage_ge.connection import CHIFT
from sageflow._component import Pack

PACK = Pack(
    name="sage_ge",
    title="Sage Génération Experts (Chift)",
    description=(
        "Sage Génération Experts (formerly Coala), the French accounting firms' suite, through "
        "Chift's unified accounting API; Sage GE's entry rules checked before sending."
    ),
    error_parser=parse_error,
    page_progress=page_progress,
)
PACK.add_connection(CHIFT)
# Lazy: importing the pack must not import the simulator; the runner calls this only when no
# credentials are configured (the Chift sandbox, components/sage_ge/sandbox/).
PACK.sandbox_factory = lambda **options: __import__("sage_ge.sandbox").sandbox.Sandbox(**options)
