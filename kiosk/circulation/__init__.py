"""A visit at the pad: journal, LMS, tags and compensation; the account; receipts."""
