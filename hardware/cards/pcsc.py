"""Contactless patron cards through PC/SC (pcscd on Linux, WinSCard on Windows) with pyscard.

:class:`PcscCardReader` watches one reader with ``SCardGetStatusChange`` on its own thread. Each
time a card is laid on the reader it reads the card once (its UID with ``FF CA 00 00 00``, or a
number kept in the card's memory with ``FF B0``), turns it into a :class:`Credential` and hands it
to the listener, on that thread. A card resting on the reader is reported once; taking it away and
presenting it again is a new presentation.

The PC/SC context lives in a :class:`DeviceLink`: when pcscd stops or the reader is unplugged the
link breaks, :meth:`PcscCardReader.health` says why, and the watcher keeps trying to reconnect, so
the reader works again as soon as pcscd and the reader are back.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from smartcard import scard

from hardware.cards.uid import (
    ByteOrder,
    MemoryNumberFormat,
    UidEncoding,
    UidFormat,
    card_number_from_memory,
    format_uid,
)
from hardware.link import BACKOFF_S, DeviceLink
from kiosk.domain.errors import DeviceUnavailable
from kiosk.domain.model import Credential, CredentialKind, DeviceHealth
from kiosk.domain.ports import CredentialListener
from kiosk.settings import CardReaderSettings

log = logging.getLogger(__name__)

NAME = "card_reader"
GET_UID = bytes.fromhex("FFCA000000")  # PC/SC Part 3 §3.2.2.1.3: GET DATA, P1=00 is the UID
POLL_S = 0.5
RETRY_S = 0.2
READ_ATTEMPTS = 3

_SERVICE_GONE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED}
_READER_GONE = {scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE,
                scard.SCARD_E_NO_READERS_AVAILABLE}
_LINK_LOST = {scard.SCARD_F_COMM_ERROR, scard.SCARD_E_INVALID_HANDLE}  # pcscd died under us
_CARD_GONE = {scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD}
_STATUS_WORDS = {  # PC/SC Part 3 §3.2.2.1 (error codes of the reader's pseudo-APDUs), ISO 7816-4
    0x6281: "part of the data may be corrupted",
    0x6282: "end of data reached before the expected length",
    0x6300: "the reader could not talk to the card",
    0x6700: "wrong length",
    0x6981: "command incompatible with this card",
    0x6A81: "function not supported",
    0x6A82: "block or address does not exist",
    0x6B00: "wrong parameter",
    0x6D00: "instruction not supported",
    0x6E00: "class not supported",
}


@dataclass(frozen=True)
class PcscSettings:
    """Which reader, and how a card becomes a patron identifier.

    ``reader`` picks the first reader whose name contains it (case-insensitive); empty means the first
    reader. With ``memory_number`` set, the number stored in the card's memory is the identifier and
    the UID is not used; otherwise the UID, formatted by ``uid_format``.
    """

    reader: str = ""
    uid_format: UidFormat = field(default_factory=UidFormat)
    memory_number: MemoryNumberFormat | None = None
    poll_s: float = POLL_S
    backoff_s: Sequence[float] = BACKOFF_S

    @classmethod
    def from_settings(cls, settings: CardReaderSettings) -> PcscSettings:
        memory = MemoryNumberFormat(
            first_block=settings.memory_first_block, block_count=settings.memory_block_count,
            block_size=settings.memory_block_size, offset=settings.memory_offset,
            length=settings.memory_length) if settings.number_source == "memory" else None
        return cls(reader=settings.reader, uid_format=UidFormat(
            byte_order=ByteOrder(settings.uid_byte_order), encoding=UidEncoding(settings.uid_format)),
            memory_number=memory)


class PcscError(Exception):
    """A PC/SC call failed in a way that breaks the connection. The message is for staff."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class _CardUnreadable(Exception):
    """This card could not be read; the reader itself is fine. ``transient``: trying again may work."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class _Session:
    context: int
    reader: str


class PcscCardReader:
    """A :class:`kiosk.domain.ports.CardReader` on a PC/SC reader. Thread-safe; ``start`` and ``stop``
    may be called from any thread. The listener is called on the reader's own thread.

    A card already lying on the reader when watching starts, or when the reader comes back after
    pcscd or the reader was away, counts as presented: PC/SC cannot tell it from a new one.
    A card that cannot be read (refused command, no number in memory) is logged and skipped.
    """

    def __init__(self, settings: PcscSettings = PcscSettings()) -> None:
        self.settings = settings
        self._link: DeviceLink[_Session] = DeviceLink(
            NAME, self._open, self._close, backoff_s=settings.backoff_s, failures=(PcscError,))
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: CredentialListener | None = None

    def start(self, on_credential: CredentialListener) -> None:
        """Begin watching the reader. Returns at once; a missing pcscd or reader is not an error
        here (see :meth:`health`): the watcher waits for it."""
        if self._thread is not None and self._thread.is_alive():
            self._listener = on_credential
            return
        self._listener = on_credential
        self._stopping.clear()
        try:
            self._link.get()
        except DeviceUnavailable as exc:
            log.warning("%s not ready at start: %s", NAME, exc)
        self._thread = threading.Thread(target=self._watch, name="pcsc-card-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and release the PC/SC context. No listener call happens after this returns."""
        self._stopping.set()
        if self._link.is_open:
            # SCardCancel is the one call PC/SC allows from another thread: it ends the wait.
            with contextlib.suppress(DeviceUnavailable):
                scard.SCardCancel(self._link.get().context)
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.settings.poll_s + 5.0)
        self._listener = None
        self._link.close()

    def health(self) -> DeviceHealth:
        """OK when pcscd answers and the configured reader is present; UNAVAILABLE with the reason
        otherwise. While watching, the watcher's last finding (at most ``poll_s`` old)."""
        if self._thread is None or not self._thread.is_alive():
            with contextlib.suppress(DeviceUnavailable):  # the link now holds the reason
                self._link.run(self._check_reader)
        return self._link.health()

    def read_card(self) -> Credential | None:
        """Read the card on the reader now (None if there is none or it cannot be read). For the
        device doctor; do not call it while the watcher runs."""
        try:
            return self._link.run(self._read_credential)
        except _CardUnreadable as exc:
            log.warning("%s: card not read: %s", NAME, exc)
            return None

    # -- the watcher --------------------------------------------------------------------------

    def _watch(self) -> None:
        known = scard.SCARD_STATE_UNAWARE
        while not self._stopping.is_set():
            try:
                session = self._link.get()
            except DeviceUnavailable:
                known = scard.SCARD_STATE_UNAWARE
                self._stopping.wait(RETRY_S)
                continue
            try:
                known = self._link.run(functools.partial(self._step, known=known))
            except DeviceUnavailable:
                known = scard.SCARD_STATE_UNAWARE
            except Exception:  # a bug must not silently end card reading for the whole day
                log.exception("%s: unexpected error while watching %r", NAME, session.reader)
                self._stopping.wait(RETRY_S)

    def _step(self, session: _Session, known: int) -> int:
        """Wait up to ``poll_s`` for a change on the reader; read a newly presented card. Returns
        the reader state to wait from next time."""
        hresult, states = scard.SCardGetStatusChange(
            session.context, int(self.settings.poll_s * 1000), [(session.reader, known)])
        if hresult in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
            return known
        _check(hresult, "SCardGetStatusChange", session.reader)
        event = int(states[0][1])
        flags = event & 0xFFFF
        if flags & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_IGNORE):
            raise PcscError(f"reader {session.reader!r} was unplugged", scard.SCARD_E_UNKNOWN_READER)
        # pcsc-lite counts insertions and removals in the high 16 bits, so a card taken away and put
        # back between two waits still shows up as a change (pcsc-lite winscard_clnt.c).
        present = bool(flags & scard.SCARD_STATE_PRESENT) and not flags & scard.SCARD_STATE_MUTE
        was_present = bool(known & scard.SCARD_STATE_PRESENT) and not known & scard.SCARD_STATE_MUTE
        if present and (not was_present or event >> 16 != known >> 16):
            self._deliver(session)
        elif flags & scard.SCARD_STATE_MUTE and not known & scard.SCARD_STATE_MUTE:
            log.warning("%s: a card on %r does not answer (unsupported card type?)", NAME, session.reader)
        return int(event & ~scard.SCARD_STATE_CHANGED)

    def _deliver(self, session: _Session) -> None:
        credential = self._read_with_retries(session)
        listener = self._listener
        if credential is None or listener is None or self._stopping.is_set():
            return
        log.info("%s: card presented on %r: %s", NAME, session.reader, credential)
        try:
            listener(credential)
        except Exception:  # the listener's failure is the core's business, not the reader's
            log.exception("%s: the credential listener failed", NAME)

    # -- reading one card ---------------------------------------------------------------------

    def _read_with_retries(self, session: _Session) -> Credential | None:
        """The card's credential, or None (logged) if it cannot be read. A card still settling in
        the field can fail a transfer; it stays on the reader and makes no new event, so retry."""
        for attempt in range(1, READ_ATTEMPTS + 1):
            try:
                return self._read_credential(session)
            except _CardUnreadable as exc:
                if not exc.transient or attempt == READ_ATTEMPTS or self._stopping.wait(RETRY_S):
                    log.warning("%s: card on %r not read: %s", NAME, session.reader, exc)
                    return None
        return None

    def _read_credential(self, session: _Session) -> Credential:
        hresult, card, protocol = scard.SCardConnect(
            session.context, session.reader, scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        if hresult in _CARD_GONE:
            raise _CardUnreadable("there is no card on the reader (any more)")
        if hresult != scard.SCARD_S_SUCCESS and not _breaks_link(hresult):
            raise _CardUnreadable(_explain(hresult, "SCardConnect"), transient=True)
        _check(hresult, "SCardConnect", session.reader)
        try:
            return Credential(CredentialKind.CARD_UID, self._identifier(card, int(protocol)))
        finally:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)

    def _identifier(self, card: int, protocol: int) -> str:
        number_format = self.settings.memory_number
        if number_format is None:
            try:
                return format_uid(_transmit(card, protocol, GET_UID, "GET UID"), self.settings.uid_format)
            except ValueError as exc:
                raise _CardUnreadable(str(exc)) from exc
        memory = b"".join(
            _transmit(card, protocol, _read_binary(block, number_format.block_size), f"READ BLOCK {block}")
            for block in number_format.blocks)
        try:
            return card_number_from_memory(memory, number_format)
        except ValueError as exc:
            raise _CardUnreadable(str(exc)) from exc

    # -- the PC/SC context ----------------------------------------------------------------------

    def _open(self) -> _Session:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise DeviceUnavailable(_explain(hresult, "SCardEstablishContext"))
        try:
            return _Session(int(context), self._find_reader(int(context)))
        except BaseException:
            scard.SCardReleaseContext(context)
            raise

    def _find_reader(self, context: int) -> str:
        readers = _list_readers(context)
        wanted = self.settings.reader
        for name in readers:
            if wanted.casefold() in name.casefold():
                return name
        if not readers:
            raise DeviceUnavailable("no card reader is connected")
        raise DeviceUnavailable(f"no reader matching {wanted!r}; readers present: {', '.join(readers)}")

    def _check_reader(self, session: _Session) -> None:
        if session.reader not in _list_readers(session.context):
            raise PcscError(f"reader {session.reader!r} was unplugged", scard.SCARD_E_UNKNOWN_READER)

    @staticmethod
    def _close(session: _Session) -> None:
        scard.SCardReleaseContext(session.context)


