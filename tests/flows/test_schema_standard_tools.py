"""flow.schema.json in a standard tool: check-jsonschema in its default (ECMAScript regex) mode
accepts the schema and every example flow, and refuses the golden broken flows it can see."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sageflow._flows._schema import build_flow_schema
from sageflow._manifests import index

from .test_validation_golden import CASES

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "manifests" / "flow.schema.json"
EXAMPLES = sorted((ROOT / "examples").glob("*.sageflow.yaml"))

# The golden broken flows whose fault is in the document's shape, which a schema can see.
# The others (duplicate ids, step references, expressions, secrets, env) need
# `sageflow validate`: the test below also checks the schema lets those through, so this list
# stays exact.
# (testpack's amounts are plain Decimals, whose schema takes any string, so "two" is only
# caught by validate there; a Sage amount carries a number pattern: see BROKEN_SAGE.)
SCHEMA_SEES = {
    "unknown-component",
    "unknown-input",
    "missing-input",
    "bad-id-and-unknown-key",
    "bad-on-error-and-concurrency",
    "alias",
    "unquoted-expression-in-flow-mapping",
    "unquoted-colon",
    "not-a-mapping",
    "no-steps",
}

BROKEN_SAGE = {
    "sage-amount-not-a-number": "name: t\nsteps:\n  - id: a\n"
    "    uses: sage_accounting/createPurchaseInvoice\n    with:\n      contactId: c\n"
    "      date: '2024-01-31'\n      invoiceLines:\n"
    "        - {description: d, ledgerAccountId: l, quantity: two, unitPrice: '1.00'}\n",
    "sage-enum": "name: t\nsteps:\n  - id: a\n    uses: sage_accounting/listContacts\n"
    "    with: {contactTypeId: CUSTOMERS}\n",
}

GOOD = [
    "name: t\ninputs: {n: {type: number}}\nsteps:\n  - id: a\n"
    '    uses: testpack/createThing\n    with: {name: x, amount: "${{ inputs.n }}"}\n',
    "name: t\nsteps:\n  - id: a\n    uses: testpack/createThing\n"
    "    with:\n      name: x\n      lines:\n"
    "        - {description: d, quantity: 2, unitPrice: '10.00'}\n"
    "  - id: b\n    uses: testpack/listThings\n    if: \"${{ !(steps.a.output.id in ['x']) }}\"\n",
]


def check_jsonschema(schema: Path, files: list[Path]) -> dict[str, Any]:
    """check-jsonschema's JSON report; its default regex variant is ECMAScript (regress)."""
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "-o", "json", "--schemafile", str(schema)]
        + [str(f) for f in files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == (0 if report["status"] == "ok" else 1), done.stderr
    return report


def failed(report: dict[str, Any]) -> set[str]:
    found = report.get("errors", []) + report.get("parse_errors", [])
    return {Path(e["filename"]).name for e in found}


def test_committed_schema_and_every_example_pass() -> None:
    assert EXAMPLES
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--check-metaschema", str(COMMITTED)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = check_jsonschema(COMMITTED, EXAMPLES)
    assert report["status"] == "ok", report


def test_no_inline_flags_in_patterns() -> None:
    # ECMAScript has no (?i)-style inline groups; the metaschema check above would refuse one,
    # this names where it is.
    def patterns(node: Any, path: str) -> list[tuple[str, str]]:
        if isinstance(node, dict):
            out = [(path, node["pattern"])] if isinstance(node.get("pattern"), str) else []
            for key, value in node.items():
                out += patterns(value, f"{path}.{key}")
            return out
        if isinstance(node, list):
            return [p for i, v in enumerate(node) for p in patterns(v, f"{path}[{i}]")]
        return []

    found = patterns(json.loads(COMMITTED.read_text()), "$")
    assert found
    assert [
        (where, p) for where, p in found if "(?" in p.replace("(?:", "").replace("(?!", "")
    ] == []


def test_golden_flows(tmp_path: Path) -> None:
    schema = tmp_path / "flow.schema.json"
    schema.write_text(json.dumps(build_flow_schema(index())))  # with testpack, as golden uses
    ids = [case.id for case in CASES]
    assert set(ids) >= SCHEMA_SEES
    broken = []
    for case in CASES:
        path = tmp_path / f"{case.id}.sageflow.yaml"
        path.write_text(case.values[0])
        broken.append(path)
    for name, text in BROKEN_SAGE.items():
        path = tmp_path / f"{name}.sageflow.yaml"
        path.write_text(text)
        broken.append(path)
    good = []
    for number, text in enumerate(GOOD):
        path = tmp_path / f"good-{number}.sageflow.yaml"
        path.write_text(text)
        good.append(path)
    refused = failed(check_jsonschema(schema, broken + good))
    assert refused == {f"{i}.sageflow.yaml" for i in SCHEMA_SEES | BROKEN_SAGE.keys()}


@pytest.mark.parametrize("text", GOOD)
def test_good_golden_flows_are_valid(text: str) -> None:
    from sageflow._flows._api import load_flow

    assert load_flow("f.sageflow.yaml", text=text).steps


@pytest.mark.parametrize(
    ("header", "refused"),
    [
        ("Authorization", True),
        ("AUTHORIZATION", True),
        ("Proxy-Authorization", True),
        ("cookie", True),
        ("Host", True),
        ("X-Business", False),
        ("Hostname", False),
    ],
)
def test_header_pattern_matches_the_python_check(header: str, refused: bool) -> None:
    import jsonschema
    from pydantic import ValidationError

    from sageflow._registry import get_component

    component = get_component("sage_accounting/rawRequest")
    given = {"method": "GET", "url": "/contacts", "headers": {header: "v"}}
    schema_errors = list(jsonschema.Draft7Validator(component.input_schema()).iter_errors(given))
    assert bool(schema_errors) is refused
    try:
        component.inputs.model_validate(given)
    except ValidationError:
        assert refused
    else:
        assert not refused
