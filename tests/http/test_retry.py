"""The one retry policy: backoff schedule, Retry-After, and when a write may be repeated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from httpkit import Clock, free_limiter, quick_policy, token_connection

from sage_accounting.connection import idempotency_id
from sageflow import CallOptions, HTTPRequest, RetryOverride
from sageflow._http import Client, RetryPolicy


def make_client(clock: Clock, handler: httpx.MockTransport, **policy: object) -> Client:
    return Client(
        token_connection(),
        transport=handler,
        retry=quick_policy(clock, **policy),  # type: ignore[arg-type]
        limiter=free_limiter(clock),
        sleep=clock.sleep,
    )


def scripted(statuses: list[int | Exception], headers: dict[str, str] | None = None):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = statuses[min(len(seen), len(statuses)) - 1]
        if isinstance(step, Exception):
            raise step
        return httpx.Response(step, headers=headers or {}, json={})

    return httpx.MockTransport(handler), seen


def test_backoff_schedule_doubles_to_the_cap() -> None:
    policy = RetryPolicy(random=lambda: 1.0)
    assert [policy.backoff(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


def test_backoff_is_full_jitter() -> None:
    policy = RetryPolicy(random=lambda: 0.25)
    assert [policy.backoff(n) for n in (1, 2, 3)] == [0.125, 0.25, 0.5]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("7", 7.0, id="seconds"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("120", 60.0, id="seconds-capped"),
        pytest.param("+inf-ish", None, id="garbage"),
    ],
)
def test_retry_after_seconds(header: str, expected: float | None) -> None:
    assert RetryPolicy().retry_after({"Retry-After": header}) == expected


def test_retry_after_http_date(clock: Clock) -> None:
    policy = RetryPolicy(wall_clock=clock)
    when = datetime.fromtimestamp(clock.now + 30, tz=UTC)
    assert policy.retry_after({"retry-after": format_datetime(when, usegmt=True)}) == 30
    far = datetime.fromtimestamp(clock.now + 3600, tz=UTC)
    assert policy.retry_after({"retry-after": format_datetime(far, usegmt=True)}) == 60
    past = datetime.fromtimestamp(clock.now - 30, tz=UTC)
    assert policy.retry_after({"retry-after": format_datetime(past, usegmt=True)}) == 0


def test_429_waits_as_told_then_succeeds(clock: Clock) -> None:
    transport, seen = scripted([429, 429, 200], {"Retry-After": "3"})
    with make_client(clock, transport) as client:
        assert client.send(HTTPRequest("GET", "/contacts")).status == 200
    assert len(seen) == 3
    assert clock.sleeps == [3, 3]


def test_503_with_date_and_cap(clock: Clock) -> None:
    far = format_datetime(datetime.fromtimestamp(clock.now + 600, tz=UTC), usegmt=True)
    transport, _seen = scripted([503, 200], {"Retry-After": far})
    with make_client(clock, transport) as client:
        assert client.send(HTTPRequest("GET", "/contacts")).status == 200
    assert clock.sleeps == [60]


def test_5xx_backs_off_five_attempts_then_gives_the_response(clock: Clock) -> None:
    transport, seen = scripted([500])
    with make_client(clock, transport) as client:
        assert client.send(HTTPRequest("GET", "/contacts")).status == 500
    assert len(seen) == 5
    assert clock.sleeps == [0.5, 1, 2, 4]


def test_4xx_is_final(clock: Clock) -> None:
    transport, seen = scripted([422])
    with make_client(clock, transport) as client:
        assert client.send(HTTPRequest("GET", "/contacts")).status == 422
    assert len(seen) == 1


CONTACT = {"contact": {"name": "A"}}


def _sent_id(request: httpx.Request) -> str | None:
    inner = json.loads(request.content).get("contact", {})
    return inner.get("idempotency_id") if isinstance(inner, dict) else None


def test_post_without_a_key_is_not_retried(clock: Clock) -> None:
    transport, seen = scripted([500, 201])
    with make_client(clock, transport) as client:
        assert client.send(HTTPRequest("POST", "/contacts", json=CONTACT)).status == 500
    assert len(seen) == 1
    # An id is still sent (Sage dedupes by it), it just proves nothing here: a resume would
    # not send the same one.
    assert _sent_id(seen[0])


def test_post_read_timeout_without_a_key_raises(clock: Clock) -> None:
    transport, seen = scripted([httpx.ReadTimeout("slow"), 201])
    with make_client(clock, transport) as client, pytest.raises(httpx.ReadTimeout):
        client.send(HTTPRequest("POST", "/contacts", json={}))
    assert len(seen) == 1


def test_post_with_a_key_is_retried_with_the_same_key(clock: Clock) -> None:
    transport, seen = scripted([500, httpx.ReadTimeout("slow"), 201])
    with make_client(clock, transport) as client:
        response = client.send(
            HTTPRequest("POST", "/contacts", json=CONTACT), CallOptions(idempotency_key="run1/s2")
        )
    assert response.status == 201
    assert [_sent_id(r) for r in seen] == [idempotency_id("run1/s2")] * 3


def test_post_with_an_explicit_body_id_is_retried(clock: Clock) -> None:
    transport, seen = scripted([502, 201])
    explicit = {"contact": {"name": "A", "idempotency_id": "c3a8adaa26daf36e02f3c672b69e3323"}}
    with make_client(clock, transport) as client:
        assert client.send(HTTPRequest("POST", "/contacts", json=explicit)).status == 201
    assert [_sent_id(r) for r in seen] == ["c3a8adaa26daf36e02f3c672b69e3323"] * 2


@pytest.mark.parametrize(
    ("request_value", "options"),
    [
        pytest.param(
            HTTPRequest("POST", "/contacts", json=CONTACT, headers={"X-Idempotency-Key": "abc"}),
            None,
            id="header-sage-ignores",
        ),
        pytest.param(
            HTTPRequest("POST", "/attachments", json={"attachment": {}}),
            CallOptions(idempotency_key="run1/s3"),
            id="unlisted",
        ),
    ],
)
def test_post_whose_key_sage_does_not_honour_is_not_retried(
    clock: Clock, request_value: HTTPRequest, options: CallOptions | None
) -> None:
    # Sage reads X-Idempotency-Key only on two tax-return POSTs, and idempotency_id only on the
    # resources its guide lists: a 5xx may come after the record was written.
    transport, seen = scripted([502, 201])
    with make_client(clock, transport) as client:
        assert client.send(request_value, options).status == 502
    assert len(seen) == 1


def test_connect_error_post_is_retried(clock: Clock) -> None:
    transport, seen = scripted([httpx.ConnectError("refused"), 201])
    with make_client(clock, transport) as client:
        assert client.send(HTTPRequest("POST", "/contacts", json={})).status == 201
    assert len(seen) == 2


def test_429_post_is_retried_without_a_key(clock: Clock) -> None:
    transport, seen = scripted([429, 201], {"Retry-After": "1"})
    with make_client(clock, transport) as client:
        assert client.send(HTTPRequest("POST", "/contacts", json={})).status == 201
    assert len(seen) == 2


def test_get_network_error_is_retried_then_raised(clock: Clock) -> None:
    transport, seen = scripted([httpx.ReadError("reset")])
    with make_client(clock, transport) as client, pytest.raises(httpx.ReadError):
        client.send(HTTPRequest("GET", "/contacts"))
    assert len(seen) == 5


def test_raw_request_override(clock: Clock) -> None:
    transport, seen = scripted([400, 400, 400, 200])
    override = RetryOverride(
        max_retries=2, retry_delay=2.0, exponential_backoff=False, retry_all_errors=True
    )
    with make_client(clock, transport) as client:
        response = client.send(HTTPRequest("GET", "/contacts", retry=override))
    assert response.status == 400
    assert len(seen) == 3
    assert clock.sleeps == [2.0, 2.0]


def test_override_zero_retries(clock: Clock) -> None:
    transport, seen = scripted([503, 200])
    with make_client(clock, transport) as client:
        response = client.send(HTTPRequest("GET", "/x", retry=RetryOverride(max_retries=0)))
    assert response.status == 503
    assert len(seen) == 1
