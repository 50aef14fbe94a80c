"""The ``[printing]`` section: what a printed page costs at this branch (print release).

Prices are per printed side of A4 in the currency's main unit as strings ("0.55"), black-and-white
and colour; A3 costs ``a3_factor`` times that, the other sizes printed here as A4. A duplex job is charged by
the sides printed: the blank back of an odd last page is free unless ``charge_blank_backs``."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, field_validator

from kiosk.settings.base import Section

PAPER_SIZES = ("A4", "A3", "A5", "Letter", "Legal")


class PrintingSettings(Section):
    currency: str = Field(default="DKK", min_length=3, max_length=3)
    black: Decimal = Field(default=Decimal("0.55"), ge=0, strict=False)
    colour: Decimal = Field(default=Decimal("1.00"), ge=0, strict=False)
    paper_sizes: tuple[str, ...] = Field(default=("A4", "A3", "A5"), strict=False, min_length=1)
    a3_factor: Decimal = Field(default=Decimal(2), gt=0, strict=False)
    charge_blank_backs: bool = False
    max_copies: int = Field(default=20, ge=1, le=999)
    # Where citizens send documents from a phone: the central service's upload page as the public
    # sees it (short: it is shown on the screen and as a QR code), e.g. "https://print.aarhus.dk".
    upload_url: str = Field(default="", max_length=200)
    # Offer paying by card on the patron's phone (the central service's payment provider: its page
    # by a QR code on the screen); the balance is offered either way.
    card_payments: bool = False

    @field_validator("black", "colour", "a3_factor", mode="before")
    @classmethod
    def _money(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError("write the amount as a string, e.g. \"0.55\"")
        return value

    @field_validator("paper_sizes")
    @classmethod
    def _sizes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(PAPER_SIZES))
        if unknown:
            raise ValueError(f"{unknown[0]}: not a paper size the kiosk knows ({', '.join(PAPER_SIZES)})")
        return value

    def factor(self, size: str) -> Decimal:
        """What a side of ``size`` costs against one of A4 (A3 by ``a3_factor``, the rest as A4)."""
        return self.a3_factor if size == "A3" else Decimal(1)
