"""Issue 4's acceptance: a stack of 10 tagged items is read, decoded, secured and verified through
the FEIG driver on a real pty, with the Danish data model written by our own encoder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hardware.rfid import TagContent
from hardware.rfid.feig import FeigReader
from hardware.rfid.feig_sim import FeigSimulator, VirtualTag
from hardware.rfid.tagdata import encode_tag_data
from kiosk.bootstrap.devices import build_devices
from kiosk.domain.model import SecurityState
from kiosk.settings import DeviceSettings, RfidPadSettings
from tests.hardware.ptys import PtyPair
from tests.hardware.ptys import pty_pair as pty_pair

ITEMS = [(f"50100000{n:02d}", 1, 1) for n in range(1, 8)] + [("5010000099", part, 3) for part in (1, 2, 3)]


@pytest.fixture
def stack(pty_pair: PtyPair) -> Iterator[tuple[FeigSimulator, FeigReader]]:
    simulator = FeigSimulator(pty_pair.simulator, max_per_inventory=4).start()
    for n, (item_id, part, parts) in enumerate(ITEMS):
        memory = encode_tag_data(TagContent(item_id=item_id, part_number=part, parts_in_set=parts,
                                            library="775100"), memory_size=32)
        simulator.place(VirtualTag(f"E00401500000{n:04X}", bytearray(memory), afi=0x07))
    closers: list[object] = []
    devices = build_devices(DeviceSettings(rfid_pad=RfidPadSettings(kind="feig", port=str(pty_pair.device))),
                            closers)  # type: ignore[arg-type]
    reader = devices.item_reader
    assert isinstance(reader, FeigReader)  # the factory builds the real driver from settings
    yield simulator, reader
    reader.stop()
    simulator.stop()
    assert simulator.violations == []


def test_ten_items_are_read_decoded_unsecured_and_verified(stack: tuple[FeigSimulator, FeigReader]) -> None:
    simulator, reader = stack
    tags = reader.inventory()
    assert len(tags) == 10
    assert sorted((t.item_id, t.part_number, t.parts_in_set) for t in tags) == sorted(ITEMS)
    assert {t.owner_library for t in tags} == {"DK-775100"}
    assert {t.security for t in tags} == {SecurityState.SECURED}

    for tag in tags:
        assert reader.write_security(tag.uid, SecurityState.UNSECURED) is SecurityState.UNSECURED
    assert {simulator.tag(t.uid).afi for t in tags} == {0xC2}  # on the tags themselves

    for tag in tags:
        assert reader.write_security(tag.uid, SecurityState.SECURED) is SecurityState.SECURED
    assert {simulator.tag(t.uid).afi for t in tags} == {0x07}
