"""The Sage Business Cloud Accounting v3.1 pack: one component per API action."""

from __future__ import annotations

from sage_accounting import contacts
from sage_accounting._pack import PACK

__all__ = ["PACK", "contacts"]
