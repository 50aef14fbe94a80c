"""What the print screens post to the core: the patron's touches on the print desk."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StartPrint:
    """The "Print" tile: the patron's print jobs (after the card and PIN if not logged in yet)."""


@dataclass(frozen=True)
class PrintCodeWanted:
    """"I have a release code": the code pad."""


@dataclass(frozen=True)
class PrintCodeEntered:
    code: str = ""

    def __repr__(self) -> str:
        return "PrintCodeEntered(code=***)"


@dataclass(frozen=True)
class PrintJobChosen:
    job_id: str


@dataclass(frozen=True)
class PrintChoiceChanged:
    """One choice changed: copies by ``copies_step`` (1 or -1, so two quick taps count twice),
    two-sided or black-and-white set."""

    copies_step: int = 0
    duplex: bool | None = None
    black_and_white: bool | None = None


@dataclass(frozen=True)
class PrintConfirmed:
    """"Print" with the price shown: hold it and print."""


@dataclass(frozen=True)
class PrintBack:
    """Back: from a job to the list, from the list (or the code pad) to the menu."""


@dataclass(frozen=True)
class PrintReceiptWanted:
    """A printed receipt of the payment."""


@dataclass(frozen=True)
class PrintPayByCard:
    """"Pay by card": the provider's page on the patron's phone, by a QR code."""
