"""Validation problems that point at a file, line, column and field path, all reported at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sageflow._errors import SageflowError

Path = tuple[str | int, ...]


def dotted(path: Path) -> str:
    """``("steps", 2, "with", "qty")`` -> ``steps[2].with.qty`` (the path users see)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(document)"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a flow file."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.path}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
        }


class FlowValidationError(SageflowError):
    """A flow that cannot run; keeps every problem so a user fixes them in one pass."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))
