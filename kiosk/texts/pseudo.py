"""The pseudo-locale ``qps``: every Danish text made about 40 % longer, its letters accented and the
whole bracketed ("Scan dit kort" -> "[Ŝçàñ ðîţ ķöŕţ ··· ··]"), made from the Danish catalogue when it
is first asked for. A screen rendered in it shows where a longer translation would be cut off, which
text was never put in the catalogue (it stays plain), and where a text was cut short by eliding (the
closing bracket is gone). It is never offered to patrons (not in :data:`kiosk.texts.LANGUAGES`).
"""

from __future__ import annotations

import gettext
import math
import re

GROWTH = 0.4
_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àƀçðéƒĝĥîĵķĺɱñöþǫŕšţûṽŵẋŷžÀƁÇÐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŠŢÛṼŴẊŶŽ",
)
# Placeholders ({name}) and line breaks stay as they are.
_KEPT = re.compile(r"(\{[^{}]*\}|\n)")
_PAD_GROUP = 5  # padding in short groups: as long as a translation's words, not one unbreakable run


def pseudo_text(source: str) -> str:
    """``source`` accented, bracketed and padded to about 140 % of its length, placeholders kept."""
    if not source:
        return source
    accented = "".join(part if _KEPT.fullmatch(part) else part.translate(_ACCENTED)
                       for part in _KEPT.split(source))
    padding = max(1, math.ceil(len(source) * GROWTH) - 2)
    groups = [("·" * _PAD_GROUP)] * (padding // _PAD_GROUP) + (["·" * (padding % _PAD_GROUP)]
                                                                if padding % _PAD_GROUP else [])
    return f"[{accented} {' '.join(groups)}]"


class _PseudoTranslations(gettext.GNUTranslations):
    """A catalogue built in memory rather than read from a .mo file."""

    def __init__(self, danish: gettext.GNUTranslations) -> None:
        super().__init__()  # no file: nothing is parsed
        self._catalog = {key: pseudo_text(value) if key else value
                         for key, value in danish._catalog.items()}  # type: ignore[attr-defined]
        self.plural = danish.plural  # type: ignore[attr-defined]


def pseudo_catalogue(danish: gettext.NullTranslations) -> gettext.NullTranslations:
    """The pseudo-locale made from the Danish catalogue ``danish``."""
    if not isinstance(danish, gettext.GNUTranslations):
        raise TypeError("the pseudo-locale is made from a compiled catalogue")
    return _PseudoTranslations(danish)
