"""Finds packs through the ``sageflow.packs`` entry point and resolves ``pack/key`` references."""

from __future__ import annotations

import threading
from importlib.metadata import EntryPoint, entry_points

from sageflow._component import Component, Pack
from sageflow._errors import SageflowError

ENTRY_POINT_GROUP = "sageflow.packs"

_lock = threading.RLock()
#: Packs loaded so far (and packs registered by hand), by name.
_loaded: dict[str, Pack] = {}
_all_loaded = False
_points: dict[str, EntryPoint] | None = None


class UnknownComponentError(SageflowError, KeyError):
    """A ``pack/key`` reference that names no installed component."""

    def __str__(self) -> str:
        return str(self.args[0])


def _entry_points() -> dict[str, EntryPoint]:
    global _points
    if _points is None:
        _points = {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}
    return _points


def _load(point: EntryPoint) -> Pack:
    pack = point.load()
    if not isinstance(pack, Pack):
        raise TypeError(f"entry point {point.value} is not a sageflow Pack")
    _loaded.setdefault(pack.name, pack)
    return pack


def pack_names() -> list[str]:
    """The names of the installed packs, without importing any of them."""
    with _lock:
        return sorted({*_entry_points(), *_loaded})


def get_pack(name: str) -> Pack | None:
    """One installed pack, importing only it (a pack's entry point is named after the pack)."""
    with _lock:
        found = _loaded.get(name)
        if found is None and name in _entry_points():
            found = _load(_entry_points()[name])
            if found.name != name:  # an entry point named otherwise: find it the slow way
                found = packs().get(name)
        return found


def known_pack(name: str) -> Pack:
    """The pack a component names (it exists, since the component does); KeyError if not."""
    found = get_pack(name)
    if found is None:
        raise KeyError(name)
    return found


def packs() -> dict[str, Pack]:
    """Every installed pack, by name; loaded once, on first use (not at import time)."""
    global _all_loaded
    with _lock:
        if not _all_loaded:
            for point in _entry_points().values():
                _load(point)
            # In name order, whichever pack a command happened to load first (the same dict:
            # callers may hold it).
            ordered = sorted(_loaded.items())
            _loaded.clear()
            _loaded.update(ordered)
            _all_loaded = True
        return _loaded


def pack_env_prefix(pack: Pack) -> str:
    """The prefix of the environment variables holding ``pack``'s credentials."""
    return pack.env_prefix if pack.env_prefix is not None else f"SAGEFLOW_{pack.name.upper()}_"


def only_pack() -> str:
    """The pack to use when none is named: the only one installed, or an error naming them."""
    installed = sorted(packs())
    if len(installed) == 1:
        return installed[0]
    raise AmbiguousPackError(
        "several packs are installed ("
        + ", ".join(installed)
        + "): name the pack (a connection's `pack = ...`, a component's pack/key, or --pack)"
        if installed
        else "no sageflow pack is installed"
    )


class AmbiguousPackError(SageflowError):
    """No pack was named and more than one (or none) is installed."""


def register_pack(pack: Pack) -> None:
    """Add a pack that is not installed as a distribution (a host's own, or a test's)."""
    with _lock:
        _loaded[pack.name] = pack


def components() -> list[Component]:
    """Every component of every pack, sorted by reference."""
    return sorted(
        (c for pack in packs().values() for c in pack.components.values()),
        key=lambda c: c.ref,
    )


def get_component(ref: str) -> Component:
    """Resolve ``pack/key`` (aliases included) to its component."""
    pack_name, sep, key = ref.partition("/")
    if not sep or not key:
        raise UnknownComponentError(f"{ref!r} is not of the form pack/componentKey")
    pack = get_pack(pack_name)
    if pack is None:
        known = ", ".join(pack_names()) or "none"
        raise UnknownComponentError(f"no pack named {pack_name!r} (installed: {known})")
    try:
        return pack.get(key)
    except KeyError:
        raise UnknownComponentError(f"{pack_name} has no component {key!r}") from None
