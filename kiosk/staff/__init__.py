"""Staff mode: what a librarian or a technician does at the terminal itself with a staff card and PIN.

* :mod:`~kiosk.staff.roles`: staff, technician, administrator, and what each may open;
* :mod:`~kiosk.staff.directory`: which cards are staff cards, and their PINs (slow verifiers only);
* :mod:`~kiosk.staff.device_tests`: each device tried for real, with a pass or a fail in words;
* :mod:`~kiosk.staff.tasks`: the transactions that need staff, and their resolution;
* :mod:`~kiosk.staff.view`: what the staff screens show.

The session (:mod:`kiosk.session.staff_visit`) connects them to the card, the PIN and the screen;
every staff action is written to the journal, whose outbox takes it to the central audit log.
"""
