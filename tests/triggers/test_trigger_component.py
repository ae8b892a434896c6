"""Triggers as components: their kind, manifests, self-description and the poll contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sage_accounting import PACK
from sage_accounting._changes import changes_trigger
from sageflow import components
from sageflow._cli import cli
from sageflow._component import Trigger
from sageflow._manifests import index
from sageflow._triggers import (
    CursorError,
    Event,
    TriggerOutputError,
    bind,
    read_result,
)

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"
KEYS = {
    "contactChanges": "/contacts",
    "contactPersonChanges": "/contact_persons",
    "salesInvoiceChanges": "/sales_invoices",
    "purchaseInvoiceChanges": "/purchase_invoices",
    "ledgerAccountChanges": "/ledger_accounts",
}


def test_every_change_tracked_resource_has_its_trigger_and_every_component_a_kind() -> None:
    triggers = {c.key for c in components() if c.kind == "trigger"}
    assert set(KEYS) <= triggers
    for component in components():
        assert component.kind == ("trigger" if isinstance(component, Trigger) else "action")
        assert component.manifest()["kind"] == component.kind
    listed = {entry["ref"]: entry["kind"] for entry in index()["components"]}
    assert listed["sage_accounting/salesInvoiceChanges"] == "trigger"
    assert listed["sage_accounting/createSalesInvoice"] == "action"


@pytest.mark.parametrize("key", sorted(KEYS))
def test_a_trigger_manifest_describes_its_inputs_and_one_event(key: str) -> None:
    manifest = json.loads((MANIFESTS / "sage_accounting" / f"{key}.json").read_text("utf-8"))
    assert manifest["kind"] == "trigger"
    assert manifest["annotations"] == {"readOnly": True, "destructive": False, "idempotent": True}
    events = manifest["input"]["properties"]["events"]
    kinds = ["created", "updated"] + ([] if key == "ledgerAccountChanges" else ["deleted"])
    assert events["items"]["enum"] == kinds
    assert events["default"] == kinds
    assert set(manifest["output"]["properties"]) == {"type", "id", "record", "at"}
    assert manifest["example"]["output"]["record"]["$path"].startswith(KEYS[key] + "/")


def test_the_factory_is_one_line_for_a_new_resource() -> None:
    before = dict(PACK.components)
    try:
        made = changes_trigger("widget", "/widgets")
        assert made is PACK.get("widgetChanges")
        assert made.title == "Widget Changes"
        assert made.ref == "sage_accounting/widgetChanges"
        assert made.validate({}).events == ["created", "updated", "deleted"]  # type: ignore[attr-defined]
        with pytest.raises(ValueError, match="duplicate"):
            changes_trigger("widget", "/widgets")
    finally:
        PACK.components.clear()
        PACK.components.update(before)


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout


def test_components_list_and_show_say_which_are_triggers() -> None:
    code, out = _invoke("components", "list")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("sage_accounting/contactC"))
    assert row.split()[1] == "trigger"
    code, out = _invoke("components", "list", "--json")
    kinds = {row["ref"]: row["kind"] for row in json.loads(out)}
    assert kinds["sage_accounting/purchaseInvoiceChanges"] == "trigger"
    assert kinds["sage_accounting/listContacts"] == "action"
    code, out = _invoke("components", "show", "salesInvoiceChanges")
    assert code == 0
    lines = out.splitlines()
    assert (
        lines[0]
        == "sage_accounting/salesInvoiceChanges: Sales Invoice Changes (trigger, read-only)"
    )
    assert "any of: created (Created), updated (Updated), deleted (Deleted)" in out
    assert "each event (trigger.event in the flow it starts):" in lines
    code, out = _invoke("components", "show", "createContact")
    assert "(write)" in out.splitlines()[0]
    assert "output:" in out.splitlines()


def test_an_event_has_a_stable_key_and_round_trips() -> None:
    raw = {"type": "deleted", "id": "abc", "record": {"id": "abc"}, "at": "2026-01-05T09:00:00Z"}
    event = Event.from_dict(raw)
    assert event.key == "deleted:abc@2026-01-05T09:00:00Z"
    assert event.to_dict() == raw


@pytest.mark.parametrize(
    ("output", "says"),
    [
        pytest.param({"events": []}, "cursor", id="no-cursor"),
        pytest.param({"events": {}, "cursor": {}}, "events", id="events-not-a-list"),
        pytest.param(
            {"events": [{"type": "moved", "id": "a", "record": {}, "at": "x"}], "cursor": {}},
            "moved",
            id="unknown-type",
        ),
        pytest.param(
            {"events": [{"type": "created", "id": 1, "record": {}, "at": "x"}], "cursor": {}},
            "string id",
            id="id-not-a-string",
        ),
        pytest.param(
            {
                "events": [{"type": "created", "id": "a", "record": {}, "at": "x"}] * 2,
                "cursor": {},
            },
            "twice",
            id="same-event-twice",
        ),
    ],
)
def test_a_malformed_poll_output_is_refused(output: dict[str, Any], says: str) -> None:
    with pytest.raises(TriggerOutputError, match=says):
        read_result(output)


def test_bind_makes_one_poll_an_ordinary_components_handler() -> None:
    trigger = PACK.get("contactChanges")
    assert isinstance(trigger, Trigger)
    cursor = {"v": 1, "resource": "/contacts", "changes": {}, "deletions": {}}
    bound = bind(trigger, cursor)
    assert bound.kind == "trigger"
    assert bound.ref == trigger.ref
    # The bound handler reads the cursor (and refuses this one: its windows are incomplete),
    # where the trigger's own handler is a first poll that asks for the server's time.
    with pytest.raises(CursorError, match=r"changes\.seen"):
        next(bound.start({}))
    first = next(trigger.start({}))
    assert dict(first.query) == {"items_per_page": 1}


def test_the_trigger_api_is_public_and_poll_mirrors_apoll() -> None:
    import inspect

    import sageflow
    from sageflow import _triggers

    for name in ("Trigger", "TriggerEvent", "Event", "PollResult", "CursorError", "apoll", "poll"):
        assert name in sageflow.__all__
    assert sageflow.apoll is _triggers.apoll
    sync, of_async = inspect.signature(sageflow.poll), inspect.signature(sageflow.apoll)
    assert list(sync.parameters.items()) == list(of_async.parameters.items())