def _list_readers(context: int) -> list[str]:
    hresult, readers = scard.SCardListReaders(context, [])
    if hresult in (scard.SCARD_E_NO_READERS_AVAILABLE, scard.SCARD_E_READER_UNAVAILABLE):
        return []
    _check(hresult, "SCardListReaders")
    return [str(name) for name in readers]


def _read_binary(block: int, length: int) -> bytes:
    # PC/SC Part 3 §3.2.2.1.8 READ BINARY: P1 P2 is the block number for storage cards.
    return bytes([0xFF, 0xB0, block >> 8, block & 0xFF, length])


def _transmit(card: int, protocol: int, apdu: bytes, what: str) -> bytes:
    """The response data of a successful (90 00) APDU; :class:`_CardUnreadable` otherwise."""
    hresult, response = scard.SCardTransmit(card, protocol, list(apdu))
    if hresult in _CARD_GONE:
        raise _CardUnreadable(f"the card was taken away during {what}")
    if hresult != scard.SCARD_S_SUCCESS and not _breaks_link(hresult):
        raise _CardUnreadable(f"{what}: {_explain(hresult, 'SCardTransmit')}", transient=True)
    _check(hresult, "SCardTransmit")
    data: list[Any] = list(response)
    if len(data) < 2:
        raise _CardUnreadable(f"{what} ({apdu.hex(' ').upper()}): no status word in the answer")
    sw = (int(data[-2]) << 8) | int(data[-1])
    if sw != 0x9000:
        meaning = _STATUS_WORDS.get(sw, "refused")
        raise _CardUnreadable(f"{what} ({apdu.hex(' ').upper()}) answered {sw:04X}: {meaning}")
    return bytes(int(b) for b in data[:-2])


def _breaks_link(hresult: int) -> bool:
    """Whether a failed call means pcscd or the reader is gone, rather than this one card."""
    return hresult in _SERVICE_GONE or hresult in _READER_GONE or hresult in _LINK_LOST


def _check(hresult: int, call: str, reader: str = "") -> None:
    if hresult != scard.SCARD_S_SUCCESS:
        raise PcscError(_explain(hresult, call, reader), hresult)


def _explain(hresult: int, call: str, reader: str = "") -> str:
    if hresult in _SERVICE_GONE:
        return "the PC/SC service (pcscd) is not running"
    if hresult in _LINK_LOST:
        return "lost the connection to the PC/SC service (pcscd stopped or restarted)"
    if hresult in _READER_GONE:
        return f"reader {reader!r} was unplugged" if reader else "no card reader is connected"
    message = str(scard.SCardGetErrorMessage(hresult)).rstrip(". ")
    return f"{call} failed: {message} (0x{hresult & 0xFFFFFFFF:08X})"
