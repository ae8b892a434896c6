"""Issue 10, finding 7: a flow's input schemas never reach the network, the disk or a ReDoS.

``inputs: {c: {$ref: "http://..."}}`` was accepted and fetched by every run; ``file://`` gave an
internal error; ``pattern: "^(a+)+$"`` hung on a crafted input. A local HTTP server counts the
requests that would have been made, and Python's backtracking ``re`` is watched for use.
"""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import jsonschema._keywords
import pytest

from sageflow import load_flow
from sageflow._flows._api import FlowInputError, resolve_inputs
from sageflow._flows._model import input_validator
from sageflow._flows._problems import FlowValidationError

FILE = "refs.sageflow.yaml"
LOCATED = re.compile(r"^refs\.sageflow\.yaml:\d+:\d+: inputs\.\S+: .+$")


class Counting(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Counting.requests.append(self.path)
        body = b'{"type": "string"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def schema_server() -> Iterator[str]:
    Counting.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def flow(inputs: str) -> str:
    step = "  - {id: a, uses: sage_accounting/listContacts}"
    return f"name: refs\ninputs:\n{inputs}\nsteps:\n{step}\n"


def refused(text: str) -> list[str]:
    with pytest.raises(FlowValidationError) as caught:
        load_flow(FILE, text=text)
    problems = [str(p) for p in caught.value.problems]
    for problem in problems:
        assert LOCATED.match(problem), problem
    return problems


@pytest.mark.parametrize(
    "ref",
    [
        pytest.param("{server}/customer.json", id="http"),
        pytest.param("{server}/customer.json#/definitions/x", id="http-fragment"),
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("other.json", id="relative"),
        pytest.param("//127.0.0.1/x", id="scheme-relative"),
    ],
)
def test_a_ref_outside_the_document_is_refused_where_it_is_written(
    schema_server: str, ref: str
) -> None:
    target = ref.format(server=schema_server)
    problems = refused(flow(f'  c: {{$ref: "{target}"}}'))
    assert len(problems) == 1
    assert problems[0].startswith(f"{FILE}:3:")
    assert "inputs.c.$ref: $ref" in problems[0]
    assert "points outside the flow" in problems[0]
    assert Counting.requests == []


def test_a_nested_ref_and_an_id_are_refused(schema_server: str) -> None:
    problems = refused(
        flow(
            f"  c:\n    type: object\n    properties:\n      name: {{$ref: '{schema_server}/x'}}\n"
            f"  d: {{type: string, $id: '{schema_server}/base'}}"
        )
    )
    assert any("inputs.c.properties.name.$ref" in p and ":6:" in p for p in problems), problems
    assert any("inputs.d.$id: $id is not allowed" in p for p in problems), problems
    assert Counting.requests == []


def test_a_ref_inside_the_document_still_works(schema_server: str) -> None:
    loaded = load_flow(
        FILE,
        text=flow(
            "  code:\n    $ref: '#/definitions/code'\n"
            "    definitions: {code: {type: string, pattern: '^[A-Z]{3}$'}}"
        ),
    )
    assert resolve_inputs(loaded, {"code": "GBP"}) == {"code": "GBP"}
    with pytest.raises(FlowInputError, match="does not match"):
        resolve_inputs(loaded, {"code": "pounds"})
    assert Counting.requests == []


def test_the_run_time_validator_never_fetches_a_ref_that_slipped_through(
    schema_server: str,
) -> None:
    validator = input_validator({"$ref": f"{schema_server}/customer.json"})
    with pytest.raises(Exception, match="Unresolvable"):
        list(validator.iter_errors("x"))
    assert Counting.requests == []


@pytest.fixture
def no_backtracking(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    used: list[str] = []

    def watched(pattern: str, text: str, *args: Any) -> Any:
        used.append(pattern)
        raise AssertionError(f"pattern {pattern!r} evaluated with Python's backtracking re")

    class WatchedRe:
        search = staticmethod(watched)

    # jsonschema's own `pattern` keyword calls `re.search` through this module attribute.
    monkeypatch.setattr(jsonschema._keywords, "re", WatchedRe)
    return used


@pytest.mark.parametrize(
    "pattern", ["^(a+)+$", "^(a|a)*$", "^(a|aa)+$", "^([a-z]+)*@$", "(x+x+)+y"]
)
def test_catastrophic_patterns_run_in_linear_time(no_backtracking: list[str], pattern: str) -> None:
    loaded = load_flow(FILE, text=flow(f"  c: {{type: string, pattern: '{pattern}'}}"))
    crafted = "a" * 50_000 + "!"  # 2**50000 paths for a backtracking engine
    with pytest.raises(FlowInputError, match="does not match"):
        resolve_inputs(loaded, {"c": crafted})
    assert no_backtracking == []


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        pytest.param(r"^(a)\1$", "invalid escape sequence", id="backreference"),
        pytest.param("^(?=a)a$", "invalid perl operator", id="lookahead"),
        pytest.param("^(?<!a)b$", "invalid perl operator", id="lookbehind"),
    ],
)
def test_patterns_re2_cannot_run_are_refused_where_they_are_written(
    pattern: str, reason: str
) -> None:
    (problem,) = refused(flow(f"  c: {{type: string, pattern: '{pattern}'}}"))
    assert problem.startswith(f"{FILE}:3:")
    assert "inputs.c.pattern: pattern" in problem
    assert reason in problem
    assert "RE2" in problem


def test_pattern_properties_are_refused() -> None:
    (problem,) = refused(flow("  c: {type: object, patternProperties: {'^(a+)+$': {}}}"))
    assert "inputs.c.patternProperties: patternProperties is not supported" in problem
