"""Single-flight refresh with rotation, refresh on 401, and the dead-grant error."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import pytest
from httpkit import (
    ACCESS,
    API,
    CLIENT_SECRET,
    REFRESH,
    TOKEN_URL,
    Clock,
    FakeSage,
    oauth_client,
    oauth_connection,
)

from sage_accounting.connection import PROFILE
from sageflow import AuthenticationError, HTTPRequest, ReauthorizationRequiredError
from sageflow._http import (
    AsyncClient,
    Client,
    Connection,
    ConnectionSettings,
    FileTokenStore,
    TokenManager,
    TokenSet,
)


def test_fifty_tasks_with_an_expired_token_send_one_refresh(clock: Clock) -> None:
    sage = FakeSage(clock)
    connection = oauth_connection(clock, sage, expires_in=-10)

    async def run() -> list[int]:
        async with AsyncClient(connection, transport=sage.transport()) as client:
            responses = await asyncio.gather(
                *(client.send(HTTPRequest("GET", "/contacts")) for _ in range(50))
            )
        return [r.status for r in responses]

    assert asyncio.run(run()) == [200] * 50
    assert sage.token_calls == 1
    assert connection.tokens is not None
    stored = connection.tokens.store.load()
    assert stored is not None
    assert stored.refresh_token == sage.refresh == "rt-gen1-abcdef0123456789"
    assert all(r.headers["authorization"] == f"Bearer {sage.access}" for r in sage.api_calls)


def test_threads_with_an_expired_token_send_one_refresh(clock: Clock) -> None:
    sage = FakeSage(clock)
    connection = oauth_connection(clock, sage, expires_in=30)  # under the 60 s margin
    client = Client(connection, transport=sage.transport())
    barrier = threading.Barrier(50)
    statuses: list[int] = []

    def work() -> None:
        barrier.wait()
        statuses.append(client.send(HTTPRequest("GET", "/contacts")).status)

    threads = [threading.Thread(target=work) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert statuses == [200] * 50
    assert sage.token_calls == 1


def test_threads_and_tasks_together_send_one_refresh(clock: Clock) -> None:
    sage = FakeSage(clock)
    connection = oauth_connection(clock, sage)
    sync_client = Client(connection, transport=sage.transport())
    barrier = threading.Barrier(6)

    def thread_work() -> None:
        barrier.wait()
        sync_client.send(HTTPRequest("GET", "/contacts"))

    async def tasks() -> None:
        async with AsyncClient(connection, transport=sage.transport()) as client:
            await asyncio.to_thread(barrier.wait)
            await asyncio.gather(*(client.send(HTTPRequest("GET", "/x")) for _ in range(20)))

    threads = [threading.Thread(target=thread_work) for _ in range(5)]
    for thread in threads:
        thread.start()
    asyncio.run(tasks())
    for thread in threads:
        thread.join()
    sync_client.close()
    assert sage.token_calls == 1


def test_a_fresh_token_is_not_refreshed(clock: Clock) -> None:
    sage = FakeSage(clock)
    with Client(oauth_connection(clock, sage, expires_in=120), transport=sage.transport()) as c:
        assert c.send(HTTPRequest("GET", "/contacts")).status == 200
    assert sage.token_calls == 0


def test_rotated_tokens_are_saved_before_the_new_access_token_is_used(clock: Clock) -> None:
    sage = FakeSage(clock)
    with Client(oauth_connection(clock, sage), transport=sage.transport()) as client:
        client.send(HTTPRequest("GET", "/contacts"))
    assert sage.events == ["token", "save", "api-ok"]


def test_a_401_token_error_refreshes_once_and_repeats(clock: Clock) -> None:
    sage = FakeSage(clock)
    connection = oauth_connection(clock, sage, expires_in=200)
    sage.access = "at-server-side-000000"  # revoked elsewhere: the server refuses ours
    with Client(connection, transport=sage.transport()) as client:
        response = client.send(HTTPRequest("GET", "/contacts"))
    assert response.status == 200
    assert sage.events == ["api-401", "token", "save", "api-ok"]


def test_a_second_401_is_final(clock: Clock) -> None:
    sage = FakeSage(clock)

    def always_401(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json=[{"$dataCode": "AccessTokenVerificationError"}])

    sage.api = always_401
    connection = oauth_connection(clock, sage, expires_in=200)
    with Client(connection, transport=sage.transport()) as client:
        sage.access = "server-changed-0000000000"
        with pytest.raises(AuthenticationError):
            client.call("sage_accounting/getContact", {"contactId": "abc"})
    assert sage.token_calls == 1


def test_invalid_grant_is_a_typed_error_and_never_retried(clock: Clock) -> None:
    sage = FakeSage(clock, dead_grant=True)
    with Client(oauth_connection(clock, sage), transport=sage.transport()) as client:
        with pytest.raises(ReauthorizationRequiredError) as caught:
            client.call("sage_accounting/getContact", {"contactId": "abc"})
        with pytest.raises(ReauthorizationRequiredError):
            client.send(HTTPRequest("GET", "/contacts"))
    assert caught.value.command == "sageflow auth login"
    assert "sageflow auth login" in str(caught.value)
    assert sage.token_calls == 2  # one per call: no retry loop
    assert sage.api_calls == []


def test_invalid_grant_async(clock: Clock) -> None:
    sage = FakeSage(clock, dead_grant=True)

    async def run() -> None:
        async with AsyncClient(oauth_connection(clock, sage), transport=sage.transport()) as c:
            await c.acall("sage_accounting/getContact", {"contactId": "abc"})

    with pytest.raises(ReauthorizationRequiredError):
        asyncio.run(run())
    assert sage.token_calls == 1


def test_initial_access_token_is_used_while_fresh(clock: Clock) -> None:
    sage = FakeSage(clock)
    with Client(oauth_connection(clock, sage, expires_in=300), transport=sage.transport()) as c:
        c.send(HTTPRequest("GET", "/contacts"))
    assert sage.api_calls[0].headers["authorization"] == f"Bearer {ACCESS}"


def test_tokens_rotated_by_another_process_are_adopted(clock: Clock) -> None:
    sage = FakeSage(clock)
    connection = oauth_connection(clock, sage, expires_in=-1)
    assert connection.tokens is not None
    # `sageflow auth status` in another process refreshed and stored the rotated pair.
    other = sage.token(
        httpx.Request(
            "POST",
            TOKEN_URL,
            data={
                "grant_type": "refresh_token",
                "refresh_token": REFRESH,
                "client_secret": CLIENT_SECRET,
            },
        )
    ).json()
    connection.tokens.store.save(
        TokenSet(other["access_token"], other["refresh_token"], expires_at=clock.now + 300)
    )
    with Client(connection, transport=sage.transport()) as client:
        assert client.send(HTTPRequest("GET", "/contacts")).status == 200
    assert sage.token_calls == 1  # only the other process's refresh


def test_losing_a_refresh_race_to_another_process_is_not_an_error(clock: Clock) -> None:
    sage = FakeSage(clock)
    connection = oauth_connection(clock, sage, expires_in=-1)
    assert connection.tokens is not None
    store = connection.tokens.store

    def racing(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL and sage.token_calls == 0:
            # The other process refreshes first and stores the rotated pair...
            won = sage.token(request).json()
            store.save(TokenSet(won["access_token"], won["refresh_token"], clock.now + 300))
            # ...so our refresh, with the now dead token, is refused.
        return sage.handler(request)

    with Client(connection, transport=httpx.MockTransport(racing)) as client:
        assert client.send(HTTPRequest("GET", "/contacts")).status == 200
    assert sage.token_calls == 2


def test_two_processes_sharing_a_token_file_refresh_once(clock: Clock, tmp_path: Path) -> None:
    # Two managers over two store objects for one file behave like two processes: only the
    # file lock keeps them from both spending the same refresh token.
    sage = FakeSage(clock)
    FileTokenStore(tmp_path / "t.json").save(TokenSet(ACCESS, REFRESH, expires_at=clock.now - 1))
    clients = [
        Client(
            Connection(
                settings=ConnectionSettings(api_base=API, oauth=oauth_client()),
                profile=PROFILE,
                tokens=TokenManager(
                    oauth_client(), FileTokenStore(tmp_path / "t.json"), clock=clock
                ),
            ),
            transport=sage.transport(),
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def work(client: Client) -> None:
        barrier.wait()
        statuses.append(client.send(HTTPRequest("GET", "/contacts")).status)

    threads = [threading.Thread(target=work, args=(clients[i % 2],)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    assert statuses == [200] * 20
    assert sage.token_calls == 1
    stored = FileTokenStore(tmp_path / "t.json").load()
    assert stored is not None
    assert stored.refresh_token == sage.refresh


def test_a_connect_error_on_refresh_is_retried_by_the_policy(clock: Clock) -> None:
    sage = FakeSage(clock)
    failures = [httpx.ConnectError("token server unreachable")]

    def flaky(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL and failures:
            raise failures.pop()
        return sage.handler(request)

    connection = oauth_connection(clock, sage)
    with Client(connection, transport=httpx.MockTransport(flaky), sleep=clock.sleep) as client:
        assert client.send(HTTPRequest("POST", "/contacts", json={})).status == 200
    assert sage.token_calls == 1
    assert len(clock.sleeps) == 1
