"""Settings in layers: tables of a settings file laid over others (the central system's
configuration over a terminal's own file)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merge_tables(base: Mapping[str, Any], layer: Mapping[str, Any]) -> dict[str, Any]:
    """``layer`` over ``base``: tables merged key by key, anything else replaced."""
    merged = dict(base)
    for key, value in layer.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = merge_tables(current, value)
        else:
            merged[key] = value
    return merged
