"""Reads a flow file into plain data plus the line and column of every value, within limits."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

try:  # libyaml: the same events, marks and nodes as the pure-Python parser, ten times faster
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None  # type: ignore[misc,assignment]

from sageflow._flows._problems import FlowValidationError, Path, Problem, dotted


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile or broken file from exhausting the machine."""

    max_file_bytes: int = 1_000_000
    max_steps: int = 500
    max_depth: int = 64
    max_expression_chars: int = 2_000
    max_loop_items: int = 100_000
    max_nodes: int = 200_000
    #: One expression evaluation's work and memory (see ``_expr.Budget``).
    max_expression_work: int = 5_000_000
    max_expression_size: int = 50_000_000


DEFAULT_LIMITS = Limits()


@dataclass
class Source:
    """A loaded document: the data and where each value (and each mapping key) was written."""

    file: str
    text: str
    data: Any
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """The closest known position for ``path`` (a parent's when the value is absent)."""
        table = self.keys if key else self.values
        probe = path
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def problem(self, path: Path, message: str, *, key: bool = False) -> Problem:
        line, column = self.where(path, key=key)
        return Problem(self.file, line, column, dotted(path), message)


class _LimitedComposer(Composer):
    """PyYAML's composer, refusing aliases and counting values and depth as it goes.

    An alias is how a "billion laughs" document multiplies itself; flows never need one, so
    refusing them outright is simpler and safer than counting expansions. Counting while
    composing refuses a document of a million values after ``max_nodes`` of them, not after
    reading it all.
    """

    limits: Limits = DEFAULT_LIMITS
    _values = 0
    _depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):  # type: ignore[attr-defined]
            event = self.peek_event()  # type: ignore[attr-defined]
            raise _AliasRefusedError(event.start_mark)
        # Mapping keys are composed with no index; like the builder, count values only.
        if not (index is None and isinstance(parent, MappingNode)):
            self._values += 1
            if self._values > self.limits.max_nodes:
                raise _TooBigError(f"more than {self.limits.max_nodes} values in the document")
            if self._depth > self.limits.max_depth:
                raise _TooBigError(f"nested deeper than {self.limits.max_depth} levels")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _AliasRefusedError(Exception):
    def __init__(self, mark: Any) -> None:
        self.mark = mark


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    _LimitedComposer,
    Resolver,
):
    """The pure-Python parser: the reference for every error message and position."""

    def __init__(self, stream: str, limits: Limits = DEFAULT_LIMITS) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        Composer.__init__(self)
        Resolver.__init__(self)
        self.limits = limits


if _CParser is not None:

    class _FastLoader(_LimitedComposer, _CParser, Resolver):
        """libyaml's events under the same composer: nodes, marks and limits as ``_Loader``.

        Its error texts differ from PyYAML's, so a document libyaml refuses is parsed again by
        ``_Loader`` for the message users know (errors are rare; speed matters for the rest).
        """

        def __init__(self, stream: str, limits: Limits = DEFAULT_LIMITS) -> None:
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            Resolver.__init__(self)
            self.limits = limits

    _LOADERS: tuple[type[Any], ...] = (_FastLoader, _Loader)
else:  # pragma: no cover - PyYAML built without libyaml
    _LOADERS = (_Loader,)


