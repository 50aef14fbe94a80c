"""Deploying a terminal: ``library-kiosk install`` and ``uninstall`` (README, "Deploying a terminal")."""
