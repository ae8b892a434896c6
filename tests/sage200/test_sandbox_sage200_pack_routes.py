"""What the sage200 pack sends, against Sage's 11 module specs and this sandbox.

Each component runs its example against a fresh sandbox. Every request it sends must be an
operation of the specs with that method. Every body field must exist in the spec's request schema
with its JSON type. A POST must carry every field the spec requires. Every ``$filter`` and
``$orderby`` must parse with the sandbox's OData parser. The contract between the pack and the
sandbox is Sage's API itself, so this test checks the pack's side of it, as the sandbox fidelity
test checks the sandbox's side.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from test_sandbox_sage200_fidelity import _operations, _resolve

from sage200.sandbox import Clock, Sandbox
from sage200.sandbox._core import RESOURCES
from sage200.sandbox._odata_parse import parse_filter, parse_orderby
from sageflow._values import HTTPRequest, HTTPResponse

#: Requests one component may send before the test stops following it (a fetchAll pages on).
MAX_REQUESTS = 20


def _components() -> list[Any]:
    from sage200 import PACK

    return [PACK.components[key] for key in sorted(PACK.components)]


def _template(path: str) -> str:
    return "/" + "/".join("{}" if part.isdigit() else part for part in path.strip("/").split("/"))


def _sent(component: Any) -> list[tuple[HTTPRequest, HTTPResponse]]:
    """The requests the component's example sends, each with the sandbox's answer."""
    sandbox = Sandbox(clock=Clock.manual())
    out: list[tuple[HTTPRequest, HTTPResponse]] = []
    with httpx.Client(
        transport=sandbox.transport(), base_url=sandbox.api_base, headers=sandbox.headers()
    ) as http:
        action = component.start(component.validate(dict(component.example_input)))
        try:
            request = next(action)
            while len(out) < MAX_REQUESTS:
                answer = http.request(
                    request.method,
                    request.path,
                    params={k: str(v) for k, v in request.query.items()},
                    json=request.json,
                )
                response = HTTPResponse(answer.status_code, dict(answer.headers), answer.content)
                out.append((request, response))
                if not response.ok:
                    break  # the executor would raise here: the example's data did not fit
                request = action.send(response)
        except StopIteration:
            pass
    sandbox.close()
    return out


@pytest.fixture(scope="module")
def sent() -> dict[str, list[tuple[HTTPRequest, HTTPResponse]]]:
    return {component.key: _sent(component) for component in _components()}


def _type_problem(value: Any, schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    check = checks.get(str(kind))
    if value is None or check is None or check(value):
        return None
    return f"{value!r} is not {kind}"


def _body_problems(body: Any, schema: dict[str, Any], spec: dict[str, Any], path: str) -> list[str]:
    schema = _resolve(spec, schema)
    problem = _type_problem(body, schema)
    if problem:
        return [f"{path or 'body'}: {problem}"]
    problems: list[str] = []
    if isinstance(body, list) and "items" in schema:
        for index, item in enumerate(body):
            problems += _body_problems(item, schema["items"], spec, f"{path}[{index}]")
    elif isinstance(body, dict):
        properties = schema.get("properties", {})
        for key, value in body.items():
            where = f"{path}.{key}" if path else key
            if key not in properties:
                problems.append(f"{where}: not in the spec's request schema")
            else:
                problems += _body_problems(value, properties[key], spec, where)
    return problems


def _required_problems(
    body: Any, schema: dict[str, Any], spec: dict[str, Any], path: str
) -> list[str]:
    schema = _resolve(spec, schema)
    problems: list[str] = []
    if isinstance(body, list) and "items" in schema:
        for index, item in enumerate(body):
            problems += _required_problems(item, schema["items"], spec, f"{path}[{index}]")
    elif isinstance(body, dict):
        for name in schema.get("required", []):
            if name not in body:
                problems.append(f"{path}.{name}: required by the spec, not sent")
        for key, value in body.items():
            inner = schema.get("properties", {}).get(key)
            if inner is not None:
                problems += _required_problems(value, inner, spec, f"{path}.{key}")
    return problems


@pytest.mark.parametrize("key", [component.key for component in _components()])
def test_what_the_pack_sends_is_in_the_spec(
    key: str, sent: dict[str, list[tuple[HTTPRequest, HTTPResponse]]]
) -> None:
    requests = sent[key]
    assert requests, f"{key} sent nothing"
    for request, _ in requests:
        template = _template(request.path)
        found = _operations().get((request.method, template))
        assert found is not None, f"{key}: {request.method} {template} is not in the specs"
        operation, spec = found
        if request.json is not None:
            content = operation["requestBody"]["content"]
            schema = next(iter(content.values()))["schema"]
            assert _body_problems(request.json, schema, spec, "") == [], key
            if request.method == "POST":
                assert _required_problems(request.json, schema, spec, "") == [], key


@pytest.mark.parametrize("key", [component.key for component in _components()])
def test_the_packs_queries_parse(
    key: str, sent: dict[str, list[tuple[HTTPRequest, HTTPResponse]]]
) -> None:
    sandbox = Sandbox(clock=Clock.manual())
    for request, _ in sent[key]:
        name = request.path.strip("/").split("/")[-1]
        resource = RESOURCES.get(name)
        query = {k: str(v) for k, v in request.query.items()}
        if resource is None or request.method != "GET":
            continue
        navigations = sandbox._navigations(resource)
        if "$filter" in query:
            parse_filter(query["$filter"], resource.fields, navigations)
        if "$orderby" in query:
            parse_orderby(query["$orderby"], resource.fields, navigations)


def test_every_served_answer_was_a_success_or_a_data_mismatch(
    sent: dict[str, list[tuple[HTTPRequest, HTTPResponse]]],
) -> None:
    """Against the sandbox, an example either works or fails on its data (an id the seed does
    not have, a record with transactions): never on a route, a field or a query option."""
    for key, requests in sent.items():
        for request, response in requests:
            if response.ok:
                continue
            message = response.content.decode()
            assert response.status in {400, 404}, (key, response.status, message)
            for wrong in ("not simulated", "No HTTP resource", "does not support http method"):
                assert wrong not in message, (key, request.method, request.path, message)
            assert not re.search(r"Could not find a (navigation )?property", message), (
                key,
                message,
            )


def test_sent_covers_the_postings(sent: dict[str, list[tuple[HTTPRequest, HTTPResponse]]]) -> None:
    paths = {(r.method, _template(r.path)) for requests in sent.values() for r, _ in requests}
    for path in (
        "/sales_invoices",
        "/sales_credit_notes",
        "/purchase_invoices",
        "/purchase_credit_notes",
        "/sales_receipts",
        "/purchase_payments",
        "/sales_allocations",
        "/bank_payment",
        "/bank_receipt",
    ):
        assert ("POST", path) in paths
