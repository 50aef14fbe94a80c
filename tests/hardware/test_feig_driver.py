"""The FEIG pad driver against the simulator on the far end of a real pty, frames checked byte for byte."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence

import pytest

from hardware.rfid import feig_protocol as fp
from hardware.rfid.feig import FeigReader, FeigSettings, NoAnswer, TagError
from hardware.rfid.feig_sim import FeigSimulator, VirtualTag
from kiosk.domain.errors import DeviceError, DeviceUnavailable
from kiosk.domain.model import DeviceState, SecurityState, Tag
from kiosk.settings import RfidPadSettings
from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WAIT_S = 10.0


def uid(n: int) -> str:
    return f"E0040100{n:08X}"


def memory(item_id: str, blocks: int = 8) -> bytearray:
    """A circulating item in the Danish basic-block layout (CRC not needed by the test decoder)."""
    data = bytes([0x11, 1, 1]) + item_id.encode().ljust(16, b"\0") + b"\0\0DK775100"
    return bytearray(data.ljust(blocks * 4, b"\0")[:blocks * 4])


def decode(uid: str, data: bytes, security: SecurityState) -> Tag:
    """Test decoder: the item id from bytes 3-18; raises on anything but ASCII, as a bad tag would."""
    if data[0] != 0x11:
        raise ValueError("not a library tag")
    return Tag(uid=uid, item_id=data[3:19].rstrip(b"\0").decode("ascii"), owner_library="DK-775100",
               security=security)


def book(n: int, **kwargs: object) -> VirtualTag:
    return VirtualTag(uid(n), memory(f"50123456{n:02d}"), **kwargs)  # type: ignore[arg-type]


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def pad(pty_pair: PtyPair) -> Iterator[FeigSimulator]:
    """The simulated reader; at the end, every frame it received must have been well formed."""
    simulator = FeigSimulator(pty_pair.simulator, max_per_inventory=4).start()
    yield simulator
    simulator.stop()
    assert simulator.violations == []


def make_reader(pty_pair: PtyPair, **settings: object) -> FeigReader:
    options: dict[str, object] = {"timeout_s": 0.3, "poll_interval_s": 0.05, **settings}
    return FeigReader(FeigSettings(port=str(pty_pair.device), **options), decode_tag=decode)  # type: ignore[arg-type]


@pytest.fixture
def reader(pty_pair: PtyPair, pad: FeigSimulator) -> Iterator[FeigReader]:
    r = make_reader(pty_pair)
    yield r
    r.stop()


def sent(pad: FeigSimulator, command: int) -> list[bytes]:
    return [f for f in pad.received if len(f) > 3 and f[3] == command]


def test_one_tag_is_read_with_its_item_id_and_security(reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(book(1))

    assert reader.inventory() == [Tag(uid(1), "5012345601", "DK-775100", security=SecurityState.SECURED)]
    uid_bytes = bytes.fromhex(uid(1))
    assert pad.received == [
        bytes.fromhex("07FFB001001C56"),
        fp.encode_request(fp.ReadBlocks(uid_bytes, 0, 8)),
        fp.encode_request(fp.GetSystemInfo(uid_bytes)),
    ]


def test_an_empty_pad_has_no_tags(reader: FeigReader, pad: FeigSimulator) -> None:
    assert reader.inventory() == []
    assert pad.received == [bytes.fromhex("07FFB001001C56")]


def test_a_stack_of_ten_is_inventoried_across_more_data_answers(
        reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(*(book(n) for n in range(10)))

    tags = reader.inventory()

    assert [t.item_id for t in tags] == [f"50123456{n:02d}" for n in range(10)]
    assert [f[3:5] for f in sent(pad, fp.IsoCommand.INVENTORY)] == [b"\x01\x00", b"\x01\x80", b"\x01\x80"]


def test_tags_already_read_are_not_read_again_until_they_leave(
        reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(book(1))
    reader.inventory()
    reader.inventory()
    assert len(sent(pad, fp.IsoCommand.READ_MULTIPLE_BLOCKS)) == 1
    pad.remove(uid(1))
    assert reader.inventory() == []
    pad.place(book(1))
    reader.inventory()
    assert len(sent(pad, fp.IsoCommand.READ_MULTIPLE_BLOCKS)) == 2


def test_each_tag_s_blocks_read_back_in_memory_order(reader: FeigReader, pad: FeigSimulator) -> None:
    books = [book(n) for n in range(10)]
    pad.place(*books)
    for b in books:
        assert reader.read_blocks(b.uid, 0, 8) == bytes(b.memory)
        assert reader.read_blocks(b.uid, 3, 2) == bytes(b.memory[12:20])


def test_a_long_read_is_split_into_reads_of_at_most_128_bytes(reader: FeigReader, pad: FeigSimulator) -> None:
    big = VirtualTag(uid(7), bytearray(range(200)) + bytearray(56))
    pad.place(big)
    assert reader.read_blocks(big.uid, 0, 64) == bytes(big.memory)
    assert [f[-4:-2] for f in sent(pad, fp.IsoCommand.READ_MULTIPLE_BLOCKS)] == [b"\x00\x20", b"\x20\x20"]


def test_written_blocks_go_out_reversed_and_land_in_memory_order(
        reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(book(1))
    reader.write_blocks(uid(1), 2, bytes.fromhex("0102030405060708"))
    assert pad.tag(uid(1)).memory[8:16] == bytes.fromhex("0102030405060708")
    assert sent(pad, fp.IsoCommand.WRITE_MULTIPLE_BLOCKS)[0][-10:-2] == bytes.fromhex("0403020108070605")


def test_security_flips_both_ways_on_all_ten_tags(reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(*(book(n) for n in range(10)))
    tags = reader.inventory()
    for tag in tags:
        assert reader.write_security(tag.uid, SecurityState.UNSECURED) is SecurityState.UNSECURED
        assert pad.tag(tag.uid).afi == 0xC2
    assert {t.security for t in reader.inventory()} == {SecurityState.UNSECURED}
    for tag in tags:
        assert reader.write_security(tag.uid, SecurityState.SECURED) is SecurityState.SECURED
        assert reader.read_afi(tag.uid) == pad.tag(tag.uid).afi == 0x07


def test_eas_mode_sets_and_clears_the_eas_bit(pty_pair: PtyPair, pad: FeigSimulator) -> None:
    reader = make_reader(pty_pair, security="eas")
    pad.place(book(1), book(2))
    assert reader.write_security(uid(1), SecurityState.SECURED) is SecurityState.SECURED
    assert pad.tag(uid(1)).eas and reader.eas_alarm()
    assert reader.write_security(uid(1), SecurityState.UNSECURED) is SecurityState.UNSECURED
    assert not pad.tag(uid(1)).eas and not reader.eas_alarm()
    assert sent(pad, fp.IsoCommand.INVENTORY) == []
    assert pad.received[0] == fp.encode_request(fp.NxpEas(fp.NxpCommand.SET_EAS, bytes.fromhex(uid(1))))
    reader.stop()


def test_a_refused_write_shows_in_the_state_read_back(reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(book(1))
    pad.fail_writes.add(uid(1))

    assert reader.write_security(uid(1), SecurityState.UNSECURED) is SecurityState.SECURED
    with pytest.raises(TagError, match="0x03 write error") as refused:
        reader.write_afi(uid(1), 0xC2)
    assert refused.value.status == fp.Status.WRITE_ERROR


def test_a_locked_tag_reports_the_iso_error(reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(book(1, locked=True))
    with pytest.raises(TagError, match="tag error 0x12") as locked:
        reader.write_blocks(uid(1), 0, b"\0\0\0\0")
    assert locked.value.iso_error == fp.IsoError.LOCKED


def test_a_tag_gone_from_the_pad_is_no_transponder(reader: FeigReader) -> None:
    with pytest.raises(TagError) as gone:
        reader.write_security(uid(9), SecurityState.SECURED)
    assert gone.value.status == fp.Status.NO_TRANSPONDER


def test_unreadable_and_undecodable_tags_come_with_an_empty_item_id(
        reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(VirtualTag(uid(1), memory("1", blocks=4)), VirtualTag(uid(2), bytearray(32)), book(3))
    tags = {t.uid: t for t in reader.inventory()}
    assert tags[uid(1)].item_id == "" and tags[uid(1)].security is SecurityState.UNKNOWN  # too small to read
    assert tags[uid(2)].item_id == "" and tags[uid(2)].security is SecurityState.SECURED  # not library data
    assert tags[uid(3)].item_id == "5012345603"


def test_an_rf_error_is_reported_and_the_pad_recovers(reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(book(1))
    pad.rf_error = True
    with pytest.raises(TagError, match="0x83") as rf:
        reader.inventory()
    assert rf.value.status == fp.Status.RF_COMMUNICATION_ERROR
    health = reader.health()
    assert health.state is DeviceState.DEGRADED and "RF communication" in health.detail
    pad.rf_error = False
    assert [t.uid for t in reader.inventory()] == [uid(1)]
    assert reader.health().state is DeviceState.OK


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"\x00\x13\x37\xff\xfe", "too short"),
        (bytes.fromhex("06FFB0000000"), "CRC mismatch"),
        (fp.Reply(0, 0x65, 0).encode(), "does not belong"),
    ],
)
def test_garbage_from_the_reader_is_a_clean_error_and_the_next_command_works(
        reader: FeigReader, pad: FeigSimulator, answer: bytes, message: str) -> None:
    pad.place(book(1))
    pad.answer_next_with(answer)
    with pytest.raises(fp.FeigProtocolError, match=message):
        reader.inventory()
    assert reader.health().state is DeviceState.DEGRADED
    assert [t.item_id for t in reader.inventory()] == ["5012345601"]
    assert reader.health().state is DeviceState.OK


def test_a_cut_off_answer_is_a_clean_error_and_the_next_command_works(
        reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(book(1))
    pad.cut_next_answer()
    with pytest.raises(DeviceError, match="cut off"):
        reader.inventory()
    assert [t.uid for t in reader.inventory()] == [uid(1)]


def test_a_silent_reader_is_unavailable_until_it_answers_again(
        reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(book(1))
    pad.delay_s = 0.6
    with pytest.raises(NoAnswer):
        reader.inventory()
    health = reader.health()
    assert health.state is DeviceState.UNAVAILABLE and "no answer" in health.detail
    wait_for(lambda: pad.answered == 1, "the late answer")
    pad.delay_s = 0.0
    assert [t.uid for t in reader.inventory()] == [uid(1)]  # the late answer was not taken for this one
    assert reader.health().state is DeviceState.OK


def test_a_reader_on_another_bus_address_does_not_answer(pty_pair: PtyPair, pad: FeigSimulator) -> None:
    reader = make_reader(pty_pair, address=0x05)
    with pytest.raises(NoAnswer):
        reader.inventory()
    assert pad.violations == ["frame for bus address 5, this reader is 0"]
    pad.violations.clear()
    reader.stop()


def test_advanced_frames_both_ways(pty_pair: PtyPair, pad: FeigSimulator) -> None:
    reader = make_reader(pty_pair, advanced_frames=True)
    pad.max_per_inventory = 30
    pad.place(*(book(n) for n in range(26)))  # 26 data sets need 268 bytes: too long for LEN
    assert len(reader.inventory()) == 26
    assert pad.received[0] == bytes.fromhex("020009FFB001001843")
    reader.stop()


def test_the_poll_thread_reports_tags_placed_and_removed(reader: FeigReader, pad: FeigSimulator) -> None:
    reports: queue.Queue[Sequence[Tag]] = queue.Queue()
    reader.start(reports.put)
    assert reports.get(timeout=WAIT_S) == []
    pad.place(book(1), book(2))
    assert sorted(t.item_id for t in reports.get(timeout=WAIT_S)) == ["5012345601", "5012345602"]
    pad.remove(uid(1))
    assert [t.item_id for t in reports.get(timeout=WAIT_S)] == ["5012345602"]
    time.sleep(0.3)
    assert reports.empty()  # nothing changed, nothing reported


def test_unplug_makes_the_pad_unavailable_and_replug_brings_it_back(
        pty_pair: PtyPair, reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(book(1))
    reports: queue.Queue[Sequence[Tag]] = queue.Queue()
    reader.start(reports.put)
    assert [t.uid for t in reports.get(timeout=WAIT_S)] == [uid(1)]

    pty_pair.unplug()
    wait_for(lambda: reader.health().state is DeviceState.UNAVAILABLE, "UNAVAILABLE")
    with pytest.raises(DeviceUnavailable):
        reader.inventory()
    wait_for(lambda: str(pty_pair.device) in reader.health().detail, "a detail naming the port")
    pad.remove(uid(1))
    pad.place(book(2))

    pty_pair.replug()
    assert [t.uid for t in reports.get(timeout=WAIT_S)] == [uid(2)]
    assert reader.health().state is DeviceState.OK


def test_the_simulator_runs_as_a_command(pty_pair: PtyPair) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hardware.rfid.feig_sim", "--port", str(pty_pair.simulator),
         "--tag", f"{uid(1)}:{memory('5012345601').hex()}:C2"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    reader = make_reader(pty_pair)
    try:
        wait_for(lambda: _inventory_or_none(reader) is not None, "the simulator to answer")
        expected = Tag(uid(1), "5012345601", "DK-775100", security=SecurityState.UNSECURED)
        assert reader.inventory() == [expected]
    finally:
        reader.stop()
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=WAIT_S)
    assert process.returncode == 0


def _inventory_or_none(reader: FeigReader) -> list[Tag] | None:
    try:
        return reader.inventory()
    except DeviceError:
        return None


def test_security_written_shows_in_the_next_inventory_without_rereading(
        reader: FeigReader, pad: FeigSimulator) -> None:
    pad.place(book(1))
    reader.inventory()
    reader.write_security(uid(1), SecurityState.UNSECURED)
    assert [t.security for t in reader.inventory()] == [SecurityState.UNSECURED]
    assert len(sent(pad, fp.IsoCommand.READ_MULTIPLE_BLOCKS)) == 1


def test_settings_come_from_the_rfid_pad_section() -> None:
    pad = RfidPadSettings(kind="feig", port="/dev/ttyUSB3", address=2, security="eas", user_blocks=9)
    settings = FeigSettings.from_pad_settings(pad)
    assert (settings.port, settings.address, settings.security, settings.user_blocks) == (
        "/dev/ttyUSB3", 2, "eas", 9)
    assert (settings.baudrate, settings.afi_secured, settings.afi_unsecured) == (38400, 0x07, 0xC2)


def test_a_danish_tag_decodes_through_the_real_tag_data_codec(pty_pair: PtyPair, pad: FeigSimulator) -> None:
    from hardware.rfid.tagdata import decode_tag_data

    # The worked example of research/hardware.md §1.1: barcode 5012345678, 1 of 1, DK-775100.
    danish = bytes.fromhex("110101 35303132333435363738 000000000000 FE1C 444B 373735313030 000000"
                           .replace(" ", ""))
    pad.place(VirtualTag(uid(1), bytearray(danish), afi=0xC2))
    reader = FeigReader(FeigSettings(port=str(pty_pair.device), timeout_s=0.3), decode_tag=decode_tag_data)
    [tag] = reader.inventory()
    reader.stop()
    assert (tag.uid, tag.item_id, tag.security) == (uid(1), "5012345678", SecurityState.UNSECURED)
    assert "775100" in tag.owner_library
