"""``sageflow sandbox serve`` for real: a socket, a SIGKILL, a restart on the same SQLite file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from sage_accounting.sandbox import DEV_TOKEN

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(*args: str) -> Iterator[httpx.Client]:
    port = _free_port()
    command = [sys.executable, "-c", "from sageflow._cli import main; main()"]
    # A throwaway state unless the test names a file: the default is
    # ./.sageflow/sandbox-sage_accounting.db.
    state = args if "--data" in args else (*args, "--memory")
    process = subprocess.Popen(
        [*command, "sandbox", "serve", "--pack", "sage_accounting", "--port", str(port), *state],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v3.1"
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {DEV_TOKEN}"})
    try:
        deadline = time.monotonic() + 20
        while True:  # the server needs a moment to bind; poll (OAuth is exempt from chaos)
            try:
                client.get(f"http://127.0.0.1:{port}/oauth2/authorize")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


def test_writes_survive_sigkill_and_restart(tmp_path: Path) -> None:
    data = str(tmp_path / "sandbox.db")
    contact = {
        "contact": {
            "name": "Durable Ltd",
            "contact_type_ids": ["CUSTOMER"],
            "idempotency_id": "d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1",
        }
    }
    with serving("--data", data) as client:
        created = client.post("/contacts", json=contact)
        assert created.status_code == 201
    with serving("--data", data) as client:
        assert client.get(created.json()["$path"]).json() == created.json()
        replay = client.post("/contacts", json=contact)
        assert replay.json()["id"] == created.json()["id"]


def test_served_drop_closes_the_connection_after_commit(tmp_path: Path) -> None:
    contact = {"contact": {"name": "Dropped Ltd", "contact_type_ids": ["CUSTOMER"]}}
    with serving("--drop-rate", "1.0") as client:
        with pytest.raises(httpx.TransportError):
            client.post("/contacts", json=contact)
        with pytest.raises(httpx.TransportError):
            client.get("/contacts", params={"search": "dropped"})


def _contact(name: str, idempotency_id: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"name": name, "contact_type_ids": ["CUSTOMER"]}
    if idempotency_id:
        body["idempotency_id"] = idempotency_id
    return {"contact": body}


def _ids(client: httpx.Client, name: str) -> set[str]:
    found = client.get("/contacts", params={"search": name, "items_per_page": 200}).json()
    return {item["id"] for item in found["$items"] if item["displayed_as"] == name}


def test_served_default_honours_the_body_id_not_the_header() -> None:
    """Sage's mechanism ([G-idem]): the header on POST /contacts is ignored, the id inside the
    wrapper replays the first result."""
    header = {"X-Idempotency-Key": "same-header-key"}
    body_id = "a3a8adaa26daf36e02f3c672b69e3323"
    with serving() as client:
        one = client.post("/contacts", json=_contact("Served Header One"), headers=header)
        two = client.post("/contacts", json=_contact("Served Header Two"), headers=header)
        assert one.status_code == two.status_code == 201
        assert one.json()["id"] != two.json()["id"]
        first = client.post("/contacts", json=_contact("Served Body", body_id))
        again = client.post("/contacts", json=_contact("Served Body", body_id))
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert _ids(client, "Served Body") == {first.json()["id"]}


def test_served_no_idempotency_honours_neither() -> None:
    body_id = "b3a8adaa26daf36e02f3c672b69e3323"
    with serving("--no-idempotency") as client:
        first = client.post("/contacts", json=_contact("Served Off", body_id))
        again = client.post("/contacts", json=_contact("Served Off", body_id))
        assert first.status_code == again.status_code == 201
        assert len(_ids(client, "Served Off")) == 2
