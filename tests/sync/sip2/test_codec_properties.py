"""Properties of the SIP2 codec: every message in the catalogue survives encode -> decode, in cp850
and in utf-8, with and without error detection; and no bytes make decode raise anything but
:class:`Sip2DecodeError`."""

from __future__ import annotations

import re
import string

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sync.sip2.codec import Message, Sip2DecodeError, decode, encode
from sync.sip2.spec import MESSAGES

COMMANDS = sorted(MESSAGES)
ENCODINGS = ("cp850", "utf-8")


# Printable characters only: no control characters (so no CR/LF), no surrogates, no delimiter.
CHARACTERS = {
    "cp850": st.characters(codec="cp850", exclude_categories=("Cc", "Cs"), exclude_characters="|"),
    "utf-8": st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="|"),
}
DANISH = st.sampled_from("æøåÆØÅ")


def text(encoding: str, *, min_size: int = 0, max_size: int = 30) -> st.SearchStrategy[str]:
    return st.text(DANISH | CHARACTERS[encoding], min_size=min_size, max_size=max_size)


FIELD_CODE = (st.tuples(st.sampled_from(string.ascii_uppercase),
                        st.sampled_from(string.ascii_uppercase + string.digits))
              .map("".join).filter(lambda code: code not in ("AY", "AZ")))

# Without error detection a message with no variable fields ends in its fixed part, and a fixed part
# that happens to end in "AZ" plus four hex digits reads as a checksum trailer: the protocol itself
# cannot tell them apart, so such messages are left out.
_LOOKS_LIKE_A_TRAILER = re.compile(r"AZ[0-9A-Fa-f]{4}\Z")


@st.composite
def messages(draw: st.DrawFn, encoding: str) -> Message:
    command = draw(st.sampled_from(COMMANDS))
    spec = MESSAGES[command]
    # One draw for the whole fixed part, cut into the fields: far faster than one draw per field.
    blob = draw(text(encoding, min_size=spec.fixed_length, max_size=spec.fixed_length))
    fixed, position = {}, 0
    for name, length in spec.fixed:
        fixed[name] = blob[position:position + length]
        position += length
    fields = draw(st.lists(st.tuples(FIELD_CODE, text(encoding)), max_size=8))
    return Message(command, fixed, fields)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), encoding=st.sampled_from(ENCODINGS), sequence=st.integers(0, 9),
       error_detection=st.booleans())
def test_decode_of_encode_is_the_message(data: st.DataObject, encoding: str, sequence: int,
                                         error_detection: bool) -> None:
    original = data.draw(messages(encoding))
    wire = encode(original, encoding=encoding, sequence=sequence, error_detection=error_detection)
    if not error_detection and not original.fields:
        assume(not _LOOKS_LIKE_A_TRAILER.search(wire.decode(encoding)))

    decoded = decode(wire, encoding=encoding)

    assert decoded.command == original.command
    assert decoded.fixed == original.fixed
    assert decoded.fields == original.fields
    assert decoded.sequence == (sequence if error_detection else None)
    assert (decoded.checksum is not None) == error_detection


@st.composite
def near_frames(draw: st.DrawFn) -> bytes:
    """Bytes that start like a real message, so decode gets past the first checks."""
    command = draw(st.sampled_from(COMMANDS)).encode("ascii")
    length = MESSAGES[command.decode()].fixed_length
    body = draw(st.binary(min_size=max(0, length - 2), max_size=length + 60))
    trailer = draw(st.sampled_from([b"", b"AZ", b"AY1AZ", b"AY9AZFFFF", b"AZfef5", b"|AY", b"\r", b"\r\n"]))
    return command + body + trailer


@settings(max_examples=2500, deadline=None)
@given(wire=st.one_of(st.binary(max_size=120), near_frames()), encoding=st.sampled_from(ENCODINGS),
       verify=st.booleans())
def test_decode_of_any_bytes_raises_only_a_decode_error(wire: bytes, encoding: str, verify: bool) -> None:
    try:
        decoded = decode(wire, encoding=encoding, verify=verify)
    except Sip2DecodeError:
        return
    assert decoded.command in MESSAGES
