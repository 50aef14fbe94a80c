"""Every language the kiosk has has its own catalogue with a text for every key (without one the
screens would show Danish, which fits). The screens themselves, in every language, display mode and
orientation and in the pseudo-locale, are checked by tests/ui/test_rendered_access.py.
"""

from __future__ import annotations

import gettext

import pytest

from kiosk.texts import (
    DEFAULT_LANGUAGE,
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    PSEUDO_LANGUAGE,
    catalogue,
)

KEYS = tuple(key for key in catalogue(DEFAULT_LANGUAGE)._catalog if isinstance(key, str) and key)  # type: ignore[attr-defined]


def own_catalogue_problems(language: str) -> list[str]:
    """A language without a catalogue of its own shows Danish: the screens would look right."""
    if language == PSEUDO_LANGUAGE:
        return []
    try:
        own = gettext.translation(DOMAIN, LOCALE_DIR, [language])
    except FileNotFoundError:
        return [f"{language}: no catalogue (kiosk/texts/locale/{language}): Danish is shown"]
    missing = [key for key in KEYS if key not in own._catalog]  # type: ignore[attr-defined]
    return [f"{language}: no text for {key}" for key in missing[:10]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_its_own_text_for_every_key(language: str) -> None:
    assert own_catalogue_problems(language) == []
