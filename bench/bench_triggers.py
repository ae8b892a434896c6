"""Requests per poll of every ``<resource>Changes`` trigger, counted against the sandbox.

Polling cost is a count, not a time: for each trigger of the pack, on a fresh in-process
sandbox with a manual clock, the requests of a first poll ("from now"), of a poll when
nothing changed (created/updated only, then with deletions), and, for contacts, of a poll
after ``--changes`` records changed (200 a page).

    python bench/bench_triggers.py [--changes 1000] [--json bench/results/triggers.json]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from pathlib import Path
from typing import Any

from _common import RESULTS, print_table, write_json

from sage_accounting._changes import OVERLAP
from sage_accounting.sandbox import Clock, Sandbox
from sageflow._http import AsyncClient, Connection
from sageflow._http._config import sandbox_limiter
from sageflow._registry import components
from sageflow._triggers import apoll

CREATED_UPDATED = {"events": ["created", "updated"]}


class _Counted:
    """A caller for one sandbox that counts the requests it sends."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.client = AsyncClient(
            Connection.with_token(sandbox.api_base, sandbox.access_token),
            transport=sandbox.async_transport(),
            limiter=sandbox_limiter(),
        )

    async def cost(
        self, ref: str, inputs: dict[str, Any], cursor: dict[str, Any] | None
    ) -> tuple[int, dict[str, Any], int]:
        before = self.sandbox.stats.requests
        result = await apoll(ref, inputs, cursor, caller=self.client)
        return self.sandbox.stats.requests - before, result.cursor, len(result.events)


async def _measure(ref: str, deletions: bool) -> dict[str, Any]:
    sandbox = Sandbox(clock=Clock.manual())
    counted = _Counted(sandbox)
    first, changes_cursor, _ = await counted.cost(ref, CREATED_UPDATED, None)
    _, every_cursor, _ = await counted.cost(ref, {}, None)
    sandbox.advance(OVERLAP.total_seconds() + 60)
    idle, _, events = await counted.cost(ref, CREATED_UPDATED, changes_cursor)
    row: dict[str, Any] = {"first_poll": first, "idle": idle, "idle_events": events}
    if deletions:
        idle_all, _, events_all = await counted.cost(ref, {}, every_cursor)
        row.update(idle_with_deletions=idle_all, idle_with_deletions_events=events_all)
    await counted.client.aclose()
    return row


async def _after_changes(count: int) -> dict[str, Any]:
    sandbox = Sandbox(clock=Clock.manual())
    counted = _Counted(sandbox)
    ref = "sage_accounting/contactChanges"
    _, cursor, _ = await counted.cost(ref, CREATED_UPDATED, None)
    sandbox.advance(60)
    sandbox.add_contacts(count, prefix="Bench")
    sandbox.advance(60)
    requests, _, events = await counted.cost(ref, CREATED_UPDATED, cursor)
    await counted.client.aclose()
    return {"changes": count, "requests": requests, "events": events}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=RESULTS / "triggers.json")
    args = parser.parse_args(argv)
    triggers = [c for c in components() if c.kind == "trigger" and c.pack == "sage_accounting"]
    results: dict[str, Any] = {}
    rows = []
    for trigger in triggers:
        deletions = "deleted" in trigger.input_schema()["properties"]["events"]["items"]["enum"]
        try:
            found = asyncio.run(_measure(trigger.ref, deletions))
        except Exception as error:  # a resource the sandbox does not serve: say so, go on
            results[trigger.ref] = {"error": f"{type(error).__name__}: {error}"[:200]}
            rows.append((trigger.ref, "not served by the sandbox", "-", None))
            continue
        results[trigger.ref] = found
        shown = f"first {found['first_poll']}, idle {found['idle']}"
        ok = found["idle"] == 1
        if deletions:
            shown += f", idle with deletions {found['idle_with_deletions']}"
            ok = ok and found["idle_with_deletions"] == 2
        rows.append((trigger.ref, shown, "idle 1 (+1)", ok))
    bulk = asyncio.run(_after_changes(args.changes))
    pages = math.ceil(args.changes / 200)
    rows.append(
        (
            f"contactChanges after {args.changes:,} changes",
            f"{bulk['requests']} requests, {bulk['events']} events",
            f"{pages} pages",
            bulk["requests"] == pages and bulk["events"] == args.changes,
        )
    )
    print_table("Requests per poll (counted at the sandbox)", rows)
    write_json(args.json, {"triggers": results, "after_changes": bulk})
    failed = [r for r in rows if r[3] is False]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
