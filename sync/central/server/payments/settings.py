"""How the central service takes card payments for prints: which provider, its keys, and where a
payer's phone reaches the service. ``library-kiosk central --payments FILE`` reads the
``[payments]`` table of a TOML file; ``--payment-provider simulated`` is the demo's (no file).

    [payments]
    provider = "quickpay"
    public_url = "https://print.aarhus.dk"   # the pay links in the QR codes start with this
    api_key = "..."                           # QuickPay: Settings -> API user
    private_key = "..."                       # QuickPay: Settings -> Integration (signs callbacks)
    expires_min = 10                          # an unpaid payment expires after this

The keys are never shown in an error, a log line or a page."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import ConfigDict, Field, model_validator

from kiosk.settings.base import Section, validate
from kiosk.settings.tomlfile import read_toml

SIMULATED_MOUNT = "/sim-provider"


class PaymentSettings(Section):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    provider: Literal["simulated", "quickpay"]
    # Where phones reach the service (the pay links); "": the service's own URL.
    public_url: str = Field(default="", pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")
    api_url: str = Field(default="https://api.quickpay.net", pattern=r"^https?://\S+$")
    api_key: str = Field(default="", repr=False)
    private_key: str = Field(default="", repr=False)
    language: str = Field(default="da", pattern="^[a-z]{2}$")
    expires_min: float = Field(default=10, gt=0, le=60)
    retry_s: float = Field(default=30, gt=0, le=3600)  # the first pause before a step is tried again

    @model_validator(mode="after")
    def _keys(self) -> Self:
        if self.provider == "quickpay" and not (self.api_key and self.private_key):
            raise ValueError("QuickPay needs api_key and private_key")
        return self


def load_payment_settings(path: Path) -> PaymentSettings:
    """The ``[payments]`` table of a TOML file; :class:`ConfigError` names what is wrong."""
    return validate(PaymentSettings, read_toml(path, "payments").get("payments", {}), path)
