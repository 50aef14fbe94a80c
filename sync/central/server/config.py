"""Terminal configuration in layers: defaults, then the municipality's, the branch's and the
terminal's own, each a partial settings file (TOML tables as JSON) that overrides the ones before,
table by table. Before a layer is saved, what it makes of every terminal it reaches is checked with
the kiosk's own settings model, so a mistake is refused here, in words, not found at a door at night.

What only the terminal itself may say is not set centrally: its id and branch (its enrolment says
them), its folders, and how it reaches the central service (the intervals and batch size of its
sync may be set).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from kiosk.domain.errors import ConfigError
from kiosk.settings import parse_settings
from kiosk.settings.layers import local_only, merge_tables

LEVELS = ("defaults", "municipality", "branch", "terminal")
SCOPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class ConfigRefused(ValueError):
    """What is wrong with a configuration layer, for the person who wrote it."""


def effective(layers: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for layer in layers:
        result = merge_tables(result, layer)
    return result


def check_scope(level: str, scope: str) -> None:
    if level not in LEVELS:
        raise ConfigRefused(f"level: one of {', '.join(LEVELS)}, not {level!r}")
    if level in ("defaults", "municipality") and scope:
        raise ConfigRefused(f"{level}: no branch or terminal goes with this level")
    if level in ("branch", "terminal") and not SCOPE.fullmatch(scope):
        raise ConfigRefused(f"{level}: name the {level} (letters, digits, '.', '_' or '-')")


def check_layer(layer: Any) -> None:
    """The layer alone: a table, of settings the central service may set."""
    if not isinstance(layer, Mapping):
        raise ConfigRefused("the settings must be a table")
    problem = local_only(layer)
    if problem is not None:
        raise ConfigRefused(problem)


ANY_TERMINAL = "any-terminal"  # a layer is checked as this one when no terminal it reaches is known


def check_terminal(settings: Mapping[str, Any], terminal: str, branch: str) -> None:
    """What a terminal would run with (its layers merged): valid for the kiosk's settings model."""
    candidate = merge_tables(settings, {"terminal": {"id": terminal, "branch": branch}})
    try:
        parse_settings(json.loads(json.dumps(candidate)))  # a copy: the parser turns paths into Paths
    except ConfigError as exc:
        problem = str(exc).removeprefix("<settings>: ")
        who = f"terminal {terminal} ({branch})" if terminal != ANY_TERMINAL else "a terminal"
        raise ConfigRefused(f"{who}: {problem}") from None
