"""The administration web's words, in Danish and English."""

from __future__ import annotations

LANGUAGES = ("da", "en")

TEXTS: dict[str, dict[str, str]] = {
    "title": {"da": "Selvbetjening – administration", "en": "Self-service – administration"},
    "login": {"da": "Log ind", "en": "Log in"},
    "logout": {"da": "Log ud", "en": "Log out"},
    "username": {"da": "Brugernavn", "en": "User name"},
    "password": {"da": "Adgangskode", "en": "Password"},
    "login_with": {"da": "Log ind med {name}", "en": "Log in with {name}"},
    "or_local": {"da": "Eller med en lokal konto:", "en": "Or with a local account:"},
    "oidc_failed": {"da": "Log-ind gennem kommunen lykkedes ikke. Prøv igen.",
                    "en": "Signing in through the municipality did not work. Try again."},
    "oidc_unreachable": {"da": "Kommunens log-ind svarer ikke lige nu. Brug en lokal konto, eller prøv igen "
                               "om lidt.",
                         "en": "The municipality's sign-in does not answer just now. Use a local account, "
                               "or try again in a moment."},
    "oidc_no_role": {"da": "Du er logget ind hos kommunen, men har ingen rolle her. Spørg en administrator.",
                     "en": "You are signed in at the municipality, but have no role here. Ask an "
                           "administrator."},
    "login_failed": {"da": "Forkert brugernavn eller adgangskode.", "en": "Wrong user name or password."},
    "fleet": {"da": "Terminaler", "en": "Terminals"},
    "alarms": {"da": "Alarmer", "en": "Alarms"},
    "terminal": {"da": "Terminal", "en": "Terminal"},
    "branch": {"da": "Filial", "en": "Branch"},
    "last_heard": {"da": "Sidst hørt", "en": "Last heard"},
    "never": {"da": "aldrig", "en": "never"},
    "mode": {"da": "Biblioteks-system", "en": "LMS"},
    "online": {"da": "forbundet", "en": "online"},
    "offline": {"da": "offline", "en": "offline"},
    "devices": {"da": "Enheder", "en": "Devices"},
    "all_ok": {"da": "alle i orden", "en": "all fine"},
    "revision": {"da": "Konfiguration", "en": "Configuration"},
    "version": {"da": "Version", "en": "Version"},
    "outbox": {"da": "Venter på at blive sendt", "en": "Waiting to be sent"},
    "problem": {"da": "Seneste fejl", "en": "Last error"},
    "no_terminals": {"da": "Ingen terminaler er tilmeldt endnu.", "en": "No terminal is enrolled yet."},
    "no_alarms": {"da": "Ingen åbne alarmer.", "en": "No open alarms."},
    "what": {"da": "Hvad", "en": "What"},
    "when": {"da": "Hvornår", "en": "When"},
    "times": {"da": "Gange", "en": "Times"},
    "urgent": {"da": "akut", "en": "urgent"},
    "notice": {"da": "besked", "en": "notice"},
    "acknowledge": {"da": "Kvittér", "en": "Acknowledge"},
    "acknowledged": {"da": "Alarm {number} er kvitteret.", "en": "Alarm {number} acknowledged."},
    "free_mb": {"da": "MB fri", "en": "MB free"},
    "calendars": {"da": "Åbningstider", "en": "Opening hours"},
    "audit": {"da": "Log over handlinger", "en": "Audit log"},
    "staff_cards": {"da": "Personalekort", "en": "Staff cards"},
    "staff_cards_intro": {"da": "Kort, der åbner personaletilstanden på terminalerne. Tjenesten gemmer "
                                "kun kortets token og en langsom kontrolværdi af PIN-koden, aldrig "
                                "kortnummeret eller PIN-koden. Terminalerne henter listen inden for fem "
                                "minutter og bruger den i højst tre dage uden forbindelse.",
                          "en": "Cards that open staff mode at the terminals. The service keeps the "
                                "card's token and a slow check value of the PIN only, never the card "
                                "number or the PIN. Terminals fetch the list within five minutes and use "
                                "it for three days at most without a connection."},
    "no_staff_cards": {"da": "Ingen personalekort endnu.", "en": "No staff cards yet."},
    "token": {"da": "Token", "en": "Token"},
    "role": {"da": "Rolle", "en": "Role"},
    "branches": {"da": "Filialer", "en": "Branches"},
    "all_branches": {"da": "alle", "en": "all"},
    "expires": {"da": "Udløber", "en": "Expires"},
    "added": {"da": "Tilføjet", "en": "Added"},
    "remove": {"da": "Fjern", "en": "Remove"},
    "add_staff_card": {"da": "Tilføj et personalekort", "en": "Add a staff card"},
    "card_number": {"da": "Kortnummer", "en": "Card number"},
    "pin": {"da": "PIN-kode", "en": "PIN"},
    "branches_hint": {"da": "Filialer, adskilt af komma (tomt: alle)", "en": "Branches, separated by commas "
                      "(empty: all)"},
    "expires_hint": {"da": "Sidste gyldige dag, ÅÅÅÅ-MM-DD (tomt: ingen)", "en": "Last valid day, YYYY-MM-DD "
                     "(empty: none)"},
    "add": {"da": "Tilføj", "en": "Add"},
    "staff_card_added": {"da": "Kortet er tilføjet som {token}.", "en": "The card was added as {token}."},
    "staff_card_removed": {"da": "Kortet er fjernet.", "en": "The card was removed."},
    "staff_card_refused": {"da": "Ikke tilføjet: {error}", "en": "Not added: {error}"},
    "role_staff": {"da": "bibliotekar", "en": "librarian"},
    "role_technician": {"da": "tekniker", "en": "technician"},
    "role_administrator": {"da": "administrator", "en": "administrator"},
    "try_on_help": {"da": "Eller prøv ændringen på én terminal først:", "en": "Or try the change on one "
                     "terminal first:"},
    "try_on": {"da": "Prøv på denne terminal", "en": "Try on this terminal"},
    "trial_under_way": {"da": "Afprøves på {terminal} (revision t{revision}).",
                        "en": "On trial at {terminal} (revision t{revision})."},
    "trial_state_not_yet": {"da": "Terminalen har ikke hentet den endnu.",
                            "en": "The terminal has not fetched it yet."},
    "trial_state_waiting_restart": {"da": "Terminalen har godkendt den og tager den i brug ved næste "
                                          "genstart, når ingen bruger den.",
                                    "en": "The terminal checked it and takes it on at its next restart, "
                                          "when nobody is using it."},
    "trial_state_running": {"da": "Terminalen kører med den.", "en": "The terminal runs with it."},
    "trial_state_refused": {"da": "Terminalen afviste den eller rullede den tilbage (se Terminaler).",
                            "en": "The terminal refused it or rolled it back (see Terminals)."},
    "roll_out": {"da": "Rul ud til alle", "en": "Roll out to all"},
    "abandon_trial": {"da": "Opgiv afprøvningen", "en": "Abandon the trial"},
    "special_days": {"da": "Særlige dage", "en": "Special days"},
    "special_help": {"da": "Én dag pr. linje: 2026-12-31: 07:00-14:00 unstaffed (Nytårsaften); "
                           "\"closed\" for lukket.",
                     "en": "One day a line: 2026-12-31: 07:00-14:00 unstaffed (New Year's Eve); "
                           "\"closed\" for closed."},
    "closures": {"da": "Lukkedage", "en": "Closures"},
    "closures_help": {"da": "Én pr. linje: 2026-12-24 Juleaften, eller 2026-07-06..2026-07-31 Sommerferie.",
                      "en": "One a line: 2026-12-24 Christmas Eve, or 2026-07-06..2026-07-31 Summer."},
    "holidays": {"da": "Helligdage", "en": "Public holidays"},
    "holidays_help": {"da": "Åbningstid på helligdage (tomt: lukket), fx 10:00-16:00 unstaffed",
                      "en": "Hours on public holidays (empty: closed), e.g. 10:00-16:00 unstaffed"},
    "print_title": {"da": "Send til print", "en": "Send to print"},
    "print_intro": {"da": "Send en PDF, et billede (JPEG, PNG) eller et kontordokument (Word, Excel, "
                          "PowerPoint, OpenDocument, RTF, tekst). Du ser prisen her og igen ved kiosken, "
                          "før du betaler; du vælger antal og sort-hvid ved kiosken.",
                    "en": "Send a PDF, a picture (JPEG, PNG) or an office document (Word, Excel, PowerPoint, "
                          "OpenDocument, RTF, text). You see the price here and again at the kiosk before "
                          "you pay; you choose copies and black-and-white at the kiosk."},
    "print_intro_no_office": {"da": "Send en PDF eller et billede (JPEG, PNG). Kontordokumenter (Word, Excel "
                                    "og andre) tages ikke imod her: gem dem som PDF først. Du ser prisen her "
                                    "og igen ved kiosken, før du betaler; du vælger antal og sort-hvid ved "
                                    "kiosken.",
                              "en": "Send a PDF or a picture (JPEG, PNG). Office documents (Word, Excel "
                                    "and others) are not accepted here: save them as PDF first. You see the "
                                    "price here and again at the kiosk before you pay; you choose copies "
                                    "and black-and-white at the kiosk."},
    "print_file": {"da": "Dokument", "en": "Document"},
    "print_card": {"da": "Dit lånerkort (valgfrit: så henter du med kort og PIN-kode, ellers med en kode)",
                   "en": "Your library card (optional: then you collect with card and PIN, else with a "
                         "code)"},
    "print_send": {"da": "Send", "en": "Send"},
    "print_no_file": {"da": "Vælg et dokument først.", "en": "Choose a document first."},
    "print_refused": {"da": "Kan ikke printes: {why}", "en": "Cannot be printed: {why}"},
    # Why a document was refused (NotAPrintableDocument.reason), on the page and in e-mail replies.
    "why_format": {"da": "send en PDF, et billede (JPEG, PNG) eller et kontordokument (Word, Excel, "
                         "PowerPoint, OpenDocument, RTF, tekst)",
                   "en": "send a PDF, a picture (JPEG, PNG) or an office document (Word, Excel, PowerPoint, "
                         "OpenDocument, RTF, text)"},
    "why_no_office": {"da": "kontordokumenter tages ikke imod her: gem det som PDF og send det igen",
                      "en": "office documents are not accepted here: save it as PDF and send it again"},
    "why_not_converted": {"da": "dokumentet kunne ikke læses; gem det som PDF og send det igen",
                          "en": "the document could not be read; save it as PDF and send it again"},
    "why_conversion_timeout": {"da": "det tog for lang tid at gøre dokumentet klar; gem det som PDF og send "
                                     "det igen",
                               "en": "getting the document ready took too long; save it as PDF and send "
                                     "it again"},
    "why_busy": {"da": "der er travlt lige nu; send dokumentet igen om et minut",
                 "en": "it is busy just now; send the document again in a minute"},
    "why_office_too_large": {"da": "kontordokumentet er for stort; gem det som PDF og send det igen",
                             "en": "the office document is too large; save it as PDF and send it again"},
    "why_too_large": {"da": "filen er for stor", "en": "the file is too large"},
    "why_broken_pdf": {"da": "PDF-filen kan ikke læses", "en": "the PDF cannot be read"},
    "why_broken_picture": {"da": "billedet kan ikke læses", "en": "the picture cannot be read"},
    "why_no_pages": {"da": "dokumentet har ingen sider", "en": "the document has no pages"},
    "print_sent_title": {"da": "Sendt til print", "en": "Sent to print"},
    "print_sent_pages": {"da": "Sider: {pages}, heraf i farver: {colour}. Pris for ét eksemplar: {price}",
                         "en": "Pages: {pages}, in colour: {colour}. Price for one copy: {price}"},
    "print_code": {"da": "Din kode til at hente udskriften ved kiosken (den vises kun nu):",
                   "en": "Your code to collect the print at the kiosk (shown only now):"},
    "print_with_card": {"da": "Hent udskriften ved kiosken med dit lånerkort og din PIN-kode.",
                        "en": "Collect the print at the kiosk with your library card and PIN."},
    "print_keep": {"da": "Udskriften venter i {hours} timer på et hvilket som helst bibliotek i kommunen.",
                   "en": "The print waits {hours} hours, at any library in the municipality."},
    "print_another": {"da": "Send et dokument mere", "en": "Send another document"},
    # The reply to a mail sent to the print address (sync/central/server/mail_in.py): Danish, then English.
    "mail_subject_sent": {"da": "Sendt til print", "en": "Sent to print"},
    "mail_subject_not_sent": {"da": "Ikke sendt til print", "en": "Not sent to print"},
    "mail_code": {"da": "Din kode til at hente udskriften ved kiosken: {code}",
                  "en": "Your code to collect the print at the kiosk: {code}"},
    "mail_queued": {"da": "Sendt til print:", "en": "Sent to print:"},
    "mail_refused": {"da": "Kunne ikke printes:", "en": "Could not be printed:"},
    "mail_keep": {"da": "Udskriften venter i {hours} timer på et hvilket som helst bibliotek i kommunen. Ved "
                        "kiosken ser du prisen og vælger antal og sort-hvid, før du betaler.",
                  "en": "The print waits {hours} hours, at any library in the municipality. At the kiosk you "
                        "see the price and choose copies and black-and-white before you pay."},
    "mail_nothing": {"da": "Vi fandt ingen vedhæftede filer at printe i din mail. Send dokumentet som "
                           "vedhæftet fil.",
                     "en": "We found no attachment to print in your mail. Send the document as an "
                           "attachment."},
    "mail_too_many": {"da": "Din mail havde {count} vedhæftede filer; send højst {most} i én mail. Intet "
                            "blev sendt til print.",
                      "en": "Your mail had {count} attachments; send at most {most} in one mail. Nothing "
                            "was sent to print."},
    "mail_kinds": {"da": "Vi printer PDF'er, billeder (JPEG, PNG) og kontordokumenter (Word, Excel, "
                         "PowerPoint, OpenDocument, RTF, tekst).",
                   "en": "We print PDFs, pictures (JPEG, PNG) and office documents (Word, Excel, PowerPoint, "
                         "OpenDocument, RTF, text)."},
    "mail_kinds_no_office": {"da": "Vi printer PDF'er og billeder (JPEG, PNG); gem andre dokumenter som PDF "
                                   "først.",
                             "en": "We print PDFs and pictures (JPEG, PNG); save other documents as PDF "
                                   "first."},
    "mail_automatic": {"da": "Dette er et automatisk svar.", "en": "This is an automatic reply."},
    "prints": {"da": "Print: saldo og betalinger", "en": "Printing: balances and payments"},
    "prints_intro": {"da": "Lånernes forudbetalte saldo til print (betalt ved skranken eller online) og "
                           "betalingerne for udskrifter. En betaling trækkes først, når printeren selv har "
                           "skrevet jobbet ud; fejler det, gives pengene tilbage af sig selv.",
                     "en": "Patrons' prepaid print balances (paid at the counter or online) and the payments "
                           "for prints. A payment is taken only when the printer itself printed the job; "
                           "when it fails, the money goes back by itself."},
    "top_up": {"da": "Sæt penge ind", "en": "Top up"},
    "amount_hint": {"da": "Beløb i kr., fx 50.00", "en": "Amount in DKK, e.g. 50.00"},
    "amount": {"da": "Beløb", "en": "Amount"},
    "payments": {"da": "Seneste betalinger", "en": "Latest payments"},
    "no_payments": {"da": "Ingen betalinger endnu.", "en": "No payments yet."},
    "payment": {"da": "Betaling", "en": "Payment"},
    "print_job": {"da": "Udskrift", "en": "Print job"},
    "state": {"da": "Status", "en": "State"},
    "payment_authorized": {"da": "reserveret", "en": "held"},
    "payment_captured": {"da": "trukket", "en": "taken"},
    "payment_voided": {"da": "givet tilbage (udskriften fejlede)", "en": "given back (the print failed)"},
    "payment_refunded": {"da": "refunderet", "en": "refunded"},
    "refund_reason": {"da": "Hvorfor", "en": "Why"},
    "refund": {"da": "Refundér", "en": "Refund"},
    "topped_up": {"da": "Saldoen er nu {balance} kr.", "en": "The balance is now DKK {balance}."},
    "refunded": {"da": "Betalingen er refunderet.", "en": "The payment was refunded."},
    "payment_awaiting_payer": {"da": "venter på betaling med kort", "en": "waiting for the card payment"},
    "payment_expired": {"da": "udløbet (ikke betalt)", "en": "expired (not paid)"},
    "payment_pending": {"da": "venter på betalingsudbyderen", "en": "waiting for the payment provider"},
    "method_balance": {"da": "saldo", "en": "balance"},
    "method_provider": {"da": "kort", "en": "card"},
    "method": {"da": "Betalt med", "en": "Paid by"},
    "pay_title": {"da": "Betaling for udskrift", "en": "Paying for a print"},
    "pay_done": {"da": "Betalt. Gå tilbage til kiosken: udskriften kommer nu. Pengene trækkes først, når "
                       "den er skrevet ud.",
                 "en": "Paid. Go back to the kiosk: your print is on its way. The money is taken only once "
                       "it has printed."},
    "pay_waiting": {"da": "Betalingen er ikke gennemført endnu. Prøv igen, eller gå tilbage til kiosken.",
                    "en": "The payment is not through yet. Try again, or go back to the kiosk."},
    "pay_cancelled": {"da": "Betalingen er annulleret. Der er ikke trukket noget.",
                      "en": "The payment was cancelled. Nothing was taken."},
    "pay_expired": {"da": "Tiden til betalingen er gået. Der er ikke trukket noget; start igen ved kiosken.",
                    "en": "The time to pay ran out. Nothing was taken; start again at the kiosk."},
    "pay_not_open": {"da": "Denne betaling er ikke åben længere. Start igen ved kiosken.",
                     "en": "This payment is no longer open. Start again at the kiosk."},
    "top_up_refused": {"da": "Ikke indsat: {error}", "en": "Not topped up: {error}"},
    "access_rules": {"da": "Adgangsregler", "en": "Access rules"},
    "access_intro": {"da": "Reglerne for den selvbetjente åbningstid, som den centrale konfiguration sætter "
                           "dem for hver filial, i den rækkefølge dørene prøver dem. Før dem altid: "
                           "personalelisten, åbningstiden og om biblioteksystemet svarer.",
                     "en": "The rules for unstaffed hours as the central configuration sets them for each "
                           "branch, in the order the doors check them. Before them, always: the staff list, "
                           "the opening hours and whether the library system answers."},
    "rule_valid_card": {"da": "Kortet er gyldigt i biblioteksystemet.", "en": "The card is valid in the "
                        "library system."},
    "rule_correct_pin": {"da": "PIN-koden er rigtig.", "en": "The PIN is right."},
    "rule_not_blocked": {"da": "Låneren er ikke spærret.", "en": "The patron is not blocked."},
    "rule_revocation": {"da": "Kortet er ikke på en spærreliste (kommunens eller terminalens).",
                        "en": "The card is on no revocation list (the municipality's or the terminal's)."},
    "rule_fee_limit": {"da": "Gebyrer under {limit} kr.", "en": "Fees below DKK {limit}."},
    "rule_consent": {"da": "Låneren har tilmeldt sig selvbetjent åbningstid (feltet {field}; mangler det: "
                           "{missing}).",
                     "en": "The patron signed up for unstaffed hours (field {field}; when it is missing: "
                           "{missing})."},
    "rule_category": {"da": "Lånerkategori: {categories}.", "en": "Patron category: {categories}."},
    "rule_age": {"da": "Alder efter aldersgrænserne nedenfor (ukendt alder: {unknown}).",
                 "en": "Age by the bands below (unknown age: {unknown})."},
    "any_category": {"da": "alle", "en": "any"},
    "refuse": {"da": "afvis", "en": "refuse"},
    "allow": {"da": "lad komme ind", "en": "let in"},
    "age_bands": {"da": "Aldersgrænser:", "en": "Age bands:"},
    "age_band": {"da": "Mindst {age} år: {days}, {start}–{end}",
                 "en": "At least {age}: {days}, {start}–{end}"},
    "change_in_configuration": {"da": "Ret i konfigurationen", "en": "Change in the configuration"},
    "revocations": {"da": "Spærrede kort", "en": "Revoked cards"},
    "revocations_intro": {"da": "Kort, som dørene holder ude i den selvbetjente åbningstid, uanset hvad "
                                "biblioteksystemet siger. Tjenesten gemmer kun kortets token. Dørene henter "
                                "listen inden for fem minutter og beholder den, også uden forbindelse.",
                          "en": "Cards the doors keep out in unstaffed hours, whatever the library system "
                                "says. The service keeps the card's token only. The doors fetch the list "
                                "within five minutes and keep it, also without a connection."},
    "no_revocations": {"da": "Ingen spærrede kort.", "en": "No revoked cards."},
    "revocation_reason": {"da": "Begrundelse", "en": "Reason"},
    "until": {"da": "Til og med", "en": "Until"},
    "until_taken_off": {"da": "til den fjernes", "en": "until taken off"},
    "end_revocation": {"da": "Ophæv", "en": "End"},
    "revoke_a_card": {"da": "Spær et kort", "en": "Revoke a card"},
    "reason_hint": {"da": "Begrundelse, få ord (aldrig et navn)", "en": "Reason, a few words (never a name)"},
    "until_hint": {"da": "Sidste dag, ÅÅÅÅ-MM-DD (tomt: til den fjernes)",
                   "en": "Last day, YYYY-MM-DD (empty: until taken off)"},
    "revoke": {"da": "Spær", "en": "Revoke"},
    "card_revoked": {"da": "Kortet er spærret som {token}.", "en": "The card was revoked as {token}."},
    "revocation_ended": {"da": "Spærringen er ophævet.", "en": "The revocation was ended."},
    "revocation_refused": {"da": "Ikke spærret: {error}", "en": "Not revoked: {error}"},
    "entries": {"da": "Indgange", "en": "Entries"},
    "entries_intro": {"da": "Indgange pr. time de seneste {days} dage (kun antal).",
                      "en": "Entries per hour over the last {days} days (counts only)."},
    "no_entries": {"da": "Ingen indgange i perioden.", "en": "No entries in the period."},
    "entries_total": {"da": "{count} indgange i alt", "en": "{count} entries in all"},
    "hour": {"da": "Time", "en": "Hour"},
    "configuration": {"da": "Konfiguration", "en": "Configuration"},
    "level": {"da": "Niveau", "en": "Level"},
    "scope": {"da": "Filial eller terminal", "en": "Branch or terminal"},
    "show": {"da": "Vis", "en": "Show"},
    "layer_help": {"da": "Tabeller fra en indstillingsfil, som JSON, lagt over terminalernes egne. De "
                         "kontrolleres mod hver terminal, de når, før de gemmes.",
                   "en": "Tables of a settings file, as JSON, laid over the terminals' own. They are "
                         "checked against every terminal they reach before they are saved."},
    "reason": {"da": "Hvorfor", "en": "Why"},
    "save_revision": {"da": "Gem som ny revision", "en": "Save as a new revision"},
    "revision_saved": {"da": "Revision {number} er gemt.", "en": "Revision {number} saved."},
    "history": {"da": "Tidligere revisioner", "en": "Earlier revisions"},
    "restore": {"da": "Brug denne igen", "en": "Use this again"},
    "not_json": {"da": "ikke gyldig JSON", "en": "not valid JSON"},
    "defaults": {"da": "standard", "en": "defaults"},
    "municipality": {"da": "kommunen", "en": "municipality"},
    "branch_level": {"da": "filial", "en": "branch"}, "terminal_level": {"da": "terminal", "en": "terminal"},
    "who": {"da": "Hvem", "en": "Who"},
    "action": {"da": "Handling", "en": "Action"},
    "target": {"da": "Hvad/hvor", "en": "On"},
    "detail": {"da": "Detaljer", "en": "Detail"},
    "no_calendars": {"da": "Ingen filialer har åbningstider her endnu.",
                     "en": "No branch has opening hours here yet."},
    "week": {"da": "Ugen", "en": "The week"},
    "week_help": {"da": "Perioder som 07:00-10:00 unstaffed, adskilt af komma (staffed = betjent, "
                        "unstaffed = selvbetjent, closed = lukket). Tom: lukket hele dagen.",
                  "en": "Periods like 07:00-10:00 unstaffed, separated by commas (staffed, unstaffed, "
                        "closed). Empty: closed all day."},
    "save": {"da": "Gem", "en": "Save"},
    "saved": {"da": "Gemt. Dørene og kioskerne i filialen følger de nye tider inden for fem minutter.",
              "en": "Saved. The branch's doors and kiosks follow the new hours within five minutes."},
    "not_saved": {"da": "Ikke gemt", "en": "Not saved"},
    "preview": {"da": "De næste syv dage", "en": "The next seven days"},
    "monday": {"da": "Mandag", "en": "Monday"}, "tuesday": {"da": "Tirsdag", "en": "Tuesday"},
    "wednesday": {"da": "Onsdag", "en": "Wednesday"}, "thursday": {"da": "Torsdag", "en": "Thursday"},
    "friday": {"da": "Fredag", "en": "Friday"}, "saturday": {"da": "Lørdag", "en": "Saturday"},
    "sunday": {"da": "Søndag", "en": "Sunday"},
}


def translate(key: str, language: str, **values: object) -> str:
    text = TEXTS[key].get(language) or TEXTS[key]["en"]
    return text.format(**values) if values else text


def refusal(reason: str, why: str, language: str) -> str:
    """Why a document was refused, in the language when the reason has words there (else ``why``)."""
    return translate(f"why_{reason}", language) if f"why_{reason}" in TEXTS else why
