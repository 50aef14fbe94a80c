"""The emulator's quirks (deliberate misbehaviour) and the cleaning of reply values."""

from __future__ import annotations

import codecs
import random
import string
from dataclasses import dataclass

_UNENCODABLE = {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
                "\u201d": '"', "\u2026": "...", "\u00a0": " "}


@dataclass(frozen=True)
class Quirks:
    """How the emulator (mis)behaves. Frozen: change it with :meth:`Sip2Emulator.update_quirks`.

    * ``crlf``: end replies with CR LF instead of CR (Koha's default terminator).
    * ``error_detection``: False = never add AY/AZ to replies and do not verify request checksums.
    * ``encoding``: of requests and replies (cp850 is the spec default; utf-8; latin-1).
    * ``delay``: seconds to wait before each reply.
    * ``drop_after``: close a connection after answering this many messages on it.
    * ``garbage_every``: every Nth reply on a connection is junk without a valid checksum
      (the real reply is kept for a 97).
    * ``no_reply_commands``: request codes that are ignored: not applied, not answered.
    * ``lost_reply_commands``: request codes that are applied but whose reply is not sent (the reply
      is kept, so a 97 or a duplicate frame gets it): a reply lost on the way.
    """

    crlf: bool = False
    error_detection: bool = True
    encoding: str = "cp850"
    delay: float = 0.0
    drop_after: int | None = None
    garbage_every: int | None = None
    no_reply_commands: frozenset[str] = frozenset()
    lost_reply_commands: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ValueError(f"quirks.encoding: unknown encoding {self.encoding!r}") from None
        if self.delay < 0:
            raise ValueError("quirks.delay: must not be negative")
        for name in ("drop_after", "garbage_every"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"quirks.{name}: must be at least 1")
        object.__setattr__(self, "no_reply_commands", frozenset(self.no_reply_commands))
        object.__setattr__(self, "lost_reply_commands", frozenset(self.lost_reply_commands))

    @property
    def terminator(self) -> bytes:
        return b"\r\n" if self.crlf else b"\r"


def sanitize(value: str, encoding: str) -> str:
    """A value safe to encode: no delimiter or line breaks, at most 255 characters, and characters
    the encoding lacks replaced by a look-alike or ``?``."""
    value = value.replace("|", "/").replace("\r", " ").replace("\n", " ")[:255]
    try:
        value.encode(encoding)
        return value
    except UnicodeEncodeError:
        pass
    out = []
    for char in value:
        char = _UNENCODABLE.get(char, char)
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            char = "?"
        out.append(char)
    return "".join(out)


def garbage() -> bytes:
    junk = "".join(random.choices(string.ascii_letters + string.digits + "#%&*+-=?", k=random.randint(8, 40)))
    return ("~" + junk).encode("ascii")
