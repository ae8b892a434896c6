"""The pack object every Sage Accounting component registers on."""

from __future__ import annotations

from sage_accounting._errors import parse_error
from sage_accounting._paging import page_progress
from sage_accounting.connection import ACCESS_TOKEN, OAUTH2
from sageflow._component import Pack

PACK = Pack(
    name="sage_accounting",
    title="Sage Business Cloud Accounting",
    description="Sage Business Cloud Accounting API v3.1 (UK, IE, CA).",
    error_parser=parse_error,
    page_progress=page_progress,
    # The first pack keeps the plain names it has always documented (SAGEFLOW_ACCESS_TOKEN);
    # packs after it get SAGEFLOW_<PACK>_... by default.
    env_prefix="SAGEFLOW_",
)
PACK.add_connection(OAUTH2)
PACK.add_connection(ACCESS_TOKEN)
# Lazy: importing the pack must not import the simulator; the runner calls this only when no
# credentials are configured.
PACK.sandbox_factory = lambda **options: __import__("sage_accounting.sandbox").sandbox.Sandbox(
    **options
)
