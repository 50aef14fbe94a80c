"""Reading a TOML file with errors that name the file and say what is wrong with it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from kiosk.domain.errors import ConfigError, KioskError


def read_toml(path: Path, what: str, error: type[KioskError] = ConfigError, *,
              label: str | None = None) -> dict[str, Any]:
    """The parsed file. ``what`` names the kind of file in messages ("settings", "calendar");
    ``label`` is how the file is named in a TOML syntax error (default: its path)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: {what} file not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot read {what} file ({exc.strerror})") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{label or path}: not valid TOML: {exc}") from None
