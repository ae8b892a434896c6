"""The Sage 200 (Standard and Professional, UK) pack: one component per API action."""

from __future__ import annotations

from sage200 import general, postings, raw_request, reads, traders
from sage200._pack import PACK

__all__ = ["PACK", "general", "postings", "raw_request", "reads", "traders"]
