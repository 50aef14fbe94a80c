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
import re
from pathlib import Path
from typing import Literal, get_args

log = logging.getLogger(__name__)

DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).parent / "locale"
Language = Literal["da", "en", "ar", "uk", "tr", "pl", "so", "fa"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE = "da"
# Each in its own language and script, for the language chooser.
LANGUAGE_NAMES: dict[str, str] = {"da": "Dansk", "en": "English", "ar": "العربية", "uk": "Українська",
                                  "tr": "Türkçe", "pl": "Polski", "so": "Soomaali", "fa": "فارسی"}
RIGHT_TO_LEFT = frozenset({"ar", "fa"})
# Not offered to patrons: every Danish text longer, accented and bracketed, for the truncation tests.
PSEUDO_LANGUAGE = "qps"


@functools.cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language``, falling back to Danish."""
    if language == PSEUDO_LANGUAGE:
        from kiosk.texts.pseudo import pseudo_catalogue

        return pseudo_catalogue(catalogue(DEFAULT_LANGUAGE))
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


_LMS_CODE = re.compile(r"\[([A-Z][A-Z0-9_]{1,60})\]")
_UNKNOWN_CODES_LOGGED: set[str] = set()


def lms_text(message: str, language: str) -> str:
    """A message from the LMS as the patron reads it. FBS sends codes in brackets
    (``[BEFORE_RENEW_PERIOD]``): a known code becomes its sentence in ``language``, an unknown one a
    general sentence with the code (logged once, to be added to the catalogue); the rest of the text
    stays as the LMS wrote it."""

    def sentence(found: re.Match[str]) -> str:
        code = found.group(1)
        if has(f"lms.code.{code}", language):
            return text(f"lms.code.{code}", language)
        if code not in _UNKNOWN_CODES_LOGGED:
            _UNKNOWN_CODES_LOGGED.add(code)
            log.warning("the LMS sent the code [%s], which has no text yet (kiosk/texts/locale)", code)
        return text("lms.code.unknown", language, code=code)

    return _LMS_CODE.sub(sentence, message)


def plural(key: str, count: int, language: str, **values: object) -> str:
    """The form of ``key`` for ``count`` in ``language`` (its own plural rule), filled in."""
    found = catalogue(language).ngettext(key, f"{key}.plural", count)
    return found.format(**values) if values else found
