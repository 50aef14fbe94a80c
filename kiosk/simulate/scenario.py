"""Scenario files for ``library-kiosk simulate``: read, validated once, into frozen values.

A scenario is TOML: ``name``, ``lms`` (a seed file), ``language`` and a list of ``[[step]]`` tables,
each with ``do`` naming what happens and that step's fields; docs/scenarios.md describes them all.
Every problem is a :class:`ScenarioError` naming the file, the step (counted from 1) and the key, in
the style of :mod:`kiosk.settings`: ``borrow.toml: step 3 (place): colour: unknown key``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator
from pydantic.dataclasses import dataclass

from kiosk.circulation.results import JournalOutcome, Outcome
from kiosk.domain.errors import ConfigError
from kiosk.session.service import Screen
from kiosk.settings.base import is_secret
from kiosk.settings.tomlfile import read_toml
from kiosk.simulate.scenario_door import (
    DOOR_ACTIONS,
    DOOR_EXPECTATIONS,
    DoorContact,
    ExitButton,
    ExpectAlarm,
    ExpectDoor,
    ExpectEntry,
)
from kiosk.simulate.scenario_restart import RESTART_ACTIONS, RESTART_EXPECTATIONS, ExpectTag, RestartKiosk
from kiosk.simulate.scenario_speech import (
    SPEECH_ACTIONS,
    SPEECH_EXPECTATIONS,
    ExpectSpoken,
    Headset,
    Key,
    KeyTo,
)
from kiosk.store import JournalState
from kiosk.texts import Language

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
# SIP2 commands by the names a scenario may use, and their request codes.
COMMANDS = {
    "checkout": "11", "checkin": "09", "renew": "29", "renew_all": "65", "patron_status": "23",
    "patron_information": "63", "end_session": "35", "fee_paid": "37", "item_information": "17",
    "hold": "15", "block_patron": "01", "status": "99",
}
JOURNAL_STATES = (JournalState.PENDING, JournalState.DONE, JournalState.FAILED, JournalState.SENT,
                  JournalOutcome.COMPENSATED, JournalOutcome.NEEDS_ATTENTION, JournalState.OFFLINE,
                  JournalState.REPLAYING, JournalState.REPLAY_REJECTED)
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class ScenarioError(ConfigError):
    """A scenario file is missing, not TOML, or says something a scenario cannot mean."""


def _one_of(value: object, *names: str) -> None:
    given = [n for n in names if getattr(value, n) not in (None, (), False)]
    if len(given) != 1:
        raise ValueError(f"give exactly one of {', '.join(names)}" + (f" (got {', '.join(given)})"
                                                                      if given else ""))
    if getattr(value, "parts", ()) and getattr(value, "item", None) is None:
        raise ValueError("parts: only with item")


# -- the devices ---------------------------------------------------------------------------------
@dataclass(config=_STRICT)
class PresentCard:
    """A credential at the kiosk: a seed patron's card (1 = the first), or a given value."""

    patron: int | None = Field(default=None, ge=1)
    card: str | None = Field(default=None, min_length=1)  # card UID on the card reader
    barcode: str | None = Field(default=None, min_length=1)  # library card on the scanner
    cpr: str | None = Field(default=None, pattern=r"^[0-9]{10}$", repr=False)  # health card

    @model_validator(mode="after")
    def _exactly_one(self) -> PresentCard:
        _one_of(self, "patron", "card", "barcode", "cpr")
        return self


@dataclass(config=_STRICT)
class TypePin:
    """Digits pressed on the window's keypad, then OK. Without ``pin``: the presented patron's."""

    pin: str | None = Field(default=None, pattern=r"^[0-9]{0,12}$", repr=False)


@dataclass(config=_STRICT)
class TagData:
    """A tag given by its content rather than taken from the seed's demo tags."""

    uid: str = Field(min_length=1)
    item: str = ""  # empty: a tag whose data cannot be read
    part: int = Field(default=1, ge=1)
    parts_in_set: int = Field(default=1, ge=1)
    owner: str = ""
    secured: bool = True


