"""``[central]``: the municipality's central system."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from kiosk.settings.base import Section, is_loopback


class CentralSettings(Section):
    """``[central]``: the municipality's central system (configuration, access list, events)."""

    kind: Literal["none", "http", "emulator"] = "none"
    url: str = ""  # https://... (kind "http")
    token: str = Field(default="", repr=False)  # the bearer token; else $LIBRARY_KIOSK_CENTRAL_TOKEN
    ca_file: Path | None = None  # a private CA bundle; default: the system's CAs
    seed: Path | None = None  # kind "emulator": the built-in emulator's seed (the demo's central.toml)
    config_every_s: float = Field(default=300.0, gt=0, le=86_400, strict=False)
    access_every_s: float = Field(default=60.0, gt=0, le=86_400, strict=False)
    heartbeat_every_s: float = Field(default=60.0, gt=0, le=86_400, strict=False)
    outbox_batch: int = Field(default=200, ge=1, le=500)
    # When a version the central system offers is installed: after closing (the branch calendar in
    # force says closed), whenever nobody uses the kiosk, or only by staff (staff mode).
    install_updates: Literal["after_closing", "when_idle", "staff_only"] = "after_closing"

    @model_validator(mode="after")
    def _complete(self) -> CentralSettings:
        if self.kind == "http" and not self.url.startswith(("https://", "http://")):
            raise ValueError("url: the central system's address (https://...) is needed for kind 'http'")
        if self.kind == "http" and self.url.startswith("http://") and not is_loopback(
                urlsplit(self.url).hostname or ""):
            raise ValueError("url: the central system is reached over https:// only (http:// only on this "
                             "machine): its token and the access list must not cross the network in clear")
        if self.kind == "emulator" and self.seed is None:
            raise ValueError("seed: the 'emulator' central system needs a seed file")
        return self
