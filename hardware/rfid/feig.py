"""The RFID pad: a FEIG OBID i-scan reader speaking ISO-Host frames over a serial port.

:class:`FeigReader` implements :class:`kiosk.domain.ports.ItemReader`. It inventories the pad (following the
reader's "more data" answers, so a whole stack of books is seen), reads each new tag's user memory
and security state once, turns them into :class:`~kiosk.domain.model.Tag` with an injected decoder, and
writes and reads back the security state (AFI or the NXP EAS bit, per settings).

What callers may rely on:

* nothing but :class:`~kiosk.domain.errors.DeviceError` and its subclasses leaves this class: a vanished
  port is :class:`~kiosk.domain.errors.DeviceUnavailable` (and the port is reopened by itself once it is
  back), a garbled or cut-off answer is :class:`~hardware.rfid.feig_protocol.FeigProtocolError`,
  and a tag that refused a command is :class:`TagError` with the reader's STATUS;
* a tag on the pad that cannot be read or decoded is reported with an empty ``item_id``;
* the port's RTS and DTR lines are never set (they raise on ptys and some adapters).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import serial

from hardware.link import DEVICE_FAILURES, DeviceLink
from hardware.rfid import feig_protocol as fp
from kiosk.domain.errors import DeviceError, DeviceUnavailable
from kiosk.domain.model import DeviceHealth, DeviceState, SecurityState, Tag
from kiosk.domain.ports import TagsListener
from kiosk.settings import RfidPadSettings

log = logging.getLogger(__name__)

TagDecoder = Callable[[str, bytes, SecurityState], Tag]
READ_SLICE_S = 0.02  # how long one serial read waits; the answer deadline is kept separately
RESYNC_QUIET_S = 0.05
MAX_CONTINUATIONS = 64  # 64 answers of "more data" is far more than any pad holds


def uid_as_item_id(uid: str, memory: bytes, security: SecurityState) -> Tag:
    """A stand-in decoder that does not read the tag data: the UID is the item id."""
    return Tag(uid=uid, item_id=uid, security=security)


class TagError(DeviceError):
    """The reader answered, but the command on the tag failed. ``status`` is the reader's STATUS."""

    def __init__(self, message: str, status: int, iso_error: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.iso_error = iso_error


class NoAnswer(DeviceUnavailable):
    """The reader sent nothing within the timeout."""


@dataclass(frozen=True)
class FeigSettings:
    """How to reach the reader and how the library uses its tags."""

    port: str
    baudrate: int = 38400
    address: int = fp.BROADCAST
    poll_interval_s: float = 0.25
    user_blocks: int = 8
    block_size: int = 4
    security: Literal["afi", "eas"] = "afi"
    afi_secured: int = 0x07  # "in stock" (biblstandard.dk/rfid/afi.htm)
    afi_unsecured: int = 0xC2  # "on loan"
    timeout_s: float = 0.5
    advanced_frames: bool = False

    @classmethod
    def from_pad_settings(cls, pad: RfidPadSettings) -> FeigSettings:
        return cls(port=pad.port, baudrate=pad.baudrate, address=pad.address,
                   poll_interval_s=pad.poll_interval_s, user_blocks=pad.user_blocks,
                   security=pad.security, afi_secured=pad.afi_secured, afi_unsecured=pad.afi_unsecured)


class FeigReader:
    """An RFID pad behind a FEIG ISO-Host reader. Thread-safe; one poll thread when started."""

    name = "rfid_pad"

    def __init__(self, settings: FeigSettings, *, decode_tag: TagDecoder = uid_as_item_id) -> None:
        self.settings = settings
        self._decode = decode_tag
        # A pty or USB adapter that vanished fails in termios calls too, not only in read and write.
        self._link: DeviceLink[serial.Serial] = DeviceLink(self.name, self._open, _close,
                                                           failures=DEVICE_FAILURES)
        self._lock = threading.RLock()  # one command sequence on the wire at a time
        self._known: dict[str, Tag] = {}  # tags read since they were put on the pad
        self._problem: DeviceHealth | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- ItemReader ------------------------------------------------------------------------------

    def start(self, on_tags: TagsListener) -> None:
        """Poll the pad every ``poll_interval_s`` and call ``on_tags`` (from the poll thread) with the
        first set of tags seen and then whenever the set changes."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, args=(on_tags,), name="feig-poll", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.settings.timeout_s * 4 + self.settings.poll_interval_s + 1)
            self._thread = None
        with self._lock:
            self._link.close()

    def inventory(self) -> list[Tag]:
        """Every tag on the pad now, in the order the reader found them."""
        with self._lock:
            uids = self.inventory_uids()
            self._known = {uid: tag for uid, tag in self._known.items() if uid in uids}
            return [tag for uid in uids if (tag := self._tag(uid)) is not None]

    def write_security(self, uid: str, state: SecurityState) -> SecurityState:
        """Write the security state, then read it back from the tag and return what was read.

        A tag that refuses the write is logged and read back all the same, so the caller sees the
        state the item will really leave with; a tag that cannot be read back raises."""
        if state is SecurityState.UNKNOWN:
            raise ValueError("only SECURED or UNSECURED can be written to a tag")
        with self._lock:
            before = self._known.get(uid)
            try:
                if self.settings.security == "afi":
                    self.write_afi(uid, self._afi_for(state))
                else:
                    self.set_eas(uid, state is SecurityState.SECURED)
            except TagError as exc:
                log.warning("tag %s: writing %s failed: %s", uid, state.value, exc)
            read_back = self.read_security(uid)
            if before is not None:
                self._known[uid] = replace(before, security=read_back)
        log.info("tag %s: security %s requested, %s read back", uid, state.value, read_back.value)
        return read_back

    def health(self) -> DeviceHealth:
        with contextlib.suppress(DeviceUnavailable):
            self._link.get()  # an unplugged pad is retried here too, within the link's back-off
        link = self._link.health()
        if link.state is not DeviceState.OK:
            return link
        return self._problem or link

    # --- beyond the port -------------------------------------------------------------------------

    def inventory_uids(self) -> list[str]:
        """The UIDs on the pad, following STATUS 0x94 "more data" until the reader has no more."""
        uids: list[str] = []
        more = False
        for _ in range(MAX_CONTINUATIONS):
            reply = self._exchange(fp.Inventory(more=more))
            if reply.status == fp.Status.NO_TRANSPONDER:
                break
            self._check(reply, "inventory", ok=(fp.Status.OK, fp.Status.MORE_DATA))
            found = (fp.uid_text(entry.uid) for entry in fp.decode_inventory(reply.data))
            uids += [uid for uid in found if uid not in uids]
            if reply.status != fp.Status.MORE_DATA:
                break
            more = True
        else:
            raise fp.FeigProtocolError(f"reader still had more data after {MAX_CONTINUATIONS} answers")
        return uids

    def read_blocks(self, uid: str, first: int, count: int) -> bytes:
        """``count`` blocks from block ``first``, in tag memory order."""
        per_read = fp.MAX_READ_BYTES // self.settings.block_size
        data = b""
        with self._lock:
            for start in range(first, first + count, per_read):
                n = min(per_read, first + count - start)
                reply = self._exchange(fp.ReadBlocks(fp.uid_bytes(uid), start, n))
                self._check(reply, f"reading blocks of tag {uid}")
                blocks = fp.decode_blocks(reply.data)
                if len(blocks.blocks) != n or blocks.block_size != self.settings.block_size:
                    raise fp.FeigProtocolError(f"asked for {n} blocks of {self.settings.block_size} bytes, "
                                               f"got {len(blocks.blocks)} of {blocks.block_size}")
                data += blocks.data
        return data

    def write_blocks(self, uid: str, first: int, data: bytes) -> None:
        """Write whole blocks from block ``first``; ``data`` is in tag memory order."""
        size = self.settings.block_size
        if not data or len(data) % size:
            raise ValueError(f"data must be whole blocks of {size} bytes, not {len(data)} bytes")
        per_write = fp.MAX_READ_BYTES // size
        with self._lock:
            self._known.pop(uid, None)  # read again on the next inventory
            for offset in range(0, len(data), per_write * size):
                chunk = data[offset:offset + per_write * size]
                reply = self._exchange(fp.WriteBlocks(fp.uid_bytes(uid), first + offset // size, size, chunk))
                self._check(reply, f"writing blocks of tag {uid}")
        log.info("tag %s: %d blocks written from block %d", uid, len(data) // size, first)

    def write_afi(self, uid: str, afi: int) -> None:
        with self._lock:
            self._known.pop(uid, None)  # its security state is read again on the next inventory
            self._check(self._exchange(fp.WriteAfi(fp.uid_bytes(uid), afi)), f"writing AFI of tag {uid}")

    def read_afi(self, uid: str) -> int:
        """The AFI, from Get System Information."""
        return self.system_info(uid).afi

    def system_info(self, uid: str) -> fp.SystemInfo:
        with self._lock:
            reply = self._exchange(fp.GetSystemInfo(fp.uid_bytes(uid)))
            self._check(reply, f"reading system info of tag {uid}")
            return fp.decode_system_info(reply.data)

    def set_eas(self, uid: str, on: bool) -> None:
        command = fp.NxpCommand.SET_EAS if on else fp.NxpCommand.RESET_EAS
        with self._lock:
            self._known.pop(uid, None)
            self._check(self._exchange(fp.NxpEas(command, fp.uid_bytes(uid))), f"{command.name} on tag {uid}")

    def eas_alarm(self, uid: str | None = None) -> bool:
        """Is the EAS bit set on this tag (or, with no UID, on any tag on the pad)? The reader answers
        STATUS 0x00 when it is, 0x01 "no transponder" when not (FEIG PR101 manual §8.3)."""
        request = fp.NxpEas(fp.NxpCommand.EAS_ALARM, None if uid is None else fp.uid_bytes(uid))
        with self._lock:
            reply = self._exchange(request)
        if reply.status == fp.Status.NO_TRANSPONDER:
            return False
        self._check(reply, "EAS alarm")
        return True

    def read_security(self, uid: str) -> SecurityState:
        """The tag's security state as the configured mechanism (AFI or EAS) says now."""
        if self.settings.security == "eas":
            return SecurityState.SECURED if self.eas_alarm(uid) else SecurityState.UNSECURED
        afi = self.read_afi(uid)
        if afi == self.settings.afi_secured:
            return SecurityState.SECURED
        if afi == self.settings.afi_unsecured:
            return SecurityState.UNSECURED
        return SecurityState.UNKNOWN

    # --- internals -------------------------------------------------------------------------------

    def _afi_for(self, state: SecurityState) -> int:
        return self.settings.afi_secured if state is SecurityState.SECURED else self.settings.afi_unsecured

    def _tag(self, uid: str) -> Tag | None:
        """The tag as decoded when first seen on the pad. A tag that cannot be read is reported with
        an empty item id and tried again next time; one that left the pad meanwhile is None."""
        known = self._known.get(uid)
        if known is not None:
            return known
        try:
            memory = self.read_blocks(uid, 0, self.settings.user_blocks)
            security = self.read_security(uid)
        except TagError as exc:
            if exc.status == fp.Status.NO_TRANSPONDER:
                log.info("tag %s left the pad while it was being read", uid)
                return None
            log.warning("tag %s on the pad could not be read: %s", uid, exc)
            return Tag(uid=uid, item_id="")
        except fp.FeigProtocolError as exc:
            log.warning("tag %s on the pad could not be read: %s", uid, exc)
            return Tag(uid=uid, item_id="")
        try:
            tag = self._decode(uid, memory, security)
        except Exception as exc:  # tag data comes from outside: a bad tag must not stop the pad
            log.warning("tag %s: data could not be decoded: %s", uid, exc)
            tag = Tag(uid=uid, item_id="", security=security)
        self._known[uid] = tag
        return tag

    def _open(self) -> serial.Serial:
        s = self.settings
        return serial.Serial(s.port, s.baudrate, bytesize=serial.EIGHTBITS, parity=serial.PARITY_EVEN,
                             stopbits=serial.STOPBITS_ONE, timeout=READ_SLICE_S, exclusive=True)

    def _exchange(self, request: fp.Request) -> fp.Reply:
        """Send one request and return the reader's reply to it."""
        frame = fp.encode_request(request, self.settings.address, advanced=self.settings.advanced_frames)

        def talk(port: serial.Serial) -> fp.Reply:
            port.reset_input_buffer()  # a late answer to an earlier request must not pass for this one
            port.write(frame)
            try:
                raw = self._read_frame(port)
                reply = fp.decode_reply(raw)
                if reply.control != request.control or self.settings.address not in (
                        fp.BROADCAST, reply.address):
                    raise fp.FeigProtocolError(f"answer {raw.hex()} does not belong to {frame.hex()}")
            except fp.FeigProtocolError:
                _resync(port, self.settings.timeout_s)
                raise
            return reply

        with self._lock:
            try:
                reply = self._link.run(talk)
            except fp.FeigProtocolError as exc:
                self._note(DeviceState.DEGRADED, f"garbled answer from the reader: {exc}")
                raise
            except NoAnswer as exc:
                self._note(DeviceState.UNAVAILABLE, str(exc))
                raise
            if reply.status == fp.Status.RF_COMMUNICATION_ERROR:
                self._note(DeviceState.DEGRADED, "RF communication error (interference near the pad?)")
            else:
                self._note(None, "")
            return reply

    def _read_frame(self, port: serial.Serial) -> bytes:
        deadline = time.monotonic() + self.settings.timeout_s
        head = _read_until(port, 1, deadline)
        if not head:
            raise NoAnswer(f"{self.name}: no answer from the reader within {self.settings.timeout_s:g} s")
        length = fp.frame_length(head)
        if length is None:
            head += _read_until(port, 3 - len(head), deadline)
            length = fp.frame_length(head)
            if length is None:
                raise fp.FeigProtocolError(f"answer cut off after {len(head)} bytes")
        raw = head + _read_until(port, length - len(head), deadline)
        if len(raw) < length:
            raise fp.FeigProtocolError(f"answer cut off: {len(raw)} of {length} bytes ({raw.hex()})")
        return raw

    def _check(self, reply: fp.Reply, what: str, ok: tuple[int, ...] = (fp.Status.OK,)) -> None:
        if reply.status in ok:
            return
        detail = fp.status_text(reply.status)
        if reply.iso_error is not None:
            detail += f", tag error 0x{reply.iso_error:02X}"
        raise TagError(f"{self.name}: {what} failed: {detail}", reply.status, reply.iso_error)

    def _note(self, state: DeviceState | None, detail: str) -> None:
        problem = None if state is None else DeviceHealth(self.name, state, detail)
        if problem != self._problem:
            if problem is not None:
                log.warning("%s: %s", self.name, detail)
            elif self._problem is not None:
                log.info("%s: answering normally again", self.name)
            self._problem = problem

    def _poll(self, on_tags: TagsListener) -> None:
        last: list[Tag] | None = None
        while not self._stop.is_set():
            try:
                tags = self.inventory()
            except DeviceError as exc:
                log.debug("%s: poll failed: %s", self.name, exc)  # health() and the link log the change
            else:
                if last is None or sorted(tags, key=_uid) != sorted(last, key=_uid):
                    last = tags
                    try:
                        on_tags(list(tags))
                    except Exception:  # a listener's bug must not stop the pad
                        log.exception("%s: tag listener failed", self.name)
            self._stop.wait(self.settings.poll_interval_s)


def _uid(tag: Tag) -> str:
    return tag.uid


def _close(port: serial.Serial) -> None:
    port.close()


def _read_until(port: serial.Serial, count: int, deadline: float) -> bytes:
    data = b""
    while len(data) < count and time.monotonic() < deadline:
        data += port.read(count - len(data))
    return data


def _resync(port: serial.Serial, limit_s: float) -> None:
    """Drop bytes until the line has been quiet for a moment, so the next answer starts clean."""
    deadline = time.monotonic() + limit_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < RESYNC_QUIET_S:
        if port.read(256):
            quiet_since = time.monotonic()
