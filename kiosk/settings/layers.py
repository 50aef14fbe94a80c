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


# Section -> keys only a terminal's own settings file sets (None: the whole section), and why: the
# central system's configuration never sets them (its service refuses such a layer, the terminal too).
LOCAL_ONLY: dict[str, tuple[frozenset[str] | None, str]] = {
    "paths": (None, "its folders"),
    "terminal": (frozenset({"id", "branch"}), "which terminal it is"),
    "central": (frozenset({"kind", "url", "token", "ca_file", "seed"}), "how it reaches the central service"),
    # A command run outside the kiosk (as root, through systemd-run): never the central system's to set.
    "updates": (None, "how it installs a new version"),
}


def local_only(layer: Mapping[str, Any]) -> str | None:
    """What in ``layer`` only a terminal's own settings file may say, in words; None: nothing."""
    for section, (keys, what) in LOCAL_ONLY.items():
        table = layer.get(section)
        if table is None:
            continue
        if keys is None:
            return f"{section}: only the terminal's own settings file says {what}"
        local = sorted(keys & set(table)) if isinstance(table, Mapping) else []
        if local:
            return f"{section}.{local[0]}: only the terminal's own settings file says {what}"
    return None
