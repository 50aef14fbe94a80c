"""The common face of library tag data: raw user memory in, a :class:`kiosk.domain.model.Tag` out.

A reader driver needs only :func:`decode_tag_data` (and :func:`security_from_afi` for the AFI byte
it read); a simulator or the ``tag encode`` command needs only :func:`encode_tag_data`. Which data
model a tag holds is recognised here: a CRC-valid Danish basic block (ISO 28560-3), else ISO 28560-2.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

from hardware.rfid import (
    BlankTagError,
    DataModel,
    OptionalBlock,
    Quirk,
    TagContent,
    TagCrcError,
    TagDataError,
    danish,
    iso28560_2,
)
from kiosk.domain.errors import ConfigError
from kiosk.domain.model import SecurityState, Tag

log = logging.getLogger(__name__)

# biblstandard.dk/rfid/afi.htm: 0x07 items in stock (secured), 0xC2 items on loan.
SECURED_AFI = 0x07
UNSECURED_AFI = 0xC2


@dataclass(frozen=True)
class SecurityPolicy:
    """How the security gates tell a lent item from one that is not: the AFI byte or the EAS bit.

    In "afi" mode the tag's AFI is ``secured_afi`` or ``unsecured_afi`` (old 3M installations use
    0xD7 and 0xDA). In "eas" mode the AFI says nothing about security; the driver uses the EAS bit.
    Raises :class:`kiosk.domain.errors.ConfigError` for a policy that cannot work.
    """

    mode: Literal["afi", "eas"] = "afi"
    secured_afi: int = SECURED_AFI
    unsecured_afi: int = UNSECURED_AFI

    def __post_init__(self) -> None:
        if self.mode not in ("afi", "eas"):
            raise ConfigError(f"tag security mode must be 'afi' or 'eas', not {self.mode!r}")
        for name, value in (("secured", self.secured_afi), ("unsecured", self.unsecured_afi)):
            if not 0 <= value <= 0xFF:
                raise ConfigError(f"{name} AFI must be a byte (0x00 to 0xFF), not {value}")
        if self.secured_afi == self.unsecured_afi:
            raise ConfigError(f"secured and unsecured AFI must differ (both 0x{self.secured_afi:02X})")

    @property
    def uses_afi(self) -> bool:
        return self.mode == "afi"


DEFAULT_POLICY = SecurityPolicy()


def security_from_afi(afi: int, policy: SecurityPolicy = DEFAULT_POLICY) -> SecurityState:
    """The security state an AFI byte means under ``policy``; UNKNOWN for any other value, or in EAS mode."""
    if not policy.uses_afi:
        return SecurityState.UNKNOWN
    if afi == policy.secured_afi:
        return SecurityState.SECURED
    if afi == policy.unsecured_afi:
        return SecurityState.UNSECURED
    return SecurityState.UNKNOWN


def afi_for(state: SecurityState, policy: SecurityPolicy = DEFAULT_POLICY) -> int:
    """The AFI byte to write for ``state``. Raises ValueError for UNKNOWN or a policy in EAS mode."""
    if not policy.uses_afi:
        raise ValueError("the security policy uses the EAS bit; AFI does not carry security")
    if state is SecurityState.SECURED:
        return policy.secured_afi
    if state is SecurityState.UNSECURED:
        return policy.unsecured_afi
    raise ValueError(f"no AFI value stands for security state {state.value!r}")


def normalise_uid(uid: str) -> str:
    """A UID as upper-case hex without separators ("e0:04:01:50" -> "E0040150")."""
    compact = re.sub(r"[\s:.-]", "", uid)
    if not compact or len(compact) % 2 or not re.fullmatch(r"[0-9A-Fa-f]+", compact):
        raise TagDataError(f"tag UID {uid!r} is not a whole number of hexadecimal bytes")
    return compact.upper()


def decode_tag_content(data: bytes) -> TagContent:
    """Every field on the tag, whichever data model it holds (see :class:`TagContent`).

    Raises :class:`BlankTagError` for an empty tag, :class:`TagCrcError` for a Danish block whose
    CRC fails in both byte orders, and :class:`TagDataError` for anything else it cannot read.
    """
    if not data.strip(b"\x00") or not data.strip(b"\xff"):
        raise BlankTagError(f"the tag holds no library data ({len(data)} bytes, all blank)")
    if danish.in_tag_order(data) is not None:
        return danish.decode(data)
    try:
        return iso28560_2.decode(data)
    except TagDataError as not_iso2:
        if danish.looks_like_danish(data):
            raise danish.crc_mismatch(data) from None
        not_danish = (f"only {len(data)} bytes, at least {danish.TRUNCATED_SIZE} needed"
                      if len(data) < danish.TRUNCATED_SIZE else "no CRC-valid basic block")
        raise TagDataError(f"the tag holds neither a Danish data model block (ISO 28560-3: {not_danish}) "
                           f"nor ISO 28560-2 data ({not_iso2})") from None


def decode_tag_data(uid: str, data: bytes, security: SecurityState) -> Tag:
    """The :class:`Tag` for a tag with this UID (hex), user memory (as read) and security state.

    ``data`` is the user memory from block 0 on, as many 4-byte blocks as were read (8 or more); a
    reader that returns each block byte-reversed is detected and corrected. Raises only
    :class:`TagDataError` (a :class:`kiosk.domain.errors.DeviceError`) and its subclasses.
    """
    content = decode_tag_content(data)
    if content.quirks:
        log.debug("tag %s read with quirks: %s", uid, ", ".join(content.quirks))
    return to_tag(uid, content, security)


def to_tag(uid: str, content: TagContent, security: SecurityState) -> Tag:
    return Tag(
        uid=normalise_uid(uid),
        item_id=content.item_id,
        owner_library=content.owner_library,
        part_number=content.part_number,
        parts_in_set=content.parts_in_set,
        security=security,
    )


def encode_tag_data(content: TagContent, *, memory_size: int | None = None) -> bytes:
    """User memory for ``content`` in the Danish data model (what Danish libraries write).

    See :func:`hardware.rfid.danish.encode` for the layout and ``memory_size``. Raises
    :class:`TagDataError` naming the field that does not fit.
    """
    return danish.encode(content, memory_size=memory_size)


__all__ = [
    "DEFAULT_POLICY",
    "SECURED_AFI",
    "UNSECURED_AFI",
    "BlankTagError",
    "DataModel",
    "OptionalBlock",
    "Quirk",
    "SecurityPolicy",
    "TagContent",
    "TagCrcError",
    "TagDataError",
    "afi_for",
    "decode_tag_content",
    "decode_tag_data",
    "encode_tag_data",
    "normalise_uid",
    "security_from_afi",
    "to_tag",
]
