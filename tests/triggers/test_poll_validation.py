"""A flow's ``on:`` section: every mistake named by file, line, field path and what was expected."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pollkit import FLOW, PACK

from sageflow import load_flow, register_pack
from sageflow._flows._problems import FlowValidationError
from sageflow._registry import packs


@pytest.fixture(autouse=True)
def _pack() -> Iterator[None]:
    register_pack(PACK)
    yield
    packs().pop(PACK.name, None)


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "f.sageflow.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FlowValidationError) as caught:
        load_flow(path)
    return [str(p) for p in caught.value.problems]


def test_the_kit_flow_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "f.sageflow.yaml"
    path.write_text(FLOW, encoding="utf-8")
    flow = load_flow(path)
    assert flow.trigger is not None
    assert (flow.trigger.ref, flow.trigger.every, flow.trigger.batch) == (
        "polltest/thingChanges",
        60.0,
        None,
    )
    assert flow.trigger.with_ == {"events": ["created", "deleted"]}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "poll: polltest/thingChanges",
            "poll: polltest/thingChangs",
            ":3:9: on.poll: unknown trigger: polltest has no component 'thingChangs'"
            " (did you mean 'polltest/thingChanges'?)",
            id="misspelled-trigger",
        ),
        pytest.param(
            "poll: polltest/thingChanges",
            "poll: polltest/addNote",
            ":3:9: on.poll: polltest/addNote is an action, not a trigger",
            id="an-action-as-trigger",
        ),
        pytest.param(
            "  every: 1m",
            "  evry: 1m",
            ":5:3: on.evry: unknown key (did you mean 'every'?)",
            id="evry",
        ),
        pytest.param(
            "every: 1m",
            "every: 5 minutes",
            ":5:10: on.every: expected a duration such as 30s, 5m, 1h or 1h30m, got '5 minutes'",
            id="bad-duration",
        ),
        pytest.param(
            "every: 1m",
            "every: 300",
            ":5:10: on.every: expected a duration such as 30s, 5m, 1h or 1h30m, got 300",
            id="a-bare-number",
        ),
        pytest.param(
            "every: 1m",
            "every: 0s",
            ":5:10: on.every: expected a duration from 1s to 7d, got '0s'",
            id="zero",
        ),
        pytest.param(
            "with: {events: [created, deleted]}",
            "with: {event: [created, deleted]}",
            ":4:10: on.with.event: unknown input for polltest/thingChanges"
            " (did you mean 'events'?)",
            id="unknown-with-input",
        ),
        pytest.param(
            "with: {events: [created, deleted]}",
            "with: {events: [created, removed]}",
            ":4:28: on.with.events[1]: ",
            id="bad-with-value",
        ),
        pytest.param(
            "with: {events: [created, deleted]}",
            "with: {kind: '${{ inputs.kind }}'}",
            ":4:16: on.with.kind: trigger inputs are fixed values, not ${{ }} expressions",
            id="expression-in-with",
        ),
        pytest.param(
            "  every: 1m",
            "  every: 1m\n  batch: 0",
            ":6:10: on.batch: expected a whole number of events per run from 1 to 10000, got 0",
            id="bad-batch",
        ),
        pytest.param(
            "${{ trigger.event.type }}",
            "${{ trigger.events.type }}",
            ":9:18: steps[0].with.text: no trigger.events in this flow; each run gets one event,"
            " trigger.event (on.batch gives trigger.events)",
            id="events-without-batch",
        ),
        pytest.param(
            "${{ trigger.event.type }}",
            "${{ trigger.evnt.type }}",
            ":9:18: steps[0].with.text: no trigger.evnt; use trigger.event (did you mean 'event'?)",
            id="misspelled-event",
        ),
        pytest.param(
            "uses: polltest/addNote",
            "uses: polltest/thingChanges",
            ":8:11: steps[0].uses: polltest/thingChanges is a trigger: it starts a flow from on:",
            id="a-trigger-as-step",
        ),
    ],
)
def test_mistakes_in_on_are_named_with_their_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in FLOW
    found = problems(tmp_path, FLOW.replace(old, new, 1))
    assert any(expected in p for p in found), found
    assert all(p.startswith(str(tmp_path / "f.sageflow.yaml")) for p in found)


def test_trigger_in_a_flow_without_on(tmp_path: Path) -> None:
    text = FLOW.replace(
        "on:\n  poll: polltest/thingChanges\n  with: {events: [created, deleted]}\n  every: 1m\n",
        "",
    )
    found = problems(tmp_path, text)
    assert any(
        ":5:18: steps[0].with.text: 'trigger' is only set in a flow that starts from events:"
        " add on: {poll: pack/someChanges}" in p
        for p in found
    ), found


def test_batch_flows_read_trigger_events_not_event(tmp_path: Path) -> None:
    text = FLOW.replace("  every: 1m", "  every: 1m\n  batch: 10")
    found = problems(tmp_path, text)
    assert any(
        "no trigger.event in this flow; on.batch is 10: each run gets a list, trigger.events" in p
        for p in found
    ), found


def test_on_must_be_a_mapping_with_poll(tmp_path: Path) -> None:
    steps = "steps: [{id: a, uses: polltest/listNotes}]\n"
    found = problems(tmp_path, "name: x\non: polltest/thingChanges\n" + steps)
    expected = ":2:5: on: expected a mapping such as {poll: pack/someChanges, every: 5m}"
    assert any(expected in p for p in found), found
    found = problems(tmp_path, "name: x\non: {every: 5m}\n" + steps)
    assert any(":2:5: on: missing required key: poll" in p for p in found), found


def test_a_loop_may_not_call_its_variable_trigger(tmp_path: Path) -> None:
    text = FLOW.replace(
        "    uses: polltest/addNote\n",
        "    uses: polltest/addNote\n    for_each: [1]\n    as: trigger\n",
    )
    assert any("'trigger' is already a variable" in p for p in problems(tmp_path, text))


def test_the_documented_triggered_flow_is_valid(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "flows.md"
    blocks = re.findall(r"```yaml\n(.*?)```", docs.read_text(encoding="utf-8"), re.S)
    triggered = [block for block in blocks if "\non:" in block]
    assert triggered
    for text in triggered:
        flow = load_flow(tmp_path / "doc.sageflow.yaml", text=text)
        assert flow.trigger is not None


def test_the_flow_schema_describes_on() -> None:
    import jsonschema  # type: ignore[import-untyped,unused-ignore]

    from sageflow._flows._load import load_source
    from sageflow._flows._schema import build_flow_schema
    from sageflow._manifests import index

    def document(text: str) -> Any:
        # sageflow's loader (YAML 1.2, as editors read it): `on` is a key, not `true`.
        return json.loads(json.dumps(load_source(text, "f.yaml").data, default=str))

    schema = build_flow_schema(index())
    on = schema["definitions"]["on"]
    uses = schema["definitions"]["step"]["properties"]["uses"]["enum"]
    assert "polltest/thingChanges" in on["properties"]["poll"]["enum"]
    assert "polltest/thingChanges" not in uses
    validator = jsonschema.Draft7Validator(schema)
    assert not list(validator.iter_errors(document(FLOW)))
    for old, new in [
        ("every: 1m", "evry: 1m"),
        ("every: 1m", "every: 5 minutes"),
        ("{events: [created, deleted]}", "{event: [created]}"),
        ("poll: polltest/thingChanges", "poll: polltest/addNote"),
    ]:
        assert list(validator.iter_errors(document(FLOW.replace(old, new)))), new
