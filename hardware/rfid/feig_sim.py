"""A FEIG ISO-Host reader with a pad of virtual ISO 15693 tags, on the far end of a serial port.

The simulator checks every frame byte for byte (length, CRC, bus address, command, MODE, UID,
parameters) and answers as a reader would: data for a good request, an error STATUS for a request it
can parse but must refuse, and nothing at all for a frame whose length or CRC is wrong (the reader
cannot trust any byte of it, the address included). Each such refusal is also recorded in
:attr:`FeigSimulator.violations`, so a test can prove its driver sent only well-formed frames.

Tests and the demo put tags on the pad and take them off with :meth:`FeigSimulator.place` and
:meth:`FeigSimulator.remove`, and inject faults: failing writes for a UID, RF errors, a slow reader,
garbage or a cut-off answer. When the port vanishes (unplug) the simulator waits for it to come
back and carries on. Run it alone with ``python -m hardware.rfid.feig_sim --port PATH``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import termios
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType

import serial

from hardware.rfid import feig_protocol as fp
from hardware.rfid.feig_protocol import FeigProtocolError as ProtocolError
from hardware.rfid.feig_protocol import Status

log = logging.getLogger(__name__)

POLL_S = 0.05
FRAME_TIMEOUT_S = 0.5  # a frame whose bytes stop arriving for this long is dropped as cut off
START_TIMEOUT_S = 5.0


# --- the reader's side of the protocol: what the host asked for ----------------------------------


_TAIL = {fp.IsoCommand.READ_MULTIPLE_BLOCKS: 2, fp.IsoCommand.WRITE_AFI: 1, fp.IsoCommand.GET_SYSTEM_INFO: 0}


def _split(data: bytes, name: str, tail: int | None) -> tuple[bytes, bytes]:
    """``MODE UID tail`` of an addressed request; ``tail`` bytes exactly, or any number if None."""
    if len(data) < 1 + fp.UID_LEN or (tail is not None and len(data) != 1 + fp.UID_LEN + tail):
        raise ProtocolError(f"{name}: {len(data)} bytes after the command code")
    if data[0] & 0x07 != fp.MODE_ADDRESSED:
        raise ProtocolError(f"{name}: MODE 0x{data[0]:02X} is not addressed", Status.PARAMETER_RANGE)
    return data[1:1 + fp.UID_LEN], data[1 + fp.UID_LEN:]


def parse_request(control: int, data: bytes) -> fp.Request:
    """A request's data as a typed command. The error's ``status`` is what a reader would answer."""
    if control == fp.CTRL_CUSTOM:
        return _parse_custom(data)
    if control != fp.CTRL_ISO:
        raise ProtocolError(f"control byte 0x{control:02X} is not supported", Status.UNKNOWN_COMMAND)
    if not data:
        raise ProtocolError("ISO command without a command code")
    command, rest = data[0], data[1:]
    if command == fp.IsoCommand.INVENTORY:
        if len(rest) != 1 or rest[0] & ~fp.MODE_MORE:
            raise ProtocolError(f"inventory: MODE {rest.hex()} not supported", Status.PARAMETER_RANGE)
        return fp.Inventory(more=bool(rest[0] & fp.MODE_MORE))
    if command == fp.IsoCommand.WRITE_MULTIPLE_BLOCKS:
        uid, tail = _split(rest, "write blocks", None)
        if len(tail) < 3 or tail[1] == 0 or tail[2] == 0 or len(tail) != 3 + tail[1] * tail[2]:
            raise ProtocolError(f"write blocks: {tail.hex()} is not DB-ADR DB-N DB-SIZE and data")
        return fp.WriteBlocks(uid, tail[0], tail[2], fp.reverse_blocks(tail[3:], tail[2]))
    if command not in _TAIL:
        raise ProtocolError(f"ISO command 0x{command:02X} is not supported", Status.UNKNOWN_COMMAND)
    uid, tail = _split(rest, fp.IsoCommand(command).name.lower(), _TAIL[fp.IsoCommand(command)])
    if command == fp.IsoCommand.READ_MULTIPLE_BLOCKS:
        return fp.ReadBlocks(uid, tail[0], tail[1])
    if command == fp.IsoCommand.WRITE_AFI:
        return fp.WriteAfi(uid, tail[0])
    return fp.GetSystemInfo(uid)


def _parse_custom(data: bytes) -> fp.NxpEas:
    if len(data) < 3:
        raise ProtocolError("custom command is too short")
    if data[0] != fp.MFR_NXP or data[1] not in set(fp.NxpCommand):
        raise ProtocolError(f"custom command {data[:2].hex()} is not supported", Status.UNKNOWN_COMMAND)
    if data[2:] == b"\x00":
        return fp.NxpEas(fp.NxpCommand(data[1]))
    uid, _ = _split(data[2:], "EAS", 0)
    return fp.NxpEas(fp.NxpCommand(data[1]), uid)


# --- the pad ----------------------------------------------------------------------------------


@dataclass
class VirtualTag:
    """An ISO 15693 tag (NXP ICODE SLI-like). ``memory`` is user memory in tag order."""

    uid: str
    memory: bytearray = field(default_factory=lambda: bytearray(32))
    afi: int = 0x07
    eas: bool = False
    locked: bool = False  # write-protected: block, AFI and EAS writes are refused
    dsfid: int = 0x00
    block_size: int = 4

    def __post_init__(self) -> None:
        self.uid = fp.uid_text(fp.uid_bytes(self.uid))
        if len(self.memory) % self.block_size:
            raise ValueError("tag memory must be whole blocks")

    @property
    def block_count(self) -> int:
        return len(self.memory) // self.block_size


class FeigSimulator:
    """A simulated FEIG reader answering on ``port`` from its own thread. Thread-safe."""

    def __init__(self, port: str | Path, *, address: int = 0x00, max_per_inventory: int = 4,
                 keep: int | None = None) -> None:
        """``keep``: how many received frames :attr:`received` holds (None: all, for tests; a demo
        that runs all night keeps the last few)."""
        self.port = str(port)
        self.keep = keep
        self.address = address
        self.max_per_inventory = max_per_inventory
        self.delay_s = 0.0
        self.rf_error = False
        self.fail_writes: set[str] = set()
        self.received: list[bytes] = []
        self.violations: list[str] = []
        self.answered = 0
        self._lock = threading.RLock()
        self._pad: dict[str, VirtualTag] = {}
        self._pending: list[VirtualTag] | None = None
        self._next_answer: bytes | None = None
        self._truncate_next = False
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the pad ---------------------------------------------------------------------------------

    def place(self, *tags: VirtualTag) -> None:
        with self._lock:
            for tag in tags:
                self._pad[tag.uid] = tag

    def remove(self, *uids: str) -> None:
        with self._lock:
            for uid in uids:
                self._pad.pop(uid.upper(), None)

    def clear(self) -> None:
        with self._lock:
            self._pad.clear()

    def tag(self, uid: str) -> VirtualTag:
        with self._lock:
            return self._pad[uid.upper()]

    @property
    def tags(self) -> list[VirtualTag]:
        with self._lock:
            return list(self._pad.values())

    # --- faults ----------------------------------------------------------------------------------

    def answer_next_with(self, raw: bytes) -> None:
        """Send ``raw`` instead of the next answer (garbage, a wrong CRC...)."""
        with self._lock:
            self._next_answer = raw

    def cut_next_answer(self) -> None:
        """Send only the first half of the next answer."""
        with self._lock:
            self._truncate_next = True

    # --- running ---------------------------------------------------------------------------------

    def start(self) -> FeigSimulator:
        """Start answering; returns once the port is open (or raises after a timeout)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="feig-sim", daemon=True)
        self._thread.start()
        if not self._opened.wait(START_TIMEOUT_S):
            self.stop()
            raise RuntimeError(f"FEIG simulator could not open {self.port}")
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(START_TIMEOUT_S)
            self._thread = None

    def __enter__(self) -> FeigSimulator:
        return self.start()

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                port = serial.Serial(self.port, 38400, parity=serial.PARITY_EVEN, timeout=POLL_S)
            except (OSError, ValueError, termios.error):
                time.sleep(POLL_S)  # unplugged: wait for the port to come back
                continue
            log.info("FEIG simulator listening on %s", self.port)
            self._opened.set()
            try:
                self._serve(port)
            except (OSError, termios.error) as exc:
                log.info("FEIG simulator lost %s: %s", self.port, exc)
            finally:
                port.close()

    def _serve(self, port: serial.Serial) -> None:
        while not self._stop.is_set():
            raw = self._read_frame(port)
            if raw is None:
                continue
            answer = self._handle(raw)
            if answer is not None:
                port.write(answer)

    def _read_frame(self, port: serial.Serial) -> bytes | None:
        head: bytes = port.read(1)
        if not head:
            return None
        deadline = time.monotonic() + FRAME_TIMEOUT_S
        try:
            while (length := fp.frame_length(head)) is None and time.monotonic() < deadline:
                head += port.read(1)
            if length is None:
                raise fp.FeigProtocolError(f"frame head cut off after {len(head)} bytes")
            while len(head) < length and time.monotonic() < deadline:
                head += port.read(length - len(head))
            if len(head) < length:
                raise fp.FeigProtocolError(f"frame cut off: {len(head)} of {length} bytes")
        except fp.FeigProtocolError as exc:
            self._violation(f"{exc} ({head.hex()})")
            port.reset_input_buffer()  # a reader drops the rest of a broken frame
            return None
        return head

    # --- answering -------------------------------------------------------------------------------

    def _violation(self, what: str) -> None:
        with self._lock:
            self.violations.append(what)
        log.warning("FEIG simulator: %s", what)

    def _handle(self, raw: bytes) -> bytes | None:
        with self._lock:
            self.received.append(raw)
            if self.keep is not None and len(self.received) > self.keep:
                del self.received[0]
        try:
            frame = fp.decode_frame(raw)
        except fp.FeigProtocolError as exc:
            self._violation(f"{exc} ({raw.hex()})")
            return None
        if frame.address not in (self.address, fp.BROADCAST):
            self._violation(f"frame for bus address {frame.address}, this reader is {self.address}")
            return None
        if self.delay_s:
            time.sleep(self.delay_s)
        with self._lock:
            status, data = self._answer(frame)
            reply = fp.Reply(self.address, frame.control, status, data, frame.advanced).encode()
            if self._next_answer is not None:
                reply, self._next_answer = self._next_answer, None
            elif self._truncate_next:
                reply, self._truncate_next = reply[:len(reply) // 2], False
            self.answered += 1
        return reply

    def _answer(self, frame: fp.Frame) -> tuple[int, bytes]:
        try:
            request = parse_request(frame.control, frame.payload)
        except fp.FeigProtocolError as exc:
            self._violation(str(exc))
            return exc.status, b""
        if self.rf_error:
            return fp.Status.RF_COMMUNICATION_ERROR, b""
        if isinstance(request, fp.Inventory):
            return self._inventory(request)
        if isinstance(request, fp.NxpEas) and request.uid is None:
            return self._eas_alarm_any(request)
        assert request.uid is not None  # every other command is addressed
        tag = self._pad.get(fp.uid_text(request.uid))
        if tag is None:
            return fp.Status.NO_TRANSPONDER, b""
        if isinstance(request, fp.ReadBlocks):
            return self._read_blocks(tag, request)
        if isinstance(request, fp.GetSystemInfo):
            info = fp.SystemInfo(fp.uid_bytes(tag.uid), tag.afi, tag.dsfid, tag.block_count, tag.block_size)
            return fp.Status.OK, info.encode()
        if isinstance(request, fp.NxpEas) and request.command is fp.NxpCommand.EAS_ALARM:
            return (fp.Status.OK if tag.eas else fp.Status.NO_TRANSPONDER), b""
        return self._write(tag, request)

    def _inventory(self, request: fp.Inventory) -> tuple[int, bytes]:
        if not request.more:
            self._pending = list(self._pad.values())
        elif self._pending is None:
            self._violation("inventory MORE without an inventory before it")
            return fp.Status.NO_TRANSPONDER, b""
        pending = self._pending
        if not pending:
            self._pending = None
            return fp.Status.NO_TRANSPONDER, b""
        batch, self._pending = pending[:self.max_per_inventory], pending[self.max_per_inventory:]
        entries = [fp.InventoryEntry(fp.uid_bytes(t.uid), t.dsfid) for t in batch]
        status = fp.Status.MORE_DATA if self._pending else fp.Status.OK
        if not self._pending:
            self._pending = None
        return status, fp.encode_inventory(entries)

    def _eas_alarm_any(self, request: fp.NxpEas) -> tuple[int, bytes]:
        if request.command is not fp.NxpCommand.EAS_ALARM:
            self._violation(f"non-addressed {request.command.name} would change every tag on the pad")
            return fp.Status.PARAMETER_RANGE, b""
        return (fp.Status.OK if any(t.eas for t in self._pad.values()) else fp.Status.NO_TRANSPONDER), b""

    def _read_blocks(self, tag: VirtualTag, request: fp.ReadBlocks) -> tuple[int, bytes]:
        if request.count == 0 or request.count * tag.block_size > fp.MAX_READ_BYTES:
            self._violation(f"read of {request.count} blocks")
            return fp.Status.PARAMETER_RANGE, b""
        if request.first + request.count > tag.block_count:
            return fp.Status.ISO_ERROR, bytes([fp.IsoError.BLOCK_NOT_AVAILABLE])
        size = tag.block_size
        blocks = tuple(bytes(tag.memory[(request.first + i) * size:(request.first + i + 1) * size])
                       for i in range(request.count))
        security = (1 if tag.locked else 0,) * request.count
        return fp.Status.OK, fp.Blocks(size, blocks, security).encode()

    def _write(self, tag: VirtualTag, request: fp.Request) -> tuple[int, bytes]:
        if isinstance(request, fp.WriteBlocks) and request.block_size != tag.block_size:
            self._violation(f"write with block size {request.block_size}, the tag has {tag.block_size}")
            return fp.Status.ISO_ERROR, bytes([fp.IsoError.UNKNOWN])
        if isinstance(request, fp.WriteBlocks) and request.first + request.count > tag.block_count:
            return fp.Status.ISO_ERROR, bytes([fp.IsoError.BLOCK_NOT_AVAILABLE])
        if tag.uid in self.fail_writes:
            return fp.Status.WRITE_ERROR, b""
        if tag.locked:
            return fp.Status.ISO_ERROR, bytes([fp.IsoError.LOCKED])
        if isinstance(request, fp.WriteBlocks):
            start = request.first * tag.block_size
            tag.memory[start:start + len(request.data_blocks)] = request.data_blocks
        elif isinstance(request, fp.WriteAfi):
            tag.afi = request.afi
        elif isinstance(request, fp.NxpEas) and request.command in (fp.NxpCommand.SET_EAS,
                                                                     fp.NxpCommand.RESET_EAS):
            tag.eas = request.command is fp.NxpCommand.SET_EAS
        else:
            return fp.Status.ISO_ERROR, bytes([fp.IsoError.NOT_SUPPORTED])
        return fp.Status.OK, b""


def _tag_argument(text: str) -> VirtualTag:
    """``UID[:MEMORYHEX[:AFI]]``, e.g. ``E004010012345678:1101013530...:07``."""
    parts = text.split(":")
    memory = bytearray.fromhex(parts[1]) if len(parts) > 1 and parts[1] else bytearray(32)
    memory += bytes(-len(memory) % 4)
    afi = int(parts[2], 16) if len(parts) > 2 else 0x07
    return VirtualTag(parts[0], memory, afi=afi)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Simulated FEIG ISO-Host RFID pad on a serial port.")
    parser.add_argument("--port", required=True, help="serial port path (the far end of a pty pair)")
    parser.add_argument("--address", type=lambda v: int(v, 0), default=0x00, help="bus address (COM-ADR)")
    parser.add_argument("--max-per-inventory", type=int, default=4, help="tags per inventory answer")
    parser.add_argument("--tag", action="append", default=[], type=_tag_argument,
                        metavar="UID[:MEMORYHEX[:AFI]]", help="a tag lying on the pad (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    simulator = FeigSimulator(args.port, address=args.address, max_per_inventory=args.max_per_inventory)
    simulator.place(*args.tag)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with simulator:
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
