"""The Python API as a person discovers it: ``dir()``, ``help()`` and typed keyword arguments."""

from __future__ import annotations

import inspect
import pydoc
import subprocess
import sys
from typing import Any

import pytest

import sageflow
from sageflow import (
    aresume_flow,
    arun_component,
    arun_flow,
    resume_flow,
    run_component,
    run_flow,
)


def test_dir_lists_every_export_before_any_is_loaded() -> None:
    # A fresh interpreter: in this one, other tests have already loaded the lazy names.
    code = (
        "import sys, sageflow; names = dir(sageflow);"
        "print('run_flow' in names, 'Client' in names, 'sageflow._flows._api' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["True", "True", "False"]
    assert set(sageflow.__all__) <= set(dir(sageflow))


def test_help_lists_the_functions_and_classes() -> None:
    text = pydoc.render_doc(sageflow, renderer=pydoc.plaintext)
    for shown in ("run_flow(flow", "arun_flow(flow", "open_client(", "class Client", "options("):
        assert shown in text, shown


@pytest.mark.parametrize(
    ("sync_fn", "async_fn"),
    [
        pytest.param(run_flow, arun_flow, id="run_flow"),
        pytest.param(resume_flow, aresume_flow, id="resume_flow"),
        pytest.param(run_component, arun_component, id="run_component"),
    ],
)
def test_sync_twins_have_their_async_keyword_arguments(sync_fn: Any, async_fn: Any) -> None:
    sync, of_async = inspect.signature(sync_fn), inspect.signature(async_fn)
    assert list(sync.parameters) == list(of_async.parameters)
    for name, parameter in of_async.parameters.items():
        mirrored = sync.parameters[name]
        assert (mirrored.kind, mirrored.default, mirrored.annotation) == (
            parameter.kind,
            parameter.default,
            parameter.annotation,
        ), name
    assert "options" not in sync.parameters
