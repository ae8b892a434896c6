"""rawRequest cannot leave the API: a corpus of SSRF attempts, each refused with a reason."""

from __future__ import annotations

import httpx
import pytest
from httpkit import API, token_connection
from hypothesis import given, settings
from hypothesis import strategies as st

from sageflow import HTTPRequest, SageflowError, UnsafeRequestError
from sageflow._http import Client
from sageflow._paths import ensure_api_path

SSRF = [
    pytest.param("https://evil.example/x", id="absolute-https"),
    pytest.param("http://169.254.169.254/latest/meta-data", id="metadata-ip"),
    pytest.param("//evil.example/x", id="scheme-relative"),
    pytest.param("///evil.example/x", id="triple-slash"),
    pytest.param("\\\\evil.example\\x", id="backslashes"),
    pytest.param("/\\evil.example", id="slash-backslash"),
    pytest.param("/contacts@evil.example", id="at-sign"),
    pytest.param("/%2e%2e/%2e%2e/admin", id="encoded-dots"),
    pytest.param("/contacts%2f..%2f..%2fadmin", id="encoded-slashes"),
    pytest.param("/%252e%252e/admin", id="double-encoded"),
    pytest.param("/contacts%5c..", id="encoded-backslash"),
    pytest.param("/contacts%40evil.example", id="encoded-at"),
    pytest.param("/../admin", id="dotdot-root"),
    pytest.param("/contacts/../../v1/admin", id="dotdot-climb"),
    pytest.param("../contacts", id="relative-dotdot"),
    pytest.param("/contacts\r\nHost: evil.example", id="crlf-injection"),
    pytest.param("/contacts\x00.evil", id="nul"),
    pytest.param("/contacts\t", id="tab"),
    pytest.param(" //evil.example", id="leading-space"),
    pytest.param("javascript:alert(1)", id="javascript-scheme"),
    pytest.param("file:///etc/passwd", id="file-scheme"),
    pytest.param("evil.example:443/x", id="host-port"),
    pytest.param("/contacts\u2028evil", id="line-separator"),
    pytest.param("/contacts\u200b/x", id="zero-width"),
    pytest.param("/\uff0f\uff0fevil.example", id="fullwidth-slashes"),
    pytest.param("/contacts\uff0e\uff0e/x", id="fullwidth-dots"),
    pytest.param("/\u2215evil.example", id="division-slash"),
    pytest.param("/contacts%00", id="encoded-nul"),
    pytest.param("/contacts%3a//evil", id="encoded-colon"),
    pytest.param("", id="empty"),
    pytest.param("/..;/admin", id="tomcat-path-parameter-climb"),
    pytest.param("/contacts/..;x/..;y/../../etc", id="path-parameters"),
    pytest.param("/%u002e%u002e/x", id="iis-u-encoding"),
    pytest.param("/contacts%4", id="truncated-percent"),
]


@pytest.mark.parametrize("url", SSRF)
def test_ssrf_attempt_is_refused(url: str) -> None:
    with pytest.raises(UnsafeRequestError):
        ensure_api_path(url)


def test_the_corpus_is_large_enough() -> None:
    assert len(SSRF) >= 20


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("/contacts", "/contacts", id="plain"),
        pytest.param("contacts", "/contacts", id="no-leading-slash"),
        pytest.param("/contacts/./x", "/contacts/x", id="dot"),
        pytest.param("/contacts/a/../b", "/contacts/b", id="dotdot-inside"),
        pytest.param("/contacts?search=a b", "/contacts?search=a b", id="query"),
        pytest.param("/contacts//x", "/contacts/x", id="double-slash-inside"),
    ],
)
def test_safe_paths_are_normalised(url: str, expected: str) -> None:
    assert ensure_api_path(url) == expected


@pytest.mark.parametrize("url", [p.values[0] for p in SSRF[:8]])
def test_the_transport_sends_nothing_for_a_refused_path(url: str) -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200))
    with (
        Client(token_connection(), transport=transport) as client,
        pytest.raises(UnsafeRequestError),
    ):
        client.send(HTTPRequest("GET", url))
    assert sent == []


def test_authorization_stays_on_the_api_host() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "https://evil.example/steal"})

    with Client(token_connection(), transport=httpx.MockTransport(handler)) as client:
        response = client.send(HTTPRequest("GET", "/contacts"))
    # Redirects are not followed: the bearer token never reaches another host.
    assert response.status == 302
    assert [r.url.host for r in seen] == [httpx.URL(API).host]


def test_a_request_may_not_set_authorization_or_host() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200))
    with Client(token_connection(), transport=transport) as client:
        for header in ("Authorization", "Host"):
            with pytest.raises(UnsafeRequestError):
                client.send(HTTPRequest("GET", "/contacts", headers={header: "x"}))


_PIECES = [*"/\\.@:%?#&=ab01 -_~\t\n", "%2e", "%2f", "..", "//", "\uff0f"]
_ALPHABET = st.sampled_from(_PIECES)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(_ALPHABET, max_size=12).map("".join)))
def test_any_accepted_path_stays_under_the_base(url: str) -> None:
    try:
        path = ensure_api_path(url)
    except UnsafeRequestError:
        return
    joined = httpx.URL(API + path)
    assert joined.host == httpx.URL(API).host
    assert joined.scheme == "https"
    assert joined.userinfo == b""
    assert (joined.path + "/").startswith("/v3.1/")
    assert ".." not in joined.path.split("/")


@pytest.mark.parametrize("url", ["https://evil.example/x", "//evil.example", "/../admin"])
def test_raw_request_refuses_before_anything_is_sent(url: str) -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={}))
    with (
        Client(token_connection(), transport=transport) as client,
        pytest.raises(SageflowError, match="url"),
    ):
        client.call("sage_accounting/rawRequest", {"method": "GET", "url": url})
    assert sent == []


def test_raw_request_goes_through_the_layer(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = 503 if len(seen) == 1 else 200
        return httpx.Response(status, json={"ok": True}, headers={"Retry-After": "0"})

    inputs = {
        "method": "GET",
        "url": "/financial_settings",
        "maxRetries": 1,
        "debugRequest": True,
    }
    with Client(token_connection(), transport=httpx.MockTransport(handler)) as client:
        client.call("sage_accounting/rawRequest", inputs)
    assert [str(r.url) for r in seen] == [f"{API}/financial_settings"] * 2
    assert "GET https://api.test.example/v3.1/financial_settings -> 503" in caplog.text
    assert "authorization: ***" in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/contacts?search=100%25", id="percent-sign"),
        pytest.param("/contacts?search=a%2Fb", id="slash"),
        pytest.param("/contacts?search=a;b", id="semicolon"),
    ],
)
def test_a_query_may_carry_any_well_formed_value(url: str) -> None:
    assert ensure_api_path(url) == url
