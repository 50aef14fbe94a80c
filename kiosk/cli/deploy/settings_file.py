"""The terminal's settings file as installed: the operator's file, checked the way ``run`` checks
it, with its ``[paths]`` table set to the deployed folders."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from kiosk.cli.deploy.changes import DeployError
from kiosk.cli.deploy.layout import DATA_DIR, KEY_DIR, LOG_DIR, SETTINGS_DIR, SETTINGS_FILE
from kiosk.domain.errors import ConfigError
from kiosk.settings import Settings, load_settings, parse_settings

_TABLE = re.compile(r"^\s*\[\s*([^\]]*?)\s*\]")
_PATHS = f"""
[paths]
# Set by `library-kiosk install`: the deployed terminal's folders.
data_dir = "{DATA_DIR}"
key_dir = "{KEY_DIR}"
log_dir = "{LOG_DIR}"
"""


def _without_paths(text: str) -> str:
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        table = _TABLE.match(line)
        if table is not None:
            skipping = table.group(1) == "paths"
        if not skipping:
            kept.append(line)
    return "\n".join(kept).rstrip() + "\n"


def _differences(before: Any, after: Any, key: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        return [difference for name in sorted(before.keys() | after.keys())
                for difference in _differences(before.get(name), after.get(name), _join(key, name))]
    return [] if before == after else [key]


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def installed_settings(source: Path) -> bytes:
    """The bytes of :data:`SETTINGS_FILE` made from ``source``. A file that ``run`` would refuse,
    or that names files by relative paths (they would point elsewhere from /etc), is refused with
    the reason, before anything is changed."""
    original = load_settings(source)  # ConfigError: names the file and the key
    text = _without_paths(source.read_text(encoding="utf-8")) + _PATHS
    try:
        installed = parse_settings(tomllib.loads(text), Path(SETTINGS_FILE))
    except (ConfigError, tomllib.TOMLDecodeError) as exc:
        raise DeployError(f"{source}: cannot be installed as {SETTINGS_FILE}: {exc}") from None
    _check_paths(source, installed)
    moved = _differences(_comparable(original), _comparable(installed))
    if moved:
        raise DeployError(f"{source}: {', '.join(moved)}: a relative path would point into {SETTINGS_DIR} "
                          "once installed: write it as an absolute path")
    return text.encode("utf-8")


def _comparable(settings: Settings) -> dict[str, Any]:
    return settings.model_dump(mode="json", exclude={"paths", "source"})


def _check_paths(source: Path, settings: Settings) -> None:
    paths = settings.paths
    if (paths.data_dir, paths.key_dir, paths.log_dir) != (Path(DATA_DIR), Path(KEY_DIR), Path(LOG_DIR)):
        raise DeployError(f"{source}: set paths in a [paths] table of its own (not as dotted keys or an "
                          "inline table), so that the installer can replace it")
