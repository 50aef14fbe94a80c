"""The XML envelope FBS wraps each SIP2 message in.

A request is an ``ns1:sip`` element in the namespace ``http://axiell.com/Schema/sip.xsd`` with the
SIP2 account as the attributes ``login`` and ``password`` and the message in ``<request>``. A reply
is an ``ns2:sip`` document whose ``<response>`` holds the SIP2 reply, or an ``<error>`` text (FBS
refused the message: a missing field, a wrong login), or a REST error document with ``<errorCode>``
and ``<correlationId>`` (sometimes with an HTTP status other than 200).

Replies are parsed with the standard library's expat parser, after refusing any document with a
DOCTYPE (entity declarations are the XML parsers' known weak spot; FBS never sends one) and any
larger than :data:`MAX_REPLY_BYTES`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

NAMESPACE = "http://axiell.com/Schema/sip.xsd"
MAX_REPLY_BYTES = 1_048_576


@dataclass(frozen=True)
class Reply:
    """What an FBS reply document says: the SIP2 reply text, or why there is none."""

    response: str | None = None
    error: str | None = None  # FBS's <error> text, or "<errorCode> (correlation <id>)"


class EnvelopeError(ValueError):
    """A document that is not an FBS reply (the reason, without the document)."""


def request_xml(login: str, password: str, sip2: str) -> bytes:
    """The envelope around one SIP2 message (its text without terminator or checksum)."""
    escaped = sip2.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<ns1:sip login="{_attribute(login)}" password="{_attribute(password)}" '
            f'xmlns:ns1="{NAMESPACE}"><request>{escaped}</request></ns1:sip>').encode()


def parse_reply(body: bytes) -> Reply:
    """The reply in ``body``; :class:`EnvelopeError` when it is not an FBS document."""
    if len(body) > MAX_REPLY_BYTES:
        raise EnvelopeError(f"the reply is larger than {MAX_REPLY_BYTES} bytes")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise EnvelopeError("the reply declares a DOCTYPE or entities, which FBS does not")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise EnvelopeError(f"the reply is not XML ({exc})") from None
    found = {_local(element.tag): element for element in root.iter()}
    if "response" in found:
        return Reply(response=found["response"].text or "")
    if "error" in found:
        return Reply(error=(found["error"].text or "").strip() or "FBS refused the request")
    if "errorCode" in found:
        code = (found["errorCode"].text or "").strip()
        correlation = found.get("correlationId")
        suffix = f" (correlation {(correlation.text or '').strip()})" if correlation is not None else ""
        return Reply(error=f"{code or 'an error'}{suffix}")
    raise EnvelopeError(f"the reply has no <response> or <error> (root <{_local(root.tag)}>)")


def request_text(body: bytes) -> tuple[str, str, str]:
    """(login, password, SIP2 text) of a request envelope: the emulator's side."""
    if b"<!DOCTYPE" in body.upper() or len(body) > MAX_REPLY_BYTES:
        raise EnvelopeError("not an FBS request")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise EnvelopeError(f"the request is not XML ({exc})") from None
    request = next((e for e in root.iter() if _local(e.tag) == "request"), None)
    if _local(root.tag) != "sip" or request is None:
        raise EnvelopeError("the request has no <request> in an <sip> element")
    return root.get("login", ""), root.get("password", ""), request.text or ""


def reply_xml(*, response: str | None = None, error: str | None = None) -> bytes:
    """A reply document as FBS writes it (the emulator's side)."""
    if response is not None:
        inner = f"<response>{_escape(response)}</response>"
    else:
        inner = f"<error>{_escape(error or '')}</error>"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<ns2:sip xmlns:ns2="{NAMESPACE}">{inner}</ns2:sip>').encode()


def rest_error_xml(code: str, correlation: str) -> bytes:
    """FBS's REST error document (the emulator's side)."""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><restError>'
            f'<errorCode>{_escape(code)}</errorCode><correlationId>{_escape(correlation)}</correlationId>'
            f'</restError>').encode()


def _attribute(text: str) -> str:
    return (_escape(text).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
            .replace("\r", "&#13;"))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
