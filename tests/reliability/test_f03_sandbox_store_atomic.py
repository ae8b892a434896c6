"""Issue 10, finding 3: the sandbox's state file never loses a record nor reuses an id.

The record, the idempotency reply and the id counter used to be three commits: a crash between
them handed the same id to the next record, which overwrote the first; four processes sharing
``.sageflow/sandbox.db`` each kept only part of their contacts. Now one request's writes are
one transaction, and a writer reloads what other processes committed before writing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sage_accounting.sandbox import Sandbox
from sage_accounting.sandbox._store import Persistence

from .kit import PROCESS_TIMEOUT, SAGEFLOW

JSON = {"content-type": "application/json"}
HALF_KEY = "5f0c2b9e8d7a46c1b3e2f1a0d9c8b7a6"


def create(sandbox: Sandbox, name: str, key: str | None = None) -> dict[str, Any]:
    contact: dict[str, Any] = {"name": name, "contact_type_ids": ["CUSTOMER"]}
    if key:
        contact["idempotency_id"] = key  # Sage's body key ([G-idem]): its reply is stored
    body = json.dumps({"contact": contact}).encode()
    reply = sandbox.handle("POST", "/v3.1/contacts", "", JSON, body)
    assert reply.status == 201, reply.body
    return dict(json.loads(reply.body))


def contacts_in_file(path: Path) -> dict[str, str]:
    """id -> name of every contact row the file holds (read with plain sqlite3)."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT body FROM records WHERE resource = 'contacts'").fetchall()
    return {json.loads(b)["id"]: json.loads(b)["name"] for (b,) in rows}


def by_name(sandbox: Sandbox) -> dict[str, str]:
    return {r["name"]: r["id"] for r in sandbox.records("contacts")}


@pytest.mark.parametrize("step", ["save_reply", "set_state"])
def test_a_failure_after_the_record_write_loses_nothing_and_reuses_no_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    path = tmp_path / "sandbox.db"
    sandbox = Sandbox(data=path, require_auth=False)
    kept = {create(sandbox, f"Kept {n}")["id"] for n in range(3)}

    # The record is written, then the next step of the same request fails.
    def crash(self: Persistence, *args: Any) -> None:
        raise OSError("disk gone between the record and the rest")

    monkeypatch.setattr(Persistence, step, crash)
    with pytest.raises(OSError, match="disk gone"):
        create(sandbox, "Half written", key=HALF_KEY)
    monkeypatch.undo()

    in_file = contacts_in_file(path)
    assert "Half written" not in in_file.values()  # all of the request, or none of it
    # The same process carries on, and so does a fresh one on the file: no id comes back.
    after = create(sandbox, "After in the same process")
    sandbox.close()
    reopened = Sandbox(data=path, require_auth=False)
    fresh = create(reopened, "After a restart")
    names = by_name(reopened)
    assert {names[f"Kept {n}"] for n in range(3)} == kept
    assert names["After in the same process"] == after["id"]
    assert names["After a restart"] == fresh["id"]
    assert len({after["id"], fresh["id"], *kept, *in_file}) == len(in_file) + 2
    # The failed request's key was not stored as answered: a retry creates the contact.
    retried = create(reopened, "Half written", key=HALF_KEY)
    assert by_name(reopened)["Half written"] == retried["id"]
    reopened.close()


KILLED = textwrap.dedent(
    """
    import json, os, sys
    from sage_accounting.sandbox import Sandbox
    from sage_accounting.sandbox._store import Persistence

    sandbox = Sandbox(data=sys.argv[1], require_auth=False)
    headers = {"content-type": "application/json"}

    def post(name):
        body = json.dumps({"contact": {"name": name, "contact_type_ids": ["CUSTOMER"]}})
        return sandbox.handle("POST", "/v3.1/contacts", "", headers, body.encode())

    for n in range(3):
        assert post(f"Before {n}").status == 201
    # SIGKILL-like death right after the record row is written, before the counter is.
    Persistence.set_state = lambda self, state: os._exit(9)
    post("Killed mid-request")
    """
)


def test_a_process_killed_between_record_and_counter_reuses_no_id(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    ran = subprocess.run(
        [sys.executable, "-c", KILLED, str(path)],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert ran.returncode == 9, ran.stderr
    in_file = contacts_in_file(path)
    reopened = Sandbox(data=path, require_auth=False)
    new = [create(reopened, f"After {n}")["id"] for n in range(3)]
    names = by_name(reopened)
    assert all(f"Before {n}" in names for n in range(3))
    assert not set(new) & set(in_file)  # no id handed out twice
    assert all(names[f"After {n}"] == new[n] for n in range(3))
    reopened.close()


SHARER = textwrap.dedent(
    """
    import json, sys
    from sage_accounting.sandbox import Sandbox

    path, who, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sandbox = Sandbox(data=path, require_auth=False)
    headers = {"content-type": "application/json"}
    made = {}
    for n in range(count):
        name = f"{who}-{n:03}"
        body = json.dumps({"contact": {"name": name, "contact_type_ids": ["CUSTOMER"]}})
        reply = sandbox.handle("POST", "/v3.1/contacts", "", headers, body.encode())
        assert reply.status == 201, reply.body
        made[name] = json.loads(reply.body)["id"]
    print(json.dumps(made))
    """
)


def test_four_processes_sharing_one_state_file_keep_every_record(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    count = 40
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", SHARER, str(path), f"P{w}", str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    reported: dict[str, str] = {}
    try:
        for worker in workers:
            out, err = worker.communicate(timeout=PROCESS_TIMEOUT)
            assert worker.returncode == 0, err
            reported.update(json.loads(out))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert len(reported) == 4 * count
    assert len(set(reported.values())) == 4 * count  # every process got distinct ids
    sandbox = Sandbox(data=path, require_auth=False)
    names = by_name(sandbox)
    # Every contact each process was told it created exists, under the id it was told.
    assert {name: names.get(name) for name in reported} == reported
    sandbox.close()


def test_four_sageflow_runs_sharing_the_default_sandbox_keep_every_contact(
    tmp_path: Path,
) -> None:
    # The finding as reported: four `sageflow run` on the CLI's own .sageflow/sandbox.db.
    flow = Path(__file__).parents[2] / "examples" / "import-customers.sageflow.yaml"
    count = 12
    for w in range(4):
        rows = [
            f"Cust {w}-{n},R{w}X{n:03},c{w}-{n}@x.example,30,Leeds,LS1 1AA" for n in range(count)
        ]
        (tmp_path / f"c{w}.csv").write_text(
            "name,reference,email,creditDays,city,postcode\n" + "\n".join(rows) + "\n"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEFLOW_")}
    env["SAGEFLOW_CONFIG_DIR"] = str(tmp_path / "config")  # no account: the embedded sandbox
    runs = [
        subprocess.Popen(
            [SAGEFLOW, "run", str(flow), "-i", f"customers=@c{w}.csv", "--json"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    try:
        for run in runs:
            out, err = run.communicate(timeout=PROCESS_TIMEOUT)
            assert run.returncode == 0, err
            assert json.loads(out)["outputs"]["imported"] == count
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
    # Each pack's sandbox keeps its own file beside the journal (pack_state_file).
    state = tmp_path / ".sageflow" / "sandbox-sage_accounting.db"
    sandbox = Sandbox(data=state, require_auth=False)
    references = [r.get("reference") for r in sandbox.records("contacts")]
    expected = {f"R{w}X{n:03}" for w in range(4) for n in range(count)}
    assert expected <= set(references)
    assert len({r["id"] for r in sandbox.records("contacts")}) == len(references)
    sandbox.close()
