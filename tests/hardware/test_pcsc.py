"""The PC/SC card reader against a real pcscd, its vpcd virtual reader and a virtual card."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hardware.cards.pcsc import PcscCardReader, PcscSettings
from hardware.cards.uid import (
    ByteOrder,
    MemoryNumberFormat,
    UidEncoding,
    UidFormat,
    card_number_from_memory,
    format_uid,
)
from kiosk.domain.model import Credential, CredentialKind, DeviceState
from tests.hardware.pcsc_fixtures import Pcscd
from tests.hardware.pcsc_fixtures import pcscd as pcscd
from tests.hardware.pcsc_fixtures import pcscd_daemon as pcscd_daemon
from tests.hardware.pcsc_fixtures import virtual_card as virtual_card
from tests.hardware.vpcd_card import DEFAULT_UID, VirtualCard, patron_card_memory

WAIT_S = 5.0  # pcscd polls a vpcd card ~3 times a second; recovery waits for the link's back-off
CardFactory = Callable[..., VirtualCard]


class Presentations:
    """Collects the credentials the reader reports, from its thread."""

    def __init__(self) -> None:
        self.credentials: list[Credential] = []
        self._changed = threading.Condition()

    def __call__(self, credential: Credential) -> None:
        with self._changed:
            self.credentials.append(credential)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = WAIT_S) -> list[Credential]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.credentials) >= count, timeout)
            return list(self.credentials)


def wait_for_state(reader: PcscCardReader, state: DeviceState, saying: str = "") -> str:
    """Waits until ``reader.health()`` reports ``state`` with ``saying`` in its detail; returns it."""
    deadline = time.monotonic() + WAIT_S
    while (health := reader.health()).state is not state or saying not in health.detail:
        assert time.monotonic() < deadline, f"still {health.state}: {health.detail}"
        time.sleep(0.05)
    return health.detail


@pytest.fixture
def make_reader(pcscd: Pcscd) -> Iterator[Callable[..., PcscCardReader]]:
    """Readers on the vpcd reader, with a short back-off so recovery tests stay quick."""
    made: list[PcscCardReader] = []

    def make(**settings: Any) -> PcscCardReader:
        options: dict[str, Any] = {"reader": pcscd.reader, "poll_s": 0.2, "backoff_s": (0.05, 0.2)}
        reader = PcscCardReader(PcscSettings(**{**options, **settings}))
        made.append(reader)
        return reader

    yield make
    for reader in made:
        reader.stop()


def watch(reader: PcscCardReader) -> Presentations:
    presentations = Presentations()
    reader.start(presentations)
    return presentations


# -- reading a card ---------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "expected"), [
    (UidFormat(), "78563412000104E0"),
    (UidFormat(byte_order=ByteOrder.REVERSED), "E004010012345678"),
    (UidFormat(byte_order=ByteOrder.REVERSED, encoding=UidEncoding.DECIMAL), str(0xE004010012345678)),
    (UidFormat(encoding=UidEncoding.DECIMAL), str(0x78563412000104E0)),
])
def test_a_presented_card_gives_its_uid_in_the_configured_form(
    make_reader: Callable[..., PcscCardReader], virtual_card: CardFactory, fmt: UidFormat, expected: str
) -> None:
    presentations = watch(make_reader(uid_format=fmt))
    card = virtual_card(uid=DEFAULT_UID).insert()

    assert presentations.wait_for(1) == [Credential(CredentialKind.CARD_UID, expected)]
    assert card.received() == [bytes.fromhex("FF CA 00 00 00")]


def test_a_card_resting_on_the_reader_is_reported_once(
    make_reader: Callable[..., PcscCardReader], virtual_card: CardFactory
) -> None:
    presentations = watch(make_reader())
    virtual_card().insert()
    presentations.wait_for(1)

    time.sleep(1.5)  # several pcscd presence polls and reader waits go by

    assert len(presentations.credentials) == 1


def test_taking_the_card_away_and_presenting_it_again_is_a_new_presentation(
    make_reader: Callable[..., PcscCardReader], virtual_card: CardFactory, pcscd: Pcscd
) -> None:
    presentations = watch(make_reader())
    card = virtual_card().insert()
    presentations.wait_for(1)

    card.remove()
    pcscd.wait_for_card(present=False)
    card.insert()

    assert [c.value for c in presentations.wait_for(2)] == ["78563412000104E0"] * 2


def test_a_card_already_on_the_reader_at_start_is_reported(
    make_reader: Callable[..., PcscCardReader], virtual_card: CardFactory, pcscd: Pcscd
) -> None:
    virtual_card().insert()
    pcscd.wait_for_card(present=True)

    presentations = watch(make_reader())

    assert len(presentations.wait_for(1)) == 1


def test_a_patron_card_number_is_read_from_the_iso15693_memory_blocks(
    make_reader: Callable[..., PcscCardReader], virtual_card: CardFactory
) -> None:
    presentations = watch(make_reader(memory_number=MemoryNumberFormat()))
    card = virtual_card(memory=patron_card_memory("1234567890")).insert()

    assert presentations.wait_for(1) == [Credential(CredentialKind.CARD_UID, "1234567890")]
    assert card.received() == [bytes([0xFF, 0xB0, 0x00, block, 0x04]) for block in range(5)]


@pytest.mark.parametrize(("card", "settings", "logged"), [
    ({"uid": None}, {}, "GET UID (FF CA 00 00 00) answered 6A81: function not supported"),
    ({"memory": None}, {"memory_number": MemoryNumberFormat()},
     "READ BLOCK 0 (FF B0 00 00 04) answered 6A81: function not supported"),
    ({"memory": patron_card_memory("12AB")}, {"memory_number": MemoryNumberFormat()},
     "the card's number field is not ASCII digits"),
], ids=["no-uid", "no-memory", "not-digits"])
def test_a_card_that_cannot_be_read_is_logged_and_the_next_card_still_works(
    make_reader: Callable[..., PcscCardReader], virtual_card: CardFactory, caplog: pytest.LogCaptureFixture,
    pcscd: Pcscd, card: dict[str, object], settings: dict[str, object], logged: str,
) -> None:
    reader = make_reader(**settings)
    presentations = watch(reader)
    with caplog.at_level(logging.WARNING, logger="hardware.cards.pcsc"):
        bad = virtual_card(**card).insert()
        deadline = time.monotonic() + WAIT_S
        while logged not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
        bad.remove()
        pcscd.wait_for_card(present=False)

    assert logged in caplog.text
    virtual_card(memory=patron_card_memory("1234567890")).insert()
    assert len(presentations.wait_for(1)) == 1
    assert presentations.credentials[0].value in ("78563412000104E0", "1234567890")
    assert reader.health().state is DeviceState.OK


def test_the_device_doctor_can_read_the_card_on_the_reader_now(
    make_reader: Callable[..., PcscCardReader], virtual_card: CardFactory, pcscd: Pcscd
) -> None:
    reader = make_reader(uid_format=UidFormat(byte_order=ByteOrder.REVERSED))
    assert reader.read_card() is None  # no card yet

    virtual_card().insert()
    pcscd.wait_for_card(present=True)

    assert reader.read_card() == Credential(CredentialKind.CARD_UID, "E004010012345678")


def test_an_unknown_command_gets_6d00_from_the_virtual_card() -> None:
    assert VirtualCard(0).answer(bytes.fromhex("00 A4 04 00 00")) == bytes.fromhex("6D 00")


def test_the_log_shows_at_most_the_last_two_digits_of_a_card(
    make_reader: Callable[..., PcscCardReader], virtual_card: CardFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        presentations = watch(make_reader(memory_number=MemoryNumberFormat()))
        virtual_card(memory=patron_card_memory("1234567890")).insert()
        presentations.wait_for(1)

    assert "card_uid:****90" in caplog.text
    assert "1234567890" not in caplog.text and "345678" not in caplog.text


# -- health and recovery ----------------------------------------------------------------------

def test_health_is_ok_when_pcscd_answers_and_the_reader_is_there(
    make_reader: Callable[..., PcscCardReader]
) -> None:
    assert make_reader().health().state is DeviceState.OK
    assert make_reader(reader="").health().state is DeviceState.OK  # the first reader


def test_a_reader_name_that_matches_no_reader_is_unavailable_and_names_the_readers_present(
    make_reader: Callable[..., PcscCardReader], pcscd: Pcscd
) -> None:
    health = make_reader(reader="ACR122").health()

    assert health.state is DeviceState.UNAVAILABLE
    assert "no reader matching 'ACR122'" in health.detail and pcscd.reader in health.detail


def test_pcscd_not_running_is_unavailable_with_a_detail_that_says_so(
    make_reader: Callable[..., PcscCardReader], pcscd: Pcscd
) -> None:
    pcscd.require_control()
    reader = make_reader()
    assert reader.health().state is DeviceState.OK
    pcscd.stop()

    health = reader.health()

    assert health.state is DeviceState.UNAVAILABLE
    assert "pcscd" in health.detail  # "lost the connection": the context it held died with pcscd
    wait_for_state(reader, DeviceState.UNAVAILABLE, saying="the PC/SC service (pcscd) is not running")
    pcscd.start()
    wait_for_state(reader, DeviceState.OK)


def test_the_reader_finds_pcscd_again_by_itself_after_pcscd_stops_and_starts(
    make_reader: Callable[..., PcscCardReader], virtual_card: CardFactory, pcscd: Pcscd
) -> None:
    pcscd.require_control()
    reader = make_reader()
    presentations = watch(reader)
    wait_for_state(reader, DeviceState.OK)

    pcscd.stop()
    wait_for_state(reader, DeviceState.UNAVAILABLE, saying="the PC/SC service (pcscd) is not running")
    pcscd.start()
    wait_for_state(reader, DeviceState.OK)
    virtual_card().insert()

    assert len(presentations.wait_for(1)) == 1


def test_an_unplugged_reader_is_unavailable_and_found_again_when_it_is_back(
    make_reader: Callable[..., PcscCardReader], virtual_card: CardFactory, pcscd: Pcscd
) -> None:
    pcscd.require_control()
    reader = make_reader()
    presentations = watch(reader)
    wait_for_state(reader, DeviceState.OK)

    pcscd.restart(with_reader=False)  # vpcd readers come from the config: no reader = unplugged
    wait_for_state(reader, DeviceState.UNAVAILABLE, saying="no card reader is connected")
    pcscd.restart(with_reader=True)
    wait_for_state(reader, DeviceState.OK)
    virtual_card().insert()

    assert len(presentations.wait_for(1)) == 1


def test_a_stopped_reader_reports_nothing_more(
    make_reader: Callable[..., PcscCardReader], virtual_card: CardFactory
) -> None:
    reader = make_reader()
    presentations = watch(reader)
    reader.stop()

    virtual_card().insert()
    time.sleep(1.0)

    assert presentations.credentials == []


# -- the identifier forms, without a reader ---------------------------------------------------

def test_a_uid_can_be_padded_and_prefixed_for_the_lms() -> None:
    fmt = UidFormat(byte_order=ByteOrder.REVERSED, encoding=UidEncoding.DECIMAL, pad_to=12, prefix="K")

    assert format_uid(bytes.fromhex("01020304"), fmt) == "K000067305985"


def test_an_empty_number_field_in_card_memory_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        card_number_from_memory(bytes(20))


def test_settings_choose_the_card_number_from_memory() -> None:
    from hardware.cards.pcsc import PcscSettings
    from kiosk.settings import CardReaderSettings

    assert PcscSettings.from_settings(CardReaderSettings(kind="pcsc")).memory_number is None
    memory = PcscSettings.from_settings(CardReaderSettings(kind="pcsc", number_source="memory",
                                                          memory_first_block=1)).memory_number
    assert memory is not None and (memory.first_block, memory.offset, memory.length) == (1, 3, 16)
