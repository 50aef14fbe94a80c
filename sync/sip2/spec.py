"""The 3M SIP2 2.00 message catalogue: fixed fields in spec order, and the field codes.

Sources: the 3M SIP2 Developers Guide (2006) as summarised in ../shared/research/sip2.md §3.2-3.3,
plus the 3M 1.20 extensions and common vendor fields (§3.10).
"""

from __future__ import annotations

from dataclasses import dataclass

DATE_LENGTH = 18


@dataclass(frozen=True)
class MessageSpec:
    code: str
    name: str
    fixed: tuple[tuple[str, int], ...]
    response: str | None = None

    @property
    def fixed_length(self) -> int:
        return sum(length for _, length in self.fixed)


def _m(code: str, name: str, *fixed: tuple[str, int], response: str | None = None) -> MessageSpec:
    return MessageSpec(code, name, tuple(fixed), response)


D = ("transaction_date", DATE_LENGTH)

MESSAGES: dict[str, MessageSpec] = {
    spec.code: spec
    for spec in (
        # SC -> ACS
        _m("93", "login", ("uid_algorithm", 1), ("pwd_algorithm", 1), response="94"),
        _m("99", "sc_status", ("status_code", 1), ("max_print_width", 3), ("protocol_version", 4),
           response="98"),
        _m("23", "patron_status", ("language", 3), D, response="24"),
        _m("63", "patron_information", ("language", 3), D, ("summary", 10), response="64"),
        _m("11", "checkout", ("sc_renewal_policy", 1), ("no_block", 1), D,
           ("nb_due_date", DATE_LENGTH), response="12"),
        _m("09", "checkin", ("no_block", 1), D, ("return_date", DATE_LENGTH), response="10"),
        _m("29", "renew", ("third_party_allowed", 1), ("no_block", 1), D,
           ("nb_due_date", DATE_LENGTH), response="30"),
        _m("65", "renew_all", D, response="66"),
        _m("35", "end_patron_session", D, response="36"),
        _m("37", "fee_paid", D, ("fee_type", 2), ("payment_type", 2), ("currency_type", 3),
           response="38"),
        _m("17", "item_information", D, response="18"),
        _m("15", "hold", ("hold_mode", 1), D, response="16"),
        _m("19", "item_status_update", D, response="20"),
        _m("25", "patron_enable", D, response="26"),
        _m("01", "block_patron", ("card_retained", 1), D, response="24"),
        _m("97", "request_acs_resend"),
        _m("96", "request_sc_resend"),
        # ACS -> SC
        _m("94", "login_response", ("ok", 1)),
        _m("98", "acs_status", ("online_status", 1), ("checkin_ok", 1), ("checkout_ok", 1),
           ("acs_renewal_policy", 1), ("status_update_ok", 1), ("offline_ok", 1),
           ("timeout_period", 3), ("retries_allowed", 3), ("date_time_sync", DATE_LENGTH),
           ("protocol_version", 4)),
        _m("24", "patron_status_response", ("patron_status", 14), ("language", 3), D),
        _m("64", "patron_information_response", ("patron_status", 14), ("language", 3), D,
           ("hold_items_count", 4), ("overdue_items_count", 4), ("charged_items_count", 4),
           ("fine_items_count", 4), ("recall_items_count", 4), ("unavailable_holds_count", 4)),
        _m("12", "checkout_response", ("ok", 1), ("renewal_ok", 1), ("magnetic_media", 1),
           ("desensitize", 1), D),
        _m("10", "checkin_response", ("ok", 1), ("resensitize", 1), ("magnetic_media", 1),
           ("alert", 1), D),
        _m("30", "renew_response", ("ok", 1), ("renewal_ok", 1), ("magnetic_media", 1),
           ("desensitize", 1), D),
        _m("66", "renew_all_response", ("ok", 1), ("renewed_count", 4), ("unrenewed_count", 4), D),
        _m("36", "end_session_response", ("end_session", 1), D),
        _m("38", "fee_paid_response", ("payment_accepted", 1), D),
        _m("18", "item_information_response", ("circulation_status", 2), ("security_marker", 2),
           ("fee_type", 2), D),
        _m("16", "hold_response", ("ok", 1), ("available", 1), D),
        _m("20", "item_status_update_response", ("item_properties_ok", 1), D),
        _m("26", "patron_enable_response", ("patron_status", 14), ("language", 3), D),
    )
}

