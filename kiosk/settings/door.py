"""The door terminal's sections: ``[calendar]``, ``[access]``, ``[door_supervision]``, ``[entry_log]``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from kiosk.domain.errors import ConfigError
from kiosk.settings.base import Section, validate
from kiosk.settings.tomlfile import read_toml

DEFAULT_RETENTION_DAYS = 30


class CalendarSettings(Section):
    # The branch's opening calendar (TOML; see config/demo/calendar.toml), relative to this file.
    file: Path | None = None
    # A self-service kiosk takes new visits only in the calendar's open hours, until its cut-off.
    kiosk_hours: bool = True


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


RuleName = Literal["valid_card", "correct_pin", "not_blocked", "fee_limit", "age", "category",
                   "consent", "revocation"]
RULE_NAMES: tuple[RuleName, ...] = ("valid_card", "correct_pin", "not_blocked", "revocation",
                                    "fee_limit", "consent", "category", "age")


def _clock_time(text: str) -> dt.time:
    if text == "24:00":
        return dt.time.max
    try:
        return dt.datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day HH:MM") from None


class AgeBand(Section):
    """From ``start`` until ``end`` on ``days`` (local time), entrants must be ``min_age`` or older.

    Without ``start``/``end`` the band covers the whole day; ``end`` before ``start`` runs past
    midnight (the days are the days the band starts on, e.g. "fri 22:00 - 06:00").
    """

    min_age: int = Field(ge=1, le=120)
    days: tuple[Weekday, ...] = Field(default=WEEKDAYS, strict=False, min_length=1)
    start: str = "00:00"
    end: str = "24:00"

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        _clock_time(value)
        return value

    @property
    def all_the_time(self) -> bool:
        return set(self.days) == set(WEEKDAYS) and self.start == "00:00" and self.end == "24:00"

    def covers(self, local: dt.datetime) -> bool:
        start, end = _clock_time(self.start), _clock_time(self.end)
        now = local.time()
        today = WEEKDAYS[local.weekday()]
        yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
        if start < end:
            return today in self.days and start <= now < end
        # Past midnight: the evening part belongs to today's band, the morning part to yesterday's.
        return (today in self.days and now >= start) or (yesterday in self.days and now < end)


class AccessSettings(Section):
    """The ``[access]`` section: which rules, in which order, and their limits."""

    rules: tuple[RuleName, ...] = Field(default=RULE_NAMES, strict=False)
    time_zone: str = "Europe/Copenhagen"
    fee_limit: Decimal = Field(default=Decimal("220.00"), ge=0, strict=False)
    age_bands: tuple[AgeBand, ...] = Field(default=(), strict=False)
    unknown_age: Literal["refuse", "allow"] = "refuse"
    categories: tuple[str, ...] = Field(default=(), strict=False)
    consent_field: str = Field(default="ZU", min_length=2, max_length=2)
    consent_missing: Literal["refuse", "allow"] = "refuse"
    revocation_list: Path | None = None
    staff_list: Path | None = None

    @field_validator("fee_limit", mode="before")
    @classmethod
    def _money(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError("write the amount as a string, e.g. \"220.00\"")
        return value

    @field_validator("revocation_list", "staff_list", mode="before")
    @classmethod
    def _path(cls, value: object) -> object:
        return (Path(value) if value else None) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> AccessSettings:
        if len(set(self.rules)) != len(self.rules):
            raise ValueError("rules: a rule is listed twice")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time_zone: unknown time zone {self.time_zone!r}") from None
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def load_access_settings(path: Path) -> AccessSettings:
    """The ``[access]`` table of a rules file (``access check --rules``); list paths in it are
    relative to the file."""
    table = read_toml(path, "rules").get("access", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: access: must be a table")
    settings = validate(AccessSettings, table, path, prefix="access.")
    base = path.resolve().parent
    return settings.model_copy(update={
        key: base / value for key in ("revocation_list", "staff_list")
        if (value := getattr(settings, key)) is not None and not value.is_absolute()})


class DoorSupervisionSettings(Section):
    """``[door_supervision]``: the times that separate a normal passage from an alarm."""

    entry_window_s: float = Field(default=10.0, gt=0, le=120, strict=False)
    held_open_after_s: float = Field(default=30.0, gt=0, le=3600, strict=False)
    passage_s: float = Field(default=8.0, gt=0, le=600, strict=False)
    extra_person_s: float = Field(default=3.0, ge=0, le=60, strict=False)
    max_children: int = Field(default=3, ge=0, le=10)

    @model_validator(mode="after")
    def _passage_before_held_open(self) -> DoorSupervisionSettings:
        if self.passage_s >= self.held_open_after_s:
            raise ValueError("passage_s must be shorter than held_open_after_s")
        return self


class EntryLogSettings(Section):
    """``[entry_log]``: how long door decisions are kept."""

    retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=1, le=3650)
