"""Secrets of a test connection never appear in logs, error messages or cassettes, in any form."""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
from httpkit import CLIENT_SECRET, REFRESH, Clock, FakeSage, oauth_connection

from sageflow import APIError, CallOptions, HTTPRequest
from sageflow._http import (
    Client,
    before_record_request,
    before_record_response,
    redact,
    register_secret,
)


def forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in text, f"a form of a secret leaked: {form[:4]}…"


def test_redact_masks_known_shapes() -> None:
    register_secret(CLIENT_SECRET)
    text = (
        f"Authorization: Bearer abc.def-ghi\nCookie: session=1\n"
        f'{{"access_token": "zzz-token-1", "refresh_token":"zzz-token-2"}} '
        f"client_secret={quote_plus(CLIENT_SECRET)}&code=the-code&state=s "
        f"{base64.b64encode(CLIENT_SECRET.encode()).decode()} "
        "{'refresh_token': 'zzz-token-3'}"
    )
    cleaned = redact(text)
    for leaked in (
        "abc.def-ghi",
        "session=1",
        "zzz-token-1",
        "zzz-token-2",
        "zzz-token-3",
        "the-code",
    ):
        assert leaked not in cleaned
    assert_clean(cleaned, [CLIENT_SECRET])
    assert "state=s" in cleaned


def test_logs_errors_and_cassettes_never_hold_a_secret(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    sage = FakeSage(clock)
    echoed: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        # A misbehaving server that echoes the credentials it received in an error body.
        echoed.append(request.headers["authorization"])
        return httpx.Response(
            400,
            json=[
                {
                    "$severity": "error",
                    "$dataCode": "RECORD_INVALID",
                    "$message": f"bad header {request.headers['authorization']} "
                    f"secret {CLIENT_SECRET}",
                }
            ],
            headers={"Set-Cookie": "sid=abcdef123456"},
        )

    sage.api = api
    connection = oauth_connection(clock, sage)
    caplog.set_level(logging.DEBUG, logger="sageflow")
    with Client(connection, transport=sage.transport()) as client:
        with pytest.raises(APIError) as caught:
            client.call("sage_accounting/getContact", {"contactId": "abc"}, CallOptions(debug=True))
        # a token request is also logged when debugging the refresh path
        client.send(HTTPRequest("GET", "/contacts", debug=True))
    secrets = [CLIENT_SECRET, REFRESH, sage.access, sage.refresh, "abcdef123456"]
    assert caplog.records, "debug logging produced nothing"
    assert "GET https://api.test.example/v3.1/contacts/abc -> 400" in caplog.text
    assert_clean(caplog.text, secrets)
    assert_clean(str(caught.value), secrets)
    assert "RECORD_INVALID" in str(caught.value)

    # cassette-style dumps of the same exchange, through the vcrpy hooks
    cassette = _record(sage, clock)
    assert_clean(repr(cassette), secrets)


def _record(sage: FakeSage, clock: Clock) -> list[dict[str, Any]]:
    from vcr.request import Request as VcrRequest

    dumps = []
    token_request = httpx.Request(
        "POST",
        "https://oauth.test.example/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": sage.refresh,
            "client_secret": CLIENT_SECRET,
        },
    )
    token_response = sage.token(token_request)
    for request, response in [
        (token_request, token_response),
        (
            httpx.Request(
                "GET",
                "https://api.test.example/v3.1/contacts?access_token=" + sage.access,
                headers={"Authorization": f"Bearer {sage.access}", "Cookie": "sid=abcdef123456"},
            ),
            httpx.Response(200, json={"ok": True}, headers={"Set-Cookie": "sid=abcdef123456"}),
        ),
    ]:
        recorded = before_record_request(
            VcrRequest(request.method, str(request.url), request.content, dict(request.headers))
        )
        answer = before_record_response(
            {
                "status": {"code": response.status_code, "message": "OK"},
                "headers": {k: [v] for k, v in response.headers.items()},
                "body": {"string": response.content},
            }
        )
        dumps.append({"request": vars(recorded), "response": answer})
    return dumps


def test_the_sageflow_logger_masks_registered_secrets_whoever_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_secret("host-configured-secret-77")
    caplog.set_level(logging.INFO, logger="sageflow")
    logging.getLogger("sageflow").info("connecting with %s", "host-configured-secret-77")
    logging.getLogger("sageflow").info("header Authorization: Bearer abc123def456")
    assert "host-configured-secret-77" not in caplog.text
    assert "abc123def456" not in caplog.text
    assert caplog.text.count("***") == 2


def test_a_redacting_filter_for_handlers() -> None:
    from sageflow._http import RedactingFilter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", ("t0ken-value-1",), None)
    record.msg = 'refresh_token="%s"'
    assert RedactingFilter().filter(record)
    assert "t0ken-value-1" not in record.getMessage()
