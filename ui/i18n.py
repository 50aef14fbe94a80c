"""Interface texts in Danish and English. Danish words follow ../shared/GLOSSARY.md.

Every message a patron can see says what happened and what to do next.
"""

from __future__ import annotations

LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {"da": "Velkommen", "en": "Welcome"},
    "start.instruction": {
        "da": "Hold dit lånerkort eller sundhedskort mod kortlæseren",
        "en": "Hold your library card or health card against the card reader",
    },
    "start.barcode": {
        "da": "Du kan også scanne stregkoden på dit lånerkort",
        "en": "You can also scan the barcode on your library card",
    },
    "pin.title": {"da": "Indtast din pinkode", "en": "Enter your PIN"},
    "pin.hint": {
        "da": "Tryk OK, når du har tastet de {min} cifre",
        "en": "Press OK when you have typed the {min} digits",
    },
    "pin.hint_range": {
        "da": "Tast {min} til {max} cifre, og tryk OK",
        "en": "Type {min} to {max} digits, then press OK",
    },
    "pin.ok": {"da": "OK", "en": "OK"},
    "pin.delete": {"da": "Ret", "en": "Delete"},
    "cancel": {"da": "Annuller", "en": "Cancel"},
    "authenticating": {"da": "Et øjeblik …", "en": "One moment …"},
    "authenticating.detail": {
        "da": "Vi tjekker dit kort hos biblioteket",
        "en": "We are checking your card with the library",
    },
    "patron.greeting": {"da": "Hej, {name}", "en": "Hello, {name}"},
    "patron.greeting_anonymous": {"da": "Hej", "en": "Hello"},
    "patron.logged_in": {"da": "Du er logget ind.", "en": "You are logged in."},
    "patron.logout_hint": {
        "da": "Husk at logge ud, når du er færdig.",
        "en": "Remember to log out when you are done.",
    },
    "logout": {"da": "Log ud", "en": "Log out"},
    "idle.title": {"da": "Er du der stadig?", "en": "Are you still there?"},
    "idle.countdown": {
        "da": "Du bliver logget ud om {seconds} sekunder.",
        "en": "You will be logged out in {seconds} seconds.",
    },
    "idle.stay": {"da": "Ja, jeg er her stadig", "en": "Yes, I am still here"},
    "msg.unknown_card": {
        "da": "Vi kan ikke finde kortet. Prøv igen, eller kontakt personalet i betjent åbningstid.",
        "en": "We cannot find this card. Try again, or contact staff during staffed hours.",
    },
    "msg.wrong_pin": {
        "da": "Forkert pinkode. Du har {attempts} forsøg tilbage.",
        "en": "Wrong PIN. You have {attempts} attempts left.",
    },
    "msg.wrong_pin_last": {
        "da": "Forkert pinkode. Du har ét forsøg tilbage.",
        "en": "Wrong PIN. You have one attempt left.",
    },
    "msg.too_many_attempts": {
        "da": "Forkert pinkode for mange gange. Kontakt personalet i betjent åbningstid for at få "
        "en ny pinkode.",
        "en": "Too many wrong PINs. Contact staff during staffed hours to get a new PIN.",
    },
    "msg.blocked": {
        "da": "Du kan ikke bruge biblioteket selv lige nu. Kontakt personalet i betjent "
        "åbningstid.",
        "en": "You cannot use the self-service library right now. Contact staff during staffed "
        "hours.",
    },
    "msg.lms_unavailable": {
        "da": "Vi kan ikke få forbindelse til biblioteket lige nu. Prøv igen om et par minutter.",
        "en": "We cannot reach the library system right now. Try again in a few minutes.",
    },
    "msg.goodbye": {"da": "Du er logget ud. Tak for besøget!", "en": "You are logged out. "
                    "Thank you for visiting!"},
    "msg.timed_out": {
        "da": "Du er logget ud, fordi der ikke skete noget i et stykke tid.",
        "en": "You were logged out because nothing happened for a while.",
    },
    "panel.title": {"da": "Simulator (demo)", "en": "Simulator (demo)"},
    "panel.card_reader": {"da": "Kortlæser", "en": "Card reader"},
    "panel.present": {"da": "Hold kort mod læseren", "en": "Present card"},
    "panel.scan": {"da": "Scan stregkode", "en": "Scan barcode"},
    "panel.unplugged": {"da": "Kortlæser frakoblet", "en": "Card reader unplugged"},
    "panel.other_card": {"da": "Andet kortnummer", "en": "Other card number"},
}


def t(key: str, language: str, **values: object) -> str:
    """The text for ``key`` in ``language`` (Danish when a translation is missing)."""
    entry = TEXTS[key]
    text = entry.get(language) or entry["da"]
    return text.format(**values) if values else text
