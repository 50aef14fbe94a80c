"""``[terminal]``, ``[session]``, ``[paths]``, ``[logging]`` and ``[receipt_email]``: the terminal itself."""

from __future__ import annotations

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
