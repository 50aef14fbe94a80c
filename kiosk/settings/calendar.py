"""The opening calendar as written in a TOML file: branches, weekly periods, exceptions, derived events.

Validated once on load with pydantic into frozen objects; a problem is a :class:`ConfigError` naming
the file and the key (``branches.hovedbiblioteket.week.monday.1``). A period is written
``"07:00-10:00 unstaffed"`` (kind ``staffed``, ``unstaffed`` or ``closed``; ``24:00`` may end a day).
Periods are wall-clock times of one day: a period may not cross midnight, so a night opening is written
as ``"22:00-24:00 ..."`` on one day and ``"00:00-02:00 ..."`` on the next. Hours a day does not list are
closed. See ``config/demo/calendar.toml`` for a commented example.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import itertools
import re
import sys
import types
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import holidays.registry
from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from kiosk.domain.errors import ConfigError
from kiosk.settings.base import Section, validate
from kiosk.settings.tomlfile import read_toml

MINUTES_PER_DAY = 24 * 60
_PERIOD = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s+(\w+)\s*$")


class PeriodKind(StrEnum):
    STAFFED = "staffed"
    UNSTAFFED = "unstaffed"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self is not PeriodKind.CLOSED


class PeriodRule(Section):
    """One period of a day, in minutes after local midnight (``end_min`` may be 1440, i.e. 24:00)."""

    kind: PeriodKind
    start_min: int = Field(ge=0, lt=MINUTES_PER_DAY)
    end_min: int = Field(gt=0, le=MINUTES_PER_DAY)

    def __str__(self) -> str:
        return f"{_hhmm(self.start_min)}-{_hhmm(self.end_min)} {self.kind.value}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_period(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    match = _PERIOD.match(value)
    if match is None:
        raise ValueError("write a period as 'HH:MM-HH:MM kind', e.g. '07:00-10:00 unstaffed'")
    h1, m1, h2, m2 = (int(match.group(i)) for i in range(1, 5))
    kinds = {kind.value for kind in PeriodKind}
    if match.group(5) not in kinds:
        raise ValueError(f"kind must be one of {', '.join(sorted(kinds))}")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or start >= MINUTES_PER_DAY or end > MINUTES_PER_DAY:
        raise ValueError("times run from 00:00 to 24:00")
    if end <= start:
        raise ValueError("a period may not cross midnight or be empty: split it at 24:00 "
                         "and continue on the next day from 00:00")
    return PeriodRule(kind=PeriodKind(match.group(5)), start_min=start, end_min=end)


def _no_overlap(periods: tuple[PeriodRule, ...]) -> tuple[PeriodRule, ...]:
    ordered = sorted(periods, key=lambda rule: rule.start_min)
    for before, after in itertools.pairwise(ordered):
        if after.start_min < before.end_min:
            raise ValueError(f"periods {before} and {after} overlap")
    return tuple(ordered)


Period = Annotated[PeriodRule, BeforeValidator(_parse_period)]
DayPeriods = Annotated[tuple[Period, ...], Field(default=(), strict=False), AfterValidator(_no_overlap)]
Minutes = Annotated[int, Field(ge=0, le=240)]
LenientDate = Annotated[dt.date, Field(strict=False)]


class WeekSettings(Section):
    monday: DayPeriods = ()
    tuesday: DayPeriods = ()
    wednesday: DayPeriods = ()
    thursday: DayPeriods = ()
    friday: DayPeriods = ()
    saturday: DayPeriods = ()
    sunday: DayPeriods = ()

    def on(self, date: dt.date) -> tuple[PeriodRule, ...]:
        days = (self.monday, self.tuesday, self.wednesday, self.thursday, self.friday, self.saturday,
                self.sunday)
        return days[date.weekday()]


def country_holidays(country: str, categories: tuple[str, ...], language: str | None = None
                     ) -> holidays.HolidayBase:
    """The public holidays of ``country`` (``DK``), from the ``holidays`` package, which loads every one
    of its 250 countries (0.2-0.3 s and 11 MB) when any is asked for: here only the one named is
    imported. An unknown country is :class:`NotImplementedError`, an unknown category ValueError."""
    _import_country(country)
    return holidays.country_holidays(country, categories=categories, language=language)


def _import_country(country: str) -> None:
    """Import the module of ``country`` without the package ``holidays.countries``'s ``__init__``
    (which imports all of them); the registry then finds the module already imported."""
    module = next((name for name, entity in holidays.registry.COUNTRIES.items() if country in entity[1:]),
                  None)
    full_name = f"holidays.countries.{module}"
    if module is None or full_name in sys.modules or "holidays.countries" in sys.modules:
        return
    spec = importlib.util.find_spec("holidays.countries")
    if spec is None or spec.submodule_search_locations is None:
        return
    package = types.ModuleType("holidays.countries")  # a stand-in for the package, only while importing
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["holidays.countries"] = package
    try:
        importlib.import_module(full_name)
    finally:
        if sys.modules.get("holidays.countries") is package:
            del sys.modules["holidays.countries"]


class HolidaySettings(Section):
    """Public holidays from the ``holidays`` package; closed for self-service unless ``periods``."""

    country: str = "DK"
    categories: tuple[str, ...] = Field(default=("public",), strict=False, min_length=1)
    periods: DayPeriods = ()

    @model_validator(mode="after")
    def _known(self) -> HolidaySettings:
        try:
            country_holidays(self.country, self.categories)
        except NotImplementedError:
            raise ValueError(f"country: {self.country!r} is not known to the holidays package") from None
        except ValueError as exc:
            raise ValueError(f"categories: {exc}") from None
        return self


class ClosureSettings(Section):
    """The branch is closed all day on ``date``, or from ``start`` to ``end`` inclusive."""

    date: LenientDate | None = None
    start: LenientDate | None = None
    end: LenientDate | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _one_span(self) -> ClosureSettings:
        if (self.date is None) == (self.start is None and self.end is None):
            raise ValueError("give either date, or start and end")
        if self.date is None and (self.start is None or self.end is None):
            raise ValueError("a closure from start to end needs both")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self

    @property
    def first(self) -> dt.date:
        day = self.date or self.start
        assert day is not None
        return day

    @property
    def last(self) -> dt.date:
        day = self.date or self.end
        assert day is not None
        return day


class SpecialHoursSettings(Section):
    """A date with hours of its own (they win over the weekly hours and a holiday)."""

    date: LenientDate
    name: str = ""
    periods: DayPeriods = ()


class EventSettings(Section):
    """Minutes before the end of an open period at which the derived events happen."""

    last_entry_min: Minutes = 15
    announcements_min: tuple[Minutes, ...] = Field(default=(15, 10, 5), strict=False)
    kiosk_cutoff_min: Minutes = 5
    print_cutoff_min: Minutes = 10


class LightsSettings(Section):
    """The relay output for the lights: on from opening, off at closing, each moved by an offset."""

    output: str = "lights"
    on_before_opening_min: Minutes = 0
    off_after_closing_min: Minutes = 0


class AlarmSettings(Section):
    """The relay output that arms the intruder alarm: armed at closing, disarmed at opening."""

    output: str = "alarm"
    disarm_before_opening_min: Minutes = 0
    arm_after_closing_min: Minutes = 0


class BranchSettings(Section):
    name: str = ""
    zone: str = "Europe/Copenhagen"
    week: WeekSettings = WeekSettings()
    holidays: HolidaySettings = HolidaySettings()
    closures: tuple[ClosureSettings, ...] = Field(default=(), strict=False)
    special: tuple[SpecialHoursSettings, ...] = Field(default=(), strict=False)
    events: EventSettings = EventSettings()
    lights: LightsSettings = LightsSettings()
    alarm: AlarmSettings = AlarmSettings()

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a known time zone (e.g. Europe/Copenhagen)") from None
        return zone

    @model_validator(mode="after")
    def _special_once(self) -> BranchSettings:
        dates = [special.date for special in self.special]
        twice = sorted({day for day in dates if dates.count(day) > 1})
        if twice:
            raise ValueError(f"special: {twice[0].isoformat()} has special hours more than once")
        return self

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


class CalendarFile(Section):
    """A whole calendar file: one entry per branch, keyed by the branch id of the terminal settings."""

    branches: dict[str, BranchSettings] = Field(min_length=1)
    source: Path | None = Field(default=None, exclude=True)

    def branch(self, branch_id: str) -> BranchSettings:
        try:
            return self.branches[branch_id]
        except KeyError:
            where = self.source or "<calendar>"
            known = ", ".join(sorted(self.branches))
            raise ConfigError(f"{where}: branches.{branch_id}: no such branch (known: {known})") from None

    def pick(self, branch_id: str | None) -> tuple[str, BranchSettings]:
        """``branch_id``'s branch, or with None the file's only branch (a command's ``--branch``)."""
        if branch_id is None:
            if len(self.branches) != 1:
                known = ", ".join(sorted(self.branches))
                raise ConfigError(f"{self.source or '<calendar>'}: several branches, pick one with --branch "
                                  f"({known})")
            branch_id = next(iter(self.branches))
        return branch_id, self.branch(branch_id)


def parse_calendar(data: dict[str, Any], source: Path | None = None) -> CalendarFile:
    """Validate already-parsed TOML data; every problem is a :class:`ConfigError` naming the key."""
    calendar = validate(CalendarFile, data, source or "<calendar>")
    return calendar.model_copy(update={"source": source})


def load_calendar(path: Path) -> CalendarFile:
    """Read and validate a calendar file. Every problem is a :class:`ConfigError` naming ``path``."""
    return parse_calendar(read_toml(path, "calendar"), path)

