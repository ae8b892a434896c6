"""The resource registry: a family module's Resource is routed, checked and seeded by the core."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandboxkit import make_client

from sage_accounting.sandbox import Clock, Sandbox
from sage_accounting.sandbox._registry import (
    READ,
    READ_UPDATE,
    RESOURCES,
    Resource,
    register,
)
from sage_accounting.sandbox._resources import Business, invalid, text
from sage_accounting.sandbox._store import Record


def _create(biz: Business, data: Mapping[str, Any]) -> Record:
    name = text(data.get("name"))
    if not name:
        raise invalid(("name", "can't be blank"))
    return biz.save("test_widgets", {**biz.stamped("test_widgets", name), "name": name})


def _update(biz: Business, record: Record, data: Mapping[str, Any]) -> Record:
    name = text(data.get("name")) or record["name"]
    stamp = biz.clock.stamp()
    return biz.save(
        "test_widgets", {**record, "name": name, "displayed_as": name, "updated_at": stamp}
    )


def _archive(biz: Business, record: Record, data: Mapping[str, Any]) -> Record:
    return biz.save("test_widgets", {**record, "archived": True})


def _void(biz: Business, record: Record, q: Mapping[str, str]) -> Record | None:
    if q.get("void") == "true":
        return biz.save("test_widgets", {**record, "voided": True})
    biz.remove("test_widgets", record["id"])
    return None


_SETTINGS: dict[str, Record] = {}


def _settings(biz: Business) -> Record:
    return _SETTINGS.setdefault(
        biz.id, {"$path": "/test_settings", "colour": "blue", "updated_at": biz.clock.stamp()}
    )


def _update_settings(biz: Business, record: Record, data: Mapping[str, Any]) -> Record:
    _SETTINGS[biz.id] = {**record, **data}
    return _SETTINGS[biz.id]


_TEST_RESOURCES = (
    Resource(
        "test_widgets",
        "test_widget",
        create=_create,
        update=_update,
        delete=_void,
        actions={"archive": _archive},
        simulated={"name": None},
        filters=frozenset({"search"}),
        matches=lambda biz: lambda record, q: q["search"].lower() in record["name"].lower(),
        sortable=frozenset({"name"}),
        order=lambda record: record["name"],
        seed=lambda biz, index: None if index else _create(biz, {"name": "Seeded widget"}) and None,
    ),
    Resource(
        "test_kinds",
        "test_kind",
        on_collection=READ,
        on_record=READ,
        shared=True,
        reference=lambda: [{"id": "BIG", "displayed_as": "Big", "$path": "/test_kinds/BIG"}],
    ),
    Resource(
        "test_settings",
        "test_settings",
        on_collection=READ_UPDATE,
        singleton=_settings,
        update=_update_settings,
        simulated={"colour": None},
    ),
)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    for resource in _TEST_RESOURCES:
        register(resource)
    try:
        with make_client(Sandbox(clock=Clock.manual())) as http:
            yield http
    finally:
        for resource in _TEST_RESOURCES:
            RESOURCES.pop(resource.name)
        _SETTINGS.clear()


def test_a_registered_resource_is_seeded_listed_filtered_and_sorted(client: httpx.Client) -> None:
    client.post("/test_widgets", json={"test_widget": {"name": "Anvil"}})
    names = [item["displayed_as"] for item in client.get("/test_widgets").json()["$items"]]
    assert names == ["Anvil", "Seeded widget"]
    found = client.get("/test_widgets", params={"search": "seed"}).json()["$items"]
    assert [item["displayed_as"] for item in found] == ["Seeded widget"]
    desc = client.get("/test_widgets", params={"sort": "name:desc"}).json()["$items"]
    assert [item["displayed_as"] for item in desc] == ["Seeded widget", "Anvil"]
    refused = client.get("/test_widgets", params={"sort": "created_at"})
    assert refused.status_code == 422


def test_writes_reach_the_module_and_strict_mode_refuses_unknown_fields(
    client: httpx.Client,
) -> None:
    created = client.post("/test_widgets", json={"test_widget": {"name": "Anvil"}})
    assert created.status_code == 201
    key = created.json()["id"]
    assert client.get(f"/test_widgets/{key}").json()["name"] == "Anvil"
    updated = client.put(f"/test_widgets/{key}", json={"test_widget": {"name": "Hammer"}})
    assert updated.json()["displayed_as"] == "Hammer"
    extra = client.post("/test_widgets", json={"test_widget": {"name": "X", "colour": "red"}})
    assert extra.status_code == 422
    assert extra.json()[0]["$source"] == "colour"
    blank = client.post("/test_widgets", json={"test_widget": {"name": " "}})
    assert blank.status_code == 422
    assert client.post("/test_widgets", json={"widget": {}}).status_code == 422


def test_actions_and_both_kinds_of_delete(client: httpx.Client) -> None:
    key = client.post("/test_widgets", json={"test_widget": {"name": "A"}}).json()["id"]
    archived = client.post(f"/test_widgets/{key}/archive")
    assert archived.status_code == 201
    assert archived.json()["archived"] is True
    assert client.get(f"/test_widgets/{key}/archive").status_code == 405
    assert client.post(f"/test_widgets/{key}/explode").status_code == 404
    voided = client.delete(f"/test_widgets/{key}", params={"void": "true"})
    assert voided.status_code == 200
    assert voided.json()["voided"] is True
    assert client.delete(f"/test_widgets/{key}").status_code == 204
    assert client.get(f"/test_widgets/{key}").status_code == 404
    gone = client.get("/test_widgets", params={"deleted_since": "2000-01-01T00:00:00Z"})
    assert [item["id"] for item in gone.json()["$items"]] == [key]


def test_reference_data_is_shared_and_read_only(client: httpx.Client) -> None:
    assert client.get("/test_kinds/BIG").json()["displayed_as"] == "Big"
    refused = client.post("/test_kinds", json={"test_kind": {}})
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET"


def test_a_singleton_reads_and_updates_without_an_id(client: httpx.Client) -> None:
    assert client.get("/test_settings").json()["colour"] == "blue"
    changed = client.put("/test_settings", json={"test_settings": {"colour": "green"}})
    assert changed.json()["colour"] == "green"
    assert client.get("/test_settings").json()["colour"] == "green"
    assert client.put("/test_settings", json={"test_settings": {"size": 2}}).status_code == 422
    assert client.get("/test_settings/1").status_code == 404
    assert client.delete("/test_settings").status_code == 405


def test_registering_a_name_twice_is_refused() -> None:
    resource = Resource("test_twice", "test_twice")
    register(resource)
    try:
        with pytest.raises(ValueError, match="registered twice"):
            register(resource)
    finally:
        RESOURCES.pop("test_twice")


def test_registered_records_survive_a_data_file(tmp_path: Path) -> None:
    for resource in _TEST_RESOURCES:
        register(resource)
    try:
        data = tmp_path / "sandbox.db"
        with make_client(Sandbox(clock=Clock.manual(), data=data)) as first:
            first.post("/test_widgets", json={"test_widget": {"name": "Kept"}})
        with make_client(Sandbox(clock=Clock.manual(), data=data)) as second:
            names = {item["displayed_as"] for item in second.get("/test_widgets").json()["$items"]}
        assert names == {"Kept", "Seeded widget"}
    finally:
        for resource in _TEST_RESOURCES:
            RESOURCES.pop(resource.name)
