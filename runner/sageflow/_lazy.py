"""Lazy package exports: a name's module is imported the first time the name is used."""

from __future__ import annotations

import importlib
import sys
import types
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


def defer_submodule(name: str) -> None:
    """Make ``import parent`` bind submodule ``name`` without running it until it is used.

    For a dependency whose package ``__init__`` imports a part sageflow never uses: the ``cel``
    package imports ``cel.cli``, its interactive shell (prompt_toolkit, rich, pygments), on
    every ``import cel`` — about a sixth of ``sageflow validate``'s run time. The module runs
    in full at the first access to a name it does not have yet, so anyone who does use it
    sees no difference. (``importlib.util.LazyLoader`` cannot do this: the import system reads
    ``__spec__`` of a module it finds in ``sys.modules``, and that read runs a lazy module.)
    Does nothing once the parent is imported, or when the path finder cannot find the module.
    """
    import importlib.machinery
    import importlib.util

    parent, _, _child = name.rpartition(".")
    if not parent or parent in sys.modules or name in sys.modules:
        return
    try:
        found = importlib.util.find_spec(parent)  # the parent's spec; runs no package code
        locations = found.submodule_search_locations if found is not None else None
        spec = importlib.machinery.PathFinder.find_spec(name, list(locations or ()))
    except (ImportError, ValueError):
        return
    if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
        return
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _Deferred
    sys.modules[name] = module


class _Deferred(types.ModuleType):
    """A module whose code runs at the first access to a name it lacks (see defer_submodule)."""

    def __getattr__(self, attribute: str) -> Any:
        if attribute == "__path__":  # the import system's "is it a package?" probe
            raise AttributeError(attribute)
        self.__class__ = types.ModuleType  # type: ignore[assignment]
        spec = self.__spec__
        assert spec is not None
        assert spec.loader is not None
        spec.loader.exec_module(self)
        return getattr(self, attribute)
