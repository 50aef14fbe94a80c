"""Every sentence a patron sees or hears, in each language: one catalogue, in gettext's format.

The texts live in ``locale/<language>/LC_MESSAGES/kiosk.po`` (the sources, for translators and their
tools: Poedit, Weblate, Lokalize) keyed by a message id such as ``pin.title``; ``make texts`` compiles
them with Babel into the ``.mo`` files this module reads with the standard library's gettext. A
text that counts something has plural forms (``msgid_plural`` is the key + ``.plural``), chosen by
the language's own rule. ``{name}`` in a text is filled in from the keyword arguments.

A key missing in a language falls back to Danish, then to the key itself (a test fails on either,
so that a translator sees what is missing).
"""

from __future__ import annotations

import functools
import gettext
import logging
from pathlib import Path

log = logging.getLogger(__name__)

DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("da", "en")
DEFAULT_LANGUAGE = "da"
LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}  # each in its own language, for the language buttons


@functools.cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language``, falling back to Danish."""
    fallback: gettext.NullTranslations = (gettext.NullTranslations() if language == DEFAULT_LANGUAGE
                                          else catalogue(DEFAULT_LANGUAGE))
    try:
        found = gettext.translation(DOMAIN, LOCALE_DIR, [language])
    except FileNotFoundError:
        if language == DEFAULT_LANGUAGE:
            raise
        log.warning("no texts for language %r: Danish instead", language)
        return fallback
    found.add_fallback(fallback)
    return found


def has(key: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Is there a text for ``key`` (in ``language``, or Danish)?"""
    return catalogue(language).gettext(key) != key


def text(key: str, language: str, **values: object) -> str:
    """The text for ``key`` in ``language``, with ``{name}`` filled in from ``values``."""
    found = catalogue(language).gettext(key)
    return found.format(**values) if values else found


def plural(key: str, count: int, language: str, **values: object) -> str:
    """The form of ``key`` for ``count`` in ``language`` (its own plural rule), filled in."""
    found = catalogue(language).ngettext(key, f"{key}.plural", count)
    return found.format(**values) if values else found
