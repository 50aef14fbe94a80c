"""A virtual contactless library card for pcscd's virtual reader (vsmartcard-vpcd).

The card is a TCP client of the vpcd driver inside pcscd: connecting is holding the card to the
reader, disconnecting is taking it away. It answers what a PC/SC contactless reader answers for an
ISO 15693 card (a library patron card or an item tag): the ATR, ``FF CA`` (get UID) and ``FF B0``
(read binary, one memory block at a time). Anything else gets ``6D 00``; a card built without a UID
or without memory answers ``6A 81`` to the command it cannot serve, as a real reader does.

Wire protocol (vsmartcard ``virtualsmartcard/doc/api.rst``): every message is a big-endian uint16
length and a payload. A 1-byte payload is a control message: 00 power off, 01 power on, 02 reset
(none of these is answered), 04 get ATR (answered with the ATR). Any longer payload is a C-APDU,
answered with the R-APDU.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from types import TracebackType

# PC/SC Part 3 storage-card ATR for ISO 15693-3 (SS = 0B, NN = 00 00); TCK is the XOR of T0..Tk.
ISO15693_ATR = bytes.fromhex("3B8F8001804F0CA0000003060B00000000000063")
DEFAULT_UID = bytes.fromhex("78563412000104E0")  # ISO 15693 UID as readers send it: LSB first, E0 last
CONNECT_TIMEOUT_S = 5.0

SW_OK = b"\x90\x00"
SW_FUNCTION_NOT_SUPPORTED = b"\x6a\x81"
SW_BLOCK_NOT_FOUND = b"\x6a\x82"
SW_WRONG_LENGTH = b"\x67\x00"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"

_POWER_OFF, _POWER_ON, _RESET, _GET_ATR = 0x00, 0x01, 0x02, 0x04


def patron_card_memory(card_number: str, *, size: int = 32) -> bytes:
    """ISO 15693 memory holding ``card_number`` where an ISO 28560-3 basic block keeps its primary
    identifier: byte 0 version/usage, bytes 1-2 set info, bytes 3-18 the NUL-padded identifier."""
    ident = card_number.encode("ascii").ljust(16, b"\x00")
    return (b"\x11\x01\x01" + ident).ljust(size, b"\x00")


class VirtualCard:
    """One card, inserted into vpcd slot at ``port`` by :meth:`insert` and taken away by
    :meth:`remove`. Use it as a context manager (inserted inside the ``with``) or from a thread.

    ``apdus`` lists every C-APDU the card received, byte-exact, for tests to assert on.
    """

    def __init__(
        self,
        port: int,
        *,
        uid: bytes | None = DEFAULT_UID,
        memory: bytes | None = None,
        block_size: int = 4,
        atr: bytes = ISO15693_ATR,
        host: str = "127.0.0.1",
    ) -> None:
        self.port = port
        self.host = host
        self.uid = uid
        self.memory = memory
        self.block_size = block_size
        self.atr = atr
        self.apdus: list[bytes] = []
        self.powered = False
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def inserted(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def insert(self, timeout: float = CONNECT_TIMEOUT_S) -> VirtualCard:
        """Hold the card to the reader. Retries while the reader is not listening yet (pcscd
        starting); ``ConnectionError`` if it never does within ``timeout``."""
        if self.inserted:
            return self
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise ConnectionError(f"vpcd reader on port {self.port} is not listening") from exc
                time.sleep(0.05)
        sock.settimeout(None)
        self._socket = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), name=f"vpcd-card-{self.port}",
                                        daemon=True)
        self._thread.start()
        return self

    def remove(self) -> None:
        """Take the card away (close the connection); returns once the card has stopped."""
        sock, self._socket = self._socket, None
        thread, self._thread = self._thread, None
        if sock is not None:
            with contextlib.suppress(OSError):  # pcscd already closed its end (pcscd stopped)
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if thread is not None:
            thread.join(timeout=CONNECT_TIMEOUT_S)
        self.powered = False

    def received(self) -> list[bytes]:
        with self._lock:
            return list(self.apdus)

    def __enter__(self) -> VirtualCard:
        return self.insert()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()

    def answer(self, apdu: bytes) -> bytes:
        """The R-APDU for a C-APDU, as a PC/SC contactless reader with this card on it replies."""
        if len(apdu) < 4:
            return SW_WRONG_LENGTH
        cla, ins, p1, p2 = apdu[:4]
        le = apdu[4] if len(apdu) == 5 else None
        if cla == 0xFF and ins == 0xCA and p1 == 0x00:  # PC/SC Part 3 §3.2.2.1.3 GET DATA (UID)
            if self.uid is None:
                return SW_FUNCTION_NOT_SUPPORTED
            return (self.uid if not le else self.uid[:le]) + SW_OK
        if cla == 0xFF and ins == 0xB0:  # PC/SC Part 3 §3.2.2.1.8 READ BINARY; P1 P2 = block number
            if self.memory is None:
                return SW_FUNCTION_NOT_SUPPORTED
            start = ((p1 << 8) | p2) * self.block_size
            length = le or self.block_size
            if start + length > len(self.memory):
                return SW_BLOCK_NOT_FOUND
            return self.memory[start:start + length] + SW_OK
        return SW_INS_NOT_SUPPORTED

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                header = _read_exactly(sock, 2)
                if header is None:
                    return
                payload = _read_exactly(sock, struct.unpack(">H", header)[0])
                if payload is None:
                    return
                reply = self._handle(payload)
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            return  # removed, or pcscd went away

    def _handle(self, payload: bytes) -> bytes | None:
        if len(payload) == 1:
            control = payload[0]
            if control == _GET_ATR:
                return self.atr
            self.powered = control in (_POWER_ON, _RESET)
            return None
        with self._lock:
            self.apdus.append(payload)
        return self.answer(payload)


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
