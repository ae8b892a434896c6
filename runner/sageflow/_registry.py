"""Finds packs through the ``sageflow.packs`` entry point and resolves ``pack/key`` references."""

from __future__ import annotations

import threading
from importlib.metadata import entry_points

from sageflow._component import Component, Pack
from sageflow._errors import SageflowError

ENTRY_POINT_GROUP = "sageflow.packs"

_lock = threading.Lock()
_packs: dict[str, Pack] | None = None


class UnknownComponentError(SageflowError, KeyError):
    """A ``pack/key`` reference that names no installed component."""

    def __str__(self) -> str:
        return str(self.args[0])


def packs() -> dict[str, Pack]:
    """Every installed pack, by name; loaded once, on first use (not at import time)."""
    global _packs
    with _lock:
        if _packs is None:
            found: dict[str, Pack] = {}
            for point in entry_points(group=ENTRY_POINT_GROUP):
                pack = point.load()
                if not isinstance(pack, Pack):
                    raise TypeError(f"entry point {point.value} is not a sageflow Pack")
                found[pack.name] = pack
            _packs = found
        return _packs


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
    packs()[pack.name] = pack


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
    installed = packs()
    if pack_name not in installed:
        known = ", ".join(sorted(installed)) or "none"
        raise UnknownComponentError(f"no pack named {pack_name!r} (installed: {known})")
    try:
        return installed[pack_name].get(key)
    except KeyError:
        raise UnknownComponentError(f"{pack_name} has no component {key!r}") from None
