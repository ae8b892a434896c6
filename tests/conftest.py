"""Fixtures shared by the whole suite: the reference material beside the checkout, spec routes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
SAMPLES = REFERENCE / "sage-accounting-v3.1-samples"
SPEC_FILES = (
    REFERENCE / "sage-accounting-v3.1-swagger.json",
    REFERENCE / "sage-accounting-v3.1-swagger.user_businesses.json",
)


def require_reference() -> Path:
    """The reference folder, or a skip that says why (CI always has it)."""
    if not REFERENCE.is_dir():
        pytest.skip(f"Sage reference material not found at {REFERENCE} (../shared is absent)")
    return REFERENCE


def load_sample(name: str) -> Any:
    require_reference()
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class SpecOperation:
    method: str
    template: str
    pattern: re.Pattern[str]
    operation: dict[str, Any]
    spec: dict[str, Any]

    def body_wrapper(self) -> set[str]:
        """The top-level keys the spec's request body schema has (Sage's singular wrapper)."""
        for parameter in self.operation.get("parameters", []):
            if parameter.get("in") == "body":
                schema = _resolve(self.spec, parameter.get("schema", {}))
                return set(schema.get("properties", {}))
        return set()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not ref:
        return schema
    node: Any = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return dict(node)


@lru_cache(maxsize=1)
def _spec_operations() -> tuple[SpecOperation, ...]:
    operations = []
    for file in SPEC_FILES:
        spec = json.loads(file.read_text(encoding="utf-8"))
        for template, item in spec["paths"].items():
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            for method, operation in item.items():
                if method in {"get", "post", "put", "delete", "patch"}:
                    operations.append(
                        SpecOperation(method.upper(), template, re.compile(regex), operation, spec)
                    )
    return tuple(operations)


def spec_operation(method: str, path: str) -> SpecOperation | None:
    """The official operation for a concrete request, or None when the spec has no such route."""
    require_reference()
    candidates = [op for op in _spec_operations() if op.method == method and op.pattern.match(path)]
    # Prefer literal segments over parameters (/contacts/{key} vs a literal like /user).
    candidates.sort(key=lambda op: op.template.count("{"))
    return candidates[0] if candidates else None


@pytest.fixture
def reference() -> Path:
    return require_reference()
