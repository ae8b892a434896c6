"""Token stores: 0600, atomic replacement (a crash never tears the file), host callables."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sageflow._http import CallbackTokenStore, FileTokenStore, TokenSet
from sageflow._http._tokens import config_dir, write_atomic

OLD = TokenSet("at-old-000000", "rt-old-000000", expires_at=1.0)
NEW = TokenSet("at-new-111111", "rt-new-111111", expires_at=2.0)


def test_round_trip_and_mode(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens" / "main.json")
    assert store.load() is None
    store.save(OLD)
    assert store.load() == OLD
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    store.delete()
    assert store.load() is None


def test_default_path_is_in_the_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEFLOW_CONFIG_DIR", str(tmp_path))
    assert config_dir() == tmp_path
    assert FileTokenStore(name="work").path == tmp_path / "tokens" / "work.json"


def test_a_failure_before_the_rename_leaves_the_old_file(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "t.json")
    store.save(OLD)

    def crash() -> None:
        raise OSError("disk vanished")

    with pytest.raises(OSError, match="disk vanished"):
        write_atomic(store.path, json.dumps(NEW.to_dict()).encode(), before_rename=crash)
    assert store.load() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]  # no temp file left behind


_CHILD = """
import json, sys
from pathlib import Path
from sageflow._http._tokens import write_atomic

def parked():
    print("written", flush=True)
    sys.stdin.read()  # wait to be killed between fsync and rename

data = json.dumps({"access_token": "at-new"}).encode()
write_atomic(Path(sys.argv[1]), data, before_rename=parked)
"""


def test_sigkill_mid_write_leaves_the_old_file(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "t.json")
    store.save(OLD)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(store.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "written"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert child.stdin is not None
    child.stdin.close()
    child.stdout.close()
    assert store.load() == OLD


def test_callback_store() -> None:
    vault: dict[str, Any] = {}
    store = CallbackTokenStore(
        load=lambda: vault.get("t"), save=lambda d: vault.update(t=d), delete=vault.clear
    )
    assert store.load() is None
    store.save(NEW)
    assert store.load() == NEW
    store.delete()
    assert store.load() is None


def test_repr_hides_tokens() -> None:
    assert "at-old" not in repr(OLD)
    assert "rt-old" not in repr(OLD)
