"""Issue 10, finding 2: a record id is exactly one path segment.

``deleteContact`` with ``contactId="../purchase_invoices/<ID>"`` used to send
``DELETE /v3.1/purchase_invoices/<ID>``. Ids are now held to Sage's id alphabet at input
validation (a located error naming the field) and percent-encoded as one segment where paths
are built; a recording transport proves that no hostile id ever reaches the wire.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
import pytest

from sage_accounting._actions import record_path
from sageflow._component import Component
from sageflow._errors import InputValidationError, UnsafeRequestError
from sageflow._http import Client, Connection
from sageflow._registry import components

API = "https://api.accounting.sage.com/v3.1"
BILL = "0f3a4c2e9b8d47e6a1c5d2b3e4f5a6b7"
MARKER = "MARKERid0123456789abcdef01234567"

HOSTILE = [
    pytest.param(f"../purchase_invoices/{BILL}", id="climb-to-another-resource"),
    pytest.param("abc/..", id="climb-back-to-collection"),
    pytest.param("abc?search=x", id="query-injection"),
    pytest.param("abc#fragment", id="fragment"),
    pytest.param(".", id="dot"),
    pytest.param("..", id="dot-dot"),
    pytest.param("a/b", id="slash"),
    pytest.param("%2e%2e", id="encoded-dots"),
    pytest.param("abc%2Fdef", id="encoded-slash"),
    pytest.param("abc;x=1", id="path-parameter"),
    pytest.param("abc\\..", id="backslash"),
    pytest.param(" abc", id="leading-space"),
    pytest.param("abc\r\nHost: evil", id="crlf"),
    pytest.param("ab\u0000c", id="nul"),
    pytest.param("abc\uff0f..", id="fullwidth-slash"),
    pytest.param("", id="empty"),
    pytest.param("a" * 129, id="too-long"),
]
#: What Sage's ids look like in the recorded samples and the swagger: all must still pass.
GOOD = [
    "6c5b3bd7a5d84c4b9a3f4dc4f6b0a1e2",
    "08ddd241-ebb4-4f66-9b9f-a622c4249881",
    "GB_STANDARD",
    "CUSTOMER",
    "GBP",
    "CA-ON",
]


class Recorder(httpx.BaseTransport):
    """Records every request that would have gone on the wire; answers a generic 200."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        body = {"id": MARKER, "$items": [], "$total": 0, "displayed_as": "x", "$path": "/x"}
        return httpx.Response(200, json=body)


def _client(recorder: Recorder) -> Client:
    return Client(Connection.with_token(API, "token-for-id-tests"), transport=recorder)


def _sage_components() -> list[Component]:
    return [c for c in components() if c.pack == "sage_accounting"]


def _path_ids() -> list[tuple[str, str]]:
    """Every (component, input field) whose value ends up in a request path.

    Found by running each component's example with one id field set to a marker and looking
    for the marker in the paths sent, so a new component is covered without editing this list.
    """
    found: list[tuple[str, str]] = []
    for component in _sage_components():
        example = dict(component.example_input)
        for name, value in example.items():
            if not (name.endswith("Id") and isinstance(value, str)):
                continue
            recorder = Recorder()
            # Only the paths sent matter here, not whether the canned answer fits.
            with _client(recorder) as client, contextlib.suppress(Exception):
                client.call(component, {**example, name: MARKER})
            if any(MARKER in r.url.raw_path.decode().split("?")[0] for r in recorder.sent):
                found.append((component.key, name))
    return found


PATH_IDS = _path_ids()


def test_the_probe_finds_every_known_path_id() -> None:
    # The discovery above must not be vacuous: these are the ids the finding was about.
    keys = set(PATH_IDS)
    for expected in [
        ("deleteContact", "contactId"),
        ("getContact", "contactId"),
        ("updateContact", "contactId"),
        ("deletePurchaseInvoice", "purchaseInvoiceId"),
        ("getSalesInvoice", "salesInvoiceId"),
        ("getTaxRate", "taxRateId"),
        ("getBusiness", "businessId"),
        ("deleteContactPerson", "contactPersonId"),
    ]:
        assert expected in keys
    assert len(PATH_IDS) >= 15


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize(("key", "field"), PATH_IDS, ids=[f"{k}.{f}" for k, f in PATH_IDS])
def test_hostile_ids_are_refused_with_the_field_named(key: str, field: str, hostile: str) -> None:
    component = next(c for c in _sage_components() if c.key == key)
    recorder = Recorder()
    with _client(recorder) as client, pytest.raises(InputValidationError) as raised:
        client.call(component, {**component.example_input, field: hostile})
    assert [p.path for p in raised.value.problems] == [f"$.{field}"]
    assert "Sage id" in str(raised.value)
    assert recorder.sent == []


