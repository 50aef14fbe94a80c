"""Argument types the commands share."""

from __future__ import annotations

import argparse
import datetime as dt

from kiosk.texts import LANGUAGES, PSEUDO_LANGUAGE

__all__ = ["LANGUAGES", "PSEUDO_LANGUAGE", "date", "screen_size"]


def screen_size(text: str) -> tuple[int, int]:
    """WIDTHxHEIGHT in pixels."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1080x1920") from None
    if not (200 <= width <= 8000 and 200 <= height <= 8000):
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be 200 to 8000 pixels")
    return width, height


def date(text: str) -> dt.date:
    """A day, YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-25") from None
