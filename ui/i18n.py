"""Interface texts in Danish and English. Danish words follow ../shared/GLOSSARY.md.

Every message a patron can see says what happened and what to do next.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {"da": "Velkommen", "en": "Welcome"},
    "start.instruction": {
        "da": "Hold dit lånerkort eller sundhedskort mod kortlæseren",
        "en": "Hold your library card or health card against the card reader",
    },
    "door.unlocked.title": {"da": "Døren er låst op", "en": "The door is unlocked"},
    "door.unlocked": {"da": "Velkommen – gå ind nu.", "en": "Welcome – please go in now."},
    "door.unlocked.child": {"da": "Velkommen til dig og 1 barn – gå ind nu.",
                            "en": "Welcome to you and 1 child – please go in now."},
    "door.unlocked.children": {"da": "Velkommen til dig og {n} børn – gå ind nu.",
                               "en": "Welcome to you and {n} children – please go in now."},
    "door.unlocked.hint": {
        "da": "Døren låser igen om lidt. Husk at lukke den efter dig.",
        "en": "The door locks again in a moment. Please close it behind you.",
    },
    "door.refused.title": {"da": "Adgang nægtet", "en": "Access refused"},
    "door.failed.title": {"da": "Døren kunne ikke låses op", "en": "The door could not be unlocked"},
    "door.failed": {
        "da": "Prøv igen om lidt. Sker det igen, så kontakt personalet i betjent åbningstid.",
        "en": "Try again in a moment. If it happens again, contact staff during staffed hours.",
    },
    "opening.unstaffed": {"da": "Selvbetjent åbningstid til kl. {time}",
                          "en": "Self-service opening hours until {time}"},
    "opening.staffed": {"da": "Betjent åbningstid til kl. {time}", "en": "Staffed hours until {time}"},
    "opening.closed": {"da": "Biblioteket er lukket. Vi åbner igen {when}.",
                       "en": "The library is closed. We open again {when}."},
    "start.reader_down": {
        "da": "Kortlæseren virker ikke lige nu. Scan stregkoden på dit lånerkort i stedet.",
        "en": "The card reader is not working right now. Scan the barcode on your library card instead.",
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
    "pin.children": {"da": "Børn med mig", "en": "Children with me"},
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
    "idle.countdown_one": {
        "da": "Du bliver logget ud om 1 sekund.",
        "en": "You will be logged out in 1 second.",
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
        "da": "Forkert pinkode for mange gange. Kortet kan bruges her igen om {minutes} minutter. Har "
        "du glemt din pinkode, kan personalet hjælpe i betjent åbningstid.",
        "en": "Too many wrong PINs. The card can be used here again in {minutes} minutes. If you have "
        "forgotten your PIN, staff can help during staffed hours.",
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
    "msg.goodbye_receipt": {
        "da": "Du er logget ud. Husk din kvittering – tak for besøget!",
        "en": "You are logged out. Remember your receipt – thank you for visiting!",
    },
    "msg.goodbye_email": {
        "da": "Du er logget ud. Kvitteringen er sendt til din e-mail – tak for besøget!",
        "en": "You are logged out. The receipt has been sent to your e-mail – thank you for visiting!",
    },
    "msg.receipt_failed": {
        "da": "Kvitteringen kunne ikke printes, men alt er registreret. Du kan se dine lån under "
        "Mine lån.",
        "en": "The receipt could not be printed, but everything is registered. You can see your "
        "loans under My account.",
    },
    "msg.returned": {
        "da": "Tak! Dine materialer er afleveret.",
        "en": "Thank you! Your items are returned.",
    },
    "msg.timed_out": {
        "da": "Du er logget ud, fordi der ikke skete noget i et stykke tid.",
        "en": "You were logged out because nothing happened for a while.",
    },
    # -- start, identify, menu ------------------------------------------------------------------
    "start.choose": {"da": "Hvad vil du?", "en": "What would you like to do?"},
    "start.or_card": {
        "da": "Eller hold dit lånerkort mod kortlæseren for at logge ind",
        "en": "Or hold your library card against the card reader to log in",
    },
    "purpose.borrow": {"da": "Lån", "en": "Borrow"},
    "purpose.return": {"da": "Aflever", "en": "Return"},
    "purpose.account": {"da": "Mine lån", "en": "My account"},
    "purpose.borrow.detail": {"da": "Lån materialer med hjem", "en": "Take items home"},
    "purpose.return.detail": {"da": "Uden at logge ind", "en": "No need to log in"},
    "purpose.account.detail": {"da": "Se, forny og reserveringer", "en": "See, renew and holds"},
    "identify.instruction": {
        "da": "Hold dit lånerkort eller sundhedskort mod kortlæseren",
        "en": "Hold your library card or health card against the card reader",
    },
    "identify.title": {"da": "Log ind", "en": "Log in"},
    "menu.choose": {"da": "Hvad vil du gøre?", "en": "What would you like to do?"},
    # -- borrow and return ----------------------------------------------------------------------
    "pad.title": {"da": "Læg materialerne på pladen", "en": "Put the items on the pad"},
    "pad.borrow_hint": {
        "da": "Materialerne bliver lånt, så snart de ligger på pladen. Læg gerne flere på ad gangen.",
        "en": "Items are borrowed as soon as they are on the pad. You can put several on at once.",
    },
    "pad.return_hint": {
        "da": "Materialerne bliver afleveret, så snart de ligger på pladen. Du skal ikke logge ind.",
        "en": "Items are returned as soon as they are on the pad. You do not need to log in.",
    },
    "pad.empty": {"da": "Der ligger ingen materialer på pladen endnu",
                  "en": "There are no items on the pad yet"},
    "busy": {"da": "Et øjeblik …", "en": "One moment …"},
    "done": {"da": "Færdig", "en": "Done"},
    "back": {"da": "Tilbage", "en": "Back"},
    "yes": {"da": "Ja", "en": "Yes"},
    "no": {"da": "Nej", "en": "No"},
    "item.unknown_title": {"da": "Materiale {item_id}", "en": "Item {item_id}"},
    "item.unreadable_title": {"da": "Ukendt materiale", "en": "Unknown item"},
    "item.checking": {"da": "Et øjeblik …", "en": "One moment …"},
    "item.borrowed": {"da": "Lånt – afleveres senest {date}", "en": "Borrowed – return by {date}"},
    "item.borrowed_no_date": {"da": "Lånt", "en": "Borrowed"},
    "item.returned.shelf": {"da": "Afleveret – læg det i returkassen",
                            "en": "Returned – put it in the returns box"},
    "item.returned.hold_shelf": {"da": "Afleveret – læg det på hylden til reserveringer",
                                 "en": "Returned – put it on the hold shelf"},
    "item.returned.transit": {"da": "Afleveret – læg det i kassen til andre biblioteker",
                              "en": "Returned – put it in the box for other libraries"},
    "item.returned.sort_bin": {"da": "Afleveret – læg det i sorteringskasse {bin}",
                               "en": "Returned – put it in sort bin {bin}"},
    "item.refused.borrow": {
        "da": "Kan ikke lånes. Læg det tilbage på hylden, eller kontakt personalet i betjent "
        "åbningstid.",
        "en": "Cannot be borrowed. Put it back on the shelf, or contact staff during staffed hours.",
    },
    "item.refused.return": {
        "da": "Kan ikke afleveres her. Tag det med, og kontakt personalet i betjent åbningstid.",
        "en": "Cannot be returned here. Take it with you and contact staff during staffed hours.",
    },
    "item.fee_waiting": {"da": "Lånet koster {amount} – svar på spørgsmålet",
                         "en": "The loan costs {amount} – please answer the question"},
    "item.fee_declined": {"da": "Ikke lånt (lånet koster {amount}). Læg det tilbage på hylden.",
                          "en": "Not borrowed (the loan costs {amount}). Put it back on the shelf."},
    "item.incomplete_set": {"da": "{present} af {total} dele ligger på pladen – læg resten på",
                            "en": "{present} of {total} parts are on the pad – put the rest on"},
    "item.security_failed.borrow": {
        "da": "Lånet blev annulleret – læg materialet tilbage og kontakt personalet i betjent "
        "åbningstid",
        "en": "The loan was cancelled – put the item back and contact staff during staffed hours",
    },
    "item.security_failed.return": {
        "da": "Afleveringen kunne ikke gøres færdig – læg materialet til side og kontakt "
        "personalet i betjent åbningstid",
        "en": "The return could not be finished – put the item aside and contact staff during "
        "staffed hours",
    },
    "item.unreadable": {"da": "Materialet kan ikke læses – prøv at flytte det på pladen",
                        "en": "The item cannot be read – try moving it on the pad"},
    "item.lms_unavailable": {
        "da": "Ingen forbindelse til biblioteket – prøv igen om et par minutter",
        "en": "No connection to the library system – try again in a few minutes",
    },
    "item.needs_staff": {
        "da": "Noget gik galt – læg materialet til side og kontakt personalet i betjent åbningstid",
        "en": "Something went wrong – put the item aside and contact staff during staffed hours",
    },
    "item.not_saved.borrow": {
        "da": "Ikke lånt – kiosken kan ikke gemme lige nu. Læg det tilbage, og kontakt personalet.",
        "en": "Not borrowed – the kiosk cannot save anything right now. Please put it back and "
              "contact staff.",
    },
    "item.not_saved.return": {
        "da": "Ikke afleveret – kiosken kan ikke gemme lige nu. Tag det med til personalet.",
        "en": "Not returned – the kiosk cannot save anything right now. Please take it to staff.",
    },
    "item.offline_note": {
        "da": "Forbindelsen til biblioteksystemet er nede – det registreres, når den er tilbage.",
        "en": "The library system cannot be reached – this is recorded there when it is back.",
    },
    "item.offline_limit": {
        "da": "Ikke lånt – mens forbindelsen er nede, kan man kun låne få materialer ad gangen. "
              "Læg det tilbage på hylden.",
        "en": "Not borrowed – while the library system cannot be reached, only a few items can be "
              "borrowed. Please put it back on the shelf.",
    },
    "item.offline_category": {
        "da": "Ikke lånt – din lånertype kan ikke låne, mens forbindelsen er nede. Læg det tilbage.",
        "en": "Not borrowed – your type of card cannot borrow while the library system cannot be "
              "reached. Please put it back.",
    },
    "item.offline_disabled": {
        "da": "Ikke lånt – der kan ikke lånes, mens forbindelsen til biblioteksystemet er nede.",
        "en": "Not borrowed – nothing can be borrowed while the library system cannot be reached.",
    },
    "offline.banner": {
        "da": "Forbindelsen til biblioteksystemet er nede. Du kan stadig låne (et begrænset antal) og "
              "aflevere.",
        "en": "The library system cannot be reached. You can still borrow (a limited number) and "
              "return.",
    },
    "item.other_library": {"da": "Materialet tilhører et andet bibliotek",
                           "en": "This item belongs to another library"},
    # "{amount}" ends with "kr." in Danish, so no full stop after it there.
    "fee.question": {"da": "Lån af dette materiale koster {amount} Vil du låne det?",
                     "en": "Borrowing this item costs {amount}. Do you want to borrow it?"},
    "fee.yes": {"da": "Ja, lån det", "en": "Yes, borrow it"},
    "fee.no": {"da": "Nej tak", "en": "No, thank you"},
    "left_on_pad.one.borrow": {"da": "Der ligger stadig et materiale på pladen – husk at tage det med",
                               "en": "There is still an item on the pad – remember to take it"},
    "left_on_pad.many.borrow": {"da": "Der ligger stadig {n} materialer på pladen – husk at tage "
                                "dem med", "en": "There are still {n} items on the pad – remember "
                                "to take them"},
    "left_on_pad.one.return": {"da": "Der ligger stadig et materiale på pladen – læg det, som der "
                               "står på listen", "en": "There is still an item on the pad – put "
                               "it where the list says"},
    "left_on_pad.many.return": {"da": "Der ligger stadig {n} materialer på pladen – læg dem, som "
                                "der står på listen", "en": "There are still {n} items on the pad "
                                "– put them where the list says"},
    # -- my account -----------------------------------------------------------------------------
    "account.loans": {"da": "Lån ({n})", "en": "Loans ({n})"},
    "account.loans_hint": {"da": "Tryk på et lån for at vælge det til fornyelse",
                           "en": "Tap a loan to choose it for renewal"},
    "account.no_loans": {"da": "Du har ingen lån", "en": "You have no loans"},
    "account.holds": {"da": "Reserveringer ({n})", "en": "Holds ({n})"},
    "account.no_holds": {"da": "Du har ingen reserveringer", "en": "You have no holds"},
    "account.fees": {"da": "Mellemværende: {amount}", "en": "Outstanding balance: {amount}"},
    "account.renew_selected": {"da": "Forny valgte", "en": "Renew chosen"},
    "account.renew_all": {"da": "Forny alle", "en": "Renew all"},
    "loan.due": {"da": "Afleveres senest {date}", "en": "Return by {date}"},
    "loan.overdue": {"da": "Overskredet – skulle være afleveret {date}",
                     "en": "Overdue – was due {date}"},
    "loan.overdue_no_date": {"da": "Overskredet", "en": "Overdue"},
    "loan.renewed": {"da": "Fornyet – afleveres nu senest {date}",
                     "en": "Renewed – now return by {date}"},
    "loan.renewed_no_date": {"da": "Fornyet", "en": "Renewed"},
    "loan.not_renewed": {"da": "Kunne ikke fornyes", "en": "Could not be renewed"},
    "hold.ready": {"da": "Klar til afhentning", "en": "Ready for pickup"},
    "hold.ready_at": {"da": "Klar til afhentning: {place}", "en": "Ready for pickup: {place}"},
    "hold.waiting": {"da": "Venter – du får besked, når den er klar",
                     "en": "Waiting – you will be told when it is ready"},
    # -- receipt --------------------------------------------------------------------------------
    "receipt.title": {"da": "Vil du have en kvittering?", "en": "Would you like a receipt?"},
    "receipt.print": {"da": "Print", "en": "Print"},
    "receipt.email": {"da": "E-mail", "en": "E-mail"},
    "receipt.none": {"da": "Ingen kvittering", "en": "No receipt"},
    "receipt.print.detail": {"da": "På papir", "en": "On paper"},
    "receipt.email.detail": {"da": "Til din e-mailadresse", "en": "To your e-mail address"},
    "receipt.none.detail": {"da": "Du kan altid se dine lån under Mine lån",
                            "en": "You can always see your loans under My account"},
    "receipt.printed": {"da": "Kvitteringen er printet – husk at tage den med.",
                        "en": "Your receipt is printed – remember to take it."},
    "receipt.not_printed": {
        "da": "Kvitteringen kunne ikke printes. Du kan se dine lån under Mine lån.",
        "en": "The receipt could not be printed. You can see your loans under My account.",
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


MONTHS = {
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}


def format_date(date: dt.date, language: str) -> str:
    """A due date as people say it: "15. december" in Danish, "15 December" in English."""
    month = MONTHS.get(language, MONTHS["da"])[date.month - 1]
    return f"{date.day} {month}" if language == "en" else f"{date.day}. {month}"


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """ "10,00 kr." in Danish and "DKK 10.00" in English; other currencies by their code."""
    if language == "en":
        return f"{currency} {amount:,.2f}"
    digits = f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{digits} kr." if currency == "DKK" else f"{digits} {currency}"
