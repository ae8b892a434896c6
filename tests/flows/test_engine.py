"""The engine end to end against an in-memory caller: conditions, loops, retries, errors."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sageflow import load_flow, run_flow
from sageflow._flows._api import FlowInputError, arun_flow
from sageflow._flows._journal import Journal

from .conftest import FIXED_NOW, FakeCaller, FakeServer


def flow(text: str) -> Any:
    return load_flow("t.sageflow.yaml", text=textwrap.dedent(text))


def run(text: str, caller: FakeCaller, inputs: dict[str, Any] | None = None, **kw: Any) -> Any:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    result = asyncio.run(
        arun_flow(
            flow(text),
            inputs or {},
            caller=caller,
            journal=None,
            sleep=sleep,
            clock=lambda: FIXED_NOW,
            **kw,
        )
    )
    result.sleeps = sleeps
    return result


FIND_OR_CREATE = """\
    name: find-or-create
    inputs:
      customer: {type: string}
      amount: {type: number, default: 12.10}
    steps:
      - id: found
        uses: testpack/listThings
        with: {search: "${{ inputs.customer }}"}
      - id: created
        if: ${{ size(steps.found.output.items) == 0 }}
        uses: testpack/createThing
        with: {name: "${{ inputs.customer }}", amount: "${{ inputs.amount }}"}
    outputs:
      id: "${{ has(steps.created.output) ? steps.created.output.id
              : steps.found.output.items[0].id }}"
      created: ${{ steps.created.status == 'ok' }}
      when: ${{ today() }}
