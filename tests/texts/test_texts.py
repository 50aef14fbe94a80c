"""The text catalogue: every key in every language, the same placeholders, plural forms, and the
compiled files the kiosk reads in step with the sources translators edit."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kiosk.door.access_model import AccessReason
from kiosk.door.schedule import ANNOUNCEMENTS
from kiosk.door.supervision import ALARM_ANNOUNCEMENTS
from kiosk.session.view import Message
from kiosk.texts import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, LOCALE_DIR, has, plural, text

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def source(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as file:
        return read_po(file, locale=language)


def entries(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    found = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        found[key] = tuple(forms)
    return found


def test_every_language_has_every_key_and_no_empty_text() -> None:
    danish = entries(source(DEFAULT_LANGUAGE))
    for language in LANGUAGES:
        texts = entries(source(language))
        assert sorted(set(danish) - set(texts)) == [], f"missing in {language}"
        assert sorted(set(texts) - set(danish)) == [], f"only in {language}"
        assert [key for key, forms in texts.items() if not all(forms)] == [], f"empty in {language}"


def test_a_text_has_the_same_placeholders_in_every_language() -> None:
    danish = entries(source(DEFAULT_LANGUAGE))
    for language in LANGUAGES:
        for key, forms in entries(source(language)).items():
            wanted = {name for form in danish[key] for name in PLACEHOLDER.findall(form)}
            got = {name for form in forms for name in PLACEHOLDER.findall(form)}
            # A singular form may say "one" in words instead of the number.
            assert got <= wanted and (len(forms) > 1 or got == wanted), (language, key, wanted, got)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_the_source(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, source(language))
    shipped = (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo").read_bytes()
    fresh = gettext.GNUTranslations(io.BytesIO(compiled.getvalue()))
    kept = gettext.GNUTranslations(io.BytesIO(shipped))
    assert kept._catalog == fresh._catalog, "run `make texts` after editing a .po file"  # type: ignore[attr-defined]


def test_the_plural_forms_follow_the_language() -> None:
    assert plural("idle.countdown", 1, "da", seconds=1) == "Du bliver logget ud om 1 sekund."
    assert plural("idle.countdown", 5, "da", seconds=5) == "Du bliver logget ud om 5 sekunder."
    assert plural("msg.wrong_pin", 1, "en", attempts=1) == "Wrong PIN. You have one attempt left."
    assert plural("msg.wrong_pin", 2, "en", attempts=2) == "Wrong PIN. You have 2 attempts left."


def test_a_language_without_texts_falls_back_to_danish() -> None:
    assert text("welcome", "xx") == "Velkommen"


def test_every_code_the_core_hands_to_the_screens_has_its_words() -> None:
    for language in LANGUAGES:
        assert [m for m in Message if not has(f"msg.{m.value}", language)] == []
        refusals = set(AccessReason) - {AccessReason.OK, AccessReason.STAFF, AccessReason.STAFFED_HOURS}
        assert [r for r in AccessReason if not has(f"access.{r.value}.why", language)] == []
        assert [r for r in refusals if not has(f"access.{r.value}.next", language)] == []
        assert all(has(key, language) for key in ANNOUNCEMENTS.values())
        assert all(has(key, language) for key in ALARM_ANNOUNCEMENTS.values() if key is not None)


def test_nothing_outside_the_catalogue_holds_patron_words() -> None:
    """The Danish words the screens and the core used to keep in their own tables are gone."""
    root = Path(__file__).resolve().parents[2]
    offenders = [str(path.relative_to(root)) for folder in ("kiosk", "ui")
                 for path in (root / folder).rglob("*.py")
                 if "Velkommen" in path.read_text(encoding="utf-8") and "texts" not in path.parts
                 and "simulate" not in path.parts and "cli" not in path.parts]
    assert offenders == []
