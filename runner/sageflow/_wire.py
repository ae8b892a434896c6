"""Wire-format helpers every pack shares: camelCase input names to snake_case, and the set
fields of an input model as a body, each pack converting values its own way (Sage Accounting
sends money as strings, Sage 200 as numbers)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])")


@lru_cache(maxsize=1024)
def snake(name: str) -> str:
    """``contactTypeIds`` -> ``contact_type_ids``; ``addressLine1`` -> ``address_line_1``."""
    return _BOUNDARY.sub("_", name).lower()


def set_fields(
    model: BaseModel,
    convert: Callable[[Any], Any],
    *,
    rename: Mapping[str, str] | None = None,
    exclude: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The fields a caller set on ``model``, renamed (snake_case unless ``rename`` says),
    values passed through ``convert``.

    Only fields explicitly set are included: an omitted optional input is not sent (so the API
    keeps its own default or the existing value on update), while a set ``0``, ``""`` or
    ``False`` is. Declaration order, not set order: the same inputs make the same body bytes.
    """
    chosen = model.model_fields_set.difference(exclude)
    if only is not None:
        chosen.intersection_update(only)
    if not chosen:
        return {}
    rename = rename or {}
    return {
        rename.get(name, snake(name)): convert(getattr(model, name))
        for name in type(model).model_fields
        if name in chosen
    }