"""


def test_find_or_create_creates_then_finds(caller: FakeCaller, server: FakeServer) -> None:
    first = run(FIND_OR_CREATE, caller, {"customer": "Acme"})
    assert first.status == "ok"
    assert first.outputs == {"id": "t1", "created": True, "when": "2024-03-15"}
    assert server.things == [{"id": "t1", "name": "Acme", "amount": "12.1"}]
    second = run(FIND_OR_CREATE, caller, {"customer": "Acme"})
    assert second.outputs["created"] is False
    assert second.steps["created"].status == "skipped"
    assert len(server.things) == 1


def test_for_each_collects_results_in_order(caller: FakeCaller, server: FakeServer) -> None:
    result = run(
        """\
        name: loop
        steps:
          - id: make
            for_each: ["a", "b", "c", "d"]
            as: who
            concurrency: 3
            uses: testpack/createThing
            with: {name: "${{ who }}-${{ index }}"}
        outputs:
          names: ${{ steps.make.output.map(t, t.name) }}
    """,
        caller,
    )
    assert result.outputs == {"names": ["a-0", "b-1", "c-2", "d-3"]}
    keys = {options.idempotency_key for _, options in caller.calls}
    assert len(keys) == 4  # one key per loop index


def test_per_item_if_skips_items(caller: FakeCaller, server: FakeServer) -> None:
    result = run(
        """\
        name: loop
        steps:
          - id: make
            for_each: ${{ [1, 2, 3, 4] }}
            if: ${{ item % 2 == 0 }}
            uses: testpack/createThing
            with: {name: "n${{ item }}"}
    """,
        caller,
    )
    assert [t["name"] for t in server.things] == ["n2", "n4"]
    assert [r["status"] for r in result.steps["make"].items] == ["skipped", "ok", "skipped", "ok"]


def test_retry_on_server_errors_with_backoff(caller: FakeCaller, server: FakeServer) -> None:
    server.fail_next = [500, 503]
    result = run(
        """\
        name: retry
        steps:
          - id: make
            uses: testpack/createThing
            with: {name: x}
            retry: {max_attempts: 3, backoff: 2}
    """,
        caller,
    )
    assert result.status == "ok"
    assert result.sleeps == [2.0, 4.0]
    assert len({options.idempotency_key for _, options in caller.calls}) == 1


def test_no_retry_on_client_errors(caller: FakeCaller, server: FakeServer) -> None:
    server.fail_names = {"x": 422}
    result = run(
        """\
        name: retry
        steps:
          - id: make
            uses: testpack/createThing
            with: {name: x}
            retry: 5
          - id: after
            uses: testpack/listThings
    """,
        caller,
    )
    assert result.status == "failed"
    assert result.error["step"] == "make"
    assert result.error["type"] == "APIError"
    assert result.error["status"] == 422
    assert result.sleeps == []
    assert "after" not in result.steps


def test_on_error_continue_keeps_per_item_errors(caller: FakeCaller, server: FakeServer) -> None:
    server.fail_names = {"b": 400}
    result = run(
        """\
        name: partial
        steps:
          - id: make
            for_each: [a, b, c]
            on_error: continue
            uses: testpack/createThing
            with: {name: "${{ item }}"}
        outputs:
          failed: ${{ steps.make.errors.map(e, e.index) }}
          made: ${{ steps.make.output.filter(t, t != null).map(t, t.name) }}
    """,
        caller,
    )
    assert result.status == "ok"
    assert result.outputs == {"failed": [1], "made": ["a", "c"]}
    assert result.steps["make"].status == "failed"


def test_loop_failure_stops_the_flow(caller: FakeCaller, server: FakeServer) -> None:
    server.fail_names = {"b": 400}
    result = run(
        """\
        name: stop
        steps:
          - id: make
            for_each: [a, b, c]
            uses: testpack/createThing
            with: {name: "${{ item }}"}
    """,
        caller,
    )
    assert result.status == "failed"
    assert "1 of 3 items failed" in result.error["message"]


def test_inputs_are_validated_before_anything_is_sent(caller: FakeCaller) -> None:
    result = run(
        """\
        name: typed
        inputs: {n: {type: string}}
        steps:
          - id: make
            uses: testpack/createThing
            with: {name: x, amount: "${{ trim(inputs.n) }}"}  # checked by the step
    """,
        caller,
        {"n": "lots"},
    )
    assert result.status == "failed"
    assert result.error["type"] == "InputValidationError"
    assert result.error["problems"][0]["path"] == "$.amount"
    assert caller.calls == []


def test_timeout_is_typed_and_retryable(server: FakeServer) -> None:
    class Stuck(FakeCaller):
        async def acall(self, component: Any, inputs: Any, options: Any = None) -> Any:
            self.calls.append((component.ref, options))
            await asyncio.Event().wait()

    stuck = Stuck(server)
    result = run(
        """\
        name: slow
        steps:
          - id: make
            uses: testpack/createThing
            with: {name: x}
            timeout: 0.001
            retry: {max_attempts: 2, backoff: 0}
    """,
        stuck,
    )
    assert result.status == "failed"
    assert result.error["type"] == "TimeoutError"
    assert len(stuck.calls) == 2


def test_flow_inputs_are_checked(caller: FakeCaller) -> None:
    with pytest.raises(FlowInputError) as caught:
        run(
            "name: t\ninputs: {n: {type: integer}}\nsteps:\n"
            "  - {id: a, uses: testpack/listThings}\n",
            caller,
            {"n": "x", "m": 1},
        )
    assert "unknown input 'm'" in str(caught.value)
    assert "input 'n'" in str(caught.value)


def test_a_misspelled_input_gets_a_suggestion(caller: FakeCaller) -> None:
    with pytest.raises(FlowInputError) as caught:
        run(
            "name: t\ninputs: {customer: {type: string}}\nsteps:\n"
            "  - {id: a, uses: testpack/listThings}\n",
            caller,
            {"custmer": "Acme"},
        )
    assert "unknown input 'custmer' (did you mean 'customer'?)" in str(caught.value)


def test_secrets_are_never_journaled(tmp_path: Path, caller: FakeCaller) -> None:
    text = textwrap.dedent("""\
        name: secret
        inputs:
          token: {type: string, secret: true}
        steps:
          - id: use
            uses: testpack/useToken
            with: {token: "${{ inputs.token }}", label: "${{ int('7') }}"}
    """)
    path = tmp_path / "s.sageflow.yaml"
    path.write_text(text)
    db = tmp_path / "runs.db"
    result = run_flow(path, {"token": "sup3r-s3cret-v4lue"}, caller=caller, journal=db)
    assert result.status == "failed"  # label: 7 is not a string
    blob = b"".join(f.read_bytes() for f in tmp_path.glob("runs.db*"))
    assert b"sup3r-s3cret-v4lue" not in blob
    assert "sup3r-s3cret-v4lue" not in str(result.to_dict())
    with Journal(db) as journal:
        assert journal.run(result.run_id).inputs == {"token": "[secret]"}


def test_env_only_where_declared(caller: FakeCaller, server: FakeServer) -> None:
    result = run(
        """\
        name: env
        env: [REGION]
        steps:
          - id: make
            uses: testpack/createThing
            with: {name: "${{ env.REGION }}"}
    """,
        caller,
        env={"REGION": "uk", "HOME": "/root"},
    )
    assert result.status == "ok"
    assert server.things[0]["name"] == "uk"


def test_concurrency_runs_items_in_parallel(server: FakeServer) -> None:
    # A barrier, not a stopwatch: every request waits until eight are in flight at once, which
    # only happens if the loop really runs them together (and holds on a loaded machine).
    in_flight = 0
    most = 0
    all_in = asyncio.Event()

    class Gathering(FakeCaller):
        async def acall(self, component: Any, inputs: Any, options: Any = None) -> Any:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            if in_flight == 8:
                all_in.set()
            try:
                await asyncio.wait_for(all_in.wait(), timeout=5)
                return await super().acall(component, inputs, options)
            finally:
                in_flight -= 1

    text = """\
        name: c
        steps:
          - id: make
            for_each: ${{ [1,2,3,4,5,6,7,8] }}
            concurrency: 8
            uses: testpack/createThing
            with: {name: "n${{ item }}"}
    """
    result = run(text, Gathering(server))
    assert result.status == "ok", result.error
    assert most == 8
    assert sorted(t["name"] for t in server.things) == [f"n{i}" for i in range(1, 9)]


def test_named_connection_reaches_the_caller_factory(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sageflow._flows import _api

    opened: list[str | None] = []
    caller = FakeCaller(server)

    def open_caller(name: str | None, debug: bool = False, pack: str | None = None) -> FakeCaller:
        assert pack == "testpack"  # each pack's steps reach that pack's own connection
        opened.append(name)
        return caller

    text = textwrap.dedent("""\
        name: conn
        connections:
          books: {account: acme-uk, businessId: biz-42}
        steps:
          - id: a
            uses: testpack/listThings
            connection: books
          - id: b
            uses: testpack/listThings
    """)
    monkeypatch.setattr(_api, "_open_caller", lambda: open_caller)
    result = asyncio.run(arun_flow(flow(text), {}, journal=None))
    assert result.status == "ok"
    assert opened == ["acme-uk", None]
    assert [options.business_id for _, options in caller.calls] == ["biz-42", None]


def test_run_component(caller: FakeCaller, server: FakeServer) -> None:
    from sageflow import run_component

    made = run_component("testpack/createThing", {"name": "solo"}, caller=caller)
    assert made == {"id": "t1", "name": "solo"}
    with pytest.raises(Exception, match="invalid inputs"):
        run_component("testpack/createThing", {"nom": "x"}, caller=caller)
