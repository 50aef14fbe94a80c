"""The Danish CPR number: only what the kiosk needs of it, the birth date. Never log one."""

from __future__ import annotations

import datetime as dt


def birth_date(cpr: str) -> dt.date | None:
    """The birth date in a ten-digit CPR number (digits only), or None if there is none.

    The century comes from the seventh digit and the year (table on da.wikipedia.org/wiki/CPR-nummer).
    Modulus 11 is deliberately not checked: CPR numbers issued since 2007 may fail it (cpr.dk).
    """
    if len(cpr) != 10 or not (cpr.isascii() and cpr.isdigit()):
        return None
    day, month, year, seventh = int(cpr[0:2]), int(cpr[2:4]), int(cpr[4:6]), int(cpr[6])
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if year <= 36 else 1900
    else:
        century = 2000 if year <= 57 else 1800
    try:
        return dt.date(century + year, month, day)
    except ValueError:
        return None