@dataclass(config=_STRICT)
class Place:
    """Items put on the pad: one item (some of its ``parts``), several items, or explicit tags."""

    item: str | None = Field(default=None, min_length=1)
    parts: tuple[int, ...] = Field(default=(), strict=False)
    items: tuple[str, ...] = Field(default=(), strict=False)
    tags: tuple[TagData, ...] = Field(default=(), strict=False)

    @model_validator(mode="after")
    def _what(self) -> Place:
        _one_of(self, "item", "items", "tags")
        return self


@dataclass(config=_STRICT)
class Remove:
    """Items taken off the pad: like ``place``, by tag ``uids``, or ``all = true``."""

    item: str | None = Field(default=None, min_length=1)
    parts: tuple[int, ...] = Field(default=(), strict=False)
    items: tuple[str, ...] = Field(default=(), strict=False)
    uids: tuple[str, ...] = Field(default=(), strict=False)
    all: bool = False

    @model_validator(mode="after")
    def _what(self) -> Remove:
        _one_of(self, "item", "items", "uids", "all")
        return self


@dataclass(config=_STRICT)
class FailSecurity:
    """From now on, writing the security of these tags fails (the tag keeps its old state)."""

    item: str | None = Field(default=None, min_length=1)
    parts: tuple[int, ...] = Field(default=(), strict=False)
    uids: tuple[str, ...] = Field(default=(), strict=False)

    @model_validator(mode="after")
    def _what(self) -> FailSecurity:
        _one_of(self, "item", "uids")
        return self


# -- the window ----------------------------------------------------------------------------------
@dataclass(config=_STRICT)
class Press:
    """The visible button whose text is exactly ``button``; ``nth`` picks among several."""

    button: str = Field(min_length=1)
    nth: int | None = Field(default=None, ge=1)


@dataclass(config=_STRICT)
class ChooseLanguage:
    language: Language


# -- time and the LMS ----------------------------------------------------------------------------
@dataclass(config=_STRICT)
class Wait:
    """Real seconds in which Qt and the core handle whatever comes."""

    seconds: float = Field(ge=0, le=60)


@dataclass(config=_STRICT)
class Advance:
    """The kiosk's clock moves on, a second at a time, with a tick each (idle timeouts)."""

    seconds: float = Field(gt=0, le=86_400)


@dataclass(config=_STRICT)
class RestartLms:
    """The LMS emulator (stopped, or running) listens again on its port, with the loans it had."""


@dataclass(config=_STRICT)
class StopLms:
    """The LMS emulator stops: now, or once it has applied ``after_transactions`` more requests."""

    after_transactions: int | None = Field(default=None, ge=1)


