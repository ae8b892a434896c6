"""rawRequest: every seed input mapped onto the request values, and the url kept inside the API."""

from __future__ import annotations

import base64

import pytest
from packkit import first, run

from sage_accounting import PACK
from sageflow import HTTPResponse, InputValidationError, RetryOverride, UploadFile


def test_retry_timeout_and_debug_map_onto_the_request() -> None:
    request = first(
        "rawRequest",
        {
            "method": "POST",
            "url": "/contacts?attributes=all",
            "data": {"contact": {"name": "Acme"}},
            "queryParams": {"page": "2"},
            "headers": {"X-Business": "b1"},
            "maxRetries": 2,
            "retryDelayMS": 1500,
            "useExponentialBackoff": False,
            "retryAllErrors": True,
            "timeout": 45000,
            "debugRequest": True,
        },
    )
    assert (request.method, request.path) == ("POST", "/contacts")
    assert request.query == {"attributes": "all", "page": "2"}
    assert request.json == {"contact": {"name": "Acme"}}
    assert request.headers == {"X-Business": "b1"}
    assert request.retry == RetryOverride(
        max_retries=2, retry_delay=1.5, exponential_backoff=False, retry_all_errors=True
    )
    assert request.timeout == 45.0
    assert request.debug is True


def test_defaults_leave_the_connections_policy_alone() -> None:
    request = first("rawRequest", {"method": "GET", "url": "/contacts"})
    assert request.retry is None
    assert request.timeout is None
    assert request.debug is False


def test_files_and_form_data_become_a_multipart_body() -> None:
    request = first(
        "rawRequest",
        {
            "method": "POST",
            "url": "/attachments",
            "formData": {"description": "Receipt"},
            "fileData": {"file": base64.b64encode(b"%PDF-1.7").decode()},
            "fileDataFileNames": {"file": "receipt.pdf"},
        },
    )
    assert request.form == {"description": "Receipt"}
    assert list(request.files) == [UploadFile("file", "receipt.pdf", b"%PDF-1.7")]


@pytest.mark.parametrize("name", ["Authorization", "authorization", "Cookie", "Host"])
def test_credentials_headers_cannot_be_overridden(name: str) -> None:
    with pytest.raises(InputValidationError, match="set by the connection"):
        PACK.get("rawRequest").validate({"method": "GET", "url": "/x", "headers": {name: "y"}})


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/contacts",
        "//evil.example/contacts",
        "contacts",
        "/../oauth/token",
        "/contacts/../../x",
        "/%2e%2e/x",
        "/a%2fb",
        "/a\\b",
        "/x@evil.example",
        "/javascript:alert(1)",
        "/a\nb",
    ],
)
def test_unsafe_urls_are_refused_at_validation(url: str) -> None:
    with pytest.raises(InputValidationError, match=r"\$\.url"):
        PACK.get("rawRequest").validate({"method": "GET", "url": url})


@pytest.mark.parametrize(
    ("response_type", "content", "body"),
    [
        ("json", b'{"a": 1}', {"a": 1}),
        ("text", b"a,b\n1,2", "a,b\n1,2"),
        ("binary", b"\x00\xff", "AP8="),
        ("json", b"%PDF", "%PDF"),
    ],
)
def test_response_types(response_type: str, content: bytes, body: object) -> None:
    sent, out = run(
        "rawRequest",
        {"method": "GET", "url": "/x", "responseType": response_type},
        [HTTPResponse(200, {"content-type": "x"}, content)],
    )
    assert sent[0].response_type == response_type
    assert out == {"status": 200, "headers": {"content-type": "x"}, "body": body}


def test_json_body_and_form_are_exclusive() -> None:
    with pytest.raises(InputValidationError, match="not both"):
        PACK.get("rawRequest").validate(
            {"method": "POST", "url": "/x", "data": {}, "formData": {"a": "b"}}
        )


def test_file_names_must_name_a_file() -> None:
    with pytest.raises(InputValidationError, match="fileDataFileNames"):
        PACK.get("rawRequest").validate(
            {"method": "POST", "url": "/x", "fileDataFileNames": {"file": "a.pdf"}}
        )
