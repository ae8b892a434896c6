"""Generates the JSON manifests hosts read, and checks the committed ones have not drifted."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sageflow._registry import packs

#: Further documents derived from the packs (the flow-file schema is one), by relative path.
#: Each builder receives the index so it derives from the same data as the component files.
EXTRA_DOCUMENTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def dump(document: Any) -> str:
    """The one serialisation of manifests: sorted keys, stable indentation, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def index() -> dict[str, Any]:
    installed = packs()
    return {
        "packs": {
            name: {
                "title": pack.title,
                "description": pack.description,
                "connections": {k: c.manifest() for k, c in pack.connections.items()},
                "components": sorted(pack.components),
                "aliases": dict(sorted(pack.aliases.items())),
                "hasSandbox": pack.sandbox_factory is not None,
            }
            for name, pack in sorted(installed.items())
        },
        "components": [
            {
                "ref": c.ref,
                "kind": c.kind,
                "title": c.title,
                "annotations": c.annotations.to_dict(),
                "manifest": f"{c.pack}/{c.key}.json",
                **({"availability": c.availability} if c.availability else {}),
            }
            for _name, pack in sorted(installed.items())
            for c in sorted(pack.components.values(), key=lambda c: c.key)
        ],
    }


def build() -> dict[str, str]:
    """Every manifest file, by path relative to the manifests folder."""
    the_index = index()
    files = {"index.json": dump(the_index)}
    for pack in packs().values():
        for component in pack.components.values():
            files[f"{pack.name}/{component.key}.json"] = dump(component.manifest())
    # The flow runner's schema is derived from the same index; imported here, not at module
    # load, so that `sageflow components` does not pay for the runner.
    from sageflow._flows._schema import register

    register()
    for name, builder in EXTRA_DOCUMENTS.items():
        files[name] = dump(builder(the_index))
    return files


def pack_indexes() -> dict[Path, str]:
    """Each lazily loaded pack's index file (which module defines each component), as text."""
    files = {}
    for pack in packs().values():
        if pack.index_file is not None:
            index = pack.module_index()
            files[pack.index_file] = dump({"components": index})
    return files


def _index_problems() -> list[str]:
    problems = []
    for pack in packs().values():
        if pack.index_file is None:
            continue
        for key, module in pack.module_index().items():
            if not module:
                problems.append(
                    f"{pack.name}/{key}: defined outside the pack's modules (list its module"
                    f" in {pack.name}'s modules, and do not import it from the package itself)"
                )
    return problems


def write(root: Path) -> list[str]:
    """Write every manifest under ``root``, remove stale ones; return the paths written.
    Each pack's index file is rewritten beside its code too."""
    problems = _index_problems()
    if problems:
        raise ValueError("\n".join(problems))
    for target, text in pack_indexes().items():
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    files = build()
    root.mkdir(parents=True, exist_ok=True)
    for stale in _existing(root) - set(files):
        (root / stale).unlink()
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    return sorted(files)


def check(root: Path) -> list[str]:
    """Differences between the code and the files under ``root``; empty when they agree."""
    files = build()
    problems: list[str] = _index_problems()
    for target, text in pack_indexes().items():
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            problems.append(f"stale: {target} (which module defines each component)")
    existing = _existing(root)
    for missing in sorted(set(files) - existing):
        problems.append(f"missing: {root / missing}")
    for extra in sorted(existing - set(files)):
        problems.append(f"extra (no component generates it): {root / extra}")
    for relative in sorted(set(files) & existing):
        on_disk = (root / relative).read_text(encoding="utf-8")
        if on_disk != files[relative]:
            diff = difflib.unified_diff(
                on_disk.splitlines(keepends=True),
                files[relative].splitlines(keepends=True),
                fromfile=f"{root / relative} (committed)",
                tofile=f"{root / relative} (from the code)",
                n=1,
            )
            problems.append(f"stale: {root / relative}\n{''.join(diff)}")
    return problems


def _existing(root: Path) -> set[str]:
    if not root.is_dir():
        return set()
    return {p.relative_to(root).as_posix() for p in root.rglob("*.json")}
