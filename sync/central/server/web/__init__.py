"""The administration web on the central service: server-rendered pages for staff (Danish and
English), behind a login."""
