"""The patron's language as SIP2 sends it (a 3-digit code in the fixed part of 24 and 64, from the
3M SIP2 specification's language table) turned into the ISO 639-1 code the kiosk's texts use.

The table has no code for Turkish, Ukrainian, Somali or Farsi: an LMS cannot say those over SIP2,
and such patrons keep the language they chose on the screen (or the terminal's default).
"""

from __future__ import annotations

# 3M SIP2 v2.00, "Language" (the fixed field of 23/24, 25/26, 63/64).
SIP2_LANGUAGES = {
    "001": "en", "002": "fr", "003": "de", "004": "it", "005": "nl", "006": "sv", "007": "fi",
    "008": "es", "009": "da", "010": "pt", "011": "fr", "012": "no", "013": "he", "014": "ja",
    "015": "ru", "016": "ar", "017": "pl", "018": "el", "019": "zh", "020": "ko", "021": "es",
    "022": "ta", "023": "ms", "024": "en", "025": "is", "026": "nl", "027": "zh",
}


def patron_language(code: str) -> str:
    """The ISO 639-1 code for a SIP2 language code; "" for 000 (unknown) and anything not in the
    table."""
    return SIP2_LANGUAGES.get(code.strip(), "")