# Variable field codes (2.00, the 3M 1.20 extensions and common vendor fields). Unknown codes are
# still decoded and kept: this table is for names in traces and for the emulator.
FIELDS: dict[str, str] = {
    "AA": "patron_identifier", "AB": "item_identifier", "AC": "terminal_password",
    "AD": "patron_password", "AE": "personal_name", "AF": "screen_message", "AG": "print_line",
    "AH": "due_date", "AJ": "title_identifier", "AL": "blocked_card_msg", "AM": "library_name",
    "AN": "terminal_location", "AO": "institution_id", "AP": "current_location",
    "AQ": "permanent_location", "AS": "hold_items", "AT": "overdue_items", "AU": "charged_items",
    "AV": "fine_items", "AW": "home_phone_number", "BD": "home_address", "BE": "e_mail_address",
    "BF": "home_phone_number", "BG": "owner", "BH": "currency_type", "BI": "cancel",
    "BK": "transaction_id", "BL": "valid_patron", "BM": "renewed_items", "BN": "unrenewed_items",
    "BO": "fee_acknowledged", "BP": "start_item", "BQ": "end_item", "BR": "queue_position",
    "BS": "pickup_location", "BT": "fee_type", "BU": "recall_items", "BV": "fee_amount",
    "BW": "expiration_date", "BX": "supported_messages", "BY": "hold_type",
    "BZ": "hold_items_limit", "CA": "overdue_items_limit", "CB": "charged_items_limit",
    "CC": "fee_limit", "CD": "unavailable_hold_items", "CF": "hold_queue_length",
    "CG": "fee_identifier", "CH": "item_properties", "CI": "security_inhibit",
    "CJ": "recall_date", "CK": "media_type", "CL": "sort_bin", "CM": "hold_pickup_date",
    "CN": "login_user_id", "CO": "login_password", "CP": "location_code",
    "CQ": "valid_patron_password", "CR": "collection_code", "CS": "call_number",
    "CT": "destination_location", "CV": "alert_type", "CY": "hold_patron_id",
    "DA": "hold_patron_name", "PA": "patron_expire_or_pac_access", "PB": "birth_date",
    "PC": "patron_class", "PI": "internet_profile", "XI": "internal_patron_id",
}

# 14-character patron status (64, 24): position -> meaning; "Y" is true, blank false.
PATRON_STATUS = (
    "charge_privileges_denied", "renewal_privileges_denied", "recall_privileges_denied",
    "hold_privileges_denied", "card_reported_lost", "too_many_items_charged",
    "too_many_items_overdue", "too_many_renewals", "too_many_claims_of_items_returned",
    "too_many_items_lost", "excessive_outstanding_fines", "excessive_outstanding_fees",
    "recall_overdue", "too_many_items_billed",
)

# Summary positions in 63: one "Y" asks for that list in the 64.
SUMMARY = ("hold_items", "overdue_items", "charged_items", "fine_items", "recall_items",
           "unavailable_holds")
SUMMARY_FIELD = {"hold_items": "AS", "overdue_items": "AT", "charged_items": "AU",
                 "fine_items": "AV", "recall_items": "BU", "unavailable_holds": "CD"}

# 18 circulation status.
CIRCULATION_STATUS = {
    "01": "other", "02": "on_order", "03": "available", "04": "charged",
    "05": "charged_not_to_be_recalled", "06": "in_process", "07": "recalled",
    "08": "waiting_on_hold_shelf", "09": "waiting_to_be_reshelved", "10": "in_transit",
    "11": "claimed_returned", "12": "lost", "13": "missing",
}

# Supported messages (98 BX): position -> request code.
SUPPORTED_MESSAGES = ("23", "11", "09", "01", "99", "97", "93", "63", "35", "37", "17", "19",
                      "25", "15", "29", "65")