@dataclass(config=_STRICT)
class LmsQuirks:
    """Make the LMS emulator misbehave from now on (see sync/sip2/emulator_quirks.py)."""

    delay: float | None = Field(default=None, ge=0, le=60)
    drop_after: int | None = Field(default=None, ge=1)
    garbage_every: int | None = Field(default=None, ge=1)
    no_reply_commands: tuple[str, ...] | None = Field(default=None, strict=False)
    lost_reply_commands: tuple[str, ...] | None = Field(default=None, strict=False)
    crlf: bool | None = None
    error_detection: bool | None = None

    @model_validator(mode="after")
    def _some(self) -> LmsQuirks:
        if not self.changes():
            raise ValueError("name at least one quirk")
        return self

    def changes(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if value is not None:
                result[spec.name] = frozenset(value) if isinstance(value, tuple) else value
        return result


# -- expectations --------------------------------------------------------------------------------
@dataclass(config=_STRICT)
class ExpectScreen:
    screen: Screen = Field(strict=False)


@dataclass(config=_STRICT)
class ExpectText:
    """``text`` is (or with ``present = false`` is not) part of a text visible on the window."""

    text: str = Field(min_length=1)
    present: bool = True


@dataclass(config=_STRICT)
class ExpectItem:
    """The latest outcome shown for the item (kept after the visit ends)."""

    item: str = Field(min_length=1)
    outcome: Outcome = Field(strict=False)


@dataclass(config=_STRICT)
class ExpectTransaction:
    """The LMS emulator applied a request like this; ``count`` asks for exactly that many."""

    command: str
    item: str | None = None
    ok: bool | None = None
    count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _known(self) -> ExpectTransaction:
        if self.command not in COMMANDS and self.command not in COMMANDS.values():
            raise ValueError(f"command: unknown SIP2 command {self.command!r}; use one of "
                             f"{', '.join(COMMANDS)} or a two-digit code")
        return self

    @property
    def code(self) -> str:
        return COMMANDS.get(self.command, self.command)


@dataclass(config=_STRICT)
class ExpectReceipt:
    """A printed receipt contains ``contains``; ``count`` asks for exactly that many receipts."""

    contains: str | None = Field(default=None, min_length=1)
    count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _some(self) -> ExpectReceipt:
        if self.contains is None and self.count is None:
            raise ValueError("give contains, count or both")
        return self


@dataclass(config=_STRICT)
class ExpectJournal:
    """Exactly ``count`` journal rows are in ``state``."""

    state: str
    count: int = Field(ge=0)

    @model_validator(mode="after")
    def _known(self) -> ExpectJournal:
        if self.state not in JOURNAL_STATES:
            raise ValueError(f"state: unknown journal state {self.state!r}; use one of "
                             f"{', '.join(JOURNAL_STATES)}")
        return self


Action = (PresentCard | TypePin | Place | Remove | FailSecurity | Press | ChooseLanguage | Wait | Advance
          | StopLms | RestartLms | LmsQuirks | ExpectScreen | ExpectText | ExpectItem | ExpectTransaction
          | ExpectReceipt | ExpectJournal | DoorContact | ExitButton | ExpectEntry | ExpectDoor | ExpectAlarm
          | RestartKiosk | ExpectTag | Headset | Key | KeyTo | ExpectSpoken)

ACTIONS: dict[str, type[Any]] = {
    "present_card": PresentCard, "type_pin": TypePin, "place": Place, "remove": Remove,
    "fail_security": FailSecurity, "press": Press, "language": ChooseLanguage, "wait": Wait,
    "advance": Advance, "stop_lms": StopLms, "restart_lms": RestartLms, "lms_quirks": LmsQuirks,
    "expect_screen": ExpectScreen, "expect_text": ExpectText, "expect_item": ExpectItem,
    "expect_transaction": ExpectTransaction,
    "expect_receipt": ExpectReceipt, "expect_journal": ExpectJournal, **DOOR_ACTIONS, **RESTART_ACTIONS,
    **SPEECH_ACTIONS,
}
EXPECTATIONS = (ExpectScreen, ExpectText, ExpectItem, ExpectTransaction, ExpectReceipt, ExpectJournal,
                *DOOR_EXPECTATIONS, *RESTART_EXPECTATIONS, *SPEECH_EXPECTATIONS)
EMULATOR_ONLY = (StopLms, RestartLms, LmsQuirks, ExpectTransaction)


@dataclasses.dataclass(frozen=True)
class Step:
    """One step: what it does (None: only a screenshot), counted from 1 as the file reads."""

    number: int
    do: str
    action: Action | None
    screenshot: str | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    description: str = ""
    lms: Path | None = None  # the emulator's seed; None: the demo's
    language: Language | None = None
    source: Path | None = None
    terminal: Literal["kiosk", "door"] = "kiosk"  # "door": the demo entrance panel
    start: dt.datetime | None = None  # the clock's start, local time at the branch; None: the default
    central: bool = False  # run with the built-in central system emulator (its access list, cached decisions)

    def emulator_steps(self) -> tuple[Step, ...]:
        """The steps that need the built-in LMS emulator (not possible against ``--sip2``)."""
        return tuple(s for s in self.steps if isinstance(s.action, EMULATOR_ONLY))


@dataclass(config=_STRICT)
class _Header:
    name: str = ""
    description: str = ""
    lms: str | None = Field(default=None, min_length=1)
    language: Language | None = None
    terminal: Literal["kiosk", "door"] = "kiosk"
    start: dt.datetime | None = None
    central: bool = False


def _describe(error: Any, where: str) -> str:
    key = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        return f"{where}{key}: unknown key"
    if kind in ("missing", "missing_argument"):
        return f"{where}{key}: required key is missing"
    value = error.get("input")
    shown = "" if isinstance(value, dict) or not key or is_secret(key) else f" (got {value!r})"
    message = str(error["msg"]).removeprefix("Value error, ").replace("valid tuple", "valid array")
    return f"{where}{key + ': ' if key else ''}{message}{shown}"


def _problems(exc: ValidationError, where: str) -> str:
    return "; ".join(_describe(e, where) for e in exc.errors())


def _parse_step(number: int, table: object) -> Step:
    where = f"step {number}: "
    if not isinstance(table, dict):
        raise ValueError(f"{where}must be a table ([[step]])")
    table = dict(table)
    do, screenshot, note = table.pop("do", None), table.pop("screenshot", None), table.pop("note", "")
    if screenshot is not None and not (isinstance(screenshot, str) and re.match(_NAME, screenshot)):
        raise ValueError(f"{where}screenshot: a file name of letters, digits, '.', '_' and '-' "
                         f"(got {screenshot!r})")
    if not isinstance(note, str):
        raise ValueError(f"{where}note: must be text (got {note!r})")
    if do is None:
        if screenshot is None:
            raise ValueError(f"{where}do: required key is missing")
        if table:
            raise ValueError(f"{where}{sorted(table)[0]}: unknown key (a step without do only "
                             "takes a screenshot)")
        return Step(number, "screenshot", None, screenshot, note)
    if not isinstance(do, str):
        raise ValueError(f"{where}do: the name of a step, in quotes (got {do!r})")
    if do not in ACTIONS:
        raise ValueError(f"{where}do: unknown step {do!r}; use one of {', '.join(ACTIONS)}")
    prefix = f"step {number} ({do}): "
    if do == "place" and isinstance(table.get("tags"), list):
        table["tags"] = tuple(_tag(f"{prefix}tags[{index}].", tag)
                              for index, tag in enumerate(table["tags"], start=1))
    try:
        action = ACTIONS[do](**table)
    except ValidationError as exc:
        raise ValueError(_problems(exc, prefix)) from None
    return Step(number, do, action, screenshot, note)


def _tag(where: str, table: object) -> TagData:
    if not isinstance(table, dict):
        raise ValueError(f"{where.rstrip('.')}: must be a table {{uid = ..., item = ...}}")
    try:
        return TagData(**table)
    except ValidationError as exc:
        raise ValueError(_problems(exc, where)) from None


def parse_scenario(data: dict[str, Any], source: Path | None = None) -> Scenario:
    """Validate parsed TOML. ``lms`` is resolved against ``source``'s folder."""
    where = source.name if source is not None else "<scenario>"
    data = dict(data)
    steps = data.pop("step", None)
    try:
        header = _Header(**data)
    except ValidationError as exc:
        raise ScenarioError(f"{where}: {_problems(exc, '')}") from None
    if not isinstance(steps, list) or not steps:
        raise ScenarioError(f"{where}: step: a scenario needs at least one [[step]]")
    try:
        parsed = tuple(_parse_step(number, table) for number, table in enumerate(steps, start=1))
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    lms = None
    if header.lms is not None:
        try:
            lms = Path(header.lms).expanduser()
        except RuntimeError:  # "~nosuchuser/x"
            raise ScenarioError(f"{where}: lms: {header.lms!r}: there is no such user, so no home folder"
                                ) from None
        if not lms.is_absolute() and source is not None:
            lms = source.resolve().parent / lms
    name = header.name or (source.stem if source is not None else "scenario")
    return Scenario(name=name, steps=parsed, description=header.description, lms=lms,
                    language=header.language, source=source, terminal=header.terminal,
                    start=header.start, central=header.central)


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file. Every problem is a :class:`ScenarioError` naming it."""
    return parse_scenario(read_toml(path, "scenario", ScenarioError, label=path.name), path)
