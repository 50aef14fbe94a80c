"""``[lms]`` (the SIP2 account: one type, used by the client, the probe and the kiosk) and ``[offline]``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from kiosk.settings.base import Section, is_loopback


class Sip2Settings(Section):
    """``[lms.sip2]``: how to reach and log in to one SIP2 account (the ACS). The client, the
    ``sip2`` probe and the kiosk all take this one type."""

    host: str = "127.0.0.1"
    port: int = Field(default=6001, ge=1, le=65535)
    user: str = ""
    password: str = Field(default="", repr=False)
    institution: str = ""
    location: str = ""
    terminal_password: str = Field(default="", repr=False)
    tls: bool = False
    tls_verify: bool = True
    tls_ca_file: Path | None = None
    telnet: bool = False
    encoding: Literal["cp850", "utf-8", "latin-1"] = "cp850"
    error_detection: bool = True
    timeout_s: float = Field(default=10.0, gt=0, le=120, strict=False)
    retries: int = Field(default=3, ge=0, le=10)
    keepalive_s: float = Field(default=60.0, ge=0, le=3600, strict=False)
    page_size: int = Field(default=50, ge=1, le=500)
    connect_timeout_s: float = Field(default=5.0, gt=0, le=120, strict=False)
    max_message_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    sc_renewal_policy: bool = True  # 99's "SC renewal policy": the kiosk may renew
    language: str = Field(default="000", pattern=r"^\d{3}$")  # SIP2 language code; 000: unknown
    # Plain SIP2 (no TLS) to another machine sends the login password and every PIN in clear: refused
    # unless said here, for a line that is private (a VPN, the library's own network), and then warned.
    allow_plaintext: bool = False

    @model_validator(mode="after")
    def _no_clear_text_over_a_network(self) -> Sip2Settings:
        if self.plaintext_over_network and not self.allow_plaintext:
            raise ValueError(
                f"tls: SIP2 without TLS to {self.host} would send the login password and every PIN across "
                "the network in clear; set tls = true, or allow_plaintext = true if the line is private")
        return self

    @property
    def plaintext_over_network(self) -> bool:
        return not self.tls and not is_loopback(self.host)


class FbsSettings(Section):
    """``[lms.fbs]``: FBS, the Danish libraries' common LMS: SIP2 messages in an XML envelope, one HTTPS
    POST each, to ``endpoint`` (``https://<host>/rest/sip2/DK-<agency>``)."""

    endpoint: str = ""
    agency: str = ""  # the library's agency, ``DK-775100``: the SIP2 institution (AO)
    login: str = ""  # the SIP2 account the municipality gives the kiosk
    password: str = Field(default="", repr=False)
    location: str = ""  # where returns are made (SIP2 AP), as FBS knows the branch
    # The branch as FBS names it first in an item's permanent location ("Hovedbiblioteket"): a return
    # that belongs to another branch is put aside for transit. Empty: FBS's answer alone decides.
    branch: str = ""
    tls_ca_file: Path | None = None  # a CA bundle of its own; default: the system's
    timeout_s: float = Field(default=10.0, gt=0, le=120, strict=False)  # per request, all tries included
    connect_timeout_s: float = Field(default=5.0, gt=0, le=120, strict=False)
    retries: int = Field(default=2, ge=0, le=10)  # only for requests that change nothing
    page_size: int = Field(default=50, ge=1, le=500)
    language: str = Field(default="000", pattern=r"^\d{3}$")

    @model_validator(mode="after")
    def _https(self) -> FbsSettings:
        if self.endpoint:
            parts = urlsplit(self.endpoint)
            if parts.scheme not in ("https", "http") or not parts.hostname:
                raise ValueError(f"endpoint: {self.endpoint!r} is not an https:// address")
            if parts.scheme == "http" and not is_loopback(parts.hostname):
                raise ValueError("endpoint: FBS is reached over https:// only (http:// only on this "
                                 "machine): the SIP2 password and every PIN are in each request")
        return self


class LmsSettings(Section):
    kind: Literal["sip2", "fbs", "emulator", "memory"] = "sip2"
    seed: Path | None = None
    protocol: Literal["sip2", "fbs"] = "sip2"  # the built-in emulator's (kind "emulator")
    sip2: Sip2Settings = Sip2Settings()
    fbs: FbsSettings = FbsSettings()

    @model_validator(mode="after")
    def _seed_when_needed(self) -> LmsSettings:
        if self.kind in ("emulator", "memory") and self.seed is None:
            raise ValueError(f"seed: the {self.kind!r} LMS needs a seed file")
        if self.kind == "fbs" and not (self.fbs.endpoint and self.fbs.agency and self.fbs.login):
            raise ValueError("fbs: FBS needs its endpoint, the library's agency and the SIP2 login "
                             "(lms.fbs.endpoint, agency, login, password)")
        return self


class OfflineSettings(Section):
    """``[offline]``: what a kiosk may do while the LMS cannot be reached."""

    enabled: bool = True
    max_items_per_patron: int = Field(default=5, ge=0, le=100)
    categories: tuple[str, ...] = Field(default=(), strict=False)  # patron categories (SIP2 PC); empty: all
    loan_days: int = Field(default=14, ge=1, le=120)
    returns: bool = True
    probe_interval_s: float = Field(default=15.0, gt=0, le=3600, strict=False)
