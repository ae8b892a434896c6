"""List components' example outputs show what a list returns without ``attributes``.

Sage lists return only id, displayed_as and $path per record unless ``attributes`` is given
([G-attr] in the reference facts); an example showing more would promise fields a flow
does not get (issue 11 item 7).
"""

from __future__ import annotations

import pytest

from sageflow._component import Component
from sageflow._registry import components

LISTED = {"id", "displayed_as", "$path"}

LISTS = sorted(
    (
        c
        for c in components()
        if c.pack == "sage_accounting"
        and isinstance(c.example_output, dict)
        and isinstance(c.example_output.get("items"), list)
        and "page" in c.example_output
    ),
    key=lambda c: c.ref,
)


def test_there_are_lists() -> None:
    assert len(LISTS) >= 10


@pytest.mark.parametrize("component", LISTS, ids=lambda c: c.ref)
def test_list_example_items_hold_only_what_a_list_returns(component: Component) -> None:
    example_input = dict(component.example_input)
    assert isinstance(component.example_output, dict)
    items = component.example_output["items"]
    assert items
    if example_input.get("attributes"):
        return  # asked for: the example may show the fields it asked for
    for item in items:
        assert set(item) == LISTED, f"{component.ref}: {sorted(set(item) - LISTED)}"
