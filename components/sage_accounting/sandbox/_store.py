"""The shared sandbox store, under the name this pack's modules have always imported it by."""

from sageflow.sandbox._store import DEFAULT_START, Clock, Collection, Persistence, Record

__all__ = ["DEFAULT_START", "Clock", "Collection", "Persistence", "Record"]
