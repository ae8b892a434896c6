"""A pack's component modules load when used, not when the pack is imported (counted, not timed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel

from sageflow._component import READ_ONLY, Action, Inputs, Pack
from sageflow._errors import APIError
from sageflow._values import HTTPRequest, HTTPResponse

ROOT = Path(__file__).resolve().parent.parent


def _modules_after(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return {m for m in json.loads(done.stdout.splitlines()[-1]) if m.startswith("sage")}


def test_one_component_loads_one_module_of_the_pack() -> None:
    loaded = _modules_after(
        "from sageflow._registry import get_component\n"
        "get_component('sage_accounting/createContact')"
    )
    assert "sage_accounting.contacts" in loaded
    assert not loaded & {"sage_accounting.catalogue", "sage_accounting.journals"}
    # Nor another pack: a pack's entry point is loaded when a component of it is named.
    assert not {m for m in loaded if m.split(".")[0] in {"sage200", "sage_ge"}}


def test_listing_every_component_loads_every_module() -> None:
    loaded = _modules_after("import sageflow\nsageflow.components()")
    assert {"sage_accounting.catalogue", "sage_accounting.journals", "sage200"} <= loaded


def test_the_committed_index_names_each_components_module() -> None:
    from sageflow._registry import packs

    pack = packs()["sage_accounting"]
    assert pack.index_file is not None
    committed = json.loads(pack.index_file.read_text(encoding="utf-8"))["components"]
    assert committed == pack.module_index(), "run `sageflow manifests build` and commit"


class _Out(BaseModel):
    pass


def _never(response: HTTPResponse, request: HTTPRequest) -> APIError:
    raise AssertionError("no request is sent")


def _thing(inputs: Inputs) -> Action:
    response = yield HTTPRequest("GET", "/things")
    return dict(response.json())


def test_a_key_missing_from_a_stale_index_still_resolves(tmp_path: Path) -> None:
    index = tmp_path / "_index.json"
    index.write_text(json.dumps({"components": {}}))
    pack = Pack("lazytest", "Lazy", "A pack with a stale index.", _never)
    pack.modules = ("json",)  # importing it registers nothing; the pack's own add below does
    pack.index_file = index
    pack.component(
        key="listThings",
        title="List Things",
        description="GET /things",
        inputs=Inputs,
        output=_Out,
        annotations=READ_ONLY,
        example_input={},
        example_output={},
    )(_thing)
    assert pack.get("listThings").key == "listThings"
    # Defined from a module the pack does not list: the index cannot say where it lives.
    assert pack.module_index() == {"listThings": ""}


def test_the_index_is_the_same_whichever_pack_a_command_loaded_first() -> None:
    # Packs load one at a time now; the manifests must not follow the order they loaded in.
    script = (
        "import json, sys\n"
        "from sageflow._registry import get_component\n"
        "from sageflow import _manifests\n"
        "get_component('sage_ge/checkEntries')\n"
        "get_component('sage_accounting/createContact')\n"
        "sys.stdout.write(_manifests.dump(_manifests.index()))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (ROOT / "manifests" / "index.json").read_text(encoding="utf-8")
