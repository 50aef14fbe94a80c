"""The pseudo-locale: every Danish text, longer, accented and bracketed, with its placeholders."""

from __future__ import annotations

import re

from kiosk.texts import DEFAULT_LANGUAGE, LANGUAGES, PSEUDO_LANGUAGE, catalogue, plural, text
from kiosk.texts.pseudo import pseudo_text

PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def test_a_pseudo_text_is_longer_accented_bracketed_and_keeps_its_placeholders() -> None:
    source = "Du har lånt {count} materialer til {date}"
    shown = pseudo_text(source)
    assert shown.startswith("[") and shown.endswith("]")
    assert len(shown) >= 1.4 * len(source)
    assert PLACEHOLDER.findall(shown) == ["{count}", "{date}"]
    assert not re.search(r"[a-zA-Z]", PLACEHOLDER.sub("", shown))  # every letter accented


def test_every_danish_text_has_its_pseudo_text() -> None:
    danish = catalogue(DEFAULT_LANGUAGE)._catalog  # type: ignore[attr-defined]
    keys = [key for key in danish if isinstance(key, str) and key]
    assert keys
    for key in keys:
        shown = text(key, PSEUDO_LANGUAGE)
        assert shown != key and shown == pseudo_text(danish[key])
        assert PLACEHOLDER.findall(shown) == PLACEHOLDER.findall(danish[key])


def test_plural_forms_follow_danish_and_the_pseudo_locale_is_not_offered() -> None:
    assert plural("msg.wrong_pin", 1, PSEUDO_LANGUAGE, attempts=1) != plural(
        "msg.wrong_pin", 2, PSEUDO_LANGUAGE, attempts=2).replace("2", "1")
    assert "2" in plural("msg.wrong_pin", 2, PSEUDO_LANGUAGE, attempts=2)
    assert PSEUDO_LANGUAGE not in LANGUAGES