def read_flow_file(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> str:
    """A flow file's text, refused past ``max_file_bytes`` without reading more than that.

    The size a file reports is not trusted: ``/dev/zero``, a pipe or a file still growing
    report 0 or too little, so at most one byte beyond the limit is ever read.
    """
    name = os.path.basename(os.fspath(path))
    with open(path, "rb") as handle:
        data = handle.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        raise FlowValidationError(
            [
                Problem(
                    name,
                    1,
                    1,
                    "(document)",
                    f"the file is over {limits.max_file_bytes} bytes;"
                    f" the limit is {limits.max_file_bytes}",
                )
            ]
        )
    return data.decode("utf-8")


# YAML 1.1 reads `on`, `yes`, `no` as booleans and `2024-01-31` as a date; in a flow those are
# almost always meant as text (Sage wants dates as strings), so only the JSON-like core types
# are resolved and everything else stays a string.
_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_FLOAT = re.compile(
    r"^[-+]?([0-9][0-9_]*)?\.[0-9_]+([eE][-+]?[0-9]+)?$"  # 1.5, .5, 1.5e3
    r"|^[-+]?[0-9]+[eE][-+]?[0-9]+$"  # 15e2
)


#: The most digits a number written in a flow may have before and after its point. Sage keeps
#: amounts to 2 places (rates and quantities to a few more); a literal such as 1e999999999
#: passed validation and allocated a gigabyte of digits when the request was built.
MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_PLACES = 10


def number_problem(value: Decimal | int, text: str) -> str | None:
    """Why a number written as ``text`` cannot be an amount Sage stores, or None."""
    if isinstance(value, int):
        digits, places = len(str(abs(value))), 0
    elif not value.is_finite():
        digits, places = MAX_INTEGER_DIGITS + 1, 0
    else:
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        digits = value.adjusted() + 1 if value else 1
        places = max(0, -exponent)
    if digits <= MAX_INTEGER_DIGITS and places <= MAX_DECIMAL_PLACES:
        return None
    shown = text if len(text) <= 30 else text[:27] + "..."
    return (
        f"the number {shown} cannot be an amount: at most {MAX_INTEGER_DIGITS} digits before"
        f" the point and {MAX_DECIMAL_PLACES} after (quote it if it is text)"
    )


class _NumberRefusedError(Exception):
    pass


def _scalar(node: ScalarNode) -> Any:
    value = node.value
    if node.style:  # quoted or block: always text (plain is None in PyYAML, "" in libyaml)
        return value
    if node.tag not in (
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:timestamp",
    ):
        return value
    if value in ("", "~", "null", "Null", "NULL"):
        return None
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    if _INT.match(value):
        digits = value.replace("_", "").lstrip("+-")
        if len(digits) > MAX_INTEGER_DIGITS:  # before int(): Python refuses 4,300+ digits
            raise _NumberRefusedError(number_problem(10**MAX_INTEGER_DIGITS, value))
        return int(value.replace("_", ""))
    if _FLOAT.match(value):
        try:
            # Decimal, not float: a literal amount like 12.10 must reach Sage as written.
            number = Decimal(value.replace("_", ""))
        except InvalidOperation:
            return value
        problem = number_problem(number, value)
        if problem is not None:
            raise _NumberRefusedError(problem)
        return number
    return value


class _Builder:
    def __init__(self, source: Source, limits: Limits) -> None:
        self.source = source
        self.limits = limits
        self.count = 0
        self.problems: list[Problem] = []

    def build(self, node: Node, path: Path) -> Any:
        self.count += 1
        if self.count > self.limits.max_nodes:
            raise _TooBigError(f"more than {self.limits.max_nodes} values in the document")
        if len(path) > self.limits.max_depth:
            raise _TooBigError(f"nested deeper than {self.limits.max_depth} levels")
        self.source.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, ScalarNode):
            try:
                return _scalar(node)
            except _NumberRefusedError as refused:
                self.problems.append(
                    Problem(self.source.file, *self.source.values[path], dotted(path), str(refused))
                )
                return node.value
        if isinstance(node, SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key_path_pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if not isinstance(key_node, ScalarNode):
                    self.problems.append(
                        Problem(
                            self.source.file,
                            *key_path_pos,
                            dotted(path),
                            "mapping keys must be plain text",
                        )
                    )
                    continue
                key = str(key_node.value)
                if key == "<<":
                    self.problems.append(
                        Problem(
                            self.source.file,
                            *key_path_pos,
                            dotted(path),
                            "merge keys (<<) are not supported in flows",
                        )
                    )
                    continue
                if key in out:
                    self.problems.append(
                        Problem(
                            self.source.file, *key_path_pos, dotted((*path, key)), "duplicate key"
                        )
                    )
                    continue
                self.source.keys[(*path, key)] = key_path_pos
                out[key] = self.build(value_node, (*path, key))
            return out
        return None  # pragma: no cover - PyYAML has no other node kinds


class _TooBigError(Exception):
    pass


def load_source(text: str, file: str, limits: Limits = DEFAULT_LIMITS) -> Source:
    """Parse ``text`` into a :class:`Source`; raises :class:`FlowValidationError` when it can't."""
    source = Source(file=file, text=text, data=None)
    size = len(text.encode("utf-8", errors="replace"))
    if size > limits.max_file_bytes:
        raise FlowValidationError(
            [
                Problem(
                    file,
                    1,
                    1,
                    "(document)",
                    f"the file is {size} bytes; the limit is {limits.max_file_bytes}",
                )
            ]
        )
    try:
        node = _compose(text, limits)
    except _TooBigError as too_big:
        raise FlowValidationError([Problem(file, 1, 1, "(document)", str(too_big))]) from None
    except _AliasRefusedError as refused:
        mark = refused.mark
        raise FlowValidationError(
            [
                Problem(
                    file,
                    mark.line + 1,
                    mark.column + 1,
                    "(document)",
                    "YAML aliases (*name) are not allowed in flows",
                )
            ]
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"invalid YAML: {error.problem or error.context or 'cannot parse'}"
        lines = text.splitlines()
        if mark and mark.line < len(lines) and "${{" in lines[mark.line]:
            # `a ? b : c` inside a plain scalar reads as a nested mapping to YAML.
            message += " (put quotes around a value whose ${{ }} contains ': ' or '#')"
        raise FlowValidationError([Problem(file, line, column, "(document)", message)]) from None
    except yaml.YAMLError as error:
        raise FlowValidationError(
            [Problem(file, 1, 1, "(document)", f"invalid YAML: {error}")]
        ) from None
    except RecursionError:
        raise FlowValidationError(
            [Problem(file, 1, 1, "(document)", "the document is nested too deeply")]
        ) from None
    if node is None:
        raise FlowValidationError([Problem(file, 1, 1, "(document)", "the file is empty")])
    builder = _Builder(source, limits)
    try:
        source.data = builder.build(node, ())
    except _TooBigError as too_big:
        raise FlowValidationError([Problem(file, 1, 1, "(document)", str(too_big))]) from None
    except RecursionError:
        raise FlowValidationError(
            [Problem(file, 1, 1, "(document)", "the document is nested too deeply")]
        ) from None
    if builder.problems:
        raise FlowValidationError(builder.problems)
    return source


# Where libyaml and PyYAML disagree on a document both read (found by a differential fuzz
# of damaged flows): libyaml accepts tabs as separators and a comment glued to a block
# scalar's header (`>#`), and counts a byte-order mark inside the text and the position of
# an explicit `? ` key's empty value differently. Such documents go to PyYAML alone.
_LIBYAML_DIFFERS = re.compile(r"\t|.\ufeff|[|>][-+0-9]*#|^[ -]*\?(?:[ \r\n]|$)", re.M | re.S)
# libyaml also reads `[b ? c]`, `{b ? : c}`, `{a: b ?c}` and `{a: b?c}`, where PyYAML refuses
# any `?` in a plain scalar inside [..] or {..} (its scanner ends a flow plain scalar there);
# a `?` in quotes (`"${{ a ? b : c }}"`) is read alike by both.


def _plain_question_in_flow(root: Node) -> bool:
    pending: list[tuple[Node, bool]] = [(root, False)]
    while pending:
        node, in_flow = pending.pop()
        if isinstance(node, ScalarNode):
            if in_flow and not node.style and "?" in node.value:
                return True
        elif isinstance(node, SequenceNode):
            inner = in_flow or bool(node.flow_style)
            pending.extend((child, inner) for child in node.value)
        elif isinstance(node, MappingNode):
            inner = in_flow or bool(node.flow_style)
            for key, value in node.value:
                pending += [(key, inner), (value, inner)]
    return False


def _compose(text: str, limits: Limits) -> Node | None:
    """The document's node tree, from libyaml when present; PyYAML's own words on any error."""
    loaders = _LOADERS if _LIBYAML_DIFFERS.search(text) is None else (_Loader,)
    for loader_class in loaders:
        loader = loader_class(text, limits)  # both readers refuse control characters
        try:
            node: Node | None = loader.get_single_node()
        except yaml.YAMLError:
            if loader_class is _Loader:
                raise
            continue  # libyaml words it differently: ask the reference parser
        finally:
            loader.dispose()
        if (
            loader_class is not _Loader
            and node is not None
            and "?" in text
            and _plain_question_in_flow(node)
        ):
            continue
        return node
    raise AssertionError("unreachable: _Loader is the last loader and raises")  # pragma: no cover
