"""The opening calendar: weekly periods, exceptions, derived events, daylight saving, the CLI."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kiosk.cli import calendar as calendar_cli
from kiosk.domain.errors import ConfigError
from kiosk.door.calendar import BranchCalendar, CalendarEvent, DaySource, EventKind
from kiosk.settings.calendar import PeriodKind, load_calendar, parse_calendar
from kiosk.testing.memory import ManualClock

CPH = ZoneInfo("Europe/Copenhagen")
UTC = dt.UTC
DEMO = calendar_cli.DEMO_CALENDAR
BRANCH = "hovedbiblioteket"
WEEKDAY = ["07:00-10:00 unstaffed", "10:00-19:00 staffed", "19:00-22:00 unstaffed"]


@pytest.fixture(scope="module")
def demo() -> BranchCalendar:
    return BranchCalendar(load_calendar(DEMO).branch(BRANCH))


def calendar(**branch: Any) -> BranchCalendar:
    week = {day: WEEKDAY for day in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                     "saturday", "sunday")}
    return BranchCalendar(parse_calendar({"branches": {"b": {"week": week, **branch}}}).branch("b"))


def local(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CPH)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def shown(events: list[CalendarEvent], kind: EventKind) -> list[str]:
    return [f"{event.time.astimezone(CPH):%H:%M}" for event in events if event.kind is kind]


def cli(*argv: str, clock: ManualClock | None = None) -> int:
    parser = argparse.ArgumentParser()
    calendar_cli.add_arguments(parser)
    return calendar_cli.run(parser.parse_args(argv), clock)


def test_a_weekday_has_its_periods_and_closed_hours_around_them(demo: BranchCalendar) -> None:
    day = demo.day(dt.date(2026, 11, 25))
    assert day.source is DaySource.WEEK
    assert [(p.kind, f"{p.start.astimezone(CPH):%H:%M}", f"{p.end.astimezone(CPH):%H:%M}")
            for p in day.periods] == [
        (PeriodKind.CLOSED, "00:00", "07:00"), (PeriodKind.UNSTAFFED, "07:00", "10:00"),
        (PeriodKind.STAFFED, "10:00", "19:00"), (PeriodKind.UNSTAFFED, "19:00", "22:00"),
        (PeriodKind.CLOSED, "22:00", "00:00")]


def test_a_patron_at_20_15_on_a_weekday_is_in_unstaffed_hours_until_22(demo: BranchCalendar) -> None:
    state = demo.state_at(ManualClock().now())  # Wednesday 25 November 2026, 20:15
    assert state.kind is PeriodKind.UNSTAFFED
    assert state.period.start == local(2026, 11, 25, 19, 0)
    assert state.next_change == local(2026, 11, 25, 22, 0)
    assert state.next_kind is PeriodKind.CLOSED


def test_the_night_is_one_closed_period_across_midnight(demo: BranchCalendar) -> None:
    state = demo.state_at(local(2026, 11, 25, 23, 30))
    assert (state.period.start, state.period.end) == (local(2026, 11, 25, 22, 0), local(2026, 11, 26, 7, 0))
    assert state.next_kind is PeriodKind.UNSTAFFED


def test_a_danish_public_holiday_is_closed_and_named(demo: BranchCalendar) -> None:
    day = demo.day(dt.date(2026, 12, 25))
    assert (day.source, day.note, day.holiday) == (DaySource.HOLIDAY, "Juledag", "Juledag")
    assert [p.kind for p in day.periods] == [PeriodKind.CLOSED]
    assert day.events == ()
    assert demo.state_at(local(2026, 12, 25, 20, 15)).kind is PeriodKind.CLOSED


def test_christmas_eve_is_no_public_holiday_so_the_demo_closes_at_noon_by_special_hours(
        demo: BranchCalendar) -> None:
    day = demo.day(dt.date(2026, 12, 24))
    assert (day.source, day.note, day.holiday) == (DaySource.SPECIAL, "Juleaftensdag", None)
    assert demo.state_at(local(2026, 12, 24, 11, 59)).next_change == local(2026, 12, 24, 12, 0)
    assert demo.state_at(local(2026, 12, 24, 12, 0)).kind is PeriodKind.CLOSED


def test_holidays_may_have_hours_of_their_own() -> None:
    cal = calendar(holidays={"periods": ["10:00-16:00 unstaffed"]})
    state = cal.state_at(local(2026, 12, 25, 12, 0))
    assert (state.kind, state.period.end) == (PeriodKind.UNSTAFFED, local(2026, 12, 25, 16, 0))


def test_an_ad_hoc_closure_closes_the_whole_day_with_its_reason(demo: BranchCalendar) -> None:
    day = demo.day(dt.date(2026, 11, 13))
    assert (day.source, day.note) == (DaySource.CLOSURE, "Personaledag")
    assert demo.state_at(local(2026, 11, 13, 12, 0)).kind is PeriodKind.CLOSED
    assert demo.day(dt.date(2027, 2, 9)).note == "Ombygning af indgangen"
    assert demo.day(dt.date(2027, 2, 11)).source is DaySource.WEEK


def test_a_closure_wins_over_special_hours_and_keeps_the_holiday_name() -> None:
    cal = calendar(special=[{"date": "2026-12-25", "periods": ["10:00-12:00 staffed"]}],
                   closures=[{"date": "2026-12-25", "reason": "Vandskade"}])
    day = cal.day(dt.date(2026, 12, 25))
    assert (day.source, day.note, day.holiday) == (DaySource.CLOSURE, "Vandskade", "Juledag")


def test_special_hours_replace_the_week_and_move_the_events(demo: BranchCalendar) -> None:
    day = demo.day(dt.date(2026, 10, 9))  # Kulturnat: self-service until midnight
    assert (day.source, day.note) == (DaySource.SPECIAL, "Kulturnat")
    assert shown(list(day.events), EventKind.LAST_ENTRY) == ["23:45"]
    assert demo.state_at(local(2026, 10, 9, 23, 0)).next_change == local(2026, 10, 10, 0, 0)


def test_last_entry_announcements_and_cutoffs_come_before_closing(demo: BranchCalendar) -> None:
    events = demo.events_between(local(2026, 11, 25, 0, 0), local(2026, 11, 26, 0, 0))
    assert shown(events, EventKind.LAST_ENTRY) == ["21:45"]
    assert shown(events, EventKind.KIOSK_CUTOFF) == ["21:55"]
    assert shown(events, EventKind.PRINT_CUTOFF) == ["21:50"]
    closing = [e for e in events if e.kind is EventKind.ANNOUNCEMENT and e.next_kind is PeriodKind.CLOSED]
    assert [(f"{e.time.astimezone(CPH):%H:%M}", e.minutes_before) for e in closing] == [
        ("21:45", 15), ("21:50", 10), ("21:55", 5)]
    assert all(e.period.kind is PeriodKind.UNSTAFFED for e in closing)
    assert [e.time for e in events] == sorted(e.time for e in events)


def test_last_entry_has_passed_only_near_the_close_of_unstaffed_hours(demo: BranchCalendar) -> None:
    assert not demo.last_entry_passed(local(2026, 11, 25, 21, 44))
    assert demo.last_entry_passed(local(2026, 11, 25, 21, 45))
    assert demo.last_entry_passed(local(2026, 11, 25, 21, 59))
    assert not demo.last_entry_passed(local(2026, 11, 25, 18, 50))  # staffed hours end: no closing
    assert not demo.last_entry_passed(local(2026, 11, 25, 22, 5))  # closed: the calendar says so itself


def test_staffed_hours_ending_are_announced_but_unstaffed_to_staffed_is_not(demo: BranchCalendar) -> None:
    events = demo.events_between(local(2026, 11, 25, 0, 0), local(2026, 11, 26, 0, 0))
    handover = [e for e in events if e.kind is EventKind.ANNOUNCEMENT and e.next_kind is PeriodKind.UNSTAFFED]
    assert [f"{e.time.astimezone(CPH):%H:%M}" for e in handover] == ["18:45", "18:50", "18:55"]
    assert not [e for e in events if local(2026, 11, 25, 9, 0) <= e.time < local(2026, 11, 25, 10, 0)]


def test_announcement_minutes_and_last_entry_are_configurable() -> None:
    cal = calendar(events={"announcements_min": [30], "last_entry_min": 20})
    events = cal.events_between(local(2026, 11, 25, 19, 0), local(2026, 11, 25, 22, 0))
    assert shown(events, EventKind.ANNOUNCEMENT) == ["21:30"]
    assert shown(events, EventKind.LAST_ENTRY) == ["21:40"]


def test_lights_and_alarm_follow_opening_and_closing_with_their_offsets(demo: BranchCalendar) -> None:
    events = demo.events_between(local(2026, 11, 25, 0, 0), local(2026, 11, 26, 0, 0))
    relays = [(f"{e.time.astimezone(CPH):%H:%M}", e.output, e.output_on) for e in events if e.output]
    assert relays == [("06:55", "lights", True), ("06:55", "alarm", False),
                      ("22:05", "lights", False), ("22:15", "alarm", True)]


def test_a_closed_gap_shorter_than_the_offsets_leaves_that_relay_as_it_is() -> None:
    cal = calendar(week={"monday": ["07:00-12:00 unstaffed", "12:10-22:00 unstaffed"]},
                   alarm={"arm_after_closing_min": 15})
    events = cal.events_between(local(2026, 11, 23, 8, 0), local(2026, 11, 23, 13, 0))
    assert [e.kind for e in events if e.output] == [EventKind.LIGHTS_OFF, EventKind.LIGHTS_ON]
    assert shown(events, EventKind.LAST_ENTRY) == ["11:45"]


def test_the_day_summer_time_starts_has_right_instants_and_a_short_night(demo: BranchCalendar) -> None:
    day = demo.day(dt.date(2026, 3, 29))  # Sunday, 02:00 -> 03:00
    night, open_, evening = day.periods
    assert (night.start, night.end) == (utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 5, 0))
    assert night.duration == dt.timedelta(hours=6)
    assert (open_.start, open_.end) == (utc(2026, 3, 29, 5, 0), utc(2026, 3, 29, 20, 0))
    assert evening.end == utc(2026, 3, 29, 22, 0)
    assert demo.state_at(utc(2026, 3, 29, 1, 30)).period.duration == dt.timedelta(hours=8)  # Sat 22-Sun 07
    assert [e.time for e in day.events if e.kind is EventKind.LAST_ENTRY] == [utc(2026, 3, 29, 19, 45)]
    assert [e.time for e in day.events if e.kind is EventKind.LIGHTS_ON] == [utc(2026, 3, 29, 4, 55)]


def test_the_day_summer_time_ends_has_right_instants_and_a_long_night(demo: BranchCalendar) -> None:
    day = demo.day(dt.date(2026, 10, 25))  # Sunday, 03:00 -> 02:00
    night, open_, evening = day.periods
    assert (night.start, night.end) == (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 6, 0))
    assert night.duration == dt.timedelta(hours=8)
    assert (open_.start, open_.end) == (utc(2026, 10, 25, 6, 0), utc(2026, 10, 25, 21, 0))
    assert evening.duration == dt.timedelta(hours=2)
    assert sum((p.duration for p in day.periods), dt.timedelta()) == dt.timedelta(hours=25)
    assert demo.state_at(utc(2026, 10, 25, 1, 30)).period.duration == dt.timedelta(hours=10)
    assert [e.time for e in day.events if e.kind is EventKind.ALARM_ARMED] == [utc(2026, 10, 25, 21, 15)]


def test_wall_clock_times_inside_the_dst_gap_and_overlap_are_resolved() -> None:
    cal = calendar(special=[{"date": "2026-03-29", "periods": ["02:30-07:00 unstaffed"]},
                            {"date": "2026-10-25", "periods": ["02:30-07:00 unstaffed"]}])
    # 02:30 does not exist that night: it means the instant just after the gap, 03:00 CEST (not 03:30).
    assert cal.state_at(utc(2026, 3, 29, 3, 0)).period.start == utc(2026, 3, 29, 1, 0)
    assert cal.state_at(utc(2026, 10, 25, 3, 0)).period.start == utc(2026, 10, 25, 0, 30)  # first 02:30


def test_a_period_ending_in_the_spring_gap_ends_when_the_gap_does_and_gives_no_extra_time() -> None:
    periods = ["00:00-02:30 unstaffed", "03:00-22:00 staffed"]  # 02:00-03:00 does not exist that night
    cal = calendar(special=[{"date": "2027-03-28", "periods": periods}])
    night, day, _evening = cal.day(dt.date(2027, 3, 28)).periods
    assert (night.kind, night.end) == (PeriodKind.UNSTAFFED, utc(2027, 3, 28, 1, 0))  # 03:00 CEST, not 03:30
    assert (day.kind, day.start) == (PeriodKind.STAFFED, utc(2027, 3, 28, 1, 0))
    at_03_15 = cal.state_at(utc(2027, 3, 28, 1, 15))
    assert at_03_15.kind is PeriodKind.STAFFED and at_03_15.period == day
    assert night.duration == dt.timedelta(hours=2)  # 00:00 CET to 03:00 CEST: two real hours, no more


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_period_is_reported_with_the_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[branches.viby.week]\nmonday = ["07:00-10:00 unstafed"]\n')
    with pytest.raises(ConfigError) as error:
        load_calendar(path)
    assert str(path) in str(error.value)
    assert "branches.viby.week.monday.0: kind must be one of closed, staffed, unstaffed" in str(error.value)


@pytest.mark.parametrize(("toml", "message"), [
    ('[branches.viby.week]\nfriday = ["22:00-02:00 unstaffed"]\n',
     "branches.viby.week.friday.0: a period may not cross midnight"),
    ('[branches.viby.week]\nfriday = ["07:00-10:00 unstaffed", "09:00-12:00 staffed"]\n',
     "branches.viby.week.friday: periods 07:00-10:00 unstaffed and 09:00-12:00 staffed overlap"),
    ('[branches.viby]\nzone = "Europe/Kobenhavn"\n', "branches.viby.zone: not a known time zone"),
    ('[branches.viby.events]\nlast_entry = 15\n', "branches.viby.events.last_entry: unknown setting"),
    ('[[branches.viby.closures]]\nreason = "x"\n', "branches.viby.closures.0: give either date"),
])
def test_calendar_mistakes_name_their_key(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_calendar(write(tmp_path, toml))


def test_a_missing_file_and_an_unknown_branch_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="calendar file not found"):
        load_calendar(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"branches\.viby: no such branch \(known: hovedbiblioteket\)"):
        load_calendar(DEMO).branch("viby")


def test_the_cli_prints_the_demo_week_as_a_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--branch", BRANCH, "--week", "--from", "2026-12-21") == 0
    out = capsys.readouterr().out
    assert "uge 52 · 21. december 2026 – 27. december 2026 · Europe/Copenhagen" in out
    monday = out.split("mandag 21. december 2026\n")[1].split("\n\n")[0].splitlines()
    assert monday == [
        "  00.00–07.00  lukket",
        "  06.55        lys tændes (relæ lights)",
        "  06.55        alarm frakobles (relæ alarm)",
        "  07.00–10.00  selvbetjent",
        "  10.00–19.00  betjent",
        "  18.45        meddelelse: betjeningen slutter om 15 minutter",
        "  18.50        meddelelse: betjeningen slutter om 10 minutter",
        "  18.55        meddelelse: betjeningen slutter om 5 minutter",
        "  19.00–22.00  selvbetjent",
        "  21.45        sidste adgang (15 min før lukning)",
        "  21.45        meddelelse: biblioteket lukker om 15 minutter",
        "  21.50        meddelelse: biblioteket lukker om 10 minutter",
        "  21.50        udskrivning lukker (10 min før lukning)",
        "  21.55        meddelelse: biblioteket lukker om 5 minutter",
        "  21.55        kiosker lukker (5 min før lukning)",
        "  22.00–24.00  lukket",
        "  22.05        lys slukkes (relæ lights)",
        "  22.15        alarm tilkobles (relæ alarm)",
    ]
    assert "torsdag 24. december 2026 — særlige åbningstider: Juleaftensdag\n" in out
    assert "  10.00–12.00  betjent\n" in out
    assert "fredag 25. december 2026 — helligdag: Juledag\n  00.00–24.00  lukket\n" in out
    assert "lørdag 26. december 2026 — helligdag: Anden juledag\n" in out


def test_the_cli_prints_this_week_by_default_and_english_on_request(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--week", "--lang", "en", clock=ManualClock()) == 0  # Wednesday 25 November 2026
    out = capsys.readouterr().out
    assert "week 48 · 23 November 2026 – 29 November 2026" in out
    assert "Sunday 29 November 2026\n  00.00–07.00  closed\n" in out
    assert "  21.45        last entry (15 min before closing)\n" in out


def test_the_cli_marks_closures_and_dst_days(capsys: pytest.CaptureFixture[str]) -> None:
    cli("--week", "--from", "2026-11-13")
    out = capsys.readouterr().out
    assert "fredag 13. november 2026 — lukket: Personaledag\n  00.00–24.00  lukket\n" in out
    cli("--week", "--from", "2026-03-29", "--lang", "en")
    assert "Sunday 29 March 2026 — summer time begins\n" in capsys.readouterr().out


def test_the_cli_prints_json_with_local_times(capsys: pytest.CaptureFixture[str]) -> None:
    cli("--week", "--from", "2026-10-25", "--json")
    days = json.loads(capsys.readouterr().out)["days"]
    assert days[0]["periods"][1] == {"kind": "unstaffed", "start": "2026-10-25T07:00:00+01:00",
                                     "end": "2026-10-25T22:00:00+01:00"}
    last_entry = next(e for e in days[0]["events"] if e["kind"] == "last_entry")
    assert (last_entry["time"], last_entry["minutes_before"]) == ("2026-10-25T21:45:00+01:00", 15)


def test_the_cli_tells_the_state_at_a_time(capsys: pytest.CaptureFixture[str]) -> None:
    cli("--at", "2026-11-25T20:15")
    assert capsys.readouterr().out == "25.11.2026 20.15: selvbetjent 19.00–22.00, derefter lukket\n"
    cli("--at", "2026-11-25T23:15", "--lang", "en")
    assert capsys.readouterr().out == "25.11.2026 23.15: closed 22.00–26.11.2026 07.00, then unstaffed\n"
