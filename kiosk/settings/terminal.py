"""``[terminal]``, ``[session]``, ``[paths]``, ``[logging]`` and ``[receipt_email]``: the terminal itself."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator

from kiosk.settings.base import Section
from kiosk.texts import Language

__all__ = ["Language", "LoggingSettings", "PathSettings", "ReceiptEmailSettings", "Role", "SessionSettings",
           "TerminalSettings", "UpdateSettings"]


class Role(StrEnum):
    """What a terminal is: the self-service kiosk (borrow, return, my account; needs an RFID pad), or
    the entrance panel outside the door for unstaffed hours (card, PIN, access rules, unlock)."""

    KIOSK = "kiosk"
    DOOR = "door"


TOUCH_TARGET_MM = 15.0  # the smallest control a finger should have to hit (issue #21; EN 301 549 5.1)


class ScreenSettings(Section):
    """``[terminal.screen]``: the panel as it is mounted. Its size turns millimetres into pixels (the
    15 mm touch targets); its height above the floor gives the reach line of the reach layout.

    Reach: EN 301 549 8.3.3.1 (after the US 508/ADA 308 rules) puts essential controls no higher than
    1220 mm above the floor for an unobstructed forward reach from a wheelchair, and ADA 308.2.2 no
    higher than 1120 mm when the reach goes over something deeper than 510 mm, as it does over the
    kiosk's shelf and pad: 1120 mm is the default. A 21.5" full-HD panel (476 x 268 mm) in portrait
    with its lower edge 800 mm above the floor reaches up to 1276 mm, so the top 156 mm (630 px) is
    out of reach; in landscape its top is at 1068 mm, all within reach."""

    # The picture's diagonal in inches; used when width_mm and height_mm are 0 (with the window's
    # aspect ratio).
    diagonal_in: float = Field(default=21.5, gt=5, le=120, strict=False)
    # The visible picture's sides in millimetres, as measured (either orientation); 0: from the diagonal.
    width_mm: float = Field(default=0.0, ge=0, le=3000, strict=False)
    height_mm: float = Field(default=0.0, ge=0, le=3000, strict=False)
    # The picture's lower edge above the floor, in millimetres.
    bottom_edge_mm: float = Field(default=800.0, ge=0, le=2500, strict=False)
    # The highest a person in a wheelchair reaches, in millimetres above the floor.
    reach_max_mm: float = Field(default=1120.0, ge=380, le=2500, strict=False)

    @model_validator(mode="after")
    def _both_sides(self) -> ScreenSettings:
        if (self.width_mm == 0) != (self.height_mm == 0):
            raise ValueError("width_mm and height_mm: give both, or neither (0: from diagonal_in)")
        return self

    def px_per_mm(self, width_px: int, height_px: int) -> float:
        """Pixels per millimetre of a full-screen window of ``width_px`` x ``height_px``."""
        long_px = max(width_px, height_px)
        if self.width_mm and self.height_mm:
            long_mm = max(self.width_mm, self.height_mm)
        else:
            long_mm = self.diagonal_in * 25.4 * long_px / math.hypot(width_px, height_px)
        return long_px / long_mm

    def target_px(self, width_px: int, height_px: int) -> int:
        """The smallest touch target (:data:`TOUCH_TARGET_MM`) in pixels."""
        return math.ceil(TOUCH_TARGET_MM * self.px_per_mm(width_px, height_px))

    def reach_line_px(self, width_px: int, height_px: int) -> int:
        """Pixels from the top of the picture down to the highest point a person in a wheelchair
        reaches; 0 when the whole picture is within reach."""
        per_mm = self.px_per_mm(width_px, height_px)
        top_mm = self.bottom_edge_mm + height_px / per_mm
        out_of_reach_mm = top_mm - self.reach_max_mm
        return min(height_px, max(0, math.ceil(out_of_reach_mm * per_mm)))


class TerminalSettings(Section):
    id: str = Field(min_length=1)
    branch: str = Field(min_length=1)
    name: str = ""
    language: Language = "da"
    languages: tuple[Language, ...] = Field(default=("da", "en"), strict=False, min_length=1)
    fullscreen: bool = True
    role: Role = Field(default=Role.KIOSK, strict=False)
    # At the door: seconds to wait for the LMS before deciding without it.
    lms_budget_s: float = Field(default=3.0, gt=0, le=30, strict=False)
    # The branch's time zone: the clock on the screen and on receipts, and every date sent to the LMS,
    # whatever zone the machine itself is set to.
    time_zone: str = "Europe/Copenhagen"
    # After the calendar's closing time (+ blank_after_min), while nobody touches it: a black screen and
    # the backlight off (fullscreen only, with a calendar). "auto": the first /sys/class/backlight
    # device; "none"; or a device's folder.
    blank_when_closed: bool = True
    blank_after_min: int = Field(default=15, ge=0, le=240)
    backlight: str = Field(default="auto", min_length=1)
    screen: ScreenSettings = ScreenSettings()

    @model_validator(mode="after")
    def _default_language_offered(self) -> TerminalSettings:
        if self.language not in self.languages:
            raise ValueError(f"language {self.language!r} is not in languages")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time_zone: unknown time zone {self.time_zone!r}") from None
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class SessionSettings(Section):
    idle_timeout_s: int = Field(default=60, ge=10, le=3600)
    idle_warning_s: int = Field(default=10, ge=1, le=600)
    pin_min_length: int = Field(default=4, ge=1, le=12)
    pin_max_length: int = Field(default=6, ge=1, le=12)
    max_pin_attempts: int = Field(default=3, ge=1, le=10)
    pin_lockout_s: int = Field(default=900, ge=0, le=86400)
    # Speech mode: the idle timeout and its warning times this, the warning at least
    # speech_warning_min_s (EN 301 549 5.1.3 / WCAG 2.2.1: listening takes longer than reading).
    speech_time_factor: float = Field(default=2.0, ge=1, le=10, strict=False)
    speech_warning_min_s: int = Field(default=30, ge=1, le=600)

    @model_validator(mode="after")
    def _consistent(self) -> SessionSettings:
        if self.idle_warning_s >= self.idle_timeout_s:
            raise ValueError("idle_warning_s must be shorter than idle_timeout_s")
        if self.pin_min_length > self.pin_max_length:
            raise ValueError("pin_min_length must not exceed pin_max_length")
        return self


class PathSettings(Section):
    data_dir: Path | None = None
    log_dir: Path | None = None
    key_dir: Path | None = None  # the keys: default beside the data folder ("<data_dir>-keys"), never in it


class UpdateSettings(Section):
    # The command that installs a new version, the wheel's path appended as ``--wheel PATH``; empty:
    # this release's ``library-kiosk update --config <this file>``, through systemd-run when systemd
    # runs the machine (so that it outlives the kiosk it restarts).
    command: tuple[str, ...] = Field(default=(), strict=False)


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_bytes: int = Field(default=5_000_000, ge=10_000)
    backups: int = Field(default=5, ge=0, le=100)
    console: bool = True


class ReceiptEmailSettings(Section):
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    user: str = ""
    password: str = Field(default="", repr=False)
    sender: str = ""
    timeout_s: float = Field(default=10.0, gt=0, le=120, strict=False)

    @model_validator(mode="after")
    def _sender_when_on(self) -> ReceiptEmailSettings:
        if self.smtp_host and "@" not in self.sender:
            raise ValueError("sender: an e-mail address is needed when smtp_host is set")
        return self
