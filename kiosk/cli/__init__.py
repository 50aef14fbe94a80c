"""The ``library-kiosk`` command: one module per command, a dispatch table."""
