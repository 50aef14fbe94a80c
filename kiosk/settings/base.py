"""The one base of every settings section, and the words for what is wrong with a file.

A section is data, validated once where it is read: frozen, strict (a string is not a number), and
with no unknown keys, so a typing error in a key is reported instead of silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from kiosk.domain.errors import ConfigError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


S = TypeVar("S", bound=Section)


def describe_error(error: dict[str, Any], prefix: str = "") -> str:
    """One pydantic error as 'key: problem (got value)'."""
    key = prefix + (".".join(str(part) for part in error["loc"]) or "(file)")
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown setting"
    if kind == "missing":
        return f"{key}: required setting is missing"
    value = error.get("input")
    shown = "" if isinstance(value, dict) or is_secret(key) else f" (got {value!r})"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{key}: {message}{shown}"


SECRET_WORDS = ("password", "token", "pin", "secret", "key", "cpr")


def is_secret(key: str) -> bool:
    """A setting (or scenario key) whose value must not be echoed in an error: a wrongly typed
    password is still mostly the password."""
    last = key.rsplit(".", 1)[-1].lower()
    return any(word in last for word in SECRET_WORDS)


def validate(model: type[S], data: object, where: Path | str | None, prefix: str = "") -> S:
    """``data`` as a ``model``, or a :class:`ConfigError` naming ``where`` and every wrong key."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(describe_error(e, prefix) for e in exc.errors())  # type: ignore[arg-type]
        raise ConfigError(f"{where or '<settings>'}: {problems}") from None


def is_loopback(host: str) -> bool:
    """This machine: ``localhost``, 127.0.0.0/8 or ::1 (what never crosses a network)."""
    import ipaddress

    host = host.strip().strip("[]").lower()
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

