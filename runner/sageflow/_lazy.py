"""Lazy package exports: a name's module is imported the first time the name is used."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name]`` on first use and caches it.

    Packages use it so that importing them (as the CLI does before parsing ``--help``, or a
    pack does for one small class) does not import everything they re-export.
    """

    def load(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return load


def lazy_dir(package: str, exports: Mapping[str, str]) -> Callable[[], list[str]]:
    """A module ``__dir__`` that lists the lazy names too, so that ``dir()``, tab completion
    and ``help()`` (pydoc walks ``dir()``) show the exported API, not only what is loaded."""

    def names() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return names