@pytest.mark.parametrize("good", GOOD)
def test_sage_shaped_ids_still_pass(good: str) -> None:
    recorder = Recorder()
    with _client(recorder) as client:
        client.call("sage_accounting/deleteContact", {"contactId": good})
        client.call("sage_accounting/getTaxRate", {"taxRateId": good})
    paths = [r.url.path for r in recorder.sent]
    assert paths == [f"/v3.1/contacts/{good}", f"/v3.1/tax_rates/{good}"]


def test_the_published_schema_refuses_what_validation_refuses() -> None:
    # A host validating with jsonschema must reach the same verdict as sageflow.
    jsonschema = pytest.importorskip("jsonschema")
    component = next(c for c in _sage_components() if c.key == "deleteContact")
    schema = component.input_schema()
    assert schema["properties"]["contactId"]["pattern"] == "^[A-Za-z0-9_-]{1,128}$"
    validator = jsonschema.Draft202012Validator(schema)
    assert not validator.is_valid({"contactId": f"../purchase_invoices/{BILL}"})
    assert validator.is_valid({"contactId": GOOD[0]})


@pytest.mark.parametrize("hostile", HOSTILE)
def test_paths_are_built_with_the_id_as_one_segment(hostile: str) -> None:
    # Defence in depth: an id that reaches a handler without validation (a host building the
    # model with model_construct, a future component) still cannot leave its segment.
    recorder = Recorder()
    component = next(c for c in _sage_components() if c.key == "deleteContact")
    unchecked = component.inputs.model_construct(contactId=hostile)
    with _client(recorder) as client, contextlib.suppress(UnsafeRequestError):
        client.call(component, unchecked)
    for request in recorder.sent:
        # Whatever went out targets exactly one record below /contacts, with no query.
        segments = request.url.raw_path.decode().split("?")[0].split("/")
        assert segments[:3] == ["", "v3.1", "contacts"]
        assert len(segments) == 4
        assert segments[3] not in ("", ".", "..")
        assert request.url.query == b""


def test_record_path_encodes_and_refuses() -> None:
    assert record_path("contacts", "abc?search=x") == "/contacts/abc%3Fsearch%3Dx"
    climbing = record_path("contacts", "../purchase_invoices/X")
    assert climbing == "/contacts/..%2Fpurchase_invoices%2FX"
    for bad in ("", ".", ".."):
        with pytest.raises(UnsafeRequestError, match="one path segment"):
            record_path("contacts", bad)


def test_a_flow_reading_hostile_ids_from_data_is_refused_before_sending() -> None:
    # Ids from a CSV or from API data reach components as input values: same verdict.
    recorder = Recorder()
    rows: list[dict[str, Any]] = [{"id": GOOD[0]}, {"id": f"../purchase_invoices/{BILL}"}]
    with _client(recorder) as client:
        client.call("sage_accounting/deleteContact", {"contactId": rows[0]["id"]})
        with pytest.raises(InputValidationError, match=r"\$\.contactId"):
            client.call("sage_accounting/deleteContact", {"contactId": rows[1]["id"]})
    assert [(r.method, r.url.path) for r in recorder.sent] == [
        ("DELETE", f"/v3.1/contacts/{GOOD[0]}")
    ]
    assert json.dumps([str(r.url) for r in recorder.sent]).count("purchase_invoices") == 0


@pytest.mark.parametrize("hostile", HOSTILE)
def test_an_invoice_lines_tax_rate_id_is_one_segment_too(hostile: str) -> None:
    # The pack GETs /tax_rates/{taxRateId} to price a line given without a tax amount.
    component = next(c for c in _sage_components() if c.key == "createSalesInvoice")
    example = json.loads(json.dumps(component.example_input))
    line = example["invoiceLines"][0]
    line.pop("taxAmount", None)
    line["taxRateId"] = hostile
    recorder = Recorder()
    with _client(recorder) as client, pytest.raises(InputValidationError) as raised:
        client.call(component, example)
    assert [p.path for p in raised.value.problems] == ["$.invoiceLines[0].taxRateId"]
    assert recorder.sent == []
